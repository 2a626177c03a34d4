"""The replay's pictures (matplotlib, Agg): cumulative cost, stock and service by policy.

    cumulative_cost.png  cumulative realised cost over the weeks, one line per policy
    stock.png            units on hand at the end of each week, one line per policy
    service.png          fill rate per week by policy, and the window's fill rate and cycle
                         service level per policy
With several replications the weekly lines are the means over the replications.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from planner.output import atomic_write

COLORS = {
    "stochastic": "#1b7837",
    "deterministic": "#2166ac",
    "base_stock": "#b2182b",
    "sS": "#e08214",
    "oracle": "#555555",
}


def _by_week(weekly: pd.DataFrame) -> pd.DataFrame:
    keys = ["policy", "week"] + (["replication"] if "replication" in weekly else [])
    per = weekly.groupby(keys, sort=False)[
        ["demand", "served", "short", "on_hand_end", "cost"]
    ].sum()
    per = per.reset_index()
    return per.groupby(["policy", "week"], sort=False).mean(numeric_only=True).reset_index()


def _save(fig, path: Path) -> None:
    atomic_write(path, lambda tmp: fig.savefig(tmp, format="png", dpi=110, bbox_inches="tight"))


def write_plots(weekly: pd.DataFrame, kpis: pd.DataFrame, out: Path) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    per = _by_week(weekly)
    per["week"] = pd.to_datetime(per["week"])
    paths = []
    fig, ax = plt.subplots(figsize=(8, 4.5))
    for policy, grp in per.groupby("policy", sort=False):
        ax.plot(grp["week"], grp["cost"].cumsum(), label=policy, color=COLORS.get(policy))
    ax.set_title("Cumulative realised cost")
    ax.set_ylabel("cost")
    ax.legend()
    ax.grid(alpha=0.3)
    fig.autofmt_xdate()
    paths.append(out / "cumulative_cost.png")
    _save(fig, paths[-1])
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(8, 4.5))
    for policy, grp in per.groupby("policy", sort=False):
        ax.plot(grp["week"], grp["on_hand_end"], label=policy, color=COLORS.get(policy))
    ax.set_title("Units on hand at the end of the week")
    ax.set_ylabel("units")
    ax.legend()
    ax.grid(alpha=0.3)
    fig.autofmt_xdate()
    paths.append(out / "stock.png")
    _save(fig, paths[-1])
    plt.close(fig)

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4.5), width_ratios=[2, 1])
    for policy, grp in per.groupby("policy", sort=False):
        fill = 1.0 - grp["short"] / grp["demand"].where(grp["demand"] > 0)
        ax1.plot(grp["week"], 100 * fill, label=policy, color=COLORS.get(policy))
    ax1.set_title("Fill rate per week")
    ax1.set_ylabel("%")
    ax1.legend()
    ax1.grid(alpha=0.3)
    x = range(len(kpis))
    ax2.bar([i - 0.2 for i in x], 100 * kpis["fill_rate"], width=0.4, label="fill rate")
    ax2.bar([i + 0.2 for i in x], 100 * kpis["cycle_service_level"], width=0.4, label="CSL")
    ax2.set_xticks(list(x), kpis["policy"], rotation=30)
    lo = 100 * min(kpis["fill_rate"].min(), kpis["cycle_service_level"].min())
    ax2.set_ylim(max(0.0, lo - 5), 100.5)
    ax2.set_title("Service over the window")
    ax2.legend(loc="lower right")
    fig.autofmt_xdate()
    paths.append(out / "service.png")
    _save(fig, paths[-1])
    plt.close(fig)
    return paths
