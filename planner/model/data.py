"""ModelData: the plain (numpy/pandas, no Pyomo) inputs of the replenishment model.

Everything the model needs is here, already in model units: weekly costs after multipliers,
demand scenarios, capacities. Tests and benchmarks build a ModelData directly; the Pyomo builder
(`planner.model.build`) and the direct-highspy reference (`benchmarks/reference.py`) both read
only this object.

Index sets
    i  series (one SKU at one warehouse), n of them
    l  lanes (supplier -> SKU at warehouse), each feeding one series
    t  weeks 0..T-1 of the plan
    s  scenarios, probability p_s
An order may be placed on lane l in week t when it arrives within the horizon:
t + L_l <= T-1. Orders in weeks t < F (the frozen weeks) are first-stage decisions, shared by
every scenario; later orders are recourse decisions, one per scenario.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd


@dataclass(frozen=True, eq=False)
class ModelData:
    """Inputs of the two-stage replenishment model (see the module docstring for indices)."""

    weeks: pd.DatetimeIndex  # (T,) Mondays
    series: pd.DataFrame  # (n,) columns sku, warehouse
    lanes: (
        pd.DataFrame
    )  # (nl,) columns supplier, sku, warehouse, lead_time, unit_price, shipping_cost
    lane_series: np.ndarray  # (nl,) int: series fed by the lane
    lane_supplier: np.ndarray  # (nl,) int: index into `suppliers`
    lead_time: np.ndarray  # (nl,) int >= 0
    unit_price: np.ndarray  # (nl,) purchase price per unit
    shipping_cost: np.ndarray  # (nl,) logistics cost per unit
    holding_cost: np.ndarray  # (n,) per unit per week on end-of-week stock
    shortage_cost: np.ndarray  # (n,) per unit short (lost) or per unit-week backlogged
    terminal_value: np.ndarray  # (n,) value per unit of stock at the end of the horizon
    volume: np.ndarray  # (n,) warehouse volume per unit
    series_warehouse: np.ndarray  # (n,) int: index into `warehouses`
    on_hand: np.ndarray  # (n,) stock at the start of week 0
    open_arrivals: np.ndarray  # (n, T) open purchase orders by arrival week
    demand: np.ndarray  # (S, n, T) demand scenarios
    prob: np.ndarray  # (S,) scenario probabilities, sum 1
    warehouses: tuple[str, ...]
    warehouse_capacity: np.ndarray  # (W, T) volume, inf = unlimited; (W,) is broadcast over weeks
    suppliers: tuple[str, ...]
    supplier_capacity: (
        np.ndarray
    )  # (Q, T) units per week over all lanes, inf = unlimited; (Q,) broadcast
    frozen_weeks: int = 1
    backorder: bool = False
    meta: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        S, n, T = self.demand.shape
        for name, size in (
            ("warehouse_capacity", len(self.warehouses)),
            ("supplier_capacity", len(self.suppliers)),
        ):
            cap = np.asarray(getattr(self, name), dtype=float)
            if cap.ndim == 1:
                cap = np.repeat(cap[:, None], T, axis=1)
            if cap.shape != (size, T):
                raise ValueError(
                    f"{name} must have shape ({size},) or ({size}, {T}); got {cap.shape}"
                )
            object.__setattr__(self, name, cap)
        if len(self.weeks) != T or len(self.series) != n:
            raise ValueError("demand shape does not match weeks and series")
        if self.prob.shape != (S,) or abs(float(self.prob.sum()) - 1.0) > 1e-9:
            raise ValueError("scenario probabilities must have one entry per scenario and sum to 1")
        if self.open_arrivals.shape != (n, T):
            raise ValueError("open_arrivals must have shape (series, weeks)")
        nl = len(self.lanes)
        for name in ("lane_series", "lane_supplier", "lead_time", "unit_price", "shipping_cost"):
            if getattr(self, name).shape != (nl,):
                raise ValueError(f"{name} must have one entry per lane")
        if (self.lead_time < 0).any():
            raise ValueError("lead times must be >= 0")

    # ---------------------------------------------------------------- sizes
    @property
    def n_series(self) -> int:
        return int(self.demand.shape[1])

    @property
    def n_weeks(self) -> int:
        return int(self.demand.shape[2])

    @property
    def n_scenarios(self) -> int:
        return int(self.demand.shape[0])

    @property
    def n_lanes(self) -> int:
        return len(self.lanes)

    @property
    def frozen(self) -> int:
        """Number of first-stage weeks (never more than the horizon)."""
        return min(self.frozen_weeks, self.n_weeks)

    # ---------------------------------------------------------------- order index sets
    @cached_property
    def first_stage_orders(self) -> tuple[np.ndarray, np.ndarray]:
        """(lane, week) of every first-stage order variable, lane-major."""
        return self._order_pairs(0, self.frozen)

    @cached_property
    def recourse_orders(self) -> tuple[np.ndarray, np.ndarray]:
        """(lane, week) of every recourse order variable (one copy per scenario), lane-major."""
        return self._order_pairs(self.frozen, self.n_weeks)

    def _order_pairs(self, start: int, stop: int) -> tuple[np.ndarray, np.ndarray]:
        weeks = np.arange(start, stop)
        lane, week = np.meshgrid(np.arange(self.n_lanes), weeks, indexing="ij")
        ok = week + self.lead_time[:, None] <= self.n_weeks - 1
        return lane[ok].astype(np.int64), week[ok].astype(np.int64)

    @property
    def unit_order_cost(self) -> np.ndarray:
        """Purchase plus shipping cost per unit, per lane."""
        return self.unit_price + self.shipping_cost

    def with_scenarios(self, demand: np.ndarray, prob: np.ndarray) -> ModelData:
        """The same model on other demand scenarios (e.g. the EV plan's single mean scenario)."""
        from dataclasses import replace

        return replace(self, demand=np.asarray(demand, float), prob=np.asarray(prob, float))
