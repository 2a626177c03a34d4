"""Global machine-learning forecasters: one scikit-learn model trained across all series.

Four `PanelForecaster`s, by scenario-file name: "linear" (linear regression after SelectKBest
feature selection), "decision_tree", "random_forest" and "gbm" (histogram gradient boosting).
Each learns y[t+h] / level(t) from the lag, rolling, calendar, promotion and price features of
`planner.forecast.features`, on up to `max_rows` (series, origin, step) rows sampled from
every series' history. The tree models take the step as a feature (one model for every
step); "linear" fits one model per step (direct strategy). Measured on a simulated panel of
1,000 weekly series (absolute error against the true mean, over its total): one linear model
per step 8.6% against 9.8% with the step as a feature, and faster; one gradient boosting model
per step 12.0% against 9.0% on the same rows (3.9 times slower), 8.5% on twelve times the
rows (15 times slower).

Distributions. Errors are taken to grow with the predicted demand: sd = scale * sigma_i *
ratio ** p, ratio = prediction / level, sigma_i the series' in-sample one-step error size and
p in {0, 1/4, 1/2, 3/4, 1} chosen by likelihood (0.5 is Poisson-like, 1 proportional), so a
promotion week or a seasonal peak gets the wider spread it has.
- linear, decision_tree, random_forest: empirical quantiles of held-out errors. The model is
  refitted on the data known `HOLDOUT_ORIGINS + horizon - 1` periods before the end (a time
  split) and forecasts the last `HOLDOUT_ORIGINS` complete horizons of every series; those
  errors, standardised as above, give the quantiles of each step. For "linear" with
  k_best="auto" the same split picks the number of features SelectKBest keeps.
- gbm: quantile-loss models (one per level of `QUANTILE_GRID`) of demand relative to the
  mean model's out-of-sample prediction; other levels are interpolated linearly in the normal
  score z = Phi^-1(level), extrapolated along the outer segments.
- sample paths: a Gaussian copula whose correlation between steps is that of the standardised
  error vectors (held out; in-sample for gbm), so a path that starts high tends to stay high;
  its marginals are the quantiles above. Series i draws only from rngs[i].

The models run scikit-learn single-threaded (OpenMP and BLAS): on a busy 2-core machine the
threads of histogram gradient boosting made a fit more than ten times slower.
"""

from __future__ import annotations

import math
import warnings
from abc import abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Self

import numpy as np
from scipy import special, stats
from sklearn.base import BaseEstimator, RegressorMixin, clone
from sklearn.ensemble import HistGradientBoostingRegressor, RandomForestRegressor
from sklearn.feature_selection import SelectKBest, f_regression
from sklearn.linear_model import LinearRegression
from sklearn.pipeline import Pipeline
from sklearn.tree import DecisionTreeRegressor
from threadpoolctl import ThreadpoolController

from planner.forecast.base import PanelForecaster, as_series, check_levels, register
from planner.forecast.covariates import Covariates
from planner.forecast.features import MIN_OBSERVATIONS, PanelFeatures, Rows

DEFAULT_HORIZON = 26
"""Steps learnt when neither `horizon` nor the covariates' future say how many."""
HOLDOUT_ORIGINS = 13
"""Forecast origins per series whose errors give the distribution (and the copula)."""
QUANTILE_GRID = (0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95)
"""Levels of the gbm quantile models. Without 0.1 and 0.9 the interpolation put the 10%
quantile of the demo's slow movers too high (24% of weeks below it instead of 10%)."""
MAX_VECTORS = 4000
"""Error vectors (series x held-out origin) kept for the quantiles and the copula."""
K_BEST_CANDIDATES = (8, 12, 16, None)
"""Feature counts tried by k_best="auto" (None: every feature)."""
MIN_HOLDOUT_ROWS = 200
"""Below this many training rows before the held-out origins, in-sample errors are used."""
RATIO_FLOOR = 0.1
"""Floor of prediction / level in the error scaling (a forecast of 0 still has a spread)."""
NOISE_POWERS = (0.0, 0.25, 0.5, 0.75, 1.0)
"""Candidate powers p of sd = sigma_series * ratio ** p."""
SHRINK_ERRORS = 4
"""Weight, in errors, of the median series in each series' error size."""
ONE_STEP_ORIGINS = 52
"""Origins per series whose one-step errors measure how noisy the series is."""
FOLD_WEEKS = 26
"""Block length (origins) of the two time folds of gbm's out-of-fold predictions."""
Z_GRID = np.linspace(-4.0, 4.0, 161)
"""Normal scores at whose levels Phi(z) the standardised held-out errors are kept."""

_CONTROLLER: list[ThreadpoolController] = []


def _single_threaded():
    """Context manager: OpenMP and BLAS on one thread (scanned once, after sklearn loaded)."""
    if not _CONTROLLER:
        _CONTROLLER.append(ThreadpoolController())
    return _CONTROLLER[0].limit(limits=1)


def f_scores(X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """f_regression's F statistics and p-values; a constant column (a promotion flag that is
    never set, the step inside a per-step model) scores 0 without a warning."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return f_regression(X, y)


def select_k_best(k: int | None) -> SelectKBest | str:
    """The feature-selection step of a pipeline: SelectKBest(f_regression) keeping k features,
    or "passthrough" (every feature) when k is None."""
    return "passthrough" if k is None else SelectKBest(f_scores, k=k)


def _correlation(vectors: np.ndarray) -> np.ndarray:
    """Step-to-step correlation of error vectors (rows), shrunk towards the identity by
    horizon / (vectors + horizon) and made positive definite; identity without data."""
    n, h = vectors.shape
    if n < 3:
        return np.eye(h)
    sd = vectors.std(axis=0)
    z = (vectors - vectors.mean(axis=0)) / np.where(sd > 0, sd, 1.0)
    corr = (z.T @ z) / n
    corr[np.diag_indices(h)] = 1.0
    weight = h / (n + h)
    corr = (1 - weight) * corr + weight * np.eye(h)
    values, vecs = np.linalg.eigh(corr)
    corr = (vecs * np.maximum(values, 1e-6)) @ vecs.T
    d = np.sqrt(np.diag(corr))
    return corr / np.outer(d, d)


def _predict(model: Any, X: np.ndarray) -> np.ndarray:
    """model.predict(X), also for no rows at all (scikit-learn refuses an empty X)."""
    return model.predict(X) if len(X) else np.zeros(0)


def _ratio(predicted: np.ndarray) -> np.ndarray:
    """Predicted demand over the level, floored at RATIO_FLOOR (errors scale with it)."""
    return np.maximum(predicted, RATIO_FLOOR)


def _noise_power(errors: np.ndarray, predicted: np.ndarray, series: np.ndarray) -> float:
    """How error size grows with the predicted demand: sd = sigma_series * ratio ** p.

    p (0: constant, 0.5: Poisson-like, 1: proportional) maximises the Gaussian likelihood
    of the one-step errors, with sigma_series at its maximum for each p.
    """
    log_ratio = np.log(_ratio(predicted))
    n = int(series.max()) + 1 if series.size else 0
    count = np.bincount(series, minlength=n)

    def loss(p: float) -> float:  # fsum: the same value whatever the order of the series
        ms = np.bincount(series, weights=(errors * np.exp(-p * log_ratio)) ** 2, minlength=n)
        ms = ms[count > 0] / count[count > 0]
        terms = count[count > 0] * 0.5 * np.log(np.maximum(ms, 1e-12))
        return math.fsum(terms) + p * math.fsum(log_ratio)

    return min(NOISE_POWERS, key=loss) if errors.size else 0.0


def _error_size(
    errors: np.ndarray, predicted: np.ndarray, series: np.ndarray, power: float, n: int
) -> np.ndarray:
    """Per series, the root mean square of errors / ratio ** power, its mean square shrunk
    towards the median series with the weight of SHRINK_ERRORS errors (the median for a
    series without errors)."""
    e = errors / _ratio(predicted) ** power
    sq = np.bincount(series, weights=e**2, minlength=n)
    count = np.bincount(series, minlength=n)
    own = np.divide(sq, count, out=np.zeros(n), where=count > 0)
    pooled = float(np.median(own[count > 0])) if np.any(count > 0) else 0.0
    ms = np.where(count > 0, (sq + SHRINK_ERRORS * pooled) / (count + SHRINK_ERRORS), pooled)
    return np.sqrt(ms)


@dataclass(frozen=True, eq=False)
class _Training:
    """What the point model was fitted on (the sampled rows, their features and targets)
    and the features of the forecast rows."""

    sample: Rows
    X: np.ndarray
    y: np.ndarray
    X_forecast: np.ndarray


class GlobalForecaster(PanelForecaster):
    """What the four models share: features, training rows, forecasts, copula paths.

    Subclasses define `__init__` (their parameters) and `_estimator(features, k, seed)`, the
    unfitted scikit-learn regressor of scaled targets for k selected features (None: all).
    """

    name: ClassVar[str] = ""
    season_length: int
    horizon: int | None
    max_rows: int
    random_state: int | None
    k_best: int | str | None = None

    @abstractmethod
    def _estimator(self, features: PanelFeatures, k: int | None, seed: int) -> Any:
        """The unfitted regressor of scaled targets on the features."""

    # --- fit -----------------------------------------------------------------------------

    def fit(self, series: Sequence[np.ndarray], exog: Covariates | None = None) -> Self:
        """Train on every series (each 1-D, oldest first); `exog` a `Covariates` or None.

        Raises ValueError when no series is long enough to give a training row, TypeError
        when `exog` is neither None nor a `Covariates`.
        """
        self._check_params()
        arrays = [as_series(y) for y in series]
        if exog is not None and not isinstance(exog, Covariates):
            raise TypeError(
                f"exog must be a planner.forecast.Covariates or None; got {type(exog).__name__}"
            )
        if self.horizon is not None:
            horizon = int(self.horizon)
        elif exog is not None and exog.horizon > 0:
            horizon = exog.horizon
        else:
            horizon = DEFAULT_HORIZON
        rng = np.random.default_rng(self.random_state)
        with _single_threaded(), warnings.catch_warnings():
            # a tiny panel leaves a forest few rows per tree; that is expected, not a problem
            warnings.filterwarnings("ignore", message="Using the fractional value max_samples")
            features = PanelFeatures.build(arrays, exog, self.season_length, horizon)
            rows = features.training_rows()
            if len(rows) == 0:
                raise ValueError(
                    f"{self.name}: no series is long enough to learn from (a series needs "
                    f"{MIN_OBSERVATIONS + 1} observations, {horizon + 9} to learn every step)"
                )
            self.features_ = features
            self.horizon_ = horizon
            self._fit_models(features, rows, rng)
        return self

    def _sample(self, features: PanelFeatures, rows: Rows, limit: int) -> Rows:
        """Up to `limit` rows drawn at random, in a canonical order: the rows of smallest
        `features.keys`, sorted by key, so the fit does not depend on the series' order."""
        keys = features.keys(rows.series, rows.origin, rows.step, self.salt_)
        if len(rows) > limit:
            keep = np.argpartition(keys, limit - 1)[:limit]
            return rows.take(keep[np.argsort(keys[keep], kind="stable")])
        return rows.take(np.argsort(keys, kind="stable"))

    def _seed(self, rng: np.random.Generator) -> int:
        return int(rng.integers(2**31 - 1))

    def _fit_models(self, features: PanelFeatures, rows: Rows, rng: np.random.Generator) -> None:
        """Fit the point model and the distribution; sets the fitted attributes."""
        self.salt_ = int(rng.integers(2**63))
        seed = self._seed(rng)
        h = self.horizon_
        split = self._holdout(features)
        if split is not None:
            train, held_out, cut = split
            k, split_model, errors = self._validate(features, train, held_out, seed)
        else:
            k = self._k_candidates(features)[0]
        sample = self._sample(features, rows, self.max_rows)
        X, y = features.matrix(sample), features.target(sample)
        self.k_ = k
        self.model_ = self._estimator(features, k, seed).fit(X, y)
        forecast_rows = features.forecast_rows()
        X_forecast = features.matrix(forecast_rows)
        scale = features.scale_at(forecast_rows).reshape(features.n_series, h)
        self.scale_ = scale[:, 0].copy()
        predicted = self.model_.predict(X_forecast).reshape(scale.shape)
        self.mean_ = predicted * scale
        one_step = self._one_step(self.model_, features, None)
        self.power_ = _noise_power(*one_step)
        self.sigma_ = _error_size(*one_step, self.power_, features.n_series)
        self.spread_ = scale * self.sigma_[:, None] * _ratio(predicted) ** self.power_
        if split is not None:
            reference = _error_size(
                *self._one_step(split_model, features, cut), self.power_, features.n_series
            )
        else:  # no time split (gbm, or too little history): in-sample errors
            held_out = self._eval_rows(features, *self._holdout_origins(features))
            errors = features.target(held_out) - _predict(self.model_, features.matrix(held_out))
            reference = self.sigma_
        ratio = _ratio(features.target(held_out) - errors) ** self.power_
        unit = (reference[held_out.series] * ratio).reshape(-1, h)
        standard = np.divide(errors.reshape(-1, h), unit, out=np.zeros(unit.shape), where=unit > 0)
        self.chol_ = np.linalg.cholesky(_correlation(standard))
        if len(standard) == 0:  # no complete horizon anywhere: one-step errors for every step
            e, p, series = one_step
            unit = self.sigma_[series] * _ratio(p) ** self.power_
            one = np.divide(e, unit, out=np.zeros(e.size), where=unit > 0)
            standard = np.repeat(one[:, None], h, axis=1)
        self._fit_distribution(features, _Training(sample, X, y, X_forecast), standard, rng)

    def _validate(
        self, features: PanelFeatures, train: Rows, held_out: Rows, seed: int
    ) -> tuple[int | None, Any, np.ndarray]:
        """Fit each feature count on the time split: the most accurate one (mean absolute
        scaled error), its fitted model and its held-out scaled errors."""
        X, y = features.matrix(train), features.target(train)
        X_eval, y_eval = features.matrix(held_out), features.target(held_out)
        best: tuple[float, int | None, Any, np.ndarray] | None = None
        for k in self._k_candidates(features):
            model = self._estimator(features, k, seed).fit(X, y)
            errors = y_eval - model.predict(X_eval)
            score = float(np.mean(np.abs(errors)))
            if best is None or score < best[0]:
                best = (score, k, model, errors)
        assert best is not None
        return best[1], best[2], best[3]

    def _one_step(
        self, model: Any, features: PanelFeatures, last_target: np.ndarray | None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """In-sample one-step errors of `model` over the last ONE_STEP_ORIGINS training
        origins up to `last_target` (scaled units), its predictions there and the series of
        each."""
        rows = features.training_rows(last_target, step=1, recent=ONE_STEP_ORIGINS)
        predicted = _predict(model, features.matrix(rows))
        return features.target(rows) - predicted, predicted, rows.series

    def _k_candidates(self, features: PanelFeatures) -> list[int | None]:
        """Feature counts to try (None: every feature); the first is used without a split."""
        n_features = len(features.names)
        if self.k_best == "auto":
            ks = [k for k in K_BEST_CANDIDATES if k is None or k < n_features]
            return list(dict.fromkeys(ks))
        if self.k_best is None or int(self.k_best) >= n_features:
            return [None]
        return [int(self.k_best)]

    def _holdout_origins(self, features: PanelFeatures) -> tuple[np.ndarray, np.ndarray]:
        """Per series, the first and last (inclusive) held-out origin: the last
        HOLDOUT_ORIGINS origins with a complete horizon, not before the first training
        origin. A series with none has first > last."""
        last = features.lengths - 1 - self.horizon_
        first = np.maximum(last - HOLDOUT_ORIGINS + 1, features.first_origins())
        return first, last

    def _eval_rows(self, features: PanelFeatures, first: np.ndarray, last: np.ndarray) -> Rows:
        """Rows of complete horizons from the origins first..last of each series: at most
        MAX_VECTORS (series, origin) pairs, drawn at random when there are more, in a
        canonical order (see `_sample`)."""
        counts = np.maximum(last - first + 1, 0)
        series = np.repeat(np.arange(features.n_series), counts)
        origin = (
            first[series] + np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
        )
        keys = features.keys(series, origin, np.zeros_like(origin), self.salt_)
        keep = np.argsort(keys, kind="stable")[:MAX_VECTORS]
        series, origin = series[keep], origin[keep]
        h = self.horizon_
        return features.rows(
            np.repeat(series, h), np.repeat(origin, h), np.tile(np.arange(1, h + 1), series.size)
        )

    def _holdout(self, features: PanelFeatures) -> tuple[Rows, Rows, np.ndarray] | None:
        """(training rows known at the first held-out origin, held-out rows, last training
        target per series), or None when that split leaves too little to learn from or
        nothing to evaluate."""
        first, last = self._holdout_origins(features)
        if not np.any(last >= first):
            return None
        cut = last - HOLDOUT_ORIGINS + 1
        train = features.training_rows(last_target=cut)
        if len(train) < MIN_HOLDOUT_ROWS:
            return None
        return (
            self._sample(features, train, self.max_rows),
            self._eval_rows(features, first, last),
            cut,
        )

    def _fit_distribution(
        self,
        features: PanelFeatures,
        training: _Training,
        standard: np.ndarray,
        rng: np.random.Generator,
    ) -> None:
        """Empirical errors: quantiles per step of the standardised held-out error vectors,
        at the levels Phi(Z_GRID): `errors_` (horizon, len(Z_GRID))."""
        self.errors_ = (
            np.quantile(standard, special.ndtr(Z_GRID), axis=0).T
            if len(standard)
            else np.zeros((self.horizon_, Z_GRID.size))
        )

    # --- answers -------------------------------------------------------------------------

    def _check_horizon(self, horizon: int) -> int:
        if not hasattr(self, "mean_"):
            raise RuntimeError(f"{type(self).__name__} is not fitted yet: call fit(series) first")
        h = int(horizon)
        if not 1 <= h <= self.horizon_:
            raise ValueError(
                f"{self.name} was fitted for horizons up to {self.horizon_}; got {h}: refit with "
                f"horizon={h} (or covariates whose future covers {h} periods)"
            )
        return h

    def _values(self, z: np.ndarray) -> np.ndarray:
        """Demand at standard-normal scores z, shape (n_series, k, h) -> same shape."""
        h, g = z.shape[-1], Z_GRID.size
        position = np.clip(z, Z_GRID[0], Z_GRID[-1])  # in place from here: paths are large
        position -= Z_GRID[0]
        position /= Z_GRID[1] - Z_GRID[0]
        at = position.astype(np.intp)
        np.minimum(at, g - 2, out=at)
        position -= at  # the weight of the upper grid point
        at += np.arange(h) * g
        flat = self.errors_.ravel()
        values = flat[at]
        at += 1
        upper = flat[at]
        upper -= values
        upper *= position
        values += upper  # standardised error
        values *= self.spread_[:, None, :h]
        values += self.mean_[:, None, :h]
        return values

    def predict(self, horizon: int) -> np.ndarray:
        """Mean forecasts, shape (n_series, horizon)."""
        h = self._check_horizon(horizon)
        return self.mean_[:, :h].copy()

    def quantiles(self, horizon: int, levels: Sequence[float]) -> np.ndarray:
        """Quantiles, shape (n_series, len(levels), horizon), non-decreasing in the level."""
        h = self._check_horizon(horizon)
        z = stats.norm.ppf(check_levels(levels))
        n = self.mean_.shape[0]
        return self._values(np.broadcast_to(z[None, :, None], (n, z.size, h)).copy())

    def quantiles_by_step(self, levels: np.ndarray) -> np.ndarray:
        """Quantiles at levels that differ per step: levels (L, horizon) ->
        (n_series, L, horizon)."""
        levels = np.asarray(levels, dtype=np.float64)
        self._check_horizon(levels.shape[1])
        z = stats.norm.ppf(check_levels(levels.ravel())).reshape(levels.shape)
        n = self.mean_.shape[0]
        return self._values(np.broadcast_to(z[None], (n, *z.shape)).copy())

    def sample_paths(
        self, horizon: int, n_paths: int, rngs: Sequence[np.random.Generator]
    ) -> np.ndarray:
        """Paths (n_series, n_paths, horizon): Gaussian copula over the steps, series i drawn
        from rngs[i] only."""
        h = self._check_horizon(horizon)
        n = self.mean_.shape[0]
        if len(rngs) != n:
            raise ValueError(f"need one generator per series ({n}), got {len(rngs)}")
        z = np.empty((n, int(n_paths), h))
        for i, rng in enumerate(rngs):
            z[i] = rng.standard_normal((int(n_paths), h))
        return self._values(z @ self.chol_[:h, :h].T)

    # --- parameters ----------------------------------------------------------------------

    def _check_params(self) -> None:
        checks = [
            ("season_length", self.season_length, 1),
            ("max_rows", self.max_rows, 100),
        ]
        if self.horizon is not None:
            checks.append(("horizon", self.horizon, 1))
        for option, value, low in checks:
            if not isinstance(value, int | np.integer) or value < low:
                raise ValueError(
                    f"The {option!r} parameter of {type(self).__name__} must be an int >= {low}. "
                    f"Got {value!r} instead."
                )
        k = self.k_best
        if not (k is None or k == "auto" or (isinstance(k, int | np.integer) and k >= 1)):
            raise ValueError(
                f"The 'k_best' parameter of {type(self).__name__} must be an int >= 1, 'auto' "
                f"or None. Got {k!r} instead."
            )


class StepwiseRegressor(RegressorMixin, BaseEstimator):
    """Direct multi-step regression: one clone of `estimator` per value of the step column.

    A step absent from the training rows is predicted by the model of the closest step.
    """

    def __init__(self, estimator: Any, step_column: int):
        self.estimator = estimator
        self.step_column = step_column

    def fit(self, X: np.ndarray, y: np.ndarray) -> StepwiseRegressor:
        step = X[:, self.step_column]
        self.steps_ = np.unique(step)
        self.estimators_ = [
            clone(self.estimator).fit(X[step == s], y[step == s]) for s in self.steps_
        ]
        return self

    def predict(self, X: np.ndarray) -> np.ndarray:
        step = X[:, self.step_column]
        nearest = np.abs(step[:, None] - self.steps_[None, :]).argmin(axis=1)
        out = np.empty(len(X))
        for j in np.unique(nearest):
            rows = nearest == j
            out[rows] = self.estimators_[j].predict(X[rows])
        return out


@register
class LinearForecaster(GlobalForecaster):
    """Linear regression on the SelectKBest(f_regression) features, one per step (direct
    strategy: a linear model cannot let the weight of the last weeks fade with the step).

    k_best="auto" tries keeping 8, 12, 16 or every feature on the time split and keeps the
    most accurate (mean absolute error); an int fixes k; None keeps every feature.
    """

    name = "linear"

    def __init__(
        self,
        season_length: int = 52,
        horizon: int | None = None,
        k_best: int | str | None = "auto",
        max_rows: int = 100_000,
        random_state: int | None = 0,
    ):
        self.season_length = season_length
        self.horizon = horizon
        self.k_best = k_best
        self.max_rows = max_rows
        self.random_state = random_state

    def _estimator(self, features: PanelFeatures, k: int | None, seed: int) -> StepwiseRegressor:
        pipeline = Pipeline([("select", select_k_best(k)), ("regress", LinearRegression())])
        return StepwiseRegressor(pipeline, step_column=features.names.index("step"))


@register
class DecisionTreeForecaster(GlobalForecaster):
    """One regression tree (depth-limited, large leaves so each leaf averages many weeks)."""

    name = "decision_tree"

    def __init__(
        self,
        season_length: int = 52,
        horizon: int | None = None,
        max_depth: int = 8,
        min_samples_leaf: int = 50,
        k_best: int | str | None = None,
        max_rows: int = 40_000,
        random_state: int | None = 0,
    ):
        self.season_length = season_length
        self.horizon = horizon
        self.max_depth = max_depth
        self.min_samples_leaf = min_samples_leaf
        self.k_best = k_best
        self.max_rows = max_rows
        self.random_state = random_state

    def _estimator(self, features: PanelFeatures, k: int | None, seed: int) -> Pipeline:
        tree = DecisionTreeRegressor(
            max_depth=self.max_depth, min_samples_leaf=self.min_samples_leaf, random_state=seed
        )
        return Pipeline([("select", select_k_best(k)), ("regress", tree)])


@register
class RandomForestForecaster(GlobalForecaster):
    """A random forest: `n_estimators` trees, each on a `max_samples` share of the rows and
    considering a `max_features` share of the features at each split."""

    name = "random_forest"

    def __init__(
        self,
        season_length: int = 52,
        horizon: int | None = None,
        n_estimators: int = 20,
        max_depth: int = 10,
        min_samples_leaf: int = 20,
        max_features: float = 0.33,
        max_samples: float = 0.2,
        k_best: int | str | None = None,
        max_rows: int = 40_000,
        random_state: int | None = 0,
    ):
        self.season_length = season_length
        self.horizon = horizon
        self.n_estimators = n_estimators
        self.max_depth = max_depth
        self.min_samples_leaf = min_samples_leaf
        self.max_features = max_features
        self.max_samples = max_samples
        self.k_best = k_best
        self.max_rows = max_rows
        self.random_state = random_state

    def _estimator(self, features: PanelFeatures, k: int | None, seed: int) -> Pipeline:
        forest = RandomForestRegressor(
            n_estimators=self.n_estimators,
            max_depth=self.max_depth,
            min_samples_leaf=self.min_samples_leaf,
            max_features=self.max_features,
            max_samples=self.max_samples,
            n_jobs=1,
            random_state=seed,
        )
        return Pipeline([("select", select_k_best(k)), ("regress", forest)])


@register
class GBMForecaster(GlobalForecaster):
    """Histogram gradient boosting: a squared-error model for the mean and one quantile-loss
    model per level of QUANTILE_GRID for the distribution (`quantile_max_iter` rounds of
    trees with `quantile_max_leaf_nodes` leaves, on `quantile_max_rows` of the rows)."""

    name = "gbm"

    def __init__(
        self,
        season_length: int = 52,
        horizon: int | None = None,
        max_iter: int = 100,
        learning_rate: float = 0.1,
        max_leaf_nodes: int = 31,
        min_samples_leaf: int = 40,
        quantile_max_iter: int = 30,
        quantile_learning_rate: float = 0.2,
        quantile_max_leaf_nodes: int = 7,
        max_rows: int = 40_000,
        quantile_max_rows: int = 20_000,
        random_state: int | None = 0,
    ):
        self.season_length = season_length
        self.horizon = horizon
        self.max_iter = max_iter
        self.learning_rate = learning_rate
        self.max_leaf_nodes = max_leaf_nodes
        self.min_samples_leaf = min_samples_leaf
        self.quantile_max_iter = quantile_max_iter
        self.quantile_learning_rate = quantile_learning_rate
        self.quantile_max_leaf_nodes = quantile_max_leaf_nodes
        self.max_rows = max_rows
        self.quantile_max_rows = quantile_max_rows
        self.random_state = random_state

    def _estimator(
        self, features: PanelFeatures, k: int | None, seed: int
    ) -> HistGradientBoostingRegressor:
        return HistGradientBoostingRegressor(
            max_iter=self.max_iter,
            learning_rate=self.learning_rate,
            max_leaf_nodes=self.max_leaf_nodes,
            min_samples_leaf=self.min_samples_leaf,
            l2_regularization=1.0,
            early_stopping=False,
            random_state=seed,
        )

    def _quantile_estimator(self, level: float, seed: int) -> HistGradientBoostingRegressor:
        return HistGradientBoostingRegressor(
            loss="quantile",
            quantile=level,
            max_iter=self.quantile_max_iter,
            learning_rate=self.quantile_learning_rate,
            max_leaf_nodes=self.quantile_max_leaf_nodes,
            min_samples_leaf=self.min_samples_leaf,
            early_stopping=False,
            random_state=seed,
        )

    def _holdout(self, features: PanelFeatures) -> None:
        return None  # quantile loss gives the distribution; the copula uses in-sample errors

    def _fit_distribution(
        self,
        features: PanelFeatures,
        training: _Training,
        standard: np.ndarray,
        rng: np.random.Generator,
    ) -> None:
        """Quantile models of demand relative to the mean model's prediction: `grid_`
        (n, levels, horizon) in demand units.

        The relative demand must come from predictions out of sample, `_out_of_fold`:
        rows not drawn for the mean model would not do, as other rows with the same target
        week were (80% intervals covered 78% of a simulated panel's future, against 80%).
        """
        n, h = features.n_series, self.horizon_
        # the sample is in key order: its first rows are a random subset too
        keep = slice(0, self.quantile_max_rows)
        X, y, origin = training.X[keep], training.y[keep], training.sample.origin[keep]
        predicted = self._out_of_fold(X, y, origin, rng)
        relative = _ratio(predicted)
        forecast = _ratio(self.model_.predict(training.X_forecast)).reshape(n, h)
        grid = []
        for level in QUANTILE_GRID:
            model = self._quantile_estimator(level, self._seed(rng)).fit(X, y / relative)
            grid.append(model.predict(training.X_forecast).reshape(n, h) * forecast)
        self.grid_ = np.sort(np.stack(grid, axis=1), axis=1) * self.scale_[:, None, None]

    def _out_of_fold(
        self, X: np.ndarray, y: np.ndarray, origin: np.ndarray, rng: np.random.Generator
    ) -> np.ndarray:
        """Predictions of each row by a mean model fitted on the other half of the time:
        origins in alternate blocks of FOLD_WEEKS (in-sample predictions of `model_` when
        every origin falls in one block). The fold models boost for `quantile_max_iter`
        rounds at `quantile_learning_rate`: a little less accurate than `model_`, which only
        makes the relative demand a little wider."""
        half = (origin // FOLD_WEEKS) % 2
        if np.all(half == half[0]):
            return self.model_.predict(X)
        predicted = np.empty(len(y))
        for fold in (0, 1):
            own = half == fold
            model = self._estimator(self.features_, None, self._seed(rng)).set_params(
                max_iter=self.quantile_max_iter, learning_rate=self.quantile_learning_rate
            )
            predicted[own] = model.fit(X[~own], y[~own]).predict(X[own])
        return predicted

    def _values(self, z: np.ndarray) -> np.ndarray:
        """Piecewise-linear quantile function in z through the grid forecasts; beyond the
        outer levels it continues along the outer segments."""
        knots = stats.norm.ppf(QUANTILE_GRID)
        n, g, horizon = self.grid_.shape
        at = np.searchsorted(knots, z)  # in place from here: paths are large
        at -= 1
        np.clip(at, 0, g - 2, out=at)
        weight = np.take(knots, at)
        np.subtract(z, weight, out=weight)
        weight *= np.take(1.0 / np.diff(knots), at)
        at += np.arange(n)[:, None, None] * g
        at *= horizon
        at += np.arange(z.shape[-1])
        flat = self.grid_.ravel()
        values = flat[at]
        at += horizon
        upper = flat[at]
        upper -= values
        upper *= weight
        values += upper
        return values
