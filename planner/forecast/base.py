"""The forecaster contract, the model registry and the panel result (`PanelForecast`).

A `Forecaster` is fitted on ONE series (a 1-D float array of a regular frequency) and then
answers three questions for a horizon: the mean, quantiles at given levels, and seeded sample
paths. A `PanelForecaster` (a global model trained across series, e.g. gradient boosting on
lag/calendar/promo features) answers the same questions for all series at once;
`forecast_panel` dispatches on the type. Both follow scikit-learn's estimator conventions:
`__init__` only stores its parameters, `fit` returns self, fitted attributes end in `_`.

Models register themselves with `@register`; `make_model(name, season_length)` builds one by
the name used in scenario files. Two class attributes tell `auto` how to use a model:
`demand_classes` (the Syntetos-Boylan classes it is a candidate for; empty: only when named)
and `expensive` (per-series models whose fits cost milliseconds are screened on a sample of
each class before every series of the class backtests them).
"""

from __future__ import annotations

import difflib
import inspect
import zlib
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Self, TypeVar

import numpy as np
import pandas as pd
from threadpoolctl import ThreadpoolController

from planner.errors import ConfigError, Problem

DEMAND_CLASSES = frozenset({"smooth", "erratic", "intermittent", "lumpy"})
"""Syntetos-Boylan demand classes (see `planner.forecast.selection.demand_class`)."""


class Forecaster(ABC):
    """One series in, a demand distribution over the horizon out.

    Subclasses set `name` (the scenario-file name) and implement `fit`, `predict`,
    `quantiles` and `sample_paths`. Outputs are not clipped at zero here: the panel function
    does that (its `nonnegative` flag), so a model stays a faithful statistical object.
    """

    name: ClassVar[str] = ""
    demand_classes: ClassVar[frozenset[str]] = DEMAND_CLASSES
    """Demand classes for which `auto` tries this model (empty: only when named)."""
    expensive: ClassVar[bool] = False
    """True when a fit costs milliseconds: `auto` screens it per demand class first."""

    def get_params(self) -> dict[str, Any]:
        """The constructor parameters, as stored by `__init__` (scikit-learn convention)."""
        names = inspect.signature(type(self).__init__).parameters
        return {k: getattr(self, k) for k in names if k != "self"}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({args})"

    @abstractmethod
    def fit(self, y: np.ndarray, exog: Any = None) -> Self:
        """Estimate the model on one series `y` (1-D, oldest first). Returns self."""

    @abstractmethod
    def predict(self, horizon: int) -> np.ndarray:
        """Mean forecast, shape (horizon,)."""

    @abstractmethod
    def quantiles(self, horizon: int, levels: Sequence[float]) -> np.ndarray:
        """Quantiles of each step's marginal distribution, shape (len(levels), horizon)."""

    @abstractmethod
    def sample_paths(self, horizon: int, n_paths: int, rng: np.random.Generator) -> np.ndarray:
        """Joint sample paths, shape (n_paths, horizon); the same generator state gives the
        same paths. Week-to-week dependence is kept where the model implies it."""

    def quantiles_by_step(self, levels: np.ndarray) -> np.ndarray:
        """Quantiles at levels that differ per step: levels (L, horizon) -> (L, horizon).

        Calibration asks for these. The default makes one `quantiles` call per step; models
        with a closed form override it.
        """
        levels = np.asarray(levels, dtype=np.float64)
        out = np.empty(levels.shape)
        for j in range(levels.shape[1]):
            out[:, j] = self.quantiles(j + 1, levels[:, j])[:, j]
        return out

    def extend(self, y: np.ndarray) -> Forecaster:
        """This model run on a longer series `y` that starts with the series it was fitted on.

        Backtests fit a model once at the earliest origin and extend it to the later ones:
        models with a state (ETS, ARIMA) override this to filter the new observations with
        the parameters already estimated (no re-estimation, no look-ahead). The default
        re-estimates a `clone_for_refit()` on `y`. Returns a new fitted model.
        """
        return self.clone_for_refit().fit(y)

    def clone_for_refit(self) -> Forecaster:
        """An unfitted copy for refits on a prefix of the same series (backtests).

        Models that make expensive data-driven choices in `fit` (ETS: the trend form) may
        freeze them to this fit's choice; by default the copy has the same parameters.
        """
        return type(self)(**self.get_params())

    def _check_fitted(self, attribute: str) -> None:
        if not hasattr(self, attribute):
            raise RuntimeError(f"{type(self).__name__} is not fitted yet: call fit(y) first")


class GaussianForecaster(Forecaster):
    """A model whose step-h forecast is normal: mean `predict(h)`, standard deviation
    `sd(h)`. Quantiles (also per-step levels, for calibration) follow from the two."""

    @abstractmethod
    def sd(self, horizon: int) -> np.ndarray:
        """Standard deviation of each step's forecast error, shape (horizon,)."""

    def quantiles(self, horizon: int, levels: Sequence[float]) -> np.ndarray:
        return normal_quantiles(self.predict(horizon), self.sd(horizon), check_levels(levels))

    def quantiles_by_step(self, levels: np.ndarray) -> np.ndarray:
        levels = np.asarray(levels, dtype=np.float64)
        check_levels(levels)
        h = levels.shape[1]
        return normal_quantiles(self.predict(h), self.sd(h), levels)


class PanelForecaster(ABC):
    """A global model fitted on all series at once (cross-learning, shared features).

    Same questions as `Forecaster`, with a leading series axis: `predict` -> (n, horizon),
    `quantiles` -> (n, len(levels), horizon), `sample_paths` -> (n, n_paths, horizon) with
    one generator per series so a series' paths do not depend on the other series.
    """

    name: ClassVar[str] = ""
    demand_classes: ClassVar[frozenset[str]] = DEMAND_CLASSES
    """Demand classes for which `auto` tries this model (empty: only when named)."""

    get_params = Forecaster.get_params
    __repr__ = Forecaster.__repr__

    @abstractmethod
    def fit(self, series: Sequence[np.ndarray], exog: Sequence[Any] | None = None) -> Self:
        """Estimate the model on every series (each 1-D, oldest first). Returns self."""

    @abstractmethod
    def predict(self, horizon: int) -> np.ndarray:
        """Mean forecasts, shape (n_series, horizon)."""

    @abstractmethod
    def quantiles(self, horizon: int, levels: Sequence[float]) -> np.ndarray:
        """Quantiles, shape (n_series, len(levels), horizon)."""

    @abstractmethod
    def sample_paths(
        self, horizon: int, n_paths: int, rngs: Sequence[np.random.Generator]
    ) -> np.ndarray:
        """Sample paths, shape (n_series, n_paths, horizon), series i drawn from rngs[i]."""

    def quantiles_by_step(self, levels: np.ndarray) -> np.ndarray:
        """Quantiles at levels that differ per step: levels (L, horizon) ->
        (n_series, L, horizon). The default makes one `quantiles` call per step."""
        levels = np.asarray(levels, dtype=np.float64)
        columns = [self.quantiles(j + 1, levels[:, j])[:, :, j] for j in range(levels.shape[1])]
        return np.stack(columns, axis=-1)


MODELS: dict[str, type[Forecaster]] = {}
"""Per-series models by scenario-file name."""

PANEL_MODELS: dict[str, type[PanelForecaster]] = {}
"""Global (panel) models by scenario-file name."""

_T = TypeVar("_T", type[Forecaster], type[PanelForecaster])


def register(cls: _T) -> _T:
    """Class decorator: add a model to `MODELS` or `PANEL_MODELS` under its `name`."""
    if not cls.name:
        raise TypeError(f"{cls.__name__} must set the class attribute 'name'")
    if cls.name in MODELS or cls.name in PANEL_MODELS:
        raise TypeError(f"a model named {cls.name!r} is already registered")
    if issubclass(cls, PanelForecaster):
        PANEL_MODELS[cls.name] = cls
    elif issubclass(cls, Forecaster):
        MODELS[cls.name] = cls
    else:
        raise TypeError(f"{cls.__name__} is neither a Forecaster nor a PanelForecaster")
    return cls


def model_names() -> list[str]:
    """Every registered model name, per-series models first."""
    return [*MODELS, *PANEL_MODELS]


def unknown_name_problem(kind: str, name: str, valid: Sequence[str], where: str) -> Problem:
    """A Problem for an unknown name that suggests the closest valid one."""
    close = difflib.get_close_matches(str(name), list(valid), n=1, cutoff=0.0)
    hint = f"did you mean {close[0]!r}? " if close else ""
    return Problem(
        file=where,
        message=f"unknown {kind} {name!r}",
        fix=f"{hint}valid values: {', '.join(sorted(valid))}",
        values=(str(name),),
    )


def make_model(name: str, season_length: int = 1) -> Forecaster | PanelForecaster:
    """Build the registered model `name`; passes `season_length` when the model takes it.

    Raises ConfigError naming the unknown model and the closest valid name.
    """
    cls: type[Forecaster] | type[PanelForecaster] | None = MODELS.get(name) or PANEL_MODELS.get(
        name
    )
    if cls is None:
        raise ConfigError(
            unknown_name_problem("forecast model", name, model_names(), "forecast.model")
        )
    if "season_length" in inspect.signature(cls).parameters:
        return cls(season_length=season_length)
    return cls()


_BLAS: list[ThreadpoolController] = []


def single_threaded_blas():
    """Context manager running BLAS on one thread.

    Model fits call BLAS on tiny arrays, where its threads only add overhead: an ETS fit
    took 18 ms single-threaded and 170 ms with two BLAS threads on a busy 2-core machine.
    The library scan happens once, on first use (after numpy/scipy are loaded).
    """
    if not _BLAS:
        _BLAS.append(ThreadpoolController())
    return _BLAS[0].limit(limits=1, user_api="blas")


def as_series(y: Any) -> np.ndarray:
    """A 1-D float64 copy of `y`; raises ValueError if it is not 1-D, empty or not finite."""
    arr = np.array(y, dtype=np.float64)
    if arr.ndim != 1:
        raise ValueError(f"a series must be 1-D, got shape {arr.shape}")
    if arr.size == 0:
        raise ValueError("a series must have at least one observation")
    if not np.all(np.isfinite(arr)):
        raise ValueError("a series must not contain NaN or infinite values")
    return arr


def check_levels(levels: Sequence[float]) -> np.ndarray:
    """Quantile levels as a float array; ValueError unless all lie strictly inside (0, 1)."""
    arr = np.asarray(levels, dtype=np.float64).reshape(-1)
    if arr.size and not np.all((arr > 0) & (arr < 1)):
        raise ValueError(f"quantile levels must lie strictly between 0 and 1, got {arr.tolist()}")
    return arr


DEFAULT_LEVELS = (0.05, 0.1, 0.5, 0.9, 0.95)
SCORE_COLUMNS = ["id", "model", "score", "chosen", "demand_class"]


def quantile_column(level: float) -> str:
    """Column name of a quantile level: 0.1 -> 'q0.1', 0.05 -> 'q0.05'."""
    return f"q{level:g}"


def series_rng(seed: int, series_id: str, stream: int = 0) -> np.random.Generator:
    """The generator of one series: depends only on the seed, the series id and the stream
    (0: sample paths; other numbers: independent streams for backtests and calibration)."""
    key = [seed, zlib.crc32(series_id.encode("utf-8"))]
    return np.random.default_rng(key if stream == 0 else [*key, stream])


def normal_quantiles(mean: np.ndarray, sd: np.ndarray, levels) -> np.ndarray:
    """mean + z(level) * sd per step: levels (L,) or (L, h) -> (L, h)."""
    from scipy import stats

    levels = np.asarray(levels, dtype=np.float64)
    z = stats.norm.ppf(levels if levels.ndim == 2 else levels[:, None])
    return mean[None, :] + z * sd[None, :]


@dataclass(frozen=True, eq=False)
class PanelForecast:
    """Demand distributions of n series over a horizon.

    `mean` (n, horizon); `quantiles` (n, len(quantile_levels), horizon); `paths`
    (n, n_paths, horizon) joint sample paths; `model` the model used per id; `scores` the
    backtest table (id, model, score = mean pinball loss over the backtest origins, chosen,
    demand_class), empty when no backtest ran; `calibration` the coverage of the backtest
    intervals before and after calibration (model, level, nominal, raw, calibrated), empty
    when not calibrated.
    """

    ids: list[str]
    model: list[str]
    mean: np.ndarray
    quantile_levels: tuple[float, ...]
    quantiles: np.ndarray
    paths: np.ndarray
    scores: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=SCORE_COLUMNS))
    calibration: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def horizon(self) -> int:
        return int(self.mean.shape[1])

    def to_frame(self) -> pd.DataFrame:
        """Long table: id, step (1..horizon), model, mean, one q<level> column per level."""
        n, h = self.mean.shape
        frame = pd.DataFrame(
            {
                "id": np.repeat(np.asarray(self.ids, dtype=object), h),
                "step": np.tile(np.arange(1, h + 1), n),
                "model": np.repeat(np.asarray(self.model, dtype=object), h),
                "mean": self.mean.reshape(-1),
            }
        )
        for j, level in enumerate(self.quantile_levels):
            frame[quantile_column(level)] = self.quantiles[:, j, :].reshape(-1)
        return frame


def clip_nonnegative(
    mean: np.ndarray, quantiles: np.ndarray, paths: np.ndarray, nonnegative: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Clip at zero when asked, shifting the mean by what clipping adds to the paths' mean.

    Works on one series (mean (h,), quantiles (L, h), paths (P, h)) or a stack of them.
    """
    if not nonnegative:
        return mean, quantiles, paths
    clipped = np.maximum(paths, 0.0)
    shift = (clipped - paths).mean(axis=-2) if paths.shape[-2] else 0.0
    return np.maximum(mean + shift, 0.0), np.maximum(quantiles, 0.0), clipped
