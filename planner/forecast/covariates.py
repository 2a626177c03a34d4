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


COVARIATE_NAMES = ("promo", "price")
WEEKLY = "W-MON"


def covariates_from_dataset(
    dataset, series: pd.DataFrame, horizon_weeks: pd.DatetimeIndex
) -> Covariates:
    """Promotion and price regressors of `series` (columns sku, warehouse, in forecast order).

    History: `promo` and `price` of each series' weeks in `dataset.demand` (weekly, a complete
    grid per series; an unknown price stays NaN). Future, for `horizon_weeks` (the forecast
    weeks, following the last history week): `dataset.events` rows of the series' SKU for its
    warehouse or for every warehouse (warehouse ''; a row for the warehouse wins over one for
    every warehouse); a promotion not given is 0, a price not given is the series' last known
    price.
    """
    horizon_weeks = pd.DatetimeIndex(horizon_weeks)
    demand = dataset.demand
    groups = {key: frame for key, frame in demand.groupby(["sku", "warehouse"], sort=False)}
    events = _event_table(dataset.events, horizon_weeks)
    history, future, periods = [], [], []
    for sku, warehouse in zip(series["sku"], series["warehouse"], strict=True):
        frame = groups.get((sku, warehouse))
        if frame is None:
            raise ValueError(f"series {sku}/{warehouse} has no demand history")
        frame = frame.sort_values("week")
        past = frame[["promo", "price"]].to_numpy(dtype=np.float64)
        history.append(past)
        periods.append(pd.DatetimeIndex(frame["week"]))
        known = past[:, 1][np.isfinite(past[:, 1])]
        last_price = float(known[-1]) if known.size else np.nan
        ahead = np.column_stack(
            [np.zeros(len(horizon_weeks)), np.full(len(horizon_weeks), last_price)]
        )
        for scope in ("", warehouse):  # every-warehouse rows first, the warehouse's own win
            rows = events.get((sku, scope))
            if rows is None:
                continue
            pos = horizon_weeks.get_indexer(rows["week"])
            for column, name in enumerate(COVARIATE_NAMES):
                values = rows[name].to_numpy(dtype=np.float64)
                given = (pos >= 0) & np.isfinite(values)
                ahead[pos[given], column] = values[given]
        future.append(ahead)
    return Covariates(COVARIATE_NAMES, history, future, periods, WEEKLY)


def _event_table(events: pd.DataFrame, weeks: pd.DatetimeIndex) -> dict:
    """Events in the horizon by (sku, warehouse), warehouse '' meaning every warehouse."""
    if events.empty:
        return {}
    frame = events.loc[events["week"].isin(weeks)].copy()
    frame["warehouse"] = frame["warehouse"].fillna("").astype(str)
    return {key: rows for key, rows in frame.groupby(["sku", "warehouse"], sort=False)}
