"""A run folder's files -> the compact JSON the HTML report embeds (columns, not objects).

The report is built only from the folder, so `planner report RUN` can rebuild it at any time.
Three kinds of folder are recognised from their files:

    plan      orders.csv, inventory.csv, forecast.csv, service.csv, summary.json
              (+ transfers.csv, forecast_selection.csv, history.csv, capacity.csv when present)
    simulate  summary.json with "kind": "simulate", kpis.csv, weekly.csv, *.png
    sweep     summary.json with "kind": "sweep", sweep.csv, *.png, points/<...>/ plan folders

Every section is optional: a table that is missing is left out of the report, not an error.
Tables are stored column-wise; text columns as a dictionary plus integer codes, numbers rounded.
"""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from planner.errors import InputError, Problem
from planner.sweep.table import OUTCOME_COLUMNS

PLAN_FILES = ("orders.csv", "inventory.csv", "forecast.csv", "service.csv")
# sweep.csv columns that are outcomes, not varied keys
SWEEP_RESULT_COLUMNS = {*OUTCOME_COLUMNS, "error", "seconds"}
MAX_IMAGE_BYTES = 5_000_000
HISTORY_SHOWN_WEEKS = 78  # demand history drawn before the forecast in the fan charts
CHART_DECIMALS = 1  # stock, forecast and history values: enough for charts and tables


def _error(path: Path, message: str, fix: str) -> InputError:
    return InputError(Problem(str(path), message, fix=fix), title="cannot build report.html")


def detect_kind(run_dir: Path, summary: dict | None) -> str:
    """'plan', 'simulate' or 'sweep' from summary.json's "kind" and the files present."""
    kind = (summary or {}).get("kind")
    if kind in ("simulate", "sweep", "plan"):
        return kind
    if (run_dir / "sweep.csv").exists():
        return "sweep"
    if (run_dir / "kpis.csv").exists():
        return "simulate"
    if any((run_dir / f).exists() for f in PLAN_FILES):
        return "plan"
    raise _error(
        run_dir,
        "not a run folder: no summary.json, orders.csv, kpis.csv or sweep.csv",
        "give the folder that `planner plan`, `simulate` or `sweep` wrote",
    )


def read_summary(run_dir: Path) -> dict | None:
    path = run_dir / "summary.json"
    if not path.exists():
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise _error(
            path,
            f"not valid JSON (line {exc.lineno}: {exc.msg})",
            "the run was interrupted while writing it or the file was edited: run the command again",
        ) from None


def _read_csv(path: Path) -> pd.DataFrame | None:
    if not path.exists():
        return None
    try:
        return pd.read_csv(path, keep_default_na=True)
    except pd.errors.EmptyDataError:
        return pd.DataFrame()
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise _error(path, f"cannot be read as CSV ({exc})", "run the command again") from None


def _num(values: pd.Series, decimals: int) -> list:
    a = pd.to_numeric(values, errors="coerce").to_numpy(float)
    a = np.round(a, decimals)
    out = a.astype(object)
    out[~np.isfinite(a)] = None
    integral = np.isfinite(a) & (a == np.round(a)) & (np.abs(a) < 2**53)
    out[integral] = a[integral].astype(np.int64)
    return out.tolist()


def _codes(values: pd.Series) -> dict:
    codes, uniques = pd.factorize(values.astype("string").fillna(""), sort=True)
    return {"d": [str(u) for u in uniques], "c": codes.tolist()}


def _runs(values: pd.Series) -> dict:
    a = values.to_numpy()
    starts = np.flatnonzero(np.r_[True, a[1:] != a[:-1]])
    counts = np.diff(np.r_[starts, len(a)])
    return {"r": a[starts].tolist(), "k": counts.tolist()}


def columns(
    df: pd.DataFrame,
    decimals: dict[str, int] | None = None,
    default: int = 4,
    runs: tuple[str, ...] = (),
) -> dict:
    """{"n": rows, "cols": {name: list | {"d": dictionary, "c": codes} | {"r": values, "k": run
    lengths}}}: numbers rounded, text dictionary-coded, the `runs` columns run-length coded."""
    decimals = decimals or {}
    cols: dict[str, object] = {}
    for name in df.columns:
        s = df[name]
        if name in runs and len(s):
            cols[name] = _runs(s)
        elif pd.api.types.is_bool_dtype(s):
            cols[name] = s.astype(int).tolist()
        elif pd.api.types.is_numeric_dtype(s):
            cols[name] = _num(s, decimals.get(name, default))
        else:
            cols[name] = _codes(s)
    return {"n": len(df), "cols": cols}


def _bool(values: pd.Series) -> pd.Series:
    if pd.api.types.is_bool_dtype(values):
        return values
    return values.astype(str).str.strip().str.lower().isin({"true", "1", "yes"})


def _series_index(frames: list[pd.DataFrame]) -> pd.DataFrame:
    keys = pd.concat(
        [
            f[["sku", "warehouse"]].drop_duplicates()
            for f in frames
            if f is not None and not f.empty
        ],
        ignore_index=True,
    )
    keys = keys.astype(str).drop_duplicates().sort_values(["sku", "warehouse"])
    return keys.reset_index(drop=True)


def _with_series(df: pd.DataFrame, series: pd.DataFrame) -> pd.DataFrame:
    key = pd.MultiIndex.from_frame(series[["sku", "warehouse"]])
    pos = key.get_indexer(pd.MultiIndex.from_frame(df[["sku", "warehouse"]].astype(str)))
    out = df.drop(columns=["sku", "warehouse"])
    out.insert(0, "s", pos)
    return out


def _by_series(df: pd.DataFrame) -> pd.DataFrame:
    order = ["s", "week"] if "week" in df else ["s"]
    return df.sort_values(order, kind="stable").reset_index(drop=True)


def _first_shown(weeks: pd.Series) -> str:
    """The first history week the report draws (the last `HISTORY_SHOWN_WEEKS`)."""
    last = pd.Timestamp(pd.to_datetime(weeks).max())
    return str((last - pd.Timedelta(weeks=HISTORY_SHOWN_WEEKS - 1)).date())


def _scenario_yaml(summary: dict | None) -> str | None:
    sc = (summary or {}).get("scenario")
    if not sc:
        return None
    return yaml.safe_dump(sc, sort_keys=False, allow_unicode=True, width=100)


def _images(run_dir: Path) -> list[dict]:
    out = []
    for path in sorted(run_dir.glob("*.png")):
        size = path.stat().st_size
        if size > MAX_IMAGE_BYTES:
            continue
        data = base64.b64encode(path.read_bytes()).decode("ascii")
        out.append({"name": path.stem.replace("_", " "), "file": path.name, "src": data})
    return out


def plan_payload(run_dir: Path, summary: dict | None) -> dict:
    tables = {
        name: _read_csv(run_dir / f"{name}.csv")
        for name in (
            "orders",
            "inventory",
            "forecast",
            "service",
            "transfers",
            "forecast_selection",
            "history",
            "capacity",
        )
    }
    series_frames = [tables[n] for n in ("inventory", "forecast", "service", "history")]
    series = _series_index([f for f in series_frames if f is not None and "sku" in f])
    p: dict = {"series": columns(series)}
    orders = tables["orders"]
    if orders is not None:
        orders = orders.copy()
        if "committed" in orders:
            orders["committed"] = _bool(orders["committed"])
        orders = orders.sort_values(
            [c for c in ("order_week", "supplier", "sku", "warehouse") if c in orders],
            kind="stable",
        )
        p["orders"] = columns(orders, {"quantity": 3, "unit_price": 4, "line_cost": 2})
    inv = tables["inventory"]
    if inv is not None and not inv.empty:
        inv = _by_series(_with_series(inv, series))
        p["inventory"] = columns(inv, {"fill_rate": 4}, default=CHART_DECIMALS, runs=("s",))
    fc = tables["forecast"]
    if fc is not None and not fc.empty:
        fc = _by_series(_with_series(fc, series))
        models = fc.groupby("s", sort=True)["model"].first() if "model" in fc else None
        fc = fc.drop(columns=["model"], errors="ignore")
        p["forecast"] = columns(fc, default=CHART_DECIMALS, runs=("s",))
        if models is not None:
            p["forecast_model"] = {"s": models.index.tolist(), "model": models.astype(str).tolist()}
    hist = tables["history"]
    if hist is not None and not hist.empty:
        hist = hist[hist["week"].astype(str) >= _first_shown(hist["week"])]
        p["history"] = columns(
            _by_series(_with_series(hist, series)), default=CHART_DECIMALS, runs=("s",)
        )
    svc = tables["service"]
    if svc is not None and not svc.empty:
        p["service"] = columns(svc, {"fill_rate": 4, "cycle_service_level": 4}, default=2)
    cap = tables["capacity"]
    if cap is not None and not cap.empty:
        p["capacity"] = columns(cap, default=2)
    tr = tables["transfers"]
    if tr is not None and not tr.empty:
        p["transfers"] = columns(tr, default=2)
    sel = tables["forecast_selection"]
    if sel is not None and not sel.empty and "chosen" in sel:
        sel = sel.assign(chosen=_bool(sel["chosen"]))
        p["forecast_selection"] = columns(sel, {"score": 3})
    return p


def simulate_payload(run_dir: Path) -> dict:
    p: dict = {}
    kpis = _read_csv(run_dir / "kpis.csv")
    if kpis is not None and not kpis.empty:
        p["kpis"] = columns(kpis, {"fill_rate": 4, "cycle_service_level": 4, "turns": 3}, default=2)
    weekly = _read_csv(run_dir / "weekly.csv")
    if weekly is not None and not weekly.empty and {"policy", "week"} <= set(weekly.columns):
        measures = [
            c
            for c in ("demand", "served", "short", "on_hand_end", "received", "ordered", "cost")
            if c in weekly
        ]
        by_week = weekly.groupby(["policy", "week"], sort=True)[measures].sum().reset_index()
        p["weekly"] = columns(by_week, default=2)
        if {"sku", "warehouse"} <= set(weekly.columns):
            cols = [c for c in ("demand", "served", "short", "cost") if c in weekly]
            by_series = (
                weekly.groupby(["policy", "sku", "warehouse"], sort=True)[cols].sum().reset_index()
            )
            if {"demand", "short"} <= set(cols):
                d = by_series["demand"].to_numpy(float)
                with np.errstate(invalid="ignore", divide="ignore"):
                    fill = np.where(d > 0, 1 - by_series["short"].to_numpy(float) / d, 1.0)
                by_series["fill_rate"] = np.clip(fill, 0, 1)
            p["by_series"] = columns(by_series, {"fill_rate": 4}, default=2)
    return p


def sweep_payload(run_dir: Path) -> dict:
    p: dict = {}
    sweep = _read_csv(run_dir / "sweep.csv")
    if sweep is None or sweep.empty:
        return p
    keys = [c for c in sweep.columns if c not in SWEEP_RESULT_COLUMNS]
    links = []
    if "run_dir" in sweep:
        for value in sweep["run_dir"].fillna("").astype(str):
            if not value.strip():
                links.append(None)  # a point that wrote no folder
                continue
            target = Path(value)
            if not target.is_absolute() and not target.exists():
                target = run_dir / target
            report = target / "report.html"
            links.append(os.path.relpath(report, run_dir) if report.exists() else None)
    table = sweep.drop(columns=["run_dir"], errors="ignore")
    p["sweep"] = columns(table, {"fill_rate": 4}, default=2)
    p["sweep_keys"] = keys
    p["sweep_links"] = links
    return p


def collect(run_dir: Path) -> dict:
    """Everything the report shows, read from the run folder."""
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise _error(
            run_dir, "no such run folder", "give the folder a plan, simulate or sweep wrote"
        )
    summary = read_summary(run_dir)
    kind = detect_kind(run_dir, summary)
    s = dict(summary or {})
    payload: dict = {
        "kind": kind,
        "run": run_dir.resolve().name,
        "name": ((summary or {}).get("scenario") or {}).get("name"),
        "folder": str(run_dir.resolve()),
        "finished": summary is not None,
        "scenario_yaml": _scenario_yaml(summary),
        "data_quality": s.pop("data_quality", None),
        "summary": {k: v for k, v in s.items() if k != "scenario"},
        "images": _images(run_dir),
    }
    if kind == "plan":
        payload.update(plan_payload(run_dir, summary))
    elif kind == "simulate":
        payload.update(simulate_payload(run_dir))
    else:
        payload.update(sweep_payload(run_dir))
    return payload
