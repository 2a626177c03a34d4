"""Command-line interface: parse, call the library, print, exit code.

Exit codes: 0 done; 2 bad input, configuration or usage; 3 infeasible model or solver failure;
1 anything else.
"""

from __future__ import annotations

import time
from pathlib import Path

import click

from planner.cli.common import (
    EXIT_ERROR,
    EXIT_INPUT,
    EXIT_MODEL,
    EXIT_OK,
    Console,
    PlannerGroup,
    _load,
    _run,
    quiet_opt,
    scenario_arg,
    set_opt,
    verbose_opt,
    writing_command,
)

__all__ = ["EXIT_ERROR", "EXIT_INPUT", "EXIT_MODEL", "EXIT_OK", "main"]


@click.group(cls=PlannerGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="planner")
def main() -> None:
    """planner: optimisation-centred inventory replenishment planning.

    Results go to stdout; progress, warnings and errors to stderr. On a terminal long steps
    show progress bars; in a pipe or CI only results are printed. --quiet prints only errors,
    --verbose adds timestamped progress, stage timings, the solver log and tracebacks.
    Exit codes: 0 done, 2 bad input or usage, 3 infeasible or solver failure, 1 anything else.

    \b
    Example:
      planner demo demo/ && planner plan demo/demo.yaml
    """


@main.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--seed", type=int, default=None, help="Generator seed (default: the demo's own).")
@quiet_opt
@verbose_opt
def demo(directory: Path, seed: int | None, quiet: bool, verbose: bool) -> None:
    """Write the demo dataset and its baseline scenario into DIRECTORY.

    \b
    Example:
      planner demo demo/
      planner plan demo/demo.yaml
    """

    con = Console(quiet, verbose)

    def body():
        from planner.data.demo import write_demo

        kwargs = {} if seed is None else {"seed": seed}
        con.progress(f"writing the demo dataset into {directory}")
        path = write_demo(directory, **kwargs)
        con.out(f"demo scenario written: {path}")
        con.out(f"next: planner plan {path}")

    _run(body, con)


@main.command()
@scenario_arg
@set_opt
@quiet_opt
@verbose_opt
def validate(scenario: Path, overrides: tuple[str, ...], quiet: bool, verbose: bool) -> None:
    """Load and check the scenario and its dataset; print the data-quality report.

    \b
    Example:
      planner validate scenarios/demo.yaml --set plan.horizon_weeks=8
    """
    con = Console(quiet, verbose)

    def body():
        from planner.config import scenario_to_yaml

        t0 = time.perf_counter()
        sc, ds = _load(scenario, overrides, con)
        con.timings({"load": time.perf_counter() - t0})
        con.out(
            f"dataset {sc.dataset}: OK ({len(ds.series)} series, fingerprint {ds.fingerprint[:12]})"
        )
        con.out()
        con.out(ds.quality.render())
        con.out()
        con.out("resolved scenario:")
        con.out(scenario_to_yaml(sc).rstrip())

    _run(body, con)


@main.command()
@writing_command
def forecast(
    scenario: Path, overrides: tuple[str, ...], out: Path | None, quiet: bool, verbose: bool
) -> None:
    """Write demand distributions (forecast.csv) for the planning weeks.

    \b
    Example:
      planner forecast scenarios/demo.yaml --set forecast.model=ets --out runs/fc
    """
    con = Console(quiet, verbose)

    def body():
        from planner.output import default_run_dir, write_csv
        from planner.pipeline import forecast_demand

        t0 = time.perf_counter()
        sc, ds = _load(scenario, overrides, con)
        t1 = time.perf_counter()
        con.progress(f"forecasting {len(ds.series)} series ({sc.forecast.model})")
        fc = forecast_demand(ds, sc, tick=con.tick)
        t2 = time.perf_counter()
        target = out or default_run_dir(f"{sc.name}-forecast")
        target.mkdir(parents=True, exist_ok=True)
        if not fc.panel.scores.empty:
            write_csv(fc.panel.scores, target / "forecast_selection.csv")
        write_csv(fc.table(), target / "forecast.csv")
        models = {}
        for m in fc.panel.model:
            models[m] = models.get(m, 0) + 1
        con.out(
            f"forecast for {len(fc.series)} series x {len(fc.weeks)} weeks from {fc.weeks[0].date()}"
        )
        con.out("models chosen: " + ", ".join(f"{k} {v}" for k, v in sorted(models.items())))
        con.out(f"written: {target / 'forecast.csv'}")
        con.timings({"load": t1 - t0, "forecast": t2 - t1, "write": time.perf_counter() - t2})

    _run(body, con)


@main.command()
@writing_command
def plan(
    scenario: Path, overrides: tuple[str, ...], out: Path | None, quiet: bool, verbose: bool
) -> None:
    """Make the weekly procurement plan: orders, projected stock, costs, service.

    \b
    Example:
      planner plan scenarios/demo.yaml
      planner plan scenarios/demo.yaml --set costs.shortage_multiplier=2 --out runs/short2
    """
    from planner.decompose.mpisppy import is_worker_rank

    # under `mpiexec -n K` (solver.method: mpisppy-ph) every rank plans its share of the
    # scenarios; only rank 0 prints, writes the run folder and records it
    worker = is_worker_rank()
    con = Console(quiet or worker, verbose and not worker)

    def body():
        from planner.config import load_scenario
        from planner.output import default_run_dir
        from planner.pipeline import plan_scenario, write_plan
        from planner.report.terminal import plan_summary_text

        sc, log = load_scenario(scenario, overrides)
        for line in log:
            con.out(f"set {line}")
        run = plan_scenario(
            sc, progress=con.progress, overrides=log, verbose_solver=verbose, tick=con.tick
        )
        for line in run.whatif_log:
            con.out(line)
        if worker:
            return
        target = write_plan(run, out or default_run_dir(sc.name))
        from planner.history import record_plan_run

        run_id = record_plan_run(run, target, warn=con.warn)
        for note in run.notes:
            con.warn(note)
        con.out(plan_summary_text(run))
        con.out(f"\nrun folder: {target}" + (f" (history id {run_id})" if run_id else ""))
        for label, view in (("report", "report.html"), ("workbook", "plan.xlsx")):
            if (target / view).exists():
                con.out(f"{label}: {target / view}")
        con.timings(run.timings)

    _run(body, con)


@main.command()
@writing_command
def backtest(
    scenario: Path, overrides: tuple[str, ...], out: Path | None, quiet: bool, verbose: bool
) -> None:
    """Rolling-origin forecast accuracy per model and per series.

    Writes backtest.csv (id, sku, warehouse, model, fold, origin, chosen, mae, rmse, mase,
    rmsse, smape, bias, pinball, coverage_80, coverage_95, crps) and backtest_summary.csv
    (the same metrics averaged per model), and prints the summary. Folds, step, horizon and
    models come from the scenario's `backtest` section.

    \b
    Example:
      planner backtest scenarios/demo.yaml --set backtest.folds=3 --set backtest.models=[auto,ets,theta]
    """
    con = Console(quiet, verbose)

    def body():
        from planner.data.clean import clean_for_forecast
        from planner.forecast.backtest import format_summary, run_backtest
        from planner.output import default_run_dir, write_csv

        t0 = time.perf_counter()
        sc, ds = _load(scenario, overrides, con)
        ds = clean_for_forecast(ds, sc.forecast.cleaning)
        t1 = time.perf_counter()
        con.progress(f"backtesting {len(ds.series)} series")
        folds, summary = run_backtest(ds, sc, progress=con.progress)
        t2 = time.perf_counter()
        target = out or default_run_dir(f"{sc.name}-backtest")
        target.mkdir(parents=True, exist_ok=True)
        write_csv(folds, target / "backtest.csv")
        write_csv(summary, target / "backtest_summary.csv")
        con.out(format_summary(summary))
        con.out(f"\nwritten: {target / 'backtest.csv'}, {target / 'backtest_summary.csv'}")
        con.timings({"load": t1 - t0, "backtest": t2 - t1, "write": time.perf_counter() - t2})

    _run(body, con)


def _register() -> None:
    """Commands that live in their own modules (one module per command family)."""
    import importlib

    for module, names in COMMAND_MODULES:
        mod = importlib.import_module(f"planner.cli.{module}")
        for name in names:
            main.add_command(getattr(mod, name))


# (module under planner/cli/, command objects it defines)
COMMAND_MODULES: list[tuple[str, tuple[str, ...]]] = [
    ("runs", ("runs", "compare")),
    ("simulate", ("simulate",)),
    ("report", ("report",)),
    ("sweep", ("sweep",)),
]

_register()

if __name__ == "__main__":  # pragma: no cover
    main()
