"""Progressive hedging (Rockafellar and Wets) over scenarios, with a Lagrangian lower bound.

Every scenario s chooses its own first stage x_s; the plan is their probability-weighted mean
x_bar. Each iteration

    x_s  = argmin f_s(x, y) + w_s x + rho/2 |x - x_bar|^2      (a QP per scenario, HiGHS)
    x_bar = sum_s p_s x_s,     w_s += rho (x_s - x_bar)          (so sum_s p_s w_s = 0)

Bounds, every `check_every` iterations and at the end:
    lower  sum_s p_s min_x [f_s(x, y) + w_s x]   a Lagrangian bound (valid for any w with
           sum_s p_s w_s = 0: the non-anticipativity constraints are dualised)
    upper  sum_s p_s f_s(x_bar)                   x_bar is a plan (the first-stage rows are
           convex, so the mean of feasible x_s satisfies them); it is evaluated with every
           scenario's recourse re-optimised
The method stops when (upper - lower) / |upper| <= tolerance, or at the iteration or time
limit, and reports the best plan it evaluated with the gap it reached. Progressive hedging
converges for convex (LP) problems but can be slow to close the last fraction of a percent;
the gap is what it proves, not what it hopes.

Limits: an integer first stage (MOQ, order multiples, fixed order costs) has no convex mean
plan, and CVaR weighs scenarios jointly; both are configuration errors (use benders or
extensive). The penalty rho defaults to RHO_FACTOR x each lane's unit order cost.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np

from planner.decompose.assemble import assemble, iteration_timings
from planner.decompose.benders import _failed, _gap, check_scenario_separable
from planner.decompose.pool import ScenarioPool
from planner.decompose.scenario_lp import ELASTIC_TOL
from planner.errors import ConfigError
from planner.model.data import ModelData
from planner.model.layout import make_layout
from planner.solve import SolverOptions, SolveStatus

Progress = Callable[[str], None]
RHO_FACTOR = 0.1


def _quiet(_: str) -> None:
    pass


def default_rho(data: ModelData, rho: float | None) -> np.ndarray:
    """Penalty per first-stage order: `rho` for all, or RHO_FACTOR x the lane's unit cost."""
    lay = make_layout(data)
    if rho is not None:
        return np.full(lay.n_fs, float(rho))
    return np.maximum(RHO_FACTOR * data.unit_order_cost[lay.fs_lane], 1e-6)


def solve_ph(
    data: ModelData,
    options: SolverOptions,
    *,
    tolerance: float = 1e-4,
    max_iterations: int = 200,
    workers: int = 1,
    rho: float | None = None,
    check_every: int = 5,
    progress: Progress = _quiet,
):
    """(ModelRows, Layout, SolveResult, info) of progressive hedging; see the module docstring."""
    check_scenario_separable(data, "ph")
    if data.has_lot_sizing:
        raise ConfigError(
            "solver.method: ph needs a linear first stage, but the dataset has MOQ, order "
            "multiples or fixed order costs (integer committed orders). Use solver.method: "
            "benders or extensive."
        )
    if data.cvar_weight > 0:
        raise ConfigError(
            "solver.method: ph does not handle risk.cvar_weight > 0 (CVaR weighs all scenarios "
            "together). Use solver.method: benders or extensive."
        )
    t0 = time.perf_counter()
    deadline = t0 + options.time_limit_s
    S, p = data.n_scenarios, data.prob
    r = default_rho(data, rho)
    history: list[dict] = []
    with ScenarioPool(data, options, workers) as pool:
        fs = pool.first_stage
        t_build = time.perf_counter() - t0
        sols = pool.solve({s: {} for s in range(S)})
        if not all(v.ok for v in sols.values()):
            bad = next(v for v in sols.values() if not v.ok)
            return _failed(data, bad.status, t0, t_build, history)
        lower = float(p @ [sols[s].objective for s in range(S)])  # w = 0: wait-and-see bound
        X = np.vstack([sols[s].x for s in range(S)]) if fs.n_fs else np.zeros((S, 0))
        xbar = p @ X
        W = r[None, :] * (X - xbar[None, :])
        upper, best = np.inf, None
        status = SolveStatus.OPTIMAL
        iterations = 0
        for it in range(1, max_iterations + 1):
            iterations = it
            if it == 1 or it % check_every == 0:
                ub, ok = _evaluate(pool, data, xbar)
                if ok and ub < upper:
                    upper, best = ub, xbar.copy()
                if it > 1:
                    lb = pool.solve({s: {"x_cost": W[s]} for s in range(S)})
                    if all(v.ok for v in lb.values()):
                        lower = max(
                            lower, float(p @ [lb[s].objective + W[s] @ lb[s].x for s in range(S)])
                        )
                gap = _gap(upper, lower)
                conv = float(p @ np.abs(X - xbar[None, :]).sum(axis=1))
                history.append(
                    {"iteration": it, "lower": lower, "upper": upper, "gap": gap, "spread": conv}
                )
                progress(
                    f"ph iteration {it}: lower {lower:,.2f}, upper {upper:,.2f}, gap {gap:.2e}, "
                    f"spread {conv:.3g}"
                )
                if gap <= tolerance:
                    break
            if time.perf_counter() > deadline:
                status = SolveStatus.TIME_LIMIT_FEASIBLE
                break
            sols = pool.solve({s: {"x_cost": W[s], "prox": (r, xbar)} for s in range(S)})
            if not all(v.ok for v in sols.values()):
                bad = next(v for v in sols.values() if not v.ok)
                return _failed(data, bad.status, t0, t_build, history)
            X = np.vstack([sols[s].x for s in range(S)])
            xbar = p @ X
            W = W + r[None, :] * (X - xbar[None, :])
        if best is None:
            return _failed(data, "no plan within the capacities", t0, t_build, history)
        gap = _gap(upper, lower)
        if gap > tolerance:
            status = SolveStatus.TIME_LIMIT_FEASIBLE
        t_iter = time.perf_counter()
        first = {"order_first": best, "placed_first": np.zeros(0), "lots_first": np.zeros(0)}
        final = pool.solve({s: {"x": best, "full": True} for s in range(S)})
    rows, lay, res = assemble(
        data,
        first,
        final,
        status=status,
        gap=gap,
        seconds=time.perf_counter() - t0,
        timings=iteration_timings(t0, t_build, t_iter, time.perf_counter()),
        sizes=fs.extensive_sizes(S),
    )
    info = {
        "iterations": iterations,
        "lower_bound": lower,
        "upper_bound": upper,
        "gap": gap,
        "workers": pool.workers,
        "converged": gap <= tolerance,
        "rho": "per lane" if rho is None else rho,
        "history": history,
    }
    return rows, lay, res, info


def _evaluate(pool: ScenarioPool, data: ModelData, x: np.ndarray) -> tuple[float, bool]:
    """Expected cost of the plan x (recourse re-optimised); False if it needs elastic capacity."""
    ev = pool.solve({s: {"x": x} for s in range(data.n_scenarios)})
    if not all(v.ok and v.elastic <= ELASTIC_TOL for v in ev.values()):
        return np.inf, False
    return float(data.prob @ [ev[s].objective for s in range(data.n_scenarios)]), True
