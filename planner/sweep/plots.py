"""The sweep's pictures (PNG, matplotlib Agg): the tornado chart and the cost curves."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from planner.results import COST_KEYS

OK = ("optimal", "time_limit_feasible")
MAX_LINES = 8


def _pyplot():
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


def _save(fig, path: Path) -> None:
    from planner.output import atomic_write

    atomic_write(path, lambda tmp: fig.savefig(tmp, format="png", dpi=110, bbox_inches="tight"))


def _value_text(v) -> str:
    return f"{v:g}" if isinstance(v, float | int | np.floating | np.integer) else str(v)


def plot_tornado(tornado: pd.DataFrame, path: Path, title: str = "") -> bool:
    """Objective swing per parameter: a bar from the base objective to the objective at the low
    factor and one to the high factor, largest swing on top. False when nothing to draw."""
    t = tornado.dropna(subset=["base_objective"])
    if t.empty:
        return False
    plt = _pyplot()
    base = float(t["base_objective"].iloc[0])
    t = t.iloc[::-1]  # largest swing at the top
    y = np.arange(len(t))
    low = t["low_objective"].to_numpy(float) - base
    high = t["high_objective"].to_numpy(float) - base
    fig, ax = plt.subplots(figsize=(8, 0.55 * len(t) + 1.6))
    ax.barh(y, np.nan_to_num(low), color="#4c78a8", label="low factor")
    ax.barh(y, np.nan_to_num(high), color="#f58518", alpha=0.85, label="high factor")
    labels = [
        f"{p}  [{_value_text(lo)} / {_value_text(hi)}]"
        for p, lo, hi in zip(t["parameter"], t["low_value"], t["high_value"], strict=True)
    ]
    ax.set_yticks(y, labels)
    ax.axvline(0, color="black", lw=0.8)
    ax.set_xlabel(f"expected cost - base ({base:,.0f})")
    ax.set_title(f"Tornado: expected cost swing{' - ' + title if title else ''}")
    ax.legend(loc="lower right", fontsize=8)
    ax.grid(axis="x", alpha=0.3)
    _save(fig, path)
    plt.close(fig)
    return True


def _positions(values: pd.Series) -> tuple[np.ndarray, list[str] | None]:
    """x positions of a key's values: the numbers themselves, or 0..n-1 with labels."""
    num = pd.to_numeric(values, errors="coerce")
    if num.notna().all():
        return num.to_numpy(float), None
    cats = list(dict.fromkeys(values.astype(str)))
    return np.array([cats.index(v) for v in values.astype(str)], float), cats


def plot_cost_curves(table: pd.DataFrame, keys: list[str], path: Path) -> bool:
    """For each varied key: the objective (one line per combination of the other keys), the
    cost components, and fill rate with total orders, at the first values of the other keys."""
    ok = table[table["status"].isin(OK)]
    if ok.empty or not keys:
        return False
    plt = _pyplot()
    fig, axes = plt.subplots(len(keys), 3, figsize=(15, 4 * len(keys)), squeeze=False)
    components = [
        c for c in COST_KEYS if c in ok.columns and np.nanmax(np.abs(ok[c].to_numpy(float))) > 1e-9
    ]
    for r, key in enumerate(keys):
        others = [k for k in keys if k != key]
        ax_obj, ax_cost, ax_service = axes[r]
        groups = list(ok.groupby(others, sort=False, dropna=False)) if others else [((), ok)]
        for n, (combo, part) in enumerate(groups[:MAX_LINES]):
            part = part.sort_values(key, kind="stable")
            x, cats = _positions(part[key])
            order = np.argsort(x, kind="stable")
            combo = combo if isinstance(combo, tuple) else (combo,)
            label = ", ".join(f"{k}={_value_text(v)}" for k, v in zip(others, combo, strict=True))
            ax_obj.plot(x[order], part["objective"].to_numpy(float)[order], "o-", label=label)
            if n == 0:
                for c in components:
                    ax_cost.plot(x[order], part[c].to_numpy(float)[order], "o-", label=c)
                ax_service.plot(
                    x[order], part["fill_rate"].to_numpy(float)[order], "o-", color="#2ca02c"
                )
                twin = ax_service.twinx()
                twin.plot(
                    x[order],
                    part["total_orders"].to_numpy(float)[order],
                    "s--",
                    color="#9467bd",
                )
                twin.set_ylabel("total orders (units)", color="#9467bd")
                at = f" ({label})" if label else ""
                ax_cost.set_title(f"cost components vs {key}{at}", fontsize=9)
                ax_service.set_title(f"fill rate and total orders vs {key}{at}", fontsize=9)
                for ax in (ax_obj, ax_cost, ax_service):
                    if cats is not None:
                        ax.set_xticks(range(len(cats)), cats)
        ax_obj.set_title(f"expected cost vs {key}", fontsize=9)
        ax_obj.set_ylabel("expected cost")
        ax_cost.set_ylabel("expected cost")
        ax_service.set_ylabel("fill rate", color="#2ca02c")
        for ax in (ax_obj, ax_cost, ax_service):
            ax.set_xlabel(key)
            ax.grid(alpha=0.3)
        if others:
            ax_obj.legend(fontsize=7)
        ax_cost.legend(fontsize=7)
    fig.tight_layout()
    _save(fig, path)
    plt.close(fig)
    return True
