"""What every command shares: the console, the exit-code mapping, the loader, the options."""

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

    def bar(self, total: int, label: str):
        """A progress bar on stderr when on a terminal (and not --quiet); silent otherwise.

        Use as a context manager: `with con.bar(n, "solving") as bar: ... bar.update(1)`.
        """
        from tqdm import tqdm

        return tqdm(
            total=total,
            desc=label,
            disable=self.quiet or not self.interactive,
            file=sys.stderr,
            leave=False,
            dynamic_ncols=True,
        )


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
