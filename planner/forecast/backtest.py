"""Rolling-origin evaluation of forecast models (`planner backtest`).

Fold k of `folds` (1 = earliest) cuts `horizon + (folds - k) * step` periods off the end of
every series, forecasts the next `horizon` periods with each model exactly as
`forecast_panel` would (selection, calibration and all, from the history before the origin
only) and scores the forecast against what happened:

    mae, rmse, bias (mean forecast - actual) and smape of the mean forecast;
    mase and rmsse, scaled by the in-sample seasonal-naive error of the training part;
    pinball: the mean quantile loss over the levels 0.025, 0.05, 0.1, 0.5, 0.9, 0.95, 0.975;
    coverage_80 and coverage_95: the share of actuals inside [q0.1, q0.9] and [q0.025, q0.975];
    crps: the continuous ranked probability score of the sample paths.

`backtest_series` returns one row per series, model and fold and `summarise` the mean per
model; `run_backtest(dataset, scenario)` does both for a dataset (history cleaned beforehand
by the caller when wanted, see `planner.data.clean.clean_for_forecast`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from planner.errors import ConfigError, Problem
from planner.forecast.api import forecast_panel
from planner.forecast.base import model_names, unknown_name_problem
from planner.forecast.covariates import Covariates, covariates_from_dataset
from planner.forecast.metrics import bias, crps, mae, mase, pinball_loss, rmse, rmsse, smape
from planner.forecast.selection import MIN_TRAIN, truncated_covariates

LEVELS = (0.025, 0.05, 0.1, 0.5, 0.9, 0.95, 0.975)
METRICS = (
    "mae",
    "rmse",
    "mase",
    "rmsse",
    "smape",
    "bias",
    "pinball",
    "coverage_80",
    "coverage_95",
    "crps",
)
FOLD_COLUMNS = ["id", "model", "fold", "origin", "chosen", *METRICS]
SUMMARY_COLUMNS = ["model", "series", "folds", *METRICS]


@dataclass(frozen=True)
class BacktestOptions:
    """What `backtest_series` evaluates: `models` (names, "auto" included) at `folds` origins
    `step` periods apart, each forecasting `horizon` periods; the other fields are passed to
    `forecast_panel`."""

    horizon: int
    folds: int = 4
    step: int = 4
    models: tuple[str, ...] = ("auto",)
    season_length: int = 52
    n_paths: int = 500
    seed: int = 0
    calibrate: bool = True
    candidates: tuple[str, ...] | None = None
    n_jobs: int = 1

    def cut(self, fold: int) -> int:
        """Periods cut off the end of every series for fold 1..folds."""
        return self.horizon + (self.folds - fold) * self.step


def check_models(models: Sequence[str], where: str = "backtest.models") -> None:
    """ConfigError naming every unknown model (and 'file', which fits nothing)."""
    valid = ["auto", *model_names()]
    problems = [
        unknown_name_problem("forecast model", name, valid, where)
        for name in models
        if name not in valid
    ]
    if problems:
        raise ConfigError(problems)


def backtest_series(
    series: Sequence[np.ndarray],
    ids: Sequence[str],
    options: BacktestOptions,
    *,
    covariates: Covariates | None = None,
    periods: Sequence[object] | None = None,
    progress: Callable[[str], None] | None = None,
) -> pd.DataFrame:
    """Per-fold scores: id, model, fold, origin, chosen (the model `auto` chose, else the model
    itself), then the METRICS. `periods[i]` labels the periods of series i (e.g. its weeks;
    default 0-based positions): `origin` is the label of the first forecast period."""
    check_models(options.models)
    arrays = [np.asarray(y, dtype=np.float64) for y in series]
    ids = [str(i) for i in ids]
    rows = []
    for fold in range(1, options.folds + 1):
        cut = options.cut(fold)
        members = [i for i, y in enumerate(arrays) if y.size - cut >= MIN_TRAIN]
        if not members:
            continue
        train = [arrays[i][: arrays[i].size - cut] for i in members]
        actual = np.array([arrays[i][arrays[i].size - cut :][: options.horizon] for i in members])
        exog = None
        if covariates is not None:
            exog = truncated_covariates(
                covariates, members, [t.size for t in train], options.horizon
            )
        for model in options.models:
            if progress is not None:
                progress(f"fold {fold}/{options.folds}: {model}")
            fc = forecast_panel(
                train,
                [ids[i] for i in members],
                options.horizon,
                model=model,
                season_length=options.season_length,
                n_paths=options.n_paths,
                quantile_levels=LEVELS,
                seed=options.seed,
                n_jobs=options.n_jobs,
                covariates=exog,
                candidates=options.candidates if model == "auto" else None,
                calibrate=options.calibrate,
            )
            scores = score_forecast(actual, fc.mean, fc.quantiles, fc.paths, train, options)
            for row, i in enumerate(members):
                origin = arrays[i].size - cut
                label = periods[i][origin] if periods is not None else origin
                rows.append((ids[i], model, fold, label, fc.model[row], *(s[row] for s in scores)))
    frame = pd.DataFrame(rows, columns=FOLD_COLUMNS)
    return frame.astype({m: "float64" for m in METRICS})


def score_forecast(actual, mean, quantiles, paths, train, options: BacktestOptions) -> list:
    """The METRICS per series (one array each) of forecasts against actuals (n, horizon)."""
    lo80, hi80 = quantiles[:, LEVELS.index(0.1)], quantiles[:, LEVELS.index(0.9)]
    lo95, hi95 = quantiles[:, LEVELS.index(0.025)], quantiles[:, LEVELS.index(0.975)]
    m = options.season_length
    return [
        mae(actual, mean, axis=1),
        rmse(actual, mean, axis=1),
        np.array([mase(a, f, t, m) for a, f, t in zip(actual, mean, train, strict=True)]),
        np.array([rmsse(a, f, t, m) for a, f, t in zip(actual, mean, train, strict=True)]),
        smape(actual, mean, axis=1),
        bias(actual, mean, axis=1),
        pinball_loss(actual, quantiles, LEVELS, axis=(1, 2)),
        np.mean((actual >= lo80) & (actual <= hi80), axis=1),
        np.mean((actual >= lo95) & (actual <= hi95), axis=1),
        crps(actual, paths, axis=1),
    ]


def summarise(folds: pd.DataFrame) -> pd.DataFrame:
    """Mean of each metric per model over series and folds (non-finite MASE/RMSSE, from a
    constant training series, are left out), with the numbers of series and folds; sorted by
    MASE."""
    rows = []
    for model, group in folds.groupby("model", sort=False):
        values = [
            float(np.nanmean(np.where(np.isfinite(group[m]), group[m], np.nan)))
            if np.isfinite(group[m]).any()
            else float("nan")
            for m in METRICS
        ]
        rows.append((model, group["id"].nunique(), group["fold"].nunique(), *values))
    summary = pd.DataFrame(rows, columns=SUMMARY_COLUMNS)
    return summary.sort_values("mase", kind="stable").reset_index(drop=True)


def format_summary(summary: pd.DataFrame) -> str:
    """The summary as a plain-text table (coverages in percent)."""
    header = (
        f"{'model':<22} {'series':>6} {'MASE':>7} {'RMSSE':>7} {'sMAPE':>7} {'bias':>9} "
        f"{'pinball':>9} {'cov80':>6} {'cov95':>6} {'CRPS':>9}"
    )
    lines = [header, "-" * len(header)]
    for r in summary.itertuples(index=False):
        lines.append(
            f"{r.model:<22} {r.series:>6} {r.mase:>7.3f} {r.rmsse:>7.3f} {r.smape:>7.2f} "
            f"{r.bias:>9.3f} {r.pinball:>9.3f} {100 * r.coverage_80:>5.1f}% "
            f"{100 * r.coverage_95:>5.1f}% {r.crps:>9.3f}"
        )
    return "\n".join(lines)


def run_backtest(
    dataset,
    scenario,
    *,
    n_jobs: int = 2,
    progress: Callable[[str], None] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Backtest the scenario's models on a dataset's demand history.

    Settings come from `scenario.backtest` (folds, step, horizon: default the plan horizon,
    models: default "auto" and every registered model) and `scenario.forecast` (season
    length, paths, seed, calibrate, candidates); promotions and prices are passed to the
    models that use them. Returns (per-fold table with id = 'sku/warehouse', sku and
    warehouse columns after id; summary per model).
    """
    bt, fc = scenario.backtest, scenario.forecast
    models = tuple(bt.models) if bt.models else ("auto", *model_names())
    if fc.candidates:
        check_models(fc.candidates, "forecast.candidates")
    options = BacktestOptions(
        horizon=int(bt.horizon or scenario.plan.horizon_weeks),
        folds=int(bt.folds),
        step=int(bt.step),
        models=models,
        season_length=int(fc.season_length),
        n_paths=int(fc.paths),
        seed=int(fc.seed),
        calibrate=bool(fc.calibrate),
        candidates=tuple(fc.candidates) if fc.candidates else None,
        n_jobs=n_jobs,
    )
    series = dataset.series.reset_index(drop=True)
    if series.empty:
        raise ConfigError(Problem("dataset", "no demand history to backtest"))
    grouped = {key: g for key, g in dataset.demand.groupby(["sku", "warehouse"], sort=False)}
    frames = [
        grouped[(s, w)].sort_values("week")
        for s, w in zip(series["sku"], series["warehouse"], strict=True)
    ]
    arrays = [f["quantity"].to_numpy(dtype=np.float64) for f in frames]
    weeks = [pd.DatetimeIndex(f["week"]) for f in frames]
    ids = [f"{s}/{w}" for s, w in zip(series["sku"], series["warehouse"], strict=True)]
    last = dataset.last_week
    horizon_weeks = pd.date_range(last + pd.Timedelta(weeks=1), periods=1, freq="W-MON")
    covariates = covariates_from_dataset(dataset, series, horizon_weeks)
    folds = backtest_series(
        arrays, ids, options, covariates=covariates, periods=weeks, progress=progress
    )
    folds["origin"] = pd.to_datetime(folds["origin"]).dt.date
    keys = pd.DataFrame({"id": ids, "sku": series["sku"], "warehouse": series["warehouse"]})
    folds = keys.merge(folds, on="id", how="right")
    return folds, summarise(folds)
