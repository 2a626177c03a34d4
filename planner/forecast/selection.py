"""Model choice: demand classes, rolling-origin backtests of candidates, the fallback chain.

Every series is classified by Syntetos-Boylan (ADI and CV^2). `auto` backtests the models
suited to its class at up to three common forecast origins (`backtest_plan`: the last
`h`, `2h` and `3h` periods cut off, with h = min(horizon, 26), keeping at least half of the
series for training) and scores each by the mean pinball loss of its quantiles at levels
(0.1, 0.5, 0.9), so the choice rewards calibrated spread as well as the centre. The
quantiles come on the fine grid of `calibration.GRID`, from which the PITs that calibrate the
chosen models are read at no extra cost.

Per-series models are fitted once, with their full form/order search, at the earliest origin,
and `extend`ed to the later ones (ETS and ARIMA filter the new observations with the
parameters already estimated; cheap models refit), so no backtest forecast uses data after its
origin. The chosen model is re-estimated on the whole series with the forms chosen in the
backtest (`clone_for_refit`). Panel (global) models are fitted once per origin on every
series long enough, and their quantiles scored per series like the others.

`auto` then forecasts with the equal-weight quantile-average combination (`Combination`) of
the `COMBINE` = 2 candidates with the lowest loss: the combination's own backtest (from the
members' quantile grids) is recorded with it. Combining the two best is more accurate than
picking the best, whose choice on three origins is noisy: on M3 monthly 13.73 against 13.95
sMAPE, on Tourism monthly 1.467 against 1.528 MASE (the best single model: 13.60, Theta;
1.571, ARIMA).

Screening keeps large panels fast: in a demand class with more than `SCREEN_MIN` series, a
sample of `SCREEN_SAMPLE` series (those with the smallest hash of their id, so the sample does
not depend on the order or the other series) backtests every candidate; the expensive models
(`Forecaster.expensive`: ETS, ARIMA) that do not rank among the class's best `FINALISTS` on
that sample are not backtested on the class's other series. Cheap models always are.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from planner.forecast.base import (
    MODELS,
    PANEL_MODELS,
    Forecaster,
    PanelForecaster,
    as_series,
    make_model,
    series_rng,
)
from planner.forecast.calibration import GRID, path_levels, pit_values
from planner.forecast.metrics import pinball_loss

ADI_CUTOFF = 1.32
CV2_CUTOFF = 0.49
SELECTION_LEVELS = (0.1, 0.5, 0.9)
MAX_BACKTEST_HORIZON = 26
N_ORIGINS = 3
MIN_TRAIN = 8
SCREEN_MIN = 60
SCREEN_SAMPLE = 40
FINALISTS = 3
COMBINE = 2
"""`auto` combines this many best-ranked candidates: on M3 monthly and Tourism monthly the
combination of the two best beat the single best (sMAPE 13.73 vs 13.95, MASE 1.467 vs 1.528)."""
PIT_STREAM = 1
"""`series_rng` stream of the randomised PITs (stream 0 draws the sample paths)."""
FIT_ERRORS = (ValueError, ArithmeticError, np.linalg.LinAlgError, RuntimeError)
"""What a model fit may raise on awkward data; anything else is a bug and propagates."""

FALLBACK = {
    "arima": "ets",
    "ets": "theta",
    "theta": "seasonal_naive",
    "seasonal_naive": "empirical",
    "empirical": None,
}
"""Next model when a fit raises; models not listed fall back to seasonal_naive."""

_SELECTION_INDEX = np.searchsorted(GRID, SELECTION_LEVELS)
assert np.allclose(GRID[_SELECTION_INDEX], SELECTION_LEVELS)


def adi_cv2(y: Sequence[float]) -> tuple[float, float]:
    """Average demand interval (periods per non-zero period) and squared coefficient of
    variation of the non-zero sizes. An all-zero series has ADI inf and CV^2 0."""
    arr = np.asarray(y, dtype=np.float64)
    sizes = arr[arr > 0]
    if sizes.size == 0:
        return float("inf"), 0.0
    return arr.size / sizes.size, float(np.var(sizes) / sizes.mean() ** 2)


def demand_class(y: Sequence[float]) -> str:
    """Syntetos-Boylan class: smooth, erratic, intermittent or lumpy (ADI 1.32, CV^2 0.49).

    An all-zero series is "intermittent".
    """
    adi, cv2 = adi_cv2(y)
    if adi < ADI_CUTOFF:
        return "smooth" if cv2 < CV2_CUTOFF else "erratic"
    return "intermittent" if cv2 < CV2_CUTOFF else "lumpy"


def candidate_models(y_or_class: Sequence[float] | str, panel: bool = False) -> list[str]:
    """Registered per-series models (with `panel`: panel models) suited to a demand class
    (or to the class of a series), in registration order."""
    klass = y_or_class if isinstance(y_or_class, str) else demand_class(y_or_class)
    registry = PANEL_MODELS if panel else MODELS
    return [name for name, cls in registry.items() if klass in cls.demand_classes]


def fit_with_fallback(
    name: str, y: np.ndarray, season_length: int, prototype: Forecaster | None = None
) -> Forecaster:
    """Fit model `name` (a copy of `prototype` when given: the forms chosen in the backtest);
    when the fit raises or predicts non-finite values, try the next model of the chain
    arima -> ets -> theta -> seasonal_naive -> empirical (others -> seasonal_naive). The
    fitted model's `name` says which one was used. Raises the last error when even the
    empirical model fails (empty series)."""
    model = prototype.clone_for_refit() if prototype is not None else None
    while True:
        model = model if model is not None else make_model(name, season_length)
        try:
            model.fit(y)
            if not np.all(np.isfinite(model.predict(1))):
                raise FloatingPointError(f"{name} predicts non-finite values")
            return model
        except FIT_ERRORS:
            following = FALLBACK.get(name, "seasonal_naive")
            if following is None:
                raise
            name, model = following, None


@dataclass(frozen=True)
class BacktestPlan:
    """Common forecast origins: `cuts` periods are cut off the end of every series (smallest
    first), each forecast `horizon` periods ahead."""

    cuts: tuple[int, ...]
    horizon: int

    def origins(self, n: int) -> list[int]:
        """Training lengths of a series of length n (earliest origin first)."""
        floor = max(MIN_TRAIN, n // 2)
        return [n - c for c in reversed(self.cuts) if n - c >= floor]


def backtest_plan(
    horizon: int, n_origins: int = N_ORIGINS, step: int | None = None
) -> BacktestPlan:
    """Origins cutting h, h + step, h + 2 step, ... periods, h = min(horizon, 26), step = h."""
    h = min(int(horizon), MAX_BACKTEST_HORIZON)
    step = h if step is None else int(step)
    return BacktestPlan(tuple(h + k * step for k in range(n_origins)), h)


def pit_rng(seed: int, series_id: str, model: str) -> np.random.Generator:
    """Generator of the randomised PITs of one model on one series."""
    return series_rng(seed, f"{series_id}\x00{model}", PIT_STREAM)


@dataclass
class Trial:
    """One model backtested on one series: `score` (mean pinball loss at SELECTION_LEVELS
    over the origins; inf when a fit failed), `pits` (n_origins, horizon) and the fitted
    model of the earliest origin (`prototype`, per-series models only)."""

    model: str
    score: float
    pits: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    prototype: Forecaster | None = None
    grids: np.ndarray = field(default_factory=lambda: np.zeros((0, 0, 0), dtype=np.float32))
    """Quantiles on GRID at each origin, (n_origins, len(GRID), horizon), float32."""

    @classmethod
    def failed(cls, model: str) -> Trial:
        return cls(model, float("inf"))


def score_origin(y_future: np.ndarray, grid_q: np.ndarray, rng) -> tuple[float, np.ndarray]:
    """Pinball loss at SELECTION_LEVELS and PITs of one origin's quantile grid (GRID, h)."""
    q = np.sort(grid_q, axis=0)
    loss = float(pinball_loss(y_future, q[_SELECTION_INDEX], SELECTION_LEVELS))
    return loss, pit_values(y_future, q, rng)


def backtest_series(
    y: np.ndarray,
    names: Sequence[str],
    plan: BacktestPlan,
    season_length: int,
    seed: int = 0,
    series_id: str = "",
) -> dict[str, Trial]:
    """Backtest per-series models `names` on one series at the plan's origins (PITs are
    randomised by a generator of (seed, series id, model))."""
    origins = plan.origins(y.size)
    h = plan.horizon
    trials = {}
    for name in names:
        if not origins:
            trials[name] = Trial.failed(name)
            continue
        losses, pits, grids, prototype = [], [], [], None
        rng = pit_rng(seed, series_id, name)
        try:
            for origin in origins:
                if prototype is None:
                    model = make_model(name, season_length).fit(y[:origin])
                    prototype = model
                else:
                    model = prototype.extend(y[:origin])
                grid_q = model.quantiles(h, GRID)
                if not np.all(np.isfinite(grid_q)):
                    raise FloatingPointError(f"{name} gives non-finite quantiles")
                loss, pit = score_origin(y[origin : origin + h], grid_q, rng)
                losses.append(loss)
                pits.append(pit)
                grids.append(np.sort(grid_q, axis=0))
        except FIT_ERRORS:
            trials[name] = Trial.failed(name)
            continue
        trials[name] = Trial(
            name,
            float(np.mean(losses)),
            np.array(pits),
            prototype,
            np.array(grids, dtype=np.float32),
        )
    return trials


def backtest_panel_model(
    name: str,
    arrays: Sequence[np.ndarray],
    ids: Sequence[str],
    plan: BacktestPlan,
    season_length: int,
    seed: int,
    covariates=None,
) -> list[Trial]:
    """Backtest panel model `name`: one fit per origin on every series long enough."""
    h = plan.horizon
    losses: list[list[float]] = [[] for _ in arrays]
    pits: list[list[np.ndarray]] = [[] for _ in arrays]
    grids: list[list[np.ndarray]] = [[] for _ in arrays]
    failed = False
    rngs: dict[int, np.random.Generator] = {}
    for cut in plan.cuts:
        members = [i for i, y in enumerate(arrays) if y.size - cut >= max(MIN_TRAIN, y.size // 2)]
        if not members:
            continue
        train = [arrays[i][: arrays[i].size - cut] for i in members]
        exog = None
        if covariates is not None:
            exog = truncated_covariates(covariates, members, [t.size for t in train], h)
        model = make_model(name, season_length)
        assert isinstance(model, PanelForecaster)
        try:
            grid_q = np.asarray(model.fit(train, exog=exog).quantiles(h, GRID))
        except FIT_ERRORS:
            failed = True
            break
        for row, i in enumerate(members):
            if not np.all(np.isfinite(grid_q[row])):
                losses[i].append(float("inf"))
                continue
            y = arrays[i]
            rng = rngs.setdefault(i, pit_rng(seed, ids[i], name))
            loss, pit = score_origin(y[y.size - cut : y.size - cut + h], grid_q[row], rng)
            losses[i].append(loss)
            pits[i].append(pit)
            grids[i].append(np.sort(grid_q[row], axis=0))
    if failed:
        return [Trial.failed(name) for _ in arrays]
    # origins were visited latest first: store them earliest first, like per-series trials
    return [
        Trial(name, float(np.mean(lo)), np.array(pi[::-1]), None, np.array(gr[::-1], np.float32))
        if lo and np.all(np.isfinite(lo))
        else Trial.failed(name)
        for lo, pi, gr in zip(losses, pits, grids, strict=True)
    ]


def truncated_covariates(covariates, members: list[int], lengths: list[int], horizon: int):
    """Covariates of series `members` cut to `lengths`, the next `horizon` rows as future."""
    from planner.forecast.covariates import Covariates

    history, future = [], []
    for i, length in zip(members, lengths, strict=True):
        past, ahead = covariates.truncate(i, length, horizon)
        history.append(past)
        future.append(ahead)
    return Covariates(
        names=covariates.names,
        history=history,
        future=future,
        periods=[
            covariates.periods[i][:length] for i, length in zip(members, lengths, strict=True)
        ],
        freq=covariates.freq,
    )


def screening_sample(ids: Sequence[str], size: int = SCREEN_SAMPLE) -> set[int]:
    """Positions of the `size` ids with the smallest crc32 hash (order-independent)."""
    keys = sorted((zlib.crc32(str(i).encode("utf-8")), k) for k, i in enumerate(ids))
    return {k for _, k in keys[:size]}


def finalists(
    trials: Sequence[dict[str, Trial]], names: Sequence[str], k: int = FINALISTS
) -> list[str]:
    """The `k` models with the lowest mean relative score (score over the series' best) on
    the screening sample; series where every model failed or scored 0 are ignored."""
    ratios: dict[str, list[float]] = {name: [] for name in names}
    for series in trials:
        best = min((t.score for t in series.values()), default=float("inf"))
        if not np.isfinite(best) or best <= 0:
            continue
        for name in names:
            score = series[name].score if name in series else float("inf")
            ratios[name].append(min(score / best, 10.0))
    mean = {name: float(np.mean(r)) if r else float("inf") for name, r in ratios.items()}
    return sorted(names, key=lambda name: mean[name])[:k]


def choose(trials: dict[str, Trial], names: Sequence[str]) -> list[str]:
    """Candidate names ordered by backtest score (first = chosen; ties: the order given).
    Models whose backtest failed come last."""
    return sorted(names, key=lambda name: trials[name].score if name in trials else np.inf)


def combined_trial(
    members: Sequence[str],
    trials: dict[str, Trial],
    y: np.ndarray,
    plan: BacktestPlan,
    seed: int,
    series_id: str,
) -> Trial:
    """The backtest of the equal-weight quantile average of `members`, from their grids."""
    name = "+".join(members)
    count = min(trials[m].grids.shape[0] for m in members)
    if count == 0:
        return Trial.failed(name)
    grids = np.mean([trials[m].grids[-count:].astype(np.float64) for m in members], axis=0)
    origins = plan.origins(y.size)[-count:]
    rng = pit_rng(seed, series_id, name)
    losses, pits = [], []
    for grid_q, origin in zip(grids, origins, strict=True):
        loss, pit = score_origin(y[origin : origin + plan.horizon], grid_q, rng)
        losses.append(loss)
        pits.append(pit)
    return Trial(name, float(np.mean(losses)), np.array(pits), None, grids.astype(np.float32))


def selection_pits(
    trials: dict[str, Trial],
    y: np.ndarray,
    plan: BacktestPlan,
    combine: int,
    rng: np.random.Generator,
) -> np.ndarray:
    """PITs of the selection procedure itself, free of selection bias: at each origin, the
    `combine` best candidates by their loss at the *other* origins are combined and the
    actual's PIT is read from that combination (with one origin, its own loss ranks).
    Calibrating on these keeps `auto`'s intervals from being as optimistic as the backtest
    windows that chose the models. Returns (n_origins, horizon); empty when none."""
    origins = plan.origins(y.size)
    n, h = len(origins), plan.horizon
    usable = {
        m: t.grids for m, t in trials.items() if np.isfinite(t.score) and t.grids.shape[0] == n
    }
    if n == 0 or not usable:
        return np.zeros((0, h))
    actual = [y[o : o + h] for o in origins]
    losses = {
        m: np.array(
            [
                pinball_loss(actual[k], g[k][_SELECTION_INDEX].astype(np.float64), SELECTION_LEVELS)
                for k in range(n)
            ]
        )
        for m, g in usable.items()
    }
    pits = []
    for k in range(n):
        others = [j for j in range(n) if j != k] or [k]
        ranked = sorted(usable, key=lambda m: float(np.mean(losses[m][others])))
        grid = np.mean([usable[m][k].astype(np.float64) for m in ranked[:combine]], axis=0)
        pits.append(pit_values(actual[k], grid, rng))
    return np.array(pits)


@dataclass(frozen=True)
class Selection:
    """The chosen model of one series, every candidate's backtest score (mean pinball loss;
    inf when its fit failed) and the chosen model fitted on the whole series (None when the
    series was too short to backtest: then scores are empty and the model is empirical)."""

    model: str
    scores: dict[str, float] = field(default_factory=dict)
    fitted: Forecaster | None = None


def select_model(
    y: Sequence[float],
    horizon: int,
    season_length: int,
    *,
    candidates: Sequence[str] | None = None,
    n_origins: int = N_ORIGINS,
    seed: int = 0,
) -> Selection:
    """Pick the per-series candidate with the lowest rolling-origin pinball loss for one
    series (first one on ties); without candidates, every model suited to its class."""
    arr = as_series(y)
    names = list(candidates) if candidates is not None else candidate_models(arr)
    plan = backtest_plan(horizon, n_origins)
    if not plan.origins(arr.size):
        return Selection("empirical")
    trials = backtest_series(arr, names, plan, season_length, seed)
    ranked = choose(trials, names)
    scores = {name: trials[name].score for name in names}
    for name in ranked:
        if not np.isfinite(scores[name]):
            break
        try:
            fitted = fit_with_fallback(name, arr, season_length, trials[name].prototype)
        except FIT_ERRORS:
            continue
        if fitted.name == name:
            return Selection(name, scores, fitted)
    fitted = fit_with_fallback("ets", arr, season_length)
    return Selection(fitted.name, scores, fitted)


class Combination(Forecaster):
    """Equal-weight combination of fitted models by quantile averaging (Vincentisation).

    The combined quantile at each level and step is the mean of the members' quantiles, so
    the combined mean is the mean of the members' means. Sample paths take the first member's
    paths and give each the combined quantile at that path's rank level (ties at random),
    which keeps the first member's week-to-week dependence. Built from fitted members with
    `Combination.of`; `name` joins the member names with '+'.
    """

    def __init__(self, members: Sequence[Forecaster] = ()):
        self.members = members

    @classmethod
    def of(cls, members: Sequence[Forecaster]) -> Combination:
        combo = cls(tuple(members))
        combo.fit_members_ = tuple(members)
        combo.name = "+".join(m.name for m in members)
        return combo

    def fit(self, y: np.ndarray, exog=None) -> Combination:
        self.fit_members_ = tuple(m.fit(y) for m in self.members)
        self.name = "+".join(m.name for m in self.members)
        return self

    def predict(self, horizon: int) -> np.ndarray:
        self._check_fitted("fit_members_")
        return np.mean([m.predict(horizon) for m in self.fit_members_], axis=0)

    def quantiles(self, horizon: int, levels: Sequence[float]) -> np.ndarray:
        self._check_fitted("fit_members_")
        return np.mean(
            [np.sort(m.quantiles(horizon, levels), axis=0) for m in self.fit_members_], axis=0
        )

    def quantiles_by_step(self, levels: np.ndarray) -> np.ndarray:
        self._check_fitted("fit_members_")
        return np.mean([m.quantiles_by_step(levels) for m in self.fit_members_], axis=0)

    def sample_paths(self, horizon: int, n_paths: int, rng: np.random.Generator) -> np.ndarray:
        self._check_fitted("fit_members_")
        paths = self.fit_members_[0].sample_paths(horizon, n_paths, rng)
        return self.quantiles_by_step(path_levels(paths, rng))
