"""The sweep's tables: one sweep.csv row per point, and the tornado's swings.

sweep.csv: one column per varied key (named by its key path; a tornado lead-time change is
`lead_time.<supplier>.add_weeks`), `status`, `objective`, the cost components (`purchase`,
`logistics`, `fixed`, `holding`, `shortage`, `transfer`, `terminal`), `fill_rate`,
`total_orders` (units ordered over the horizon: committed plus expected tentative orders),
`orders_this_week` (units to order in the first planning week), `bottlenecks` (binding
capacities with their largest shadow price) and `run_dir` (the point's plan run folder).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from planner.results import COST_KEYS

PENDING = "pending"  # not run yet (an interrupted sweep keeps these rows to be resumed)
OUTCOME_COLUMNS = (
    "status",
    "objective",
    *COST_KEYS,
    "fill_rate",
    "total_orders",
    "orders_this_week",
    "bottlenecks",
    "run_dir",
)


def bottleneck_text(bottlenecks: Sequence[dict]) -> str:
    """`supplier S-LOCAL (0.39); warehouse W1 (1.20)`: what binds, with its top shadow price."""
    parts = []
    for b in bottlenecks:
        kind = str(b.get("constraint", "")).removesuffix("_capacity")
        name = "" if kind == "budget" else f" {b.get('name', '')}"
        parts.append(f"{kind}{name} ({float(b.get('max_shadow_price', 0.0)):.2f})")
    return "; ".join(parts)


def plan_outcome(run) -> dict[str, Any]:
    """The outcome columns of a finished plan (a planner.pipeline.PlanRun)."""
    r = run.result
    orders = r.orders
    first_week = run.model_data.weeks[0].date()
    this_week = orders.loc[orders["order_week"] == first_week, "quantity"].sum()
    row: dict[str, Any] = {
        "status": run.solve.status.value,
        "objective": round(float(r.objective), 4),
    }
    for k in COST_KEYS:
        row[k] = round(float(r.costs.get(k, 0.0)), 4)
    row["fill_rate"] = round(float(r.fill_rate), 6)
    row["total_orders"] = round(float(orders["quantity"].sum()), 4)
    row["orders_this_week"] = round(float(this_week), 4)
    row["bottlenecks"] = bottleneck_text(r.bottlenecks)
    return row


def failed_outcome(status: str) -> dict[str, Any]:
    row: dict[str, Any] = {c: np.nan for c in OUTCOME_COLUMNS}
    row.update(status=status, bottlenecks="", run_dir="")
    return row


def sweep_frame(columns: Sequence[str], rows: Sequence[dict[str, Any]]) -> pd.DataFrame:
    """sweep.csv as a frame: the key columns, then the outcome columns, one row per point."""
    frame = pd.DataFrame(list(rows), columns=[*columns, *OUTCOME_COLUMNS])
    return frame.reset_index(drop=True)


def tornado_frame(
    params: Sequence[dict], rows_by_point: dict[int, dict], refs: dict
) -> pd.DataFrame:
    """One row per tornado parameter: its low/high values, the objective at the base, low and
    high points, and the swing |high - low|; largest swing first. Points without a plan (not
    run, infeasible) leave their objective empty."""

    def objective(pid: int | None) -> float:
        row = rows_by_point.get(pid) if pid is not None else None
        if row is None:
            return np.nan
        value = row.get("objective")
        return float(value) if value is not None and value == value else np.nan

    base = objective(refs.get(("base", "")))
    out = []
    for p in params:
        low = objective(refs.get((p["parameter"], "low")))
        high = objective(refs.get((p["parameter"], "high")))
        out.append(
            {
                "parameter": p["parameter"],
                "column": p["column"],
                "base_value": p["base"],
                "low_value": p["low"],
                "high_value": p["high"],
                "base_objective": base,
                "low_objective": low,
                "high_objective": high,
                "swing": abs(high - low),
            }
        )
    frame = pd.DataFrame(out)
    if frame.empty:
        return frame
    return frame.sort_values(
        "swing", ascending=False, kind="stable", na_position="last"
    ).reset_index(drop=True)
