"""Known regressors (promotion flags, prices, calendar) for the history and the horizon.

Per-series models may ignore them; global machine-learning models use them as features.
`Covariates` is the one type that carries them into `forecast_panel`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Covariates:
    """Regressors aligned with each series' history and with the forecast horizon.

    names    column names, e.g. ("promo", "price")
    history  one array per series, shape (len(y_i), len(names)), aligned with y_i (NaN = unknown)
    future   one array per series, shape (horizon, len(names)): values known in advance
             (planned promotions, list prices); NaN = unknown
    periods  one DatetimeIndex per series with the timestamps of its history (calendar
             features); the horizon continues at `freq` after the last one
    freq     pandas frequency string of the periods, e.g. "W-MON", "MS"
    """

    names: tuple[str, ...]
    history: list[np.ndarray]
    future: list[np.ndarray]
    periods: list[pd.DatetimeIndex]
    freq: str

    def __post_init__(self) -> None:
        k = len(self.names)
        if not (len(self.history) == len(self.future) == len(self.periods)):
            raise ValueError("history, future and periods need one entry per series")
        for h, f, p in zip(self.history, self.future, self.periods, strict=True):
            if h.ndim != 2 or h.shape[1] != k or f.ndim != 2 or f.shape[1] != k:
                raise ValueError(f"covariate arrays must have {k} columns")
            if len(p) != h.shape[0]:
                raise ValueError("periods must align with the history rows")

    @property
    def horizon(self) -> int:
        return int(self.future[0].shape[0]) if self.future else 0

    def future_periods(self, i: int) -> pd.DatetimeIndex:
        """Timestamps of the horizon of series i."""
        return pd.date_range(self.periods[i][-1], periods=self.horizon + 1, freq=self.freq)[1:]

    def subset(self, idx: list[int]) -> Covariates:
        return Covariates(
            names=self.names,
            history=[self.history[i] for i in idx],
            future=[self.future[i] for i in idx],
            periods=[self.periods[i] for i in idx],
            freq=self.freq,
        )

    def truncate(self, i: int, length: int, horizon: int) -> tuple[np.ndarray, np.ndarray]:
        """History of series i cut to its first `length` rows, and the next `horizon` rows as
        its future (for backtests: what was known at that origin)."""
        h = self.history[i]
        fut = h[length : length + horizon]
        if len(fut) < horizon:
            fut = np.vstack([fut, np.full((horizon - len(fut), h.shape[1]), np.nan)])
        return h[:length], fut
