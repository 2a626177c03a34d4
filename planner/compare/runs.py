"""Finished run folders, read for comparison: what kind of run, its label, KPIs and tables.

A folder is a plan run when it holds `orders.csv` and `summary.json`, a simulate run when it
holds `kpis.csv`, a sweep run when it holds `sweep.csv`. `summary.json` is written last, so a
plan folder without it is an unfinished run and is refused.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from planner.errors import InputError, Problem

PLAN, SIMULATE, SWEEP = "plan", "simulate", "sweep"

# sweep.csv columns that are results, not varied keys (DESIGN.md)
SWEEP_RESULT_COLUMNS = {
    "status",
    "objective",
    "purchase",
    "logistics",
    "fixed",
    "holding",
    "shortage",
    "transfer",
    "terminal",
    "total_cost",
    "fill_rate",
    "cycle_service_level",
    "total_orders",
    "orders_this_week",
    "bottlenecks",
    "run_dir",
    "error",
    "point",
    "seconds",
}


@dataclass
class RunFolder:
    """One finished run, read from its folder."""

    path: Path
    kind: str
    label: str
    summary: dict[str, Any] = field(default_factory=dict)
    orders: pd.DataFrame | None = None  # plan runs
    kpis: pd.DataFrame | None = None  # simulate runs: kpis.csv
    sweep: pd.DataFrame | None = None  # sweep runs: sweep.csv
    inventory: pd.DataFrame | None = None  # plan runs, when written

    @property
    def name(self) -> str:
        scenario = self.summary.get("scenario") or {}
        return str(scenario.get("name") or self.summary.get("name") or "")

    @property
    def status(self) -> str:
        if self.summary.get("status") is not None:
            return str(self.summary["status"])
        if self.sweep is not None and "status" in self.sweep:
            counts = self.sweep["status"].astype(str).value_counts()
            return ", ".join(f"{k} {v}" for k, v in counts.items())
        return ""

    @property
    def scenario(self) -> dict[str, Any]:
        return dict(self.summary.get("scenario") or {})

    @property
    def first_week(self) -> str:
        """The first planning week of a plan ('' for other runs or when unknown)."""
        weeks = self.summary.get("plan_weeks") or []
        if weeks:
            return str(weeks[0])
        if self.orders is not None and len(self.orders):
            return str(self.orders["order_week"].min())
        return ""

    @property
    def fingerprint(self) -> str | None:
        return self.summary.get("dataset_fingerprint")


def _read_csv(path: Path) -> pd.DataFrame:
    try:
        return pd.read_csv(path)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise InputError(
            Problem(str(path), f"cannot read the table ({exc})", fix="re-run the command"),
            title="unreadable run",
        ) from exc


def _read_summary(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise InputError(
            Problem(str(path), f"cannot read the run summary ({exc})", fix="re-run the command"),
            title="unreadable run",
        ) from exc
    if not isinstance(data, dict):
        raise InputError(Problem(str(path), "the run summary is not a JSON object"))
    return data


def run_kind(folder: Path) -> str:
    """plan, simulate or sweep, from the files in the folder."""
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError(
            Problem(str(folder), "run folder not found", fix="check the path or use a run id"),
            title="unknown run",
        )
    if (folder / "sweep.csv").is_file():
        return SWEEP
    if (folder / "kpis.csv").is_file():
        return SIMULATE
    if (folder / "orders.csv").is_file():
        if not (folder / "summary.json").is_file():
            raise InputError(
                Problem(
                    str(folder),
                    "the plan run is unfinished (no summary.json: it is written last)",
                    fix="re-run the plan",
                ),
                title="unfinished run",
            )
        return PLAN
    raise InputError(
        Problem(
            str(folder),
            "not a plan, simulate or sweep run folder (no orders.csv, kpis.csv or sweep.csv)",
            fix="pass the folder printed by `planner plan|simulate|sweep` or a run id from "
            "`planner runs`",
        ),
        title="unknown run",
    )


def load_run(folder: Path, label: str | None = None) -> RunFolder:
    """Read a finished run folder."""
    folder = Path(folder)
    kind = run_kind(folder)
    summary_path = folder / "summary.json"
    summary = _read_summary(summary_path) if summary_path.is_file() else {}
    run = RunFolder(path=folder, kind=kind, label=label or folder.resolve().name, summary=summary)
    if kind == PLAN:
        orders = _read_csv(folder / "orders.csv")
        missing = {"order_week", "supplier", "sku", "warehouse", "quantity"} - set(orders)
        if missing:
            raise InputError(
                Problem(
                    str(folder / "orders.csv"),
                    f"missing columns {sorted(missing)}",
                    fix="re-run the plan with this version of planner",
                ),
                title="unreadable run",
            )
        orders["order_week"] = orders["order_week"].astype(str)
        for col in ("quantity", "line_cost"):
            if col in orders:
                orders[col] = pd.to_numeric(orders[col], errors="coerce").astype(float)
        if "committed" in orders:
            orders["committed"] = orders["committed"].astype(str).str.lower() == "true"
        run.orders = orders
        if (folder / "inventory.csv").is_file():
            run.inventory = _read_csv(folder / "inventory.csv")
    elif kind == SIMULATE:
        run.kpis = _read_csv(folder / "kpis.csv")
    else:
        run.sweep = _read_csv(folder / "sweep.csv")
    return run


def unique_labels(paths: list[Path]) -> list[str]:
    """Folder names, made unique with the parent folder or a counter where they clash."""
    names = [Path(p).resolve().name for p in paths]
    labels = list(names)
    for i, label in enumerate(names):
        if names.count(label) > 1:
            parent = Path(paths[i]).resolve().parent.name
            labels[i] = f"{parent}/{label}" if parent else label
    seen: dict[str, int] = {}
    out = []
    for label in labels:
        seen[label] = seen.get(label, 0) + 1
        out.append(label if seen[label] == 1 else f"{label}#{seen[label]}")
    return out


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        f = float(value)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


def sweep_keys(sweep: pd.DataFrame) -> list[str]:
    """The varied-key columns of a sweep.csv (named by their key path)."""
    return [c for c in sweep.columns if c not in SWEEP_RESULT_COLUMNS]


def run_kpis(run: RunFolder) -> list[tuple[str, str, float | None]]:
    """(group, kpi, value) rows: the group is 'plan', a simulate policy or a sweep point."""
    rows: list[tuple[str, str, float | None]] = []
    if run.kind == PLAN:
        s = run.summary
        costs = s.get("costs") or {}
        service = s.get("service") or {}
        rows.append(("plan", "objective", _number(s.get("objective"))))
        numeric = [_number(v) for v in costs.values()]
        total = sum(v for v in numeric if v is not None) if costs else None
        rows.append(("plan", "total_cost", total))
        for key, value in costs.items():
            rows.append(("plan", f"cost.{key}", _number(value)))
        rows.append(("plan", "fill_rate", _number(service.get("fill_rate"))))
        rows.append(("plan", "cycle_service_level", _number(service.get("cycle_service_level"))))
        orders = run.orders
        plan_weeks = s.get("plan_weeks") or []
        first = str(plan_weeks[0]) if plan_weeks else orders["order_week"].min()
        this_week = orders["order_week"] == first
        rows.append(("plan", "total_orders", float(orders["quantity"].sum())))
        rows.append(("plan", "orders_this_week", float(orders.loc[this_week, "quantity"].sum())))
        if "committed" in orders:
            committed = orders["committed"]
            rows.append(
                ("plan", "committed_orders", float(orders.loc[committed, "quantity"].sum()))
            )
        if "line_cost" in orders:
            rows.append(("plan", "order_value", float(orders["line_cost"].sum())))
            rows.append(
                ("plan", "order_value_this_week", float(orders.loc[this_week, "line_cost"].sum()))
            )
        rows.append(("plan", "order_lines", float(len(orders))))
        inv = run.inventory
        if inv is not None and {"on_hand_mean", "shortage_mean", "week"} <= set(inv):
            weeks = max(inv["week"].nunique(), 1)
            rows.append(("plan", "avg_on_hand", float(inv["on_hand_mean"].sum()) / weeks))
            rows.append(("plan", "expected_short_units", float(inv["shortage_mean"].sum())))
        value = s.get("value_of_information") or {}
        for key in ("vss", "evpi"):
            if _number(value.get(key)) is not None:
                rows.append(("plan", key, _number(value[key])))
        risk = s.get("risk") or {}
        if isinstance(risk, dict) and _number(risk.get("cvar")) is not None:
            rows.append(("plan", "cvar", _number(risk["cvar"])))
        rows.append(("plan", "bottlenecks", float(len(s.get("bottlenecks") or []))))
    elif run.kind == SIMULATE:
        frame = run.kpis
        group_col = "policy" if "policy" in frame else frame.columns[0]
        for _, row in frame.iterrows():
            for col in frame.columns:
                if col == group_col:
                    continue
                value = _number(row[col])
                if value is not None or pd.api.types.is_numeric_dtype(frame[col]):
                    rows.append((str(row[group_col]), col, value))
    else:
        frame = run.sweep
        keys = sweep_keys(frame)
        for _, row in frame.iterrows():
            point = ", ".join(f"{k}={row[k]}" for k in keys) or f"point {_ + 1}"
            for col in frame.columns:
                if col in keys or col in ("run_dir", "status", "error", "bottlenecks"):
                    continue
                if pd.api.types.is_numeric_dtype(frame[col]):
                    rows.append((point, col, _number(row[col])))
    return rows
