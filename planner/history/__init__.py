"""Run history: every finished plan, simulate and sweep, recorded in an embedded DuckDB file.

    from planner.history import record_run, list_runs, resolve_run
    run_id = record_run("plan", out_dir, scenario=sc.resolved_dict(), fingerprint=fp,
                        kpis={"objective": 1.0, ...}, status="optimal")
    list_runs(kind="plan", since="7d")      # a DataFrame, newest first
    resolve_run("latest")                    # the run folder of the newest run

store.py owns the file (location, locking, schema, writing), query.py reading it, kpis.py
what is recorded for each kind of run (`record_folder` records any finished run folder).
"""

from planner.history.kpis import (
    folder_kpis,
    plan_kpis,
    record_folder,
    record_plan_run,
    simulate_kpis,
    sweep_kpis,
)
from planner.history.query import get_run, list_runs, resolve_run, resolve_run_id
from planner.history.store import (
    DEFAULT_DB,
    ENV_VAR,
    KINDS,
    KPI_COLUMNS,
    SCHEMA_VERSION,
    HistoryError,
    HistoryWarning,
    connect,
    flatten_kpis,
    history_path,
    record_run,
)

__all__ = [
    "DEFAULT_DB",
    "ENV_VAR",
    "KINDS",
    "KPI_COLUMNS",
    "SCHEMA_VERSION",
    "HistoryError",
    "HistoryWarning",
    "connect",
    "flatten_kpis",
    "folder_kpis",
    "get_run",
    "history_path",
    "list_runs",
    "plan_kpis",
    "record_folder",
    "record_plan_run",
    "record_run",
    "resolve_run",
    "resolve_run_id",
    "simulate_kpis",
    "sweep_kpis",
]
