"""Order variables and the lot-sizing families: fixed order costs, MOQ, order multiples.

    x_{l,t} >= 0 (t < F, first stage),  y_{l,t,s} >= 0 (t >= F, recourse)
    order_setup      q <= M_l o              o binary: an order is placed (fixed cost f_l o)
    order_moq        q >= moq_l o            an order is at least the MOQ, or nothing
    order_multiple   q  = m_l k              k integer >= 0: whole multiples only
Each lot-sizing family exists only for the lanes that use it, so a dataset without them
stays a pure LP. By default only the first-stage (committed) o and k are integer; the recourse
ones are relaxed (o in [0, 1], k >= 0) unless `integer_recourse` is set: the tentative orders
of later weeks are re-planned every week, and full integrality in every scenario multiplies the
binaries by the number of scenarios.
"""

from __future__ import annotations

import numpy as np
import pyomo.environ as pyo

from planner.model.data import ModelData
from planner.model.layout import Layout
from planner.model.matrix import ColumnSpace, Rows, coo


def add_order_variables(m: pyo.ConcreteModel, data: ModelData, lay: Layout) -> None:
    """x_{l,t} >= 0 for t < F (first stage, no scenario index); y_{l,t,s} >= 0 for t >= F."""
    m.order_first = pyo.Var(range(lay.n_fs), domain=pyo.NonNegativeReals)
    m.order = pyo.Var(range(lay.S * lay.n_rc), domain=pyo.NonNegativeReals)


def add_order_setup(m: pyo.ConcreteModel, data: ModelData, lay: Layout) -> None:
    """order_setup: q <= M_l o and order_moq: q >= moq_l o, with o binary, per lane that has a
    fixed order cost or a minimum order quantity."""
    big_m = lay.big_m
    moq = data.moq
    fs, rc = lay.fs_setup, lay.rc_setup
    m.placed_first = pyo.Var(range(len(fs)), domain=pyo.Binary)
    m.placed = pyo.Var(
        range(lay.S * len(rc)), domain=pyo.Binary if data.integer_recourse else pyo.UnitInterval
    )
    if len(fs):
        x, o = m.order_first, m.placed_first
        lanes = lay.fs_lane[fs].tolist()
        ks = fs.tolist()
        m.order_setup_first = pyo.Constraint(
            range(len(fs)), rule=lambda _m, j: x[ks[j]] - float(big_m[lanes[j]]) * o[j] <= 0
        )
        with_moq = [j for j in range(len(fs)) if moq[lanes[j]] > 0]
        if with_moq:
            m.order_moq_first = pyo.Constraint(
                range(len(with_moq)),
                rule=lambda _m, r: (
                    x[ks[with_moq[r]]] - float(moq[lanes[with_moq[r]]]) * o[with_moq[r]] >= 0
                ),
            )
    if len(rc):
        y, o = m.order, m.placed
        n_rc, n_set = lay.n_rc, len(rc)
        lanes = lay.rc_lane[rc].tolist()
        ps = rc.tolist()

        def setup(_m, k):
            s, j = divmod(k, n_set)
            return y[s * n_rc + ps[j]] - float(big_m[lanes[j]]) * o[k] <= 0

        m.order_setup = pyo.Constraint(range(lay.S * n_set), rule=setup)
        with_moq = [j for j in range(n_set) if moq[lanes[j]] > 0]
        if with_moq:
            rows = [(s, j) for s in range(lay.S) for j in with_moq]

            def moq_rule(_m, r):
                s, j = rows[r]
                return y[s * n_rc + ps[j]] - float(moq[lanes[j]]) * o[s * n_set + j] >= 0

            m.order_moq_rows = rows
            m.order_moq = pyo.Constraint(range(len(rows)), rule=moq_rule)


def add_order_multiples(m: pyo.ConcreteModel, data: ModelData, lay: Layout) -> None:
    """order_multiple: q = m_l k with k a non-negative integer, per lane with a multiple."""
    mult = data.order_multiple
    fs, rc = lay.fs_lots, lay.rc_lots
    m.lots_first = pyo.Var(range(len(fs)), domain=pyo.NonNegativeIntegers)
    m.lots = pyo.Var(
        range(lay.S * len(rc)),
        domain=pyo.NonNegativeIntegers if data.integer_recourse else pyo.NonNegativeReals,
    )
    if len(fs):
        x, k_ = m.order_first, m.lots_first
        lanes = lay.fs_lane[fs].tolist()
        ks = fs.tolist()
        m.order_multiple_first = pyo.Constraint(
            range(len(fs)), rule=lambda _m, j: x[ks[j]] - float(mult[lanes[j]]) * k_[j] == 0
        )
    if len(rc):
        y, k_ = m.order, m.lots
        n_rc, n_lot = lay.n_rc, len(rc)
        lanes = lay.rc_lane[rc].tolist()
        ps = rc.tolist()

        def rule(_m, k):
            s, j = divmod(k, n_lot)
            return y[s * n_rc + ps[j]] - float(mult[lanes[j]]) * k_[k] == 0

        m.order_multiple = pyo.Constraint(range(lay.S * n_lot), rule=rule)


def _lot_rows(name, scen, n_set, order_col, link_col, coef, sense) -> Rows:
    """order - coef * link (sense: 0 '==', 1 '<= 0', -1 '>= 0'), one row per (s, j)."""
    s = np.repeat(np.arange(scen, dtype=np.int64), n_set)
    j = np.tile(np.arange(n_set, dtype=np.int64), scen)
    r = np.arange(scen * n_set, dtype=np.int64)
    row, col, val = coo((r, order_col(s, j), 1.0), (r, link_col(s, j), -np.tile(coef, scen)))
    zero = np.zeros(len(r))
    lb = zero if sense <= 0 else np.full(len(r), -np.inf)
    ub = zero if sense >= 0 else np.full(len(r), np.inf)
    return Rows(name, row, col, val, lb, ub)


def order_setup_matrix(data: ModelData, lay: Layout, cols: ColumnSpace) -> list[Rows]:
    """order_setup(_first) and order_moq(_first) as coordinates (rows as in add_order_setup)."""
    out: list[Rows] = []
    fs, rc, S = lay.fs_setup, lay.rc_setup, lay.S
    if len(fs):
        lanes = lay.fs_lane[fs]
        out.append(
            _lot_rows(
                "order_setup_first", 1, len(fs), lambda s, j: cols["order_first"] + fs[j],
                lambda s, j: cols["placed_first"] + j, lay.big_m[lanes], 1,
            )
        )  # fmt: skip
        with_moq = np.flatnonzero(data.moq[lanes] > 0)
        if len(with_moq):
            out.append(
                _lot_rows(
                    "order_moq_first", 1, len(with_moq),
                    lambda s, j: cols["order_first"] + fs[with_moq[j]],
                    lambda s, j: cols["placed_first"] + with_moq[j],
                    data.moq[lanes[with_moq]], -1,
                )
            )  # fmt: skip
    if len(rc):
        lanes, n_rc, n_set = lay.rc_lane[rc], lay.n_rc, len(rc)
        out.append(
            _lot_rows(
                "order_setup", S, n_set, lambda s, j: cols["order"] + s * n_rc + rc[j],
                lambda s, j: cols["placed"] + s * n_set + j, lay.big_m[lanes], 1,
            )
        )  # fmt: skip
        with_moq = np.flatnonzero(data.moq[lanes] > 0)
        if len(with_moq):
            rows = _lot_rows(
                "order_moq", S, len(with_moq),
                lambda s, j: cols["order"] + s * n_rc + rc[with_moq[j]],
                lambda s, j: cols["placed"] + s * n_set + with_moq[j],
                data.moq[lanes[with_moq]], -1,
            )  # fmt: skip
            rows.labels = [(s, int(j)) for s in range(S) for j in with_moq]
            out.append(rows)
    return out


def order_multiple_matrix(data: ModelData, lay: Layout, cols: ColumnSpace) -> list[Rows]:
    """order_multiple(_first) as coordinates (rows as in add_order_multiples)."""
    out: list[Rows] = []
    fs, rc, mult = lay.fs_lots, lay.rc_lots, data.order_multiple
    if len(fs):
        out.append(
            _lot_rows(
                "order_multiple_first", 1, len(fs), lambda s, j: cols["order_first"] + fs[j],
                lambda s, j: cols["lots_first"] + j, mult[lay.fs_lane[fs]], 0,
            )
        )  # fmt: skip
    if len(rc):
        n_rc, n_lot = lay.n_rc, len(rc)
        out.append(
            _lot_rows(
                "order_multiple", lay.S, n_lot, lambda s, j: cols["order"] + s * n_rc + rc[j],
                lambda s, j: cols["lots"] + s * n_lot + j, mult[lay.rc_lane[rc]], 0,
            )
        )  # fmt: skip
    return out
