"""`planner sweep`: cost sensitivity, one plan per point, in parallel on Dask."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

import click

from planner.cli.common import Console, _run, writing_command


def _resume_command(
    scenario: Path,
    overrides: tuple[str, ...],
    vary: tuple[str, ...],
    tornado: str | None,
    scheduler: str | None,
    n_workers: int | None,
    folder: Path,
) -> str:
    parts = ["planner", "sweep", str(scenario)]
    for o in overrides:
        parts += ["--set", o]
    for v in vary:
        parts += ["--vary", v]
    if tornado:
        parts += ["--tornado", tornado]
    if scheduler:
        parts += ["--scheduler", scheduler]
    if n_workers:
        parts += ["--workers", str(n_workers)]
    parts += ["--resume", str(folder)]
    return " ".join(shlex.quote(p) for p in parts)


def _fmt(value) -> str:
    if isinstance(value, float):
        return "" if value != value else f"{value:,.2f}"
    return str(value)


def _print_table(con: Console, result) -> None:
    table = result.table()
    header = f"{'point':<44} {'status':<13} {'expected cost':>15} {'fill':>7} {'orders':>11} {'this week':>10}"
    con.out(header)
    for p, row in zip(result.points, table.to_dict("records"), strict=True):
        fill = row["fill_rate"]
        con.out(
            f"{p.id:>3} {p.label[:40]:<40} {row['status']:<13} {_fmt(row['objective']):>15} "
            f"{'' if fill != fill else f'{fill:.1%}':>7} {_fmt(row['total_orders']):>11} "
            f"{_fmt(row['orders_this_week']):>10}"
        )


@click.command()
@writing_command
@click.option(
    "--vary",
    multiple=True,
    metavar="KEY=V1,V2,...",
    help="A scenario key and its values (read as YAML; start:stop:step is a range). Repeat "
    "for a grid of every combination.",
)
@click.option(
    "--tornado",
    metavar="LOW,HIGH",
    default=None,
    help="Move each cost multiplier and each supplier's lead time, one at a time, to the low "
    "and the high factor, e.g. 0.8,1.2 (lead times in whole weeks, at least 1 week).",
)
@click.option(
    "--scheduler",
    metavar="tcp://HOST:PORT",
    default=None,
    help="Run on an existing Dask cluster (default: a local cluster, one worker per core).",
)
@click.option(
    "--workers",
    "n_workers",
    type=click.IntRange(min=1),
    default=None,
    help="Workers of the local cluster (default: one per core; 1 = no cluster).",
)
@click.option(
    "--resume",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Continue an interrupted sweep in this folder: finished points are kept.",
)
def sweep(
    scenario: Path,
    overrides: tuple[str, ...],
    out: Path | None,
    quiet: bool,
    verbose: bool,
    vary: tuple[str, ...],
    tornado: str | None,
    scheduler: str | None,
    n_workers: int | None,
    resume: Path | None,
) -> None:
    """Cost sensitivity: one plan per point of a grid and/or a tornado, in parallel.

    Each --vary KEY=V1,V2,... adds a dimension to the grid (every combination is planned);
    --tornado LOW,HIGH moves each cost multiplier and each supplier's lead time one at a time.
    Forecasts and demand scenarios are computed once per distinct forecast setting and reused
    by every point. Writes sweep.csv (one row per point: the varied keys, status, expected
    cost and its components, fill_rate, total_orders, orders_this_week, bottlenecks, run_dir),
    tornado.csv, tornado.png, cost_curves.png, summary.json, and one plan run folder per point
    under points/. Ctrl-C keeps the finished points; --resume DIR runs the rest.

    \b
    Example:
      planner sweep scenarios/demo.yaml --vary costs.shortage_multiplier=0.5,1,2,4
      planner sweep scenarios/demo.yaml --vary costs.shortage_multiplier=1,2 \\
          --vary costs.holding_multiplier=0.5,1 --tornado 0.8,1.2 --out runs/sens
      planner sweep scenarios/demo.yaml --tornado 0.8,1.2 --scheduler tcp://10.0.0.5:8786
    """
    con = Console(quiet, verbose)

    def body():
        from planner.config import load_scenario, parse_set_options
        from planner.errors import ConfigError, InfeasibleError, Problem
        from planner.output import default_run_dir
        from planner.sweep import SweepInterrupted, parse_vary, sweep_scenario

        if resume is not None and out is not None and Path(out).resolve() != resume.resolve():
            raise ConfigError(
                Problem("--resume", f"--out {out} and --resume {resume} name different folders"),
                title="invalid options",
            )
        varied = parse_vary(vary)
        both = sorted({k for k, _ in parse_set_options(overrides)} & set(varied))
        if both:
            raise ConfigError(
                Problem(
                    "--set/--vary",
                    f"{', '.join(map(repr, both))} given in both --set and --vary",
                    fix="keep the key in --vary only",
                ),
                title="invalid options",
            )
        sc, log = load_scenario(scenario, overrides)
        for line in log:
            con.out(f"set {line}")
        target = resume or out or default_run_dir(f"{sc.name}-sweep")
        bar = None

        def on_start(result) -> None:
            bar.total = len(result.pending)
            bar.refresh()

        def on_point(point, row) -> None:
            bar.update(1)
            if con.verbose:
                con.progress(f"point {point.id} ({point.label}): {row['status']}")

        try:
            with con.bar(0, "sweep points") as bar:
                result = sweep_scenario(
                    sc,
                    vary,
                    tornado,
                    scheduler=scheduler,
                    n_workers=n_workers,
                    progress=con.progress,
                    out=target,
                    resume=resume is not None,
                    overrides=log,
                    on_point=on_point,
                    on_start=on_start,
                )
        except SweepInterrupted as stop:
            r = stop.result
            click.echo(
                f"\ninterrupted: {len(r.finished)} of {len(r.points)} points finished and are "
                f"kept in {target / 'sweep.csv'} (the others are marked pending)",
                err=True,
            )
            cmd = _resume_command(scenario, overrides, vary, tornado, scheduler, n_workers, target)
            click.echo(f"resume with:\n  {cmd}", err=True)
            sys.exit(130)

        _print_table(con, result)
        tornado_table = result.tornado_table()
        if tornado_table is not None and not tornado_table.empty:
            con.out("\ntornado (expected cost at the low / high factor, largest swing first)")
            for row in tornado_table.to_dict("records"):
                con.out(
                    f"  {row['parameter']:<36} {_fmt(row['low_objective']):>15} "
                    f"{_fmt(row['high_objective']):>15}   swing {_fmt(row['swing'])}"
                )
        for note in result.notes:
            con.warn(note)
        for pid, message in sorted(result.messages.items()):
            con.warn(f"point {pid}: {message.splitlines()[0] if message else 'no plan'}")
        if result.resumed:
            con.out(f"\n{result.resumed} point(s) kept from the interrupted run")
        con.out(
            f"\n{len(result.planned)} of {len(result.points)} points planned "
            f"({result.demand_groups} forecast(s), {result.workers} worker(s), "
            f"{result.seconds_total:.1f} s)"
        )
        from planner.history import record_folder

        run_id = record_folder(target, warn=con.warn)
        con.out(f"sweep folder: {target}" + (f" (history id {run_id})" if run_id else ""))
        if (target / "report.html").exists():
            con.out(f"report: {target / 'report.html'}")
        statuses = {result.rows[p.id]["status"] for p in result.points}
        if "error" in statuses:
            click.echo("error: some points failed unexpectedly (see summary.json)", err=True)
            sys.exit(1)
        if not result.planned:
            raise InfeasibleError("no point of the sweep has a plan (see summary.json)")

    _run(body, con)
