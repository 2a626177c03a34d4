"""Sweep points: the grid of `--vary` values and the one-at-a-time `--tornado` moves.

    vary = parse_vary(["costs.shortage_multiplier=0.5,1,2", "risk.cvar_weight=0:0.5:0.25"])
    points = grid_points(vary) + tornado_points(base, dataset, (0.8, 1.2))

A point is a set of changes to the base scenario: `--set`-style key changes and, for the
tornado's lead times, a `lead_time` what-if appended to the scenario's what-ifs. Each point
becomes a full Scenario with `point_scenario`, its changes logged as `key: old -> new`.

Lead times are whole weeks. A tornado factor f on supplier S moves every lane of S by
add_weeks = round(|f - 1| x mean lead time of S's lanes), halves rounded up, at least one week,
in the direction of f (lanes never go below 0 weeks). So 0.8 / 1.2 on a 4-week supplier give
3 and 5 weeks, on a 10-week supplier 8 and 12 weeks, and on a 1-week supplier 0 and 2 weeks.
"""

from __future__ import annotations

import itertools
import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import yaml
from pydantic import ValidationError

from planner.config import Scenario, _problems_from_validation, apply_overrides
from planner.errors import ConfigError, Problem

COST_KEYS = ("costs.holding_multiplier", "costs.shortage_multiplier", "costs.logistics_multiplier")
LEAD_TIME_PREFIX = "lead_time."
LEAD_TIME_SUFFIX = ".add_weeks"
RANGE = re.compile(r"^\s*(-?[\d.eE+-]+)\s*:\s*(-?[\d.eE+-]+)\s*:\s*(-?[\d.eE+-]+)\s*$")
MAX_POINTS = 10_000


@dataclass(frozen=True)
class SweepPoint:
    """One plan of the sweep: the changes made to the base scenario."""

    id: int  # 1-based
    values: tuple[tuple[str, Any], ...]  # (sweep.csv column, value) of what this point changes
    lead_times: tuple[tuple[str, int], ...] = ()  # (supplier, add_weeks) what-ifs appended
    tornado: tuple[str, str] | None = None  # (parameter, "low" | "high")

    @property
    def sets(self) -> list[tuple[str, Any]]:
        """The scenario keys this point sets (the lead-time columns are what-ifs, not keys)."""
        return [(k, v) for k, v in self.values if not k.startswith(LEAD_TIME_PREFIX)]

    @property
    def label(self) -> str:
        if not self.values:
            return "base"
        return ", ".join(f"{k}={_text(v)}" for k, v in self.values)

    @property
    def name(self) -> str:
        """The point's folder name: 001-shortage_multiplier=2-holding_multiplier=0.5."""
        parts = [f"{_short(k)}={_text(v)}" for k, v in self.values] or ["base"]
        slug = re.sub(r"[^A-Za-z0-9._=+-]+", "_", "-".join(parts))[:80].strip("-_")
        return f"{self.id:03d}-{slug}"


def _is_lead(key: str) -> bool:
    return key.startswith(LEAD_TIME_PREFIX) and key.endswith(LEAD_TIME_SUFFIX)


def _supplier(key: str) -> str:
    return key[len(LEAD_TIME_PREFIX) : -len(LEAD_TIME_SUFFIX)]


def _short(key: str) -> str:
    return f"lt-{_supplier(key)}" if _is_lead(key) else key.split(".")[-1]


def _text(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, str):
        return value
    return json.dumps(value, default=str) if isinstance(value, list | dict) else str(value)


def lead_time_column(supplier: str) -> str:
    """The sweep.csv column of a supplier's tornado lead-time change (weeks added)."""
    return f"{LEAD_TIME_PREFIX}{supplier}{LEAD_TIME_SUFFIX}"


# ---------------------------------------------------------------- parsing the options


def _split_top_level(text: str) -> list[str]:
    """Split on commas outside brackets and quotes: `a,[b,c],d` -> a | [b,c] | d."""
    parts, depth, quote, cur = [], 0, "", []
    for ch in text:
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch in "[{":
            depth += 1
        elif ch in "]}":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append("".join(cur))
            cur = []
            continue
        cur.append(ch)
    parts.append("".join(cur))
    return [p.strip() for p in parts]


def _range(text: str, option: str) -> list[float] | None:
    m = RANGE.match(text)
    if not m:
        return None
    try:
        start, stop, step = (float(g) for g in m.groups())
    except ValueError:
        return None
    if step <= 0 or stop < start:
        raise ConfigError(
            Problem(
                option,
                f"the range {text!r} is empty",
                fix="write start:stop:step with start <= stop and step > 0, e.g. 0.5:3:0.5",
            ),
            title="invalid --vary option",
        )
    n = math.floor((stop - start) / step + 1e-9) + 1
    return [round(start + k * step, 10) for k in range(n)]


def parse_vary(options: Sequence[str] | Mapping[str, Sequence[Any]]) -> dict[str, list[Any]]:
    """`key=v1,v2,...` options (values read as YAML; `start:stop:step` is a numeric range)
    or a mapping key -> values, checked: each key once, each with distinct values."""
    problems: list[Problem] = []
    out: dict[str, list[Any]] = {}
    items: list[tuple[str, list[Any]]] = []
    if isinstance(options, Mapping):
        items = [(str(k), list(v)) for k, v in options.items()]
    else:
        for raw in options:
            key, sep, text = raw.partition("=")
            key = key.strip()
            if not sep or not key or not text.strip():
                problems.append(
                    Problem(
                        "--vary",
                        f"{raw!r} is not of the form key.path=v1,v2,...",
                        fix="write e.g. --vary costs.shortage_multiplier=0.5,1,2",
                    )
                )
                continue
            values = _range(text, f"--vary {key}")
            if values is None:
                values = []
                for part in _split_top_level(text):
                    try:
                        values.append(yaml.safe_load(part) if part else None)
                    except yaml.YAMLError:
                        values.append(part)
            items.append((key, values))
    for key, values in items:
        if key in out:
            problems.append(Problem("--vary", f"{key!r} is varied twice", fix="give it once"))
            continue
        if _is_lead(key) or key.startswith(LEAD_TIME_PREFIX):
            problems.append(
                Problem(
                    "--vary",
                    f"{key!r} is not a scenario key",
                    fix="vary lead times with --tornado, or add a lead_time what-if",
                )
            )
            continue
        if not values:
            problems.append(Problem("--vary", f"{key!r} has no values", fix="give 1 or more"))
            continue
        seen = [json.dumps(v, sort_keys=True, default=str) for v in values]
        if len(set(seen)) != len(seen):
            problems.append(
                Problem("--vary", f"{key!r} lists a value twice: {values}", fix="list each once")
            )
            continue
        out[key] = values
    if problems:
        raise ConfigError(problems, title="invalid --vary option")
    return out


def parse_tornado(text: str | Sequence[float] | None) -> tuple[float, float] | None:
    """`0.8,1.2` -> (0.8, 1.2): the low and the high factor (0 < low < 1 < high)."""
    if text is None:
        return None
    try:
        values = (
            [float(v) for v in text.split(",")]
            if isinstance(text, str)
            else [float(v) for v in text]
        )
    except ValueError:
        values = []
    if len(values) != 2 or not (0 < values[0] < 1 < values[1]):
        raise ConfigError(
            Problem(
                "--tornado",
                f"expected two factors low,high with 0 < low < 1 < high; got {text!r}",
                fix="write e.g. --tornado 0.8,1.2",
            ),
            title="invalid --tornado option",
        )
    return values[0], values[1]


# ---------------------------------------------------------------- the points


def grid_points(vary: Mapping[str, Sequence[Any]], first_id: int = 1) -> list[SweepPoint]:
    """Every combination of the varied values (the first key changes slowest)."""
    if not vary:
        return []
    keys = list(vary)
    combos = list(itertools.product(*(vary[k] for k in keys)))
    if len(combos) > MAX_POINTS:
        raise ConfigError(
            Problem("--vary", f"the grid has {len(combos):,} points (at most {MAX_POINTS:,})"),
            title="invalid --vary option",
        )
    return [
        SweepPoint(id=first_id + i, values=tuple(zip(keys, combo, strict=True)))
        for i, combo in enumerate(combos)
    ]


def lead_time_shift(mean_lead: float, factor: float) -> int:
    """Whole weeks added to a supplier's lanes for a lead-time factor (see the module notes)."""
    if factor == 1:
        return 0
    weeks = max(1, math.floor(abs(factor - 1) * mean_lead + 0.5 + 1e-9))  # 1.2 - 1 = 0.19999...
    return weeks if factor > 1 else -weeks


def supplier_lead_times(supply, series) -> dict[str, float]:
    """Mean lead time (weeks) of each supplier over its lanes to planned SKU-warehouses."""
    lanes = supply.merge(series[["sku", "warehouse"]], on=["sku", "warehouse"])
    means = lanes.groupby("supplier", sort=True)["lead_time_weeks"].mean()
    return {str(s): float(v) for s, v in means.items()}


def _round_multiplier(x: float) -> float:
    return round(x, 10)


def tornado_points(
    base: Scenario,
    lead_times: Mapping[str, float],
    factors: tuple[float, float],
    first_id: int = 1,
) -> tuple[list[SweepPoint], list[dict]]:
    """The base point, then each cost multiplier and each supplier's lead time at the low and
    the high factor, one at a time. Also returns the tornado's parameters:
    {parameter, column, base, low, high} with the values each side takes."""
    points = [SweepPoint(id=first_id, values=())]
    params: list[dict] = []
    costs = base.costs.model_dump()
    for key in COST_KEYS:
        b = float(costs[key.split(".")[1]])
        low, high = (_round_multiplier(b * f) for f in factors)
        params.append({"parameter": key, "column": key, "base": b, "low": low, "high": high})
    for supplier, mean in sorted(lead_times.items()):
        low, high = (lead_time_shift(mean, f) for f in factors)
        params.append(
            {
                "parameter": f"lead time {supplier} ({mean:g} week{'' if mean == 1 else 's'})",
                "column": lead_time_column(supplier),
                "base": 0,
                "low": low,
                "high": high,
                "supplier": supplier,
                "mean_lead_time": mean,
            }
        )
    for p in params:
        for side in ("low", "high"):
            pid = first_id + len(points)
            if "supplier" in p:
                point = SweepPoint(
                    id=pid,
                    values=((p["column"], p[side]),),
                    lead_times=((p["supplier"], int(p[side])),),
                    tornado=(p["parameter"], side),
                )
            else:
                point = SweepPoint(
                    id=pid, values=((p["column"], p[side]),), tornado=(p["parameter"], side)
                )
            points.append(point)
    return points, params


# ---------------------------------------------------------------- scenarios of the points


@dataclass
class PointScenario:
    point: SweepPoint
    scenario: Scenario
    log: list[str] = field(default_factory=list)  # key: old -> new of this point's changes


def point_scenario(base: Scenario, point: SweepPoint) -> PointScenario:
    """The base scenario with the point's changes (validated; ConfigError names the point)."""
    data, log = apply_overrides(base.resolved_dict(), point.sets)
    for supplier, weeks in point.lead_times:
        change = {"kind": "lead_time", "supplier": supplier, "add_weeks": int(weeks)}
        data["whatif"] = [*data.get("whatif", []), change]
        log.append(f"whatif: + lead_time {supplier} {int(weeks):+d} weeks")
    try:
        scenario = Scenario.model_validate({**data, "source": base.source})
    except ValidationError as exc:
        raise ConfigError(
            _problems_from_validation(exc, f"sweep point {point.id} ({point.label})"),
            title="invalid sweep point",
        ) from None
    return PointScenario(point=point, scenario=scenario, log=log)


def scenario_fingerprint(scenario: Scenario) -> str:
    """A text that is equal for two scenarios exactly when they plan the same thing."""
    d = scenario.resolved_dict()
    d.pop("name", None)
    return json.dumps(d, sort_keys=True, default=str)


def base_value(base: Scenario, key: str) -> Any:
    """The base scenario's value of a sweep.csv column (0 for lead-time changes)."""
    if _is_lead(key):
        return 0
    node: Any = base.resolved_dict()
    for part in key.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node
