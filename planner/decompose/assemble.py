"""The extensive form's SolveResult from a first stage and every scenario's recourse.

Benders and progressive hedging end with one first-stage plan; every scenario's recourse is
re-solved with it fixed (`ScenarioSolver.solve(s, x=..., full=True)`), and the pieces are laid
out exactly as the extensive form lays them out: first-stage families as they are, each
recourse family's scenario block s from scenario s. Row duals of scenario s are the scenario
LP's duals times p_s (the extensive objective weighs scenario s by p_s). So the costs add up
to the objective, and `summarise` checks it as for any solve.
"""

from __future__ import annotations

import numpy as np

from planner.decompose.components import empty_values
from planner.decompose.rows import ModelRows, extensive_rows
from planner.decompose.scenario_lp import RECOURSE_FAMILIES, RECOURSE_ROWS, ScenarioSolution
from planner.model.data import ModelData
from planner.model.layout import Layout, make_layout
from planner.solve import SolveResult, SolveStatus


def cvar_point(costs: np.ndarray, prob: np.ndarray, alpha: float) -> tuple[float, np.ndarray]:
    """(eta, zeta) at the minimum of eta + sum p (cost - eta)^+ / (1 - alpha)."""
    values = [eta + prob @ np.maximum(costs - eta, 0.0) / (1 - alpha) for eta in costs]
    eta = float(costs[int(np.argmin(values))])
    return eta, np.maximum(costs - eta, 0.0)


def plan_objective(data: ModelData, scenario_costs: np.ndarray) -> float:
    """Expected cost plus the weighted CVaR of the per-scenario total costs."""
    total = float(data.prob @ scenario_costs)
    if data.cvar_weight > 0:
        eta, zeta = cvar_point(scenario_costs, data.prob, data.cvar_alpha)
        total += data.cvar_weight * (eta + float(data.prob @ zeta) / (1 - data.cvar_alpha))
    return total


def iteration_timings(t0: float, t_build: float, t_iter: float, t_end: float) -> dict[str, float]:
    """SolveResult timings of an iterative method: building the subproblems, iterating, then
    assembling the plan."""
    return {
        "compile": t_build,
        "handover": 0.0,
        "solve": t_iter - t0 - t_build,
        "extract": t_end - t_iter,
    }


def assemble(
    data: ModelData,
    first: dict[str, np.ndarray],
    scenarios: dict[int, ScenarioSolution],
    *,
    fixed_cost: np.ndarray | None = None,
    first_duals: dict[str, np.ndarray] | None = None,
    status: SolveStatus = SolveStatus.OPTIMAL,
    gap: float = 0.0,
    seconds: float = 0.0,
    timings: dict[str, float] | None = None,
    sizes: tuple[int, int, int] = (0, 0, 0),
) -> tuple[ModelRows, Layout, SolveResult]:
    """ModelRows, layout and SolveResult of the extensive form for this plan."""
    lay = make_layout(data)
    S = lay.S
    values = empty_values(data, lay)
    for name in ("order_first", "placed_first", "lots_first"):
        if name in first and len(values[name]):
            values[name][:] = first[name]
    full_rows = extensive_rows(data, lay)
    duals: dict[str, np.ndarray] = {"stock_balance": np.zeros(S * lay.n * lay.T)}
    duals.update({f: np.zeros(len(r)) for f, r in full_rows.items()})
    have_duals = True
    costs = np.zeros(S)
    fixed = 0.0
    for s in range(S):
        sol = scenarios[s]
        costs[s] = sol.objective
        for name in RECOURSE_FAMILIES:
            block = values[name].reshape(S, -1)
            if block.shape[1]:
                block[s] = sol.values[name]
        if sol.duals is None:
            have_duals = False
            continue
        for name in RECOURSE_ROWS:
            if name in sol.duals and name in duals:
                duals[name].reshape(S, -1)[s] = data.prob[s] * sol.duals[name]
    if fixed_cost is not None and len(fixed_cost):
        fixed = float(fixed_cost @ first["placed_first"])
    scenario_costs = costs + fixed
    if data.cvar_weight > 0:
        eta, zeta = cvar_point(scenario_costs, data.prob, data.cvar_alpha)
        values["cvar_var"] = np.array([eta])
        values["cvar_excess_var"] = zeta
    if first_duals:
        for name, d in first_duals.items():
            if name in duals:
                duals[name][:] = d
    if not have_duals:
        duals = {}
    res = SolveResult(
        status=status,
        objective=plan_objective(data, scenario_costs),
        values=values,
        duals=duals,
        gap=gap,
        seconds=seconds,
        n_variables=sizes[0],
        n_constraints=sizes[1],
        n_integers=sizes[2],
        timings=timings or {},
        highs_status="Optimal" if status is SolveStatus.OPTIMAL else status.value,
    )
    return ModelRows(full_rows), lay, res
