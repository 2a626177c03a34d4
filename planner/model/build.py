"""Build the two-stage stochastic replenishment model in Pyomo from a ModelData.

The model, with i series, l lanes, t weeks, s scenarios (probability p_s), F frozen weeks:

    min  sum_{l, t<F} c_l x_{l,t}                                     (first stage)
       + sum_s p_s [ sum_{l, t>=F} c_l y_{l,t,s}                       (recourse orders)
                   + sum_{i,t} h_i I_{i,t,s} + pi_i U_{i,t,s}          (holding, shortage)
                   - sum_i v_i I_{i,T-1,s} + M sum O_{w,t,s} ]         (terminal value, overflow)

    stock balance   I_{i,t,s} - I_{i,t-1,s} - sum_{l->i} q_{l,t-L_l,s} - U_{i,t,s}
                        = open_{i,t} + [t=0] on_hand_i - d_{i,t,s}             (lost sales)
                    with backorders U is the backlog B >= 0 and the balance reads
                    I_{i,t,s} - B_{i,t,s} - (I_{i,t-1,s} - B_{i,t-1,s}) - arrivals = open - d
    warehouse cap.  sum_{i in w} vol_i I_{i,t,s} - O_{w,t,s} <= cap_w
    supplier cap.   sum_{l of q} x_{l,t} <= cap_q   (t<F),   sum_{l of q} y_{l,t,s} <= cap_q
    bounds          x, y, I, O >= 0;  0 <= U_{i,t,s} <= d_{i,t,s} (lost sales)

where q_{l,t,s} is x_{l,t} for t < F and y_{l,t,s} otherwise, c_l = unit price + shipping,
and O (overflow) exists only for warehouse-weeks whose initial stock and open orders alone can
exceed the capacity (priced at a penalty, reported when used) so that the model never becomes
infeasible because of stock the planner can no longer influence.

Variables and constraints are indexed by flat integers for speed; `Layout` maps them to
(scenario, series, week) and (lane, week). Each constraint family has its own `add_<family>`
function, called in a fixed order from `build_model`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyomo.environ as pyo
from pyomo.core.expr.numeric_expr import LinearExpression

from planner.model.data import ModelData

OVERFLOW_PENALTY_FACTOR = 10.0


@dataclass(frozen=True)
class Layout:
    """How the flat variable indexes map to the model's sets."""

    n: int  # series
    T: int  # weeks
    S: int  # scenarios
    fs_lane: np.ndarray  # first-stage order k -> lane
    fs_week: np.ndarray  # first-stage order k -> week
    rc_lane: np.ndarray  # recourse order pair p -> lane (variable index s * n_rc + p)
    rc_week: np.ndarray  # recourse order pair p -> week
    overflow_wt: np.ndarray  # (n_ov, 2) warehouse, week of each overflow variable per scenario

    @property
    def n_fs(self) -> int:
        return len(self.fs_lane)

    @property
    def n_rc(self) -> int:
        return len(self.rc_lane)

    def stock_index(self, s: int, i: int, t: int) -> int:
        """Flat index of I_{i,t,s} (also of U/B_{i,t,s} and of the balance row)."""
        return (s * self.n + i) * self.T + t


def make_layout(data: ModelData) -> Layout:
    fs_lane, fs_week = data.first_stage_orders
    rc_lane, rc_week = data.recourse_orders
    return Layout(
        n=data.n_series,
        T=data.n_weeks,
        S=data.n_scenarios,
        fs_lane=fs_lane,
        fs_week=fs_week,
        rc_lane=rc_lane,
        rc_week=rc_week,
        overflow_wt=forced_overflow(data),
    )


def forced_overflow(data: ModelData) -> np.ndarray:
    """Warehouse-weeks where on-hand stock plus open orders alone may exceed the capacity."""
    cap = data.warehouse_capacity
    if not np.isfinite(cap).any():
        return np.zeros((0, 2), dtype=np.int64)
    forced_units = data.on_hand[:, None] + np.cumsum(data.open_arrivals, axis=1)  # zero demand
    W = len(data.warehouses)
    vol = np.zeros((W, data.n_weeks))
    np.add.at(vol, data.series_warehouse, forced_units * data.volume[:, None])
    w, t = np.nonzero(vol > cap + 1e-9)
    return np.column_stack([w, t]).astype(np.int64)


# ---------------------------------------------------------------- variables


def add_order_variables(m: pyo.ConcreteModel, data: ModelData, lay: Layout) -> None:
    """x_{l,t} >= 0 for t < F (first stage, no scenario index); y_{l,t,s} >= 0 for t >= F."""
    m.order_first = pyo.Var(range(lay.n_fs), domain=pyo.NonNegativeReals)
    m.order = pyo.Var(range(lay.S * lay.n_rc), domain=pyo.NonNegativeReals)


def add_stock_variables(m: pyo.ConcreteModel, data: ModelData, lay: Layout) -> None:
    """I_{i,t,s} >= 0 end-of-week stock; U_{i,t,s} in [0, d] lost sales, or B >= 0 backlog."""
    m.stock = pyo.Var(range(lay.S * lay.n * lay.T), domain=pyo.NonNegativeReals)
    if data.backorder:
        m.short = pyo.Var(range(lay.S * lay.n * lay.T), domain=pyo.NonNegativeReals)
    else:
        d = data.demand.reshape(-1)  # (s, i, t) flat: the layout's order
        m.short = pyo.Var(
            range(d.size), domain=pyo.NonNegativeReals, bounds=lambda _, k: (0.0, d[k])
        )


def add_overflow_variables(m: pyo.ConcreteModel, data: ModelData, lay: Layout) -> None:
    """O_{w,t,s} >= 0 where initial stock and open orders alone can exceed a capacity."""
    m.overflow = pyo.Var(range(lay.S * len(lay.overflow_wt)), domain=pyo.NonNegativeReals)


# ---------------------------------------------------------------- constraint families


def _arrivals(data: ModelData, lay: Layout) -> tuple[list[list[int]], list[list[int]]]:
    """For every (i, t): first-stage orders and recourse order pairs arriving then."""
    T = lay.T
    fs_at: list[list[int]] = [[] for _ in range(lay.n * T)]
    rc_at: list[list[int]] = [[] for _ in range(lay.n * T)]
    keys = data.lane_series[lay.fs_lane] * T + lay.fs_week + data.lead_time[lay.fs_lane]
    for k, key in enumerate(keys.tolist()):
        fs_at[key].append(k)
    keys = data.lane_series[lay.rc_lane] * T + lay.rc_week + data.lead_time[lay.rc_lane]
    for p, key in enumerate(keys.tolist()):
        rc_at[key].append(p)
    return fs_at, rc_at


def add_stock_balance(m: pyo.ConcreteModel, data: ModelData, lay: Layout) -> None:
    """I_{i,t,s} - I_{i,t-1,s} - arrivals_{i,t,s} - U_{i,t,s} = open_{i,t} + [t=0] on_hand_i - d_{i,t,s}.

    With backorders U is the backlog B and enters as -(B_{i,t,s} - B_{i,t-1,s}).
    """
    n, T, S, n_rc = lay.n, lay.T, lay.S, lay.n_rc
    fs_at, rc_at = _arrivals(data, lay)
    supply = data.open_arrivals.copy()
    supply[:, 0] += data.on_hand
    rhs = (supply[None, :, :] - data.demand).reshape(-1).tolist()
    stock, short, x, y = m.stock, m.short, m.order_first, m.order
    backorder = data.backorder

    def rule(_m, k):
        s, r = divmod(k, n * T)
        t = r % T
        it = r  # i * T + t
        expr = stock[k] - short[k]
        if t > 0:
            expr = expr - stock[k - 1]
            if backorder:
                expr = expr + short[k - 1]
        for j in fs_at[it]:
            expr = expr - x[j]
        base = s * n_rc
        for p in rc_at[it]:
            expr = expr - y[base + p]
        return expr == rhs[k]

    m.stock_balance = pyo.Constraint(range(S * n * T), rule=rule)


def add_warehouse_capacity(m: pyo.ConcreteModel, data: ModelData, lay: Layout) -> None:
    """sum_{i in w} vol_i I_{i,t,s} - O_{w,t,s} <= cap_w for every limited warehouse."""
    cap = data.warehouse_capacity  # (W, T)
    rows = [
        (w, t, s)
        for s in range(lay.S)
        for w in range(cap.shape[0])
        for t in range(lay.T)
        if np.isfinite(cap[w, t])
    ]
    if not rows:
        return
    members = {w: np.flatnonzero(data.series_warehouse == w).tolist() for w in range(cap.shape[0])}
    vol = data.volume.tolist()
    ov_pos = {(int(w), int(t)): j for j, (w, t) in enumerate(lay.overflow_wt)}
    n_ov = len(lay.overflow_wt)
    n, T = lay.n, lay.T
    stock, over = m.stock, m.overflow

    def rule(_m, r):
        w, t, s = rows[r]
        idx = members[w]
        if not idx:
            return pyo.Constraint.Skip
        expr = LinearExpression(
            constant=0.0,
            linear_coefs=[vol[i] for i in idx],
            linear_vars=[stock[(s * n + i) * T + t] for i in idx],
        )
        j = ov_pos.get((w, t))
        if j is not None:
            expr = expr - over[s * n_ov + j]
        return expr <= float(cap[w, t])

    m.warehouse_capacity_rows = rows
    m.warehouse_capacity = pyo.Constraint(range(len(rows)), rule=rule)


def add_supplier_capacity(m: pyo.ConcreteModel, data: ModelData, lay: Layout) -> None:
    """sum_{l of q} x_{l,t} <= cap_q (t < F) and sum_{l of q} y_{l,t,s} <= cap_q (t >= F)."""
    cap = data.supplier_capacity  # (Q, T)
    if not np.isfinite(cap).any():
        return
    fs_groups = _group(data.lane_supplier[lay.fs_lane], lay.fs_week, cap)
    rc_groups = _group(data.lane_supplier[lay.rc_lane], lay.rc_week, cap)
    fs_rows = sorted(fs_groups)
    rc_rows = [(q, t, s) for s in range(lay.S) for (q, t) in sorted(rc_groups)]
    x, y, n_rc = m.order_first, m.order, lay.n_rc

    def first_rule(_m, r):
        q, t = fs_rows[r]
        return sum(x[k] for k in fs_groups[q, t]) <= float(cap[q, t])

    def recourse_rule(_m, r):
        q, t, s = rc_rows[r]
        base = s * n_rc
        return sum(y[base + p] for p in rc_groups[q, t]) <= float(cap[q, t])

    m.supplier_capacity_first_rows = fs_rows
    m.supplier_capacity_rows = rc_rows
    m.supplier_capacity_first = pyo.Constraint(range(len(fs_rows)), rule=first_rule)
    m.supplier_capacity = pyo.Constraint(range(len(rc_rows)), rule=recourse_rule)


def _group(
    supplier: np.ndarray, week: np.ndarray, cap: np.ndarray
) -> dict[tuple[int, int], list[int]]:
    groups: dict[tuple[int, int], list[int]] = {}
    for k, (q, t) in enumerate(zip(supplier.tolist(), week.tolist(), strict=True)):
        if np.isfinite(cap[q, t]):
            groups.setdefault((q, t), []).append(k)
    return groups


# ---------------------------------------------------------------- objective


def stage_cost_coefficients(data: ModelData, lay: Layout) -> dict[str, np.ndarray]:
    """Objective coefficients of every variable family, in their flat index order."""
    c = data.unit_order_cost
    p = data.prob
    n, T, S = lay.n, lay.T, lay.S
    stock = np.broadcast_to(data.holding_cost[None, :, None], (S, n, T)).copy()
    stock[:, :, T - 1] -= data.terminal_value[None, :]
    stock *= p[:, None, None]
    short = np.broadcast_to((p[:, None] * data.shortage_cost[None, :])[:, :, None], (S, n, T))
    coefs = {
        "order_first": c[lay.fs_lane],
        "order": (p[:, None] * c[lay.rc_lane][None, :]).reshape(-1),
        "stock": stock.reshape(-1),
        "short": short.reshape(-1),
    }
    if len(lay.overflow_wt):
        coefs["overflow"] = (
            p[:, None] * np.full(len(lay.overflow_wt), overflow_penalty(data))
        ).reshape(-1)
    return coefs


def overflow_penalty(data: ModelData) -> float:
    """Price of one volume unit over capacity: far above any cost of holding the units."""
    per_unit = max(
        float(np.max(data.unit_order_cost, initial=0.0)),
        float(np.max(data.shortage_cost, initial=0.0)),
    )
    per_volume = per_unit / max(float(np.min(data.volume[data.volume > 0], initial=1.0)), 1e-9)
    return OVERFLOW_PENALTY_FACTOR * max(per_volume, 1.0)


def add_objective(m: pyo.ConcreteModel, data: ModelData, lay: Layout) -> None:
    """Named first-stage and second-stage (expected recourse) costs; minimise their sum."""
    coefs = stage_cost_coefficients(data, lay)

    def linear(names: list[str]) -> LinearExpression:
        cs: list[float] = []
        vs: list = []
        for name in names:
            comp = getattr(m, name, None)
            if comp is None or name not in coefs:
                continue
            cs.extend(coefs[name].tolist())
            vs.extend(comp.values())
        return LinearExpression(constant=0.0, linear_coefs=cs, linear_vars=vs)

    m.first_stage_cost = pyo.Expression(expr=linear(["order_first"]))
    m.second_stage_cost = pyo.Expression(expr=linear(["order", "stock", "short", "overflow"]))
    m.total_cost = pyo.Objective(expr=m.first_stage_cost + m.second_stage_cost, sense=pyo.minimize)


# ---------------------------------------------------------------- the model


def build_model(data: ModelData) -> tuple[pyo.ConcreteModel, Layout]:
    """The Pyomo model of `data`, families added in the order of the formulation."""
    lay = make_layout(data)
    m = pyo.ConcreteModel(name="replenishment")
    add_order_variables(m, data, lay)
    add_stock_variables(m, data, lay)
    add_overflow_variables(m, data, lay)
    add_stock_balance(m, data, lay)
    add_warehouse_capacity(m, data, lay)
    add_supplier_capacity(m, data, lay)
    add_objective(m, data, lay)
    return m, lay
