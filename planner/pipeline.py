"""The weekly procurement plan as a library call: scenario file -> plan and run folder.

    run = plan_scenario(load_scenario("scenarios/demo.yaml")[0])
    write_plan(run, Path("runs/demo"))

Stages (each timed): load + validate the dataset, forecast demand distributions, reduce to
joint scenarios, convert to ModelData, build the Pyomo model, hand over to HiGHS and solve,
summarise into tables.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from planner.config import Scenario
from planner.data import Dataset, load_dataset
from planner.data.clean import clean_for_forecast
from planner.decompose.dispatch import MethodOptions, method_info, method_summary, solve_data
from planner.diagnose import diagnose_infeasibility
from planner.errors import InfeasibleError, SolverError
from planner.forecast import PanelForecast, forecast_panel
from planner.forecast.covariates import covariates_from_dataset
from planner.forecast.file import read_forecast_file
from planner.model.build import build_model
from planner.model.data import ModelData
from planner.model.inputs import InputNotes, make_model_data, planning_weeks
from planner.model.rows import DEFINITIONAL, row_describers
from planner.output import write_csv, write_json
from planner.parallel import available_cores
from planner.results import PlanResult, summarise
from planner.scenarios import ScenarioSet, build_scenarios
from planner.solve import SolveResult, SolverOptions, SolveStatus
from planner.value import value_of_information
from planner.whatif import apply_dataset_whatifs, apply_model_whatifs

QUANTILE_LEVELS = (0.05, 0.1, 0.5, 0.9, 0.95)
IIS_MAX_ROWS = 20_000

Progress = Callable[[str], None]
Tick = Callable[[int, int], None]  # (done, total) of a long stage, e.g. series forecast


@dataclass
class DemandForecast:
    """Demand distributions for the planning weeks, aligned to `series`."""

    series: pd.DataFrame  # sku, warehouse
    weeks: pd.DatetimeIndex
    panel: PanelForecast  # steps sliced to the planning weeks
    quality: object | None = None  # the quality report after forecast cleaning

    def table(self) -> pd.DataFrame:
        """forecast.csv: week, sku, warehouse, model, mean, q0.05 .. q0.95."""
        n, T = len(self.series), len(self.weeks)
        cols = {
            "week": np.tile(self.weeks.date, n),
            "sku": np.repeat(self.series["sku"].to_numpy(), T),
            "warehouse": np.repeat(self.series["warehouse"].to_numpy(), T),
            "model": np.repeat(np.asarray(self.panel.model, dtype=object), T),
            "mean": self.panel.mean.reshape(-1),
        }
        for k, level in enumerate(self.panel.quantile_levels):
            cols[f"q{level:g}"] = self.panel.quantiles[:, k, :].reshape(-1)
        return pd.DataFrame(cols).round(4)


@dataclass
class PlanRun:
    scenario: Scenario
    dataset: Dataset
    forecast: DemandForecast
    scenarios: ScenarioSet
    model_data: ModelData
    solve: SolveResult
    result: PlanResult
    timings: dict[str, float]
    notes: list[str] = field(default_factory=list)
    overrides: list[str] = field(default_factory=list)
    value: dict | None = None  # VSS / EVPI
    whatif_log: list[str] = field(default_factory=list)


def _quiet(_: str) -> None:
    pass


def series_history(dataset: Dataset) -> tuple[pd.DataFrame, list[np.ndarray], list[str]]:
    """The demand series (sku, warehouse) in dataset order, their weekly quantities and ids."""
    series = dataset.series.reset_index(drop=True)
    grouped = dataset.demand.groupby(["sku", "warehouse"], sort=False)["quantity"]
    arrays = {key: grp.to_numpy(float) for key, grp in grouped}
    ys = [arrays[(s, w)] for s, w in zip(series["sku"], series["warehouse"], strict=True)]
    ids = [f"{s}/{w}" for s, w in zip(series["sku"], series["warehouse"], strict=True)]
    return series, ys, ids


def forecast_demand(
    dataset: Dataset, scenario: Scenario, n_jobs: int = 2, tick: Tick | None = None
) -> DemandForecast:
    """Demand distributions (mean, quantiles, sample paths) for every series and planning week.

    The history is cleaned first (`forecast.cleaning`: censored weeks re-estimated, outliers
    capped, each counted in the quality report); promotions and prices from the history and
    the known future events are passed to the models that use them.
    """
    weeks, gap = planning_weeks(dataset, scenario)
    fc = scenario.forecast
    series = dataset.series.reset_index(drop=True)
    if fc.model == "file":
        panel = read_forecast_file(
            fc.file, series, weeks, n_paths=fc.paths, seed=fc.seed, quantile_levels=QUANTILE_LEVELS
        )
        return DemandForecast(series=series, weeks=weeks, panel=panel)
    cleaned = clean_for_forecast(dataset, fc.cleaning)
    series, ys, ids = series_history(cleaned)
    horizon_weeks = pd.date_range(
        dataset.last_week + pd.Timedelta(weeks=1), periods=gap + len(weeks), freq="W-MON"
    )
    panel = forecast_panel(
        ys,
        ids,
        gap + len(weeks),
        model=fc.model,
        season_length=fc.season_length,
        n_paths=fc.paths,
        quantile_levels=QUANTILE_LEVELS,
        seed=fc.seed,
        n_jobs=n_jobs,
        covariates=covariates_from_dataset(cleaned, series, horizon_weeks),
        candidates=fc.candidates,
        calibrate=fc.calibrate,
        progress=tick,
    )
    if gap:  # the weeks between the history's end and the plan start are not planned
        panel = replace(
            panel,
            mean=panel.mean[:, gap:],
            quantiles=panel.quantiles[:, :, gap:],
            paths=panel.paths[:, :, gap:],
        )
    return DemandForecast(series=series, weeks=weeks, panel=panel, quality=cleaned.quality)


def solver_options(scenario: Scenario, verbose: bool = False) -> SolverOptions:
    s = scenario.solver
    return SolverOptions(
        time_limit_s=s.time_limit_s, mip_gap=s.mip_gap, threads=s.threads, verbose=verbose
    )


def solve_plan(
    data: ModelData,
    options: SolverOptions,
    *,
    method: MethodOptions | str = "extensive",
    progress: Progress = _quiet,
) -> tuple[object, object, SolveResult, dict[str, float]]:
    """Build and solve by `method` (`planner.decompose.solve_data`: extensive, decomposed,
    benders, ph, mpisppy-ph or auto); raise InfeasibleError / SolverError on a solve without a
    plan. The model is the Pyomo model for the extensive form, else the row lists `summarise`
    needs; `planner.decompose.dispatch.method_info(res)` tells which method ran, bounds, gap."""
    model, layout, res, info = solve_data(data, options, method, progress=progress)
    build = info.get("build_s", res.timings.get("compile", 0.0))
    timings = {
        "build": build,
        "handover": res.timings.get("compile", 0.0) + res.timings.get("handover", 0.0),
        "solve": res.timings.get("solve", res.seconds),
    }
    if info["method"] != "extensive":  # subproblem builds, then iterations and the final plan
        timings = {"build": build, "handover": 0.0, "solve": info["seconds"] - build}
    if not res.status.has_solution:
        if info["method"] != "extensive" and res.status is SolveStatus.INFEASIBLE:
            model, layout = build_model(data)  # the diagnosis reads the extensive model
        raise _solve_failure(res, options, model, data, layout)
    return model, layout, res, timings


def _solve_failure(
    res: SolveResult, options: SolverOptions, model=None, data=None, layout=None
) -> Exception:
    if res.status is SolveStatus.INFEASIBLE:
        if model is None:
            return InfeasibleError("the model is infeasible")
        diagnosis = diagnose_infeasibility(
            model,
            row_describers(model, data, layout),
            hard_families=DEFINITIONAL,
            time_limit_s=min(options.time_limit_s, 120.0),
            use_iis=res.n_constraints <= IIS_MAX_ROWS,  # HiGHS's IIS is slow on large models
        )
        return InfeasibleError(diagnosis.message(), families=tuple(diagnosis.families))
    if res.status is SolveStatus.UNBOUNDED:
        return SolverError(
            "the model is unbounded: some order earns more than it costs. Check that no "
            "terminal value or negative cost makes buying profitable without limit."
        )
    if res.status is SolveStatus.TIME_LIMIT_NO_SOLUTION:
        return SolverError(
            f"the solver reached its time limit ({options.time_limit_s:g} s) before finding a "
            "feasible plan; raise solver.time_limit_s"
        )
    return SolverError(f"the solver failed (HiGHS status: {res.highs_status})")


@dataclass
class PreparedDemand:
    """What every plan on one dataset and one forecast setting shares: computed once, reused.

    The forecast depends only on the demand history and events, `forecast.*`, `plan.start` and
    `plan.horizon_weeks` (see `demand_key`), so plans that differ only in costs, risk, budget,
    solver settings, frozen weeks, shortage rules or what-ifs reuse one PreparedDemand.
    """

    dataset: Dataset  # as loaded, before any what-if
    forecast: DemandForecast
    scenarios: ScenarioSet
    timings: dict[str, float]


def demand_key(scenario: Scenario) -> str:
    """The settings the forecast and the demand scenarios depend on, as one comparable text.

    Two scenarios with the same key get the same forecast and the same scenario set. What-ifs
    are not part of it: dataset what-ifs (lead_time, cost, capacity) change tables the forecast
    does not read, and demand / supplier_outage what-ifs act on the model inputs afterwards.
    """
    d = scenario.resolved_dict()
    part = {
        "dataset": d["dataset"],
        "forecast": d["forecast"],
        "start": d["plan"]["start"],
        "horizon_weeks": d["plan"]["horizon_weeks"],
    }
    return json.dumps(part, sort_keys=True, default=str)


def prepare_demand(
    scenario: Scenario,
    dataset: Dataset | None = None,
    *,
    progress: Progress = _quiet,
    n_jobs: int = 2,
    tick: Tick | None = None,
) -> PreparedDemand:
    """Forecast demand distributions and reduce them to joint scenarios (the shared stages).

    `dataset` is the loaded dataset (loaded from `scenario.dataset` when None), before what-ifs.
    """
    timings: dict[str, float] = {}
    if dataset is None:
        t = time.perf_counter()
        progress("loading and validating the dataset")
        dataset = load_dataset(scenario.dataset)
        timings["load"] = time.perf_counter() - t

    t = time.perf_counter()
    progress(f"forecasting {len(dataset.series)} series ({scenario.forecast.model})")
    forecast = forecast_demand(dataset, scenario, n_jobs=n_jobs, tick=tick)
    timings["forecast"] = time.perf_counter() - t

    t = time.perf_counter()
    progress(f"reducing {scenario.forecast.paths} paths to {scenario.forecast.scenarios} scenarios")
    scen = build_scenarios(
        forecast.panel.paths, scenario.forecast.scenarios, scenario.forecast.seed
    )
    timings["scenarios"] = time.perf_counter() - t
    return PreparedDemand(dataset=dataset, forecast=forecast, scenarios=scen, timings=timings)


def plan_from_demand(
    scenario: Scenario,
    prepared: PreparedDemand,
    *,
    progress: Progress = _quiet,
    overrides: list[str] | None = None,
    verbose_solver: bool = False,
) -> PlanRun:
    """The plan of `scenario` on demand prepared by `prepare_demand` (for the same demand_key).

    Applies the scenario's what-ifs, builds the model inputs, solves, summarises and (with
    `plan.value_of_information`) solves the EV and wait-and-see problems.
    """
    timings = dict(prepared.timings)
    src = str(scenario.source or "scenario")
    t = time.perf_counter()
    dataset, whatif_log = apply_dataset_whatifs(
        prepared.dataset, scenario.whatif, horizon_weeks=scenario.plan.horizon_weeks, source=src
    )
    forecast, scen = prepared.forecast, prepared.scenarios
    notes = InputNotes()
    data = make_model_data(dataset, scenario, forecast.series, forecast.weeks, scen, notes)
    categories = dict(zip(dataset.items["sku"], dataset.items["category"], strict=True))
    data, model_log = apply_model_whatifs(data, scenario.whatif, categories, source=src)
    whatif_log += model_log
    timings["model_data"] = time.perf_counter() - t

    progress("building the model and solving with HiGHS")
    model, layout, res, solve_timings = solve_plan(
        data,
        solver_options(scenario, verbose_solver),
        method=MethodOptions.from_config(scenario.solver),
        progress=progress,
    )
    timings.update(solve_timings)

    t = time.perf_counter()
    result = summarise(model, data, layout, res)
    timings["results"] = time.perf_counter() - t
    value = None
    if scenario.plan.value_of_information:
        progress("solving the EV and wait-and-see problems for VSS and EVPI")
        t = time.perf_counter()
        decomposed = (method_info(res) or {}).get("method", "extensive") != "extensive"
        value = value_of_information(
            data,
            res,
            solver_options(scenario),
            by_scenario=decomposed,
            workers=scenario.solver.workers or available_cores(),
        )
        timings["vss_evpi"] = time.perf_counter() - t
    return PlanRun(
        scenario=scenario,
        dataset=dataset,
        forecast=forecast,
        scenarios=scen,
        model_data=data,
        solve=res,
        result=result,
        timings=timings,
        notes=notes.lines + result.warnings,
        overrides=list(overrides or []),
        value=value,
        whatif_log=whatif_log,
    )


def plan_scenario(
    scenario: Scenario,
    *,
    progress: Progress = _quiet,
    overrides: list[str] | None = None,
    verbose_solver: bool = False,
    tick: Tick | None = None,
) -> PlanRun:
    """Run the whole planning pipeline for a resolved scenario (`tick(done, total)`: the
    forecast stage's progress)."""
    src = str(scenario.source or "scenario")
    t = time.perf_counter()
    progress("loading and validating the dataset")
    dataset = load_dataset(scenario.dataset)
    # every what-if reference is checked before anything is forecast
    apply_dataset_whatifs(
        dataset, scenario.whatif, horizon_weeks=scenario.plan.horizon_weeks, source=src
    )
    load_seconds = time.perf_counter() - t
    prepared = prepare_demand(scenario, dataset, progress=progress, tick=tick)
    prepared.timings = {"load": load_seconds, **prepared.timings}
    return plan_from_demand(
        scenario, prepared, progress=progress, overrides=overrides, verbose_solver=verbose_solver
    )


def summary_dict(run: PlanRun) -> dict:
    res, r = run.solve, run.result
    return {
        "status": res.status.value,
        "objective": round(r.objective, 4),
        "costs": r.costs,
        "service": {
            "fill_rate": round(r.fill_rate, 6),
            "cycle_service_level": round(r.cycle_service_level, 6),
            "per_sku": "service.csv",
        },
        "bottlenecks": r.bottlenecks,
        "risk": r.risk,
        "value_of_information": run.value,
        "model": {
            "variables": res.n_variables,
            "constraints": res.n_constraints,
            "integers": res.n_integers,
            "scenarios": run.model_data.n_scenarios,
            "series": run.model_data.n_series,
            "lanes": run.model_data.n_lanes,
            "weeks": run.model_data.n_weeks,
        },
        "solver": {
            "name": "highs",
            "status": res.highs_status,
            "gap": res.gap,
            "seconds": round(res.seconds, 3),
        },
        "timings": {k: round(v, 3) for k, v in run.timings.items()},
        "decomposition": method_summary(method_info(res)),
        "plan_weeks": [str(w.date()) for w in run.model_data.weeks],
        "notes": run.notes,
        "overrides": run.overrides,
        "whatif": run.whatif_log,
        "scenario": run.scenario.resolved_dict(),
        "dataset_fingerprint": run.dataset.fingerprint,
        "data_quality": (run.forecast.quality or run.dataset.quality).to_dict(),
    }


def write_plan(run: PlanRun, out: Path) -> Path:
    """Write the run folder: the plan tables, history.csv and capacity.csv (for the report),
    summary.json last (a folder without it is not a finished run), then report.html and
    plan.xlsx (a view that fails to build becomes a note in `run.notes`; the run stays
    complete)."""
    t = time.perf_counter()
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    write_csv(run.result.orders, out / "orders.csv")
    write_csv(run.forecast.table(), out / "forecast.csv")
    write_csv(run.result.inventory, out / "inventory.csv")
    write_csv(run.result.service, out / "service.csv")
    if run.result.transfers is not None:
        write_csv(run.result.transfers, out / "transfers.csv")
    if not run.forecast.panel.scores.empty:
        write_csv(run.forecast.panel.scores, out / "forecast_selection.csv")
    _write_report_tables(run, out)
    run.timings["write"] = time.perf_counter() - t
    write_json(summary_dict(run), out / "summary.json")
    _write_report(out, run.notes)
    return out


def _write_report_tables(run: PlanRun, out: Path) -> None:
    """history.csv and capacity.csv: what report.html needs beyond the plan tables."""
    from planner.report.plan_tables import capacity_table, history_table

    data = run.model_data
    write_csv(history_table(run.dataset.demand, run.forecast.series), out / "history.csv")
    stock = run.solve.values["stock"].reshape(data.n_scenarios, data.n_series, data.n_weeks)
    write_csv(capacity_table(data, stock, run.result.orders), out / "capacity.csv")


def _write_report(out: Path, notes: list[str]) -> None:
    """report.html and plan.xlsx from the finished folder; a failure is a note, never a lost
    run."""
    from planner.report.excel import write_workbook
    from planner.report.html import build_report

    for name, build in (("report.html", build_report), ("plan.xlsx", write_workbook)):
        try:
            build(out)
        except Exception as exc:  # the run is complete without its views
            notes.append(
                f"{name} could not be built ({type(exc).__name__}: {exc}); "
                f"rebuild it with: planner report {out}"
            )
