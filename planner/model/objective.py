"""Costs of every variable family, the per-scenario cost, and the objective.

first-stage cost   sum c_l x_{l,t} + f_l o_{l,t}
second-stage cost  sum_s p_s [ c_l y + f_l o + h_i I + pi_i U + c_r z + M O
                               - v_i I_{i,T-1,s} - v_i (orders arriving after the horizon) ]
risk               lambda (eta + 1/(1-alpha) sum_s p_s zeta_s)     (CVaR, when weighted)
"""

from __future__ import annotations

import numpy as np
import pyomo.environ as pyo
from pyomo.core.expr.numeric_expr import LinearExpression

from planner.model.data import ModelData
from planner.model.layout import Layout
from planner.model.matrix import ColumnSpace, Rows, coo
from planner.model.stock import late_arrivals

OVERFLOW_PENALTY_FACTOR = 10.0
FIRST_STAGE = ("order_first", "placed_first", "lots_first")


def overflow_penalty(data: ModelData) -> float:
    """Price of one volume unit over capacity: far above any cost of holding the units."""
    per_unit = max(
        float(np.max(data.unit_order_cost, initial=0.0)),
        float(np.max(data.shortage_cost, initial=0.0)),
    )
    per_volume = per_unit / max(float(np.min(data.volume[data.volume > 0], initial=1.0)), 1e-9)
    return OVERFLOW_PENALTY_FACTOR * max(per_volume, 1.0)


def scenario_coefficients(data: ModelData, lay: Layout) -> dict[str, np.ndarray]:
    """Unweighted cost of each variable in each scenario.

    First-stage families: shape (S, size) (a first-stage order's cost depends on the scenario
    only through a late arrival's terminal credit). Recourse families: shape (S, block), the
    coefficients of scenario s's block.
    """
    S, n, T = lay.S, lay.n, lay.T
    c = data.unit_order_cost
    v = data.terminal_value
    fs_late, rc_late = late_arrivals(data, lay)
    fs_series = data.lane_series[lay.fs_lane]
    rc_series = data.lane_series[lay.rc_lane]
    stock = np.broadcast_to(data.holding_cost[:, None], (n, T)).copy()
    stock[:, T - 1] -= v
    short = np.broadcast_to(data.shortage_cost[:, None], (n, T)).copy()
    if data.backorder:  # units still owed at the end will be served from stock worth v each
        short[:, T - 1] += v
    tr_cost = data.transfers.cost[lay.tr_route] if lay.n_tr else np.zeros(0)
    return {
        "order_first": c[lay.fs_lane][None, :] - (fs_late.T * v[fs_series][None, :]),
        "placed_first": np.broadcast_to(
            data.fixed_order_cost[lay.fs_lane[lay.fs_setup]], (S, len(lay.fs_setup))
        ),
        "order": c[lay.rc_lane][None, :] - rc_late * v[rc_series][None, :],
        "placed": np.broadcast_to(
            data.fixed_order_cost[lay.rc_lane[lay.rc_setup]], (S, len(lay.rc_setup))
        ),
        "stock": np.broadcast_to(stock.reshape(-1), (S, n * T)),
        "short": np.broadcast_to(short.reshape(-1), (S, n * T)),
        "overflow": np.full((S, len(lay.overflow_wt)), overflow_penalty(data)),
        "transfer": np.broadcast_to(tr_cost, (S, lay.n_tr)),
    }


def expected_coefficients(data: ModelData, lay: Layout) -> dict[str, np.ndarray]:
    """Probability-weighted objective coefficient of every variable, in flat index order."""
    p = data.prob
    out = {}
    for name, coef in scenario_coefficients(data, lay).items():
        if name in FIRST_STAGE:
            out[name] = p @ coef
        else:
            out[name] = (p[:, None] * coef).reshape(-1)
    return out


def _linear(m: pyo.ConcreteModel, coefs: dict[str, np.ndarray], names) -> LinearExpression:
    cs: list[float] = []
    vs: list = []
    for name in names:
        comp = getattr(m, name, None)
        if comp is None or name not in coefs or len(comp) == 0:
            continue
        cs.extend(coefs[name].tolist())
        vs.extend(comp.values())
    return LinearExpression(constant=0.0, linear_coefs=cs, linear_vars=vs)


def add_cvar(m: pyo.ConcreteModel, data: ModelData, lay: Layout) -> None:
    """cvar_excess: zeta_s >= cost_s - eta (zeta >= 0), for CVaR_alpha of the total cost."""
    if data.cvar_weight <= 0:
        return
    m.cvar_var = pyo.Var(domain=pyo.Reals)
    m.cvar_excess_var = pyo.Var(range(lay.S), domain=pyo.NonNegativeReals)
    coefs = scenario_coefficients(data, lay)

    def rule(_m, s):
        cs: list[float] = []
        vs: list = []
        for name, coef in coefs.items():
            comp = getattr(m, name, None)
            if comp is None or len(comp) == 0:
                continue
            if name in FIRST_STAGE:
                cs.extend(coef[s].tolist())
                vs.extend(comp.values())
            else:
                block = coef.shape[1]
                cs.extend(coef[s].tolist())
                vs.extend(comp[k] for k in range(s * block, (s + 1) * block))
        cost = LinearExpression(constant=0.0, linear_coefs=cs, linear_vars=vs)
        return m.cvar_excess_var[s] - cost + m.cvar_var >= 0

    m.cvar_excess = pyo.Constraint(range(lay.S), rule=rule)


def add_objective(m: pyo.ConcreteModel, data: ModelData, lay: Layout) -> None:
    """Named first-stage, second-stage and risk costs; minimise their sum."""
    coefs = expected_coefficients(data, lay)
    m.first_stage_cost = pyo.Expression(expr=_linear(m, coefs, FIRST_STAGE))
    m.second_stage_cost = pyo.Expression(
        expr=_linear(m, coefs, ("order", "placed", "stock", "short", "overflow", "transfer"))
    )
    total = m.first_stage_cost + m.second_stage_cost
    if data.cvar_weight > 0:
        lam, alpha = data.cvar_weight, data.cvar_alpha
        m.risk_cost = pyo.Expression(
            expr=lam
            * (
                m.cvar_var
                + sum(data.prob[s] / (1 - alpha) * m.cvar_excess_var[s] for s in range(lay.S))
            )
        )
        total = total + m.risk_cost
    m.total_cost = pyo.Objective(expr=total, sense=pyo.minimize)


def cvar_matrix(data: ModelData, lay: Layout, cols: ColumnSpace) -> Rows | None:
    """cvar_excess as coordinates: zeta_s - cost_s + eta >= 0 (rows as in add_cvar)."""
    if data.cvar_weight <= 0:
        return None
    S = lay.S
    scen = np.arange(S, dtype=np.int64)
    parts = [(scen, cols["cvar_excess_var"] + scen, 1.0), (scen, np.full(S, cols["cvar_var"]), 1.0)]
    for name, coef in scenario_coefficients(data, lay).items():
        size = coef.shape[1]
        if size == 0:
            continue
        k = np.arange(size, dtype=np.int64)[None, :]
        col = cols[name] + (k if name in FIRST_STAGE else scen[:, None] * size + k)
        parts.append((np.broadcast_to(scen[:, None], (S, size)), col, -coef))
    return Rows("cvar_excess", *coo(*parts), lb=np.zeros(S), ub=np.full(S, np.inf))


def objective_vector(data: ModelData, lay: Layout, cols: ColumnSpace) -> np.ndarray:
    """The objective of `add_objective` as one cost per column."""
    cost = np.zeros(cols.size)
    for name, coef in expected_coefficients(data, lay).items():
        cost[cols[name] : cols[name] + len(coef)] = coef
    if data.cvar_weight > 0:
        lam, alpha = data.cvar_weight, data.cvar_alpha
        cost[cols["cvar_var"]] = lam
        cost[cols["cvar_excess_var"] : cols["cvar_excess_var"] + lay.S] = (
            lam * data.prob / (1 - alpha)
        )
    return cost
