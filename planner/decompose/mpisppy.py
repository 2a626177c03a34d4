"""Progressive hedging on mpi-sppy: the stochastic model split by scenario across MPI ranks.

    mpiexec -n K planner plan SCENARIO --set solver.method=mpisppy-ph
    mpiexec -n K python -m planner.decompose.mpisppy_run SCENARIO

Each scenario s is the model of the ModelData restricted to demand[s] (probability 1 inside,
`_mpisppy_probability` = p_s outside), built by the same `build_model` as the extensive form.
Its first-stage variables (committed orders `order_first`, their order-placed binaries
`placed_first` and lot counts `lots_first`, and the CVaR threshold `cvar_var` when risk is
weighted) are the nonanticipative variables; `first_stage_cost` is the root node's cost. mpi-sppy
spreads the scenarios over the ranks of MPI_COMM_WORLD (or runs them all in one process when
there is no mpiexec) and runs PH:

    min_x  c x + Q_s(x) + W_s x + rho/2 |x - xbar|^2        per scenario, W and xbar updated

The proximal term is linearised by outer-approximation cuts (mpi-sppy's `linearize_proximal_
terms`), so every subproblem stays an LP (a MILP with lot sizing) that HiGHS solves through
Pyomo's persistent `appsi_highs` interface. PH stops when the cost-weighted disagreement of the
scenarios' first-stage orders, relative to the expected cost, falls below `tolerance`.

Then a plan is made of the consensus: xbar, rounded where integer and made consistent with the
lot rules, is fixed in every scenario and each scenario's recourse is solved (one LP each, on
the rank that owns it). The assembled solution has the extensive form's variable families in
its flat order, its objective is the extensive form's objective at that point (an upper bound),
and its gap is measured against the best lower bound: the wait-and-see bound of iteration 0
(each scenario on its own) and the Lagrangian bound of the final weights W (each scenario with
W and without the proximal term).

Only the expected fill-rate target (`service_level`) is out of reach: it is one constraint
across all scenarios, so scenarios cannot be solved apart; it raises a ConfigError.
"""

from __future__ import annotations

import contextlib
import io
import math
import os
import time
from dataclasses import dataclass, replace

import numpy as np
import pyomo.environ as pyo

from planner.errors import ConfigError, InfeasibleError, SolverError
from planner.model.build import build_model
from planner.model.data import ModelData
from planner.model.layout import Layout, make_layout, order_bound
from planner.model.objective import FIRST_STAGE, expected_coefficients, scenario_coefficients
from planner.solve import SolveResult, SolverOptions, SolveStatus, solve_model

SOLVER_NAME = os.environ.get("PLANNER_MPISPPY_SOLVER", "appsi_highs")
LINEARIZE_PROX = os.environ.get("PLANNER_MPISPPY_LINPROX", "1") == "1"
NONANT_FAMILIES = (*FIRST_STAGE, "cvar_var")  # order_first, placed_first, lots_first, cvar_var
# scenario-indexed variable families of the extensive form, scenario-major
RECOURSE_FAMILIES = ("order", "placed", "lots", "stock", "short", "overflow", "transfer")
RISK_FAMILY = "cvar_excess_var"
PROX_LINEARIZATION_TOLERANCE = 1e-2
DEFAULT_RHO_FACTOR = 0.01  # rho per unit of a first-stage variable = factor x its unit cost


# --------------------------------------------------------------------------- MPI helpers
def world():
    """MPI_COMM_WORLD, or None when mpi4py is not installed."""
    try:
        from mpi4py import MPI
    except ImportError:  # pragma: no cover - the mpi extra is optional
        return None
    return MPI.COMM_WORLD


def mpi_rank() -> int:
    comm = world()
    return 0 if comm is None else int(comm.Get_rank())


def mpi_size() -> int:
    comm = world()
    return 1 if comm is None else int(comm.Get_size())


def is_worker_rank() -> bool:
    """True on every MPI rank but 0: such a rank computes its share and writes nothing.

    Cheap and safe without mpiexec (then the process is rank 0 of 1): the environment variables
    that mpiexec sets (MPICH/hydra `PMI_RANK`, Open MPI `OMPI_COMM_WORLD_RANK`) are read first,
    so a plain run never initialises MPI.
    """
    for var in ("PMI_RANK", "OMPI_COMM_WORLD_RANK", "PMIX_RANK"):
        if var in os.environ:
            return int(os.environ[var]) != 0
    return False


def available() -> bool:
    """mpi-sppy, mpi4py and the HiGHS plugin are importable."""
    try:
        import mpi4py  # noqa: F401

        with contextlib.redirect_stdout(io.StringIO()):  # mpi-sppy greets on import
            import mpisppy  # noqa: F401
    except ImportError:
        return False
    return bool(pyo.SolverFactory(SOLVER_NAME).available(exception_flag=False))


# --------------------------------------------------------------------------- scenarios
def scenario_names(data: ModelData) -> list[str]:
    """One name per scenario, `scen<k>` in scenario order."""
    return [f"scen{k}" for k in range(data.n_scenarios)]


def scenario_number(name: str) -> int:
    if not name.startswith("scen") or not name[4:].isdigit():
        raise ValueError(f"not a planner scenario name: {name!r} (expected scen<k>)")
    return int(name[4:])


def scenario_data(data: ModelData, k: int) -> ModelData:
    """The ModelData of scenario k alone, probability 1 (its weight p_k lives outside)."""
    lts = data.lead_time_scenarios
    return replace(
        data,
        demand=data.demand[k : k + 1],
        prob=np.ones(1),
        lead_time_scenarios=None if lts is None else lts[:, k : k + 1],
        meta=dict(data.meta),
    )


def check_decomposable(data: ModelData) -> None:
    """ConfigError for what PH over scenarios cannot split: the expected fill-rate target."""
    if data.service_level is not None:
        raise ConfigError(
            "solver.method mpisppy-ph cannot honour risk.service_level: the expected fill rate "
            "is one constraint over all scenarios, so they cannot be solved apart. Remove "
            "risk.service_level or use solver.method extensive (or auto)."
        )


def _use_big_m(m: pyo.ConcreteModel, lay: Layout, big_m: np.ndarray) -> None:
    """Rewrite order_setup rows with the extensive form's big-M (the largest demand over all
    scenarios): a scenario's own bound is smaller, which would restrict its first-stage orders
    and raise the relaxed recourse setup cost compared with the extensive form."""
    if np.array_equal(big_m, lay.big_m):
        return
    if hasattr(m, "order_setup_first"):
        x, o = m.order_first, m.placed_first
        for j, k in enumerate(lay.fs_setup.tolist()):
            m.order_setup_first[j].set_value(x[k] - float(big_m[lay.fs_lane[k]]) * o[j] <= 0)
    if hasattr(m, "order_setup"):
        y, o = m.order, m.placed
        for j, p in enumerate(lay.rc_setup.tolist()):
            m.order_setup[j].set_value(y[p] - float(big_m[lay.rc_lane[p]]) * o[j] <= 0)


def _expression_model(data: ModelData) -> tuple[pyo.ConcreteModel, Layout]:
    """The model built row by row as Pyomo expressions: mpi-sppy adds its W and proximal terms
    to the objective expression and hands the model to Pyomo's appsi HiGHS interface, which
    walk ordinary Var/Constraint/Objective components."""
    try:
        from planner.model.build import build_environ_model
    except ImportError:  # a builder with a single (expression) backend
        return build_model(data)
    return build_environ_model(data)


def nonanticipative(m: pyo.ConcreteModel) -> list:
    """The first-stage variable components of a scenario model, in NONANT_FAMILIES order."""
    return [
        getattr(m, name)
        for name in NONANT_FAMILIES
        if name in m.component_map(pyo.Var) and len(getattr(m, name)) > 0
    ]


def scenario_creator(
    scenario_name: str, data: ModelData, big_m: np.ndarray | None = None
) -> pyo.ConcreteModel:
    """mpi-sppy scenario creator: the Pyomo model of one scenario with its root node attached.

    `big_m` is the extensive form's order bound (`planner.model.layout.order_bound(data)`);
    pass it when creating many scenarios to compute it once.
    """
    from mpisppy.utils import sputils

    k = scenario_number(scenario_name)
    model, lay = _expression_model(scenario_data(data, k))
    _use_big_m(model, lay, order_bound(data) if big_m is None else big_m)
    first_cost = model.first_stage_cost
    if data.cvar_weight > 0:
        first_cost = first_cost + data.cvar_weight * model.cvar_var
    sputils.attach_root_node(model, first_cost, nonanticipative(model))
    model._mpisppy_probability = float(data.prob[k])
    model.planner_unit_costs = _first_stage_unit_costs(data, lay)
    return model


def _first_stage_unit_costs(data: ModelData, lay: Layout) -> dict[str, np.ndarray]:
    """Cost of one unit of each first-stage variable (for rho and for the convergence test)."""
    c = data.unit_order_cost
    return {
        "order_first": c[lay.fs_lane],
        "placed_first": data.fixed_order_cost[lay.fs_lane[lay.fs_setup]],
        "lots_first": data.order_multiple[lay.fs_lane[lay.fs_lots]] * c[lay.fs_lane[lay.fs_lots]],
        "cvar_var": np.full(1, data.cvar_weight),
    }


def _rho_setter(factor: float | None, constant: float | None):
    """Cost-proportional rho (Watson and Woodruff 2011): rho_i = factor x unit cost of x_i,
    floored; or one constant rho for every first-stage variable."""

    def setter(model) -> list[tuple[int, float]]:
        out = []
        costs = model.planner_unit_costs
        for comp in nonanticipative(model):
            cost = costs[comp.local_name]
            floor = max(1e-3, 1e-3 * float(np.max(cost, initial=0.0)))
            for idx, var in comp.items():
                i = 0 if idx is None else idx
                rho = constant if constant is not None else factor * max(float(cost[i]), floor)
                out.append((id(var), rho))
        return out

    return setter


# --------------------------------------------------------------------------- convergence
GAP_CHECK_EVERY = 5  # PH iterations between two bound checks (each costs two solve rounds)


class _GapConverger:
    """Stops PH at a relative gap: every GAP_CHECK_EVERY iterations (right after xbar and W are
    updated) it solves every local scenario twice more:

    lower  with the current W and without the proximal term: sum_s p_s min(f_s + W_s x) is a
           Lagrangian lower bound because sum_s p_s W_s = 0
    upper  with the first stage fixed at the consensus (`consensus_first_stage`): the expected
           cost of a plan that is the same in every scenario
    and stops when (best upper - best lower) / |best upper| <= tolerance. The solves overwrite
    the scenarios' values, which PH's next solve round replaces anyway.
    """

    tolerance = 1e-4
    data: ModelData | None = None
    layout: Layout | None = None

    def __init__(self, opt):
        self.opt = opt
        self.conv = None
        self.lower = -math.inf
        self.upper = math.inf
        self.checks = 0

    def is_converged(self) -> bool:
        it = int(self.opt._PHIter)
        if it % GAP_CHECK_EVERY:
            return False
        self.check()
        return self.conv is not None and self.conv <= self.tolerance

    def check(self) -> None:
        self.checks += 1
        self.lower_round()
        self.upper_round()
        if math.isfinite(self.upper) and math.isfinite(self.lower):
            self.conv = max(self.upper - self.lower, 0.0) / max(abs(self.upper), 1.0)

    def lower_round(self) -> None:
        """Lagrangian bound: W on, prox off."""
        opt = self.opt
        opt._disable_prox()
        opt.solve_loop(
            solver_options=opt._effective_solver_options(opt._PHIter),
            gripe=False,
            need_solution=False,
        )
        failed = opt.allreduce_or(
            not all(s._mpisppy_data.solution_available for s in opt.local_scenarios.values())
        )
        if not failed:
            self.lower = max(self.lower, float(opt.Ebound()))
        opt._reenable_prox()

    def upper_round(self) -> None:
        """Expected cost of the consensus plan: first stage fixed, W and prox off."""
        opt = self.opt
        first = consensus_first_stage(self.data, self.layout, _xbar(opt))
        opt.disable_W_and_prox()
        saved = [_pin_first_stage(s, first) for s in opt.local_scenarios.values()]
        opt.solve_loop(
            solver_options=opt._effective_solver_options(opt._PHIter),
            gripe=False,
            need_solution=False,
        )
        failed = opt.allreduce_or(
            not all(s._mpisppy_data.solution_available for s in opt.local_scenarios.values())
        )
        if not failed:
            self.upper = min(self.upper, float(opt.Eobjective()))
        for bounds in saved:
            for var, lb, ub in bounds:
                var.setlb(lb)
                var.setub(ub)
        opt.reenable_W_and_prox()


# --------------------------------------------------------------------------- result
@dataclass
class MpisppyResult(SolveResult):
    """SolveResult of PH on mpi-sppy, with PH's own figures."""

    lower_bound: float = math.nan  # best valid lower bound (max of the two below)
    trivial_bound: float = math.nan  # wait-and-see: every scenario on its own (iteration 0)
    lagrangian_bound: float = math.nan  # best over the gap checks: W on, proximal term off
    iterations: int = 0
    gap_checks: int = 0  # bound checks made during PH (every GAP_CHECK_EVERY iterations)
    converged: bool = False
    ranks: int = 1


def consensus_first_stage(
    data: ModelData, lay: Layout, xbar: dict[str, np.ndarray]
) -> dict[str, np.ndarray]:
    """First-stage values from PH's averages: integers rounded, lot rules made to hold.

    A lane with an order multiple orders m x round(lots); a lane with a setup places an order
    when round(placed) = 1, then at least its MOQ (rounded up to its multiple); otherwise 0.
    """
    order = np.maximum(xbar.get("order_first", np.zeros(lay.n_fs)).astype(float), 0.0)
    mult = data.order_multiple[lay.fs_lane]
    moq = data.moq[lay.fs_lane]
    lots = np.zeros(len(lay.fs_lots))
    if len(lay.fs_lots):
        lots = np.maximum(np.round(xbar["lots_first"]), 0.0)
        order[lay.fs_lots] = mult[lay.fs_lots] * lots
    placed = np.zeros(len(lay.fs_setup))
    if len(lay.fs_setup):
        placed = np.clip(np.round(xbar["placed_first"]), 0.0, 1.0)
        ks = lay.fs_setup
        order[ks[placed == 0]] = 0.0
        on = ks[placed == 1]
        order[on] = np.minimum(np.maximum(order[on], moq[on]), lay.big_m[lay.fs_lane[on]])
        if len(lay.fs_lots):
            pos = {int(k): j for j, k in enumerate(lay.fs_lots.tolist())}
            for k in ks.tolist():
                if k in pos:
                    j = pos[k]
                    lots[j] = math.ceil(order[k] / mult[k] - 1e-9) if order[k] > 0 else 0.0
                    order[k] = mult[k] * lots[j]
    out = {"order_first": order, "placed_first": placed, "lots_first": lots}
    if data.cvar_weight > 0:
        out["cvar_var"] = np.asarray(xbar.get("cvar_var", np.zeros(1)), float).reshape(1)
    return out


def _pin_first_stage(model, values: dict[str, np.ndarray]) -> list[tuple]:
    """Bound the first-stage variables to `values` (lb = ub) and return their old bounds.

    Bounds, not `fix`: a persistent solver then changes column bounds only, where fixing
    makes it rebuild every row the variables appear in."""
    saved = []
    for comp in nonanticipative(model):
        vals = values[comp.local_name]
        for idx, var in comp.items():
            v = float(vals[0 if idx is None else idx])
            saved.append((var, var.lb, var.ub))
            var.setlb(v)
            var.setub(v)
    return saved


def _fix_first_stage(model, values: dict[str, np.ndarray]) -> None:
    for comp in nonanticipative(model):
        vals = values[comp.local_name]
        for idx, var in comp.items():
            var.fix(float(vals[0 if idx is None else idx]))


def _deactivate_first_stage_rows(model, rel_tol: float = 1e-6) -> None:
    """Rows over first-stage variables only (`*_first`) are constants once those are fixed:
    check them here with a tolerance (PH's average satisfies them up to round-off) and switch
    them off, so the compiler does not see a row without variables."""
    for con in list(model.component_objects(pyo.Constraint, active=True, descend_into=False)):
        if not con.local_name.endswith("_first"):
            continue
        for idx, row in con.items():
            body = float(pyo.value(row.body))
            lo, hi = row.lb, row.ub
            scale = max(1.0, abs(body), abs(lo or 0.0), abs(hi or 0.0))
            if (lo is not None and body < lo - rel_tol * scale) or (
                hi is not None and body > hi + rel_tol * scale
            ):
                raise _ConsensusViolation(f"{con.local_name}[{idx}]")
        con.deactivate()


class _ConsensusViolation(Exception):
    """The consensus first stage breaks one of its own constraints (after rounding)."""


def _recourse_solve(model, options: SolverOptions) -> SolveResult:
    """The scenario's recourse with the first stage fixed: the PH terms switched off, the
    model's own objective restored."""
    mp = model._mpisppy_model
    for name in ("xsqvar_cuts", "xsqvar"):  # the linearised prox: not part of the model
        if hasattr(mp, name):
            mp.del_component(name)
    for obj in model.component_data_objects(pyo.Objective, active=True):
        obj.deactivate()
    _deactivate_first_stage_rows(model)
    expr = model.first_stage_cost + model.second_stage_cost
    if hasattr(model, "risk_cost"):
        expr = expr + model.risk_cost
    model.planner_recourse_objective = pyo.Objective(expr=expr, sense=pyo.minimize)
    return solve_model(model, options)


def _scenario_costs(data: ModelData, lay: Layout, values: dict[str, np.ndarray]) -> np.ndarray:
    """Unweighted cost of each scenario (no risk term), from the extensive form's coefficients."""
    S = lay.S
    coefs = scenario_coefficients(data, lay)
    cost = np.zeros(S)
    for name, coef in coefs.items():
        if name not in values or coef.size == 0:
            continue
        v = values[name]
        if name in FIRST_STAGE:
            cost += coef @ v
        else:
            cost += (coef * v.reshape(S, -1)).sum(axis=1)
    return cost


def extensive_objective(data: ModelData, lay: Layout, values: dict[str, np.ndarray]) -> float:
    """The extensive form's objective at `values` (expected cost, plus weighted CVaR)."""
    total = 0.0
    for name, coef in expected_coefficients(data, lay).items():
        if name in values and coef.size:
            total += float(coef @ values[name])
    if data.cvar_weight > 0:
        alpha = data.cvar_alpha
        total += data.cvar_weight * (
            float(values["cvar_var"][0]) + float(data.prob @ values[RISK_FAMILY]) / (1 - alpha)
        )
    return total


def _best_cvar_threshold(data: ModelData, lay: Layout, values: dict[str, np.ndarray]) -> None:
    """Given the plan, the CVaR threshold eta that minimises eta + E[(cost - eta)^+]/(1-alpha)
    (one of the scenario costs), and the excesses that go with it."""
    cost = _scenario_costs(data, lay, values)
    p, alpha = data.prob, data.cvar_alpha
    obj = [eta + p @ np.maximum(cost - eta, 0.0) / (1 - alpha) for eta in cost]
    eta = float(cost[int(np.argmin(obj))])
    values["cvar_var"] = np.array([eta])
    values[RISK_FAMILY] = np.maximum(cost - eta, 0.0)


# --------------------------------------------------------------------------- solve
def ph_options(
    data: ModelData,
    options: SolverOptions,
    *,
    rho: float | None,
    max_iterations: int,
) -> dict:
    """mpi-sppy PH options: linearised prox, HiGHS, the iteration and time limits."""
    sub = {"mip_rel_gap": float(options.mip_gap)}
    if options.threads:
        sub["threads"] = int(options.threads)
    return {
        "solver_name": SOLVER_NAME,
        "PHIterLimit": int(max_iterations),
        "defaultPHrho": float(rho) if rho is not None else 1.0,
        "convthresh": 0.0,  # stopping is the gap converger's
        "verbose": False,
        "display_progress": bool(options.verbose),
        "display_timing": False,
        "linearize_proximal_terms": LINEARIZE_PROX,
        "proximal_linearization_tolerance": PROX_LINEARIZATION_TOLERANCE,
        "linearize_binary_proximal_terms": True,
        "iter0_solver_options": dict(sub),
        "iterk_solver_options": dict(sub),
        "time_limit": float(options.time_limit_s),
    }


def solve_mpisppy(
    data: ModelData,
    options: SolverOptions | None = None,
    *,
    rho: float | None = None,
    max_iterations: int = 100,
    tolerance: float = 1e-4,
    comm=None,
) -> MpisppyResult:
    """Progressive hedging over the scenarios on mpi-sppy, then the consensus plan.

    Collective: under mpiexec every rank of `comm` (default MPI_COMM_WORLD) must call it with
    the same data; each builds and solves only its own scenarios, and every rank returns the
    same complete result. `rho` None is cost-proportional (DEFAULT_RHO_FACTOR x the unit cost of
    each first-stage variable); `tolerance` is the relative cost-weighted disagreement of the
    scenarios' first-stage orders at which PH stops.
    """
    options = SolverOptions() if options is None else options
    check_decomposable(data)
    if not available():
        raise ConfigError(
            'solver.method mpisppy-ph needs mpi-sppy, mpi4py and highspy: pip install -e ".[mpi]"'
        )
    if max_iterations < 1 or not tolerance > 0:
        raise ConfigError("mpisppy-ph needs max_iterations >= 1 and tolerance > 0")
    quiet = (
        contextlib.nullcontext() if options.verbose else contextlib.redirect_stdout(io.StringIO())
    )
    with quiet:
        from mpisppy import MPI
        from mpisppy.opt.ph import PH
    comm = MPI.COMM_WORLD if comm is None else comm
    t_start = time.perf_counter()
    lay = make_layout(data)
    big_m = lay.big_m

    def creator(name: str, **_):
        return scenario_creator(name, data, big_m)

    converger = type(
        "Converger",
        (_GapConverger,),
        {"tolerance": float(tolerance), "data": data, "layout": lay},
    )
    opts = ph_options(data, options, rho=rho, max_iterations=max_iterations)
    with quiet:
        ph = PH(
            opts,
            scenario_names(data),
            creator,
            mpicomm=comm,
            ph_converger=converger,
            rho_setter=_rho_setter(DEFAULT_RHO_FACTOR, rho),
        )
        t_built = time.perf_counter()
        _conv, _eobj, trivial = ph.ph_main(finalize=False)
        t_ph = time.perf_counter()
        conv = ph.convobject
        xbar = _xbar(ph)
        iterations = int(ph._PHIter)
        converged = conv.conv is not None and conv.conv <= tolerance
        if not converged:  # a bound from the last weights W
            conv.lower_round()
        t_bound = time.perf_counter()
    first = consensus_first_stage(data, lay, xbar)
    local = {}
    for name, model in ph.local_scenarios.items():
        ph_model = model
        _fix_first_stage(ph_model, first)
        try:
            res = _recourse_solve(ph_model, options)
        except _ConsensusViolation as exc:
            local[name] = ("failed", "infeasible", f"first-stage row {exc} is violated")
            continue
        if not res.status.has_solution:
            local[name] = ("failed", res.status.value, res.highs_status)
        else:
            local[name] = ("ok", _recourse_values(res), _recourse_duals(res), _sizes(res))
    gathered = {}
    for part in comm.allgather(local):
        gathered.update(part)
    t_recourse = time.perf_counter()
    failed = [(n, v[1]) for n, v in gathered.items() if v[0] == "failed"]
    if failed:
        names = ", ".join(f"{n} ({gathered[n][2] or st})" for n, st in failed[:5])
        raise (InfeasibleError if any(st == "infeasible" for _, st in failed) else SolverError)(
            f"the PH consensus plan has no recourse in {len(failed)} scenario(s): {names}. "
            "Raise solver.max_iterations or lower solver.tolerance, or use solver.method "
            "extensive."
        )
    values, duals, n_var, n_con = _assemble(data, lay, first, gathered)
    if data.cvar_weight > 0:
        _best_cvar_threshold(data, lay, values)
    objective = extensive_objective(data, lay, values)
    lower = max(float(trivial), conv.lower)
    gap = max(objective - lower, 0.0) / max(abs(objective), 1.0)
    n_int = len(lay.fs_setup) + len(lay.fs_lots)
    if data.integer_recourse:
        n_int += lay.S * (len(lay.rc_setup) + len(lay.rc_lots))
    status = (
        SolveStatus.OPTIMAL
        if gap <= max(options.mip_gap, tolerance)
        else (SolveStatus.TIME_LIMIT_FEASIBLE)
    )
    return MpisppyResult(
        status=status,
        objective=objective,
        values=values,
        duals=duals,
        gap=gap,
        seconds=t_recourse - t_built,
        n_variables=n_var,
        n_constraints=n_con,
        n_integers=n_int,
        timings={
            "compile": t_built - t_start,
            "handover": 0.0,
            "solve": t_recourse - t_built,
            "ph": t_ph - t_built,
            "bound": t_bound - t_ph,
            "recourse": t_recourse - t_bound,
        },
        highs_status=(
            f"progressive hedging {'converged' if converged else 'stopped at its limit'} "
            f"after {iterations} iterations, gap {gap:.2e}"
        ),
        lower_bound=lower,
        trivial_bound=float(trivial),
        lagrangian_bound=conv.lower,
        iterations=iterations,
        gap_checks=conv.checks,
        converged=bool(converged),
        ranks=int(comm.Get_size()),
    )


def _xbar(ph) -> dict[str, np.ndarray]:
    """PH's consensus (xbar) of every first-stage family, from any local scenario."""
    s = next(iter(ph.local_scenarios.values()))
    out = {}
    for comp in nonanticipative(s):
        vals = np.zeros(len(comp))
        for idx, var in comp.items():
            ndn = s._mpisppy_data.varid_to_nonant_index[id(var)]
            vals[0 if idx is None else idx] = s._mpisppy_model.xbars[ndn]._value
        out[comp.local_name] = vals
    return out


def _recourse_values(res: SolveResult) -> dict[str, np.ndarray]:
    return {k: v for k, v in res.values.items() if k in (*RECOURSE_FAMILIES, RISK_FAMILY)}


def _recourse_duals(res: SolveResult) -> dict[str, np.ndarray]:
    return {k: v for k, v in res.duals.items() if not k.endswith("_first") and k != "xsqvar_cuts"}


def _sizes(res: SolveResult) -> tuple[int, int]:
    return res.n_variables, res.n_constraints


def _assemble(data: ModelData, lay: Layout, first: dict, gathered: dict):
    """Extensive-form arrays (scenario-major) from the per-scenario recourse solutions; duals
    weighted by the scenario probabilities (the extensive objective weighs scenario s by p_s)."""
    names = scenario_names(data)
    values = {k: np.asarray(v, float) for k, v in first.items() if k != "cvar_var" or len(v)}
    duals: dict[str, np.ndarray] = {}
    families = gathered[names[0]][1].keys()
    for fam in families:
        values[fam] = np.concatenate([gathered[n][1][fam] for n in names])
    for fam in gathered[names[0]][2].keys():
        duals[fam] = np.concatenate(
            [data.prob[k] * gathered[n][2][fam] for k, n in enumerate(names)]
        )
    n_var = sum(len(v) for v in values.values())
    n_con = sum(gathered[n][3][1] for n in names)
    return values, duals, n_var, n_con
