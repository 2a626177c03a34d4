"""The run history file: where it lives, locking, the schema, and recording a run.

One row per run in the table `runs`: when, what kind, the scenario name, status, the main KPIs
as columns (objective, fill_rate, cycle_service_level, total_cost, total_orders,
orders_this_week), the run folder, the dataset fingerprint, and the fully resolved scenario and
every KPI as JSON, so the history stays queryable with plain SQL:

    duckdb runs/history.duckdb "select id, name, objective, kpis->>'$.costs.shortage' from runs"

Where the file lives: `--db PATH` on the commands, else the environment variable
`PLANNER_HISTORY`, else `runs/history.duckdb` (relative to the current directory).
`PLANNER_HISTORY=off` turns recording off.

DuckDB lets one process write a file at a time, and readers cannot open it while a writer
holds it, so every connection is short (open, one statement batch, close) and a locked file is
retried with exponential backoff. Recording never breaks a finished run: `record_run` warns and
returns None when the history cannot be written (the run folder is the result).
"""

from __future__ import annotations

import datetime as dt
import getpass
import json
import math
import os
import random
import socket
import time
import warnings
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from planner.errors import InputError, Problem

SCHEMA_VERSION = 1
DEFAULT_DB = Path("runs") / "history.duckdb"
ENV_VAR = "PLANNER_HISTORY"
KINDS = ("plan", "simulate", "sweep")
OFF_VALUES = ("off", "none", "0", "false", "no")
LOCK_TIMEOUT_S = 20.0

# main KPIs kept as columns (the rest lives in the kpis JSON)
KPI_COLUMNS = (
    "objective",
    "total_cost",
    "fill_rate",
    "cycle_service_level",
    "total_orders",
    "orders_this_week",
)

_DDL = [
    "create sequence if not exists runs_id_seq start 1",
    """
    create table if not exists runs (
        id integer primary key default nextval('runs_id_seq'),
        created_at timestamp not null,
        kind varchar not null,
        name varchar,
        status varchar,
        objective double,
        total_cost double,
        fill_rate double,
        cycle_service_level double,
        total_orders double,
        orders_this_week double,
        out_dir varchar not null,
        dataset_fingerprint varchar,
        scenario json,
        kpis json,
        planner_version varchar,
        user_name varchar,
        host varchar
    )
    """,
    "create table if not exists meta (key varchar primary key, value varchar)",
]

LIST_COLUMNS = [
    "id",
    "created_at",
    "kind",
    "name",
    "status",
    "objective",
    "total_cost",
    "fill_rate",
    "cycle_service_level",
    "total_orders",
    "orders_this_week",
    "out_dir",
    "dataset_fingerprint",
]


class HistoryError(InputError):
    """The history file is missing, unreadable, locked for too long or from a newer planner."""

    def __init__(self, db: Path, message: str, fix: str = ""):
        super().__init__(Problem(str(db), message, fix=fix), title="run history")


class HistoryWarning(UserWarning):
    """A run could not be recorded in the history (the run itself is fine)."""


# ---------------------------------------------------------------- where and how to connect


def history_path(db: Path | str | None = None) -> Path | None:
    """The history file: `db` if given, else $PLANNER_HISTORY, else runs/history.duckdb.

    None when recording is turned off (`PLANNER_HISTORY=off`); an empty variable is unset.
    """
    if db is not None and str(db) != "":
        return Path(db)
    env = (os.environ.get(ENV_VAR) or "").strip()
    if env.lower() in OFF_VALUES:
        return None
    return Path(env).expanduser() if env else DEFAULT_DB


def _is_lock_error(exc: Exception) -> bool:
    text = str(exc).lower()
    return "lock" in text or "resource temporarily unavailable" in text


@contextmanager
def connect(db: Path, *, read_only: bool, timeout_s: float | None = None) -> Iterator[Any]:
    """A short-lived connection, retried with backoff while another process holds the file
    (for `timeout_s`, default LOCK_TIMEOUT_S)."""
    import duckdb

    if timeout_s is None:
        timeout_s = LOCK_TIMEOUT_S

    db = Path(db)
    if read_only and not db.is_file():
        raise HistoryError(
            db,
            "no run history here" if not db.exists() else "the history path is not a file",
            fix=f"record a run first (planner plan ...), or point --db / ${ENV_VAR} "
            "at an existing history file",
        )
    if not read_only:
        db.parent.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + timeout_s
    delay = 0.05
    while True:
        try:
            con = duckdb.connect(str(db), read_only=read_only)
            break
        except duckdb.Error as exc:
            if _is_lock_error(exc) and time.monotonic() < deadline:
                time.sleep(delay * (0.5 + random.random()))
                delay = min(delay * 2, 1.0)
                continue
            if _is_lock_error(exc):
                raise HistoryError(
                    db,
                    f"the history is locked by another process for more than {timeout_s:g} s",
                    fix="wait for the other planner command to finish and try again",
                ) from exc
            raise HistoryError(
                db,
                f"cannot open the history ({type(exc).__name__}: {exc})",
                fix="check the file is a planner history (DuckDB) and readable, or use "
                f"another --db / ${ENV_VAR}",
            ) from exc
    try:
        yield con
    finally:
        con.close()


def _check_schema(con: Any, db: Path, *, create: bool) -> None:
    tables = {
        r[0] for r in con.execute("select table_name from information_schema.tables").fetchall()
    }
    if "runs" not in tables or "meta" not in tables:
        if not create:
            raise HistoryError(
                db,
                "the file is a DuckDB database but not a planner run history (no `runs` table)",
                fix=f"point --db / ${ENV_VAR} at the history file (default {DEFAULT_DB})",
            )
        con.execute("begin transaction")
        for stmt in _DDL:
            con.execute(stmt)
        con.execute(
            "insert or ignore into meta values ('schema_version', ?)", [str(SCHEMA_VERSION)]
        )
        con.execute("commit")
    row = con.execute("select value from meta where key = 'schema_version'").fetchone()
    version = int(row[0]) if row else 0
    if version > SCHEMA_VERSION:
        raise HistoryError(
            db,
            f"the history has schema version {version}, this planner knows up to {SCHEMA_VERSION}",
            fix="upgrade planner, or use another --db",
        )
    if version < SCHEMA_VERSION:  # pragma: no cover - no older schema exists yet
        raise HistoryError(db, f"unknown history schema version {version}")


# ---------------------------------------------------------------- recording


def _finite_number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        f = float(value)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


def flatten_kpis(kpis: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested KPI dicts as one level with dotted keys: {'costs': {'holding': 1}} -> costs.holding."""
    flat: dict[str, Any] = {}
    for key, value in kpis.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(flatten_kpis(value, prefix=f"{name}."))
        else:
            flat[name] = value
    return flat


def _jsonable(obj: Any) -> Any:
    from planner.output import _finite, _json_default

    return json.loads(json.dumps(_finite(obj), default=_json_default, allow_nan=False))


def _version() -> str | None:
    try:
        from importlib.metadata import version

        return version("planner")
    except Exception:  # not installed as a distribution
        return None


def _user() -> str | None:
    try:
        return getpass.getuser()
    except Exception:
        return None


def _insert(
    db: Path,
    *,
    kind: str,
    out_dir: Path,
    scenario: Mapping[str, Any],
    fingerprint: str | None,
    kpis: Mapping[str, Any],
    status: str,
    name: str | None,
) -> str:
    flat = flatten_kpis(kpis)
    columns = {k: _finite_number(flat.get(k)) for k in KPI_COLUMNS}
    row = {
        "created_at": dt.datetime.now(dt.UTC).replace(tzinfo=None),
        "kind": kind,
        "name": name if name is not None else scenario.get("name"),
        "status": status,
        **columns,
        "out_dir": str(Path(out_dir).resolve()),
        "dataset_fingerprint": fingerprint,
        "scenario": json.dumps(_jsonable(dict(scenario))),
        "kpis": json.dumps(_jsonable(dict(kpis))),
        "planner_version": _version(),
        "user_name": _user(),
        "host": socket.gethostname(),
    }
    names = ", ".join(row)
    marks = ", ".join("?" for _ in row)
    with connect(db, read_only=False) as con:
        _check_schema(con, db, create=True)
        new_id = con.execute(
            f"insert into runs ({names}) values ({marks}) returning id", list(row.values())
        ).fetchone()[0]
    return str(new_id)


def record_run(
    kind: str,
    out_dir: Path,
    *,
    scenario: Mapping[str, Any],
    fingerprint: str | None,
    kpis: Mapping[str, Any],
    status: str,
    db: Path | None = None,
    name: str | None = None,
    warn: Callable[[str], None] | None = None,
    strict: bool = False,
) -> str | None:
    """Record a finished run; return its id (a string of digits).

    `scenario` is the resolved scenario (`Scenario.resolved_dict()`); `kpis` any JSON-able
    dict, nested or flat: the keys objective, total_cost, fill_rate, cycle_service_level,
    total_orders and orders_this_week (top level or dotted) also fill their columns.
    The name defaults to the scenario's name.

    Never breaks the caller's run: when the history cannot be written (locked too long,
    unreadable, disk full), `warn(message)` is called (default: a HistoryWarning) and None
    is returned; with `strict=True` the HistoryError is raised instead. Returns None too when
    recording is turned off with PLANNER_HISTORY=off.
    """
    if kind not in KINDS:
        raise ValueError(
            f"The 'kind' parameter of record_run must be one of {KINDS}. Got {kind!r}."
        )
    path = history_path(db)
    if path is None:
        return None
    try:
        return _insert(
            path,
            kind=kind,
            out_dir=out_dir,
            scenario=scenario,
            fingerprint=fingerprint,
            kpis=kpis,
            status=status,
            name=name,
        )
    except Exception as exc:  # the run folder is the result; never lose it
        if strict:
            if isinstance(exc, HistoryError):
                raise
            raise HistoryError(
                path, f"cannot record the run ({type(exc).__name__}: {exc})"
            ) from exc
        text = str(exc) if isinstance(exc, HistoryError) else f"{type(exc).__name__}: {exc}"
        message = f"the run was not recorded in the history {path}: {text}"
        if warn is None:
            warnings.warn(message, HistoryWarning, stacklevel=2)
        else:
            warn(message)
        return None
