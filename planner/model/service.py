"""Minimum expected fill rate per SKU.

    service_level   sum_s p_s sum_{i of g} sum_{t >= t0_i} U_{i,t,s}
                        <= (1 - alpha) sum_s p_s sum_{i of g} sum_{t >= t0_i} d_{i,t,s}
for every SKU g, over its warehouses. t0_i is the first week an order placed now can reach
series i (its shortest lane lead time): earlier weeks are beyond the planner's control. With
backorders U is the backlog, which is never below the demand unmet in its own week, so the
constraint is conservative there.
"""

from __future__ import annotations

import numpy as np
import pyomo.environ as pyo
from pyomo.core.expr.numeric_expr import LinearExpression

from planner.model.data import ModelData
from planner.model.layout import Layout
from planner.model.matrix import ColumnSpace, Rows, coo


def service_start_weeks(data: ModelData) -> np.ndarray:
    """Per series: the first week its fill-rate target covers (shortest lane lead time)."""
    if data.service_from_week is not None:
        return np.asarray(data.service_from_week, dtype=np.int64)
    start = np.full(data.n_series, data.n_weeks, dtype=np.int64)
    np.minimum.at(start, data.lane_series, data.lead_time)
    return start


def add_service_level(m: pyo.ConcreteModel, data: ModelData, lay: Layout) -> None:
    alpha = data.service_level
    if alpha is None:
        return
    n, T, S = lay.n, lay.T, lay.S
    t0 = service_start_weeks(data)
    skus = data.series["sku"].to_numpy()
    groups: dict[str, list[int]] = {}
    for i, sku in enumerate(skus):
        if t0[i] < T:
            groups.setdefault(str(sku), []).append(i)
    p = data.prob
    rows = []
    for sku, members in groups.items():
        demand = sum(float(p @ data.demand[:, i, t0[i] :].sum(axis=1)) for i in members)
        if demand > 1e-9:
            rows.append((sku, members, demand))
    if not rows:
        return
    short = m.short

    def rule(_m, r):
        _sku, members, demand = rows[r]
        cs: list[float] = []
        vs: list = []
        for s in range(S):
            for i in members:
                base = (s * n + i) * T
                for t in range(int(t0[i]), T):
                    cs.append(float(p[s]))
                    vs.append(short[base + t])
        return (
            LinearExpression(constant=0.0, linear_coefs=cs, linear_vars=vs) <= (1 - alpha) * demand
        )

    m.service_level_rows = [(sku, [int(i) for i in members]) for sku, members, _ in rows]
    m.service_level = pyo.Constraint(range(len(rows)), rule=rule)


def service_level_matrix(data: ModelData, lay: Layout, cols: ColumnSpace) -> Rows | None:
    """service_level as coordinates (rows as in add_service_level)."""
    alpha = data.service_level
    if alpha is None:
        return None
    n, T, S = lay.n, lay.T, lay.S
    t0 = service_start_weeks(data)
    p = data.prob
    groups: dict[str, list[int]] = {}
    for i, sku in enumerate(data.series["sku"].to_numpy()):
        if t0[i] < T:
            groups.setdefault(str(sku), []).append(i)
    labels, bound = [], []
    row_of = np.full(n, -1, dtype=np.int64)
    for sku, members in groups.items():
        demand = sum(float(p @ data.demand[:, i, t0[i] :].sum(axis=1)) for i in members)
        if demand > 1e-9:
            row_of[members] = len(labels)
            labels.append((sku, [int(i) for i in members]))
            bound.append((1 - alpha) * demand)
    if not labels:
        return None
    covered = (np.arange(T)[None, :] >= t0[:, None]) & (row_of[:, None] >= 0)  # (n, T)
    i, t = np.nonzero(covered)
    s = np.arange(S, dtype=np.int64)[:, None]
    parts = [(np.broadcast_to(row_of[i], (S, len(i))), cols["short"] + (s * n + i) * T + t,
              np.broadcast_to(p[:, None], (S, len(i))))]  # fmt: skip
    ub = np.asarray(bound, float)
    return Rows("service_level", *coo(*parts), lb=np.full(len(ub), -np.inf), ub=ub, labels=labels)
