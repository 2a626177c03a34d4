"""Command-line interface: parse, call the library, print, exit code.

Exit codes: 0 done; 2 bad input, configuration or usage; 3 infeasible model or solver failure;
1 anything else.
"""

from __future__ import annotations

import sys
import time
import traceback
from pathlib import Path

import click

from planner.errors import PlannerError

EXIT_OK, EXIT_ERROR, EXIT_INPUT, EXIT_MODEL = 0, 1, 2, 3


class Console:
    """Messages in one style: progress to stderr on a terminal, results to stdout."""

    def __init__(self, quiet: bool = False, verbose: bool = False):
        self.quiet = quiet
        self.verbose = verbose
        self.interactive = sys.stderr.isatty()
        self._t0 = time.perf_counter()

    def progress(self, text: str) -> None:
        if self.quiet or not (self.interactive or self.verbose):
            return
        click.echo(f"[{time.perf_counter() - self._t0:6.1f}s] {text}", err=True)

    def out(self, text: str = "") -> None:
        if not self.quiet:
            click.echo(text)

    def warn(self, text: str) -> None:
        click.echo(f"warning: {text}", err=True)


def _run(fn):
    """Run a command body, mapping planner errors to their exit codes."""
    try:
        fn()
    except PlannerError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(exc.exit_code)
    except click.exceptions.Exit:
        raise
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        sys.exit(130)
    except Exception as exc:  # anything else is a bug or an environment problem: exit 1
        click.echo(f"error: unexpected {type(exc).__name__}: {exc}", err=True)
        if "--verbose" in sys.argv or "-v" in sys.argv:
            traceback.print_exc()
        else:
            click.echo("(run again with --verbose for the traceback)", err=True)
        sys.exit(EXIT_ERROR)


def _load(scenario: Path, overrides: tuple[str, ...], con: Console):
    """The resolved scenario (each override printed) and its validated dataset."""
    from planner.config import load_scenario
    from planner.data import load_dataset

    sc, log = load_scenario(scenario, overrides)
    for line in log:
        con.out(f"set {line}")
    con.progress("loading and validating the dataset")
    return sc, load_dataset(sc.dataset)


scenario_arg = click.argument("scenario", type=click.Path(dir_okay=False, path_type=Path))
set_opt = click.option(
    "--set",
    "overrides",
    multiple=True,
    metavar="KEY=VALUE",
    help="Override a scenario key, e.g. --set plan.horizon_weeks=8 (repeatable).",
)
out_opt = click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Output folder (default: runs/<scenario>-<timestamp>/).",
)
quiet_opt = click.option("--quiet", "-q", is_flag=True, help="Print only errors.")
verbose_opt = click.option(
    "--verbose", "-v", is_flag=True, help="Print progress, solver log and tracebacks."
)


def writing_command(fn):
    """The options every command that writes takes: SCENARIO, --set, --out, --quiet, --verbose."""
    for option in (verbose_opt, quiet_opt, out_opt, set_opt, scenario_arg):
        fn = option(fn)
    return fn


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="planner")
def main() -> None:
    """planner: optimisation-centred inventory replenishment planning.

    \b
    Start with the demo:
      planner demo demo/ && planner plan demo/demo.yaml
    """


@main.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--seed", type=int, default=None, help="Generator seed (default: the demo's own).")
def demo(directory: Path, seed: int | None) -> None:
    """Write the demo dataset and its baseline scenario into DIRECTORY.

    \b
    Example:
      planner demo demo/
      planner plan demo/demo.yaml
    """

    def body():
        from planner.data.demo import write_demo

        kwargs = {} if seed is None else {"seed": seed}
        path = write_demo(directory, **kwargs)
        click.echo(f"demo scenario written: {path}")
        click.echo(f"next: planner plan {path}")

    _run(body)


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
        from planner.config import load_scenario, scenario_to_yaml
        from planner.data import load_dataset

        sc, log = load_scenario(scenario, overrides)
        for line in log:
            con.out(f"set {line}")
        ds = load_dataset(sc.dataset)
        con.out(
            f"dataset {sc.dataset}: OK ({len(ds.series)} series, fingerprint {ds.fingerprint[:12]})"
        )
        con.out()
        con.out(ds.quality.render())
        con.out()
        con.out("resolved scenario:")
        con.out(scenario_to_yaml(sc).rstrip())

    _run(body)


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

        sc, ds = _load(scenario, overrides, con)
        con.progress(f"forecasting {len(ds.series)} series ({sc.forecast.model})")
        fc = forecast_demand(ds, sc)
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

    _run(body)


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
    con = Console(quiet, verbose)

    def body():
        from planner.config import load_scenario
        from planner.output import default_run_dir
        from planner.pipeline import plan_scenario, write_plan
        from planner.report.terminal import plan_summary_text

        sc, log = load_scenario(scenario, overrides)
        for line in log:
            con.out(f"set {line}")
        run = plan_scenario(sc, progress=con.progress, overrides=log, verbose_solver=verbose)
        for line in run.whatif_log:
            con.out(line)
        target = write_plan(run, out or default_run_dir(sc.name))
        for note in run.notes:
            con.warn(note)
        con.out(plan_summary_text(run))
        con.out(f"\nrun folder: {target}")

    _run(body)


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

        sc, ds = _load(scenario, overrides, con)
        ds = clean_for_forecast(ds, sc.forecast.cleaning)
        con.progress(f"backtesting {len(ds.series)} series")
        folds, summary = run_backtest(ds, sc, progress=con.progress)
        target = out or default_run_dir(f"{sc.name}-backtest")
        target.mkdir(parents=True, exist_ok=True)
        write_csv(folds, target / "backtest.csv")
        write_csv(summary, target / "backtest_summary.csv")
        con.out(format_summary(summary))
        con.out(f"\nwritten: {target / 'backtest.csv'}, {target / 'backtest_summary.csv'}")

    _run(body)


if __name__ == "__main__":  # pragma: no cover
    main()
