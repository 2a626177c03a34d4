"""Run progressive hedging on mpi-sppy from the command line, on one rank or many.

    mpiexec -n 2 python -m planner.decompose.mpisppy_run scenarios/demo.yaml --out runs/ph
    mpiexec -n 2 python -m planner.decompose.mpisppy_run --synthetic 50,3,2,12,20 --json r.json

With a SCENARIO, rank 0 loads, validates and forecasts (once), broadcasts the model inputs,
every rank solves its share of the scenarios, and rank 0 summarises and writes the run folder
(the same files as `planner plan`). With --synthetic SKUS,WAREHOUSES,SUPPLIERS,WEEKS,SCENARIOS
[,SEED] every rank builds the same seeded synthetic ModelData (no dataset) and rank 0 prints
(or writes with --json) the objective, both bounds, the iterations, the stage timings and the
peak memory of every rank. Exit codes as `planner`: 2 bad input, 3 infeasible or solver failure.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path

from planner.errors import ConfigError, PlannerError

EXAMPLE = """\
Example:
  mpiexec -n 2 python -m planner.decompose.mpisppy_run scenarios/demo.yaml --out runs/ph
  mpiexec -n 2 python -m planner.decompose.mpisppy_run --synthetic 50,3,2,12,20 --json r.json
"""


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python -m planner.decompose.mpisppy_run",
        description="Progressive hedging over the demand scenarios on mpi-sppy (MPI ranks).",
        epilog=EXAMPLE,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("scenario", nargs="?", type=Path, help="scenario file (YAML)")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE")
    p.add_argument("--out", type=Path, default=None, help="run folder (default runs/<name>-<ts>)")
    p.add_argument(
        "--synthetic",
        default=None,
        metavar="SKUS,WH,SUP,WEEKS,SCEN[,SEED]",
        help="solve a seeded synthetic model instead of a scenario file",
    )
    p.add_argument("--tolerance", type=float, default=None, help="relative gap to stop at")
    p.add_argument("--max-iterations", type=int, default=None)
    p.add_argument("--rho", type=float, default=None, help="constant PH penalty (default: by cost)")
    p.add_argument("--time-limit", type=float, default=None, help="seconds for PH")
    p.add_argument("--json", type=Path, default=None, help="write the figures as JSON (rank 0)")
    p.add_argument("--quiet", action="store_true")
    p.add_argument("--verbose", action="store_true", help="mpi-sppy's progress lines")
    args = p.parse_args(argv)
    if (args.scenario is None) == (args.synthetic is None):
        p.error("give either a SCENARIO or --synthetic SKUS,WH,SUP,WEEKS,SCEN[,SEED]")
    return args


def synthetic_data(spec: str):
    from planner.model.synthetic import synthetic_model_data

    try:
        parts = [int(x) for x in spec.split(",")]
    except ValueError:
        parts = []
    if len(parts) not in (5, 6) or min(parts[:5]) < 1:
        raise ConfigError(
            f"--synthetic must be SKUS,WAREHOUSES,SUPPLIERS,WEEKS,SCENARIOS[,SEED] with positive "
            f"integers; got {spec!r}"
        )
    seed = parts[5] if len(parts) == 6 else 0
    return synthetic_model_data(*parts[:5], seed=seed)


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _solver_settings(args, scenario=None) -> tuple[object, dict]:
    from planner.solve import SolverOptions

    if scenario is not None:
        s = scenario.solver
        options = SolverOptions(
            time_limit_s=s.time_limit_s, mip_gap=s.mip_gap, threads=s.threads, verbose=args.verbose
        )
        kw = {"rho": s.rho, "max_iterations": s.max_iterations, "tolerance": s.tolerance}
    else:
        options = SolverOptions(verbose=args.verbose)
        kw = {"rho": None, "max_iterations": 200, "tolerance": 1e-4}
    if args.time_limit is not None:
        options = SolverOptions(
            time_limit_s=args.time_limit,
            mip_gap=options.mip_gap,
            threads=options.threads,
            verbose=options.verbose,
        )
    if args.rho is not None:
        kw["rho"] = args.rho
    if args.max_iterations is not None:
        kw["max_iterations"] = args.max_iterations
    if args.tolerance is not None:
        kw["tolerance"] = args.tolerance
    return options, kw


def figures(res, data, seconds: float, peaks: list[float]) -> dict:
    """What a benchmark or a test reads: objective, bounds, iterations, timings, memory."""
    return {
        "ranks": res.ranks,
        "scenarios": data.n_scenarios,
        "status": res.status.value,
        "objective": res.objective,
        "lower_bound": res.lower_bound,
        "trivial_bound": res.trivial_bound,
        "lagrangian_bound": res.lagrangian_bound,
        "gap": res.gap,
        "iterations": res.iterations,
        "gap_checks": res.gap_checks,
        "converged": res.converged,
        "timings": res.timings,
        "seconds": seconds,
        "peak_mb_per_rank": peaks,
        "variables": res.n_variables,
        "constraints": res.n_constraints,
    }


def _prepare_on_rank0(args, comm):
    """Rank 0 loads, forecasts and builds the ModelData; the others receive it (or the error)."""
    from planner.config import load_scenario

    payload = None
    if comm.Get_rank() == 0:
        try:
            from planner.data import load_dataset
            from planner.pipeline import prepare_demand

            scenario, changes = load_scenario(args.scenario, args.overrides)
            dataset = load_dataset(scenario.dataset)
            prepared = prepare_demand(scenario, dataset)
            data, extra = model_inputs(scenario, prepared)
            payload = ("ok", data, (scenario, changes, prepared, extra))
        except PlannerError as exc:
            payload = ("error", exc, None)
    head = comm.bcast(None if payload is None else payload[:2], root=0)
    if head[0] == "error":
        raise head[1]
    return head[1], (payload[2] if payload is not None else None)


def model_inputs(scenario, prepared):
    """What-ifs applied and the ModelData built, as `planner.pipeline.plan_from_demand` does."""
    from planner.model.inputs import InputNotes, make_model_data
    from planner.whatif import apply_dataset_whatifs, apply_model_whatifs

    t = time.perf_counter()
    src = str(scenario.source or "scenario")
    dataset, whatif_log = apply_dataset_whatifs(
        prepared.dataset, scenario.whatif, horizon_weeks=scenario.plan.horizon_weeks, source=src
    )
    notes = InputNotes()
    forecast, scen = prepared.forecast, prepared.scenarios
    data = make_model_data(dataset, scenario, forecast.series, forecast.weeks, scen, notes)
    categories = dict(zip(dataset.items["sku"], dataset.items["category"], strict=True))
    data, model_log = apply_model_whatifs(data, scenario.whatif, categories, source=src)
    extra = {
        "dataset": dataset,
        "whatif_log": whatif_log + model_log,
        "notes": notes,
        "model_data_seconds": time.perf_counter() - t,
    }
    return data, extra


def model_rows(data, lay):
    """Stand-in for the extensive model where `summarise` reads its row lists (bottlenecks)."""
    from planner.decompose.rows import ModelRows, extensive_rows

    return ModelRows(extensive_rows(data, lay))


def write_run(args, data, res, context) -> Path:
    """Rank 0: summarise and write the run folder like `planner plan`."""
    from planner.model.layout import make_layout
    from planner.output import default_run_dir
    from planner.pipeline import PlanRun, write_plan
    from planner.results import summarise

    scenario, changes, prepared, extra = context
    lay = make_layout(data)
    t = time.perf_counter()
    result = summarise(model_rows(data, lay), data, lay, res)
    timings = dict(prepared.timings)
    timings["model_data"] = extra["model_data_seconds"]
    timings["build"] = res.timings["compile"]
    timings["handover"] = 0.0
    timings["solve"] = res.timings["solve"]
    timings["results"] = time.perf_counter() - t
    run = PlanRun(
        scenario=scenario,
        dataset=extra["dataset"],
        forecast=prepared.forecast,
        scenarios=prepared.scenarios,
        model_data=data,
        solve=res,
        result=result,
        timings=timings,
        notes=extra["notes"].lines
        + result.warnings
        + [
            f"solved by progressive hedging on mpi-sppy over {res.ranks} rank(s): "
            f"{res.iterations} iterations, lower bound {res.lower_bound:.4f}, gap {res.gap:.2e}"
        ],
        overrides=[str(c) for c in changes],
        whatif_log=extra["whatif_log"],
    )
    out = args.out or default_run_dir(scenario.name)
    return write_plan(run, out)


def run(args: argparse.Namespace) -> int:
    from planner.decompose.mpisppy import solve_mpisppy, world

    comm = world()
    if comm is None:
        raise ConfigError('mpisppy-ph needs mpi4py and mpi-sppy: pip install -e ".[mpi]"')
    rank = comm.Get_rank()
    t0 = time.perf_counter()
    if args.synthetic is not None:
        data, context = synthetic_data(args.synthetic), None
        options, kw = _solver_settings(args)
    else:
        data, context = _prepare_on_rank0(args, comm)
        scenario = context[0] if context is not None else None
        options, kw = _solver_settings(args, scenario)
        kw = comm.bcast(kw, root=0)
        options = comm.bcast(options, root=0)
    t1 = time.perf_counter()
    res = solve_mpisppy(data, options, comm=comm, **kw)
    seconds = time.perf_counter() - t1
    peaks = comm.gather(peak_mb(), root=0)
    if rank != 0:
        return 0
    out = figures(res, data, seconds, peaks)
    out["prepare_seconds"] = t1 - t0
    if context is not None:
        out["run_dir"] = str(write_run(args, data, res, context))
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(out, indent=2, default=str))
    if not args.quiet:
        print(
            f"mpisppy-ph on {res.ranks} rank(s): objective {res.objective:.4f}, lower bound "
            f"{res.lower_bound:.4f}, gap {res.gap:.2e}, {res.iterations} iterations, "
            f"{seconds:.2f} s" + (f"; run folder {out['run_dir']}" if "run_dir" in out else "")
        )
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        return run(args)
    except PlannerError as exc:
        if not _is_rank0():
            return exc.exit_code
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code


def _is_rank0() -> bool:
    from planner.decompose.mpisppy import is_worker_rank

    return not is_worker_rank()


if __name__ == "__main__":
    sys.exit(main())
