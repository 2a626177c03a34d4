"""The closed loop: simulated stock and pipeline, one realised week at a time.

Every week j of the replay window, for one policy:

    1. the policy sees the state (on hand, backlog, open orders by arrival week) and the week's
       forecast, never the demand, and returns orders per lane and transfers per route;
    2. orders are placed: purchase, logistics and fixed order costs are paid now; each arrives
       after its lane's lead time (the realised one when lead times vary);
    3. what is due this week is received (orders and transfers);
    4. the week's true demand is served from on hand + receipts (backlog first with
       backorders); what cannot be served is lost, or backlogged;
    5. transfers leave from what is left; holding is charged on the end-of-week stock and
       shortage on the units lost (or the units backlogged at the week's end).

    conservation   on_hand_end = on_hand_start + received - served - transferred_out
    backorders     backlog_end = backlog_start + demand - served

The costs are the plan's components (purchase, logistics, fixed, holding, shortage,
transfer) at the plan's prices (the `ModelData` the network was built from), so a simulated
week compares with a planned one. At the window's end, stock on hand and in transit is
credited at the plan's terminal value (`terminal`, negative): the same valuation as the plan's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
import pandas as pd

from planner.model.data import ModelData

COMPONENTS = ("purchase", "logistics", "fixed", "holding", "shortage", "transfer")
EPS = 1e-9


@dataclass(frozen=True, eq=False)
class Network:
    """The static supply network of a replay: a `ModelData` (its lanes, costs, capacities,
    lot rules, transfers; demand and dates unused) plus the realised lead time of every lane
    in every replay week (the same draw for every policy)."""

    data: ModelData
    lead: np.ndarray  # (nl, N) realised lead time of an order placed on lane l in week j

    @property
    def n(self) -> int:
        return self.data.n_series

    @property
    def n_lanes(self) -> int:
        return self.data.n_lanes

    @property
    def n_routes(self) -> int:
        return 0 if self.data.transfers is None else len(self.data.transfers)

    @property
    def horizon(self) -> int:
        return int(self.lead.shape[1])

    @property
    def max_lead(self) -> int:
        tr = self.data.transfers
        tr_lead = int(tr.lead_time.max(initial=0)) if tr is not None and len(tr) else 0
        return int(max(self.lead.max(initial=0), self.data.lead_time.max(initial=0), tr_lead))

    def warehouse_capacity(self) -> np.ndarray:
        """(W,) volume per warehouse (inf = unlimited)."""
        return self.data.warehouse_capacity[:, 0]

    def supplier_capacity(self) -> np.ndarray:
        """(Q,) units per week per supplier (inf = unlimited)."""
        return self.data.supplier_capacity[:, 0]


def realised_leads(data: ModelData, weeks: int, seed: int) -> np.ndarray:
    """(nl, N): nominal lead times, or round(L + sd z) >= 0 where the lane's lead time varies.

    `sd` is taken from the lanes table (`lead_time_sd_weeks`) when present."""
    lead = np.repeat(data.lead_time[:, None], weeks, axis=1).astype(np.int64)
    if "lead_time_sd_weeks" not in data.lanes:
        return lead
    sd = data.lanes["lead_time_sd_weeks"].to_numpy(float)
    if not (sd > 0).any():
        return lead
    z = np.random.default_rng([seed, 0x51D]).standard_normal(lead.shape)
    return np.maximum(0, np.rint(lead + sd[:, None] * z)).astype(np.int64)


@dataclass
class SimState:
    """What stands at the start of a week: stock, backlog and every open arrival."""

    week: int  # index of the replay week about to start
    on_hand: np.ndarray  # (n,)
    backlog: np.ndarray  # (n,)
    arrivals: np.ndarray  # (n, N + max lead + 1) open arrivals by absolute replay week

    def copy(self) -> SimState:
        return SimState(self.week, self.on_hand.copy(), self.backlog.copy(), self.arrivals.copy())

    def pipeline(self, weeks: int) -> np.ndarray:
        """(n, weeks) open arrivals due in this and the next weeks (zero beyond the array)."""
        out = np.zeros((self.on_hand.shape[0], weeks))
        part = self.arrivals[:, self.week : self.week + weeks]
        out[:, : part.shape[1]] = part
        return out

    def in_transit(self) -> np.ndarray:
        """(n,) everything still to arrive from this week on."""
        return self.arrivals[:, self.week :].sum(axis=1)

    def position(self) -> np.ndarray:
        """(n,) inventory position: on hand + on order - backlog."""
        return self.on_hand + self.in_transit() - self.backlog


def initial_state(
    n: int, weeks: int, max_lead: int, on_hand: np.ndarray, open_arrivals: np.ndarray
) -> SimState:
    """State at the start of week 0; `open_arrivals` (n, k) are due in weeks 0..k-1."""
    arrivals = np.zeros((n, weeks + max_lead + 2))
    k = min(open_arrivals.shape[1], arrivals.shape[1])
    arrivals[:, :k] = open_arrivals[:, :k]
    return SimState(0, np.asarray(on_hand, float).copy(), np.zeros(n), arrivals)


@dataclass
class Decision:
    """What a policy does in a week: units per lane, and per transfer route (leaving now)."""

    orders: np.ndarray  # (nl,)
    transfers: np.ndarray | None = None  # (nr,)


class Policy(Protocol):
    name: str

    def decide(self, week: int, state: SimState) -> Decision: ...


@dataclass
class Trace:
    """Everything that happened to one policy, per series and week (n, N) unless noted."""

    policy: str
    demand: np.ndarray
    served: np.ndarray
    short: np.ndarray  # demand not served in its own week (lost, or newly backlogged)
    backlog: np.ndarray  # backlog at the week's end (zero with lost sales)
    on_hand_start: np.ndarray
    on_hand_end: np.ndarray
    received: np.ndarray
    ordered: np.ndarray  # units ordered for the series in the week (all lanes)
    transfer_out: np.ndarray
    costs: dict[str, np.ndarray]  # component -> (n, N)
    orders: np.ndarray  # (nl, N) units per lane and week
    overflow: np.ndarray  # (W, N) end-of-week volume above the warehouse capacity
    terminal: float  # -(value of stock on hand and in transit at the end)
    in_transit_end: np.ndarray  # (n,)
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)

    @property
    def total_cost(self) -> float:
        return float(sum(c.sum() for c in self.costs.values()) + self.terminal)

    def weekly_cost(self) -> np.ndarray:
        """(n, N) cost of every series-week (all components; the terminal credit excluded)."""
        return np.sum([self.costs[k] for k in COMPONENTS], axis=0)


def run_policy(
    network: Network,
    truth: np.ndarray,
    policy: Policy,
    state: SimState,
) -> Trace:
    """Replay `policy` over the N weeks of `truth` (n, N) from `state`; return its trace."""
    import time

    t0 = time.perf_counter()
    data = network.data
    n, N = truth.shape
    nl, nr = network.n_lanes, network.n_routes
    state = state.copy()
    rec = {
        k: np.zeros((n, N))
        for k in (
            "served",
            "short",
            "backlog",
            "on_hand_start",
            "on_hand_end",
            "received",
            "ordered",
            "transfer_out",
        )
    }
    costs = {k: np.zeros((n, N)) for k in COMPONENTS}
    orders = np.zeros((nl, N))
    n_wh = len(data.warehouses)
    overflow = np.zeros((n_wh, N))
    wh_cap = network.warehouse_capacity()
    lane_series = data.lane_series
    tr = data.transfers
    for j in range(N):
        state.week = j
        decision = policy.decide(j, state.copy())
        q = np.asarray(decision.orders, float)
        if q.shape != (nl,) or not np.isfinite(q).all():
            raise ValueError(f"policy {policy.name} returned orders of shape {q.shape}")
        q = np.where(q > EPS, q, 0.0)
        orders[:, j] = q
        # 2. orders placed: paid now, arrive after the realised lead time
        arrive = j + network.lead[:, j]
        np.add.at(state.arrivals, (lane_series, np.minimum(arrive, state.arrivals.shape[1] - 1)), q)
        np.add.at(rec["ordered"][:, j], lane_series, q)
        np.add.at(costs["purchase"][:, j], lane_series, q * data.unit_price)
        np.add.at(costs["logistics"][:, j], lane_series, q * data.shipping_cost)
        np.add.at(costs["fixed"][:, j], lane_series, (q > 0) * data.fixed_order_cost)
        # 3. receipts
        received = state.arrivals[:, j].copy()
        start = state.on_hand.copy()
        avail = start + received
        # 4. demand
        need = truth[:, j] + state.backlog
        served = np.minimum(avail, need)
        left = avail - served
        unmet = need - served
        if data.backorder:
            backlog = unmet
            short = np.minimum(truth[:, j], backlog)
            costs["shortage"][:, j] = data.shortage_cost * backlog
        else:
            backlog = np.zeros(n)
            short = unmet
            costs["shortage"][:, j] = data.shortage_cost * unmet
        # 5. transfers from what is left
        out = np.zeros(n)
        if nr and decision.transfers is not None:
            want = np.where(np.asarray(decision.transfers, float) > EPS, decision.transfers, 0.0)
            for r in np.flatnonzero(want):
                a, b = int(tr.from_series[r]), int(tr.to_series[r])
                z = min(float(want[r]), left[a])
                if z <= EPS:
                    continue
                left[a] -= z
                out[a] += z
                state.arrivals[b, min(j + int(tr.lead_time[r]), state.arrivals.shape[1] - 1)] += z
                costs["transfer"][a, j] += z * float(tr.cost[r])
        costs["holding"][:, j] = data.holding_cost * left
        vol = np.zeros(n_wh)
        np.add.at(vol, data.series_warehouse, left * data.volume)
        overflow[:, j] = np.maximum(vol - wh_cap, 0.0)
        for key, val in (
            ("served", served),
            ("short", short),
            ("backlog", backlog),
            ("on_hand_start", start),
            ("on_hand_end", left),
            ("received", received),
            ("transfer_out", out),
        ):
            rec[key][:, j] = val
        state.on_hand, state.backlog = left, backlog
    state.week = N
    in_transit = state.in_transit()
    # as in the plan: stock and pipeline at their terminal value, less the units still owed
    terminal = -float(data.terminal_value @ (state.on_hand + in_transit - state.backlog))
    return Trace(
        policy=policy.name,
        demand=np.asarray(truth, float).copy(),
        costs=costs,
        orders=orders,
        overflow=overflow,
        terminal=terminal,
        in_transit_end=in_transit,
        seconds=time.perf_counter() - t0,
        **rec,
    )


def weekly_table(trace: Trace, data: ModelData, weeks: pd.DatetimeIndex) -> pd.DataFrame:
    """weekly.csv rows of one trace: policy, week, sku, warehouse, demand, served, short,
    on_hand_end, received, ordered, cost, then backlog_end and transferred_out."""
    n, N = trace.demand.shape
    sku = data.series["sku"].to_numpy()
    wh = data.series["warehouse"].to_numpy()

    def flat(a: np.ndarray) -> np.ndarray:
        return np.round(a.T.reshape(-1), 4)  # week-major

    return pd.DataFrame(
        {
            "policy": trace.policy,
            "week": np.repeat(weeks.date, n),
            "sku": np.tile(sku, N),
            "warehouse": np.tile(wh, N),
            "demand": flat(trace.demand),
            "served": flat(trace.served),
            "short": flat(trace.short),
            "on_hand_end": flat(trace.on_hand_end),
            "received": flat(trace.received),
            "ordered": flat(trace.ordered),
            "cost": flat(trace.weekly_cost()),
            "backlog_end": flat(trace.backlog),
            "transferred_out": flat(trace.transfer_out),
        }
    )
