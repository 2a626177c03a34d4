"""Forecast many series: `forecast_panel` (arrays in, `PanelForecast` out) and
`forecast_frame` (the long-frame Python API of DESIGN.md).

Each series gets its own random generator seeded from (seed, crc32 of its id), so its paths
do not change when other series are added, removed or reordered, nor with `n_jobs`.
With `nonnegative` (demand), quantiles and paths are clipped at 0 and the mean is the mean of
the clipped distribution: the model mean plus the clipping shift measured on the paths (zero
when no path goes below 0).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from itertools import repeat

import numpy as np
import pandas as pd

from planner.errors import ConfigError, InputError, Problem
from planner.forecast.base import (
    DEFAULT_LEVELS,
    SCORE_COLUMNS,
    PanelForecast,
    PanelForecaster,
    as_series,
    check_levels,
    clip_nonnegative,
    make_model,
    model_names,
    series_rng,
    single_threaded_blas,
    unknown_name_problem,
)
from planner.forecast.selection import fit_with_fallback, select_model


@dataclass(frozen=True)
class _Task:
    horizon: int
    model: str
    season_length: int
    n_paths: int
    levels: tuple[float, ...]
    seed: int
    nonnegative: bool


def _forecast_one(y: np.ndarray, series_id: str, task: _Task):
    if task.model == "auto":
        selection = select_model(y, task.horizon, task.season_length, nonnegative=task.nonnegative)
        name, scores, model = selection.model, selection.scores, selection.fitted
    else:
        name, scores, model = task.model, {}, None
    if model is None:
        model = fit_with_fallback(name, y, task.season_length)
    rng = series_rng(task.seed, series_id)
    mean, q, paths = clip_nonnegative(
        model.predict(task.horizon),
        np.sort(model.quantiles(task.horizon, task.levels), axis=0),
        model.sample_paths(task.horizon, task.n_paths, rng),
        task.nonnegative,
    )
    return model.name, mean, q, paths, scores


def _forecast_chunk(chunk: list[tuple[np.ndarray, str]], task: _Task) -> list:
    with single_threaded_blas():
        return [_forecast_one(y, series_id, task) for y, series_id in chunk]


def _check_options(horizon, model, season_length, n_paths, levels, seed, n_jobs) -> list[Problem]:
    problems = []

    def bad(option: str, expected: str, got) -> None:
        problems.append(
            Problem(
                "forecast_panel",
                f"the {option!r} parameter must be {expected}; got {got!r} instead",
            )
        )

    for option, value, low in (
        ("horizon", horizon, 1),
        ("n_paths", n_paths, 1),
        ("season_length", season_length, 1),
        ("seed", seed, 0),
    ):
        if not isinstance(value, int | np.integer) or value < low:
            bad(option, f"an int >= {low}", value)
    if not isinstance(n_jobs, int | np.integer) or not (n_jobs >= 1 or n_jobs == -1):
        bad("n_jobs", "an int >= 1 or -1 (all cores)", n_jobs)
    try:
        arr = check_levels(levels)
        if arr.size == 0 or np.any(np.diff(arr) <= 0):
            raise ValueError
    except (ValueError, TypeError):
        bad("quantile_levels", "strictly increasing levels inside (0, 1)", levels)
    if model == "file":
        problems.append(
            Problem(
                "forecast.model",
                "model 'file' reads forecasts given by the user, it does not fit any",
                fix="call planner.forecast.read_forecast_file(path, ...) instead",
            )
        )
    elif model != "auto" and model not in model_names():
        problems.append(
            unknown_name_problem(
                "forecast model", model, ["auto", *model_names()], "forecast.model"
            )
        )
    return problems


def forecast_panel(
    series: Sequence[np.ndarray],
    ids: Sequence[str],
    horizon: int,
    *,
    model: str = "auto",
    season_length: int = 52,
    n_paths: int = 500,
    quantile_levels: Sequence[float] = DEFAULT_LEVELS,
    seed: int = 0,
    nonnegative: bool = True,
    n_jobs: int = 1,
) -> PanelForecast:
    """Fit `model` to every series (oldest value first) and forecast `horizon` steps.

    `model` is "auto" (per-series backtest choice, see `select_model`), a registered
    per-series model (a failing fit falls back along ets -> seasonal_naive -> empirical) or a
    registered panel model (fitted once on all series). `n_jobs` > 1 runs per-series models in
    that many processes (-1: all cores); results do not depend on it.
    Raises ConfigError for bad options, InputError for bad series.
    """
    problems = _check_options(horizon, model, season_length, n_paths, quantile_levels, seed, n_jobs)
    if len(series) != len(ids):
        problems.append(
            Problem(
                "forecast_panel", f"{len(series)} series but {len(ids)} ids: give one id per series"
            )
        )
    if problems:
        raise ConfigError(problems)
    ids = [str(i) for i in ids]
    arrays = _check_series(series, ids)
    levels = tuple(float(v) for v in quantile_levels)
    task = _Task(
        int(horizon), model, int(season_length), int(n_paths), levels, int(seed), nonnegative
    )
    if model != "auto":
        fitted = make_model(model, task.season_length)
        if isinstance(fitted, PanelForecaster):
            return _forecast_global(fitted, arrays, ids, task)
    workers = (os.cpu_count() or 1) if n_jobs == -1 else int(n_jobs)
    return _assemble(ids, _run(arrays, ids, task, workers), task)


def _check_series(series: Sequence[np.ndarray], ids: list[str]) -> list[np.ndarray]:
    problems, arrays, bad = [], [], []
    if len(set(ids)) < len(ids):
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        problems.append(
            Problem(
                "forecast_panel",
                "duplicated series ids",
                "give each series a unique id",
                values=tuple(dupes),
            )
        )
    for y, series_id in zip(series, ids, strict=True):
        try:
            arrays.append(as_series(y))
        except (ValueError, TypeError):
            bad.append(series_id)
    if bad:
        problems.append(
            Problem(
                "forecast_panel",
                "series that are empty, not 1-D or contain NaN/inf",
                "drop them, or fill missing periods (with 0 when there was no demand)",
                values=tuple(bad),
            )
        )
    if problems:
        raise InputError(problems, title="invalid series")
    return arrays


def _run(arrays: list[np.ndarray], ids: list[str], task: _Task, n_jobs: int) -> list:
    pairs = list(zip(arrays, ids, strict=True))
    if n_jobs <= 1 or len(pairs) < 2 * n_jobs:
        return _forecast_chunk(pairs, task)
    n_chunks = min(len(pairs), 4 * n_jobs)
    chunks = [pairs[i::n_chunks] for i in range(n_chunks)]
    with ProcessPoolExecutor(max_workers=n_jobs) as pool:
        done = list(pool.map(_forecast_chunk, chunks, repeat(task)))
    results = [None] * len(pairs)
    for i, chunk in enumerate(done):
        results[i::n_chunks] = chunk
    return results


def _assemble(ids: list[str], results: list, task: _Task) -> PanelForecast:
    n, h, k = len(ids), task.horizon, len(task.levels)
    rows = [
        (series_id, name, score, name == chosen)
        for series_id, (chosen, *_, scores) in zip(ids, results, strict=True)
        for name, score in scores.items()
    ]
    scores = pd.DataFrame(rows, columns=SCORE_COLUMNS).astype(
        {"score": "float64", "chosen": "bool"}
    )
    return PanelForecast(
        ids=list(ids),
        model=[r[0] for r in results],
        mean=np.array([r[1] for r in results]).reshape(n, h),
        quantile_levels=task.levels,
        quantiles=np.array([r[2] for r in results]).reshape(n, k, h),
        paths=np.array([r[3] for r in results]).reshape(n, task.n_paths, h),
        scores=scores,
    )


def _forecast_global(model: PanelForecaster, arrays, ids, task: _Task) -> PanelForecast:
    h = task.horizon
    model.fit(arrays)
    rngs = [series_rng(task.seed, series_id) for series_id in ids]
    mean, q, paths = clip_nonnegative(
        model.predict(h),
        np.sort(model.quantiles(h, task.levels), axis=1),
        model.sample_paths(h, task.n_paths, rngs),
        task.nonnegative,
    )
    return PanelForecast(list(ids), [model.name] * len(ids), mean, task.levels, q, paths)


def forecast_frame(
    history: pd.DataFrame,
    horizon: int,
    model: str = "auto",
    season_length: int | None = None,
    quantiles: Sequence[float] = (0.1, 0.5, 0.9),
    seed: int = 0,
    n_paths: int = 500,
    n_jobs: int = 1,
) -> pd.DataFrame:
    """Forecast a long frame of series: columns `id`, `ds`, `y`, any regular frequency.

    The frequency is inferred from `ds` (dates; or integer periods); rows are sorted and a gap
    inside a series is filled with 0 when the frequency is inferred and every series agrees.
    `season_length` defaults to the frequency's cycle (weekly 52, monthly 12, quarterly 4,
    daily 7, hourly 24, otherwise 1). Returns columns `id`, `step` (1..horizon), `model`,
    `mean` and `q<level>` per quantile level (e.g. `q0.1`). Demand is taken as non-negative.
    """
    ids, arrays, inferred_season = _frame_to_series(history)
    result = forecast_panel(
        arrays,
        [str(i) for i in ids],
        horizon,
        model=model,
        season_length=inferred_season if season_length is None else season_length,
        n_paths=n_paths,
        quantile_levels=quantiles,
        seed=seed,
        n_jobs=n_jobs,
    )
    frame = result.to_frame()
    frame["id"] = np.repeat(np.asarray(ids, dtype=object), horizon)
    return frame


def season_length_of(freq: str | None) -> int:
    """The seasonal cycle of a pandas frequency: W 52, M/MS 12, Q 4, D 7, B 5, h 24, else 1."""
    if freq is None:
        return 1
    offset = pd.tseries.frequencies.to_offset(freq)
    if offset.n != 1:
        return 1
    o = pd.offsets
    cycles = (
        ((o.Week,), 52),
        ((o.MonthBegin, o.MonthEnd, o.BusinessMonthBegin, o.BusinessMonthEnd), 12),
        ((o.QuarterBegin, o.QuarterEnd, o.BQuarterBegin, o.BQuarterEnd), 4),
        ((o.Day,), 7),
        ((o.BusinessDay,), 5),
        ((o.Hour,), 24),
    )
    return next((cycle for kinds, cycle in cycles if isinstance(offset, kinds)), 1)


def _frame_to_series(history: pd.DataFrame) -> tuple[list, list[np.ndarray], int]:
    """Validate a long frame (id, ds, y) and turn it into regular series, gaps filled with 0.

    Returns the ids (sorted, original values), the series and the inferred season length.
    """
    where = "history (rows are 0-based positions)"
    if not isinstance(history, pd.DataFrame):
        raise ConfigError(
            f"history must be a pandas DataFrame with columns id, ds, y; got {type(history).__name__}"
        )
    missing = [c for c in ("id", "ds", "y") if c not in history.columns]
    if missing:
        raise InputError(
            Problem(
                where,
                f"missing column(s) {', '.join(missing)}",
                "give a long frame with columns id, ds, y",
            ),
            title="invalid history",
        )
    frame = history[["id", "ds", "y"]].reset_index(drop=True)
    integer_ds = pd.api.types.is_integer_dtype(frame["ds"])
    ds = frame["ds"] if integer_ds else pd.to_datetime(frame["ds"], errors="coerce")
    y = pd.to_numeric(frame["y"], errors="coerce").astype("float64")
    checks = [
        (frame["id"].isna(), "missing id", "give every row an id"),
        (
            ds.isna(),
            "ds that is missing or not a date",
            "use dates (e.g. 2024-01-01) or integer periods",
        ),
        (
            ~np.isfinite(y.to_numpy()),
            "y that is missing or not a number",
            "give y as a number (0 when there was no demand)",
        ),
        (
            frame.assign(ds=ds).duplicated(["id", "ds"], keep=False),
            "duplicated (id, ds)",
            "keep one row per id and ds (sum duplicates)",
        ),
    ]
    problems = [
        Problem(where, message, fix, rows=tuple(int(r) for r in np.flatnonzero(mask)))
        for mask, message, fix in checks
        if mask.any()
    ]
    if problems:
        raise InputError(problems, title="invalid history")
    frame = frame.assign(ds=ds, y=y).sort_values(["id", "ds"], kind="stable")
    groups = [(key, group) for key, group in frame.groupby("id", sort=False)]
    freqs = {key: _series_frequency(group["ds"], integer_ds) for key, group in groups}
    agreed = {f for f in freqs.values() if f is not None}
    if len(agreed) != 1:
        found = ", ".join(f"{k!r}: {f}" for k, f in list(freqs.items())[:5] if f is not None)
        reason = (
            f"the series disagree ({found})"
            if agreed
            else "no series has 3 or more evenly spaced values"
        )
        raise ConfigError(
            Problem(
                "history",
                f"cannot infer one regular frequency from ds: {reason}",
                "give every series the same regular frequency (e.g. weekly on Mondays), with "
                "missing periods present as rows with y = 0",
            )
        )
    freq = agreed.pop()
    ids, arrays, off_grid = [], [], []
    for key, group in groups:
        start, end = group["ds"].iloc[0], group["ds"].iloc[-1]
        grid = (
            pd.RangeIndex(start, end + 1, freq)
            if integer_ds
            else pd.date_range(start, end, freq=freq)
        )
        values = pd.Series(group["y"].to_numpy(), index=pd.Index(group["ds"]))
        if not values.index.isin(grid).all():
            off_grid.append(str(key))
            continue
        ids.append(key)
        arrays.append(values.reindex(grid, fill_value=0.0).to_numpy(dtype=np.float64))
    if off_grid:
        raise ConfigError(
            Problem(
                "history",
                f"series whose dates are not on the inferred frequency {freq!r}, so gaps cannot be filled",
                f"align their ds to the {freq!r} grid of the other series",
                values=tuple(off_grid),
            )
        )
    return ids, arrays, 1 if integer_ds else season_length_of(freq)


def _series_frequency(ds: pd.Series, integer_ds: bool):
    """The regular step of one sorted series: for integer periods the gcd of its steps, for
    dates a pandas frequency string, None when it has fewer than 3 dates or uneven spacing."""
    if integer_ds:
        steps = np.diff(ds.to_numpy())
        return int(np.gcd.reduce(steps)) if steps.size else None
    if len(ds) < 3:
        return None
    try:  # pandas >= 3.1 warns unless the offset-returning behaviour is chosen
        with pd.option_context("future.infer_freq_returns_offset", True):
            freq = pd.infer_freq(pd.DatetimeIndex(ds))
    except pd.errors.OptionError:
        freq = pd.infer_freq(pd.DatetimeIndex(ds))
    return getattr(freq, "freqstr", freq)
