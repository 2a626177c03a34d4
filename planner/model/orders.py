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

import pyomo.environ as pyo

from planner.model.data import ModelData
from planner.model.layout import Layout


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
