"""The demand a replay is scored on.

Sales are censored in stockout weeks (what was sold, not what was asked for). When the dataset
folder has a `demand_true` table beside the sales (`date`, `sku`, `warehouse`, `quantity`; the
demo generator writes one), that is the truth. Otherwise the recorded sales are, and the replay
says so: where the history had stockouts, every policy is scored on too little demand.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from planner.data import Dataset
from planner.errors import InputError, Problem

TRUTH_TABLE = "demand_true"


def _read_truth(dataset: Dataset) -> tuple[pd.DataFrame | None, str]:
    for ext in ("csv", "parquet"):
        path = dataset.folder / f"{TRUTH_TABLE}.{ext}"
        if path.exists():
            frame = pd.read_csv(path) if ext == "csv" else pd.read_parquet(path)
            missing = {"date", "sku", "warehouse", "quantity"} - set(frame.columns)
            if missing:
                raise InputError(
                    [
                        Problem(
                            str(path),
                            f"missing column(s) {sorted(missing)}",
                            fix="give date, sku, warehouse and quantity (the true weekly demand)",
                        )
                    ]
                )
            return frame, str(path)
    return None, ""


def true_demand(dataset: Dataset, weeks: pd.DatetimeIndex) -> tuple[np.ndarray, str]:
    """(n, N) true demand per series (`dataset.series` order) and week, and a note for the
    planner (empty when the truth table covers every series-week)."""
    key = pd.MultiIndex.from_frame(dataset.series)
    sales = (
        dataset.demand.pivot_table(
            index=["sku", "warehouse"], columns="week", values="quantity", aggfunc="sum"
        )
        .reindex(key)
        .reindex(columns=weeks)
        .to_numpy(float)
    )
    sales = np.nan_to_num(sales, nan=0.0)
    frame, path = _read_truth(dataset)
    if frame is None:
        censored = int(
            dataset.demand.loc[dataset.demand["week"].isin(weeks), "stockout"].astype(bool).sum()
        )
        note = "no demand_true table: the replay is scored on the recorded sales"
        if censored:
            note += f" ({censored} stockout week(s) in the window understate the demand)"
        return sales, note
    dates = pd.to_datetime(frame["date"], errors="coerce")
    bad = np.flatnonzero(
        dates.isna().to_numpy() | (pd.to_numeric(frame["quantity"], errors="coerce") < 0).to_numpy()
    )
    if len(bad):
        raise InputError(
            [
                Problem(
                    path,
                    "dates that do not parse or negative quantities",
                    rows=tuple(int(r) + 2 for r in bad[:20]),
                    fix="give ISO dates and quantities >= 0",
                )
            ]
        )
    week = dates - pd.to_timedelta(dates.dt.day_of_week, unit="D")
    grid = (
        frame.assign(week=week.dt.normalize(), quantity=pd.to_numeric(frame["quantity"]))
        .pivot_table(index=["sku", "warehouse"], columns="week", values="quantity", aggfunc="sum")
        .reindex(key)
        .reindex(columns=weeks)
        .to_numpy(float)
    )
    missing = np.isnan(grid)
    truth = np.where(missing, sales, grid)
    note = ""
    if missing.any():
        note = (
            f"{TRUTH_TABLE} has no value for {int(missing.sum())} series-week(s) of the window: "
            "the recorded sales are used there"
        )
    return truth, note
