"""Running the points: forecasts once per demand group, plans in parallel on Dask.

Points are grouped by `planner.pipeline.demand_key` (dataset, `forecast.*`, `plan.start`,
`plan.horizon_weeks`): a group's forecast and demand scenarios are computed once and every
point of the group plans on them. The first group is forecast in this process with every core
(the workers are idle then) and sent to the workers once (`TaskRunner.share`); later groups are
forecast as tasks on the cluster, so they overlap with the plans of the earlier groups. A point
task returns its plan without the forecast (this process has it) so little travels back.

A point whose model is infeasible, whose solver fails or whose changes do not fit the data is a
result of the sweep (its status says which, its message why), not a failure of the sweep.
"""

from __future__ import annotations

import time
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from planner.config import Scenario
from planner.data import Dataset
from planner.errors import InfeasibleError, InputError, SolverError
from planner.parallel import TaskRunner, available_cores
from planner.pipeline import PlanRun, PreparedDemand, demand_key, plan_from_demand, prepare_demand

INFEASIBLE, SOLVER_ERROR, INVALID, ERROR = "infeasible", "solver_error", "invalid", "error"
MIN_SERIES_PER_PROCESS = 32


@dataclass
class PointOutcome:
    """What a point task returns: the plan (without its forecast) or why there is none."""

    status: str
    run: PlanRun | None = None
    message: str = ""
    seconds: float = 0.0


@dataclass
class PointJob:
    point_id: int
    scenario: Scenario
    overrides: list[str] = field(default_factory=list)  # the point's `key: old -> new` log


def _client_jobs(dataset: Dataset) -> int:
    """Forecast processes in this process: every core, unless starting them costs more than
    forecasting a few series."""
    return available_cores() if len(dataset.series) >= MIN_SERIES_PER_PROCESS else 1


def prepare_group(scenario: Scenario, dataset: Dataset, n_jobs: int = 1) -> PreparedDemand:
    """A demand group's forecast and scenarios (a task: in a worker, forecasts use 1 process)."""
    return prepare_demand(scenario, dataset, n_jobs=n_jobs)


def solve_point(prepared: PreparedDemand, scenario: Scenario, overrides: list[str]) -> PointOutcome:
    """Plan one point on its group's demand (a task)."""
    t = time.perf_counter()
    try:
        run = plan_from_demand(scenario, prepared, overrides=overrides)
    except InfeasibleError as exc:
        return PointOutcome(INFEASIBLE, message=str(exc), seconds=time.perf_counter() - t)
    except SolverError as exc:
        return PointOutcome(SOLVER_ERROR, message=str(exc), seconds=time.perf_counter() - t)
    except InputError as exc:
        return PointOutcome(INVALID, message=str(exc), seconds=time.perf_counter() - t)
    except Exception as exc:  # a bug or an environment problem: reported, the sweep goes on
        text = "".join(traceback.format_exception_only(type(exc), exc)).strip()
        return PointOutcome(ERROR, message=f"unexpected {text}", seconds=time.perf_counter() - t)
    run.forecast = None  # type: ignore[assignment]  # the caller has it; do not ship it back
    run.scenarios = None  # type: ignore[assignment]
    return PointOutcome(run.solve.status.value, run=run, seconds=time.perf_counter() - t)


def run_points(
    jobs: list[PointJob],
    datasets: Mapping[str, Dataset],
    runner: TaskRunner,
    *,
    on_outcome: Callable[[int, PointOutcome], None],
    progress: Callable[[str], None],
) -> dict[str, float]:
    """Run every job; `on_outcome(point_id, outcome)` as each finishes, with the forecast put
    back into its plan. Returns the forecast seconds of each demand group."""
    groups: dict[str, list[PointJob]] = {}
    for job in jobs:
        groups.setdefault(demand_key(job.scenario), []).append(job)
    handles: dict[str, object] = {}
    local: dict[str, PreparedDemand] = {}
    tasks, owner = [], {}
    for g, (key, members) in enumerate(groups.items()):
        sc = members[0].scenario
        dataset = datasets[str(sc.dataset)]
        if g == 0 and runner.parallel:
            progress(
                f"forecasting {len(dataset.series)} series ({sc.forecast.model}) for "
                f"{len(members)} point(s)"
            )
            local[key] = prepare_demand(sc, dataset, n_jobs=_client_jobs(dataset))
            handles[key] = runner.share(local[key])
        else:
            n_jobs = 1 if runner.parallel else _client_jobs(dataset)
            handles[key] = runner.submit(prepare_group, sc, dataset, n_jobs)
        for job in members:
            task = runner.submit(solve_point, handles[key], job.scenario, job.overrides)
            tasks.append(task)
            owner[task.key] = (job.point_id, key)
    if len(groups) > 1:
        progress(f"{len(jobs)} point(s) in {len(groups)} demand groups (one forecast each)")
    for task, outcome in runner.as_completed(tasks):
        point_id, key = owner[task.key]
        if outcome.run is not None:
            if key not in local:
                local[key] = handles[key].result()  # type: ignore[attr-defined]
            outcome.run.forecast = local[key].forecast
            outcome.run.scenarios = local[key].scenarios
        on_outcome(point_id, outcome)
    return {
        key: float(p.timings.get("forecast", 0.0) + p.timings.get("scenarios", 0.0))
        for key, p in local.items()
    }
