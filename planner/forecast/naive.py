"""Benchmarks that never fail: seasonal naive and the empirical-quantile naive."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Self

import numpy as np

from planner.forecast.base import (
    Forecaster,
    GaussianForecaster,
    as_series,
    check_levels,
    register,
)


@register
class SeasonalNaive(GaussianForecaster):
    """Next season repeats the last one: y[T+h] = y[T+h-m*k], k = ceil(h/m).

    The model is a seasonal random walk, y[t] = y[t-m] + e[t]: its error sd is the root mean
    square of the in-sample seasonal differences and grows with the number of seasons spanned,
    sd_h = sd * sqrt(k). Sample paths follow the same recursion with normal errors, so a path's
    second season builds on its own first season. A series shorter than two seasons falls back
    to the naive random walk (m = 1): `season_length_` records the length actually used.
    """

    name = "seasonal_naive"

    def __init__(self, season_length: int = 1):
        self.season_length = season_length

    def fit(self, y: np.ndarray, exog: Any = None) -> Self:
        y = as_series(y)
        m = max(int(self.season_length), 1)
        if y.size < 2 * m:
            m = 1
        diffs = y[m:] - y[:-m]
        self.season_length_ = m
        self.last_season_ = y[-m:].copy()
        self.sd_ = float(np.sqrt(np.mean(diffs**2))) if diffs.size else 0.0
        return self

    def _seasons_spanned(self, horizon: int) -> np.ndarray:
        return np.ceil(np.arange(1, horizon + 1) / self.season_length_)

    def predict(self, horizon: int) -> np.ndarray:
        self._check_fitted("sd_")
        return self.last_season_[np.arange(horizon) % self.season_length_].copy()

    def sd(self, horizon: int) -> np.ndarray:
        self._check_fitted("sd_")
        return self.sd_ * np.sqrt(self._seasons_spanned(horizon))

    def sample_paths(self, horizon: int, n_paths: int, rng: np.random.Generator) -> np.ndarray:
        self._check_fitted("sd_")
        m = self.season_length_
        paths = rng.normal(0.0, self.sd_, size=(n_paths, horizon))
        for h in range(horizon):
            paths[:, h] += paths[:, h - m] if h >= m else self.last_season_[h]
        return paths


@register
class EmpiricalNaive(Forecaster):
    """Each future period is an independent draw from the recent history.

    The window is the last max(season_length, 13) observations (a full season for weekly or
    monthly data). Mean, quantiles and bootstrap paths all come from that window, so the model
    cannot fail on any non-empty series: it is the last link of the fallback chain.
    """

    name = "empirical"
    demand_classes = frozenset()  # the fallback chain's last link; `auto` uses it only if named

    def __init__(self, season_length: int = 1):
        self.season_length = season_length

    def fit(self, y: np.ndarray, exog: Any = None) -> Self:
        y = as_series(y)
        window = max(int(self.season_length), 13)
        self.window_ = np.sort(y[-window:])
        return self

    def predict(self, horizon: int) -> np.ndarray:
        self._check_fitted("window_")
        return np.full(horizon, float(self.window_.mean()))

    def quantiles(self, horizon: int, levels: Sequence[float]) -> np.ndarray:
        self._check_fitted("window_")
        q = np.quantile(self.window_, check_levels(levels))
        return np.repeat(q[:, None], horizon, axis=1)

    def quantiles_by_step(self, levels: np.ndarray) -> np.ndarray:
        self._check_fitted("window_")
        levels = np.asarray(levels, dtype=np.float64)
        return np.quantile(self.window_, check_levels(levels)).reshape(levels.shape)

    def sample_paths(self, horizon: int, n_paths: int, rng: np.random.Generator) -> np.ndarray:
        self._check_fitted("window_")
        return rng.choice(self.window_, size=(n_paths, horizon), replace=True)
