"""Value of the stochastic solution (VSS) and expected value of perfect information (EVPI).

    RP   the stochastic plan's objective (recourse problem)
    EV   the plan from the same model with one scenario at the mean demand
    EEV  the EV plan's first-stage decisions fixed, recourse re-optimised on every scenario
    WS   wait-and-see: every scenario chooses its own first-stage decisions (perfect information)
    VSS = EEV - RP >= 0,   EVPI = RP - WS >= 0
All four use the same objective (including any CVaR term), so both values are never negative
up to the solver's tolerances.

Large models (`by_scenario=True`, used when the plan itself was decomposed): EEV and WS split
by scenario, since with the first stage fixed (EEV) or chosen per scenario (WS) nothing links
two scenarios. Each scenario's LP is solved on its own (`planner.decompose.pool`, in parallel,
HiGHS restarting from the previous scenario's basis), and the objective is assembled from the
scenario costs exactly as the extensive form's (`plan_objective`: expectation plus any CVaR,
which is monotone in every scenario's cost, so per-scenario minima also minimise it). This needs
per-scenario subproblems (no fill-rate target over all scenarios) and no lot sizing (whose
integer first stage the scenario LPs relax); otherwise the extensive forms are built as above.
"""

from __future__ import annotations

import time
from dataclasses import replace

import numpy as np

from planner.model.build import build_model
from planner.model.data import ModelData
from planner.solve import SolveResult, SolverOptions, solve_model

FIRST_STAGE_VARS = ("order_first", "placed_first", "lots_first")
NO_RECOURSE = "the EV plan's first-stage orders leave no feasible recourse (VSS unbounded)"


def ev_data(data: ModelData) -> ModelData:
    """The same model with one scenario at the mean demand (nominal lead times)."""
    return data.with_scenarios(np.tensordot(data.prob, data.demand, axes=1)[None], np.ones(1))


def evaluate_first_stage(
    data: ModelData, first_stage: dict[str, np.ndarray], options: SolverOptions
) -> SolveResult:
    """Fix the first-stage decisions and re-optimise the recourse on every scenario of `data`.

    The decisions are fixed through their bounds rather than `fix()`, so that the solver, not
    the model compiler, checks rows they fill to the brim (with its feasibility tolerance).
    """
    model, _ = build_model(data)
    for name in FIRST_STAGE_VARS:
        comp = getattr(model, name)
        values = first_stage.get(name, np.zeros(len(comp)))
        integer = name != "order_first"
        for k in range(len(comp)):
            v = float(values[k])
            v = float(round(v)) if integer else max(v, 0.0)
            comp[k].setlb(v)
            comp[k].setub(v)
    return solve_model(model, options)


def value_of_information(
    data: ModelData,
    rp: SolveResult,
    options: SolverOptions,
    *,
    by_scenario: bool = False,
    workers: int = 1,
) -> dict:
    """VSS and EVPI of a solved stochastic plan `rp` of `data` (see the module docstring)."""
    t0 = time.perf_counter()
    out: dict = {"rp": rp.objective}
    if data.n_scenarios == 1 or data.frozen == 0:
        out.update(
            ev=rp.objective,
            eev=rp.objective,
            ws=rp.objective,
            vss=0.0,
            evpi=0.0,
            note="one scenario or no frozen weeks: the plan has nothing to hedge",
        )
        out["seconds"] = time.perf_counter() - t0
        return out
    ev_model, _ = build_model(ev_data(data))
    ev = solve_model(ev_model, options)
    if by_scenario and splits_by_scenario(data):
        out.update(_by_scenario(data, rp, ev, options, workers))
        out["method"] = "by scenario"
        out["seconds"] = time.perf_counter() - t0
        return out
    if not ev.status.has_solution:
        out.update(
            ev=None, eev=None, vss=None, note=f"the EV problem has no plan ({ev.status.value})"
        )
    else:
        eev = evaluate_first_stage(
            data, {k: ev.values.get(k, np.zeros(0)) for k in FIRST_STAGE_VARS}, options
        )
        out["ev"] = ev.objective
        if eev.status.has_solution:
            out["eev"] = eev.objective
            out["vss"] = eev.objective - rp.objective
        else:
            out["eev"] = None
            out["vss"] = None
            out["note"] = NO_RECOURSE
    ws_model, _ = build_model(replace(data, frozen_weeks=0))
    ws = solve_model(ws_model, options)
    out["ws"] = ws.objective if ws.status.has_solution else None
    out["evpi"] = rp.objective - ws.objective if ws.status.has_solution else None
    gaps = [r.gap for r in (rp, ev, ws) if r.n_integers]
    if gaps:
        out["mip_gap_max"] = float(max(gaps))
    out["seconds"] = time.perf_counter() - t0
    return out


def splits_by_scenario(data: ModelData) -> bool:
    """EEV and WS can be solved one scenario at a time, exactly."""
    from planner.decompose.dispatch import scenario_separable

    return scenario_separable(data) is None and not data.has_lot_sizing


def _by_scenario(
    data: ModelData, rp: SolveResult, ev: SolveResult, options: SolverOptions, workers: int
) -> dict:
    """EV, EEV and WS with every scenario's LP solved apart."""
    from planner.decompose.assemble import plan_objective
    from planner.decompose.pool import ScenarioPool

    S = data.n_scenarios
    out: dict = {}
    with ScenarioPool(data, options, workers=workers) as pool:
        ws = pool.solve({s: {} for s in range(S)})  # each scenario's own first stage
        ws_ok = all(ws[s].ok and ws[s].elastic <= 1e-6 for s in range(S))
        out["ws"] = plan_objective(data, np.array([ws[s].objective for s in range(S)]))
        if not ws_ok:
            out["ws"] = None
        if not ev.status.has_solution:
            out.update(ev=None, eev=None, vss=None)
            out["note"] = f"the EV problem has no plan ({ev.status.value})"
        else:
            x = ev.values.get("order_first", np.zeros(0))
            eev = pool.solve({s: {"x": x} for s in range(S)})
            out["ev"] = ev.objective
            if all(eev[s].ok and eev[s].elastic <= 1e-6 for s in range(S)):
                out["eev"] = plan_objective(data, np.array([eev[s].objective for s in range(S)]))
                out["vss"] = out["eev"] - rp.objective
            else:
                out.update(eev=None, vss=None)
                out["note"] = NO_RECOURSE
    out["evpi"] = rp.objective - out["ws"] if out["ws"] is not None else None
    return out
