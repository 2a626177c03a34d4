"""Intermittent demand: Croston, SBA and TSB, own numpy implementations.

Both estimate a demand-occurrence probability and a demand size; the smoothing constants are
chosen from a small grid by in-sample one-step mean squared error. The forecast distribution
of a period is zero-inflated: occurrence ~ Bernoulli(probability) times a size drawn from the
history's non-zero sizes rescaled to the estimated mean size. When the history is integer,
sizes are rounded stochastically (floor(v + U), which keeps the mean), so paths are whole
units. Periods are independent given the estimates; quantiles are exact quantiles of that
discrete distribution, the same one the paths are drawn from. Negative values count as zero.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Self

import numpy as np
from scipy.signal import lfilter

from planner.forecast.base import Forecaster, as_series, check_levels, register

INTERMITTENT = frozenset({"intermittent", "lumpy"})
CROSTON_ALPHAS = (0.05, 0.1, 0.15, 0.2, 0.3)
TSB_ALPHAS = (0.05, 0.1, 0.2, 0.3)
TSB_BETAS = (0.02, 0.05, 0.1, 0.2)


def ses(x: np.ndarray, alpha: float, init: float) -> np.ndarray:
    """Simple exponential smoothing s_k = alpha*x_k + (1-alpha)*s_{k-1}, s_{-1} = init."""
    return lfilter([alpha], [1.0, alpha - 1.0], x, zi=[(1.0 - alpha) * init])[0]


def _carry_forward(values: np.ndarray, at: np.ndarray, n: int, init: float) -> np.ndarray:
    """Forecast for each period 0..n-1 from the latest value updated strictly before it.

    `values[..., k]` was updated at time `at[k]` (increasing); periods before the first update
    get `init`.
    """
    count = np.searchsorted(at, np.arange(n), side="left")
    padded = np.concatenate([np.full((*values.shape[:-1], 1), init), values], axis=-1)
    return padded[..., count]


class _ZeroInflated(Forecaster):
    """Shared distribution of Croston and TSB: Bernoulli(prob_) x rescaled historical sizes."""

    demand_classes = INTERMITTENT

    def _set_distribution(self, y: np.ndarray, prob: float, size: float) -> None:
        sizes = y[y > 0]
        self.prob_ = float(min(max(prob, 0.0), 1.0)) if sizes.size else 0.0
        self.size_ = float(size) if sizes.size else 0.0
        self.integer_ = bool(np.all(y == np.round(y)))
        self.sizes_ = sizes * (self.size_ / sizes.mean()) if sizes.size else np.zeros(1)

    def predict(self, horizon: int) -> np.ndarray:
        self._check_fitted("prob_")
        return np.full(horizon, self.prob_ * self.size_)

    def _support(self) -> tuple[np.ndarray, np.ndarray]:
        """Values and probabilities of one period's demand (sorted values)."""
        k = self.sizes_.size
        if self.integer_:
            low = np.floor(self.sizes_)
            frac = self.sizes_ - low
            values = np.r_[0.0, low, low + 1.0]
            weights = np.r_[1.0 - self.prob_, self.prob_ * (1.0 - frac) / k, self.prob_ * frac / k]
        else:
            values = np.r_[0.0, self.sizes_]
            weights = np.r_[1.0 - self.prob_, np.full(k, self.prob_ / k)]
        order = np.argsort(values, kind="stable")
        return values[order], weights[order]

    def quantiles(self, horizon: int, levels: Sequence[float]) -> np.ndarray:
        q = self._quantile(check_levels(levels))
        return np.repeat(q[:, None], horizon, axis=1)

    def quantiles_by_step(self, levels: np.ndarray) -> np.ndarray:
        levels = np.asarray(levels, dtype=np.float64)
        return self._quantile(check_levels(levels)).reshape(levels.shape)

    def _quantile(self, levels: np.ndarray) -> np.ndarray:
        """The quantile function of one period's demand at `levels` (1-D)."""
        self._check_fitted("prob_")
        values, weights = self._support()
        cdf = np.cumsum(weights)
        pos = np.searchsorted(cdf, levels - 1e-12, side="left")
        return values[np.minimum(pos, values.size - 1)]

    def sample_paths(self, horizon: int, n_paths: int, rng: np.random.Generator) -> np.ndarray:
        self._check_fitted("prob_")
        occurs = rng.random((n_paths, horizon)) < self.prob_
        sizes = rng.choice(self.sizes_, size=(n_paths, horizon), replace=True)
        if self.integer_:
            sizes = np.floor(sizes + rng.random((n_paths, horizon)))
        return np.where(occurs, sizes, 0.0)


@register
class Croston(_ZeroInflated):
    """Croston's method: SES of non-zero sizes and of the intervals between them, one alpha.

    Forecast rate = size / interval; occurrence probability = 1 / interval.
    """

    name = "croston"
    bias_correction: float = 0.0  # SBA: the size is multiplied by 1 - bias_correction * alpha

    def __init__(self, alphas: Sequence[float] = CROSTON_ALPHAS):
        self.alphas = alphas

    def fit(self, y: np.ndarray, exog: Any = None) -> Self:
        y = np.maximum(as_series(y), 0.0)
        at = np.flatnonzero(y > 0)
        if at.size == 0:
            self.alpha_, self.mse_ = float(self.alphas[0]), 0.0
            self._set_distribution(y, 0.0, 0.0)
            return self
        sizes = y[at]
        intervals = np.diff(at, prepend=-1).astype(np.float64)
        init = sizes.mean() / intervals.mean()
        best = None
        for alpha in self.alphas:
            z = ses(sizes, alpha, sizes.mean()) * (1.0 - self.bias_correction * alpha)
            p = ses(intervals, alpha, intervals.mean())
            fitted = _carry_forward(z / p, at, y.size, init)
            mse = float(np.mean((y - fitted) ** 2))
            if best is None or mse < best[0]:
                best = (mse, alpha, z[-1], p[-1])
        self.mse_, self.alpha_, size, interval = best
        self.interval_ = float(interval)
        self._set_distribution(y, 1.0 / max(interval, 1.0), size)
        return self


@register
class SBA(Croston):
    """Syntetos-Boylan approximation: Croston's rate times (1 - alpha/2), which removes
    Croston's positive bias (the occurrence probability stays 1 / interval, the mean size is
    shrunk). The smoothing constant is chosen on the corrected in-sample forecasts."""

    name = "sba"
    bias_correction = 0.5


@register
class TSB(_ZeroInflated):
    """Teunter-Syntetos-Babai: the occurrence probability is smoothed every period (beta),
    the size only when demand occurs (alpha), so the forecast decays through long zero runs.
    """

    name = "tsb"

    def __init__(self, alphas: Sequence[float] = TSB_ALPHAS, betas: Sequence[float] = TSB_BETAS):
        self.alphas = alphas
        self.betas = betas

    def fit(self, y: np.ndarray, exog: Any = None) -> Self:
        y = np.maximum(as_series(y), 0.0)
        at = np.flatnonzero(y > 0)
        if at.size == 0:
            self.alpha_, self.beta_, self.mse_ = float(self.alphas[0]), float(self.betas[0]), 0.0
            self._set_distribution(y, 0.0, 0.0)
            return self
        sizes = y[at]
        occurred = (y > 0).astype(np.float64)
        z = np.array([ses(sizes, a, sizes.mean()) for a in self.alphas])  # (A, K)
        p = np.array([ses(occurred, b, occurred.mean()) for b in self.betas])  # (B, n)
        z_fore = _carry_forward(z, at, y.size, sizes.mean())  # (A, n)
        p_fore = np.concatenate([np.full((p.shape[0], 1), occurred.mean()), p[:, :-1]], axis=1)
        mse = np.mean((y - z_fore[:, None, :] * p_fore[None, :, :]) ** 2, axis=-1)  # (A, B)
        i, j = np.unravel_index(np.argmin(mse), mse.shape)
        self.alpha_, self.beta_ = float(self.alphas[i]), float(self.betas[j])
        self.mse_ = float(mse[i, j])
        self._set_distribution(y, float(p[j, -1]), float(z[i, -1]))
        return self
