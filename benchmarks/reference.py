"""Independent reference: the replenishment LP built straight from ModelData as a sparse matrix
(numpy/scipy only, no Pyomo) and fed to highspy.

It restates the formulation of `planner.model.build` from its docstring, not from its code, so
that agreement of the two objectives checks the Pyomo model, and the time it takes is the floor
that the Pyomo path is measured against.

Column blocks: x (first-stage orders), y (recourse orders, scenario-major), I (stock), U
(lost sales or backlog), O (overflow where forced). Row blocks: stock balance, warehouse
capacity, supplier capacity (first stage, recourse).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import highspy
import numpy as np
import scipy.sparse as sp

from planner.model.data import ModelData


@dataclass
class ReferenceLP:
    A: sp.csc_matrix
    cost: np.ndarray
    col_lo: np.ndarray
    col_hi: np.ndarray
    row_lo: np.ndarray
    row_hi: np.ndarray


def _forced_overflow(d: ModelData) -> np.ndarray:
    cum = d.on_hand[:, None] + np.cumsum(d.open_arrivals, axis=1)
    vol = np.zeros((len(d.warehouses), d.n_weeks))
    for i in range(d.n_series):
        vol[d.series_warehouse[i]] += cum[i] * d.volume[i]
    w, t = np.nonzero(vol > d.warehouse_capacity + 1e-9)
    return np.column_stack([w, t])


def build_reference(d: ModelData) -> ReferenceLP:
    S, n, T = d.demand.shape
    F = min(d.frozen_weeks, T)
    L = d.lead_time
    # order variables: lane l, week t allowed when t + L_l <= T - 1
    ll, tt = np.meshgrid(np.arange(d.n_lanes), np.arange(T), indexing="ij")
    allowed = tt + L[:, None] <= T - 1
    fs = allowed & (tt < F)
    rc = allowed & (tt >= F)
    fs_l, fs_t = ll[fs], tt[fs]
    rc_l, rc_t = ll[rc], tt[rc]
    n_fs, n_rc = len(fs_l), len(rc_l)
    ov = _forced_overflow(d)
    n_ov = len(ov)
    nI = S * n * T
    off_y = n_fs
    off_I = off_y + S * n_rc
    off_U = off_I + nI
    off_O = off_U + nI
    n_cols = off_O + S * n_ov

    # ---- costs
    c = d.unit_price + d.shipping_cost
    p = d.prob
    cost = np.zeros(n_cols)
    cost[:n_fs] = c[fs_l]
    cost[off_y:off_I] = (p[:, None] * c[rc_l][None, :]).ravel()
    hold = np.tile(d.holding_cost[:, None], (1, T))
    hold[:, -1] -= d.terminal_value
    cost[off_I:off_U] = (p[:, None, None] * hold[None]).ravel()
    short = np.tile(d.shortage_cost[:, None], (1, T))
    if d.backorder:  # the backlog still owed at the end is valued like the stock serving it
        short[:, -1] += d.terminal_value
    cost[off_U:off_O] = (p[:, None, None] * short[None]).ravel()
    if n_ov:
        unit = max(c.max(initial=0.0), d.shortage_cost.max(initial=0.0))
        per_vol = unit / max(d.volume[d.volume > 0].min(initial=1.0), 1e-9)
        cost[off_O:] = np.repeat(p, n_ov) * 10.0 * max(per_vol, 1.0)

    col_lo = np.zeros(n_cols)
    col_hi = np.full(n_cols, np.inf)
    if not d.backorder:
        col_hi[off_U:off_O] = d.demand.ravel()

    rows, cols, vals = [], [], []

    def add(r, k, v):
        rows.append(np.asarray(r, dtype=np.int64).ravel())
        cols.append(np.asarray(k, dtype=np.int64).ravel())
        vals.append(
            np.broadcast_to(np.asarray(v, dtype=float), np.shape(np.asarray(r).ravel())).ravel()
        )

    # ---- stock balance rows, r = (s n + i) T + t
    r_all = np.arange(nI)
    t_all = r_all % T
    add(r_all, off_I + r_all, 1.0)
    add(r_all, off_U + r_all, -1.0)
    prev = r_all[t_all > 0]
    add(prev, off_I + prev - 1, -1.0)
    if d.backorder:
        add(prev, off_U + prev - 1, 1.0)
    s_idx = np.arange(S)
    fs_row = d.lane_series[fs_l] * T + fs_t + L[fs_l]
    add(
        (s_idx[:, None] * n * T + fs_row[None, :]),
        np.broadcast_to(np.arange(n_fs), (S, n_fs)),
        -1.0,
    )
    rc_row = d.lane_series[rc_l] * T + rc_t + L[rc_l]
    add(
        s_idx[:, None] * n * T + rc_row[None, :],
        off_y + s_idx[:, None] * n_rc + np.arange(n_rc)[None, :],
        -1.0,
    )
    supply = d.open_arrivals.copy()
    supply[:, 0] += d.on_hand
    rhs_bal = (supply[None] - d.demand).ravel()
    row_lo = [rhs_bal]
    row_hi = [rhs_bal]
    n_rows = nI

    # ---- warehouse capacity rows for every limited warehouse with members
    for w in range(len(d.warehouses)):
        members = np.flatnonzero(d.series_warehouse == w)
        if len(members) == 0:
            continue
        for s in range(S):
            for t in range(T):
                cap = d.warehouse_capacity[w, t]
                if not np.isfinite(cap):
                    continue
                add(
                    np.full(len(members), n_rows),
                    off_I + (s * n + members) * T + t,
                    d.volume[members],
                )
                j = np.flatnonzero((ov[:, 0] == w) & (ov[:, 1] == t)) if n_ov else []
                for jj in j:
                    add([n_rows], [off_O + s * n_ov + jj], -1.0)
                row_lo.append([-np.inf])
                row_hi.append([cap])
                n_rows += 1

    # ---- supplier capacity rows
    sup_fs = d.lane_supplier[fs_l]
    sup_rc = d.lane_supplier[rc_l]
    for q in range(len(d.suppliers)):
        for t in range(F):
            cap = d.supplier_capacity[q, t]
            k = np.flatnonzero((sup_fs == q) & (fs_t == t))
            if not np.isfinite(cap):
                continue
            if len(k):
                add(np.full(len(k), n_rows), k, 1.0)
                row_lo.append([-np.inf])
                row_hi.append([cap])
                n_rows += 1
        for t in range(F, T):
            cap = d.supplier_capacity[q, t]
            k = np.flatnonzero((sup_rc == q) & (rc_t == t))
            if not len(k) or not np.isfinite(cap):
                continue
            for s in range(S):
                add(np.full(len(k), n_rows), off_y + s * n_rc + k, 1.0)
                row_lo.append([-np.inf])
                row_hi.append([cap])
                n_rows += 1

    A = sp.csc_matrix(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(n_rows, n_cols)
    )
    return ReferenceLP(
        A=A,
        cost=cost,
        col_lo=col_lo,
        col_hi=col_hi,
        row_lo=np.concatenate([np.asarray(x, float) for x in row_lo]),
        row_hi=np.concatenate([np.asarray(x, float) for x in row_hi]),
    )


def pass_reference(h: highspy.Highs, lp: ReferenceLP) -> None:
    """Hand the reference LP to `h` as numpy arrays in one call (column-wise, HiGHS's own)."""
    inf = highspy.kHighsInf
    A = lp.A
    status = h.passModel(
        A.shape[1],
        A.shape[0],
        A.nnz,
        int(highspy.MatrixFormat.kColwise),
        int(highspy.ObjSense.kMinimize),
        0.0,
        lp.cost,
        lp.col_lo,
        np.where(np.isinf(lp.col_hi), inf, lp.col_hi),
        np.where(np.isinf(lp.row_lo), -inf, lp.row_lo),
        np.where(np.isinf(lp.row_hi), inf, lp.row_hi),
        A.indptr.astype(np.int32, copy=False),
        A.indices.astype(np.int32, copy=False),
        A.data,
        np.zeros(A.shape[1], np.int32),
    )
    if status == highspy.HighsStatus.kError:
        raise RuntimeError("HiGHS rejected the reference LP")


def solve_reference(
    d: ModelData, time_limit_s: float = 3600.0, threads: int | None = None, solve: bool = True
) -> dict:
    """Build, load and (unless `solve` is False) solve the reference LP; return timings and
    the objective."""
    from planner.solve import new_highs

    t0 = time.perf_counter()
    lp_data = build_reference(d)
    t1 = time.perf_counter()
    h = new_highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("time_limit", float(time_limit_s))
    if threads:
        h.setOptionValue("threads", int(threads))
    pass_reference(h, lp_data)
    t2 = time.perf_counter()
    if solve:
        h.run()
    t3 = time.perf_counter()
    status = h.modelStatusToString(h.getModelStatus()) if solve else "not solved"
    return {
        "objective": h.getInfo().objective_function_value if solve else None,
        "status": status,
        "build": t1 - t0,
        "handover": t2 - t1,
        "solve": t3 - t2,
        "variables": int(h.getNumCol()),
        "constraints": int(h.getNumRow()),
    }
