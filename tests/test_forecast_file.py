"""Forecasts given by the user (forecast.model: file): distributions, sampling accuracy,
quantile-column input and every error, reported together."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from planner.errors import ConfigError, InputError
from planner.forecast import read_forecast_file

WEEKS = pd.date_range("2025-01-06", periods=3, freq="W-MON")
N = 500
LEVELS = (0.05, 0.1, 0.5, 0.9, 0.95)


def series(*pairs: tuple[str, str]) -> pd.DataFrame:
    return pd.DataFrame(pairs or [("A", "W1")], columns=["sku", "warehouse"])


def write(tmp_path: Path, rows: list[dict], name: str = "fc.csv") -> Path:
    path = tmp_path / name
    frame = pd.DataFrame(rows)
    if name.endswith(".csv"):
        frame.to_csv(path, index=False)
    else:
        frame.to_parquet(path, index=False)
    return path


def weekly_rows(sku="A", warehouse="W1", weeks=WEEKS, **columns) -> list[dict]:
    return [{"week": f"{w:%Y-%m-%d}", "sku": sku, "warehouse": warehouse, **columns} for w in weeks]


def read(path, frame=None, weeks=WEEKS, n_paths=N, seed=0, **kw):
    return read_forecast_file(
        path, series() if frame is None else frame, weeks, n_paths=n_paths, seed=seed, **kw
    )


DISTS = {
    "normal": ({"mean": 50.0, "sd": 8.0}, stats.norm(50, 8)),
    "gamma": ({"mean": 20.0, "sd": 5.0}, stats.gamma(16.0, scale=1.25)),
    "poisson": ({"mean": 7.0}, stats.poisson(7.0)),
    "negbin": ({"mean": 4.0, "sd": 3.0}, stats.nbinom(16 / 5, 4 / 9)),
}


@pytest.mark.parametrize("dist", sorted(DISTS))
def test_parametric_paths_match_scipy(tmp_path, dist):
    """Latin hypercube sampling puts exactly one uniform in each 1/n stratum, so the paths'
    empirical CDF is within 1/n of the true CDF everywhere (discrete ones included); the
    paths' mean is within 3 iid standard errors (LHS does far better)."""
    params, frozen = DISTS[dist]
    sd_column = {"sd": 0.0} if dist == "poisson" else {}
    path = write(tmp_path, weekly_rows(distribution=dist, **params, **sd_column))
    result = read(path)
    assert result.model == ["file"] and result.ids == ["A/W1"]
    assert result.paths.shape == (1, N, 3) and np.all(result.paths >= 0)
    np.testing.assert_allclose(result.mean, frozen.mean(), rtol=1e-9)
    np.testing.assert_allclose(result.quantiles[0, :, 0], frozen.ppf(LEVELS))
    for week in range(3):
        p = result.paths[0, :, week]
        for x in frozen.ppf(np.linspace(0.02, 0.98, 25)):
            assert abs(np.mean(p <= x) - frozen.cdf(x)) <= 1 / N + 1e-12
        assert abs(p.mean() - frozen.mean()) <= 3 * frozen.std() / np.sqrt(N)
    if dist in ("poisson", "negbin"):
        assert np.all(result.paths == np.round(result.paths))


def test_newsvendor_quantile_from_paths(tmp_path):
    """normal(50, 8): the critical-fractile order read from 500 paths is the true quantile."""
    path = write(tmp_path, weekly_rows(mean=50, sd=8))
    paths = read(path, seed=7).paths[0, :, 0]
    for fractile in (0.7953, 0.8, 0.9):
        assert np.quantile(paths, fractile) == pytest.approx(
            stats.norm.ppf(fractile, 50, 8), abs=0.1
        )
    assert np.quantile(paths, 0.7953) == pytest.approx(56.60, abs=0.05)


def test_normal_near_zero_is_truncated_with_the_right_mean(tmp_path):
    path = write(tmp_path, weekly_rows(mean=1.0, sd=2.0))
    result = read(path)
    z = 0.5
    truncated_mean = 1.0 * stats.norm.cdf(z) + 2.0 * stats.norm.pdf(z)
    np.testing.assert_allclose(result.mean, truncated_mean)
    assert result.paths.min() == 0 and result.quantiles.min() == 0
    assert result.paths.mean() == pytest.approx(truncated_mean, abs=0.05)


def test_sd_zero_is_deterministic(tmp_path):
    path = write(tmp_path, weekly_rows(mean=12.5, sd=0.0, distribution="gamma"))
    result = read(path)
    assert np.all(result.paths == 12.5) and np.all(result.quantiles == 12.5)
    np.testing.assert_array_equal(result.mean, 12.5)


def test_quantile_columns_piecewise_linear_with_linear_tails(tmp_path):
    path = write(tmp_path, weekly_rows(**{"q0.1": 10.0, "q0.5": 20.0, "q0.9": 40.0}))
    result = read(path, quantile_levels=(0.1, 0.3, 0.5, 0.9))
    np.testing.assert_allclose(result.quantiles[0, :, 0], [10.0, 15.0, 20.0, 40.0])
    # tails: Q(0) = 10 - 25 * 0.1 = 7.5, Q(1) = 40 + 50 * 0.1 = 45
    p = result.paths[0]
    assert p.min() >= 7.5 and p.max() <= 45.0
    assert p.min() < 7.6 and p.max() > 44.9
    np.testing.assert_allclose(result.mean, 0.875 + 6 + 12 + 4.25)  # trapezoid of Q(u)
    for level, value in ((0.1, 10.0), (0.5, 20.0), (0.9, 40.0)):
        assert np.mean(p[:, 0] <= value) == pytest.approx(level, abs=1 / N)


def test_quantile_lower_tail_bounded_at_zero(tmp_path):
    path = write(tmp_path, weekly_rows(**{"q0.1": 1.0, "q0.5": 21.0}))
    result = read(path)
    # the extended line would reach -4 at level 0; bounded, Q(u) = 10u on [0, 0.1], so the
    # lowest stratum (u < 1/500) gives paths in [0, 0.02)
    assert 0.0 <= result.paths.min() < 0.02
    np.testing.assert_allclose(result.quantiles[0, 0, 0], 0.5)  # between Q(0)=0 and Q(0.1)=1


def test_week_any_day_iso_weeks_order_and_ignored_rows(tmp_path):
    rows = [
        {"week": "2025-01-08", "sku": "0101", "warehouse": "W1", "mean": 5, "sd": 1},
        {"week": "2025-W03", "sku": "0101", "warehouse": "W1", "mean": 6, "sd": 1},
        {"week": "2025-01-26", "sku": "0101", "warehouse": "W1", "mean": 7, "sd": 1},
        {"week": "2025-02-03", "sku": "0101", "warehouse": "W1", "mean": 99, "sd": 1},
        {"week": "2025-01-06", "sku": "B", "warehouse": "W1", "mean": 1, "sd": 0},
        *weekly_rows(sku="B", weeks=WEEKS[1:], mean=2, sd=0),
        *weekly_rows(sku="Z", mean=3, sd=1),
    ]
    frame = series(("B", "W1"), ("0101", "W1"))
    result = read(write(tmp_path, rows), frame)
    assert result.ids == ["B/W1", "0101/W1"]
    np.testing.assert_allclose(result.mean, [[1, 2, 2], [5, 6, 7]])


def test_parquet_input_and_seeded_reproducibility(tmp_path):
    rows = weekly_rows(mean=10, sd=3) + weekly_rows(sku="B", mean=4, sd=1, distribution="gamma")
    path = write(tmp_path, rows, "fc.parquet")
    frame = series(("A", "W1"), ("B", "W1"))
    one, same = read(path, frame, seed=3), read(path, frame, seed=3)
    np.testing.assert_array_equal(one.paths, same.paths)
    assert not np.array_equal(one.paths, read(path, frame, seed=4).paths)
    alone = read(path, series(("B", "W1")), seed=3)
    np.testing.assert_array_equal(one.paths[1], alone.paths[0])


def test_every_problem_reported_together_with_rows(tmp_path):
    rows = [
        {
            "week": "2025-01-06",
            "sku": "A",
            "warehouse": "W1",
            "mean": 5,
            "sd": 1,
            "distribution": "gama",
        },
        {
            "week": "2025-01-13",
            "sku": "A",
            "warehouse": "W1",
            "mean": 5,
            "sd": -1,
            "distribution": "normal",
        },
        {
            "week": "2025-01-13",
            "sku": "A",
            "warehouse": "W1",
            "mean": 5,
            "sd": 1,
            "distribution": "normal",
        },
        {
            "week": "soon",
            "sku": "A",
            "warehouse": "W1",
            "mean": 5,
            "sd": 1,
            "distribution": "normal",
        },
        {
            "week": "2025-01-06",
            "sku": "B",
            "warehouse": "W1",
            "mean": "lots",
            "sd": 1,
            "distribution": "normal",
        },
        {
            "week": "2025-01-13",
            "sku": "B",
            "warehouse": "W1",
            "mean": 2,
            "sd": 1,
            "distribution": "negbin",
        },
        {
            "week": "2025-01-20",
            "sku": "B",
            "warehouse": "W1",
            "mean": 0,
            "sd": 1,
            "distribution": "gamma",
        },
        {
            "week": "2025-01-20",
            "sku": "A",
            "warehouse": "W1",
            "mean": -3,
            "sd": 1,
            "distribution": "poisson",
        },
    ]
    path = write(tmp_path, rows)
    with pytest.raises(InputError) as err:
        read(path, series(("A", "W1"), ("B", "W1"), ("C", "W2")))
    text = str(err.value)
    assert str(path) in text
    expected = [
        "row 2: unknown distribution (did you mean 'gamma'?)",
        "rows 3, 4: duplicated week, sku, warehouse",
        "row 3: negative sd",
        "row 5: week is not a date",
        "row 6: mean missing or not a number",
        "row 7: negbin needs sd^2 > mean",
        "row 8: gamma needs a positive mean",
        "row 9: negative mean",
        "3 series x week combination(s) missing",
        "'C/W2 2025-01-06'",
        "fix:",
    ]
    for part in expected:
        assert part in text, part


def test_quantile_errors(tmp_path):
    rows = weekly_rows(**{"q0.1": 10.0, "q0.5": 20.0, "q0.9": 40.0})
    rows[1]["q0.5"] = 5.0
    rows[2]["q0.9"] = None
    with pytest.raises(InputError) as err:
        read(write(tmp_path, rows))
    text = str(err.value)
    assert "row 3: quantiles decrease" in text and "row 4: q0.9 missing" in text


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([{"week": "2025-01-06", "sku": "A", "mean": 1, "sd": 1}], "missing column(s) warehouse"),
        (
            [{"week": "2025-01-06", "sku": "A", "warehouse": "W1", "sd": 1}],
            "missing column(s) mean",
        ),
        (
            [{"week": "2025-01-06", "sku": "A", "warehouse": "W1", "mean": 1}],
            "no distribution columns",
        ),
        (
            [{"week": "2025-01-06", "sku": "A", "warehouse": "W1", "q0.5": 1}],
            "no distribution columns",
        ),
        (
            [
                {
                    "week": "2025-01-06",
                    "sku": "A",
                    "warehouse": "W1",
                    "mean": 1,
                    "distribution": "normal",
                }
            ],
            "no sd column",
        ),
    ],
)
def test_column_errors(tmp_path, rows, message):
    with pytest.raises(InputError, match="fix:") as err:
        read(write(tmp_path, rows), weeks=WEEKS[:1])
    assert message in str(err.value)


def test_file_errors(tmp_path):
    with pytest.raises(InputError, match="file not found"):
        read(tmp_path / "missing.csv")
    (tmp_path / "fc.xlsx").write_text("x")
    with pytest.raises(InputError, match="unknown file type"):
        read(tmp_path / "fc.xlsx")
    path = write(tmp_path, weekly_rows(mean=1, sd=1))
    with pytest.raises(ConfigError):
        read(path, pd.DataFrame({"sku": ["A"]}))
