"""`planner runs` (the run history) and `planner compare RUN...` (finished runs side by side)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import click

from planner.cli.common import Console, _run, out_opt, quiet_opt, verbose_opt

db_opt = click.option(
    "--db",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Run history file (default: $PLANNER_HISTORY, else runs/history.duckdb).",
)


def _cell(value: object, fmt: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return format(value, fmt)


def _runs_table(frame) -> str:
    from planner.compare.render import text_table

    rows = [
        [
            str(r.id),
            r.created_at.strftime("%Y-%m-%d %H:%M:%S"),
            r.kind,
            str(r.name or "-"),
            str(r.status or "-"),
            _cell(r.objective, ",.2f"),
            _cell(r.fill_rate, ".2%"),
            r.out_dir,
        ]
        for r in frame.itertuples(index=False)
    ]
    header = ["id", "time (UTC)", "kind", "scenario", "status", "objective", "fill rate", "folder"]
    return text_table(header, rows, indent=0, align="rllllrrl")


def _show_run(ref: str, db: Path | None, as_json: bool) -> str:
    """One recorded run: what, when, where, every KPI and the resolved scenario."""
    import yaml

    from planner.compare.render import number_text, text_table
    from planner.history import flatten_kpis, get_run, resolve_run_id

    row = get_run(resolve_run_id(ref, db), db)
    if as_json:
        row["created_at"] = row["created_at"].isoformat()
        clean = {k: None if isinstance(v, float) and math.isnan(v) else v for k, v in row.items()}
        return json.dumps(clean, indent=2)
    head = [
        f"run {row['id']}: {row['kind']} {row['name'] or '-'} ({row['status'] or '-'}), "
        f"{row['created_at']:%Y-%m-%d %H:%M:%S} UTC",
        f"folder: {row['out_dir']}"
        + ("" if Path(row["out_dir"]).is_dir() else " (no longer exists)"),
        f"dataset fingerprint: {row['dataset_fingerprint'] or '-'}",
        f"planner {row['planner_version'] or '?'}, user {row['user_name'] or '?'} "
        f"on {row['host'] or '?'}",
    ]
    kpis = flatten_kpis(row["kpis"] or {})
    rows = []
    for key, value in kpis.items():
        if value is None or isinstance(value, int | float):
            rate = key.endswith(("fill_rate", "service_level"))
            rows.append([key, number_text(value, rate=rate)])
        else:
            rows.append([key, str(value)])
    scenario = yaml.safe_dump(row["scenario"] or {}, sort_keys=False).rstrip()
    return "\n".join(
        [
            *head,
            "",
            "KPIs",
            text_table(["kpi", "value"], rows) if rows else "  (none)",
            "",
            "resolved scenario",
            "  " + scenario.replace("\n", "\n  "),
        ]
    )


@click.command("runs")
@click.option(
    "--kind", type=click.Choice(["plan", "simulate", "sweep"]), default=None, help="Only this kind."
)
@click.option(
    "--scenario",
    "scenario_name",
    default=None,
    metavar="NAME",
    help="Only runs of this scenario name (wildcards * and ?, case-insensitive).",
)
@click.option(
    "--since",
    default=None,
    metavar="WHEN",
    help="Only runs recorded since a date (2026-11-01), a UTC timestamp or an age (12h, 3d, 2w).",
)
@click.option("--status", default=None, help="Only runs with this status (e.g. optimal).")
@click.option(
    "--limit", type=click.IntRange(min=1), default=20, show_default=True, help="At most N runs."
)
@click.option("--all", "show_all", is_flag=True, help="No limit: every matching run.")
@click.option(
    "--json", "as_json", is_flag=True, help="Print JSON (with the resolved scenario and KPIs)."
)
@click.option(
    "--record",
    "record",
    multiple=True,
    type=click.Path(file_okay=False, path_type=Path),
    metavar="FOLDER",
    help="Record finished run folders made without the history (repeatable), then list.",
)
@click.option(
    "--show",
    default=None,
    metavar="RUN",
    help="Show one run (an id, latest, -1, -2, ...): its KPIs and resolved scenario.",
)
@db_opt
def runs(
    kind: str | None,
    scenario_name: str | None,
    since: str | None,
    status: str | None,
    limit: int,
    show_all: bool,
    as_json: bool,
    record: tuple[Path, ...],
    show: str | None,
    db: Path | None,
) -> None:
    """List the recorded runs, newest first.

    Every plan, simulate and sweep is recorded in the run history (DuckDB) with its resolved
    scenario, dataset fingerprint, KPIs and run folder. The ids (and latest, -1, -2, ...) can be
    given to `planner compare`. The history is plain SQL: `duckdb runs/history.duckdb`.

    \b
    Example:
      planner runs --kind plan --scenario 'demo*' --since 7d
      planner runs --json --limit 5 > last5.json
      planner runs --record runs/old-plan --record runs/old-sweep
      planner runs --show latest
      planner compare -2 -1
    """

    def body():
        from planner.history import history_path, list_runs, record_folder

        for folder in record:
            if history_path(db) is None:
                list_runs(db=db)  # raises: the history is turned off
            run_id = record_folder(folder, db=db, strict=True)
            if not as_json:
                click.echo(f"recorded {folder} as run {run_id}")
        if show is not None:
            click.echo(_show_run(show, db, as_json))
            return
        frame = list_runs(
            db=db,
            kind=kind,
            scenario=scenario_name,
            since=since,
            status=status,
            limit=None if show_all else limit,
            with_json=as_json,
        )
        if as_json:
            records = []
            for rec in frame.to_dict("records"):
                rec["created_at"] = rec["created_at"].isoformat()
                records.append(
                    {
                        k: (None if isinstance(v, float) and math.isnan(v) else v)
                        for k, v in rec.items()
                    }
                )
            click.echo(json.dumps(records, indent=2))
            return
        if frame.empty:
            click.echo(f"no runs recorded in {history_path(db)} match")
            return
        click.echo(_runs_table(frame))
        if not show_all and len(frame) == limit:
            click.echo(f"(the {limit} newest; --limit N or --all for more)")

    _run(body)


@click.command("compare", context_settings={"ignore_unknown_options": True})
@click.argument("refs", nargs=-1, required=True, metavar="RUN...")
@out_opt
@db_opt
@click.option(
    "--top",
    type=click.IntRange(min=1),
    default=15,
    show_default=True,
    help="SKUs and order lines shown (the CSV files have all).",
)
@click.option(
    "--tolerance",
    type=click.FloatRange(min=0),
    default=0.0,
    show_default=True,
    metavar="UNITS",
    help="Order lines whose quantities differ by at most this many units count as unchanged.",
)
@quiet_opt
@verbose_opt
def compare(
    refs: tuple[str, ...],
    out: Path | None,
    db: Path | None,
    top: int,
    tolerance: float,
    quiet: bool,
    verbose: bool,
) -> None:
    """Compare finished runs: KPIs side by side, scenario and order differences.

    RUN is a run folder, a run id from `planner runs`, `latest` (= -1, the newest run), -2
    (the one before), ... The first RUN is the base: differences are run - base. Plan runs
    are compared on KPIs, resolved scenario keys, and orders by supplier, week, SKU and line;
    simulate runs on their KPIs per policy (kpis.csv); sweep runs on their KPIs per grid point
    (sweep.csv).

    Writes compare.csv (order lines: supplier, sku, warehouse, order_week, committed,
    quantity_<run>..., diff, change, line_cost_<run>...) and compare_kpis.csv,
    compare_scenario.csv, compare_by_supplier.csv, compare_by_sku.csv, compare_by_week.csv,
    compare_runs.csv into --out (default runs/compare-<timestamp>/).

    \b
    Example:
      planner plan scenarios/demo.yaml --out runs/base
      planner plan scenarios/demo.yaml --set costs.shortage_multiplier=2 --out runs/short2
      planner compare runs/base runs/short2
      planner compare -2 -1 --out runs/cmp --tolerance 1
    """
    con = Console(quiet, verbose)

    def body():
        from planner.compare import compare_runs, format_comparison, write_comparison
        from planner.history import resolve_run
        from planner.output import default_run_dir

        paths = [resolve_run(ref, db=db) for ref in refs]
        con.progress(f"reading {len(paths)} runs")
        cmp = compare_runs(paths, tolerance=tolerance)
        kinds = {r.kind for r in cmp.runs}
        if len(kinds) > 1:
            con.warn(f"comparing runs of different kinds ({', '.join(sorted(kinds))})")
        con.out(format_comparison(cmp, top=top))
        target = out or default_run_dir("compare")
        written = write_comparison(cmp, target)
        names = ", ".join(written)
        con.out(f"\nwritten to {target}: {names}")

    _run(body)
