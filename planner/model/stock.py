"""Stock, unmet demand, overflow and transfer variables, and the stock balance.

    stock_balance   I_{i,t,s} - I_{i,t-1,s} - sum_{l->i} q_{l,t-L_{l,s},s} - U_{i,t,s}
                    + sum_{r from i} z_{r,t,s} - sum_{r to i} z_{r,t-L_r,s}
                        = open_{i,t} + [t=0] on_hand_i - d_{i,t,s}
    with backorders U is the backlog B and enters as -(B_{i,t,s} - B_{i,t-1,s}).
L_{l,s} is the lane's lead time realised in scenario s (stochastic lead times), so one
first-stage order may arrive in different weeks in different scenarios; an order arriving after
the horizon is credited at the terminal value (see the objective).
"""

from __future__ import annotations

import numpy as np
import pyomo.environ as pyo

from planner.model.data import ModelData
from planner.model.layout import Layout
from planner.model.matrix import ColumnSpace, Rows, coo


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


def add_transfer_variables(m: pyo.ConcreteModel, data: ModelData, lay: Layout) -> None:
    """z_{r,t,s} >= 0: units sent on transfer route r in week t of scenario s (recourse)."""
    m.transfer = pyo.Var(range(lay.S * lay.n_tr), domain=pyo.NonNegativeReals)


def arrivals_by_scenario(data: ModelData, lay: Layout) -> tuple[list, list, bool]:
    """Per scenario (or once, when lead times are the same in every scenario): for every
    (i, t) the first-stage orders k and recourse pairs p arriving then."""
    T, n = lay.T, lay.n
    lead = data.arrival_lead()  # (nl, S)
    shared = not data.stochastic_lead_times
    scen = [0] if shared else range(lay.S)
    fs_all, rc_all = [], []
    for s in scen:
        fs_at: list[list[int]] = [[] for _ in range(n * T)]
        rc_at: list[list[int]] = [[] for _ in range(n * T)]
        arr = lay.fs_week + lead[lay.fs_lane, s]
        keys = data.lane_series[lay.fs_lane] * T + arr
        for k, (key, a) in enumerate(zip(keys.tolist(), arr.tolist(), strict=True)):
            if a <= T - 1:
                fs_at[key].append(k)
        arr = lay.rc_week + lead[lay.rc_lane, s]
        keys = data.lane_series[lay.rc_lane] * T + arr
        for p, (key, a) in enumerate(zip(keys.tolist(), arr.tolist(), strict=True)):
            if a <= T - 1:
                rc_at[key].append(p)
        fs_all.append(fs_at)
        rc_all.append(rc_at)
    return fs_all, rc_all, shared


def _transfer_flows(data: ModelData, lay: Layout) -> tuple[list[list[int]], list[list[int]]]:
    """For every (i, t): transfer pairs q leaving series i in week t, and arriving at i then."""
    T, n = lay.T, lay.n
    out_at: list[list[int]] = [[] for _ in range(n * T)]
    in_at: list[list[int]] = [[] for _ in range(n * T)]
    tr = data.transfers
    if tr is None or lay.n_tr == 0:
        return out_at, in_at
    for q, (r, t) in enumerate(zip(lay.tr_route.tolist(), lay.tr_week.tolist(), strict=True)):
        out_at[int(tr.from_series[r]) * T + t].append(q)
        in_at[int(tr.to_series[r]) * T + t + int(tr.lead_time[r])].append(q)
    return out_at, in_at


def add_stock_balance(m: pyo.ConcreteModel, data: ModelData, lay: Layout) -> None:
    """The stock balance of every series, week and scenario (see the module docstring)."""
    n, T, S, n_rc, n_tr = lay.n, lay.T, lay.S, lay.n_rc, lay.n_tr
    fs_all, rc_all, shared = arrivals_by_scenario(data, lay)
    out_at, in_at = _transfer_flows(data, lay)
    supply = data.open_arrivals.copy()
    supply[:, 0] += data.on_hand
    rhs = (supply[None, :, :] - data.demand).reshape(-1).tolist()
    stock, short, x, y, z = m.stock, m.short, m.order_first, m.order, m.transfer
    backorder = data.backorder

    def rule(_m, k):
        s, it = divmod(k, n * T)
        t = it % T
        expr = stock[k] - short[k]
        if t > 0:
            expr = expr - stock[k - 1]
            if backorder:
                expr = expr + short[k - 1]
        fs_at = fs_all[0 if shared else s][it]
        for j in fs_at:
            expr = expr - x[j]
        base = s * n_rc
        for p in (rc_all[0 if shared else s])[it]:
            expr = expr - y[base + p]
        if n_tr:
            tb = s * n_tr
            for q in out_at[it]:
                expr = expr + z[tb + q]
            for q in in_at[it]:
                expr = expr - z[tb + q]
        return expr == rhs[k]

    m.stock_balance = pyo.Constraint(range(S * n * T), rule=rule)


def late_arrivals(data: ModelData, lay: Layout) -> tuple[np.ndarray, np.ndarray]:
    """Boolean masks (n_fs, S) and (S, n_rc): orders whose arrival falls after the horizon."""
    lead = data.arrival_lead()
    fs_late = (lay.fs_week[:, None] + lead[lay.fs_lane, :]) > lay.T - 1
    rc_late = ((lay.rc_week[:, None] + lead[lay.rc_lane, :]) > lay.T - 1).T
    return fs_late, rc_late


def stock_balance_matrix(data: ModelData, lay: Layout, cols: ColumnSpace) -> Rows:
    """The stock balance as coordinates (same rows, same order as `add_stock_balance`)."""
    n, T, S = lay.n, lay.T, lay.S
    k = np.arange(S * n * T, dtype=np.int64)
    prev = k[k % T > 0]
    parts = [(k, cols["stock"] + k, 1.0), (k, cols["short"] + k, -1.0)]
    parts.append((prev, cols["stock"] + prev - 1, -1.0))
    if data.backorder:
        parts.append((prev, cols["short"] + prev - 1, 1.0))
    lead = data.arrival_lead()  # (nl, S)
    scen = np.arange(S, dtype=np.int64)
    for name, lanes, weeks, per_scenario in (
        ("order_first", lay.fs_lane, lay.fs_week, False),
        ("order", lay.rc_lane, lay.rc_week, True),
    ):
        arrive = weeks[:, None] + lead[lanes, :]  # (orders, S)
        j, s = np.nonzero(arrive <= T - 1)
        rows = (s * n + data.lane_series[lanes][j]) * T + arrive[j, s]
        col = cols[name] + (s * len(lanes) + j if per_scenario else j)
        parts.append((rows, col, -1.0))
    tr = data.transfers
    if tr is not None and lay.n_tr:
        q = np.arange(lay.n_tr, dtype=np.int64)
        r, t = lay.tr_route, lay.tr_week
        col = cols["transfer"] + scen[:, None] * lay.n_tr + q[None, :]
        out_row = (scen[:, None] * n + tr.from_series[r][None, :]) * T + t[None, :]
        in_row = (scen[:, None] * n + tr.to_series[r][None, :]) * T + (t + tr.lead_time[r])[None, :]
        parts += [(out_row, col, 1.0), (in_row, col, -1.0)]
    supply = data.open_arrivals.copy()
    supply[:, 0] += data.on_hand
    rhs = (supply[None, :, :] - data.demand).reshape(-1).astype(float)
    return Rows("stock_balance", *coo(*parts), lb=rhs, ub=rhs)
