"""`planner simulate` as a library call: replay the last weeks of history under every policy.

    result = simulate_scenario(load_scenario("scenarios/demo.yaml")[0], weeks=26)
    write_simulation(result, Path("runs/demo-sim"))

The window is the last `weeks` weeks of the demand history. Every policy starts from the same
state: the dataset's stock on hand, and its open orders due as many weeks after the window's
start as they are due after the history's end. Every week, each policy sees the forecast made
on the history before that week (shared by all policies) and its own simulated stock; the week
is then realised with the true demand (`demand_true` beside the sales when the dataset has it,
else the recorded sales). With `synthetic=True` history and window are drawn from a known
generator fitted to the history, once per replication.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from planner.config import Scenario
from planner.data import Dataset, load_dataset
from planner.errors import ConfigError, Problem
from planner.model.data import ModelData
from planner.model.inputs import InputNotes, make_model_data
from planner.output import write_csv, write_json
from planner.scenarios import ScenarioSet
from planner.simulate.baselines import BaseStockPolicy, SSPolicy
from planner.simulate.engine import (
    Network,
    SimState,
    Trace,
    initial_state,
    realised_leads,
    run_policy,
    weekly_table,
)
from planner.simulate.forecasts import (
    SCENARIO_METHODS,
    WeekForecast,
    check_window,
    history_forecasts,
)
from planner.simulate.kpis import kpi_table, trace_kpis
from planner.simulate.oracle import oracle_policy
from planner.simulate.policies import POLICIES, ModelPolicy
from planner.simulate.synthetic import DemandGenerator, fit_generator, with_demand
from planner.simulate.truth import true_demand
from planner.solve import SolverOptions

Progress = Callable[[str, int, int], None]


def _quiet(label: str, done: int, total: int) -> None:
    pass


@dataclass
class SimulationResult:
    scenario: Scenario
    options: dict
    weeks: pd.DatetimeIndex
    kpis: pd.DataFrame  # one row per policy (mean over replications)
    kpis_by_replication: pd.DataFrame
    weekly: pd.DataFrame
    timings: dict[str, float]
    dataset_fingerprint: str
    notes: list[str] = field(default_factory=list)
    forecasts: list[WeekForecast] | None = None
    policy_seconds: dict[str, float] = field(default_factory=dict)
    oracle_objective: float | None = None


@dataclass(frozen=True, eq=False)
class _Replay:
    """Everything one replication's policies share."""

    network: Network
    truth: np.ndarray  # (n, N)
    forecasts: list[WeekForecast]
    state: SimState
    weeks: pd.DatetimeIndex
    horizon: int
    options: SolverOptions


def check_options(
    scenario: Scenario,
    dataset: Dataset,
    weeks: int,
    refit_every: int,
    policies: tuple[str, ...],
    synthetic: bool,
    replications: int,
    scenario_method: str = "reduced",
) -> None:
    src = str(scenario.source or "scenario")
    problems = []
    n_hist = dataset.demand["week"].nunique()
    if not 1 <= weeks <= n_hist - 8:
        problems.append(
            Problem(
                src,
                f"--weeks must be between 1 and {n_hist - 8} (the history has {n_hist} weeks); got {weeks}",
                fix="replay fewer weeks",
            )
        )
    if refit_every < 1:
        problems.append(Problem(src, f"--refit-every must be at least 1; got {refit_every}"))
    unknown = [p for p in policies if p not in POLICIES]
    if unknown or not policies:
        problems.append(
            Problem(
                src,
                f"unknown policies {unknown}" if unknown else "no policy given",
                fix="choose from " + ", ".join(POLICIES),
            )
        )
    if scenario_method not in SCENARIO_METHODS:
        problems.append(
            Problem(
                src,
                f"unknown scenario method {scenario_method!r}",
                fix="choose from " + ", ".join(SCENARIO_METHODS),
            )
        )
    if replications < 1:
        problems.append(Problem(src, f"--replications must be at least 1; got {replications}"))
    if replications > 1 and not synthetic:
        problems.append(
            Problem(
                src,
                "--replications > 1 needs --synthetic: the history replays one demand path",
                fix="add --synthetic, or drop --replications",
            )
        )
    if problems:
        raise ConfigError(problems, title="invalid simulate options")


def simulation_scenario(scenario: Scenario) -> Scenario:
    """The scenario as every weekly plan of the replay uses it (no VSS/EVPI, start from data)."""
    plan = scenario.plan.model_copy(update={"start": None, "value_of_information": False})
    return scenario.model_copy(update={"plan": plan})


def network_data(dataset: Dataset, scenario: Scenario) -> tuple[ModelData, list[str]]:
    """The static network (lanes, costs, capacities, lot rules) and the start state's source:
    the dataset's stock on hand and open orders (due relative to the history's end)."""
    notes = InputNotes()
    H = scenario.plan.horizon_weeks
    weeks = pd.date_range(dataset.last_week + pd.Timedelta(weeks=1), periods=H, freq="W-MON")
    series = dataset.series
    S = scenario.forecast.scenarios
    dummy = ScenarioSet(np.zeros((S, len(series), H)), np.full(S, 1.0 / S))
    data = make_model_data(dataset, scenario, series, weeks, dummy, notes)
    return data, notes.lines


def _trace_policy(name: str, rp: _Replay) -> tuple[Trace, float | None, float]:
    """Replay one policy; returns its trace, the oracle's planned objective, solve seconds."""
    objective = None
    solve_s = 0.0
    t0 = time.perf_counter()
    if name in ("stochastic", "deterministic"):
        policy = ModelPolicy(name, rp.network, rp.forecasts, rp.weeks, rp.horizon, rp.options)
    elif name == "base_stock":
        policy = BaseStockPolicy(rp.network, rp.forecasts)
    elif name == "sS":
        policy = SSPolicy(rp.network, rp.forecasts)
    else:
        policy, objective = oracle_policy(rp.network, rp.truth, rp.state, rp.weeks, rp.options)
    trace = run_policy(rp.network, rp.truth, policy, rp.state)
    solve_s = getattr(policy, "solve_seconds", 0.0)
    trace.seconds = time.perf_counter() - t0
    return trace, objective, solve_s


def _replication(
    r: int,
    dataset: Dataset,
    scenario: Scenario,
    generator: DemandGenerator,
    base: Network,
    state: SimState,
    weeks: pd.DatetimeIndex,
    refit_every: int,
    policies: tuple[str, ...],
    seed: int,
    options: SolverOptions,
    scenario_method: str,
) -> list[tuple[Trace, float | None, float]]:
    """One synthetic replication: draw demand, forecast, replay every policy."""
    drawn = generator.sample(seed, r)
    ds = with_demand(dataset, generator, drawn)
    cols = generator.weeks.get_indexer(weeks)
    truth = drawn[:, cols]
    forecasts = history_forecasts(
        ds, scenario, weeks, refit_every, n_jobs=1, scenario_method=scenario_method
    )
    rp = _Replay(base, truth, forecasts, state, weeks, scenario.plan.horizon_weeks, options)
    return [_trace_policy(p, rp) for p in policies]


def simulate_scenario(
    scenario: Scenario,
    *,
    weeks: int = 26,
    refit_every: int = 1,
    policies: tuple[str, ...] | list[str] = POLICIES,
    synthetic: bool = False,
    replications: int = 1,
    seed: int | None = None,
    progress: Progress = _quiet,
    scheduler: str | None = None,
    n_workers: int | None = None,
    dataset: Dataset | None = None,
    scenario_method: str = "reduced",
    forecasts: list[WeekForecast] | None = None,
    keep_paths: bool = False,
) -> SimulationResult:
    """Replay the last `weeks` weeks under each policy (see the module docstring).

    `forecasts` (one per replay week, e.g. `result.forecasts` of an earlier run of the same
    scenario and window, see `rebuild_scenarios`) skips the forecasting; `keep_paths` keeps
    the sample paths in `result.forecasts` for that.
    """
    from planner.parallel import TaskRunner, map_tasks
    from planner.pipeline import solver_options

    timings: dict[str, float] = {}
    t = time.perf_counter()
    policies = tuple(dict.fromkeys(policies))
    dataset = dataset if dataset is not None else load_dataset(scenario.dataset)
    timings["load"] = time.perf_counter() - t
    check_options(
        scenario, dataset, weeks, refit_every, policies, synthetic, replications, scenario_method
    )
    seed = scenario.forecast.seed if seed is None else int(seed)
    sc = simulation_scenario(scenario)
    notes: list[str] = []
    if scenario.whatif:
        notes.append(
            "what-ifs of the scenario are not applied in a replay (the history is the test)"
        )
    all_weeks = pd.DatetimeIndex(sorted(dataset.demand["week"].unique()))
    window = all_weeks[-weeks:]
    check_window(dataset, window, str(scenario.source or "scenario"))

    t = time.perf_counter()
    data, input_notes = network_data(dataset, sc)
    notes += input_notes
    network = Network(data, realised_leads(data, weeks, seed))
    state = initial_state(data.n_series, weeks, network.max_lead, data.on_hand, data.open_arrivals)
    options = solver_options(sc)
    timings["setup"] = time.perf_counter() - t

    results: list[list[tuple[Trace, float | None, float]]] = []
    if not synthetic:
        truth, truth_note = true_demand(dataset, window)
        if truth_note:
            notes.append(truth_note)
        t = time.perf_counter()
        if forecasts is not None and len(forecasts) != weeks:
            raise ValueError(f"{len(forecasts)} forecasts given for {weeks} replay weeks")
        n_fits = 0 if forecasts is not None else len(range(0, weeks, refit_every))
        total = n_fits + len(policies)
        progress("forecasting", 0, total)
        forecasts = forecasts or history_forecasts(
            dataset,
            sc,
            window,
            refit_every,
            on_fit=lambda done, _n: progress("forecasting", done, total),
            scenario_method=scenario_method,
            keep_paths=keep_paths,
        )
        timings["forecast"] = time.perf_counter() - t
        t = time.perf_counter()
        rp = _Replay(network, truth, forecasts, state, window, sc.plan.horizon_weeks, options)
        done = [n_fits]

        def finished(_i, _r):
            done[0] += 1
            progress("replaying policies", done[0], total)

        order = sorted(range(len(policies)), key=lambda k: POLICIES.index(policies[k]))
        out: dict[str, tuple[Trace, float | None, float]] = {}
        with TaskRunner(scheduler=scheduler, n_workers=n_workers, n_tasks=len(order)) as runner:
            shared = runner.share(rp)  # the forecasts go to each worker once
            handles = [runner.submit(_trace_policy, policies[k], shared) for k in order]
            index = {h.key: k for h, k in zip(handles, order, strict=True)}
            for task, res in runner.as_completed(handles):
                k = index[task.key]
                out[policies[k]] = res
                finished(k, res)
        results.append([out[p] for p in policies])
        timings["policies"] = time.perf_counter() - t
    else:
        t = time.perf_counter()
        generator = fit_generator(dataset)
        progress("replications", 0, replications)
        results = map_tasks(
            _replication,
            [
                (
                    r,
                    dataset,
                    sc,
                    generator,
                    network,
                    state,
                    window,
                    refit_every,
                    policies,
                    seed,
                    options,
                    scenario_method,
                )
                for r in range(replications)
            ],
            scheduler=scheduler,
            n_workers=n_workers,
            on_done=lambda i, _r: progress("replications", i + 1, replications),
        )
        timings["replications"] = time.perf_counter() - t
        notes.append(
            f"synthetic demand: {replications} replication(s) drawn from a negative-binomial "
            "generator fitted to the cleaned history"
        )

    rows, weekly, seconds = [], [], {}
    oracle_obj = None
    for r, reps in enumerate(results):
        for trace, objective, _solve_s in reps:
            rows.append({"replication": r, "policy": trace.policy, **trace_kpis(trace, data)})
            table = weekly_table(trace, data, window)
            if synthetic:
                table.insert(1, "replication", r)
            weekly.append(table)
            seconds[trace.policy] = seconds.get(trace.policy, 0.0) + trace.seconds
            if objective is not None and r == 0:
                oracle_obj = objective
    by_rep = pd.DataFrame(rows)
    options_dict = {
        "weeks": weeks,
        "refit_every": refit_every,
        "policies": list(policies),
        "synthetic": synthetic,
        "replications": replications,
        "seed": seed,
        "horizon_weeks": sc.plan.horizon_weeks,
        "window": [str(window[0].date()), str(window[-1].date())],
        "shortage": sc.plan.shortage,
        "scenario_method": scenario_method,
    }
    return SimulationResult(
        scenario=sc,
        options=options_dict,
        weeks=window,
        kpis=kpi_table(rows),
        kpis_by_replication=by_rep,
        weekly=pd.concat(weekly, ignore_index=True),
        timings=timings,
        dataset_fingerprint=dataset.fingerprint,
        notes=notes,
        policy_seconds=seconds,
        oracle_objective=oracle_obj,
        forecasts=forecasts if not synthetic else None,
    )


def target_check(kpis: pd.DataFrame) -> dict:
    """The issue's targets: stochastic vs deterministic and base_stock, at equal fill rate."""
    k = kpis.set_index("policy")
    out: dict = {}
    if "stochastic" not in k.index:
        return out
    sto = k.loc["stochastic"]
    for other, target in (("deterministic", 0.05), ("base_stock", 0.10)):
        if other in k.index:
            ref = k.loc[other]
            saving = (ref["total_cost"] - sto["total_cost"]) / abs(ref["total_cost"])
            out[f"vs_{other}"] = {
                "saving": round(float(saving), 6),
                "target": target,
                "fill_rate_difference": round(float(sto["fill_rate"] - ref["fill_rate"]), 6),
                "met": bool(saving >= target and sto["fill_rate"] >= ref["fill_rate"] - 1e-9),
            }
    if "oracle" in k.index:
        out["gap_to_oracle"] = round(float(sto["gap_to_oracle"]), 6)
    return out


def summary_dict(result: SimulationResult) -> dict:
    return {
        "kind": "simulate",
        "status": "done",
        "options": result.options,
        "kpis": result.kpis.round(6).to_dict(orient="records"),
        "targets": target_check(result.kpis),
        "oracle_objective": result.oracle_objective,
        "policy_seconds": {k: round(v, 3) for k, v in result.policy_seconds.items()},
        "timings": {k: round(v, 3) for k, v in result.timings.items()},
        "notes": result.notes,
        "files": ["kpis.csv", "weekly.csv", "cumulative_cost.png", "stock.png", "service.png"],
        "scenario": result.scenario.resolved_dict(),
        "dataset_fingerprint": result.dataset_fingerprint,
    }


def write_simulation(result: SimulationResult, out: Path) -> Path:
    """kpis.csv, weekly.csv (and kpis_by_replication.csv), the plots, summary.json last."""
    from planner.simulate.plots import write_plots

    t = time.perf_counter()
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    write_csv(result.kpis.round(6), out / "kpis.csv")
    write_csv(result.weekly, out / "weekly.csv")
    if result.options.get("replications", 1) > 1:
        write_csv(result.kpis_by_replication.round(6), out / "kpis_by_replication.csv")
    write_plots(result.weekly, result.kpis, out)
    result.timings["write"] = time.perf_counter() - t
    write_json(summary_dict(result), out / "summary.json")
    try:  # report.html is read from the files above; the simulation is complete without it
        from planner.report.html import build_report

        build_report(out)
    except Exception as exc:  # a broken report never loses the run
        result.notes.append(
            f"report.html could not be built ({type(exc).__name__}: {exc}); "
            f"rebuild it with: planner report {out}"
        )
    return out
