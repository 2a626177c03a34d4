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


@dataclass(frozen=True)
class Transfers:
    """Transfer routes between two series of one SKU (from one warehouse to another)."""

    from_series: np.ndarray  # (nr,) int
    to_series: np.ndarray  # (nr,) int
    cost: np.ndarray  # (nr,) per unit
    lead_time: np.ndarray  # (nr,) int >= 0

    def __len__(self) -> int:
        return len(self.from_series)


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
    # lot sizing per lane: fixed cost per order placed, minimum order quantity, order multiple
    fixed_order_cost: np.ndarray | None = None  # (nl,) default 0
    moq: np.ndarray | None = None  # (nl,) default 0
    order_multiple: np.ndarray | None = None  # (nl,) default 0 = any quantity
    # realised lead time of each lane in each scenario (stochastic lead times); None = lead_time
    lead_time_scenarios: np.ndarray | None = None  # (nl, S) int
    transfers: Transfers | None = None
    budget_per_week: float | None = None  # purchase value (unit price x quantity) per week
    service_level: float | None = None  # minimum expected fill rate per SKU
    service_from_week: np.ndarray | None = None  # (n,) first week the fill-rate target covers
    cvar_alpha: float = 0.95
    cvar_weight: float = 0.0
    # lot-sizing integrality of recourse orders: False relaxes it (binaries in [0, 1], lots
    # continuous) so only the committed first-stage orders are integer: much faster, and the
    # tentative orders of later weeks are re-decided every week anyway
    integer_recourse: bool = False
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
        for name in ("fixed_order_cost", "moq", "order_multiple"):
            arr = getattr(self, name)
            arr = np.zeros(nl) if arr is None else np.asarray(arr, dtype=float)
            if arr.shape != (nl,) or (arr < 0).any():
                raise ValueError(f"{name} must have one non-negative entry per lane")
            object.__setattr__(self, name, arr)
        if self.lead_time_scenarios is not None:
            lts = np.asarray(self.lead_time_scenarios, dtype=np.int64)
            if lts.shape != (nl, S) or (lts < 0).any():
                raise ValueError("lead_time_scenarios must have shape (lanes, scenarios), >= 0")
            object.__setattr__(self, "lead_time_scenarios", lts)

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
    def stochastic_lead_times(self) -> bool:
        return self.lead_time_scenarios is not None and bool(
            (self.lead_time_scenarios != self.lead_time[:, None]).any()
        )

    def arrival_lead(self) -> np.ndarray:
        """Lead time of each lane in each scenario, (nl, S)."""
        if self.lead_time_scenarios is not None:
            return self.lead_time_scenarios
        return np.repeat(self.lead_time[:, None], self.n_scenarios, axis=1)

    @property
    def has_lot_sizing(self) -> bool:
        return bool(
            (self.fixed_order_cost > 0).any()
            or (self.moq > 0).any()
            or (self.order_multiple > 0).any()
        )

    @property
    def unit_order_cost(self) -> np.ndarray:
        """Purchase plus shipping cost per unit, per lane."""
        return self.unit_price + self.shipping_cost

    def with_scenarios(self, demand: np.ndarray, prob: np.ndarray) -> ModelData:
        """The same model on other demand scenarios (e.g. the EV plan's single mean scenario)."""
        from dataclasses import replace

        demand = np.asarray(demand, float)
        prob = np.asarray(prob, float)
        lts = self.lead_time_scenarios
        if lts is not None and lts.shape[1] != len(prob):
            # a different scenario set: the mean scenario keeps the nominal lead times
            lts = None
        return replace(self, demand=demand, prob=prob, lead_time_scenarios=lts)
