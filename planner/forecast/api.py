"""Forecast many series: `forecast_panel` (arrays in, `PanelForecast` out) and
`forecast_frame` (the long-frame Python API of DESIGN.md).

`forecast_panel` runs in three phases:

1. backtest (model "auto", or any model with `calibrate`): every candidate at common
   rolling origins (`selection`), per-series models in worker processes, panel models once per
   origin on all series; auto ranks each series' candidates by pinball loss;
2. calibration: a quantile-recalibration map per model, demand class and step from the
   backtest PITs (`calibration`);
3. forecast: the chosen model refitted on the whole series (falling back along its ranking,
   then the fallback chain), its quantiles and paths calibrated, the paths reordered by
   bootstrapped calendar weeks for dependence across series (`paths`), clipped at zero.

Each series draws from its own generator, seeded from (seed, crc32 of its id), so its paths are
reproducible and do not depend on the order of the series or on `n_jobs`. What a series gets
can depend on the other series only through what is learned across them: the calibration
maps, the screening of expensive models per demand class, and panel models.
With `nonnegative` (demand), quantiles and paths are clipped at 0 and the mean is the mean of
the clipped distribution.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from planner.errors import ConfigError, InputError, Problem
from planner.forecast.base import (
    DEFAULT_LEVELS,
    MODELS,
    PANEL_MODELS,
    SCORE_COLUMNS,
    Forecaster,
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
from planner.forecast.calibration import (
    Calibration,
    Tabulated,
    calibrate,
    coverage_table,
)
from planner.forecast.covariates import Covariates
from planner.forecast.paths import CommonDraws, joint_order, shock_residuals
from planner.forecast.selection import (
    COMBINE,
    FIT_ERRORS,
    SCREEN_MIN,
    BacktestPlan,
    Combination,
    Trial,
    backtest_panel_model,
    backtest_plan,
    backtest_series,
    candidate_models,
    choose,
    combined_trial,
    demand_class,
    finalists,
    fit_with_fallback,
    pit_rng,
    screening_sample,
    selection_pits,
)

AUTO = "auto"
"""Calibration group of `auto` forecasts (PITs of the selection procedure, see
`selection.selection_pits`)."""

FINE_LEVELS = np.r_[0.0005, np.linspace(0.0025, 0.9975, 399), 0.9995]
"""Levels on which a panel model's quantile function is tabulated for calibrating paths."""


@dataclass(frozen=True)
class _Task:
    horizon: int
    season_length: int
    n_paths: int
    levels: tuple[float, ...]
    seed: int
    nonnegative: bool
    joint: bool
    plan: BacktestPlan
    calibration: Calibration | None = None
    draws: CommonDraws | None = None
    auto: bool = False


@dataclass
class _Series:
    """What phase 3 needs of one series: the chosen members, the ranking to fall back
    along, backtest prototypes and the outputs of panel models fitted on all series."""

    y: np.ndarray
    id: str
    klass: str
    members: list[str]
    ranked: list[str]
    prototypes: dict[str, Forecaster] = field(default_factory=dict)
    panel: dict[str, Tabulated] = field(default_factory=dict)


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
    covariates: Covariates | None = None,
    candidates: Sequence[str] | None = None,
    calibrate: bool = True,
    joint: bool = True,
    combine: int = COMBINE,
    progress: Callable[[int, int], None] | None = None,
) -> PanelForecast:
    """Fit `model` to every series (oldest value first) and forecast `horizon` steps.

    `model` is "auto" (per series, the equal-weight quantile-average combination of the
    `combine` candidates with the lowest rolling-origin pinball loss, among `candidates`,
    default every registered model suited to the series' demand class, panel models
    included; `combine=1`: the single best), a registered per-series model or a registered
    panel model (fitted once on all series). A failing fit falls back along the series'
    ranking, then the chain
    arima -> ets -> theta -> seasonal_naive -> empirical. `calibrate` recalibrates quantiles
    and paths on backtest PITs; `joint` gives the paths the cross-series dependence of
    history. `covariates` (promotions, prices, calendar) go to the panel models that use
    them. `n_jobs` > 1 runs per-series work in that many processes (-1: all cores); results
    do not depend on it. `progress(done, total)` is called as series are backtested and
    forecast (total: twice the series with a backtest, once without). Raises ConfigError for
    bad options, InputError for bad series.
    """
    problems = _check_options(horizon, model, season_length, n_paths, quantile_levels, seed, n_jobs)
    problems += _check_candidates(candidates)
    if len(series) != len(ids):
        problems.append(
            Problem(
                "forecast_panel", f"{len(series)} series but {len(ids)} ids: give one id per series"
            )
        )
    elif covariates is not None and len(covariates.history) != len(series):
        problems.append(
            Problem(
                "forecast_panel",
                f"covariates hold {len(covariates.history)} series but {len(series)} are given",
            )
        )
    if not isinstance(combine, int | np.integer) or combine < 1:
        problems.append(
            Problem(
                "forecast_panel",
                f"the 'combine' parameter must be an int >= 1; got {combine!r} instead",
            )
        )
    if problems:
        raise ConfigError(problems)
    ids = [str(i) for i in ids]
    arrays = _check_series(series, ids)
    task = _Task(
        int(horizon),
        int(season_length),
        int(n_paths),
        tuple(float(v) for v in quantile_levels),
        int(seed),
        nonnegative,
        joint,
        backtest_plan(int(horizon)),
        draws=CommonDraws.draw(int(seed), int(n_paths), max(y.size for y in arrays))
        if joint
        else None,
    )
    workers = (os.cpu_count() or 1) if n_jobs == -1 else int(n_jobs)
    with _Pool(workers, len(arrays), progress) as pool:
        return _forecast(
            arrays, ids, model, candidates, calibrate, covariates, int(combine), task, pool
        )


def _forecast(
    arrays, ids, model, candidates, calibrate, covariates, combine, task, pool
) -> PanelForecast:
    classes = [demand_class(y) for y in arrays]
    pool.start(len(arrays) * (2 if model == "auto" or calibrate else 1))
    if model == "auto" or calibrate:
        trials, names = _backtest(arrays, ids, classes, model, candidates, covariates, task, pool)
    else:
        trials, names = [{} for _ in arrays], [[model] for _ in arrays]
    items, records = [], []
    for y, sid, klass, per_series, cands in zip(arrays, ids, classes, trials, names, strict=True):
        ranked = [model] if model != "auto" else choose(per_series, cands)
        members = _members(per_series, ranked, model, combine)
        if model == "auto" and per_series:
            pits = selection_pits(per_series, y, task.plan, combine, pit_rng(task.seed, sid, AUTO))
            if pits.size:
                records.append((AUTO, klass, pits))
        if len(members) > 1:
            combo = combined_trial(members, per_series, y, task.plan, task.seed, sid)
            per_series[combo.model] = combo
        prototypes = {k: t.prototype for k, t in per_series.items() if t.prototype}
        items.append(_Series(y, sid, klass, members, ranked, prototypes))
    if model != "auto":
        records = [
            (t.model, klass, t.pits)
            for per_series, klass in zip(trials, classes, strict=True)
            for t in per_series.values()
            if np.isfinite(t.score) and t.pits.size
        ]
    calibration = Calibration.fit(records) if calibrate and records else None
    task = _with(task, calibration=calibration, auto=model == "auto")
    for name in dict.fromkeys(m for item in items for m in item.members):
        if name in PANEL_MODELS:
            _panel_parts(name, arrays, items, covariates, task)
    results = pool.map(_finish_chunk, items, task)
    return _assemble(ids, classes, results, trials, task, records if calibrate else [])


def _members(per_series: dict[str, Trial], ranked: list[str], model: str, combine: int):
    """The models a series' forecast combines: the given model, or the `combine` best-ranked
    candidates whose backtest succeeded ("empirical" when none did: too short to test)."""
    if model != "auto":
        return [model]
    finite = [n for n in ranked if n in per_series and np.isfinite(per_series[n].score)]
    return finite[:combine] if finite else ["empirical"]


def _backtest(arrays, ids, classes, model, candidates, covariates, task, pool):
    """Trials per series (dicts by model name) and the candidate names per series."""
    n = len(arrays)
    if model != "auto":
        names = [[model] for _ in arrays]
    elif candidates is not None:
        names = [list(candidates) for _ in arrays]
    else:
        names = [candidate_models(k) + candidate_models(k, panel=True) for k in classes]
    trials: list[dict[str, Trial]] = [{} for _ in range(n)]
    for name in dict.fromkeys(x for per_series in names for x in per_series):
        if name in PANEL_MODELS:
            members = [i for i in range(n) if name in names[i]]
            results = backtest_panel_model(
                name, arrays, ids, task.plan, task.season_length, task.seed, covariates
            )
            for i in members:
                trials[i][name] = results[i]
    local = [[x for x in per_series if x in MODELS] for per_series in names]
    first, later = _screening(ids, classes, local)
    jobs = [(arrays[i], ids[i], local[i]) for i in first]
    for i, result in zip(first, pool.map(_backtest_chunk, jobs, task), strict=True):
        trials[i].update(result)
    keep = {
        klass: finalists([trials[i] for i in first if classes[i] == klass], klass_names)
        for klass, klass_names in _class_names(classes, names).items()
    }
    jobs = []
    for i in later:
        chosen = [x for x in local[i] if not MODELS[x].expensive or x in keep[classes[i]]]
        jobs.append((arrays[i], ids[i], chosen))
    for i, result in zip(later, pool.map(_backtest_chunk, jobs, task), strict=True):
        trials[i].update(result)
    return trials, names


def _class_names(classes, names) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for klass, per_series in zip(classes, names, strict=True):
        out.setdefault(klass, list(per_series))
    return out


def _screening(ids, classes, local) -> tuple[list[int], list[int]]:
    """Series backtested with every candidate first, and the rest (screened candidates)."""
    first, later = [], []
    for klass in dict.fromkeys(classes):
        members = [i for i, k in enumerate(classes) if k == klass]
        expensive = any(MODELS[x].expensive for i in members for x in local[i])
        if len(members) <= SCREEN_MIN or not expensive:
            first += members
            continue
        sample = screening_sample([ids[i] for i in members])
        first += [i for k, i in enumerate(members) if k in sample]
        later += [i for k, i in enumerate(members) if k not in sample]
    return sorted(first), sorted(later)


def _backtest_chunk(jobs: list, task: _Task) -> list[dict[str, Trial]]:
    with single_threaded_blas():
        return [
            backtest_series(y, names, task.plan, task.season_length, task.seed, sid)
            for y, sid, names in jobs
        ]


def _finish_chunk(items: list[_Series], task: _Task) -> list:
    with single_threaded_blas():
        return [_finish_one(item, task) for item in items]


def _finish_one(item: _Series, task: _Task):
    """Fit the series' members on the whole series (falling back along its ranking, then
    the fallback chain) and return its calibrated, joint, clipped outputs."""
    fitted: list[Forecaster] = []
    for name in [*item.members, *(n for n in item.ranked if n not in item.members)]:
        if len(fitted) == len(item.members) or (fitted and name not in item.members):
            break
        if name in item.panel:
            fitted.append(item.panel[name])
            continue
        if name in PANEL_MODELS:
            continue  # its fit on all series failed
        try:
            model = fit_with_fallback(name, item.y, task.season_length, item.prototypes.get(name))
        except FIT_ERRORS:
            continue
        if all(model.name != f.name for f in fitted):
            fitted.append(model)
    if not fitted:
        fitted = [fit_with_fallback("empirical", item.y, task.season_length)]
    model = fitted[0] if len(fitted) == 1 else Combination.of(fitted)
    rng = series_rng(task.seed, item.id)
    h = task.horizon
    paths = model.sample_paths(h, task.n_paths, rng)
    inverse = None
    if task.calibration is not None:
        group = AUTO if task.auto else model.name
        inverse = task.calibration.inverse(group, item.klass, h)
    levels = np.asarray(task.levels)
    mean, q, paths = calibrate(
        model.quantiles_by_step, model.predict(h), levels, paths, inverse, rng
    )
    if task.joint:
        paths = joint_order(paths, shock_residuals(item.y, task.season_length), task.draws)
    mean, q, paths = clip_nonnegative(mean, np.sort(q, axis=0), paths, task.nonnegative)
    return model.name, mean, q, paths


def _panel_parts(name, arrays, items: list[_Series], covariates, task: _Task) -> None:
    """Fit panel model `name` once on every series and hand its outputs, as `Tabulated`
    models, to the series whose members include it (they fall back when the fit fails)."""
    h = task.horizon
    model = make_model(name, task.season_length)
    assert isinstance(model, PanelForecaster)
    try:
        model.fit(arrays, exog=covariates)
        rngs = [series_rng(task.seed, item.id) for item in items]
        mean = np.asarray(model.predict(h))
        paths = np.asarray(model.sample_paths(h, task.n_paths, rngs))
        table = np.asarray(model.quantiles_by_step(np.repeat(FINE_LEVELS[:, None], h, axis=1)))
        if not (np.all(np.isfinite(mean)) and np.all(np.isfinite(table))):
            raise FloatingPointError(f"{name} gives non-finite forecasts")
    except FIT_ERRORS:
        return
    for i, item in enumerate(items):
        if name in item.members:
            item.panel[name] = Tabulated.of(name, mean[i], paths[i], table[i], FINE_LEVELS)


def _assemble(ids, classes, results, trials, task: _Task, records) -> PanelForecast:
    n, h, k = len(ids), task.horizon, len(task.levels)
    rows = []
    for series_id, klass, result, per_series in zip(ids, classes, results, trials, strict=True):
        rows += [
            (series_id, name, trial.score, name == result[0], klass)
            for name, trial in per_series.items()
        ]
        if per_series and result[0] not in per_series:  # a fallback: not backtested
            rows.append((series_id, result[0], float("nan"), True, klass))
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
        calibration=coverage_table(records) if records else pd.DataFrame(),
    )


def _with(task: _Task, **changes) -> _Task:
    from dataclasses import replace

    return replace(task, **changes)


class _Pool:
    """Maps a chunk function over items, in worker processes when worth it; the order of
    results and every result are the same as in one process."""

    def __init__(self, n_jobs: int, n_items: int, progress=None):
        self.n_jobs = n_jobs if n_items >= 2 * n_jobs else 1
        self.executor = None
        self.progress, self.done, self.total = progress, 0, 0

    def start(self, total: int) -> None:
        self.done, self.total = 0, total
        if self.progress is not None:
            self.progress(0, total)

    def _advance(self, n: int) -> None:
        self.done += n
        if self.progress is not None:
            self.progress(min(self.done, self.total), self.total)

    def __enter__(self) -> _Pool:
        if self.n_jobs > 1:
            self.executor = ProcessPoolExecutor(max_workers=self.n_jobs)
        return self

    def __exit__(self, *exc) -> None:
        if self.executor is not None:
            self.executor.shutdown()

    def map(self, fn, items: list, task: _Task) -> list:
        if not items:
            return []
        if self.executor is None or len(items) < 2 * self.n_jobs:
            if self.progress is None:
                return fn(items, task)
            step = max(1, len(items) // 50)  # per-item work: chunking changes no result
            out: list = []
            for i in range(0, len(items), step):
                out += fn(items[i : i + step], task)
                self._advance(len(items[i : i + step]))
            return out
        n_chunks = min(len(items), 4 * self.n_jobs)
        chunks = [items[i::n_chunks] for i in range(n_chunks)]
        futures = [self.executor.submit(fn, chunk, task) for chunk in chunks]
        if self.progress is not None:  # counted as chunks finish, in any order
            sizes = {f: len(chunk) for f, chunk in zip(futures, chunks, strict=True)}
            for future in as_completed(futures):
                self._advance(sizes[future])
        done = [future.result() for future in futures]
        results: list = [None] * len(items)
        for i, chunk in enumerate(done):
            results[i::n_chunks] = chunk
        return results


def _check_candidates(candidates) -> list[Problem]:
    if candidates is None:
        return []
    if isinstance(candidates, str) or not len(candidates):
        return [
            Problem(
                "forecast.candidates",
                f"candidates must be a non-empty list of model names; got {candidates!r}",
            )
        ]
    return [
        unknown_name_problem("forecast model", name, model_names(), "forecast.candidates")
        for name in candidates
        if name not in model_names()
    ]


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


def forecast_frame(
    history: pd.DataFrame,
    horizon: int,
    model: str = "auto",
    season_length: int | None = None,
    quantiles: Sequence[float] = (0.1, 0.5, 0.9),
    seed: int = 0,
    n_paths: int = 500,
    n_jobs: int = 1,
    *,
    candidates: Sequence[str] | None = None,
    calibrate: bool = True,
    future: pd.DataFrame | None = None,
    nonnegative: bool = True,
) -> pd.DataFrame:
    """Forecast a long frame of series: columns `id`, `ds`, `y`, any regular frequency.

    The frequency is inferred from `ds` (dates; or integer periods); rows are sorted and a gap
    inside a series is filled with 0 when the frequency is inferred and every series agrees.
    `season_length` defaults to the frequency's cycle (weekly 52, monthly 12, quarterly 4,
    daily 7, hourly 24, otherwise 1). Other numeric columns of `history` (e.g. promo, price)
    are regressors for the models that use them; `future` (columns id, ds and the same
    regressors) gives their values over the horizon (unknown: NaN). `model`, `candidates`
    and `calibrate` are those of `forecast_panel`. Returns columns `id`, `step`
    (1..horizon), `model`, `mean` and `q<level>` per quantile level (e.g. `q0.1`).
    """
    ids, arrays, inferred_season, grids, freq = _frame_to_series(history)
    covariates = _frame_covariates(history, future, ids, grids, freq, int(horizon))
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
        covariates=covariates,
        candidates=candidates,
        calibrate=calibrate,
        nonnegative=nonnegative,
    )
    frame = result.to_frame()
    frame["id"] = np.repeat(np.asarray(ids, dtype=object), horizon)
    return frame


def _frame_covariates(history, future, ids, grids, freq, horizon) -> Covariates | None:
    """Covariates from the extra columns of `history` and the rows of `future`, or None."""
    names = [
        c
        for c in history.columns
        if c not in ("id", "ds", "y") and pd.api.types.is_numeric_dtype(history[c])
    ]
    if not names:
        if future is not None:
            raise ConfigError(
                Problem("future", "future values given but history has no regressor columns")
            )
        return None
    if isinstance(grids[0], pd.RangeIndex):
        raise ConfigError(
            Problem(
                "history",
                f"regressor columns {names} need dates in ds, not integer periods",
                "give ds as dates, or drop the extra columns",
            )
        )
    values = history[names].apply(pd.to_numeric, errors="coerce").astype("float64")
    frame = pd.concat([history[["id"]], pd.to_datetime(history["ds"]), values], axis=1)
    ahead = None
    if future is not None:
        missing = [c for c in ("id", "ds", *names) if c not in future.columns]
        if missing:
            raise InputError(
                Problem("future", f"missing column(s) {', '.join(missing)}"),
                title="invalid future regressors",
            )
        ahead = future[["id", "ds", *names]].assign(ds=pd.to_datetime(future["ds"]))
    history_rows, future_rows = [], []
    for key, grid in zip(ids, grids, strict=True):
        rows = frame[frame["id"] == key].set_index("ds")[names]
        history_rows.append(rows.reindex(grid).to_numpy(dtype=np.float64))
        periods = pd.date_range(grid[-1], periods=horizon + 1, freq=freq)[1:]
        if ahead is None:
            future_rows.append(np.full((horizon, len(names)), np.nan))
        else:
            known = ahead[ahead["id"] == key].set_index("ds")[names]
            future_rows.append(known.reindex(periods).to_numpy(dtype=np.float64))
    return Covariates(tuple(names), history_rows, future_rows, list(grids), freq)


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


def _frame_to_series(history: pd.DataFrame) -> tuple[list, list[np.ndarray], int, list, str]:
    """Validate a long frame (id, ds, y) and turn it into regular series, gaps filled with 0.

    Returns the ids (sorted, original values), the series, the inferred season length, each
    series' grid of periods and the frequency.
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
    ids, arrays, grids, off_grid = [], [], [], []
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
        grids.append(grid)
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
    return ids, arrays, 1 if integer_ds else season_length_of(freq), grids, freq


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
