"""KPIs of a replayed policy, and the policy-by-policy table (kpis.csv).

total_cost           purchase + logistics + fixed + holding + shortage + transfer + terminal
                     (terminal: minus the plan's terminal value of the stock on hand and in
                     transit at the window's end, so stock bought late is not a pure loss)
fill_rate            demand served in its own week / demand
cycle_service_level  share of SKU-warehouse weeks without unmet demand
avg_on_hand          mean over the weeks of the total end-of-week units on hand
stockout_sku_weeks   SKU-warehouse weeks with unmet demand
turns                cost of the units served / mean stock value on hand, per year
gap_to_oracle        (total_cost - oracle's) / |oracle's|
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from planner.model.data import ModelData
from planner.simulate.engine import COMPONENTS, Trace

KPI_COLUMNS = (
    "policy",
    "total_cost",
    *COMPONENTS,
    "fill_rate",
    "cycle_service_level",
    "avg_on_hand",
    "stockout_sku_weeks",
    "turns",
    "gap_to_oracle",
    "terminal",
    "avg_stock_value",
    "demand",
    "served",
    "short",
    "order_lines",
    "overflow_volume_weeks",
    "cost_per_week",
)
WEEKS_PER_YEAR = 52.0


def trace_kpis(trace: Trace, data: ModelData) -> dict[str, float]:
    """The KPIs of one trace (gap_to_oracle left to `kpi_table`)."""
    _n, N = trace.demand.shape
    unit = np.asarray(data.meta.get("unit_cost", data.terminal_value), float)
    demand = float(trace.demand.sum())
    short = float(trace.short.sum())
    stock_value = (trace.on_hand_end * unit[:, None]).sum(axis=0)  # (N,)
    cogs = float((trace.served * unit[:, None]).sum())
    avg_value = float(stock_value.mean())
    total = trace.total_cost
    out = {k: float(trace.costs[k].sum()) for k in COMPONENTS}
    out.update(
        total_cost=total,
        fill_rate=1.0 - short / demand if demand > 0 else 1.0,
        cycle_service_level=float((trace.short <= 1e-6).mean()),
        avg_on_hand=float(trace.on_hand_end.sum(axis=0).mean()),
        stockout_sku_weeks=float((trace.short > 1e-6).sum()),
        turns=cogs / avg_value * WEEKS_PER_YEAR / N if avg_value > 0 else float("inf"),
        terminal=trace.terminal,
        avg_stock_value=avg_value,
        demand=demand,
        served=float(trace.served.sum()),
        short=short,
        order_lines=float((trace.orders > 0).sum()),
        overflow_volume_weeks=float(trace.overflow.sum()),
        cost_per_week=total / N,
    )
    return out


def kpi_table(rows: list[dict]) -> pd.DataFrame:
    """kpis.csv: one row per policy (averaged over replications when there are several)."""
    frame = pd.DataFrame(rows)
    if "replication" in frame and frame["replication"].nunique() > 1:
        order = list(dict.fromkeys(frame["policy"]))
        frame = (
            frame.drop(columns="replication")
            .groupby("policy", sort=False)
            .mean(numeric_only=True)
            .reindex(order)
            .reset_index()
        )
    frame = frame.drop(columns=[c for c in ("replication",) if c in frame])
    frame["gap_to_oracle"] = np.nan
    oracle = frame.loc[frame["policy"] == "oracle", "total_cost"]
    if len(oracle):
        ref = float(oracle.iloc[0])
        frame["gap_to_oracle"] = (frame["total_cost"] - ref) / abs(ref) if ref else np.nan
    cols = [c for c in KPI_COLUMNS if c in frame] + [c for c in frame if c not in KPI_COLUMNS]
    return frame[cols]


def format_kpis(table: pd.DataFrame) -> str:
    """The KPI table as printed: money rounded, rates as percentages."""
    show = pd.DataFrame({"policy": table["policy"]})

    def money(v: float) -> str:
        return f"{round(v):,}" if np.isfinite(v) else ""

    for col in ("total_cost", "purchase", "logistics", "holding", "shortage", "transfer"):
        show[col] = table[col].map(money)
    if (table["fixed"] > 0).any():
        show["fixed"] = table["fixed"].map(money)
    show["terminal"] = table["terminal"].map(money)
    show["fill"] = table["fill_rate"].map(lambda v: f"{100 * v:.1f}%")
    show["CSL"] = table["cycle_service_level"].map(lambda v: f"{100 * v:.1f}%")
    show["avg_on_hand"] = table["avg_on_hand"].map(money)
    show["stockout_wks"] = table["stockout_sku_weeks"].map(money)
    show["turns"] = table["turns"].map(lambda v: f"{v:.1f}")
    show["vs_oracle"] = table["gap_to_oracle"].map(
        lambda v: "" if not np.isfinite(v) else f"{100 * v:+.1f}%"
    )
    return show.to_string(index=False)
