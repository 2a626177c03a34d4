"""Forecast accuracy metrics (numpy, vectorised).

Point metrics take `y_true` and `y_pred` of the same (broadcastable) shape and average over
`axis` (all entries by default). Scaled metrics (MASE, RMSSE) divide by the in-sample error of
the seasonal naive forecast on `y_train`. Probabilistic metrics: `pinball_loss` takes
quantiles with the level axis second to last, `crps` takes samples with the path axis second
to last, matching `PanelForecast.quantiles` and `.paths`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

Axis = int | tuple[int, ...] | None


def _pair(y_true, y_pred) -> tuple[np.ndarray, np.ndarray]:
    return np.asarray(y_true, dtype=np.float64), np.asarray(y_pred, dtype=np.float64)


def mae(y_true, y_pred, axis: Axis = None) -> np.ndarray | float:
    """Mean absolute error."""
    t, p = _pair(y_true, y_pred)
    return np.mean(np.abs(t - p), axis=axis)


def rmse(y_true, y_pred, axis: Axis = None) -> np.ndarray | float:
    """Root mean squared error."""
    t, p = _pair(y_true, y_pred)
    return np.sqrt(np.mean((t - p) ** 2, axis=axis))


def bias(y_true, y_pred, axis: Axis = None) -> np.ndarray | float:
    """Mean of forecast minus actual: positive means over-forecasting."""
    t, p = _pair(y_true, y_pred)
    return np.mean(p - t, axis=axis)


def smape(y_true, y_pred, axis: Axis = None) -> np.ndarray | float:
    """Symmetric MAPE in percent, 200*|y - f| / (|y| + |f|); a period where both are 0 counts 0."""
    t, p = _pair(y_true, y_pred)
    denom = np.abs(t) + np.abs(p)
    ratio = np.divide(np.abs(t - p), denom, out=np.zeros(np.broadcast(t, p).shape), where=denom > 0)
    return 200.0 * np.mean(ratio, axis=axis)


def _naive_scale(y_train, season_length: int, power: int) -> np.ndarray:
    """Mean |seasonal difference|^power of the training series along its last axis."""
    train = np.asarray(y_train, dtype=np.float64)
    m = season_length if train.shape[-1] > season_length else 1
    diffs = np.abs(train[..., m:] - train[..., :-m]) ** power
    return np.mean(diffs, axis=-1)


def mase(y_true, y_pred, y_train, season_length: int = 1) -> np.ndarray | float:
    """Mean absolute scaled error over the last axis (per series when inputs are 2-D).

    The scale is the in-sample MAE of the seasonal naive forecast (naive when the training
    series is not longer than one season); a zero scale gives inf (or nan for a perfect fit).
    """
    t, p = _pair(y_true, y_pred)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.mean(np.abs(t - p), axis=-1) / _naive_scale(y_train, season_length, 1)


def rmsse(y_true, y_pred, y_train, season_length: int = 1) -> np.ndarray | float:
    """Root mean squared scaled error (M5 competition) over the last axis."""
    t, p = _pair(y_true, y_pred)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.sqrt(np.mean((t - p) ** 2, axis=-1) / _naive_scale(y_train, season_length, 2))


def pinball_loss(y_true, q_pred, levels: Sequence[float], axis: Axis = None) -> np.ndarray | float:
    """Mean quantile (pinball) loss.

    `q_pred` has shape (..., len(levels), horizon) and `y_true` (..., horizon); the loss of
    level tau is max(tau*(y - q), (tau-1)*(y - q)), averaged over `axis` of the loss array
    (..., len(levels), horizon), all entries by default.
    """
    t = np.asarray(y_true, dtype=np.float64)[..., None, :]
    q = np.asarray(q_pred, dtype=np.float64)
    tau = np.asarray(levels, dtype=np.float64)[:, None]
    diff = t - q
    return np.mean(np.maximum(tau * diff, (tau - 1.0) * diff), axis=axis)


def coverage(y_true, lower, upper, axis: Axis = None) -> np.ndarray | float:
    """Share of actuals inside [lower, upper] (both ends included)."""
    t = np.asarray(y_true, dtype=np.float64)
    inside = (t >= np.asarray(lower, dtype=np.float64)) & (t <= np.asarray(upper, dtype=np.float64))
    return np.mean(inside, axis=axis)


def crps(y_true, samples, axis: Axis = None) -> np.ndarray | float:
    """Continuous ranked probability score from samples, E|X - y| - E|X - X'|/2.

    `samples` has shape (..., n_paths, horizon) and `y_true` (..., horizon). The pairwise term
    uses the sorted-sample identity E|X - X'| = 2/n^2 * sum_i (2i - n - 1) x_(i), so the cost is
    O(n log n). The per-entry scores (..., horizon) are averaged over `axis`.
    """
    x = np.sort(np.asarray(samples, dtype=np.float64), axis=-2)
    t = np.asarray(y_true, dtype=np.float64)
    n = x.shape[-2]
    first = np.mean(np.abs(x - t[..., None, :]), axis=-2)
    weights = (2.0 * np.arange(1, n + 1) - n - 1.0)[:, None]
    spread = 2.0 / n**2 * np.sum(weights * x, axis=-2)
    return np.mean(first - 0.5 * spread, axis=axis)
