"""Order differences between plan runs: line by line, and by supplier, SKU and order week.

The first run is the base: every difference is `run - base`. Order lines are matched on
(supplier, sku, warehouse, order_week); a line missing from a run counts as 0 there.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

KEYS = ["supplier", "sku", "warehouse", "order_week"]
TOL = 1e-6  # quantities closer than this are the same


def diff_columns(labels: list[str]) -> dict[str, str]:
    """The difference column of each non-base run: `diff` for two runs, `diff_<label>` else."""
    others = labels[1:]
    if len(others) == 1:
        return {others[0]: "diff"}
    return {label: f"diff_{label}" for label in others}


def _change(base: pd.Series, other: pd.Series, tolerance: float = TOL) -> pd.Series:
    """added / removed / increased / decreased, or unchanged when |other - base| <= tolerance."""
    delta = other - base
    moved = delta.abs() > max(tolerance, TOL)
    out = np.select(
        [
            moved & (base.abs() <= TOL),
            moved & (other.abs() <= TOL),
            moved & (delta > 0),
            moved & (delta < 0),
        ],
        ["added", "removed", "increased", "decreased"],
        default="unchanged",
    )
    return pd.Series(out, index=base.index)


def order_lines(orders: dict[str, pd.DataFrame], tolerance: float = TOL) -> pd.DataFrame:
    """compare.csv: supplier, sku, warehouse, order_week, committed, quantity_<run>...,
    the differences against the base run, line_cost_<run>... and, for two runs, `change`
    (added, removed, increased, decreased, or unchanged when the quantities differ by at most
    `tolerance` units).

    `orders` maps each run label to its orders.csv, base first.
    """
    labels = list(orders)
    merged: pd.DataFrame | None = None
    for label, frame in orders.items():
        cols = {"quantity": f"quantity_{label}"}
        agg = {"quantity": "sum"}
        if "line_cost" in frame:
            cols["line_cost"] = f"line_cost_{label}"
            agg["line_cost"] = "sum"
        if "committed" in frame:
            cols["committed"] = f"committed_{label}"
            agg["committed"] = "max"
        part = frame.groupby(KEYS, as_index=False).agg(agg).rename(columns=cols)
        merged = part if merged is None else merged.merge(part, on=KEYS, how="outer")
    assert merged is not None
    qty = [f"quantity_{label}" for label in labels]
    merged[qty] = merged[qty].fillna(0.0)
    committed = [c for c in merged.columns if c.startswith("committed_")]
    merged["committed"] = merged[committed].eq(True).any(axis=1) if committed else False
    out = merged[[*KEYS, "committed", *qty]].copy()
    base = out[f"quantity_{labels[0]}"]
    for label, col in diff_columns(labels).items():
        out[col] = (out[f"quantity_{label}"] - base).round(6)
    if len(labels) == 2:
        out["change"] = _change(base, out[f"quantity_{labels[1]}"], tolerance)
    for label in labels:
        col = f"line_cost_{label}"
        if col in merged:
            out[col] = merged[col].fillna(0.0)
    return out.sort_values(KEYS, kind="stable").reset_index(drop=True)


def orders_by(lines: pd.DataFrame, labels: list[str], by: str) -> pd.DataFrame:
    """Totals per `by` (supplier, sku or order_week): quantity_<run>, value_<run> and the
    quantity and value differences against the base run."""
    qty = [f"quantity_{label}" for label in labels]
    cost = [f"line_cost_{label}" for label in labels if f"line_cost_{label}" in lines]
    table = lines.groupby(by, as_index=False)[qty + cost].sum()
    table = table.rename(columns={f"line_cost_{label}": f"value_{label}" for label in labels})
    base_q = table[f"quantity_{labels[0]}"]
    for label, col in diff_columns(labels).items():
        table[col] = (table[f"quantity_{label}"] - base_q).round(6)
        if f"value_{label}" in table and f"value_{labels[0]}" in table:
            value_col = "value_diff" if col == "diff" else f"value_diff_{label}"
            table[value_col] = (table[f"value_{label}"] - table[f"value_{labels[0]}"]).round(6)
    return table.sort_values(by, kind="stable").reset_index(drop=True)


def changed(lines: pd.DataFrame, labels: list[str], tolerance: float = TOL) -> pd.DataFrame:
    """The lines that differ from the base by more than `tolerance` units in at least one run,
    largest change first."""
    diffs = list(diff_columns(labels).values())
    size = lines[diffs].abs().max(axis=1)
    moved = size > max(tolerance, TOL)
    keep = lines[moved].copy()
    keep["_size"] = size[moved]
    keep = keep.sort_values(["_size", *KEYS], ascending=[False] + [True] * len(KEYS))
    return keep.drop(columns="_size").reset_index(drop=True)
