"""Multi-cut L-shaped method (Benders decomposition) over the committed orders.

    master   min  sum_s p_s theta_s + f.o  (+ lambda (eta + sum_s p_s zeta_s / (1 - alpha)))
             s.t. first-stage rows (supplier capacity and budget of the frozen weeks, MOQ,
                  order multiples, order setup) over x, o, k;  0 <= x <= M
                  theta_s >= f_s(x^j) + g_s^j (x - x^j)            one cut per scenario s and
                                                                  iterate j (multi-cut)
                  zeta_s >= theta_s + f.o - eta,  zeta >= 0        (CVaR, when weighted)
    f_s(x)   the cost of scenario s with the first stage fixed at x (the scenario LP of
             `planner.decompose.scenario_lp`), g_s its gradient: the reduced costs of x.
The master's optimum is a lower bound of the extensive optimum (cuts under-estimate the convex
f_s; the subproblem's elastic capacity makes it a relaxation, never an over-estimate). Every
evaluated first stage whose scenarios use no elastic capacity is a feasible plan: its cost is an
upper bound. The method stops when (upper - lower) / |upper| <= tolerance, or at the iteration
or time limit with the gap it reached. The plan reported is the best evaluated first stage, its
recourse re-solved in every scenario.

The first stage may be integer (MOQ, order multiples, fixed order costs): the master is then a
MILP (HiGHS branch and bound, lower bound = its dual bound). The recourse must be an LP
(`integer_recourse: false`, the default), and a minimum fill rate (an expectation over all
scenarios) has no per-scenario form: both are reported as configuration errors.

In-out stabilisation (Ben-Ameur and Neto): the cutting-plane master alone jumps from one
corner of the many-dimensional first stage to another. With a linear first stage the next point
is the master's solution moved towards the best plan so far, x = x_best + step (x_master -
x_best); the step doubles (up to 1) when the point improved the plan and halves (down to 0.05)
when it did not. Cuts are valid at any point, so the bounds are unaffected. With integer
first-stage columns the master's own solution is used.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import highspy
import numpy as np
import scipy.sparse as sp

from planner.decompose.assemble import assemble, iteration_timings, plan_objective
from planner.decompose.pool import ScenarioPool
from planner.decompose.scenario_lp import ELASTIC_TOL, FirstStage
from planner.errors import ConfigError
from planner.model.data import ModelData
from planner.solve import SolverOptions, SolveStatus, new_highs

Progress = Callable[[str], None]
MIN_STEP = 0.05  # smallest in-out step towards the master's point


def _quiet(_: str) -> None:
    pass


def check_scenario_separable(data: ModelData, method: str) -> None:
    """Raise ConfigError when the model has no per-scenario subproblems."""
    if data.service_level is not None:
        raise ConfigError(
            f"solver.method: {method} needs a model that splits by scenario, but "
            "risk.service_level is an expected fill rate over all scenarios. Use "
            "solver.method: extensive (or auto) with a service level."
        )
    if data.integer_recourse and data.has_lot_sizing:
        raise ConfigError(
            f"solver.method: {method} needs linear recourse, but solver.integer_recourse is true "
            "with MOQ, order multiples or fixed order costs. Set solver.integer_recourse: false "
            "or use solver.method: extensive."
        )


class Master:
    """The L-shaped master on highspy: first-stage columns, one theta per scenario, cuts."""

    def __init__(self, fs: FirstStage, data: ModelData, options: SolverOptions):
        S = data.n_scenarios
        self.fs, self.S = fs, S
        self.cvar = data.cvar_weight > 0
        n1 = fs.n_cols
        self.theta0 = n1
        n = n1 + S + (1 + S if self.cvar else 0)
        inf = highspy.kHighsInf
        lo = np.zeros(n)
        hi = np.full(n, inf)
        hi[: fs.n_fs] = fs.big_m
        hi[fs.n_fs : fs.n_fs + fs.n_setup] = 1.0
        lo[n1 : n1 + S] = -inf
        cost = np.zeros(n)
        cost[fs.n_fs : fs.n_fs + fs.n_setup] = fs.fixed_cost
        cost[n1 : n1 + S] = data.prob
        rows = [sp.hstack([fs.matrix, sp.csr_matrix((fs.matrix.shape[0], n - n1))])]
        row_lo, row_hi = [fs.lo], [fs.hi]
        if self.cvar:
            eta = n1 + S
            lo[eta] = -inf
            lam, alpha = data.cvar_weight, data.cvar_alpha
            cost[eta] = lam
            cost[eta + 1 :] = lam * data.prob / (1 - alpha)
            # zeta_s - theta_s - f.o + eta >= 0
            C = sp.lil_matrix((S, n))
            for s in range(S):
                C[s, eta + 1 + s] = 1.0
                C[s, n1 + s] = -1.0
                C[s, eta] = 1.0
                for j in range(fs.n_setup):
                    C[s, fs.n_fs + j] = -fs.fixed_cost[j]
            rows.append(C.tocsr())
            row_lo.append(np.zeros(S))
            row_hi.append(np.full(S, inf))
        A = sp.vstack(rows, format="csc") if rows else sp.csc_matrix((0, n))
        lp = highspy.HighsLp()
        lp.num_col_, lp.num_row_ = n, A.shape[0]
        lp.col_cost_, lp.col_lower_, lp.col_upper_ = cost, lo, hi
        lp.row_lower_ = np.concatenate(row_lo)
        lp.row_upper_ = np.concatenate(row_hi)
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.start_, lp.a_matrix_.index_, lp.a_matrix_.value_ = A.indptr, A.indices, A.data
        self.integer = fs.n_setup + fs.n_lots > 0
        if self.integer:
            kinds = [highspy.HighsVarType.kContinuous] * n
            for j in range(fs.n_fs, n1):
                kinds[j] = highspy.HighsVarType.kInteger
            lp.integrality_ = kinds
        self.n = n
        self.h = new_highs()
        self.h.setOptionValue("output_flag", bool(options.verbose))
        self.h.setOptionValue("mip_rel_gap", 1e-9)
        # steep cuts next to integers: the default 1e-6 makes HiGHS reject its own optimum
        self.h.setOptionValue("mip_feasibility_tolerance", 1e-5)
        self.h.passModel(lp)
        self.n_fs_rows = fs.matrix.shape[0]
        self.theta = np.full(S, -np.inf)
        self.cuts = 0

    def add_cuts(self, f: np.ndarray, G: np.ndarray, x: np.ndarray, only_violated: bool) -> int:
        """theta_s - g_s x >= f_s - g_s x_hat for the scenarios whose cut the master violates."""
        add = []
        for s in range(self.S):
            if only_violated and self.theta[s] >= f[s] - 1e-9 * max(1.0, abs(f[s])):
                continue
            add.append(s)
        if not add:
            return 0
        starts, index, value, lo = [], [], [], []
        pos = 0
        for s in add:
            g = G[s]
            nz = np.flatnonzero(np.abs(g) > 1e-12)
            starts.append(pos)
            index.extend(nz.tolist())
            value.extend((-g[nz]).tolist())
            index.append(self.theta0 + s)
            value.append(1.0)
            pos += len(nz) + 1
            lo.append(float(f[s] - g @ x))
        k = len(add)
        self.h.addRows(
            k,
            np.asarray(lo),
            np.full(k, highspy.kHighsInf),
            len(index),
            np.asarray(starts, np.int32),
            np.asarray(index, np.int32),
            np.asarray(value, float),
        )
        self.cuts += k
        return k

    def solve(self, time_limit: float) -> tuple[bool, float, np.ndarray]:
        """(solved, lower bound, first-stage columns [x, o, k])."""
        self.h.setOptionValue("time_limit", max(float(time_limit), 1.0))
        if self.integer:  # branch and bound afresh: a MIP re-run after new rows can fail
            self.h.clearSolver()
        self.h.run()
        ok = self.h.getModelStatus() == highspy.HighsModelStatus.kOptimal
        if not ok:
            return False, -np.inf, np.zeros(self.fs.n_cols)
        info = self.h.getInfo()
        col = np.asarray(self.h.getSolution().col_value)
        self.theta = col[self.theta0 : self.theta0 + self.S]
        bound = float(info.mip_dual_bound) if self.integer else float(info.objective_function_value)
        return True, bound, col[: self.fs.n_cols]

    def first_stage_duals(self) -> dict[str, np.ndarray]:
        """Row duals of the first-stage capacity/budget rows (LP master only)."""
        if self.integer or self.n_fs_rows == 0:
            return {}
        sol = self.h.getSolution()
        if not sol.dual_valid:
            return {}
        dual = np.asarray(sol.row_dual)[: self.n_fs_rows]
        out = {}
        for name, (rows, idx) in self.fs.families.items():
            arr = np.zeros(int(idx.max()) + 1 if len(idx) else 0)
            arr[idx] = dual[rows]
            out[name] = arr
        return out


def _split(fs: FirstStage, cols: np.ndarray) -> dict[str, np.ndarray]:
    a, b = fs.n_fs, fs.n_fs + fs.n_setup
    return {"order_first": cols[:a], "placed_first": cols[a:b], "lots_first": cols[b:]}


def solve_benders(
    data: ModelData,
    options: SolverOptions,
    *,
    tolerance: float = 1e-4,
    max_iterations: int = 200,
    workers: int = 1,
    progress: Progress = _quiet,
):
    """(ModelRows, Layout, SolveResult, info) of the L-shaped method; see the module docstring."""
    check_scenario_separable(data, "benders")
    t0 = time.perf_counter()
    deadline = t0 + options.time_limit_s
    S, p = data.n_scenarios, data.prob
    history: list[dict] = []
    with ScenarioPool(data, options, workers) as pool:
        fs = pool.first_stage
        t_build = time.perf_counter() - t0
        master = Master(fs, data, options)
        # start at the probability-weighted mean of each scenario's own best first stage
        free = pool.solve({s: {} for s in range(S)})
        if not all(r.ok for r in free.values()):
            bad = next(r for r in free.values() if not r.ok)
            return _failed(data, bad.status, t0, t_build, history)
        x = np.sum([p[s] * free[s].x for s in range(S)], axis=0)
        cols = np.concatenate([x, np.zeros(fs.n_setup + fs.n_lots)])
        point_is_plan = fs.n_setup + fs.n_lots == 0  # a mean of feasible LP plans is feasible
        upper, lower, best = np.inf, -np.inf, None
        status = SolveStatus.OPTIMAL
        iterations = 0
        step = 1.0
        for it in range(1, max_iterations + 1):
            iterations = it
            ev = pool.solve({s: {"x": cols[: fs.n_fs]} for s in range(S)})
            if not all(r.ok for r in ev.values()):
                bad = next(r for r in ev.values() if not r.ok)
                return _failed(data, bad.status, t0, t_build, history)
            f = np.array([ev[s].objective for s in range(S)])
            G = np.vstack([ev[s].gradient for s in range(S)]) if fs.n_fs else np.zeros((S, 0))
            elastic = max(ev[s].elastic for s in range(S))
            improved = False
            if point_is_plan and elastic <= ELASTIC_TOL:
                fixed = float(fs.fixed_cost @ cols[fs.n_fs : fs.n_fs + fs.n_setup])
                value = plan_objective(data, f + fixed)
                if value < upper - 1e-12 * max(1.0, abs(value)):
                    upper, best, improved = value, cols.copy(), True
            master.add_cuts(f, G, cols[: fs.n_fs], only_violated=False)
            solved, bound, master_cols = master.solve(deadline - time.perf_counter())
            if not solved:
                status = SolveStatus.TIME_LIMIT_FEASIBLE if best is not None else SolveStatus.ERROR
                break
            lower = max(lower, bound)
            gap = _gap(upper, lower)
            history.append(
                {"iteration": it, "lower": lower, "upper": upper, "gap": gap, "cuts": master.cuts}
            )
            progress(
                f"benders iteration {it}: lower {lower:,.2f}, upper {upper:,.2f}, gap {gap:.2e}"
            )
            if gap <= tolerance:
                break
            if time.perf_counter() > deadline:
                status = SolveStatus.TIME_LIMIT_FEASIBLE
                break
            # next point: the master's, moved towards the incumbent (in-out stabilisation)
            if best is None or fs.n_setup + fs.n_lots:
                cols = master_cols
            else:
                step = min(1.0, 2 * step) if improved else max(0.5 * step, MIN_STEP)
                cols = best + step * (master_cols - best)
            point_is_plan = True
        else:
            status = SolveStatus.TIME_LIMIT_FEASIBLE
        if best is None:
            return _failed(data, "no plan within the capacities", t0, t_build, history)
        if status is SolveStatus.OPTIMAL and _gap(upper, lower) > tolerance:
            status = SolveStatus.TIME_LIMIT_FEASIBLE
        t_iter = time.perf_counter()
        first = _split(fs, best)
        final = pool.solve({s: {"x": first["order_first"], "full": True} for s in range(S)})
        first_duals = master.first_stage_duals()
    gap = _gap(upper, lower)
    rows, lay, res = assemble(
        data,
        first,
        final,
        fixed_cost=fs.fixed_cost,
        first_duals=first_duals,
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
        "cuts": master.cuts,
        "workers": pool.workers,
        "converged": gap <= tolerance,
        "history": history,
    }
    return rows, lay, res, info


def _gap(upper: float, lower: float) -> float:
    if not np.isfinite(upper) or not np.isfinite(lower):
        return float("inf")
    return max(upper - lower, 0.0) / max(abs(upper), 1e-9)


def _failed(data: ModelData, why: str, t0: float, t_build: float, history: list):
    """A SolveResult without a plan (the caller turns it into the right error)."""
    from planner.model.layout import make_layout
    from planner.solve import SolveResult

    status = (
        SolveStatus.INFEASIBLE if "Infeasible" in why or "no plan" in why else SolveStatus.ERROR
    )
    res = SolveResult(
        status=status,
        objective=float("nan"),
        values={},
        duals={},
        gap=float("nan"),
        seconds=time.perf_counter() - t0,
        n_variables=0,
        n_constraints=0,
        n_integers=0,
        timings={"compile": t_build},
        highs_status=why,
    )
    return None, make_layout(data), res, {"iterations": len(history), "history": history}
