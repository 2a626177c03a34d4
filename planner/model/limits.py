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
from planner.model.matrix import ColumnSpace, Rows, coo


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


def _inf(k: int) -> np.ndarray:
    return np.full(k, -np.inf)


def warehouse_capacity_matrix(data: ModelData, lay: Layout, cols: ColumnSpace) -> Rows | None:
    """warehouse_capacity as coordinates (rows as in add_warehouse_capacity)."""
    cap = data.warehouse_capacity  # (W, T)
    W = cap.shape[0]
    has_members = np.bincount(data.series_warehouse, minlength=W) > 0
    w, t = np.nonzero(np.isfinite(cap) & has_members[:, None])  # w-major, then t
    if not len(w):
        return None
    n, T, S, nwt = lay.n, lay.T, lay.S, len(w)
    j, i = np.nonzero(data.series_warehouse[None, :] == w[:, None])  # members of row j
    s = np.arange(S, dtype=np.int64)[:, None]
    parts = [(s * nwt + j, cols["stock"] + (s * n + i) * T + t[j], data.volume[i])]
    n_ov = len(lay.overflow_wt)
    if n_ov:
        key = {(int(a), int(b)): k for k, (a, b) in enumerate(lay.overflow_wt)}
        jj = np.array([k for k in range(nwt) if (int(w[k]), int(t[k])) in key], np.int64)
        ov = np.array([key[int(w[k]), int(t[k])] for k in jj], np.int64)
        if len(jj):
            parts.append((s * nwt + jj, cols["overflow"] + s * n_ov + ov, -1.0))
    ub = np.tile(cap[w, t], S)
    wt = list(zip(w.tolist(), t.tolist(), strict=True))
    labels = [(a, b, k) for k in range(S) for a, b in wt]
    return Rows("warehouse_capacity", *coo(*parts), lb=_inf(len(ub)), ub=ub, labels=labels)


def _grouped(keys: np.ndarray, ok: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Orders with ok[k]: their positions, their group (row) and the sorted distinct keys."""
    pos = np.flatnonzero(ok)
    uniq, row = np.unique(keys[pos], return_inverse=True)
    return pos, row.astype(np.int64), uniq


def _first_and_recourse(
    name: str, cols: ColumnSpace, lay: Layout, fs_key, fs_ok, rc_key, rc_ok, coef, bound, label
) -> list[Rows]:
    out = []
    pos, row, uniq = _grouped(fs_key, fs_ok)
    if len(uniq):
        ub = bound(uniq)
        out.append(
            Rows(
                f"{name}_first", row, cols["order_first"] + pos, coef(lay.fs_lane[pos]),
                lb=_inf(len(ub)), ub=ub, labels=[label(u) for u in uniq.tolist()],
            )
        )  # fmt: skip
    pos, row, uniq = _grouped(rc_key, rc_ok)
    if len(uniq):
        S, nu = lay.S, len(uniq)
        s = np.arange(S, dtype=np.int64)[:, None]
        r, c, v = coo(
            (s * nu + row[None, :], cols["order"] + s * lay.n_rc + pos[None, :],
             np.broadcast_to(coef(lay.rc_lane[pos]), (S, len(pos))))
        )  # fmt: skip
        ub = np.tile(bound(uniq), S)
        labels = [(*label(u), k) for k in range(S) for u in uniq.tolist()]
        out.append(Rows(name, r, c, v, lb=_inf(len(ub)), ub=ub, labels=labels))
    return out


def supplier_capacity_matrix(data: ModelData, lay: Layout, cols: ColumnSpace) -> list[Rows]:
    """supplier_capacity(_first) as coordinates (rows as in add_supplier_capacity)."""
    cap = data.supplier_capacity  # (Q, T)
    if not np.isfinite(cap).any():
        return []
    T = lay.T
    fs_q, rc_q = data.lane_supplier[lay.fs_lane], data.lane_supplier[lay.rc_lane]
    return _first_and_recourse(
        "supplier_capacity", cols, lay,
        fs_q * T + lay.fs_week, np.isfinite(cap[fs_q, lay.fs_week]),
        rc_q * T + lay.rc_week, np.isfinite(cap[rc_q, lay.rc_week]),
        coef=lambda lanes: np.ones(len(lanes)),
        bound=lambda keys: cap[keys // T, keys % T],
        label=lambda key: (key // T, key % T),
    )  # fmt: skip


def budget_matrix(data: ModelData, lay: Layout, cols: ColumnSpace) -> list[Rows]:
    """budget(_first) as coordinates (rows as in add_budget)."""
    budget = data.budget_per_week
    if budget is None:
        return []
    out = _first_and_recourse(
        "budget", cols, lay,
        lay.fs_week, np.ones(lay.n_fs, bool), lay.rc_week, np.ones(lay.n_rc, bool),
        coef=lambda lanes: data.unit_price[lanes],
        bound=lambda keys: np.full(len(keys), float(budget)),
        label=lambda key: (key,),
    )  # fmt: skip
    for rows in out:  # budget_first rows are weeks, budget rows (week, scenario)
        if rows.name == "budget_first":
            rows.labels = [lab[0] for lab in rows.labels]
    return out
