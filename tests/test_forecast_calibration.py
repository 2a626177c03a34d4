"""Calibrated distributions, forecast combinations and dependence across series: PITs and
calibration maps on known cases, coverage of calibrated intervals on simulated series,
correlated series giving correlated paths. All data are generated with fixed seeds."""

from __future__ import annotations

import numpy as np
import pytest

from planner.forecast import forecast_panel
from planner.forecast.calibration import KNOTS, Calibration, calibrated_levels, pit_values
from planner.forecast.moving_average import MovingAverage
from planner.forecast.naive import SeasonalNaive
from planner.forecast.paths import CommonDraws, joint_order
from planner.forecast.selection import Combination


def test_pit_values_interpolate_and_spread_atoms():
    levels = np.array([0.1, 0.5, 0.9])
    grid = np.array([[0.0, 0.0], [10.0, 0.0], [20.0, 20.0]])  # step 2: an atom at 0
    rng = np.random.default_rng(0)
    u = pit_values(np.array([5.0, 30.0]), grid, rng, levels)
    assert u[0] == pytest.approx(0.3)  # halfway between the 0.1 and 0.5 quantiles
    u = pit_values(np.array([25.0, 30.0]), grid, rng, levels)
    assert u[0] == pytest.approx(0.95) and u[1] == pytest.approx(0.95)  # beyond the grid
    draws = np.array([pit_values(np.array([1.0, 0.0]), grid, rng, levels)[1] for _ in range(4000)])
    # the atom at 0 covers the levels up to the middle of 0.5 and 0.9
    assert draws.min() >= 0.0 and draws.max() <= 0.7
    assert draws.mean() == pytest.approx(0.35, abs=0.01)


def test_calibration_map_is_the_identity_for_uniform_pits_and_widens_narrow_models():
    rng = np.random.default_rng(1)
    uniform = rng.random((400, 6))
    identity = Calibration.fit([("m", "smooth", uniform)]).inverse("m", "smooth", 6)
    np.testing.assert_allclose(identity, np.repeat(KNOTS[:, None], 6, axis=1), atol=0.03)
    narrow = rng.beta(0.4, 0.4, (400, 6))  # a model too narrow: PITs pile up at 0 and 1
    inverse = Calibration.fit([("m", "smooth", narrow)]).inverse("m", "smooth", 6)
    levels = calibrated_levels(np.array([0.1, 0.5, 0.9]), inverse)
    assert np.all(levels[0] < 0.06) and np.all(levels[2] > 0.94)
    np.testing.assert_allclose(levels[1], 0.5)  # the median is kept
    # steps beyond the backtest horizon use the last step's map
    longer = Calibration.fit([("m", "smooth", narrow)]).inverse("m", "smooth", 9)
    np.testing.assert_array_equal(longer[:, 8], longer[:, 5])


def test_sparse_groups_fall_back_to_the_model_then_to_everything():
    rng = np.random.default_rng(2)
    records = [("a", "smooth", rng.random((200, 4))), ("a", "lumpy", rng.random((3, 4)))]
    cal = Calibration.fit(records)
    np.testing.assert_array_equal(cal.inverse("a", "lumpy", 4), cal.inverse("a", "*", 4))
    np.testing.assert_array_equal(cal.inverse("b", "smooth", 4), cal.inverse("*", "*", 4))


def local_level_panel(n: int, length: int, seed: int) -> list[np.ndarray]:
    """Random-walk levels around 100 plus noise: a constant-mean model is far too narrow."""
    rng = np.random.default_rng(seed)
    return [
        100 + np.cumsum(rng.normal(0, 1.0, length)) + rng.normal(0, 2.0, length) for _ in range(n)
    ]


@pytest.mark.parametrize("seed", [0, 1])
def test_calibrated_intervals_cover_their_nominal_level(seed):
    """300 series, 12 held-out weeks each, model moving_average (it assumes a constant mean,
    so its raw intervals cover about 66-70% and 85-88%). Calibrated on its backtests, the
    80% and 95% intervals cover within 4 and 3.5 points of nominal (measured: 81.6/94.7 and
    78.9/92.7; the binomial sd of 3,600 correlated checks is about 1.5 points)."""
    series = local_level_panel(300, 132, seed)
    train, test = [s[:120] for s in series], np.array([s[120:] for s in series])
    ids = [f"s{i}" for i in range(300)]
    levels = (0.025, 0.1, 0.9, 0.975)

    def coverage(calibrate: bool) -> tuple[float, float]:
        q = forecast_panel(
            train,
            ids,
            12,
            model="moving_average",
            season_length=1,
            quantile_levels=levels,
            n_paths=100,
            calibrate=calibrate,
            nonnegative=False,
        ).quantiles
        inside80 = (test >= q[:, 1]) & (test <= q[:, 2])
        inside95 = (test >= q[:, 0]) & (test <= q[:, 3])
        return float(inside80.mean()), float(inside95.mean())

    raw80, raw95 = coverage(False)
    cal80, cal95 = coverage(True)
    assert raw80 < 0.74 and raw95 < 0.90
    assert abs(cal80 - 0.80) <= 0.04
    assert abs(cal95 - 0.95) <= 0.035


def test_calibrated_paths_have_the_calibrated_quantiles():
    series = local_level_panel(80, 120, 3)
    fc = forecast_panel(
        series,
        [f"s{i}" for i in range(80)],
        8,
        model="moving_average",
        season_length=1,
        quantile_levels=(0.1, 0.5, 0.9),
        n_paths=1000,
        nonnegative=False,
    )
    empirical = np.quantile(fc.paths, [0.1, 0.5, 0.9], axis=1).transpose(1, 0, 2)
    width = fc.quantiles[:, 2] - fc.quantiles[:, 0]
    assert np.all(np.abs(empirical - fc.quantiles) <= 0.02 * width[:, None, :])
    np.testing.assert_allclose(fc.mean, fc.paths.mean(axis=1))


def common_factor_panel(n: int, length: int, seed: int, loading: float) -> list[np.ndarray]:
    """Series sharing a weekly shock f_t: y_i = 200 + loading * 10 f_t + 5 e_it."""
    rng = np.random.default_rng(seed)
    factor = rng.normal(0, 1, length)
    return [200 + loading * 10 * factor + 5 * rng.normal(0, 1, length) for _ in range(n)]


def mean_pairwise_correlation(paths: np.ndarray) -> float:
    totals = paths.sum(axis=2)  # (series, paths)
    corr = np.corrcoef(totals)
    return float(corr[np.triu_indices(len(totals), 1)].mean())


def test_correlated_series_give_correlated_paths():
    """Residual correlation of the shared-shock series is 100 / (100 + 25) = 0.8."""
    shared = common_factor_panel(8, 156, 0, loading=1.0)
    independent = common_factor_panel(8, 156, 1, loading=0.0)
    ids = [f"s{i}" for i in range(16)]
    kw = dict(model="moving_average", season_length=1, n_paths=1000, seed=5)
    fc = forecast_panel(shared + independent, ids, 6, **kw)
    assert mean_pairwise_correlation(fc.paths[:8]) > 0.5
    assert abs(mean_pairwise_correlation(fc.paths[8:])) < 0.1
    apart = forecast_panel(shared + independent, ids, 6, joint=False, **kw)
    assert abs(mean_pairwise_correlation(apart.paths[:8])) < 0.1
    # the same seed gives the same joint paths; each series keeps its own set of paths
    again = forecast_panel(shared + independent, ids, 6, **kw)
    np.testing.assert_array_equal(fc.paths, again.paths)
    np.testing.assert_array_equal(np.sort(fc.paths, axis=1), np.sort(apart.paths, axis=1))


def test_joint_order_only_permutes_whole_paths():
    rng = np.random.default_rng(0)
    paths = rng.normal(size=(50, 4))
    residuals = rng.normal(size=60)
    draws = CommonDraws.draw(3, 50, 60)
    ordered = joint_order(paths, residuals, draws)
    assert sorted(map(tuple, ordered)) == sorted(map(tuple, paths))
    template = residuals[60 - draws.offsets]
    rank_t = np.argsort(np.lexsort((draws.keys, template)))  # ties: the shared key
    rank_p = np.argsort(np.argsort(ordered.sum(axis=1)))
    np.testing.assert_array_equal(rank_t, rank_p)


def test_combination_averages_quantiles_and_means():
    y = 50 + np.random.default_rng(0).normal(0, 5, 80)
    a = MovingAverage(window=8).fit(y)
    b = SeasonalNaive(season_length=1).fit(y)
    combo = Combination.of([a, b])
    assert combo.name == "moving_average+seasonal_naive"
    levels = [0.1, 0.5, 0.9]
    np.testing.assert_allclose(
        combo.quantiles(5, levels), (a.quantiles(5, levels) + b.quantiles(5, levels)) / 2
    )
    np.testing.assert_allclose(combo.predict(5), (a.predict(5) + b.predict(5)) / 2)
    paths = combo.sample_paths(5, 2000, np.random.default_rng(1))
    np.testing.assert_allclose(
        np.quantile(paths, levels, axis=0), combo.quantiles(5, levels), rtol=0.01
    )
