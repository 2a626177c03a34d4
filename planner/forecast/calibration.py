"""Calibrated distributions: quantile recalibration learned from rolling-origin backtests.

At each backtest origin a model gives its quantiles on a fine grid of levels (`GRID`); the
probability integral transform (PIT) of the actual value, u = F(y), is read off that grid
(randomised across the levels of an atom when the distribution is discrete, as for
intermittent demand: u ~ U(F(y-), F(y))). A calibrated model has uniform PITs. When they are
not (intervals too narrow: too many PITs near 0 and 1), the calibrated quantile at level tau
is the model's quantile at a level G^{-1}(tau) chosen so that the central intervals cover
their nominal share of the backtest actuals: a conformal adjustment of the interval widths
(Kuleshov et al. 2018 recalibrate the full PIT distribution; here it is symmetrised, which
keeps the model's median and the mean of symmetric forecasts: point accuracy is the models'
job, calibration only fixes the spread). Maps are estimated per model (or, for `auto`, for the
selection procedure) and demand class and per forecast step (steps pooled with their
neighbours), shrunk towards the identity when PITs are few, falling back to every group.

Sample paths are calibrated by the same map applied to each path's rank at each step:
the path of rank k (ties broken at random) gets the model's quantile at level
G^{-1}((k + 0.5) / n_paths). This changes each step's marginal distribution to the calibrated
one (stratified, so the paths' mean is an accurate mean of the calibrated distribution) and
keeps the rank dependence between steps, hence the model's week-to-week dependence.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from planner.forecast.base import Forecaster, check_levels

GRID = np.round(
    np.r_[
        0.005, 0.01, 0.02, 0.03, 0.04, np.arange(0.05, 0.951, 0.025), 0.96, 0.97, 0.98, 0.99, 0.995
    ],
    4,
)
"""Levels at which backtests record each model's quantiles (for PITs and pinball losses)."""
KNOTS = np.round(
    np.r_[0.001, 0.005, 0.01, 0.025, 0.05, 0.075, np.arange(0.1, 0.91, 0.05), 0.925, 0.95],
    4,
)
KNOTS = np.r_[KNOTS, 0.975, 0.99, 0.995, 0.999]
"""Nominal levels at which the calibration map G^{-1} is stored (interpolated between)."""
LEVEL_RANGE = (0.001, 0.999)
"""Calibrated levels are kept inside this range (the model's extreme quantiles)."""
SHRINK_PITS = 100
"""Prior weight (in PITs) of the identity map: weight n / (n + SHRINK_PITS) on the data."""
MIN_PITS = 60
"""A (model, class) group with fewer PITs per step uses its model's map, then the pooled one."""
POOLED = "*"


def pit_values(
    y: np.ndarray, grid_quantiles: np.ndarray, rng: np.random.Generator, levels=GRID
) -> np.ndarray:
    """PITs of actuals y (h,) under quantiles (len(levels), h) given on `levels`.

    Between grid quantiles the CDF is linear; beyond the extreme ones u is half the tail
    level (levels[0] / 2, or (1 + levels[-1]) / 2). When y equals one or more grid quantiles
    (an atom), u is uniform over the levels the atom covers.
    """
    q = np.sort(np.asarray(grid_quantiles, dtype=np.float64), axis=0)
    lv = np.asarray(levels, dtype=np.float64)
    ext = np.r_[lv[0] / 2, lv, (1 + lv[-1]) / 2]
    mids = np.r_[0.0, (lv[:-1] + lv[1:]) / 2, 1.0]  # level bounds of each grid point's cell
    out = np.empty(q.shape[1])
    for j in range(q.shape[1]):
        col, v = q[:, j], y[j]
        below = int(np.searchsorted(col, v, side="left"))  # grid points < v
        upto = int(np.searchsorted(col, v, side="right"))  # grid points <= v
        if upto > below:  # v is an atom of the grid quantiles
            out[j] = rng.uniform(mids[below], mids[upto])
        elif below == 0:
            out[j] = ext[0]
        elif below == lv.size:
            out[j] = ext[-1]
        else:
            lo, hi = col[below - 1], col[below]
            out[j] = lv[below - 1] + (lv[below] - lv[below - 1]) * (v - lo) / (hi - lo)
    return out


def coverage_of(pits: np.ndarray, level: float) -> float:
    """Share of PITs inside the central interval of `level` (e.g. 0.8: [0.1, 0.9])."""
    tail = (1 - level) / 2
    pits = pits[np.isfinite(pits)]
    return float(np.mean((pits >= tail) & (pits <= 1 - tail))) if pits.size else float("nan")


@dataclass(frozen=True)
class Calibration:
    """Calibration maps G^{-1} per group, stored at `KNOTS` per step: maps[group] has shape
    (len(KNOTS), n_steps); a group is (model, demand class), (model, POOLED) or
    (POOLED, POOLED). Steps beyond n_steps use the last step's map."""

    maps: dict[tuple[str, str], np.ndarray] = field(default_factory=dict)
    counts: dict[tuple[str, str], int] = field(default_factory=dict)

    @classmethod
    def fit(cls, records: Iterable[tuple[str, str, np.ndarray]], window: int = 1) -> Calibration:
        """Estimate the maps from (model, demand class, pits) records, pits shaped
        (n_origins, n_steps) with NaN where a step was not observed."""
        groups: dict[tuple[str, str], list[np.ndarray]] = {}
        steps = 0
        for model, klass, pits in records:
            pits = np.atleast_2d(pits)
            steps = max(steps, pits.shape[1])
            for key in ((model, klass), (model, POOLED), (POOLED, POOLED)):
                groups.setdefault(key, []).append(pits)
        maps, counts = {}, {}
        for key, blocks in groups.items():
            width = max(b.shape[1] for b in blocks)
            stacked = np.vstack(
                [
                    np.pad(b, ((0, 0), (0, width - b.shape[1])), constant_values=np.nan)
                    for b in blocks
                ]
            )
            per_step = []
            n_min = None
            for j in range(width):
                lo, hi = max(0, j - window), min(width, j + window + 1)
                values = stacked[:, lo:hi].ravel()
                values = values[np.isfinite(values)]
                n_min = values.size if n_min is None else min(n_min, values.size)
                per_step.append(_inverse(values))
            maps[key] = np.column_stack(per_step)
            counts[key] = int(n_min or 0)
        return cls(maps, counts)

    def inverse(self, model: str, klass: str, horizon: int) -> np.ndarray | None:
        """G^{-1} at KNOTS for steps 1..horizon, shape (len(KNOTS), horizon), of the most
        specific group with enough PITs; None when there is none (no calibration)."""
        for key in ((model, klass), (model, POOLED), (POOLED, POOLED)):
            if key in self.maps and (self.counts[key] >= MIN_PITS or key[0] == POOLED):
                m = self.maps[key]
                cols = np.minimum(np.arange(horizon), m.shape[1] - 1)
                return m[:, cols]
        return None


def _inverse(pits: np.ndarray) -> np.ndarray:
    """The map G^{-1} at KNOTS from PITs: symmetric central-interval calibration.

    With d = |2 u - 1|, the central level at which an actual is just covered, the central
    interval of nominal level c gets the model's central interval of level c' = the
    c-quantile of d (shrunk towards c when PITs are few): levels 0.5 -+ c'/2. So the central
    intervals cover their nominal share of the backtest actuals, the median is the model's
    median, and a symmetric model distribution stays symmetric (its mean is kept).
    """
    if pits.size == 0:
        return KNOTS.copy()
    weight = pits.size / (pits.size + SHRINK_PITS)
    central = np.abs(2 * KNOTS - 1)
    width = weight * np.quantile(np.abs(2 * pits - 1), central) + (1 - weight) * central
    values = 0.5 + np.sign(KNOTS - 0.5) * width / 2
    return np.clip(np.maximum.accumulate(values), *LEVEL_RANGE)


def calibrated_levels(levels: np.ndarray, inverse: np.ndarray) -> np.ndarray:
    """Model levels for nominal `levels` (L,) or (L, h), per step, given G^{-1} (K, h)."""
    h = inverse.shape[1]
    lv = np.asarray(levels, dtype=np.float64)
    lv = np.broadcast_to(lv[:, None], (lv.size, h)) if lv.ndim == 1 else lv
    out = np.empty(lv.shape)
    for j in range(h):
        out[:, j] = np.interp(lv[:, j], KNOTS, inverse[:, j])
    return np.clip(out, *LEVEL_RANGE)


def path_levels(paths: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Mid-rank level (k + 0.5) / n_paths of each path (row) at each step (column), ties
    broken at random; paths (n_paths, h) -> levels of the same shape."""
    n, h = paths.shape
    tie = rng.random(paths.shape)
    levels = np.empty(paths.shape)
    for j in range(h):
        order = np.lexsort((tie[:, j], paths[:, j]))
        levels[order, j] = (np.arange(n) + 0.5) / n
    return levels


def calibrate(
    quantiles_by_step, mean: np.ndarray, levels: np.ndarray, paths: np.ndarray, inverse, rng
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Calibrated (mean, quantiles (L, h), paths (P, h)) of one series.

    `quantiles_by_step(levels (K, h)) -> (K, h)` is the model's quantile function; `inverse`
    the map G^{-1} at KNOTS (None: the model's own quantiles at `levels`, paths unchanged).
    The mean is the mean of the calibrated paths.
    """
    if inverse is None:
        h = mean.shape[-1]
        return mean, quantiles_by_step(np.repeat(np.asarray(levels)[:, None], h, axis=1)), paths
    q = quantiles_by_step(calibrated_levels(levels, inverse))
    new_paths = quantiles_by_step(calibrated_levels(path_levels(paths, rng), inverse))
    return new_paths.mean(axis=0), np.sort(q, axis=0), new_paths


def coverage_table(records: Iterable[tuple[str, str, np.ndarray]]) -> pd.DataFrame:
    """Backtest coverage of the central 80% and 95% intervals per model (raw model
    quantiles): model, level, coverage, n (PITs)."""
    by_model: dict[str, list[np.ndarray]] = {}
    for model, _, pits in records:
        by_model.setdefault(model, []).append(np.ravel(pits))
    rows = []
    for model, chunks in sorted(by_model.items()):
        pits = np.concatenate(chunks)
        pits = pits[np.isfinite(pits)]
        for level in (0.8, 0.95):
            rows.append((model, level, coverage_of(pits, level), int(pits.size)))
    return pd.DataFrame(rows, columns=["model", "level", "coverage", "n"])


class Tabulated(Forecaster):
    """A forecast given by tables rather than a fitted model: the mean (h,), sample paths
    (n_paths, h) and quantiles (len(levels), h) on a fine grid of levels, between which the
    quantile function is linear. It carries a panel model's forecast of one series into the
    per-series steps (combination, calibration). Built with `Tabulated.of`; `fit` keeps the
    tables (they are the fit)."""

    def __init__(self, label: str = "tabulated"):
        self.label = label

    @classmethod
    def of(cls, label, mean, paths, table, levels) -> Tabulated:
        model = cls(label)
        model.name = label
        model.mean_ = np.asarray(mean, dtype=np.float64)
        model.paths_ = np.asarray(paths, dtype=np.float64)
        model.table_ = np.sort(np.asarray(table, dtype=np.float64), axis=0)
        model.levels_ = np.asarray(levels, dtype=np.float64)
        return model

    def fit(self, y: np.ndarray, exog=None) -> Tabulated:
        self._check_fitted("table_")
        return self

    def predict(self, horizon: int) -> np.ndarray:
        self._check_fitted("mean_")
        return self.mean_[:horizon].copy()

    def quantiles(self, horizon: int, levels) -> np.ndarray:
        lv = check_levels(levels)
        return self.quantiles_by_step(np.repeat(lv[:, None], horizon, axis=1))

    def quantiles_by_step(self, levels: np.ndarray) -> np.ndarray:
        self._check_fitted("table_")
        levels = np.asarray(levels, dtype=np.float64)
        return np.column_stack(
            [
                np.interp(levels[:, j], self.levels_, self.table_[:, j])
                for j in range(levels.shape[1])
            ]
        )

    def sample_paths(self, horizon: int, n_paths: int, rng: np.random.Generator) -> np.ndarray:
        self._check_fitted("paths_")
        if n_paths != self.paths_.shape[0]:
            raise ValueError(f"{self.label} holds {self.paths_.shape[0]} paths, not {n_paths}")
        return self.paths_[:, :horizon].copy()
