"""Demand from a known generator, for replays with many replications (`--synthetic`).

The generator is fitted once to the dataset's cleaned history (censored weeks re-estimated,
outliers capped), per SKU-warehouse:

    expected demand  m_{i,t}  the history smoothed by a centred moving average of
                              `SMOOTH_WEEKS` weeks (level, trend, season and promotion lifts)
    counts           D_{i,t} ~ NegBin with mean m and variance m + m^2 / k_i (Poisson-gamma),
                              k_i from the residual variance (Poisson when not over-dispersed)

Each replication draws a whole history + window from it with its own seed; the forecasters see
the drawn history before each replay week, the policies are scored on the drawn window.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from planner.data import Dataset

SMOOTH_WEEKS = 9
MAX_DISPERSION = 1e4  # k above this: Poisson


@dataclass(frozen=True)
class DemandGenerator:
    """Known demand distribution per series (rows in `Dataset.series` order) and week."""

    weeks: pd.DatetimeIndex  # (T,)
    mean: np.ndarray  # (n, T)
    dispersion: np.ndarray  # (n,) NegBin k; inf = Poisson

    def sample(self, seed: int, replication: int) -> np.ndarray:
        """(n, T) integer demand of one replication."""
        rng = np.random.default_rng([seed, 0x5EED, replication])
        k = self.dispersion[:, None]
        gamma = np.where(
            np.isfinite(k),
            rng.gamma(
                np.where(np.isfinite(k), k, 1.0),
                1.0 / np.where(np.isfinite(k), k, 1.0),
                self.mean.shape,
            ),
            1.0,
        )
        return rng.poisson(self.mean * gamma).astype(float)

    def variance(self) -> np.ndarray:
        k = self.dispersion[:, None]
        return self.mean + np.where(
            np.isfinite(k), self.mean**2 / np.where(np.isfinite(k), k, 1.0), 0.0
        )


def fit_generator(dataset: Dataset) -> DemandGenerator:
    """The generator of the module docstring, fitted to the cleaned history of `dataset`."""
    from planner.data.clean import clean_for_forecast

    cleaned = clean_for_forecast(dataset)
    weeks = pd.DatetimeIndex(sorted(cleaned.demand["week"].unique()))
    grid = (
        cleaned.demand.pivot_table(
            index=["sku", "warehouse"], columns="week", values="quantity", aggfunc="sum"
        )
        .reindex(pd.MultiIndex.from_frame(dataset.series))
        .reindex(columns=weeks)
    )
    y = grid.to_numpy(float)
    frame = pd.DataFrame(y.T)
    mean = (
        frame.rolling(SMOOTH_WEEKS, center=True, min_periods=1).mean().to_numpy().T
    )  # NaN weeks (before a series starts) stay out of the mean
    mean = np.where(np.isfinite(mean), np.maximum(mean, 0.0), 0.0)
    resid = np.where(np.isfinite(y), y - mean, np.nan)
    m = np.nanmean(np.where(np.isfinite(y), mean, np.nan), axis=1)
    var = np.nanvar(resid, axis=1)
    m2 = np.nanmean(np.where(np.isfinite(y), mean**2, np.nan), axis=1)
    excess = var - m
    k = np.where(excess > 1e-9, m2 / np.where(excess > 1e-9, excess, 1.0), np.inf)
    k = np.where(k > MAX_DISPERSION, np.inf, k)
    return DemandGenerator(weeks=weeks, mean=mean, dispersion=k)


def with_demand(dataset: Dataset, generator: DemandGenerator, demand: np.ndarray) -> Dataset:
    """The dataset with its demand history replaced by `demand` (n, T) (no stockouts)."""
    frame = dataset.demand
    key = pd.MultiIndex.from_frame(dataset.series)
    row = pd.Series(np.arange(len(key)), index=key)
    i = row.reindex(pd.MultiIndex.from_frame(frame[["sku", "warehouse"]])).to_numpy()
    t = generator.weeks.get_indexer(frame["week"])
    return replace(dataset, demand=frame.assign(quantity=demand[i, t], stockout=0))
