"""`planner report RUN`: rebuild report.html (and plan.xlsx for a plan) from a run folder."""

from __future__ import annotations

import importlib
from pathlib import Path

import click

from planner.cli.common import Console, _run, quiet_opt, verbose_opt


def _excel_writer():
    """planner.report.excel.write_workbook, or None when that module is not installed."""
    try:
        module = importlib.import_module("planner.report.excel")
    except ModuleNotFoundError as exc:
        if exc.name == "planner.report.excel":
            return None
        raise
    return getattr(module, "write_workbook", None)


def _resolve(run: str) -> Path:
    path = Path(run).expanduser()
    if path.is_dir():
        return path
    from planner.history import resolve_run  # run ids and `latest` from the run history

    return Path(resolve_run(run))


@click.command("report")
@click.argument("run", metavar="RUN")
@click.option("--no-excel", is_flag=True, help="Rebuild report.html only, not plan.xlsx.")
@click.option(
    "--html",
    "html_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write the HTML report here instead of RUN/report.html.",
)
@quiet_opt
@verbose_opt
def report(run: str, no_excel: bool, html_path: Path | None, quiet: bool, verbose: bool) -> None:
    """(Re)build the HTML report and the Excel workbook of a finished run.

    RUN is a run folder written by `planner plan`, `simulate` or `sweep` (or a run id from
    `planner runs`, or `latest`). report.html is built from the folder's files only: one
    self-contained page that opens offline, with this week's orders by supplier, projected
    stock with its p10-p90 band against capacity, forecast fan charts, costs, bottlenecks,
    service, the data-quality report and the resolved scenario (policy comparison for a
    simulation, tornado and cost curves for a sweep). A plan run also gets plan.xlsx.

    \b
    Example:
      planner report runs/demo-baseline-20261123-090000
      planner report latest --no-excel
      open runs/demo-baseline-20261123-090000/report.html
    """
    con = Console(quiet, verbose)

    def body():
        from planner.report.html import build_report
        from planner.report.payload import detect_kind, read_summary

        folder = _resolve(run)
        con.progress(f"building the report of {folder}")
        page = build_report(folder, html_path)
        con.out(f"report: {page}")
        if no_excel or detect_kind(folder, read_summary(folder)) != "plan":
            return
        write_workbook = _excel_writer()
        if write_workbook is None:
            con.warn("plan.xlsx skipped: the Excel writer (planner.report.excel) is not installed")
            return
        con.progress("writing plan.xlsx")
        con.out(f"workbook: {write_workbook(folder)}")

    _run(body)
