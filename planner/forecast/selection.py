"""Per-series model choice: demand classes, a rolling-origin backtest, the fallback chain.

`select_model` scores each candidate by the mean pinball loss of its quantiles at levels
(0.1, 0.5, 0.9) over up to three forecast origins (horizon min(h, 13), step = horizon), so
the choice rewards calibrated spread as well as the centre. Quantiles are analytic or exact
for every model, so no paths are drawn during selection.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from planner.forecast.base import Forecaster, as_series, make_model
from planner.forecast.metrics import pinball_loss

ADI_CUTOFF = 1.32
CV2_CUTOFF = 0.49
SELECTION_LEVELS = (0.1, 0.5, 0.9)
MAX_BACKTEST_HORIZON = 13
MIN_TRAIN = 8
FIT_ERRORS = (ValueError, ArithmeticError, np.linalg.LinAlgError, RuntimeError)
"""What a model fit may raise on awkward data; anything else is a bug and propagates."""

FALLBACK = {"ets": "seasonal_naive", "seasonal_naive": "empirical", "empirical": None}
"""Next model when a fit raises; models not listed fall back to seasonal_naive."""


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


def candidate_models(y: Sequence[float]) -> list[str]:
    """seasonal_naive and ets always; croston and tsb too when ADI > 1.32."""
    names = ["seasonal_naive", "ets"]
    if adi_cv2(y)[0] > ADI_CUTOFF:
        names += ["croston", "tsb"]
    return names


def fit_with_fallback(name: str, y: np.ndarray, season_length: int) -> Forecaster:
    """Fit model `name`; when the fit raises or predicts non-finite values, try the next model
    of the chain ets -> seasonal_naive -> empirical. The fitted model's `name` says which one
    was used. Raises the last error when even the empirical model fails (empty series)."""
    while True:
        model = make_model(name, season_length)
        try:
            model.fit(y)
            if not np.all(np.isfinite(model.predict(1))):
                raise FloatingPointError(f"{name} predicts non-finite values")
            return model
        except FIT_ERRORS:
            following = FALLBACK.get(name, "seasonal_naive")
            if following is None:
                raise
            name = following


def backtest_origins(n: int, horizon: int, n_origins: int = 3) -> tuple[list[int], int]:
    """Forecast origins (training lengths, ascending) and the backtest horizon.

    The horizon is min(horizon, 13), shortened so that at least one origin keeps MIN_TRAIN
    observations; origins are n - k*horizon for k = 1..n_origins with enough training data.
    No origin at all (empty list) when the series has MIN_TRAIN points or fewer.
    """
    h = min(horizon, MAX_BACKTEST_HORIZON, n - MIN_TRAIN)
    if h < 1:
        return [], 0
    origins = [n - k * h for k in range(n_origins, 0, -1) if n - k * h >= MIN_TRAIN]
    return origins, h


def backtest_score(
    model: Forecaster,
    y: np.ndarray,
    origins: Sequence[int],
    horizon: int,
    levels: Sequence[float] = SELECTION_LEVELS,
    nonnegative: bool = True,
) -> float:
    """Mean pinball loss of `model` refitted (`clone_for_refit`) at each origin; inf when a
    refit fails or gives non-finite quantiles."""
    losses = []
    for origin in origins:
        try:
            q = model.clone_for_refit().fit(y[:origin]).quantiles(horizon, levels)
        except FIT_ERRORS:
            return float("inf")
        if nonnegative:
            q = np.maximum(q, 0.0)
        if not np.all(np.isfinite(q)):
            return float("inf")
        losses.append(pinball_loss(y[origin : origin + horizon], q, levels))
    return float(np.mean(losses))


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
    levels: Sequence[float] = SELECTION_LEVELS,
    n_origins: int = 3,
    nonnegative: bool = True,
) -> Selection:
    """Pick the candidate with the lowest rolling-origin pinball loss (first one on ties).

    Each candidate is fitted on the whole series first; the backtest refits its
    `clone_for_refit()` (for ETS: the trend form chosen on the whole series, re-estimated)
    at each origin. Without candidates, `candidate_models(y)`.
    """
    arr = as_series(y)
    names = list(candidates) if candidates is not None else candidate_models(arr)
    origins, h = backtest_origins(arr.size, horizon, n_origins)
    if not origins:
        return Selection("empirical")
    scores: dict[str, float] = {}
    fitted: dict[str, Forecaster] = {}
    for name in names:
        model = make_model(name, season_length)
        try:
            model.fit(arr)
            if not np.all(np.isfinite(model.predict(1))):
                raise FloatingPointError(f"{name} predicts non-finite values")
        except FIT_ERRORS:
            scores[name] = float("inf")
            continue
        fitted[name] = model
        scores[name] = backtest_score(model, arr, origins, h, levels, nonnegative)
    best = min(names, key=lambda name: scores[name])
    return Selection(best, scores, fitted.get(best))
