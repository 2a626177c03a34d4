"""Cost sensitivity as a library call: one plan per point, in parallel, comparable side by side.

    base, log = load_scenario("scenarios/demo.yaml")
    result = sweep_scenario(base, vary={"costs.shortage_multiplier": [0.5, 1, 2]},
                            tornado=(0.8, 1.2), out=Path("runs/demo-sweep"))
    result.table()          # sweep.csv
    result.tornado_table()  # tornado.csv

With `out`, every finished point is written at once (its plan run folder under
`out/points/<NNN-name>/` and the updated `sweep.csv`), so an interrupted sweep keeps its
finished points: `sweep_scenario(..., out=same, resume=True)` runs only the others.
`write_sweep(result, out)` writes the whole sweep folder (sweep.csv, tornado.csv, the plots,
summary.json with "kind": "sweep").
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from planner.config import Scenario
from planner.data import Dataset, load_dataset
from planner.errors import ConfigError, Problem
from planner.output import write_csv, write_json
from planner.parallel import TaskRunner
from planner.pipeline import PlanRun, demand_key, write_plan
from planner.sweep.grid import (
    PointScenario,
    SweepPoint,
    base_value,
    grid_points,
    parse_tornado,
    parse_vary,
    point_scenario,
    scenario_fingerprint,
    supplier_lead_times,
    tornado_points,
)
from planner.sweep.runner import PointJob, PointOutcome, run_points
from planner.sweep.table import (
    PENDING,
    failed_outcome,
    plan_outcome,
    sweep_frame,
    tornado_frame,
)
from planner.whatif import apply_dataset_whatifs

POINTS_FILE = "points.json"
OK_STATUSES = ("optimal", "time_limit_feasible")


def _quiet(_: str) -> None:
    pass


@dataclass
class SweepResult:
    """The points of a sweep and what each gave."""

    base: Scenario
    columns: list[str]  # the varied key columns of sweep.csv
    points: list[SweepPoint]
    scenarios: dict[int, PointScenario]
    rows: dict[int, dict[str, Any]]  # point id -> sweep.csv row
    messages: dict[int, str] = field(default_factory=dict)  # why a point has no plan
    seconds: dict[int, float] = field(default_factory=dict)
    runs: dict[int, PlanRun] = field(default_factory=dict)  # in memory when no out folder
    vary: dict[str, list[Any]] = field(default_factory=dict)
    tornado_factors: tuple[float, float] | None = None
    tornado_params: list[dict] = field(default_factory=list)
    tornado_refs: dict[tuple[str, str], int] = field(default_factory=dict)
    overrides: list[str] = field(default_factory=list)  # the base scenario's --set log
    demand_groups: int = 0
    forecast_seconds: dict[str, float] = field(default_factory=dict)
    workers: int = 1
    scheduler: str | None = None
    seconds_total: float = 0.0
    interrupted: bool = False
    resumed: int = 0  # points taken over from an earlier, interrupted run
    notes: list[str] = field(default_factory=list)  # what the planner should know (warnings)

    def table(self) -> pd.DataFrame:
        """sweep.csv: one row per point, in point order."""
        return sweep_frame(self.columns, [self.rows[p.id] for p in self.points])

    def tornado_table(self) -> pd.DataFrame | None:
        if self.tornado_factors is None:
            return None
        return tornado_frame(self.tornado_params, self.rows, self.tornado_refs)

    @property
    def pending(self) -> list[int]:
        return [p.id for p in self.points if self.rows[p.id]["status"] == PENDING]

    @property
    def finished(self) -> list[int]:
        return [p.id for p in self.points if self.rows[p.id]["status"] != PENDING]

    @property
    def planned(self) -> list[int]:
        return [p.id for p in self.points if self.rows[p.id]["status"] in OK_STATUSES]


class SweepInterrupted(KeyboardInterrupt):
    """Ctrl-C during a sweep: `result` holds the finished points (already written with `out`)."""

    def __init__(self, result: SweepResult):
        super().__init__("sweep interrupted")
        self.result = result


# ---------------------------------------------------------------- building the points


def _dedupe(
    raw: list[SweepPoint], base: Scenario
) -> tuple[list[SweepPoint], dict[int, PointScenario], dict[int, int]]:
    """Drop points that plan exactly what an earlier point plans; renumber 1..n.

    Returns the points, their scenarios and the map raw id -> kept id."""
    from dataclasses import replace

    kept: list[SweepPoint] = []
    scenarios: dict[int, PointScenario] = {}
    by_fp: dict[str, int] = {}
    alias: dict[int, int] = {}
    for point in raw:
        ps = point_scenario(base, point)
        fp = scenario_fingerprint(ps.scenario)
        if fp in by_fp:
            alias[point.id] = by_fp[fp]
            continue
        new = replace(point, id=len(kept) + 1)
        ps.point = new
        kept.append(new)
        scenarios[new.id] = ps
        by_fp[fp] = new.id
        alias[point.id] = new.id
    return kept, scenarios, alias


def _load_datasets(scenarios: Sequence[Scenario]) -> dict[str, Dataset]:
    out: dict[str, Dataset] = {}
    for sc in scenarios:
        key = str(sc.dataset)
        if key not in out:
            out[key] = load_dataset(sc.dataset)
    return out


def plan_points(
    base: Scenario,
    vary: Sequence[str] | Mapping[str, Sequence[Any]] = (),
    tornado: str | Sequence[float] | None = None,
    dataset: Dataset | None = None,
) -> SweepResult:
    """The sweep's points and their scenarios, without running anything (checks every point)."""
    vary_map = parse_vary(vary)
    factors = parse_tornado(tornado)
    if not vary_map and factors is None:
        raise ConfigError(
            Problem(
                "planner sweep",
                "nothing to vary",
                fix="give --vary key=v1,v2,... (repeatable) and/or --tornado 0.8,1.2",
            ),
            title="invalid sweep",
        )
    raw = grid_points(vary_map)
    params: list[dict] = []
    if factors is not None:
        ds = dataset if dataset is not None else load_dataset(base.dataset)
        changed, _ = apply_dataset_whatifs(
            ds, base.whatif, horizon_weeks=base.plan.horizon_weeks, source=str(base.source)
        )
        leads = supplier_lead_times(changed.supply, ds.series)
        more, params = tornado_points(base, leads, factors, first_id=len(raw) + 1)
        raw += more
    points, scenarios, alias = _dedupe(raw, base)
    refs: dict[tuple[str, str], int] = {}
    for p in raw:
        if p.tornado is not None:
            refs[p.tornado] = alias[p.id]
        elif factors is not None and not p.values:
            refs[("base", "")] = alias[p.id]
    columns: list[str] = list(vary_map)
    for prm in params:
        if prm["column"] not in columns:
            columns.append(prm["column"])
    rows = {}
    for p in points:
        changed = dict(p.values)
        row = {c: changed.get(c, base_value(base, c)) for c in columns}
        row.update(failed_outcome(PENDING))
        rows[p.id] = row
    return SweepResult(
        base=base,
        columns=columns,
        points=points,
        scenarios=scenarios,
        rows=rows,
        vary=vary_map,
        tornado_factors=factors,
        tornado_params=params,
        tornado_refs=refs,
        demand_groups=len({demand_key(ps.scenario) for ps in scenarios.values()}),
    )


# ---------------------------------------------------------------- resuming


def _points_spec(result: SweepResult) -> list[dict]:
    return [
        {
            "id": p.id,
            "name": p.name,
            "label": p.label,
            "changes": result.scenarios[p.id].log,
            "fingerprint": scenario_fingerprint(result.scenarios[p.id].scenario),
        }
        for p in result.points
    ]


def _take_over(result: SweepResult, out: Path) -> None:
    """Keep the planned points of an earlier run of the same sweep in `out` (points without a
    plan are planned again, so that their diagnosis is reported again)."""
    spec_path, csv_path = out / POINTS_FILE, out / "sweep.csv"
    if not spec_path.is_file():
        raise ConfigError(
            Problem(
                str(out),
                f"not a sweep folder (no {POINTS_FILE})",
                fix="give the folder an interrupted `planner sweep` wrote, or leave --resume out",
            ),
            title="cannot resume",
        )
    old = json.loads(spec_path.read_text(encoding="utf-8"))
    now = _points_spec(result)
    if [(p["id"], p["fingerprint"]) for p in old] != [(p["id"], p["fingerprint"]) for p in now]:
        differ = [
            p["label"]
            for p, q in zip(now, old, strict=False)
            if p["fingerprint"] != q["fingerprint"]
        ]
        raise ConfigError(
            Problem(
                str(out),
                f"the sweep in this folder has other points ({len(old)} there, {len(now)} now"
                + (f"; first difference: {differ[0]}" if differ else "")
                + ")",
                fix="resume with the same SCENARIO, --set, --vary and --tornado options, "
                "or write to a new --out folder",
            ),
            title="cannot resume",
        )
    if not csv_path.is_file():
        return
    done = pd.read_csv(csv_path, keep_default_na=False, na_values=[""])
    for p, rec in zip(result.points, done.to_dict("records"), strict=False):
        status = str(rec.get("status", PENDING))
        run_dir = rec.get("run_dir")
        if status not in OK_STATUSES or not (
            isinstance(run_dir, str) and (Path(run_dir) / "summary.json").is_file()
        ):
            continue  # pending, no plan (planned again, for its diagnosis) or an incomplete folder
        row = result.rows[p.id]
        for c in row:
            if c not in result.columns and c in rec:
                row[c] = rec[c]
        row["bottlenecks"] = "" if pd.isna(rec.get("bottlenecks")) else rec["bottlenecks"]
        row["run_dir"] = "" if pd.isna(rec.get("run_dir")) else rec["run_dir"]
        result.resumed += 1


# ---------------------------------------------------------------- running


def sweep_scenario(
    scenario: Scenario,
    vary: Sequence[str] | Mapping[str, Sequence[Any]] = (),
    tornado: str | Sequence[float] | None = None,
    *,
    scheduler: str | None = None,
    n_workers: int | None = None,
    progress: Callable[[str], None] = _quiet,
    out: Path | None = None,
    resume: bool = False,
    overrides: Sequence[str] = (),
    on_point: Callable[[SweepPoint, dict[str, Any]], None] | None = None,
    on_start: Callable[[SweepResult], None] | None = None,
) -> SweepResult:
    """Plan every point of the sweep: the grid of `vary` values and the tornado's moves.

    `vary`: {key: [values]} or CLI-style ["key=v1,v2,..."]; `tornado`: (low, high) factors or
    "0.8,1.2". `scheduler`/`n_workers`: see planner.parallel.TaskRunner (default: a local
    cluster with one worker per core). With `out`, points are written as they finish and
    `resume=True` keeps the finished points already there. `on_point(point, row)` is called as
    each point finishes, `on_start(result)` once the points are known (before any is run).
    Ctrl-C raises SweepInterrupted carrying the finished points.
    """
    t0 = time.perf_counter()
    progress("loading and validating the dataset")
    datasets = _load_datasets([scenario])
    result = plan_points(scenario, vary, tornado, datasets[str(scenario.dataset)])
    result.overrides = list(overrides)
    result.scheduler = scheduler
    datasets.update(_load_datasets([ps.scenario for ps in result.scenarios.values()]))
    if out is not None:
        out = Path(out)
        if resume:
            _take_over(result, out)
        elif (out / POINTS_FILE).exists():
            raise ConfigError(
                Problem(
                    str(out),
                    "already holds a sweep",
                    fix=f"resume it with --resume {out}, or choose another --out folder",
                ),
                title="invalid --out",
            )
        out.mkdir(parents=True, exist_ok=True)
        write_json(_points_spec(result), out / POINTS_FILE)
        write_csv(result.table(), out / "sweep.csv")
    jobs = [
        PointJob(pid, result.scenarios[pid].scenario, [*overrides, *result.scenarios[pid].log])
        for pid in result.pending
    ]
    by_id = {p.id: p for p in result.points}
    if on_start is not None:
        on_start(result)

    def finished(pid: int, outcome: PointOutcome) -> None:
        point = by_id[pid]
        row = result.rows[pid]
        if outcome.run is not None:
            values = plan_outcome(outcome.run)
            if out is not None:  # the row says "done" only once the folder is complete
                folder = write_plan(outcome.run, out / "points" / point.name)
                values["run_dir"] = str(folder.resolve())
            else:
                result.runs[pid] = outcome.run
                values["run_dir"] = ""
            row.update(values)
        else:
            row.update(failed_outcome(outcome.status))
            result.messages[pid] = outcome.message
        result.seconds[pid] = outcome.seconds
        if out is not None:
            write_csv(result.table(), out / "sweep.csv")
        if on_point is not None:
            on_point(point, row)

    if jobs:
        progress(
            f"{len(jobs)} point(s) to plan"
            + (f" ({result.resumed} already done)" if result.resumed else "")
            + f" in {result.demand_groups} demand group(s)"
        )
        try:
            with TaskRunner(scheduler=scheduler, n_workers=n_workers, n_tasks=len(jobs)) as runner:
                result.workers = runner.n_workers
                if runner.parallel:
                    where = scheduler or "a local Dask cluster"
                    progress(f"planning on {where} with {runner.n_workers} worker(s)")
                result.forecast_seconds = run_points(
                    jobs, datasets, runner, on_outcome=finished, progress=progress
                )
        except KeyboardInterrupt:
            result.interrupted = True
            result.seconds_total = time.perf_counter() - t0
            if out is not None:
                write_csv(result.table(), out / "sweep.csv")
            raise SweepInterrupted(result) from None
    result.seconds_total = time.perf_counter() - t0
    if out is not None:
        write_sweep(result, out)
    return result


# ---------------------------------------------------------------- writing


def summary_dict(result: SweepResult, files: Mapping[str, str]) -> dict[str, Any]:
    table = result.table()
    points = []
    for p in result.points:
        row = result.rows[p.id]
        objective = row.get("objective")
        points.append(
            {
                "id": p.id,
                "name": p.name,
                "label": p.label,
                "values": {k: v for k, v in p.values},
                "tornado": list(p.tornado) if p.tornado else None,
                "changes": result.scenarios[p.id].log,
                "status": row["status"],
                "objective": None if objective is None or objective != objective else objective,
                "message": result.messages.get(p.id, ""),
                "seconds": round(result.seconds.get(p.id, 0.0), 3),
                "run_dir": row.get("run_dir") or None,
            }
        )
    statuses: dict[str, int] = {}
    for s in table["status"]:
        statuses[str(s)] = statuses.get(str(s), 0) + 1
    best = None
    planned = table[table["status"].isin(OK_STATUSES)]
    if not planned.empty:
        i = int(np.argmin(planned["objective"].to_numpy(float)))
        best = {
            "id": int(result.points[planned.index[i]].id),
            "objective": planned["objective"].iloc[i],
        }
    return {
        "kind": "sweep",
        "status": "interrupted" if result.pending else "done",
        "n_points": len(result.points),
        "statuses": statuses,
        "columns": result.columns,
        "vary": result.vary,
        "tornado": None
        if result.tornado_factors is None
        else {
            "factors": list(result.tornado_factors),
            "parameters": result.tornado_params,
            "lead_time_rounding": "add_weeks = round(|f - 1| x mean lead time of the supplier's "
            "lanes), halves up, at least 1 week, in the direction of f; lanes stay >= 0 weeks",
        },
        "best_point": best,
        "demand_groups": result.demand_groups,
        "workers": result.workers,
        "scheduler": result.scheduler or "local",
        "resumed_points": result.resumed,
        "timings": {
            "total": round(result.seconds_total, 3),
            "forecast_per_group": [round(v, 3) for v in result.forecast_seconds.values()],
            "points": round(sum(result.seconds.values()), 3),
        },
        "files": dict(files),
        "points": points,
        "overrides": result.overrides,
        "scenario": result.base.resolved_dict(),
    }


def write_sweep(result: SweepResult, out: Path) -> Path:
    """Write the sweep folder: points/ (plans kept in memory), sweep.csv, tornado.csv, the
    plots (tornado.png, cost_curves.png), summary.json, then report.html."""
    from planner.sweep.plots import plot_cost_curves, plot_tornado

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    by_id = {p.id: p for p in result.points}
    for pid, run in sorted(result.runs.items()):
        folder = write_plan(run, out / "points" / by_id[pid].name)
        result.rows[pid]["run_dir"] = str(folder.resolve())
    if not (out / POINTS_FILE).exists():
        write_json(_points_spec(result), out / POINTS_FILE)
    files = {"table": "sweep.csv", "points": POINTS_FILE}
    table = result.table()
    write_csv(table, out / "sweep.csv")
    tornado = result.tornado_table()
    if tornado is not None and not tornado.empty:
        write_csv(tornado, out / "tornado.csv")
        files["tornado_table"] = "tornado.csv"
        if plot_tornado(tornado, out / "tornado.png", result.base.name):
            files["tornado_chart"] = "tornado.png"
    grid = [p.tornado is None and bool(p.values) for p in result.points]  # not tornado moves
    if result.vary and plot_cost_curves(table[grid], list(result.vary), out / "cost_curves.png"):
        files["cost_curves"] = "cost_curves.png"
    write_json(summary_dict(result, files), out / "summary.json")
    try:  # report.html (the report package reads the files above); the sweep is complete without
        from planner.report.html import build_report

        build_report(out)
    except Exception as exc:
        result.notes.append(
            f"report.html could not be built ({type(exc).__name__}: {exc}); "
            f"rebuild it with: planner report {out}"
        )
    return out
