"""Exponential smoothing (ETS) on a deseasonalised series, and the seasonal adjustment that
ETS, Theta and ARIMA share.

A full seasonal ETS with 52 weekly states is slow and unstable on three years of data, so the
seasonal part is handled by classical decomposition (`SeasonalAdjustment`): when the series
spans at least two full seasons and the seasonal pattern is significant (ANOVA of the detrended
values by season position), shrunken seasonal indices (ratio-to-moving-average, or differences
when the series can be zero or negative on average) are removed, a non-seasonal ETS is fitted
with statsmodels' `ETSModel`, and the indices are put back on the forecasts.

Forms are chosen by AICc, stepwise: the trend form (none, additive, additive damped) with
additive errors first, then, for a strictly positive series, multiplicative errors with that
trend. A fit takes a few milliseconds per form; `clone_for_refit` freezes the chosen forms.

Paths come from the state-space recursion driven by resampled (centred) residuals, so a shock
in week 3 moves the level of weeks 4.. on the same path. Quantiles of the additive-error model
use its analytic variance, sigma^2 * (1 + sum_{j<h} (alpha + beta*phi_j)^2); those of the
multiplicative-error model come from 4,000 simulated paths with normal relative errors drawn
from a fixed generator (so they are deterministic).
"""

from __future__ import annotations

import copy
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any, Self

import numpy as np
from scipy import stats
from statsmodels.tsa.exponential_smoothing.ets import ETSModel

from planner.forecast.base import (
    Forecaster,
    as_series,
    check_levels,
    normal_quantiles,
    register,
    single_threaded_blas,
)

TREND_FORMS = ("N", "A", "Ad")
ERROR_FORMS = ("add", "mul")
SEASONAL_KINDS = ("auto", "multiplicative", "additive", "none")
_MIN_OBS = 8  # below this an ETS fit is not attempted (ValueError -> fallback chain)
_MIN_INDEX = 0.1  # floor of multiplicative seasonal indices
_MC_PATHS = 4000  # simulated paths behind the quantiles of multiplicative-error models
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


@dataclass(frozen=True)
class SeasonalAdjustment:
    """Seasonal indices removed before a non-seasonal model is fitted and put back after.

    `index` has one value per season position (None: no adjustment), `kind` is
    "multiplicative", "additive" or "none", `n_obs` the length of the fitted series (the
    horizon starts at time n_obs, time 0 being the first observation).
    """

    index: np.ndarray | None
    kind: str
    n_obs: int

    @classmethod
    def estimate(cls, y: np.ndarray, m: int, seasonal: str = "auto") -> SeasonalAdjustment:
        """Indices of `y` for season length `m`: none when m < 2, the series is shorter than
        two seasons, `seasonal` is "none", or ("auto") the ANOVA p-value is >= SEASONALITY_P."""
        if seasonal not in SEASONAL_KINDS:
            raise ValueError(
                f"seasonal must be one of {'|'.join(SEASONAL_KINDS)}, got {seasonal!r}"
            )
        if seasonal == "none" or m < 2 or y.size < 2 * m:
            return cls(None, "none", y.size)
        index, kind, p_value = seasonal_indices(y, m, seasonal)
        if seasonal == "auto" and p_value >= SEASONALITY_P:
            return cls(None, "none", y.size)
        return cls(index, kind, y.size)

    def at(self, start: int, length: int) -> np.ndarray:
        """Index values for times start..start+length-1."""
        assert self.index is not None
        return self.index[np.arange(start, start + length) % self.index.size]

    def remove(self, y: np.ndarray) -> np.ndarray:
        """The fitted series without its seasonal component."""
        if self.index is None:
            return y
        idx = self.at(0, y.size)
        return y / idx if self.kind == "multiplicative" else y - idx

    def restore(self, x: np.ndarray) -> np.ndarray:
        """Future values x (..., horizon) with the seasonal component put back."""
        if self.index is None:
            return x
        idx = self.at(self.n_obs, x.shape[-1])
        return x * idx if self.kind == "multiplicative" else x + idx

    def scale(self, horizon: int) -> np.ndarray:
        """Factor on future standard deviations: the index when multiplicative, else 1."""
        if self.kind != "multiplicative":
            return np.ones(horizon)
        return self.at(self.n_obs, horizon)


@register
class ETS(Forecaster):
    """Exponential smoothing with AICc choice of trend and error forms, seasonality by index.

    Parameters: `season_length` (m; seasonality considered when m > 1), `trends` (candidate
    trend forms among "N", "A", "Ad"), `errors` (candidate error forms among "add", "mul";
    "mul" is tried only on a strictly positive series), `seasonal` ("auto": indices when
    detected, "multiplicative"/"additive"/"none" to force; forced kinds still need two full
    seasons).
    """

    name = "ets"
    expensive = True

    def __init__(
        self,
        season_length: int = 1,
        trends: Sequence[str] = TREND_FORMS,
        errors: Sequence[str] = ERROR_FORMS,
        seasonal: str = "auto",
    ):
        self.season_length = season_length
        self.trends = trends
        self.errors = errors
        self.seasonal = seasonal

    def fit(self, y: np.ndarray, exog: Any = None) -> Self:
        y = as_series(y)
        n = y.size
        if n < _MIN_OBS:
            raise ValueError(f"ets needs at least {_MIN_OBS} observations, got {n}")
        if set(self.trends) - set(TREND_FORMS) or not self.trends:
            raise ValueError(
                f"trends must be a non-empty subset of {TREND_FORMS}, got {self.trends}"
            )
        if set(self.errors) - set(ERROR_FORMS) or not self.errors:
            raise ValueError(
                f"errors must be a non-empty subset of {ERROR_FORMS}, got {self.errors}"
            )
        self.season_ = SeasonalAdjustment.estimate(y, int(self.season_length), self.seasonal)
        x = self.season_.remove(y)
        if np.ptp(x) == 0:  # constant: no noise to estimate, ETSModel would divide by zero
            self._set_state("N", "add", 0.0, 0.0, 1.0, float(x[-1]), 0.0, np.zeros(1), np.nan)
            self.init_ = (float(x[0]), 0.0)
            return self
        best = None
        errors = [e for e in ERROR_FORMS if e in self.errors and (e == "add" or x.min() > 0)]
        if not errors:
            raise ValueError("multiplicative errors need a strictly positive series")
        with warnings.catch_warnings(), np.errstate(all="ignore"), single_threaded_blas():
            warnings.simplefilter("ignore")
            for form in self.trends:  # trend forms with the first error form
                best = _better(best, form, errors[0], x)
            for error in errors[1:]:  # then the other error form with the best trend
                best = _better(best, best[0] if best else self.trends[0], error, x)
        if best is None:
            raise ValueError("no ETS form could be fitted (non-finite likelihood)")
        form, error, result = best
        params = dict(zip(result.param_names, np.asarray(result.params), strict=True))
        states = np.asarray(result.states)[-1]
        resid = np.asarray(result.resid, dtype=np.float64)
        if not (np.all(np.isfinite(states)) and np.all(np.isfinite(resid))):
            raise FloatingPointError("ETS fit produced non-finite states")
        self._set_state(
            form,
            error,
            float(params["smoothing_level"]),
            float(params.get("smoothing_trend", 0.0)),
            float(params.get("damping_trend", 1.0)),
            float(states[0]),
            float(states[1]) if form != "N" else 0.0,
            resid,
            float(result.aicc),
        )
        self.init_ = (float(params["initial_level"]), float(params.get("initial_trend", 0.0)))
        return self

    def extend(self, y: np.ndarray) -> ETS:
        """This model on a longer series `y` (starting with the fitted one) without
        re-estimating its smoothing parameters: the seasonal indices are re-estimated (cheap;
        stale indices would make backtests pessimistic) and the state recursion is re-run
        from the fitted initial states."""
        self._check_fitted("level_")
        y = as_series(y)
        if y.size < self.season_.n_obs:
            raise ValueError(f"extend needs at least the {self.season_.n_obs} fitted observations")
        season = replace(self.season_, n_obs=y.size)
        if season.index is not None:
            try:
                index = seasonal_indices(y, season.index.size, season.kind)[0]
                season = SeasonalAdjustment(index, season.kind, y.size)
            except ValueError:
                pass  # ratios impossible on the new data: keep the fitted indices
        x = season.remove(y)
        level, slope = self.init_
        errors = np.empty(x.size)
        for t, value in enumerate(x):
            damped = self.phi_ * slope
            fitted = level + damped
            if self.error_ == "mul":
                e = (value - fitted) / fitted if fitted > 0 else 0.0
                step = e * fitted
            else:
                e = step = value - fitted
            errors[t] = e
            level = fitted + self.alpha_ * step
            slope = damped + self.beta_ * step
        out = copy.copy(self)
        out.season_, out.level_, out.slope_ = season, float(level), float(slope)
        out.resid_ = errors - errors.mean()
        return out

    def clone_for_refit(self) -> ETS:
        """A copy that refits only the forms chosen by this fit (one ETSModel fit)."""
        self._check_fitted("trend_")
        return type(self)(
            self.season_length, trends=(self.trend_,), errors=(self.error_,), seasonal=self.seasonal
        )

    def _set_state(self, form, error, alpha, beta, phi, level, slope, resid, aicc) -> None:
        self.trend_, self.error_ = form, error
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
        return self.season_.restore(mean)

    def _sd(self, horizon: int) -> np.ndarray:
        """Standard deviation of the additive-error model at steps 1..horizon."""
        c = self.alpha_ + self.beta_ * self._cum_phi(horizon)  # c_j for j = 1..horizon
        var = 1.0 + np.r_[0.0, np.cumsum(c[:-1] ** 2)]
        return self.sigma_ * np.sqrt(var) * self.season_.scale(horizon)

    def quantiles(self, horizon: int, levels: Sequence[float]) -> np.ndarray:
        levels = check_levels(levels)
        if self.error_ == "mul":
            return np.quantile(self._mc_paths(horizon), levels, axis=0)
        return normal_quantiles(self.predict(horizon), self._sd(horizon), levels)

    def quantiles_by_step(self, levels: np.ndarray) -> np.ndarray:
        levels = np.asarray(levels, dtype=np.float64)
        check_levels(levels)
        h = levels.shape[1]
        if self.error_ == "mul":
            paths = self._mc_paths(h)
            return np.column_stack([np.quantile(paths[:, j], levels[:, j]) for j in range(h)])
        return normal_quantiles(self.predict(h), self._sd(h), levels)

    def _mc_paths(self, horizon: int) -> np.ndarray:
        """Paths of the multiplicative-error model with normal errors, fixed generator."""
        self._check_fitted("level_")
        shocks = np.random.default_rng(0).normal(0.0, self.sigma_, size=(_MC_PATHS, horizon))
        return self.season_.restore(self._simulate(shocks))

    def sample_paths(self, horizon: int, n_paths: int, rng: np.random.Generator) -> np.ndarray:
        self._check_fitted("level_")
        errors = rng.choice(self.resid_, size=(n_paths, horizon), replace=True)
        return self.season_.restore(self._simulate(errors))

    def _simulate(self, errors: np.ndarray) -> np.ndarray:
        """The state-space recursion driven by errors (n_paths, horizon): additive errors
        in units, multiplicative ones relative to the one-step forecast."""
        n_paths, horizon = errors.shape
        level = np.full(n_paths, self.level_)
        slope = np.full(n_paths, self.slope_)
        paths = np.empty((n_paths, horizon))
        for h in range(horizon):
            damped = self.phi_ * slope
            fitted = level + damped
            e = errors[:, h] * fitted if self.error_ == "mul" else errors[:, h]
            paths[:, h] = fitted + e
            level = fitted + self.alpha_ * e
            slope = damped + self.beta_ * e
        return paths


def _better(best, form: str, error: str, x: np.ndarray):
    """(form, error, result) of the better of `best` and a fit of (error, form) by AICc."""
    result = ETSModel(
        x,
        error=error,
        trend=None if form == "N" else "add",
        damped_trend=form == "Ad",
    ).fit(disp=False)
    if np.isfinite(result.aicc) and (best is None or result.aicc < best[2].aicc):
        return form, error, result
    return best
