"""Extra plan-folder tables the report draws from: recent demand history and capacity use.

    history.csv   week, sku, warehouse, quantity      the last `HISTORY_WEEKS` weeks of demand
    capacity.csv  resource, name, week, capacity, unit, use_mean, use_q0.1, use_q0.9

`capacity.csv` has one row per warehouse-week (volume of end-of-week stock over the scenarios
against the volume capacity the model used, i.e. after stock of unplanned SKUs) and per
supplier-week (expected units ordered against the weekly capacity). An empty capacity means
unlimited. They let `planner report RUN` rebuild the report from the folder alone.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from planner.model.data import ModelData
from planner.results import weighted_quantile

HISTORY_WEEKS = 104
CAPACITY_COLUMNS = (
    "resource",
    "name",
    "week",
    "capacity",
    "unit",
    "use_mean",
    "use_q0.1",
    "use_q0.9",
)


def history_table(
    demand: pd.DataFrame, series: pd.DataFrame, weeks: int = HISTORY_WEEKS
) -> pd.DataFrame:
    """The last `weeks` weeks of weekly demand of the planned series (week, sku, warehouse, quantity)."""
    if demand.empty:
        return pd.DataFrame(columns=["week", "sku", "warehouse", "quantity"])
    last = demand["week"].max()
    first = last - pd.Timedelta(weeks=weeks - 1)
    recent = demand.loc[demand["week"] >= first, ["week", "sku", "warehouse", "quantity"]]
    keys = series[["sku", "warehouse"]].drop_duplicates()
    out = recent.merge(keys, on=["sku", "warehouse"], how="inner")
    out = out.sort_values(["sku", "warehouse", "week"], kind="stable").reset_index(drop=True)
    out["week"] = pd.to_datetime(out["week"]).dt.date
    out["quantity"] = out["quantity"].round(3)
    return out


def _cap_matrix(cap: np.ndarray, n_rows: int, n_weeks: int) -> np.ndarray:
    cap = np.asarray(cap, dtype=float)
    if cap.ndim == 1:
        cap = np.repeat(cap[:, None], n_weeks, axis=1)
    return cap.reshape(n_rows, n_weeks)


def capacity_table(data: ModelData, stock: np.ndarray, orders: pd.DataFrame) -> pd.DataFrame:
    """Capacity against use per warehouse-week and supplier-week (see the module docstring).

    `stock` is the (S, n, T) end-of-week stock of the solution; `orders` is orders.csv.
    """
    T = data.n_weeks
    week_dates = [w.date() for w in data.weeks]
    frames = []
    W = len(data.warehouses)
    if W:
        cap = _cap_matrix(data.warehouse_capacity, W, T)
        onehot = np.zeros((data.n_series, W))
        onehot[np.arange(data.n_series), data.series_warehouse] = data.volume
        vol = np.einsum("snt,nw->swt", stock, onehot)  # (S, W, T)
        frames.append(
            pd.DataFrame(
                {
                    "resource": "warehouse",
                    "name": np.repeat(list(data.warehouses), T),
                    "week": week_dates * W,
                    "capacity": cap.reshape(-1),
                    "unit": "volume",
                    "use_mean": np.tensordot(data.prob, vol, axes=1).reshape(-1),
                    "use_q0.1": weighted_quantile(vol, data.prob, 0.1).reshape(-1),
                    "use_q0.9": weighted_quantile(vol, data.prob, 0.9).reshape(-1),
                }
            )
        )
    Q = len(data.suppliers)
    if Q:
        cap = _cap_matrix(data.supplier_capacity, Q, T)
        use = np.zeros((Q, T))
        if not orders.empty:
            q_index = {s: i for i, s in enumerate(data.suppliers)}
            t_index = {str(w): t for t, w in enumerate(week_dates)}
            by = orders.groupby(["supplier", orders["order_week"].astype(str)])["quantity"].sum()
            for (sup, wk), qty in by.items():
                if sup in q_index and wk in t_index:
                    use[q_index[sup], t_index[wk]] = qty
        frames.append(
            pd.DataFrame(
                {
                    "resource": "supplier",
                    "name": np.repeat(list(data.suppliers), T),
                    "week": week_dates * Q,
                    "capacity": cap.reshape(-1),
                    "unit": "units/week",
                    "use_mean": use.reshape(-1),
                    "use_q0.1": np.nan,
                    "use_q0.9": np.nan,
                }
            )
        )
    if not frames:
        return pd.DataFrame(columns=list(CAPACITY_COLUMNS))
    out = pd.concat(frames, ignore_index=True)
    out["capacity"] = out["capacity"].where(np.isfinite(out["capacity"]))
    return out.round({"capacity": 4, "use_mean": 4, "use_q0.1": 4, "use_q0.9": 4})
