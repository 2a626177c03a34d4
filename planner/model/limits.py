"""Capacity and budget families: warehouse volume, supplier weekly capacity, purchase budget.

    warehouse_capacity  sum_{i in w} vol_i I_{i,t,s} - O_{w,t,s} <= cap_{w,t}
    supplier_capacity   sum_{l of q} x_{l,t} <= cap_{q,t} (t < F);  sum_{l of q} y_{l,t,s} <= cap_{q,t}
    budget              sum_l price_l x_{l,t} <= B (t < F);  sum_l price_l y_{l,t,s} <= B (t >= F)
Each family returns early when nothing limits it. Row lists (`<family>_rows`) map constraint
indexes back to (warehouse|supplier, week, scenario) for bottleneck reports.
"""

from __future__ import annotations

import numpy as np
import pyomo.environ as pyo
from pyomo.core.expr.numeric_expr import LinearExpression

from planner.model.data import ModelData
from planner.model.layout import Layout


def add_warehouse_capacity(m: pyo.ConcreteModel, data: ModelData, lay: Layout) -> None:
    """sum_{i in w} vol_i I_{i,t,s} - O_{w,t,s} <= cap_{w,t} for every limited warehouse-week."""
    cap = data.warehouse_capacity  # (W, T)
    members = {w: np.flatnonzero(data.series_warehouse == w).tolist() for w in range(cap.shape[0])}
    rows = [
        (w, t, s)
        for s in range(lay.S)
        for w in range(cap.shape[0])
        for t in range(lay.T)
        if np.isfinite(cap[w, t]) and members[w]
    ]
    if not rows:
        return
    vol = data.volume.tolist()
    ov_pos = {(int(w), int(t)): j for j, (w, t) in enumerate(lay.overflow_wt)}
    n_ov, n, T = len(lay.overflow_wt), lay.n, lay.T
    stock, over = m.stock, m.overflow

    def rule(_m, r):
        w, t, s = rows[r]
        idx = members[w]
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


def _group(keys: np.ndarray, week: np.ndarray, ok) -> dict[tuple[int, int], list[int]]:
    groups: dict[tuple[int, int], list[int]] = {}
    for k, (q, t) in enumerate(zip(keys.tolist(), week.tolist(), strict=True)):
        if ok(q, t):
            groups.setdefault((q, t), []).append(k)
    return groups


def add_supplier_capacity(m: pyo.ConcreteModel, data: ModelData, lay: Layout) -> None:
    """sum_{l of q} x_{l,t} <= cap_{q,t} (t < F) and sum_{l of q} y_{l,t,s} <= cap_{q,t} (t >= F)."""
    cap = data.supplier_capacity  # (Q, T)
    if not np.isfinite(cap).any():
        return
    finite = lambda q, t: bool(np.isfinite(cap[q, t]))  # noqa: E731
    fs_groups = _group(data.lane_supplier[lay.fs_lane], lay.fs_week, finite)
    rc_groups = _group(data.lane_supplier[lay.rc_lane], lay.rc_week, finite)
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

    if fs_rows:
        m.supplier_capacity_first_rows = fs_rows
        m.supplier_capacity_first = pyo.Constraint(range(len(fs_rows)), rule=first_rule)
    if rc_rows:
        m.supplier_capacity_rows = rc_rows
        m.supplier_capacity = pyo.Constraint(range(len(rc_rows)), rule=recourse_rule)


def add_budget(m: pyo.ConcreteModel, data: ModelData, lay: Layout) -> None:
    """Purchase value of the orders placed in a week (unit price x quantity) <= budget_per_week."""
    budget = data.budget_per_week
    if budget is None:
        return
    price = data.unit_price
    fs_groups = _group(np.zeros(lay.n_fs, np.int64), lay.fs_week, lambda q, t: True)
    rc_groups = _group(np.zeros(lay.n_rc, np.int64), lay.rc_week, lambda q, t: True)
    fs_rows = sorted(t for _, t in fs_groups)
    rc_rows = [(t, s) for s in range(lay.S) for (_, t) in sorted(rc_groups)]
    x, y, n_rc = m.order_first, m.order, lay.n_rc
    fs_price = price[lay.fs_lane].tolist()
    rc_price = price[lay.rc_lane].tolist()

    def first_rule(_m, r):
        ks = fs_groups[0, fs_rows[r]]
        return LinearExpression(
            constant=0.0, linear_coefs=[fs_price[k] for k in ks], linear_vars=[x[k] for k in ks]
        ) <= float(budget)

    def recourse_rule(_m, r):
        t, s = rc_rows[r]
        ps = rc_groups[0, t]
        base = s * n_rc
        return LinearExpression(
            constant=0.0,
            linear_coefs=[rc_price[p] for p in ps],
            linear_vars=[y[base + p] for p in ps],
        ) <= float(budget)

    if fs_rows:
        m.budget_first_rows = fs_rows
        m.budget_first = pyo.Constraint(range(len(fs_rows)), rule=first_rule)
    if rc_rows:
        m.budget_rows = rc_rows
        m.budget = pyo.Constraint(range(len(rc_rows)), rule=recourse_rule)
