"""The KPIs recorded for each kind of run, and recording a finished run folder.

Columns of the `runs` table, by kind:

| column | plan | simulate (the stochastic policy) | sweep (the cheapest planned point) |
|---|---|---|---|
| objective | the objective | - | its objective |
| total_cost | sum of the cost components | total_cost | sum of its cost components |
| fill_rate, cycle_service_level | expected | realised | its fill rate |
| total_orders, orders_this_week | units over the horizon, units in the first week | - | its |

Everything else (cost components, VSS/EVPI, every policy, every point) is in the kpis JSON.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from planner.history.store import KINDS, HistoryWarning, _finite_number, record_run

COST_KEYS = ("purchase", "logistics", "fixed", "holding", "shortage", "transfer", "terminal")
POLICY = "stochastic"  # the simulate policy whose KPIs fill the columns


def _round(value: Any, digits: int = 6) -> float | None:
    f = _finite_number(value)
    return None if f is None else round(f, digits)


def _warn_with(warn: Callable[[str], None] | None) -> Callable[[str], None]:
    return warn or (lambda m: warnings.warn(m, HistoryWarning, stacklevel=3))


def plan_kpis(summary: Mapping[str, Any], orders: pd.DataFrame | None = None) -> dict[str, Any]:
    """The KPIs of a plan run, from its summary.json content (and orders.csv when given).

    orders_this_week is the quantity ordered in the first planning week (as in sweep.csv).
    """
    costs = dict(summary.get("costs") or {})
    service = summary.get("service") or {}
    numbers = [_finite_number(v) for v in costs.values()]
    kpis: dict[str, Any] = {
        "objective": _round(summary.get("objective")),
        "total_cost": round(sum(v for v in numbers if v is not None), 6)
        if costs
        else _round(summary.get("objective")),
        "fill_rate": _round(service.get("fill_rate")),
        "cycle_service_level": _round(service.get("cycle_service_level")),
        "costs": costs,
    }
    if orders is not None:
        weeks = orders["order_week"].astype(str)
        plan_weeks = summary.get("plan_weeks") or []
        first = str(plan_weeks[0]) if plan_weeks else (weeks.min() if len(weeks) else None)
        committed = orders["committed"].astype(str).str.lower() == "true"
        kpis["total_orders"] = round(float(orders["quantity"].sum()), 6)
        kpis["orders_this_week"] = round(float(orders.loc[weeks == first, "quantity"].sum()), 6)
        kpis["committed_orders"] = round(float(orders.loc[committed, "quantity"].sum()), 6)
        kpis["order_lines"] = len(orders)
        if "line_cost" in orders:
            kpis["order_value"] = round(float(orders["line_cost"].sum()), 4)
    value = summary.get("value_of_information") or {}
    for key in ("vss", "evpi"):
        if _finite_number(value.get(key)) is not None:
            kpis[key] = _round(value[key])
    risk = summary.get("risk") or {}
    if isinstance(risk, Mapping) and _finite_number(risk.get("cvar")) is not None:
        kpis["cvar"] = _round(risk["cvar"])
    kpis["bottlenecks"] = len(summary.get("bottlenecks") or [])
    model = summary.get("model") or {}
    kpis["model"] = {k: model[k] for k in ("variables", "constraints", "scenarios") if k in model}
    solver = summary.get("solver") or {}
    if "seconds" in solver:
        kpis["solve_seconds"] = solver["seconds"]
    return kpis


def simulate_kpis(kpis_table: pd.DataFrame) -> dict[str, Any]:
    """The KPIs of a simulate run, from its kpis.csv (one row per policy): every policy under
    `policies`, and the stochastic policy's total_cost, fill_rate and cycle_service_level at
    the top level (they fill the columns)."""
    policies: dict[str, dict[str, Any]] = {}
    for _, row in kpis_table.iterrows():
        values = {}
        for col, value in row.items():
            if col == "policy":
                continue
            f = _finite_number(value)
            values[str(col)] = f if f is not None else (None if _is_nan(value) else value)
        policies[str(row["policy"])] = values
    out: dict[str, Any] = {"policies": policies}
    main = policies.get(POLICY) or (next(iter(policies.values())) if policies else {})
    for key in ("total_cost", "fill_rate", "cycle_service_level"):
        if main.get(key) is not None:
            out[key] = main[key]
    if POLICY in policies:
        out["policy"] = POLICY
    return out


def _is_nan(value: Any) -> bool:
    return isinstance(value, float) and math.isnan(value)


def sweep_kpis(sweep_table: pd.DataFrame, key_columns: list[str]) -> dict[str, Any]:
    """The KPIs of a sweep run, from its sweep.csv: point counts by status, and the cheapest
    planned point's values (its objective, costs, fill rate and orders fill the columns)."""
    statuses = sweep_table["status"].astype(str).value_counts().to_dict()
    out: dict[str, Any] = {"points": len(sweep_table), "statuses": statuses}
    objective = pd.to_numeric(sweep_table.get("objective"), errors="coerce")
    if objective is None or objective.notna().sum() == 0:
        return out
    best = sweep_table.loc[objective.idxmin()]
    out["objective"] = _round(best["objective"])
    out["worst_objective"] = _round(objective.max())
    costs = {k: _round(best[k]) for k in COST_KEYS if k in best.index}
    if costs:
        out["costs"] = costs
        out["total_cost"] = round(sum(v for v in costs.values() if v is not None), 6)
    for key in ("fill_rate", "total_orders", "orders_this_week"):
        if key in best.index and _round(best[key]) is not None:
            out[key] = _round(best[key])
    out["best_point"] = {
        k: best[k].item() if hasattr(best[k], "item") else best[k] for k in key_columns
    }
    return out


def folder_kpis(folder: Path) -> tuple[str, dict[str, Any], dict[str, Any]]:
    """(kind, kpis, summary) of a finished run folder (plan, simulate or sweep)."""
    from planner.compare.runs import PLAN, SIMULATE, load_run, sweep_keys

    run = load_run(Path(folder))
    if run.kind == PLAN:
        return run.kind, plan_kpis(run.summary, run.orders), run.summary
    if run.kind == SIMULATE:
        return run.kind, simulate_kpis(run.kpis), run.summary
    return run.kind, sweep_kpis(run.sweep, sweep_keys(run.sweep)), run.summary


def record_folder(
    folder: Path,
    *,
    db: Path | None = None,
    warn: Callable[[str], None] | None = None,
    strict: bool = False,
) -> str | None:
    """Record a finished run folder (plan, simulate or sweep, told apart by its files) with
    the scenario and dataset fingerprint of its summary.json; returns the run id.

    The one call a command needs after writing its folder: `record_folder(out, warn=con.warn)`.
    Like record_run it warns and returns None instead of failing, unless `strict`.
    """
    try:
        kind, kpis, summary = folder_kpis(folder)
    except Exception as exc:  # never break a finished run
        if strict:
            raise
        _warn_with(warn)(f"the run was not recorded in the history: {type(exc).__name__}: {exc}")
        return None
    status = summary.get("status")
    if status is None and kind == "sweep":
        status = ", ".join(f"{k} {v}" for k, v in kpis["statuses"].items())
    return record_run(
        kind if kind in KINDS else "plan",
        folder,
        scenario=summary.get("scenario") or {},
        fingerprint=summary.get("dataset_fingerprint"),
        kpis=kpis,
        status=str(status if status is not None else "done"),
        db=db,
        warn=warn,
        strict=strict,
    )


def record_plan_run(run: Any, out_dir: Path, *, db: Path | None = None, warn=None) -> str | None:
    """Record a written plan (a pipeline.PlanRun and its folder) in the history."""
    try:
        from planner.pipeline import summary_dict

        summary = summary_dict(run)
        kpis = plan_kpis(summary, run.result.orders)
    except Exception as exc:  # never break a finished run
        _warn_with(warn)(f"the run was not recorded in the history: {type(exc).__name__}: {exc}")
        return None
    return record_run(
        "plan",
        out_dir,
        scenario=summary["scenario"],
        fingerprint=summary.get("dataset_fingerprint"),
        kpis=kpis,
        status=str(summary.get("status")),
        db=db,
        warn=warn,
    )
