"""Reading the run history: list and filter runs, one run by id, run references -> folders."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path
from typing import Any

import pandas as pd

from planner.errors import InputError, Problem
from planner.history.store import (
    ENV_VAR,
    KINDS,
    LIST_COLUMNS,
    HistoryError,
    _check_schema,
    connect,
    history_path,
)


def _read_path(db: Path | str | None) -> Path:
    path = history_path(db)
    if path is None:
        raise HistoryError(
            Path(os.environ.get(ENV_VAR, "")),
            f"the run history is turned off (${ENV_VAR}={os.environ.get(ENV_VAR)!r})",
            fix=f"unset {ENV_VAR} or pass --db PATH",
        )
    return path


def _parse_since(since: str | dt.datetime | dt.date | None) -> dt.datetime | None:
    """'2026-11-01', an ISO timestamp, or a relative age like '3d', '12h', '30m', '2w'."""
    if since is None or isinstance(since, dt.datetime):
        return since
    if isinstance(since, dt.date):
        return dt.datetime.combine(since, dt.time())
    text = str(since).strip()
    units = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
    if len(text) >= 2 and text[-1].lower() in units and text[:-1].isdigit():
        delta = dt.timedelta(**{units[text[-1].lower()]: int(text[:-1])})
        return dt.datetime.now(dt.UTC).replace(tzinfo=None) - delta
    try:
        stamp = pd.Timestamp(text)
    except (ValueError, TypeError):
        stamp = None
    if stamp is None or pd.isna(stamp):
        raise InputError(
            Problem(
                "--since",
                f"cannot read {text!r} as a date or an age",
                fix="give a date (2026-11-01), a timestamp (2026-11-01T08:00) or an age "
                "(30m, 12h, 3d, 2w)",
            ),
            title="invalid option",
        )
    if stamp.tzinfo is not None:
        stamp = stamp.tz_convert("UTC").tz_localize(None)
    return stamp.to_pydatetime()


def _like_pattern(glob: str) -> str:
    """A shell-style pattern (* and ?) as an SQL LIKE pattern; % and _ match themselves."""
    escaped = glob.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped.replace("*", "%").replace("?", "_")


def list_runs(
    *,
    db: Path | str | None = None,
    kind: str | None = None,
    scenario: str | None = None,
    since: str | dt.datetime | dt.date | None = None,
    status: str | None = None,
    limit: int | None = None,
    with_json: bool = False,
) -> pd.DataFrame:
    """The recorded runs, newest first (times in UTC).

    `scenario` matches the scenario name (`*` and `?` wildcards, case-insensitive);
    `since` is a date, a timestamp or an age ('3d'); `with_json` adds the scenario and kpis
    JSON columns (parsed into dicts).
    """
    path = _read_path(db)
    where, params = [], []
    if kind is not None:
        if kind not in KINDS:
            raise InputError(
                Problem(
                    "--kind", f"unknown run kind {kind!r}", fix=f"use one of {', '.join(KINDS)}"
                ),
                title="invalid option",
            )
        where.append("kind = ?")
        params.append(kind)
    if scenario is not None:
        where.append("name ilike ? escape '\\'")
        params.append(_like_pattern(scenario))
    if status is not None:
        where.append("status = ?")
        params.append(status)
    start = _parse_since(since)
    if start is not None:
        where.append("created_at >= ?")
        params.append(start)
    cols = LIST_COLUMNS + (["scenario", "kpis"] if with_json else [])
    sql = f"select {', '.join(cols)} from runs"
    if where:
        sql += " where " + " and ".join(where)
    sql += " order by id desc"
    if limit is not None:
        sql += f" limit {int(limit)}"
    with connect(path, read_only=True) as con:
        _check_schema(con, path, create=False)
        frame = con.execute(sql, params).df()
    if with_json:
        for col in ("scenario", "kpis"):
            frame[col] = frame[col].map(lambda s: json.loads(s) if isinstance(s, str) else s)
    return frame.reset_index(drop=True)


def get_run(run_id: int | str, db: Path | str | None = None) -> dict[str, Any] | None:
    """One recorded run as a dict (scenario and kpis parsed), or None if the id is unknown."""
    path = _read_path(db)
    with connect(path, read_only=True) as con:
        _check_schema(con, path, create=False)
        frame = con.execute("select * from runs where id = ?", [int(run_id)]).df()
    if frame.empty:
        return None
    row = frame.iloc[0].to_dict()
    for col in ("scenario", "kpis"):
        row[col] = json.loads(row[col]) if isinstance(row[col], str) else row[col]
    return row


def _runs_by_position(path: Path, position: int) -> int | None:
    """The id of the n-th newest run (1 = newest)."""
    if position < 1:
        return None
    with connect(path, read_only=True) as con:
        _check_schema(con, path, create=False)
        row = con.execute(
            "select id from runs order by id desc limit 1 offset ?", [position - 1]
        ).fetchone()
    return None if row is None else int(row[0])


def resolve_run_id(ref: str | int, db: Path | str | None = None) -> int:
    """The run id of a history reference: an id, `latest` (= `-1`), `-2`, ..."""
    text = str(ref).strip()
    path = _read_path(db)
    run_id: int | None
    if text.lower() in ("latest", "last", "-1"):
        run_id = _runs_by_position(path, 1)
        what = "the latest run"
    elif text.startswith("-") and text[1:].isdigit():
        run_id = _runs_by_position(path, int(text[1:]))
        what = f"run {text} (counted from the newest)"
    elif text.isdigit():
        run_id = int(text) if get_run(int(text), path) is not None else None
        what = f"run id {text}"
    else:
        raise InputError(
            Problem(
                text,
                "not a run folder nor a run id",
                fix="give a run folder, a run id from `planner runs`, `latest` or -1, -2, ...",
            ),
            title="unknown run",
        )
    if run_id is None:
        raise InputError(
            Problem(
                str(path),
                f"{what} is not in the history",
                fix="list the recorded runs with `planner runs`",
            ),
            title="unknown run",
        )
    return run_id


def resolve_run(ref: str | int | Path, db: Path | str | None = None) -> Path:
    """A run folder from a reference: an existing folder, a run id from the history,
    `latest` (= `-1`, the newest run), `-2` (the one before), ... A folder wins over an id
    of the same name.
    """
    candidate = Path(str(ref).strip()).expanduser()
    if candidate.is_dir():
        return candidate
    run_id = resolve_run_id(str(ref), db)
    folder = Path(get_run(run_id, db)["out_dir"])
    if not folder.is_dir():
        raise InputError(
            Problem(
                str(folder),
                f"the folder of run {run_id} no longer exists",
                fix="it was moved or deleted; pass the folder path instead",
            ),
            title="unknown run",
        )
    return folder
