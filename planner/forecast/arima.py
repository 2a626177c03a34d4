"""ARIMA and seasonal ARIMA with an automatic, bounded order search.

The search follows Hyndman & Khandakar (2008), the algorithm of R's auto.arima:

1. Seasonal differencing D (0 or 1), for seasons of up to `MAX_SARIMA_SEASON` periods
   (monthly, quarterly data): D = 1 when the seasonal strength of a classical decomposition,
   1 - var(remainder) / var(detrended), exceeds 0.64. Longer seasons (52 weeks: three years
   hold only three cycles) are removed by the seasonal indices ETS uses
   (`SeasonalAdjustment`) and the ARIMA part is non-seasonal.
2. Differencing d (0..2): repeated KPSS tests of level stationarity (statsmodels' `kpss`,
   5% level) on the seasonally differenced series.
3. Orders (p, q) <= (3, 3), seasonal (P, Q) <= (1, 1), p+q+P+Q <= 5, and a constant when
   d + D <= 1: a stepwise search from four starting models, moving to the best neighbour
   (one order +-1, p and q together, the constant toggled) while the AICc improves, at most
   `max_models` fits.

Each candidate is estimated by conditional sum of squares (CSS): the differenced series is
filtered through the AR and MA polynomials (`scipy.signal.lfilter`) and the squared
innovations are minimised by Levenberg-Marquardt; every candidate conditions on the same
number of leading observations so that their AICc values compare. Fits that are not
stationary or not invertible are discarded. A CSS fit costs about a millisecond, a full
search a few dozen fits.

Forecasts run the difference equation of the integrated model forward; the forecast variance
is sigma^2 * sum_{j<h} psi_j^2 with psi weights from statsmodels' `arma2ma`; quantiles are
normal; sample paths run the same recursion driven by resampled in-sample innovations, so they
keep the model's week-to-week dependence. `extend` filters later observations with the
estimated coefficients (backtests); a refit searches the orders again.
"""

from __future__ import annotations

import copy
import warnings
from dataclasses import dataclass, replace
from typing import Any, Self

import numpy as np
from scipy.signal import lfilter
from statsmodels.tsa.arima_process import arma2ma
from statsmodels.tsa.stattools import kpss

from planner.forecast.base import GaussianForecaster, as_series, register
from planner.forecast.ets import SeasonalAdjustment, seasonal_indices

MAX_SARIMA_SEASON = 24
"""Longest season modelled by seasonal ARIMA terms; longer ones use seasonal indices."""
SEASONAL_STRENGTH = 0.64
KPSS_ALPHA = 0.05
_MIN_OBS = 10
MAX_ITERATIONS = 20
"""Levenberg-Marquardt iterations per CSS fit (near a unit MA root it creeps; the AICc
hardly moves after a few iterations)."""
_ROOT_MARGIN = 1.001


@dataclass(frozen=True)
class Spec:
    """One ARIMA specification: (p, d, q) x (P, D, Q)_m with or without a constant."""

    p: int
    d: int
    q: int
    P: int = 0
    D: int = 0
    Q: int = 0
    m: int = 1
    constant: bool = False

    @property
    def n_params(self) -> int:
        return self.p + self.q + self.P + self.Q + int(self.constant)

    @property
    def n_ar(self) -> int:
        return self.p + self.P * self.m

    def factors(self, params: np.ndarray) -> tuple[np.ndarray, ...]:
        """Non-seasonal and seasonal AR and MA lag polynomials and the mean:
        (phi(B), Phi(B^m), theta(B), Theta(B^m), mean), AR ones as [1, -phi_1, ...]."""
        p, q, P, Q, m = self.p, self.q, self.P, self.Q, self.m
        ar = np.zeros(p + 1)
        ar[0] = 1.0
        ar[1:] = -params[:p]
        ma = np.zeros(q + 1)
        ma[0] = 1.0
        ma[1:] = params[p : p + q]
        sar = np.zeros(P * m + 1)
        sar[0] = 1.0
        sar[m::m] = -params[p + q : p + q + P]
        sma = np.zeros(Q * m + 1)
        sma[0] = 1.0
        sma[m::m] = params[p + q + P : p + q + P + Q]
        mean = float(params[-1]) if self.constant else 0.0
        return ar, sar, ma, sma, mean

    def polynomials(self, params: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
        """AR polynomial [1, -phi_1, ...] and MA polynomial [1, theta_1, ...] (seasonal parts
        multiplied in) and the mean of the differenced series."""
        ar, sar, ma, sma, mean = self.factors(params)
        return np.convolve(ar, sar), np.convolve(ma, sma), mean

    def differencing(self) -> np.ndarray:
        """The polynomial (1 - B)^d (1 - B^m)^D."""
        poly = np.array([1.0])
        for _ in range(self.d):
            poly = np.convolve(poly, [1.0, -1.0])
        for _ in range(self.D):
            seasonal = np.zeros(self.m + 1)
            seasonal[0], seasonal[-1] = 1.0, -1.0
            poly = np.convolve(poly, seasonal)
        return poly


def difference(y: np.ndarray, d: int, D: int = 0, m: int = 1) -> np.ndarray:
    w = y
    for _ in range(D):
        w = w[m:] - w[:-m]
    for _ in range(d):
        w = np.diff(w)
    return w


def innovations(spec: Spec, params: np.ndarray, w: np.ndarray, n_cond: int) -> np.ndarray:
    """CSS innovations of the differenced series w, conditioning on its first n_cond values
    (innovations before them are taken as 0)."""
    ar, ma, mean = spec.polynomials(params)
    z = w - mean
    u = np.convolve(z, ar)[n_cond : z.size] if ar.size > 1 else z[n_cond:]
    return lfilter([1.0], ma, u) if ma.size > 1 else u


def _shift(x: np.ndarray, lag: int) -> np.ndarray:
    """x delayed by `lag` (zeros shifted in)."""
    if lag == 0:
        return x
    out = np.zeros_like(x)
    out[lag:] = x[:-lag]
    return out


def innovations_and_jacobian(
    spec: Spec, params: np.ndarray, w: np.ndarray, n_cond: int
) -> tuple[np.ndarray, np.ndarray]:
    """CSS innovations e and their derivatives d e / d params, shape (len(e), n_params).

    With e = (phi(B) Phi(B^m) / (theta(B) Theta(B^m))) (w - mean):
    d e / d phi_i = -Phi(B^m) B^i z / ma(B), d e / d theta_j = -Theta(B^m) B^j e / ma(B),
    and alike for the seasonal factors; d e / d mean = -phi(1) Phi(1) / ma(B) 1.
    """
    ar_n, ar_s, ma_n, ma_s, mean = spec.factors(params)
    ar, ma = np.convolve(ar_n, ar_s), np.convolve(ma_n, ma_s)
    z = w - mean
    n = z.size
    u = np.convolve(z, ar)[n_cond:n]
    e = lfilter([1.0], ma, u)
    columns = []
    if spec.p:
        v = np.convolve(z, ar_s)
        columns += [-v[n_cond - i : n - i] for i in range(1, spec.p + 1)]
    if spec.q:
        g = np.convolve(e, ma_s)[: e.size]
        columns += [-_shift(g, j) for j in range(1, spec.q + 1)]
    if spec.P:
        v = np.convolve(z, ar_n)
        m = spec.m
        columns += [-v[n_cond - k * m : n - k * m] for k in range(1, spec.P + 1)]
    if spec.Q:
        g = np.convolve(e, ma_n)[: e.size]
        columns += [-_shift(g, k * spec.m) for k in range(1, spec.Q + 1)]
    if spec.constant:
        columns.append(np.full(e.size, -float(np.sum(ar))))
    jac = lfilter([1.0], ma, np.column_stack(columns), axis=0)
    return e, jac


def levenberg_marquardt(spec: Spec, x0: np.ndarray, w: np.ndarray, n_cond: int) -> np.ndarray:
    """Minimise the CSS by Levenberg-Marquardt with the analytic Jacobian."""
    x = x0
    e, jac = innovations_and_jacobian(spec, x, w, n_cond)
    sse = float(e @ e)
    damping = 1e-3
    for _ in range(MAX_ITERATIONS):
        a = jac.T @ jac
        g = jac.T @ e
        diag = np.diag(a).copy()
        diag[diag <= 0] = 1e-12
        try:
            step = np.linalg.solve(a + damping * np.diag(diag), -g)
        except np.linalg.LinAlgError:
            break
        x_new = x + step
        e_new, jac_new = innovations_and_jacobian(spec, x_new, w, n_cond)
        sse_new = float(e_new @ e_new)
        if np.isfinite(sse_new) and sse_new < sse:
            converged = sse - sse_new <= 1e-6 * sse
            x, e, jac, sse = x_new, e_new, jac_new, sse_new
            damping = max(damping / 10, 1e-9)
            if converged:
                break
        else:
            damping *= 10
            if damping > 1e8:
                break
    return x


def _stable(poly: np.ndarray) -> bool:
    """All roots of the lag polynomial lie outside the unit circle."""
    if poly.size <= 1 or not np.any(poly[1:]):
        return True
    roots = np.roots(poly[::-1])
    return bool(np.all(np.abs(roots) > _ROOT_MARGIN))


@dataclass(frozen=True)
class CSSFit:
    spec: Spec
    params: np.ndarray
    resid: np.ndarray
    sigma2: float
    aicc: float


def css_fit(spec: Spec, w: np.ndarray, n_cond: int | None = None) -> CSSFit | None:
    """Estimate `spec` on the differenced series w by conditional sum of squares; None when
    the fit fails, is not stationary/invertible or leaves too few observations."""
    n_cond = spec.n_ar if n_cond is None else max(n_cond, spec.n_ar)
    n_eff = w.size - n_cond
    k = spec.n_params + 1
    if n_eff <= k + 1:
        return None
    x0 = np.zeros(spec.n_params)
    if spec.constant:
        x0[-1] = float(np.mean(w))
    scale = float(np.std(w)) or 1.0
    if spec.n_params == int(spec.constant):  # white noise (+ mean): closed form
        params = x0
    else:
        with np.errstate(all="ignore"):
            params = levenberg_marquardt(spec, x0, w, n_cond)
    ar, ma, _ = spec.polynomials(params)
    if not (_stable(ar) and _stable(ma)):
        return None
    resid = innovations(spec, params, w, n_cond)
    sse = float(np.sum(resid**2))
    if not np.isfinite(sse):
        return None
    sigma2 = max(sse / n_eff, 1e-12 * scale**2)
    loglik = -0.5 * n_eff * (np.log(2 * np.pi * sigma2) + 1.0)
    aicc = -2.0 * loglik + 2.0 * k + 2.0 * k * (k + 1) / (n_eff - k - 1)
    return CSSFit(spec, params, resid, sigma2, float(aicc))


def seasonal_strength(y: np.ndarray, m: int) -> float:
    """1 - var(remainder) / var(detrended) of a classical (additive or ratio) decomposition."""
    weights = np.r_[0.5, np.ones(m - 1), 0.5] / m if m % 2 == 0 else np.ones(m) / m
    trend = np.convolve(y, weights, mode="valid")
    t = np.arange(weights.size // 2, weights.size // 2 + trend.size)
    ratios = bool(y.min() > 0 and trend.min() > 0)
    detrended = y[t] / trend if ratios else y[t] - trend
    index = np.bincount(t % m, weights=detrended, minlength=m) / np.bincount(t % m, minlength=m)
    remainder = detrended - index[t % m]
    total = float(np.var(detrended))
    return 0.0 if total == 0 else max(0.0, 1.0 - float(np.var(remainder)) / total)


def kpss_differences(w: np.ndarray, max_d: int = 2) -> int:
    """Number of first differences until the KPSS test no longer rejects level stationarity."""
    d = 0
    while d < max_d and w.size > 10 and np.ptp(w) > 0:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            p_value = kpss(w, regression="c", nlags="auto")[1]
        if p_value >= KPSS_ALPHA:
            break
        w = np.diff(w)
        d += 1
    return d


@register
class ARIMA(GaussianForecaster):
    """(Seasonal) ARIMA by conditional sum of squares with an automatic order search.

    Parameters: `season_length` (m), `order` ((p, d, q); None: searched), `seasonal_order`
    ((P, D, Q) with period m; None: searched when m <= 24), `constant` (None: searched when
    d + D <= 1), `seasonal` ("auto": SARIMA terms for m <= 24, seasonal indices for longer
    seasons; "indices" or "none" to force), bounds `max_p`, `max_q` (and P, Q <= 1), and
    `max_models` (fits in the stepwise search).
    """

    name = "arima"
    expensive = True
    demand_classes = frozenset({"smooth", "erratic"})

    def __init__(
        self,
        season_length: int = 1,
        order: tuple[int, int, int] | None = None,
        seasonal_order: tuple[int, int, int] | None = None,
        constant: bool | None = None,
        seasonal: str = "auto",
        max_p: int = 3,
        max_q: int = 3,
        max_models: int = 30,
    ):
        self.season_length = season_length
        self.order = order
        self.seasonal_order = seasonal_order
        self.constant = constant
        self.seasonal = seasonal
        self.max_p = max_p
        self.max_q = max_q
        self.max_models = max_models

    def fit(self, y: np.ndarray, exog: Any = None) -> Self:
        y = as_series(y)
        if y.size < _MIN_OBS:
            raise ValueError(f"arima needs at least {_MIN_OBS} observations, got {y.size}")
        if self.seasonal not in ("auto", "indices", "none"):
            raise ValueError(f"seasonal must be auto|indices|none, got {self.seasonal!r}")
        m = int(self.season_length)
        sarima = self.seasonal == "auto" and 2 <= m <= MAX_SARIMA_SEASON
        if self.seasonal == "none" or sarima:
            self.season_ = SeasonalAdjustment(None, "none", y.size)
        else:
            self.season_ = SeasonalAdjustment.estimate(y, m)
        x = self.season_.remove(y)
        if np.ptp(x) == 0:
            fit = CSSFit(Spec(0, 0, 0, constant=True), np.array([x[0]]), np.zeros(1), 0.0, np.nan)
        else:
            fit = self._search(x, m if sarima else 1)
        self._set_state(fit, x)
        return self

    def _search(self, x: np.ndarray, m: int) -> CSSFit:
        seasonal_ok = m > 1 and x.size >= 2 * m + _MIN_OBS
        if not seasonal_ok:
            P = D = Q = 0
        elif self.seasonal_order is not None:
            P, D, Q = (int(v) for v in self.seasonal_order)
        else:
            P = Q = 1
            D = int(seasonal_strength(x, m) > SEASONAL_STRENGTH)
        m = m if (P or D or Q) else 1
        d = (
            int(self.order[1])
            if self.order is not None
            else kpss_differences(difference(x, 0, D, m))
        )
        w = difference(x, d, D, m)
        if w.size < _MIN_OBS:
            raise ValueError(f"arima: {w.size} observations left after differencing")
        constant = self.constant if self.constant is not None else d + D <= 1
        if self.order is not None and self.seasonal_order is not None:
            p, _, q = (int(v) for v in self.order)
            fit = css_fit(Spec(p, d, q, P, D, Q, m, bool(constant)), w)
            if fit is not None:
                return fit
            # the given orders are not stationary/invertible on this data: search instead
            return self._stepwise(w, d, D, m, P, Q, bool(constant), free=True)
        return self._stepwise(w, d, D, m, P, Q, bool(constant))

    def _stepwise(self, w, d, D, m, max_P, max_Q, constant, free: bool = False) -> CSSFit:
        """Hyndman-Khandakar stepwise search over (p, q, P, Q) and the constant (over the
        given (p, q) only when `order` is set, unless `free`)."""
        fixed_order = self.order is not None and not free
        max_p = int(self.order[0]) if fixed_order else int(self.max_p)

        def too_short(max_p: int, max_P: int) -> bool:
            k = max_p + self.max_q + max_P + max_Q + 2
            return w.size - (max_p + max_P * m) < 3 * k

        while max_p > 0 and too_short(max_p, max_P) and not fixed_order:
            max_p -= 1
        if max_P and too_short(max_p, max_P):
            max_P = 0
        n_cond = max_p + max_P * m  # every candidate conditions on the same observations
        fixed = (int(self.order[0]), int(self.order[2])) if fixed_order else None
        free_constant = self.constant is None and d + D <= 1
        seen: dict[Spec, CSSFit | None] = {}

        def valid(spec: Spec) -> bool:
            if fixed is not None and (spec.p, spec.q) != fixed:
                return False
            return (
                0 <= spec.p <= max_p
                and 0 <= spec.q <= self.max_q
                and 0 <= spec.P <= max_P
                and 0 <= spec.Q <= max_Q
                and spec.p + spec.q + spec.P + spec.Q <= 5
            )

        def evaluate(spec: Spec) -> CSSFit | None:
            if spec not in seen and len(seen) < self.max_models:
                seen[spec] = css_fit(spec, w, n_cond)
            return seen.get(spec)

        def better(a: CSSFit | None, b: CSSFit | None) -> CSSFit | None:
            return b if a is None or (b is not None and b.aicc < a.aicc) else a

        starts = [(2, 2, 1, 1), (0, 0, 0, 0), (1, 0, 1, 0), (0, 1, 0, 1)]
        if fixed is not None:
            starts = [(fixed[0], fixed[1], sp, sq) for _, _, sp, sq in starts]
        best = None
        for p, q, P, Q in starts:
            spec = Spec(p, d, q, min(P, max_P), D, min(Q, max_Q), m, constant)
            if valid(spec):
                best = better(best, evaluate(spec))
        while best is not None and len(seen) < self.max_models:
            s = best.spec
            moves = [
                (1, 0, 0, 0),
                (-1, 0, 0, 0),
                (0, 1, 0, 0),
                (0, -1, 0, 0),
                (1, 1, 0, 0),
                (-1, -1, 0, 0),
                (0, 0, 1, 0),
                (0, 0, -1, 0),
                (0, 0, 0, 1),
                (0, 0, 0, -1),
            ]
            neighbours = [
                Spec(s.p + a, d, s.q + b, s.P + c, D, s.Q + e, m, s.constant)
                for a, b, c, e in moves
            ]
            if free_constant:
                neighbours.append(Spec(s.p, d, s.q, s.P, D, s.Q, m, not s.constant))
            step_best = best
            for spec in neighbours:
                if valid(spec) and spec not in seen:
                    step_best = better(step_best, evaluate(spec))
            if step_best is best:
                break
            best = step_best
        if best is None:
            raise ValueError("arima: no order gave a stationary, invertible fit")
        return best

    def _set_state(self, fit: CSSFit, x: np.ndarray) -> None:
        spec = fit.spec
        self.spec_ = spec
        self.order_ = (spec.p, spec.d, spec.q)
        self.seasonal_order_ = (spec.P, spec.D, spec.Q, spec.m)
        self.params_ = fit.params
        self.sigma_ = float(np.sqrt(fit.sigma2))
        self.aicc_ = fit.aicc
        ar, ma, mean = spec.polynomials(fit.params)
        self.ar_full_ = np.convolve(ar, spec.differencing())
        self.ma_ = ma
        self.intercept_ = float(np.sum(ar)) * mean
        lags = self.ar_full_.size - 1
        self.history_ = x[-lags:].copy() if lags else np.zeros(0)
        q = ma.size - 1
        resid = np.asarray(fit.resid, dtype=np.float64)
        past = resid[-q:] if q else np.zeros(0)
        self.past_errors_ = np.r_[np.zeros(max(q - past.size, 0)), past]
        self.resid_ = resid - resid.mean() if resid.size else np.zeros(1)

    def extend(self, y: np.ndarray) -> ARIMA:
        """The fitted model run through the observations of `y` after the fitted ones with
        the same coefficients (innovations filtered, nothing re-estimated)."""
        self._check_fitted("spec_")
        y = as_series(y)
        n0 = self.season_.n_obs
        if y.size < n0:
            raise ValueError(f"extend needs at least the {n0} fitted observations")
        if self.season_.index is not None:  # re-estimate the indices, re-filter everything
            return self._refilter(y)
        new_x = y[n0:]
        phi, theta = -self.ar_full_[1:], self.ma_[1:]
        history = np.r_[self.history_, new_x]
        past = np.r_[self.past_errors_, np.zeros(new_x.size)]
        lags, q = phi.size, theta.size
        for k in range(new_x.size):
            pred = self.intercept_
            if lags:
                pred += float(history[k : k + lags][::-1] @ phi)
            if q:
                pred += float(past[k : k + q][::-1] @ theta)
            past[q + k] = new_x[k] - pred
        out = copy.copy(self)
        out.season_ = replace(self.season_, n_obs=y.size)
        out.history_ = history[history.size - lags :] if lags else np.zeros(0)
        out.past_errors_ = past[past.size - q :] if q else np.zeros(0)
        if new_x.size:
            resid = np.r_[self.resid_, past[q:]]
            out.resid_ = resid - resid.mean()
        return out

    def _refilter(self, y: np.ndarray) -> ARIMA:
        """The model on `y` with fresh seasonal indices (same kind) and the fitted
        coefficients: innovations recomputed over the whole series."""
        season = self.season_
        try:
            index = seasonal_indices(y, season.index.size, season.kind)[0]
            season = SeasonalAdjustment(index, season.kind, y.size)
        except ValueError:
            season = replace(season, n_obs=y.size)
        x = season.remove(y)
        spec = self.spec_
        w = difference(x, spec.d, spec.D, spec.m)
        resid = innovations(spec, self.params_, w, spec.n_ar)
        fit = CSSFit(spec, self.params_, resid, self.sigma_**2, self.aicc_)
        out = copy.copy(self)
        out.season_ = season
        out._set_state(fit, x)
        return out

    def clone_for_refit(self) -> ARIMA:
        """An unfitted copy with the same parameters: a refit searches the orders again.

        (Orders chosen on a backtest origin's shorter history and frozen for the final fit
        cost 1.6 sMAPE points on M3 monthly; a search costs a few dozen CSS fits.)
        """
        return type(self)(**self.get_params())

    def _run(self, errors: np.ndarray) -> np.ndarray:
        """The integrated difference equation run forward with future innovations
        `errors` (n_paths, horizon); returns (n_paths, horizon) on the deseasonalised scale."""
        n_paths, horizon = errors.shape
        phi = -self.ar_full_[1:]  # y_t = c + sum phi_i y_{t-i} + e_t + sum theta_j e_{t-j}
        theta = self.ma_[1:]
        ys = np.tile(np.r_[self.history_, np.zeros(horizon)], (n_paths, 1))
        es = np.tile(np.r_[self.past_errors_, np.zeros(horizon)], (n_paths, 1))
        lags, q = phi.size, theta.size
        for h in range(horizon):
            value = self.intercept_ + errors[:, h]
            if lags:
                value = value + ys[:, h : h + lags][:, ::-1] @ phi
            if q:
                value = value + es[:, h : h + q][:, ::-1] @ theta
            ys[:, lags + h] = value
            es[:, q + h] = errors[:, h]
        return ys[:, lags:]

    def predict(self, horizon: int) -> np.ndarray:
        self._check_fitted("spec_")
        return self.season_.restore(self._run(np.zeros((1, horizon)))[0])

    def sd(self, horizon: int) -> np.ndarray:
        """Standard deviation of each step's forecast error, sigma * sqrt(sum psi_j^2)."""
        self._check_fitted("spec_")
        psi = arma2ma(self.ar_full_, self.ma_, lags=horizon)
        return self.sigma_ * np.sqrt(np.cumsum(psi**2)) * self.season_.scale(horizon)

    def sample_paths(self, horizon: int, n_paths: int, rng: np.random.Generator) -> np.ndarray:
        self._check_fitted("spec_")
        errors = rng.choice(self.resid_, size=(n_paths, horizon), replace=True)
        return self.season_.restore(self._run(errors))
