"""What every command shares: the console, the exit-code mapping, the loader, the options.

The console speaks in one style everywhere:

* results go to stdout (`out`); nothing else does;
* progress, warnings and errors go to stderr: `[  1.2s] forecasting 40 series`,
  `warning: ...`, `error: ...`;
* on a terminal, long steps show a live line under their progress message: an elapsed-time
  spinner, or a bar once the step reports counts (`tick(done, total)`), and `bar(total, label)`
  is a tqdm bar; when stderr is not a terminal (a pipe, a file, CI with `CI=true`,
  `TERM=dumb`) there are no bars, spinners or ANSI codes, only results;
* `--quiet` prints only errors; `--verbose` adds timestamped progress lines (also when not on a
  terminal), stage timings, the solver log and tracebacks.
"""

from __future__ import annotations

import atexit
import os
import sys
import threading
import time
import traceback
import warnings
import weakref
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import IO, ClassVar

import click

from planner.errors import PlannerError

EXIT_OK, EXIT_ERROR, EXIT_INPUT, EXIT_MODEL = 0, 1, 2, 3
EXIT_INTERRUPTED = 130

SPINNER = "|/-\\"
REFRESH_S = 0.1
_CLEAR = "\r\x1b[2K"
_FALSE = ("", "0", "false", "no")


def is_interactive(stream: IO | None) -> bool:
    """True when `stream` is a terminal a person watches: a TTY, not CI, not TERM=dumb."""
    if os.environ.get("CI", "").strip().lower() not in _FALSE:
        return False
    if os.environ.get("TERM", "") == "dumb":
        return False
    try:
        return bool(stream is not None and stream.isatty())
    except (AttributeError, ValueError):  # closed or not a file
        return False


def message(kind: str, text: str) -> str:
    """`kind: text`, continuation lines indented by two spaces (lines already indented are
    kept): the one style of every warning and error."""
    first, *rest = str(text).rstrip().split("\n")
    rest = [line if not line or line[0].isspace() else f"  {line}" for line in rest]
    return "\n".join([f"{kind}: {first}", *rest])


class Console:
    """Messages in one style: results to stdout, progress/warnings/errors to stderr.

    `interactive` (stderr is a terminal, see `is_interactive`) switches on bars, spinners and
    colour; tests may set it and pass `stream` (a file for stderr output).
    """

    _open: ClassVar[weakref.WeakSet[Console]] = weakref.WeakSet()

    def __init__(self, quiet: bool = False, verbose: bool = False, stream: IO | None = None):
        self.quiet = quiet
        self.verbose = verbose and not quiet
        self.stream = stream
        self.interactive = is_interactive(self.err)
        self.color = "NO_COLOR" not in os.environ
        self._t0 = time.perf_counter()
        self._lock = threading.RLock()
        self._live: _LiveStep | None = None
        Console._open.add(self)

    @property
    def err(self) -> IO:
        """Where progress, warnings and errors go (stderr unless a stream was given)."""
        return self.stream if self.stream is not None else sys.stderr

    @property
    def live(self) -> bool:
        """Whether live lines (spinners, bars) are drawn: a terminal, not quiet, not verbose
        (the verbose solver log would tear them)."""
        return self.interactive and not self.quiet and not self.verbose

    # -- lines --------------------------------------------------------------------------------

    def _emit(self, text: str, err: bool = True) -> None:
        with self._lock:
            self._stop_live()
            if self.interactive:  # above any open tqdm bar, which is redrawn below the line
                from tqdm import tqdm

                tqdm.write(text, file=self.err if err else sys.stdout)
            elif err:
                click.echo(text, file=self.err, color=False)
            else:
                click.echo(text)

    def progress(self, text: str) -> None:
        """A stage starts: `[elapsed] text` on a terminal or with --verbose. On a terminal a
        live line under it shows the stage's elapsed time (or its bar, see `tick`) until the
        next message."""
        if self.quiet or not (self.interactive or self.verbose):
            return
        self._emit(f"[{time.perf_counter() - self._t0:6.1f}s] {text}")
        if self.live and not _open_bars():  # an open bar already shows that work goes on
            with self._lock:
                self._live = _LiveStep(self, "")

    def tick(self, done: int, total: int) -> None:
        """Counts of the current stage (e.g. series forecast so far): turns its live line into
        a bar. A `Callable[[int, int], None]` for library functions' `progress` keywords."""
        live = self._live
        if live is not None:
            live.update(done, total)
        elif self.verbose and total and done >= total:
            self._emit(f"[{time.perf_counter() - self._t0:6.1f}s]   {done:,}/{total:,} done")

    def out(self, text: str = "") -> None:
        """A result line on stdout (nothing with --quiet)."""
        if not self.quiet:
            self._emit(text, err=False)

    def detail(self, text: str) -> None:
        """A line only --verbose shows (stage timings, settings), on stderr."""
        if self.verbose:
            self._emit(text)

    def warn(self, text: str) -> None:
        """`warning: text` on stderr (not with --quiet)."""
        if not self.quiet:
            self._emit(self._style("warning", text, "yellow"))

    def error(self, text: str) -> None:
        """`error: text` on stderr, always."""
        self._emit(self._style("error", text, "red"))

    def _style(self, kind: str, text: str, colour: str) -> str:
        line = message(kind, text)
        if self.interactive and self.color:
            head = click.style(f"{kind}:", fg=colour, bold=True)
            line = head + line[len(kind) + 1 :]
        return line

    def timings(self, timings: Mapping[str, float], title: str = "stage timings") -> None:
        """With --verbose: one line per stage with its seconds and share of the total."""
        if not self.verbose or not timings:
            return
        total = sum(timings.values()) or 1.0
        lines = [f"{title} (s):"]
        lines += [
            f"  {name:<14}{seconds:>9.3f}  {seconds / total:6.1%}"
            for name, seconds in timings.items()
        ]
        lines.append(f"  {'total':<14}{sum(timings.values()):>9.3f}")
        self._emit("\n".join(lines))

    # -- long steps ---------------------------------------------------------------------------

    def bar(self, total: int, label: str):
        """A progress bar on stderr when on a terminal (and not --quiet); silent otherwise
        (with --verbose and no terminal: a plain line at each quarter).

        Use as a context manager: `with con.bar(n, "solving") as bar: ... bar.update(1)`.
        """
        with self._lock:
            self._stop_live()
        if self.verbose and not self.interactive:
            return _PlainBar(self, total, label)
        from tqdm import tqdm

        return tqdm(
            total=total,
            desc=label,
            disable=self.quiet or not self.interactive,
            file=self.err,
            leave=False,
            dynamic_ncols=True,
        )

    @contextmanager
    def working(self, label: str) -> Iterator[Callable[[int, int], None]]:
        """A long step without a known length (a solve): on a terminal an elapsed-time spinner
        (a bar once `tick(done, total)` is called) while the block runs; with --verbose a line
        at the start and at the end with its seconds. Yields the `tick` callback.

            with con.working("solving with HiGHS"):
                solve(...)
        """
        t0 = time.perf_counter()
        if self.verbose:
            self.progress(label)
        elif self.live:
            with self._lock:
                self._stop_live()
                self._live = _LiveStep(self, label)
        try:
            yield self.tick
        finally:
            with self._lock:
                self._stop_live()
            self.detail(
                f"[{time.perf_counter() - self._t0:6.1f}s] {label}: done in "
                f"{time.perf_counter() - t0:.1f} s"
            )

    def close(self) -> None:
        """Clear any live line (called when a command ends, also on errors)."""
        with self._lock:
            self._stop_live()

    def _stop_live(self) -> None:
        if self._live is not None:
            self._live.stop()
            self._live = None


def _open_bars() -> int:
    """How many tqdm bars are drawn at the moment."""
    from tqdm import tqdm

    return len(getattr(tqdm, "_instances", ()))


class _LiveStep:
    """The live line of a running step, redrawn by a background thread every REFRESH_S."""

    def __init__(self, con: Console, label: str):
        self.con, self.label = con, label
        self.t0 = time.perf_counter()
        self.done = self.total = 0
        self._drawn = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="planner-spinner", daemon=True)
        self._thread.start()

    def update(self, done: int, total: int) -> None:
        """New counts; drawn at once when the step completes or the line is due a redraw."""
        self.done, self.total = int(done), int(total)
        now = time.perf_counter()
        if self.done >= self.total or now - self._drawn >= REFRESH_S:
            self.draw(0)

    def draw(self, k: int) -> None:
        """Redraw the line; a frame is skipped while another thread writes (never blocks, so
        `stop`, called under the console's lock, cannot wait on it)."""
        if self._stop.is_set() or not self.con._lock.acquire(blocking=False):
            return
        try:
            if not self._stop.is_set():
                self.con.err.write(_CLEAR + self.line(k))
                self.con.err.flush()
                self._drawn = time.perf_counter()
        finally:
            self.con._lock.release()

    def line(self, k: int) -> str:
        elapsed = time.perf_counter() - self.t0
        label = f"{self.label} " if self.label else ""
        if self.total > 0:
            frac = min(1.0, self.done / self.total)
            width = 24
            filled = round(frac * width)
            eta = ""
            if 0 < self.done < self.total:
                eta = f", ~{elapsed / self.done * (self.total - self.done):.0f} s left"
            return (
                f"  {label}[{'#' * filled}{'.' * (width - filled)}] "
                f"{self.done:,}/{self.total:,} {frac:4.0%} {elapsed:.1f} s{eta}"
            )
        return f"  {SPINNER[k % len(SPINNER)]} {label}{elapsed:.1f} s"

    def _run(self) -> None:
        k = 0
        while not self._stop.wait(REFRESH_S if k else 0.0):
            self.draw(k)
            k += 1

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not threading.current_thread():
            self._thread.join(timeout=1.0)
        try:
            self.con.err.write(_CLEAR)
            self.con.err.flush()
        except ValueError:  # stream closed at interpreter exit
            pass


class _PlainBar:
    """tqdm's interface as plain lines (for --verbose off a terminal): one per quarter."""

    def __init__(self, con: Console, total: int, label: str):
        self.con, self.total, self.desc, self.n = con, int(total or 0), label, 0
        self._quarter = 0
        self._t0 = time.perf_counter()

    def update(self, n: int = 1) -> None:
        self.n += n
        if self.total <= 0:
            return
        quarter = min(4, int(4 * self.n / self.total))
        if quarter > self._quarter:
            self._quarter = quarter
            self.con.progress(
                f"{self.desc}: {self.n:,}/{self.total:,} ({time.perf_counter() - self._t0:.1f} s)"
            )

    def set_description(self, desc: str | None = None, refresh: bool = True) -> None:
        self.desc = desc or ""

    def set_postfix(self, *args, **kwargs) -> None:
        pass

    def set_postfix_str(self, s: str = "", refresh: bool = True) -> None:
        pass

    def refresh(self, *args, **kwargs) -> None:
        pass

    def write(self, s: str, *args, **kwargs) -> None:
        self.con.detail(s)

    def close(self) -> None:
        pass

    def __enter__(self) -> _PlainBar:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __iter__(self):
        return iter(())


@atexit.register
def _close_consoles() -> None:
    for con in list(Console._open):
        con.close()


DEVELOPER_WARNINGS = (DeprecationWarning, PendingDeprecationWarning, FutureWarning)


def route_warnings(con: Console, verbose: bool = False) -> None:
    """Print Python warnings raised in this process as `warning: ...` through `con` (use
    inside `warnings.catch_warnings()`). Warnings meant for developers (deprecations, future
    changes) only with --verbose, which also names the category and the line."""
    if not verbose:
        for category in DEVELOPER_WARNINGS:
            warnings.filterwarnings("ignore", category=category)

    def show(message, category, filename, lineno, file=None, line=None) -> None:
        text = str(message)
        if verbose:
            text += f" ({category.__name__} at {filename}:{lineno})"
        con.warn(text)

    warnings.showwarning = show


def _run(fn: Callable[[], None], con: Console | None = None) -> None:
    """Run a command body, mapping planner errors to their exit codes.

    PlannerError -> its exit code (2 input/configuration, 3 infeasible/solver) with
    `error: <message>`; Ctrl-C -> 130; anything else -> 1 with `error: unexpected ...` (the
    traceback with --verbose). Errors print even with --quiet. Python warnings raised by the
    body print as `warning: ...` (see `route_warnings`).
    """
    con = con or Console()
    verbose = con.verbose or "--verbose" in sys.argv or "-v" in sys.argv
    try:
        with warnings.catch_warnings():
            route_warnings(con, verbose)
            fn()
    except PlannerError as exc:
        con.error(str(exc))
        sys.exit(exc.exit_code)
    except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException):
        raise
    except KeyboardInterrupt:
        con.error("interrupted")
        sys.exit(EXIT_INTERRUPTED)
    except Exception as exc:  # anything else is a bug or an environment problem: exit 1
        con.error(f"unexpected {type(exc).__name__}: {exc}")
        if verbose:
            with con._lock:
                traceback.print_exc(file=con.err)
        else:
            click.echo("  (run again with --verbose for the traceback)", file=con.err)
        sys.exit(EXIT_ERROR)
    finally:
        con.close()


class PlannerGroup(click.Group):
    """The `planner` command group: usage errors in the same `error: ...` style (exit 2)."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode, **extra)
        try:
            rv = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except click.exceptions.Abort:
            click.echo(message("error", "interrupted"), err=True)
            sys.exit(EXIT_INTERRUPTED)
        except click.ClickException as exc:
            if type(exc).__name__ == "NoArgsIsHelpError":  # `planner` alone: the help
                click.echo(exc.format_message(), err=True)
                sys.exit(EXIT_INPUT)
            ctx = getattr(exc, "ctx", None)
            if ctx is not None:
                hint = f"Try '{ctx.command_path} {ctx.help_option_names[0]}' for help."
                click.echo(f"{ctx.get_usage()}\n{hint}\n", err=True)
            click.echo(message("error", exc.format_message()), err=True)
            sys.exit(EXIT_INPUT if exc.exit_code == 2 else exc.exit_code)
        sys.exit(rv if isinstance(rv, int) else EXIT_OK)


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
    "--verbose",
    "-v",
    is_flag=True,
    help="Also print timestamped progress, stage timings, the solver log and tracebacks.",
)


def writing_command(fn):
    """The options every command that writes takes: SCENARIO, --set, --out, --quiet, --verbose."""
    for option in (verbose_opt, quiet_opt, out_opt, set_opt, scenario_arg):
        fn = option(fn)
    return fn
