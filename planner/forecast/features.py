"""Features of a panel for the global machine-learning forecasters of `planner.forecast.ml`.

Direct multi-horizon layout, horizon as a feature: one row per (series i, origin t, step h)
whose target is y_i[t+h] and whose features use only what is known at the origin t:

- scale  every value is divided by the series' level at the origin (mean of the last
         max(season_length, 13) observations up to t; 1 when that is 0), so one model learns
         across series of very different sizes; `log_level` = log(1 + level) keeps the size
- lags   lag_k = y[t+1-k] for k in 1, 2, 3, 4 and about a quarter season (13 for weekly)
- rolling mean and standard deviation over the last 4, 8 and 13 observations; the share of
         zero weeks in the last 13; `trend` = mean of the last 13 minus the 13 before
- season (when season_length >= 4) `season_lag` = y[t+h-m] (one season before the target
         week, further back for steps beyond a season), its 3-week mean, and `season_index`:
         that 3-week mean over the level one season before the origin (last year's seasonal
         factor of the target week, free of this year's growth)
- step   h: the tree models learn every step in one model; the linear model fits one model
         per step on the same rows (see `planner.forecast.ml`)
- age    seasons of history at the origin (capped at 2): origins before a full season are
         training rows too, so the model learns what the calendar says about new series
- calendar of the target week, when the periods are known: sin/cos of the annual phase and
         of its second harmonic (week of year or month as a cycle)
- covariates (promotion flags, prices, ...) of the target week and of the origin week;
         columns whose name contains "price" are divided by the series' usual price at the
         origin (mean over the level window), so 0.8 reads "20% off" whatever the inflation

Values before the start of a series (short histories) are filled with the level, unknown
covariate values with the series' median of its known values.
Everything is computed once on flat arrays (series after series, each followed by `horizon`
future slots), so building a few hundred thousand rows takes a fraction of a second.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from planner.forecast.covariates import Covariates

WINDOWS = (4, 8, 13)
"""Rolling windows (observations) of the mean and standard deviation features."""
ZERO_WINDOW = 13
MIN_OBSERVATIONS = 4
"""A training origin has at least this many observations (its level is their mean)."""


def feature_lags(season_length: int) -> tuple[int, ...]:
    """Lags relative to the origin: 1-4 and about a quarter season (13 for weekly data)."""
    quarter = round(season_length / 4)
    return tuple(sorted({1, 2, 3, 4, *((quarter,) if quarter > 4 else ())}))


def level_window(season_length: int) -> int:
    """Observations averaged into the level that scales every feature and target."""
    return max(int(season_length), max(WINDOWS))


def _window_sums(values: np.ndarray, starts: np.ndarray, lengths: np.ndarray, width: int):
    """Sum and count over the last `width` observations up to each position, per block.

    `values` is flat (blocks back to back); position p of the block starting at s covers
    values[max(s, p - width + 1) .. p]. Returns (sums, counts), both flat. The running sums
    restart at each block, so a block's sums do not depend on the blocks before it (not
    even in rounding): the features of a series do not depend on its place in the panel.
    """
    csum = np.empty_like(values)
    for length in np.unique(lengths):
        at = starts[lengths == length][:, None] + np.arange(length)
        csum[at] = np.cumsum(values[at], axis=1)
    pos = np.arange(values.size)
    block_start = np.repeat(starts, lengths)
    lo = np.maximum(block_start, pos - width + 1)
    before = np.where(lo > block_start, csum[np.maximum(lo - 1, 0)], 0.0)
    return csum - before, (pos - lo + 1).astype(np.float64)


def _mix(x: np.ndarray) -> np.ndarray:
    """splitmix64: a well-spread 64-bit hash of each uint64 (wrapping arithmetic)."""
    x = x + np.uint64(0x9E3779B97F4A7C15)
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


def _series_keys(arrays: list[np.ndarray], covariates: Covariates | None) -> np.ndarray:
    """A 64-bit fingerprint of each series' values (and covariates): identifies a series
    whatever its position in the panel."""
    keys = np.empty(len(arrays), dtype=np.uint64)
    for i, y in enumerate(arrays):
        digest = hashlib.blake2b(np.ascontiguousarray(y).tobytes(), digest_size=8)
        if covariates is not None:
            digest.update(np.ascontiguousarray(covariates.history[i], dtype=np.float64).tobytes())
            digest.update(np.ascontiguousarray(covariates.future[i], dtype=np.float64).tobytes())
        keys[i] = np.frombuffer(digest.digest(), dtype=np.uint64)[0]
    return keys


def _annual_phase(periods: pd.DatetimeIndex) -> np.ndarray:
    """Position in the year in [0, 1): (day of year - 1) / days in the year."""
    days = np.where(periods.is_leap_year, 366.0, 365.0)
    return (np.asarray(periods.day_of_year, dtype=np.float64) - 1.0) / days


def _fill_covariates(history: np.ndarray, future: np.ndarray) -> np.ndarray:
    """History and future rows of one series stacked; an unknown value takes the series'
    median of its known values (0 when none are known)."""
    rows = np.vstack([history, future]).astype(np.float64)
    known = np.isfinite(history)
    for j in range(rows.shape[1]):
        column = history[known[:, j], j]
        rows[~np.isfinite(rows[:, j]), j] = float(np.median(column)) if column.size else 0.0
    return rows


@dataclass(frozen=True, eq=False)
class Rows:
    """Rows of the feature table: series index, origin (0-based position in the series)
    and step (1..horizon) per row, as int arrays of equal length."""

    series: np.ndarray
    origin: np.ndarray
    step: np.ndarray

    def __len__(self) -> int:
        return int(self.series.size)

    def take(self, idx: np.ndarray) -> Rows:
        return Rows(self.series[idx], self.origin[idx], self.step[idx])


@dataclass(frozen=True, eq=False)
class PanelFeatures:
    """The features of a panel, on flat arrays: build with `PanelFeatures.build`.

    Block i (series i) starts at `starts[i]` and holds `lengths[i]` observations followed by
    `horizon` future slots (NaN in `y`). `origin_values` holds the scaled features that depend
    on the origin only, `target_values` the calendar and (NaN-filled) covariate values of each
    slot, `price_level` the trailing mean of each price column (`price_columns` of
    `target_values`) up to each position.
    """

    names: tuple[str, ...]
    season_length: int
    horizon: int
    lengths: np.ndarray
    starts: np.ndarray
    y: np.ndarray
    level: np.ndarray
    scale: np.ndarray
    level_before: np.ndarray
    origin_values: np.ndarray
    target_values: np.ndarray
    n_covariates: int
    price_columns: np.ndarray
    price_level: np.ndarray
    series_keys: np.ndarray

    @classmethod
    def build(
        cls,
        series: Sequence[np.ndarray],
        covariates: Covariates | None,
        season_length: int,
        horizon: int,
    ) -> PanelFeatures:
        """Precompute the features of every series for forecasts up to `horizon` steps.

        `covariates` (or None: no regressors, no calendar) must hold one entry per series,
        aligned with its history; its future rows beyond `horizon` are ignored and missing
        ones are unknown (filled like missing history values).
        """
        m, horizon = int(season_length), int(horizon)
        if m < 1 or horizon < 1:
            raise ValueError(f"season_length and horizon must be >= 1, got {m} and {horizon}")
        arrays = [np.asarray(y, dtype=np.float64).reshape(-1) for y in series]
        if not arrays:
            raise ValueError("the panel has no series")
        if covariates is not None:
            _check_covariates(covariates, arrays)
        lengths = np.array([a.size for a in arrays], dtype=np.int64)
        block = lengths + horizon
        starts = np.concatenate([[0], np.cumsum(block)[:-1]]).astype(np.int64)
        total = int(block.sum())
        in_history = np.zeros(total, dtype=bool)
        for s, n in zip(starts, lengths, strict=True):
            in_history[s : s + n] = True
        y = np.full(total, np.nan)
        y[in_history] = np.concatenate(arrays)
        filled = np.where(in_history, y, 0.0)

        def window(values: np.ndarray, width: int) -> tuple[np.ndarray, np.ndarray]:
            return _window_sums(values, starts, block, width)

        sums, counts = window(filled, level_window(m))
        level = sums / counts
        scale = np.where(level > 0, level, 1.0)
        pos_in_block = np.arange(total) - np.repeat(starts, block)
        before = pos_in_block - m
        level_before = np.where(before >= 0, level[np.maximum(np.arange(total) - m, 0)], np.nan)

        names: list[str] = []
        columns: list[np.ndarray] = []
        for k in feature_lags(m):
            lagged = np.where(
                pos_in_block >= k - 1, filled[np.maximum(np.arange(total) - k + 1, 0)], level
            )
            names.append(f"lag_{k}")
            columns.append(lagged / scale)
        for w in WINDOWS:
            s1, c = window(filled, w)
            s2, _ = window(filled**2, w)
            mean = s1 / c
            names += [f"roll_mean_{w}", f"roll_std_{w}"]
            columns += [mean / scale, np.sqrt(np.maximum(s2 / c - mean**2, 0.0)) / scale]
        zeros, c = window((filled == 0).astype(np.float64), ZERO_WINDOW)
        names.append(f"zero_share_{ZERO_WINDOW}")
        columns.append(zeros / c)
        recent, c_recent = window(filled, ZERO_WINDOW)
        older_pos = np.arange(total) - ZERO_WINDOW
        has_older = pos_in_block >= ZERO_WINDOW
        older = np.where(
            has_older, (recent / c_recent)[np.maximum(older_pos, 0)], recent / c_recent
        )
        names.append("trend")
        columns.append((recent / c_recent - older) / scale)
        names.append("log_level")
        columns.append(np.log1p(np.maximum(level, 0.0)))
        names.append("age")
        columns.append(np.minimum(pos_in_block + 1, 2 * m) / m)
        origin_values = np.column_stack(columns)

        target_names, target_values = _target_features(covariates, arrays, lengths, horizon)
        covariate_names = covariates.names if covariates is not None else ()
        first_covariate = target_values.shape[1] - len(covariate_names)
        price_columns = np.array(
            [first_covariate + j for j, c in enumerate(covariate_names) if "price" in c.lower()],
            dtype=np.intp,
        )
        price_level = np.zeros((total, price_columns.size))
        for k, j in enumerate(price_columns):
            sums, counts = window(target_values[:, j], level_window(m))
            price_level[:, k] = sums / counts
        seasonal = ("season_lag", "season_mean3", "season_index") if m >= 4 else ()
        all_names = (
            *names,
            "step",
            *seasonal,
            *target_names,
            *(f"{name}_origin" for name in covariate_names),
        )
        return cls(
            names=tuple(all_names),
            season_length=m,
            horizon=horizon,
            lengths=lengths,
            starts=starts,
            y=y,
            level=level,
            scale=scale,
            level_before=level_before,
            origin_values=origin_values,
            target_values=target_values,
            n_covariates=len(covariate_names),
            price_columns=price_columns,
            price_level=price_level,
            series_keys=_series_keys(arrays, covariates),
        )

    @property
    def n_series(self) -> int:
        return int(self.lengths.size)

    def rows(self, series: np.ndarray, origin: np.ndarray, step: np.ndarray) -> Rows:
        """Rows from index arrays (broadcast to a common shape and flattened); ValueError for
        an origin outside a series' history or a step outside 1..horizon."""
        s, o, h = (np.ravel(a).astype(np.int64) for a in np.broadcast_arrays(series, origin, step))
        if np.any((o < 0) | (o >= self.lengths[s])):
            raise ValueError("every origin must lie inside its series' history")
        if np.any((h < 1) | (h > self.horizon)):
            raise ValueError(f"steps must lie in 1..{self.horizon}")
        return Rows(s, o, h)

    def keys(
        self, series: np.ndarray, origin: np.ndarray, step: np.ndarray, salt: int
    ) -> np.ndarray:
        """Pseudo-random 64-bit keys of (series, origin, step) triples that depend on the
        series' values, not on its position in the panel: sampling the smallest keys, in
        key order, makes a model's fit independent of the order of the series."""
        position = origin.astype(np.uint64) * np.uint64(1 << 20) + step.astype(np.uint64)
        return _mix(self.series_keys[series] ^ _mix(position ^ np.uint64(salt)))

    def forecast_rows(self, horizon: int | None = None) -> Rows:
        """Rows of the forecast from the end of each history: series-major, steps 1..horizon."""
        h = self.horizon if horizon is None else int(horizon)
        n = self.n_series
        return self.rows(
            np.repeat(np.arange(n), h),
            np.repeat(self.lengths - 1, h),
            np.tile(np.arange(1, h + 1), n),
        )

    def first_origins(self) -> np.ndarray:
        """First training origin of each series: once the longest window (13) is filled, or
        earlier for a short series so that it still gives about 8 origins, but never before
        MIN_OBSERVATIONS observations.

        Origins before a full season of history are kept on purpose: with the `age` feature
        they teach the model how a series without a seasonal lag (a new product) behaves,
        from the calendar features it shares with the older series.
        """
        warm = max(max(WINDOWS), max(feature_lags(self.season_length))) - 1
        room = self.lengths - self.horizon - 8
        return np.minimum(warm, np.maximum(room, MIN_OBSERVATIONS - 1))

    def training_rows(
        self,
        last_target: np.ndarray | None = None,
        step: int | None = None,
        recent: int | None = None,
    ) -> Rows:
        """Every (series, origin, step) with a known target, origins from `first_origins()`.

        `last_target` (per series) keeps only rows whose target position is at most that
        (a time split: what was known at that date); by default the end of each history.
        `step` keeps only that step; `recent` only the last `recent` origins of each series.
        """
        last = self.lengths - 1 if last_target is None else np.asarray(last_target, np.int64)
        first = self.first_origins()
        lowest = 1 if step is None else int(step)
        if recent is not None:
            first = np.maximum(first, last - lowest + 1 - int(recent))
        counts = np.maximum(last - first - lowest + 1, 0)  # origins t in [first, last - lowest]
        series = np.repeat(np.arange(self.n_series), counts)
        offset = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
        origin = first[series] + offset
        if step is not None:
            return Rows(series, origin, np.full(origin.size, lowest, dtype=np.int64))
        steps = np.minimum(last[series] - origin, self.horizon)
        rep = np.repeat(np.arange(origin.size), steps)
        step_of = np.arange(steps.sum()) - np.repeat(np.cumsum(steps) - steps, steps) + 1
        return Rows(series[rep], origin[rep], step_of)

    def matrix(self, rows: Rows) -> np.ndarray:
        """Feature matrix of the rows, shape (len(rows), len(names)), columns as `names`."""
        o = self.starts[rows.series] + rows.origin
        g = o + rows.step
        parts = [self.origin_values[o], rows.step[:, None].astype(np.float64)]
        if self.season_length >= 4:
            parts.append(self._seasonal(rows, o))
        target = self.target_values[g]
        origin = self.target_values[o][:, target.shape[1] - self.n_covariates :]
        if self.price_columns.size:  # prices relative to the origin's usual price
            usual = self.price_level[o]
            usual = np.where(usual > 0, usual, np.nan)
            first = target.shape[1] - self.n_covariates
            for k, j in enumerate(self.price_columns):
                target[:, j] = np.nan_to_num(target[:, j] / usual[:, k], nan=1.0)
                origin[:, j - first] = np.nan_to_num(origin[:, j - first] / usual[:, k], nan=1.0)
        parts += [target, origin]
        return np.column_stack(parts)

    def _seasonal(self, rows: Rows, o: np.ndarray) -> np.ndarray:
        """season_lag, season_mean3 and season_index of the rows (origins at flat `o`)."""
        m = self.season_length
        lag_pos = rows.origin + rows.step - m * np.ceil(rows.step / m).astype(np.int64)
        has = lag_pos >= 0  # the target week one (or more) seasons back is in the history
        base = self.starts[rows.series]
        level, scale = self.level[o], self.scale[o]
        total = np.zeros(len(rows))
        count = np.zeros(len(rows))
        for d in (-1, 0, 1):
            p = lag_pos + d
            ok = has & (p >= 0) & (p <= rows.origin)
            total += np.where(ok, self.y[base + np.clip(p, 0, None)], 0.0)
            count += ok
        mean3 = np.where(has, total / np.maximum(count, 1), level)
        season_lag = np.where(has, self.y[base + np.clip(lag_pos, 0, None)], level)
        ref = self.level_before[o]
        usable = has & np.isfinite(ref) & (ref > 0)
        index = np.where(usable, mean3 / np.where(usable, ref, 1.0), 1.0)
        return np.column_stack([season_lag / scale, mean3 / scale, index])

    def target(self, rows: Rows) -> np.ndarray:
        """Scaled targets y[t+h] / scale(t) (NaN for future positions)."""
        o = self.starts[rows.series] + rows.origin
        return self.y[o + rows.step] / self.scale[o]

    def scale_at(self, rows: Rows) -> np.ndarray:
        """The scale of each row's origin: multiply a scaled prediction by it."""
        return self.scale[self.starts[rows.series] + rows.origin]


def _check_covariates(covariates: Covariates, arrays: list[np.ndarray]) -> None:
    if not isinstance(covariates, Covariates):
        raise TypeError(
            f"exog must be a planner.forecast.Covariates or None; got {type(covariates).__name__}"
        )
    if len(covariates.history) != len(arrays):
        raise ValueError(
            f"covariates hold {len(covariates.history)} series but the panel has {len(arrays)}"
        )
    bad = [
        i
        for i, (h, y) in enumerate(zip(covariates.history, arrays, strict=True))
        if len(h) != y.size
    ]
    if bad:
        raise ValueError(
            f"covariate history rows must match the series lengths; series {bad[:5]} do not"
        )


def _target_features(
    covariates: Covariates | None, arrays: list[np.ndarray], lengths: np.ndarray, horizon: int
) -> tuple[tuple[str, ...], np.ndarray]:
    """Calendar and covariate features of every slot (history and future), flat."""
    total = int((lengths + horizon).sum())
    if covariates is None:
        return (), np.empty((total, 0))
    names = covariates.names
    calendars: dict[tuple, np.ndarray] = {}  # series usually share their dates
    blocks = []
    for i in range(len(arrays)):
        periods = pd.DatetimeIndex(covariates.periods[i])
        key = (periods[0], periods[-1], len(periods))
        if key not in calendars:
            ahead = pd.date_range(periods[-1], periods=horizon + 1, freq=covariates.freq)[1:]
            angle = 2 * np.pi * _annual_phase(periods.append(ahead))
            calendars[key] = np.column_stack(
                [np.sin(angle), np.cos(angle), np.sin(2 * angle), np.cos(2 * angle)]
            )
        future = covariates.future[i][:horizon]
        if len(future) < horizon:
            missing = np.full((horizon - len(future), len(names)), np.nan)
            future = np.vstack([future, missing]) if len(future) else missing
        values = _fill_covariates(covariates.history[i], future)
        blocks.append(np.column_stack([calendars[key], values]))
    calendar_names = ("year_sin", "year_cos", "year_sin2", "year_cos2")
    return (*calendar_names, *names), np.vstack(blocks)
