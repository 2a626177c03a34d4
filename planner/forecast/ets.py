"""Exponential smoothing (ETS) on a deseasonalised series.

A full seasonal ETS with 52 weekly states is slow and unstable on three years of data, so the
seasonal part is handled by classical decomposition: when the series spans at least two full
seasons and the seasonal pattern is significant (ANOVA of the detrended values by season
position), shrunken seasonal indices (ratio-to-moving-average, or differences when the series
can be zero or negative on average) are removed, a non-seasonal additive-error ETS is fitted with
statsmodels' `ETSModel`, and the indices are put back on the forecasts. The trend form (none,
additive, additive damped) is chosen by AICc. A fit takes a few milliseconds per form.

Paths come from the state-space recursion driven by resampled (centred) residuals, so a
shock in week 3 moves the level of weeks 4.. on the same path; quantiles use the analytic
variance of the additive-error model, sigma^2 * (1 + sum_{j<h} (alpha + beta*phi_j)^2).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any, Self

import numpy as np
from scipy import stats
from statsmodels.tsa.exponential_smoothing.ets import ETSModel

from planner.forecast.base import (
    Forecaster,
    as_series,
    check_levels,
    register,
    single_threaded_blas,
)

TREND_FORMS = ("N", "A", "Ad")
_MIN_OBS = 8  # below this an ETS fit is not attempted (ValueError -> fallback chain)
_MIN_INDEX = 0.1  # floor of multiplicative seasonal indices
SEASONALITY_P = 0.05  # "auto" removes seasonal indices when the ANOVA p-value is below this


def seasonal_indices(y: np.ndarray, m: int, kind: str = "auto") -> tuple[np.ndarray, str, float]:
    """Classical decomposition: per-position indices (length m), their kind and a p-value.

    The series is detrended by a centred moving average, as ratios (multiplicative, indices
    of mean 1) when it is non-negative with a positive moving average and `kind` allows, as
    differences (additive, mean 0) otherwise; position j holds the times t with t % m == j.
    A one-way ANOVA of the detrended values by position gives the F statistic and the p-value
    of "no seasonality"; the indices are shrunk towards flat by the empirical-Bayes factor
    1 - 1/F, which removes most of the noise of indices estimated from two or three years.
    ValueError when "multiplicative" is asked of a series that allows only differences.
    """
    if m % 2 == 0:
        weights = np.r_[0.5, np.ones(m - 1), 0.5] / m
    else:
        weights = np.ones(m) / m
    trend = np.convolve(y, weights, mode="valid")
    offset = weights.size // 2
    t = np.arange(offset, offset + trend.size)
    ratios_ok = bool(y.min() >= 0 and trend.min() > 0)
    if kind == "multiplicative" and not ratios_ok:
        raise ValueError("multiplicative seasonality needs a positive moving average")
    multiplicative = ratios_ok and kind != "additive"
    detrended = y[t] / trend if multiplicative else y[t] - trend
    counts = np.bincount(t % m, minlength=m)
    index = np.bincount(t % m, weights=detrended, minlength=m) / counts
    between = float(np.sum(counts * (index - detrended.mean()) ** 2)) / (m - 1)
    df_within = detrended.size - m
    within = float(np.sum((detrended - index[t % m]) ** 2)) / max(df_within, 1)
    if df_within > 0 and within > 0:
        f_stat = between / within
        p_value = float(stats.f.sf(f_stat, m - 1, df_within))
    else:  # one value per position (no test) or noise-free seasonality
        f_stat, p_value = (np.inf, 0.0) if within == 0 and between > 0 else (np.inf, 1.0)
    shrink = max(0.0, 1.0 - 1.0 / f_stat) if f_stat > 0 else 0.0
    if multiplicative:
        index = index / index.mean()
        index = np.maximum(1.0 + shrink * (index - 1.0), _MIN_INDEX)
        return index / index.mean(), "multiplicative", p_value
    index = index - index.mean()
    return shrink * index, "additive", p_value


@register
class ETS(Forecaster):
    """Additive-error exponential smoothing with AICc choice of trend, seasonality by index.

    Parameters: `season_length` (m; seasonality considered when m > 1), `trends` (candidate
    trend forms among "N", "A", "Ad"), `seasonal` ("auto": indices when detected,
    "multiplicative"/"additive"/"none" to force; forced kinds still need two full seasons).
    """

    name = "ets"

    def __init__(
        self,
        season_length: int = 1,
        trends: Sequence[str] = TREND_FORMS,
        seasonal: str = "auto",
    ):
        self.season_length = season_length
        self.trends = trends
        self.seasonal = seasonal

    def fit(self, y: np.ndarray, exog: Any = None) -> Self:
        y = as_series(y)
        n = y.size
        if n < _MIN_OBS:
            raise ValueError(f"ets needs at least {_MIN_OBS} observations, got {n}")
        unknown = set(self.trends) - set(TREND_FORMS)
        if unknown or not self.trends:
            raise ValueError(
                f"trends must be a non-empty subset of {TREND_FORMS}, got {self.trends}"
            )
        m = int(self.season_length)
        self.n_obs_ = n
        self.season_index_, self.season_kind_ = self._deseasonalise_setup(y, m)
        x = self._deseasonalise(y, 0)
        if np.ptp(x) == 0:  # constant: no noise to estimate, ETSModel would divide by zero
            self._set_state("N", 0.0, 0.0, 1.0, float(x[-1]), 0.0, np.zeros(1), np.nan)
            return self
        best = None
        with warnings.catch_warnings(), np.errstate(all="ignore"), single_threaded_blas():
            warnings.simplefilter("ignore")
            for form in self.trends:
                result = ETSModel(
                    x,
                    error="add",
                    trend=None if form == "N" else "add",
                    damped_trend=form == "Ad",
                ).fit(disp=False)
                if np.isfinite(result.aicc) and (best is None or result.aicc < best[1].aicc):
                    best = (form, result)
        if best is None:
            raise ValueError("no ETS form could be fitted (non-finite likelihood)")
        form, result = best
        params = dict(zip(result.param_names, np.asarray(result.params), strict=True))
        states = np.asarray(result.states)[-1]
        resid = np.asarray(result.resid, dtype=np.float64)
        if not (np.all(np.isfinite(states)) and np.all(np.isfinite(resid))):
            raise FloatingPointError("ETS fit produced non-finite states")
        self._set_state(
            form,
            float(params["smoothing_level"]),
            float(params.get("smoothing_trend", 0.0)),
            float(params.get("damping_trend", 1.0)),
            float(states[0]),
            float(states[1]) if form != "N" else 0.0,
            resid,
            float(result.aicc),
        )
        return self

    def clone_for_refit(self) -> ETS:
        """A copy that refits only the trend form chosen by this fit (one ETSModel fit)."""
        self._check_fitted("trend_")
        return type(self)(self.season_length, trends=(self.trend_,), seasonal=self.seasonal)

    def _deseasonalise_setup(self, y: np.ndarray, m: int) -> tuple[np.ndarray | None, str]:
        if self.seasonal not in ("auto", "multiplicative", "additive", "none"):
            raise ValueError(
                f"seasonal must be auto|multiplicative|additive|none, got {self.seasonal!r}"
            )
        if self.seasonal == "none" or m < 2 or y.size < 2 * m:
            return None, "none"
        index, kind, p_value = seasonal_indices(y, m, self.seasonal)
        if self.seasonal == "auto" and p_value >= SEASONALITY_P:
            return None, "none"
        return index, kind

    def _index_at(self, start: int, length: int) -> np.ndarray:
        """Seasonal index for times start..start+length-1 (time 0 = first observation)."""
        pos = np.arange(start, start + length) % self.season_index_.size
        return self.season_index_[pos]

    def _deseasonalise(self, y: np.ndarray, start: int) -> np.ndarray:
        if self.season_index_ is None:
            return y
        idx = self._index_at(start, y.size)
        return y / idx if self.season_kind_ == "multiplicative" else y - idx

    def _reseasonalise(self, x: np.ndarray) -> np.ndarray:
        """Put the seasonal index back on future values x (..., horizon)."""
        if self.season_index_ is None:
            return x
        idx = self._index_at(self.n_obs_, x.shape[-1])
        return x * idx if self.season_kind_ == "multiplicative" else x + idx

    def _set_state(self, form, alpha, beta, phi, level, slope, resid, aicc) -> None:
        self.trend_ = form
        self.alpha_, self.beta_, self.phi_ = alpha, beta, phi
        self.level_, self.slope_ = level, slope
        self.resid_ = resid - resid.mean()
        self.sigma_ = float(np.sqrt(np.mean(resid**2)))
        self.aicc_ = aicc

    def _cum_phi(self, horizon: int) -> np.ndarray:
        """phi_h = phi + phi^2 + ... + phi^h for h = 1..horizon (h when undamped)."""
        return np.cumsum(self.phi_ ** np.arange(1, horizon + 1))

    def predict(self, horizon: int) -> np.ndarray:
        self._check_fitted("level_")
        mean = self.level_ + self._cum_phi(horizon) * self.slope_
        return self._reseasonalise(mean)

    def _sd(self, horizon: int) -> np.ndarray:
        c = self.alpha_ + self.beta_ * self._cum_phi(horizon)  # c_j for j = 1..horizon
        var = 1.0 + np.r_[0.0, np.cumsum(c[:-1] ** 2)]
        sd = self.sigma_ * np.sqrt(var)
        if self.season_kind_ == "multiplicative":
            sd = sd * self._index_at(self.n_obs_, horizon)
        return sd

    def quantiles(self, horizon: int, levels: Sequence[float]) -> np.ndarray:
        z = stats.norm.ppf(check_levels(levels))
        return self.predict(horizon)[None, :] + z[:, None] * self._sd(horizon)[None, :]

    def sample_paths(self, horizon: int, n_paths: int, rng: np.random.Generator) -> np.ndarray:
        self._check_fitted("level_")
        errors = rng.choice(self.resid_, size=(n_paths, horizon), replace=True)
        level = np.full(n_paths, self.level_)
        slope = np.full(n_paths, self.slope_)
        paths = np.empty((n_paths, horizon))
        for h in range(horizon):
            e = errors[:, h]
            damped = self.phi_ * slope
            paths[:, h] = level + damped + e
            level = level + damped + self.alpha_ * e
            slope = damped + self.beta_ * e
        return self._reseasonalise(paths)
