"""Index layout of the model: which flat variable index means which (lane, week, scenario).

Variables are indexed by flat integers for speed. First-stage families have no scenario
index; recourse families are laid out scenario-major: index = s * block + position.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from planner.model.data import ModelData


@dataclass(frozen=True)
class Layout:
    n: int  # series
    T: int  # weeks
    S: int  # scenarios
    fs_lane: np.ndarray  # first-stage order k -> lane
    fs_week: np.ndarray  # first-stage order k -> week
    rc_lane: np.ndarray  # recourse order pair p -> lane (variable index s * n_rc + p)
    rc_week: np.ndarray  # recourse order pair p -> week
    overflow_wt: np.ndarray  # (n_ov, 2) warehouse, week of each overflow variable per scenario
    fs_setup: np.ndarray  # first-stage orders k needing an order-placed binary (fixed cost or MOQ)
    rc_setup: np.ndarray  # recourse pairs p needing one (per scenario)
    fs_lots: np.ndarray  # first-stage orders k with an order multiple
    rc_lots: np.ndarray  # recourse pairs p with an order multiple
    tr_route: np.ndarray  # transfer pair q -> route (variable index s * n_tr + q)
    tr_week: np.ndarray  # transfer pair q -> week it leaves
    big_m: np.ndarray  # (nl,) largest order that can make sense on a lane

    @property
    def n_fs(self) -> int:
        return len(self.fs_lane)

    @property
    def n_rc(self) -> int:
        return len(self.rc_lane)

    @property
    def n_tr(self) -> int:
        return len(self.tr_route)

    def stock_index(self, s: int, i: int, t: int) -> int:
        """Flat index of I_{i,t,s} (also of U/B_{i,t,s} and of the balance row)."""
        return (s * self.n + i) * self.T + t


def forced_overflow(data: ModelData) -> np.ndarray:
    """Warehouse-weeks where on-hand stock plus open orders alone may exceed the capacity."""
    cap = data.warehouse_capacity
    if not np.isfinite(cap).any():
        return np.zeros((0, 2), dtype=np.int64)
    forced_units = data.on_hand[:, None] + np.cumsum(data.open_arrivals, axis=1)  # zero demand
    vol = np.zeros((len(data.warehouses), data.n_weeks))
    np.add.at(vol, data.series_warehouse, forced_units * data.volume[:, None])
    w, t = np.nonzero(vol > cap + 1e-9)
    return np.column_stack([w, t]).astype(np.int64)


def order_bound(data: ModelData) -> np.ndarray:
    """Per lane, an order size no optimal plan exceeds: the SKU's largest total demand over the
    horizon in any scenario (stock beyond it can only be left over), plus the lot rules."""
    sku_codes, sku_of_series = np.unique(data.series["sku"].to_numpy(), return_inverse=True)
    total = data.demand.sum(axis=2)  # (S, n)
    per_sku = np.zeros((data.n_scenarios, len(sku_codes)))
    np.add.at(per_sku, (slice(None), sku_of_series), total)
    bound = per_sku.max(axis=0)[sku_of_series[data.lane_series]]
    return np.ceil(bound + data.moq + data.order_multiple + 1.0)


def make_layout(data: ModelData) -> Layout:
    fs_lane, fs_week = data.first_stage_orders
    rc_lane, rc_week = data.recourse_orders
    setup = (data.fixed_order_cost > 0) | (data.moq > 0)
    lots = data.order_multiple > 0
    tr = data.transfers
    if tr is not None and len(tr):
        route, week = np.meshgrid(np.arange(len(tr)), np.arange(data.n_weeks), indexing="ij")
        ok = week + tr.lead_time[:, None] <= data.n_weeks - 1
        tr_route, tr_week = route[ok].astype(np.int64), week[ok].astype(np.int64)
    else:
        tr_route = tr_week = np.zeros(0, dtype=np.int64)
    return Layout(
        n=data.n_series,
        T=data.n_weeks,
        S=data.n_scenarios,
        fs_lane=fs_lane,
        fs_week=fs_week,
        rc_lane=rc_lane,
        rc_week=rc_week,
        overflow_wt=forced_overflow(data),
        fs_setup=np.flatnonzero(setup[fs_lane]),
        rc_setup=np.flatnonzero(setup[rc_lane]),
        fs_lots=np.flatnonzero(lots[fs_lane]),
        rc_lots=np.flatnonzero(lots[rc_lane]),
        tr_route=tr_route,
        tr_week=tr_week,
        big_m=order_bound(data),
    )
