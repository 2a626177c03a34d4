"""Deep-learning forecasters (the optional extra `pip install "planner[deep]"`, PyTorch CPU).

Two global models share one small network and one training loop:

* "lstm": an LSTM trained across all series on windows of the level-scaled series. Each window
  holds the last `input_length` values (52 weeks by default; shorter series are padded on the
  left and a mask channel marks real values) divided by the window's mean absolute value, and
  the network outputs the next `output_length` values at once (direct multi-step). A linear
  "highway" from the input window to the output (as in LSTNet) sits beside the LSTM, so a
  seasonal-naive copy is as easy to learn as a flat level.
* "hybrid": Zhang's ARIMA + neural network hybrid. A per-series base model (ARIMA by default)
  takes the linear part; the same network, trained across series on the base models'
  standardised in-sample residuals, forecasts the residual path, which the base model's
  one-step standard deviation puts back in data units; forecast = base forecast + residual
  forecast.

Training: Adam on the mean squared error of the scaled targets, at most `max_epochs` epochs of
at most `windows_per_epoch` windows each, early stopping on a time-split validation set (the
last `validation_windows` forecast origins of every series; training targets end before the
first validation target) and the weights of the best validation epoch kept. Seeded by
`random_state` through `torch.manual_seed` inside a forked RNG state, on `n_threads` threads,
so two fits with the same parameters give the same network. `exog` is accepted and ignored.

Distributions. "lstm": the validation residual vectors (target - forecast, a whole window at
a time, so week-to-week dependence is kept) are divided by their series' residual scale,
centred per step and pooled over series; series i gets mean_i + sigma_i * z with z a pooled
vector, drawn with rngs[i] for paths and as empirical per-step quantiles for `quantiles`.
"hybrid": the base model's paths (drawn with rngs[i]) and quantiles shifted by the residual
forecast.
Horizons beyond the network's output length are forecast block by block, feeding the forecast
back as input; residual vectors of successive blocks are drawn independently.

The module imports without torch; the models are registered only when torch is importable
(`torch_available`), and torch itself is imported inside `fit`.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Self

import numpy as np

from planner.forecast.base import (
    PanelForecaster,
    as_series,
    check_levels,
    register,
    single_threaded_blas,
)
from planner.forecast.selection import fit_with_fallback

_ONE_SD_LOW, _ONE_SD_HIGH = 0.15865525393145707, 0.8413447460685429  # normal cdf at -1, +1
MIN_CONTEXT_SHARE = 4
"""A training window needs at least input_length // 4 real (unpadded) values."""


def torch_available() -> bool:
    """Whether PyTorch can be imported (without importing it)."""
    if "torch" in sys.modules:
        return sys.modules["torch"] is not None
    try:
        return importlib.util.find_spec("torch") is not None
    except (ImportError, ValueError):
        return False


def _import_torch():
    try:
        import torch
    except ImportError as exc:
        raise ImportError('the deep forecasters need PyTorch: pip install "planner[deep]"') from exc
    return torch


def _check_int(owner: str, name: str, value: Any, low: int) -> int:
    if not isinstance(value, int | np.integer) or isinstance(value, bool) or value < low:
        raise ValueError(
            f"The {name!r} parameter of {owner} must be an int >= {low}. Got {value!r} instead."
        )
    return int(value)


# --- windows --------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Windows:
    """Windows of several series: inputs x (N, L, 2) = (scaled value, mask), scaled targets
    y (N, H), the scale of each window (N,), its series (N,) and whether it validates (N,)."""

    x: np.ndarray
    y: np.ndarray
    scale: np.ndarray
    series: np.ndarray
    validation: np.ndarray


def _inputs(values: np.ndarray, length: int) -> tuple[np.ndarray, np.ndarray]:
    """The last `length` values of a series, left-padded with 0, and their mask."""
    tail = values[-length:]
    x = np.zeros(length)
    mask = np.zeros(length)
    if tail.size:
        x[-tail.size :] = tail
        mask[-tail.size :] = 1.0
    return x, mask


def _window_scale(x: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Mean absolute real value of each window (..., L) -> (...); 0 for an all-zero window."""
    return np.abs(x).sum(axis=-1) / np.maximum(mask.sum(axis=-1), 1.0)


def _make_windows(
    values: Sequence[np.ndarray],
    length: int,
    out: int,
    n_val: int,
    min_context: int,
    series_scale: np.ndarray | None,
) -> _Windows:
    """Every forecast origin o of every series with o >= min_context real inputs.

    Validation origins are the last `n_val` (o + out <= n); training origins end their
    targets before the first validation target. The scale is the series' `series_scale` or,
    when None, the window's mean absolute input; windows of scale 0 are dropped.
    """
    xs, ys, scales, owners, flags = [], [], [], [], []
    for i, v in enumerate(values):
        n = v.size
        last = n - out  # last origin with a full target
        if last < min_context:
            continue
        first_val = max(min_context, last - n_val + 1)
        origins = np.arange(min_context, last + 1)
        is_val = origins >= first_val
        keep = is_val | (origins + out <= first_val)
        origins, is_val = origins[keep], is_val[keep]
        padded = np.r_[np.zeros(length), v]
        mask = np.r_[np.zeros(length), np.ones(n)]
        win = np.lib.stride_tricks.sliding_window_view(padded, length)[origins]
        win_mask = np.lib.stride_tricks.sliding_window_view(mask, length)[origins]
        target = np.lib.stride_tricks.sliding_window_view(v, out)[origins]
        if series_scale is None:
            scale = _window_scale(win, win_mask)
        else:
            scale = np.full(origins.size, series_scale[i])
        ok = scale > 0
        s = scale[ok][:, None]
        xs.append(np.stack([win[ok] / s, win_mask[ok]], axis=-1))
        ys.append(target[ok] / s)
        scales.append(scale[ok])
        owners.append(np.full(int(ok.sum()), i))
        flags.append(is_val[ok])
    if not xs:
        empty = np.zeros(0)
        return _Windows(np.zeros((0, length, 2)), np.zeros((0, out)), empty, empty, empty > 0)
    return _Windows(
        np.concatenate(xs).astype(np.float32),
        np.concatenate(ys).astype(np.float32),
        np.concatenate(scales),
        np.concatenate(owners).astype(np.int64),
        np.concatenate(flags),
    )


# --- the network and its training ----------------------------------------------------------


def _build_net(torch, length: int, out: int, hidden: int):
    """LSTM over the window, its last hidden state to the output, plus a linear highway."""
    nn = torch.nn

    class WindowNet(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.lstm = nn.LSTM(input_size=2, hidden_size=hidden, batch_first=True)
            self.head = nn.Linear(hidden, out)
            self.highway = nn.Linear(length, out)

        def forward(self, x):
            _, (h, _) = self.lstm(x)
            return self.head(h[-1]) + self.highway(x[:, :, 0])

    return WindowNet()


@dataclass(frozen=True)
class _Training:
    """What training produced: the net (in eval mode), its best validation loss, the
    validation loss of predicting zero, epochs run and the best epoch."""

    net: Any
    validation_loss: float
    zero_loss: float
    epochs: int
    best_epoch: int


class _DeepMixin:
    """Hyperparameters shared by both models and the training loop."""

    input_length: int | None
    output_length: int
    hidden_size: int
    max_epochs: int
    patience: int
    batch_size: int
    windows_per_epoch: int
    learning_rate: float
    validation_windows: int
    random_state: int
    n_threads: int
    season_length: int

    def _check_params(self) -> None:
        owner = type(self).__name__
        if self.input_length is not None:
            _check_int(owner, "input_length", self.input_length, 1)
        for name, low in (
            ("output_length", 1),
            ("hidden_size", 1),
            ("max_epochs", 1),
            ("patience", 1),
            ("batch_size", 1),
            ("windows_per_epoch", 1),
            ("validation_windows", 1),
            ("random_state", 0),
            ("n_threads", 1),
            ("season_length", 1),
        ):
            _check_int(owner, name, getattr(self, name), low)
        if not (isinstance(self.learning_rate, float | int) and self.learning_rate > 0):
            raise ValueError(
                f"The 'learning_rate' parameter of {owner} must be a float > 0. "
                f"Got {self.learning_rate!r} instead."
            )

    def _shape(self, longest: int) -> tuple[int, int, int]:
        """Input length, output length and minimum context for the longest series' length.

        The input is `input_length` (default max(season_length, 26)) capped at longest - 1; the
        output is `output_length` capped so the longest series keeps a training window.
        """
        wanted = self.input_length or max(int(self.season_length), 26)
        length = max(1, min(int(wanted), longest - 1))
        min_context = max(1, length // MIN_CONTEXT_SHARE)
        out = min(
            int(self.output_length), (longest - self.validation_windows + 1 - min_context) // 2
        )
        if out < 1:
            need = self.validation_windows + 1 + min_context
            raise ValueError(
                f"{type(self).__name__} needs a series of at least {need} observations "
                f"(longest: {longest})"
            )
        return length, out, min_context

    def _train(self, windows: _Windows, length: int, out: int) -> _Training:
        torch = _import_torch()
        train = np.flatnonzero(~windows.validation)
        val = np.flatnonzero(windows.validation)
        if train.size == 0 or val.size == 0:
            raise ValueError(
                f"{type(self).__name__}: the series are too short for a training and a "
                "validation window"
            )
        threads = torch.get_num_threads()
        torch.set_num_threads(int(self.n_threads))
        try:
            with torch.random.fork_rng(devices=[]):
                torch.manual_seed(int(self.random_state))
                return self._train_loop(torch, windows, train, val, length, out)
        finally:
            torch.set_num_threads(threads)

    def _train_loop(self, torch, windows, train, val, length, out) -> _Training:
        x_all = torch.from_numpy(windows.x)
        y_all = torch.from_numpy(windows.y)
        x_val, y_val = x_all[val], y_all[val]
        net = _build_net(torch, length, out, int(self.hidden_size))
        optimiser = torch.optim.Adam(net.parameters(), lr=float(self.learning_rate))
        loss_fn = torch.nn.MSELoss()
        train_idx = torch.from_numpy(train)
        per_epoch = min(train.size, int(self.windows_per_epoch))
        best_loss, best_state, best_epoch, stale, epoch = np.inf, None, 0, 0, 0
        for epoch in range(1, int(self.max_epochs) + 1):
            net.train()
            chosen = train_idx[torch.randperm(train.size)[:per_epoch]]
            for batch in chosen.split(int(self.batch_size)):
                optimiser.zero_grad()
                loss = loss_fn(net(x_all[batch]), y_all[batch])
                loss.backward()
                torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
                optimiser.step()
            net.eval()
            with torch.no_grad():
                val_loss = float(loss_fn(net(x_val), y_val))
            if val_loss < best_loss * (1 - 1e-4):
                best_loss, best_epoch, stale = val_loss, epoch, 0
                best_state = {k: v.clone() for k, v in net.state_dict().items()}
            else:
                stale += 1
                if stale >= int(self.patience):
                    break
        if best_state is None:
            raise FloatingPointError(f"{type(self).__name__}: the validation loss is not finite")
        net.load_state_dict(best_state)
        net.eval()
        zero_loss = float(torch.mean(y_val**2))
        return _Training(net, float(best_loss), zero_loss, epoch, best_epoch)

    def _net_predict(self, x: np.ndarray) -> np.ndarray:
        """Network output for windows x (N, L, 2), float64 (N, H)."""
        torch = _import_torch()
        threads = torch.get_num_threads()
        torch.set_num_threads(int(self.n_threads))
        try:
            with torch.no_grad():
                result = self.net_(torch.from_numpy(x.astype(np.float32)))
        finally:
            torch.set_num_threads(threads)
        return result.numpy().astype(np.float64)

    def _recursive(
        self, histories: Sequence[np.ndarray], horizon: int, series_scale: np.ndarray | None
    ) -> np.ndarray:
        """Forecast (n, horizon) block by block, feeding each block back as input.

        With `series_scale` None every window is scaled by its own mean absolute input.
        """
        _check_int(type(self).__name__, "horizon", horizon, 1)
        length, out = self.input_length_, self.output_length_
        extended = [np.asarray(h, dtype=np.float64) for h in histories]
        blocks = []
        for _ in range(-(-horizon // out)):
            pairs = [_inputs(h, length) for h in extended]
            x = np.stack([p[0] for p in pairs])
            mask = np.stack([p[1] for p in pairs])
            scale = _window_scale(x, mask) if series_scale is None else series_scale
            safe = np.where(scale > 0, scale, 1.0)[:, None]
            block = self._net_predict(np.stack([x / safe, mask], axis=-1)) * scale[:, None]
            blocks.append(block)
            extended = [np.r_[h, b] for h, b in zip(extended, block, strict=True)]
        return np.concatenate(blocks, axis=1)[:, :horizon]

    def _fit_common(self, series: Sequence[np.ndarray]) -> list[np.ndarray]:
        self._check_params()
        if isinstance(series, np.ndarray) and series.ndim == 1:
            raise ValueError(f"{type(self).__name__}.fit takes a sequence of series, not one")
        arrays = [as_series(y) for y in series]
        if not arrays:
            raise ValueError(f"{type(self).__name__}.fit needs at least one series")
        return arrays


_HYPERPARAMETERS_DOC = """
    Network parameters: `input_length` (window length, default max(season_length, 26), capped
    by the data), `output_length` (steps predicted at once; longer horizons are forecast block
    by block), `hidden_size` (LSTM units), `max_epochs`, `patience` (epochs without a better
    validation loss before stopping), `batch_size`, `windows_per_epoch` (windows sampled per
    epoch), `learning_rate` (Adam), `validation_windows` (validation origins per series),
    `random_state` (torch seed), `n_threads` (torch threads during fit and predict).
"""


class LSTMForecaster(_DeepMixin, PanelForecaster):
    __doc__ = (
        """A global LSTM trained across series on windows of the level-scaled series.

    The mean is the network's direct multi-step forecast times the window scale; paths and
    quantiles come from pooled, standardised validation residual vectors (see the module
    docstring). `season_length` only sets the default input length.
    """
        + _HYPERPARAMETERS_DOC
        + """
    Fitted attributes: `net_`, `input_length_`, `output_length_`, `series_` (the histories),
    `sigma_` (residual scale per series), `residual_pool_` (K, output_length_) standardised
    residual vectors, `validation_loss_`, `epochs_`, `best_epoch_`.
    """
    )

    name = "lstm"
    demand_classes = frozenset()  # a global fit: only when named, never inside `auto`

    def __init__(
        self,
        season_length: int = 52,
        input_length: int | None = None,
        output_length: int = 26,
        hidden_size: int = 32,
        max_epochs: int = 60,
        patience: int = 6,
        batch_size: int = 128,
        windows_per_epoch: int = 4096,
        learning_rate: float = 0.005,
        validation_windows: int = 8,
        random_state: int = 0,
        n_threads: int = 1,
    ):
        self.season_length = season_length
        self.input_length = input_length
        self.output_length = output_length
        self.hidden_size = hidden_size
        self.max_epochs = max_epochs
        self.patience = patience
        self.batch_size = batch_size
        self.windows_per_epoch = windows_per_epoch
        self.learning_rate = learning_rate
        self.validation_windows = validation_windows
        self.random_state = random_state
        self.n_threads = n_threads

    def fit(self, series: Sequence[np.ndarray], exog: Sequence[Any] | None = None) -> Self:
        arrays = self._fit_common(series)
        length, out, min_context = self._shape(max(a.size for a in arrays))
        windows = _make_windows(
            arrays, length, out, self.validation_windows, min_context, series_scale=None
        )
        training = self._train(windows, length, out)
        self.net_ = training.net
        self.input_length_, self.output_length_ = length, out
        self.series_ = arrays
        self.validation_loss_ = training.validation_loss
        self.epochs_, self.best_epoch_ = training.epochs, training.best_epoch
        self._fit_residuals(windows)
        return self

    def _fit_residuals(self, windows: _Windows) -> None:
        """Per-series residual scale and the pooled standardised residual vectors."""
        val = windows.validation
        forecast = self._net_predict(windows.x[val]) * windows.scale[val, None]
        resid = windows.y[val] * windows.scale[val, None] - forecast
        owner = windows.series[val]
        n = len(self.series_)
        counts = np.bincount(owner, minlength=n)
        sq = np.bincount(owner, weights=np.mean(resid**2, axis=1), minlength=n)
        sigma = np.sqrt(sq / np.maximum(counts, 1))
        now = np.array([_window_scale(*_inputs(y, self.input_length_)) for y in self.series_])
        known = (counts > 0) & (now > 0)
        ratio = float(np.median(sigma[known] / now[known])) if known.any() else 0.0
        self.sigma_ = np.where(counts > 0, sigma, ratio * now)
        usable = sigma[owner] > 0
        pool = resid[usable] / sigma[owner[usable], None]
        if pool.size == 0:
            pool = np.zeros((1, self.output_length_))
        self.residual_pool_ = pool - pool.mean(axis=0)

    def predict(self, horizon: int) -> np.ndarray:
        if not hasattr(self, "net_"):
            raise RuntimeError(f"{type(self).__name__} is not fitted yet: call fit(series) first")
        return self._recursive(self.series_, int(horizon), series_scale=None)

    def _pool_columns(self, horizon: int) -> np.ndarray:
        return np.arange(horizon) % self.output_length_

    def quantiles(self, horizon: int, levels: Sequence[float]) -> np.ndarray:
        z = np.quantile(self.residual_pool_, check_levels(levels), axis=0)  # (L, out)
        z = z[:, self._pool_columns(horizon)]
        return self.predict(horizon)[:, None, :] + self.sigma_[:, None, None] * z[None]

    def sample_paths(
        self, horizon: int, n_paths: int, rngs: Sequence[np.random.Generator]
    ) -> np.ndarray:
        mean = self.predict(horizon)
        if len(rngs) != mean.shape[0]:
            raise ValueError(f"need one generator per series ({mean.shape[0]}), got {len(rngs)}")
        out = self.output_length_
        n_blocks = -(-horizon // out)
        k = self.residual_pool_.shape[0]
        paths = np.empty((mean.shape[0], n_paths, horizon))
        for i, rng in enumerate(rngs):
            picks = rng.integers(k, size=(n_paths, n_blocks))
            z = self.residual_pool_[picks].reshape(n_paths, n_blocks * out)[:, :horizon]
            paths[i] = mean[i] + self.sigma_[i] * z
        return paths


class HybridForecaster(_DeepMixin, PanelForecaster):
    __doc__ = (
        """ARIMA (or another per-series `base` model) plus a global LSTM on its residuals.

    Each series is fitted with `base` (falling back along ets -> seasonal_naive -> empirical
    when that fit fails); the base model's in-sample residuals (`resid_`, aligned with the end
    of the series) are standardised by their root mean square and the network learns to
    forecast the next `output_length` of them from the last `input_length`. The residual
    forecast in data units is that times the base model's one-step standard deviation (read
    from its quantiles); the forecast is the base forecast plus the residual forecast, and the
    quantiles and paths are the base model's shifted by it. When the network does not beat
    predicting zero on the validation windows, the residual forecast is zero (the hybrid is
    its base model). A series whose base model
    keeps no in-sample residuals keeps its base forecast.
    """
        + _HYPERPARAMETERS_DOC
        + """
    Fitted attributes: `base_models_`, `residuals_` (standardised), `residual_unit_`, `use_network_`,
    `net_`, `input_length_`, `output_length_`, `validation_loss_`, `zero_loss_`, `epochs_`,
    `best_epoch_`.
    """
    )

    name = "hybrid"
    demand_classes = frozenset()

    def __init__(
        self,
        season_length: int = 52,
        base: str = "arima",
        input_length: int | None = None,
        output_length: int = 26,
        hidden_size: int = 32,
        max_epochs: int = 60,
        patience: int = 6,
        batch_size: int = 128,
        windows_per_epoch: int = 4096,
        learning_rate: float = 0.005,
        validation_windows: int = 8,
        random_state: int = 0,
        n_threads: int = 1,
    ):
        self.season_length = season_length
        self.base = base
        self.input_length = input_length
        self.output_length = output_length
        self.hidden_size = hidden_size
        self.max_epochs = max_epochs
        self.patience = patience
        self.batch_size = batch_size
        self.windows_per_epoch = windows_per_epoch
        self.learning_rate = learning_rate
        self.validation_windows = validation_windows
        self.random_state = random_state
        self.n_threads = n_threads

    def fit(self, series: Sequence[np.ndarray], exog: Sequence[Any] | None = None) -> Self:
        arrays = self._fit_common(series)
        with single_threaded_blas():
            self.base_models_ = [
                fit_with_fallback(self.base, y, int(self.season_length)) for y in arrays
            ]
        self.residuals_ = [
            in_sample_residuals(m, y) for m, y in zip(self.base_models_, arrays, strict=True)
        ]
        self.residual_unit_ = np.array([one_step_sd(m) for m in self.base_models_])
        scale = np.array([1.0 if r.size else 0.0 for r in self.residuals_])
        if not scale.any():
            raise ValueError(
                f"HybridForecaster: no base model keeps in-sample residuals (resid_); "
                f"base {self.base!r} fitted as {sorted({m.name for m in self.base_models_})}: "
                "use a base model with residuals, e.g. 'arima' or 'ets'"
            )
        longest = max((r.size for r in self.residuals_ if r.size), default=0)
        length, out, min_context = self._shape(longest)
        windows = _make_windows(
            self.residuals_, length, out, self.validation_windows, min_context, scale
        )
        training = self._train(windows, length, out)
        self.net_ = training.net
        self.input_length_, self.output_length_ = length, out
        self.validation_loss_, self.zero_loss_ = training.validation_loss, training.zero_loss
        self.epochs_, self.best_epoch_ = training.epochs, training.best_epoch
        self.use_network_ = training.validation_loss < training.zero_loss
        return self

    def residual_forecast(self, horizon: int) -> np.ndarray:
        """The network's residual forecast (n, horizon): zero where it is not used."""
        if not hasattr(self, "net_"):
            raise RuntimeError(f"{type(self).__name__} is not fitted yet: call fit(series) first")
        n = len(self.base_models_)
        if not self.use_network_:
            return np.zeros((n, horizon))
        scale = np.array([1.0 if r.size else 0.0 for r in self.residuals_])
        adjustment = self._recursive(self.residuals_, int(horizon), scale)
        return adjustment * np.where(scale > 0, self.residual_unit_, 0.0)[:, None]

    def predict(self, horizon: int) -> np.ndarray:
        base = np.stack([m.predict(horizon) for m in self._fitted_bases()])
        return base + self.residual_forecast(horizon)

    def quantiles(self, horizon: int, levels: Sequence[float]) -> np.ndarray:
        base = np.stack([m.quantiles(horizon, levels) for m in self._fitted_bases()])
        return base + self.residual_forecast(horizon)[:, None, :]

    def sample_paths(
        self, horizon: int, n_paths: int, rngs: Sequence[np.random.Generator]
    ) -> np.ndarray:
        bases = self._fitted_bases()
        if len(rngs) != len(bases):
            raise ValueError(f"need one generator per series ({len(bases)}), got {len(rngs)}")
        paths = np.stack(
            [m.sample_paths(horizon, n_paths, rng) for m, rng in zip(bases, rngs, strict=True)]
        )
        return paths + self.residual_forecast(horizon)[:, None, :]

    def _fitted_bases(self) -> list:
        if not hasattr(self, "base_models_"):
            raise RuntimeError(f"{type(self).__name__} is not fitted yet: call fit(series) first")
        return self.base_models_


def in_sample_residuals(model: Any, y: np.ndarray) -> np.ndarray:
    """A fitted base model's standardised in-sample residuals, aligned with the end of `y`.

    Reads the model's `resid_` (one-step innovations on the model's working scale: ARIMA
    and additive ETS in units of the deseasonalised series, multiplicative-error ETS relative
    to the one-step forecast) and divides them by their root mean square, so every model's
    residuals are unit-free. Empty when the model keeps none, they are not finite or all zero.
    """
    resid = getattr(model, "resid_", None)
    if resid is None:
        return np.zeros(0)
    resid = np.asarray(resid, dtype=np.float64).reshape(-1)[-y.size :]
    rms = float(np.sqrt(np.mean(resid**2))) if resid.size else 0.0
    if not (np.isfinite(rms) and rms > 0):
        return np.zeros(0)
    return resid / rms


def one_step_sd(model: Any) -> float:
    """The standard deviation of a fitted model's one-step forecast, in data units, read
    from its quantiles at the levels of +-1 standard deviation of a normal distribution."""
    q = model.quantiles(1, (_ONE_SD_LOW, _ONE_SD_HIGH))[:, 0]
    sd = float(q[1] - q[0]) / 2.0
    return sd if np.isfinite(sd) and sd > 0 else 0.0


def register_models() -> list[str]:
    """Register "lstm" and "hybrid" when torch is importable; the names registered."""
    if not torch_available():
        return []
    register(LSTMForecaster)
    register(HybridForecaster)
    return [LSTMForecaster.name, HybridForecaster.name]


REGISTERED = register_models()
"""Names this module registered: empty without torch."""
