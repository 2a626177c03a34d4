"""Dependence across series: each series' paths reordered by bootstrapped calendar weeks.

Models draw each series' paths from that series' own generator, so on their own the paths of
two series are independent, while real demand shares shocks (a hot week, a promotion wave, an
economic dip). The joint structure is taken from history, as a bootstrap of residual vectors
by calendar week: path number p of *every* series is tied to the same historical week w_p
(drawn once per panel from the seed alone, `CommonDraws`). Each series ranks its residual at
w_p among its residuals at the other drawn weeks, and its sample paths, ranked by their total
over the horizon, are permuted so that the path of rank k goes to the draw of rank k (ties
between draws of the same week broken by a key shared by all series). Two series whose
residuals moved together in history get paths whose totals move together; independent series
stay independent up to sampling noise (about 1/sqrt(weeks of history) in correlation).

Only the order of whole paths changes: each series keeps exactly its set of paths, so its
marginal distributions and its week-to-week dependence are untouched, and the result for a
series depends only on the seed, its own history and its own paths, never on other series.
The residuals are one-step errors of simple exponential smoothing (alpha 0.2) on the series
without its seasonal indices, so shared seasonality, which the forecasts already contain, does
not pass for shared shocks.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from planner.forecast.ets import SeasonalAdjustment
from planner.forecast.intermittent import ses

WARMUP = 4
"""Leading observations whose residuals are not used (the smoothing is starting up)."""
SMOOTHING = 0.2
_COMMON_STREAM = 0x5EED


@dataclass(frozen=True)
class CommonDraws:
    """The historical week of each path, as an offset from the end of the history
    (1 = the last observed period), and the tie-breaking key shared by every series."""

    offsets: np.ndarray
    keys: np.ndarray

    @classmethod
    def draw(cls, seed: int, n_paths: int, longest: int) -> CommonDraws:
        """Offsets uniform on 1..longest - WARMUP, from the seed alone."""
        rng = np.random.default_rng([seed, _COMMON_STREAM])
        high = max(longest - WARMUP, 1)
        return cls(rng.integers(1, high + 1, n_paths), rng.random(n_paths))


def shock_residuals(y: np.ndarray, season_length: int) -> np.ndarray:
    """One-step SES residuals of the deseasonalised series; NaN for the first WARMUP."""
    y = np.asarray(y, dtype=np.float64)
    x = SeasonalAdjustment.estimate(y, int(season_length)).remove(y)
    level = ses(x, SMOOTHING, float(np.mean(x[: min(x.size, 13)])))
    resid = np.full(x.size, np.nan)
    resid[1:] = x[1:] - level[:-1]
    resid[:WARMUP] = np.nan
    return resid


def joint_order(paths: np.ndarray, residuals: np.ndarray, draws: CommonDraws) -> np.ndarray:
    """The paths (n_paths, h) permuted so that their horizon totals follow the ranks of the
    series' residuals at the drawn weeks (weeks before the series started, or in its warm-up,
    count as its median residual)."""
    n = residuals.size
    position = n - draws.offsets
    valid = position >= 0
    template = np.full(draws.offsets.size, np.nan)
    template[valid] = residuals[position[valid]]
    median = float(np.nanmedian(residuals)) if np.isfinite(residuals).any() else 0.0
    template = np.where(np.isfinite(template), template, median)
    draw_rank_order = np.lexsort((draws.keys, template))
    path_rank_order = np.argsort(paths.sum(axis=1), kind="stable")
    perm = np.empty(paths.shape[0], dtype=np.int64)
    perm[draw_rank_order] = path_rank_order
    return paths[perm]
