"""Moving average: the mean of the last `window` periods, window chosen by one-step error.

The model behind it is a locally constant mean: y_t = mu + e_t, e_t ~ N(0, sigma^2), with mu
estimated by the mean of the last w observations, so its estimation error (variance
sigma^2 / w) is shared by every step of the horizon. The one-step in-sample forecast error has
variance sigma^2 * (1 + 1/w), which gives sigma. Quantiles are normal with variance
sigma^2 * (1 + 1/w) at every step; sample paths draw one level error per path plus independent
noise per step, so the steps of a path are correlated (by 1 / (w + 1)).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Self

import numpy as np

from planner.forecast.base import GaussianForecaster, as_series, register

WINDOWS = (4, 8, 13, 26, 52)


def trailing_means(y: np.ndarray, window: int) -> np.ndarray:
    """Mean of y[t-window:t] for t = window..len(y) (the last one forecasts the future)."""
    csum = np.r_[0.0, np.cumsum(y)]
    return (csum[window:] - csum[:-window]) / window


@register
class MovingAverage(GaussianForecaster):
    """Mean of the last `window` observations (None: the window among `windows` with the
    lowest in-sample one-step mean squared error, windows longer than half the series
    excluded; compared over the same periods)."""

    name = "moving_average"

    def __init__(self, window: int | None = None, windows: Sequence[int] = WINDOWS):
        self.window = window
        self.windows = windows

    def fit(self, y: np.ndarray, exog: Any = None) -> Self:
        y = as_series(y)
        n = y.size
        if self.window is not None:
            if int(self.window) < 1:
                raise ValueError(f"window must be >= 1, got {self.window}")
            choices = [min(int(self.window), n)]
        else:
            choices = [w for w in self.windows if 1 <= w <= n // 2] or [max(1, n // 2)]
        start = max(choices)  # first period every candidate can forecast
        best = None
        for w in choices:
            means = trailing_means(y, w)  # means[k] forecasts y[w + k]
            errors = y[start:] - means[start - w : n - w]
            mse = float(np.mean(errors**2)) if errors.size else float(np.var(y))
            if best is None or mse < best[0]:
                best = (mse, w, float(means[-1]))
        mse, w, level = best
        self.window_ = w
        self.level_ = level
        self.sigma_ = float(np.sqrt(mse / (1.0 + 1.0 / w)))
        return self

    def predict(self, horizon: int) -> np.ndarray:
        self._check_fitted("level_")
        return np.full(horizon, self.level_)

    def sd(self, horizon: int) -> np.ndarray:
        """Standard deviation of each step's forecast error."""
        self._check_fitted("level_")
        return np.full(horizon, self.sigma_ * np.sqrt(1.0 + 1.0 / self.window_))

    def sample_paths(self, horizon: int, n_paths: int, rng: np.random.Generator) -> np.ndarray:
        self._check_fitted("level_")
        level_error = rng.normal(0.0, self.sigma_ / np.sqrt(self.window_), size=(n_paths, 1))
        noise = rng.normal(0.0, self.sigma_, size=(n_paths, horizon))
        return self.level_ + level_error + noise
