"""forecast_panel and forecast_frame: shapes, seeding, clipping, parallel runs, panel-model
dispatch, frequency inference and the errors users see."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import pytest

from planner.errors import ConfigError, InputError
from planner.forecast import (
    PANEL_MODELS,
    PanelForecast,
    PanelForecaster,
    forecast_frame,
    forecast_panel,
)
from planner.forecast.api import season_length_of

H = 12


def panel_series(n: int, seed: int = 0, weeks: int = 156) -> list[np.ndarray]:
    """Smooth seasonal, trending and intermittent weekly series, like the demo dataset."""
    rng = np.random.default_rng(seed)
    t = np.arange(weeks)
    out = []
    for i in range(n):
        if i % 4 == 3:
            y = (rng.random(weeks) < rng.uniform(0.1, 0.4)) * rng.poisson(rng.uniform(1, 8), weeks)
        else:
            season = 1 + rng.uniform(0, 0.5) * np.sin(2 * np.pi * (t + rng.integers(52)) / 52)
            y = rng.poisson(rng.uniform(5, 200) * season * (1 + rng.uniform(-0.002, 0.004) * t))
        out.append(y.astype(float))
    return out


def test_panel_shapes_frame_and_scores():
    series = panel_series(6)
    ids = [f"s{i}" for i in range(6)]
    result = forecast_panel(series, ids, H, n_paths=200)
    assert isinstance(result, PanelForecast)
    assert result.ids == ids and len(result.model) == 6 and result.horizon == H
    assert result.mean.shape == (6, H)
    assert result.quantiles.shape == (6, 5, H) and result.paths.shape == (6, 200, H)
    assert result.quantile_levels == (0.05, 0.1, 0.5, 0.9, 0.95)
    assert np.all(np.diff(result.quantiles, axis=1) >= 0)
    assert list(result.scores.columns) == ["id", "model", "score", "chosen", "demand_class"]
    chosen = result.scores[result.scores["chosen"]]
    assert list(chosen["id"]) == ids and list(chosen["model"]) == result.model
    frame = result.to_frame()
    assert list(frame.columns) == [
        "id",
        "step",
        "model",
        "mean",
        "q0.05",
        "q0.1",
        "q0.5",
        "q0.9",
        "q0.95",
    ]
    assert len(frame) == 6 * H and list(frame["step"][:H]) == list(range(1, H + 1))
    np.testing.assert_array_equal(frame["q0.9"].to_numpy().reshape(6, H), result.quantiles[:, 3])


def test_fixed_model_scores_come_from_its_calibration_backtest():
    series = panel_series(2)
    plain = forecast_panel(
        series, ["a", "b"], 4, model="seasonal_naive", n_paths=10, calibrate=False
    )
    assert plain.model == ["seasonal_naive"] * 2
    assert plain.scores.empty
    assert list(plain.scores.columns) == ["id", "model", "score", "chosen", "demand_class"]
    calibrated = forecast_panel(series, ["a", "b"], 4, model="seasonal_naive", n_paths=10)
    assert list(calibrated.scores["id"]) == ["a", "b"]
    assert set(calibrated.scores["model"]) == {"seasonal_naive"}
    assert calibrated.scores["chosen"].all() and np.isfinite(calibrated.scores["score"]).all()


def test_paths_depend_only_on_seed_and_own_id_without_calibration():
    series = panel_series(4)
    kw = dict(model="ets", n_paths=50, seed=3, calibrate=False)
    full = forecast_panel(series, ["a", "b", "c", "d"], H, **kw)
    alone = forecast_panel([series[2]], ["c"], H, **kw)
    swapped = forecast_panel(series[::-1], ["d", "c", "b", "a"], H, **kw)
    np.testing.assert_array_equal(full.paths[2], alone.paths[0])
    np.testing.assert_array_equal(full.paths[2], swapped.paths[1])
    other_seed = forecast_panel([series[2]], ["c"], H, **{**kw, "seed": 4})
    assert not np.array_equal(alone.paths, other_seed.paths)


def test_calibrated_paths_do_not_depend_on_the_order_of_the_series():
    """Calibration maps are learned across series, so a series' result depends on the panel
    it is in, but never on the order of the series."""
    series = panel_series(4)
    full = forecast_panel(series, ["a", "b", "c", "d"], H, n_paths=50, seed=3)
    swapped = forecast_panel(series[::-1], ["d", "c", "b", "a"], H, n_paths=50, seed=3)
    np.testing.assert_array_equal(full.paths[2], swapped.paths[1])
    np.testing.assert_array_equal(full.quantiles[0], swapped.quantiles[3])
    assert full.model == swapped.model[::-1]


def test_process_pool_gives_identical_results():
    series = panel_series(8, seed=1)
    ids = [f"id{i}" for i in range(8)]
    one = forecast_panel(series, ids, 6, n_paths=40, n_jobs=1)
    two = forecast_panel(series, ids, 6, n_paths=40, n_jobs=2)
    assert one.model == two.model
    np.testing.assert_array_equal(one.paths, two.paths)
    np.testing.assert_array_equal(one.mean, two.mean)
    pd.testing.assert_frame_equal(one.scores, two.scores)


def test_nonnegative_clipping_and_mean_of_the_clipped_distribution():
    y = np.random.default_rng(0).normal(0.5, 3.0, 60)  # hovers around zero
    raw = forecast_panel([y], ["x"], H, model="seasonal_naive", season_length=1, nonnegative=False)
    clipped = forecast_panel([y], ["x"], H, model="seasonal_naive", season_length=1)
    assert raw.paths.min() < 0 and raw.quantiles.min() < 0
    assert clipped.paths.min() == 0 and clipped.quantiles.min() == 0
    np.testing.assert_array_equal(clipped.paths, np.maximum(raw.paths, 0))
    np.testing.assert_allclose(clipped.quantiles, np.maximum(raw.quantiles, 0))
    shift = np.maximum(raw.paths, 0).mean(axis=1) - raw.paths.mean(axis=1)
    np.testing.assert_allclose(clipped.mean, raw.mean + shift)


def test_option_and_series_errors():
    y = [np.ones(20)]
    with pytest.raises(ConfigError, match=r"(?s)unknown forecast model 'etss'.*did you mean 'ets'"):
        forecast_panel(y, ["a"], H, model="etss")
    with pytest.raises(ConfigError, match="read_forecast_file"):
        forecast_panel(y, ["a"], H, model="file")
    with pytest.raises(ConfigError) as err:
        forecast_panel(y, ["a", "b"], 0, n_paths=0, quantile_levels=(0.5, 0.1), seed=-1)
    text = str(err.value)
    for part in ("'horizon'", "'n_paths'", "'quantile_levels'", "'seed'", "2 ids"):
        assert part in text
    with pytest.raises(InputError, match=r"(?s)duplicated series ids.*NaN") as err:
        forecast_panel([np.ones(5), np.array([1.0, np.nan]), np.array([])], ["a", "a", "c"], H)
    assert "'c'" in str(err.value)


def test_auto_on_a_demo_sized_panel_mixes_model_families():
    """The demo's shape: 120 weekly series of 156 weeks, horizon 12, 500 paths, model auto with
    its backtest (speed is measured in benchmarks, never asserted here)."""
    series = panel_series(120, seed=5)
    result = forecast_panel(series, [f"s{i}" for i in range(120)], H)
    members = {m for name in result.model for m in name.split("+")}
    assert {"croston", "sba", "tsb"} & members
    assert {"ets", "theta", "arima", "seasonal_naive"} & members
    assert all(len(name.split("+")) == 2 for name in result.model)  # the two best combined
    chosen = result.scores[result.scores["chosen"]].set_index("id")
    assert list(chosen.loc[[f"s{i}" for i in range(120)], "model"]) == result.model
    # a combination's backtest score is recorded with it and ranks at most the members' mean
    for series_id, name in zip(chosen.index, chosen["model"], strict=True):
        rows = result.scores[result.scores["id"] == series_id].set_index("model")["score"]
        parts = name.split("+")
        assert rows[name] <= rows[parts].mean() * (1 + 1e-6)  # pinball loss is convex


class PooledMean(PanelForecaster):
    """A tiny global model: every series gets the pooled mean level scaled to its own mean."""

    name = "pooled_test"

    def __init__(self, shrink: float = 0.5):
        self.shrink = shrink

    def fit(self, series: Sequence[np.ndarray], exog=None):
        means = np.array([s.mean() for s in series])
        self.level_ = self.shrink * means.mean() + (1 - self.shrink) * means
        return self

    def predict(self, horizon):
        return np.repeat(self.level_[:, None], horizon, axis=1)

    def quantiles(self, horizon, levels):
        return np.repeat(self.predict(horizon)[:, None, :], len(levels), axis=1)

    def sample_paths(self, horizon, n_paths, rngs):
        noise = np.stack([rng.normal(0, 1, (n_paths, horizon)) for rng in rngs])
        return self.predict(horizon)[:, None, :] + noise


def test_panel_models_are_fitted_once_on_all_series(monkeypatch):
    monkeypatch.setitem(PANEL_MODELS, PooledMean.name, PooledMean)
    series = [np.full(10, 2.0), np.full(10, 6.0)]
    result = forecast_panel(series, ["a", "b"], 3, model="pooled_test", n_paths=20, seed=1)
    assert result.model == ["pooled_test"] * 2
    np.testing.assert_allclose(result.quantiles[:, 2, 0], [3.0, 5.0])
    assert result.paths.shape == (2, 20, 3) and result.paths.min() >= 0
    again = forecast_panel(series, ["a", "b"], 3, model="pooled_test", n_paths=20, seed=1)
    np.testing.assert_array_equal(result.paths, again.paths)


class LastPromo(PanelForecaster):
    """A panel model that remembers the covariates it was given and forecasts the future
    promotion flag plus 10 (so the test can see the regressors reach the model)."""

    name = "promo_test"

    def fit(self, series: Sequence[np.ndarray], exog=None):
        self.exog_ = exog
        return self

    def predict(self, horizon):
        return np.array([10.0 + f[:horizon, 0] for f in self.exog_.future])

    def quantiles(self, horizon, levels):
        return np.repeat(self.predict(horizon)[:, None, :], len(levels), axis=1)

    def sample_paths(self, horizon, n_paths, rngs):
        return np.repeat(self.predict(horizon)[:, None, :], n_paths, axis=1)


def test_forecast_frame_passes_regressors_and_their_future_values(monkeypatch):
    monkeypatch.setitem(PANEL_MODELS, LastPromo.name, LastPromo)
    history = long_frame("W-MON", 30)
    history["promo"] = (np.arange(len(history)) % 5 == 0).astype(float)
    last = history["ds"].max()
    weeks = [last + pd.Timedelta(weeks=k) for k in (1, 2, 3)]
    future = pd.DataFrame(
        {"id": ["A"] * 3 + ["B"] * 3, "ds": weeks * 2, "promo": [0.0, 1.0, 0.0, 0.0, 0.0, 0.0]}
    )
    out = forecast_frame(history, 3, model="promo_test", future=future, calibrate=False, n_paths=5)
    np.testing.assert_allclose(out.loc[out["id"] == "A", "mean"], [10.0, 11.0, 10.0])
    np.testing.assert_allclose(out.loc[out["id"] == "B", "mean"], [10.0, 10.0, 10.0])
    with pytest.raises(ConfigError, match="integer periods"):
        frame = pd.DataFrame({"id": 1, "ds": np.arange(20), "y": 1.0, "promo": 0.0})
        forecast_frame(frame, 3, model="promo_test")


class PooledNormal(PanelForecaster):
    """Every series: normal around the pooled mean with the pooled sd. Counts its fits."""

    name = "pooled_normal_test"
    fits = 0

    def fit(self, series, exog=None):
        type(self).fits += 1
        values = np.concatenate(series)
        self.n_, self.mean_, self.sd_ = len(series), values.mean(), values.std()
        return self

    def predict(self, horizon):
        return np.full((self.n_, horizon), self.mean_)

    def quantiles(self, horizon, levels):
        from scipy import stats

        q = self.mean_ + stats.norm.ppf(levels) * self.sd_
        return np.broadcast_to(q[None, :, None], (self.n_, len(levels), horizon)).copy()

    def sample_paths(self, horizon, n_paths, rngs):
        return np.stack([rng.normal(self.mean_, self.sd_, (n_paths, horizon)) for rng in rngs])


def test_panel_models_take_part_in_auto_once_per_origin(monkeypatch):
    monkeypatch.setitem(PANEL_MODELS, PooledNormal.name, PooledNormal)
    monkeypatch.setattr(PooledNormal, "fits", 0)
    rng = np.random.default_rng(0)
    series = [10 + rng.normal(0, 1, 80) for _ in range(6)]
    ids = [f"s{i}" for i in range(6)]
    result = forecast_panel(series, ids, 6, n_paths=40)
    rows = result.scores[result.scores["model"] == PooledNormal.name]
    assert list(rows["id"]) == ids and np.isfinite(rows["score"]).all()
    chosen_by_some = any(PooledNormal.name in m.split("+") for m in result.model)
    assert PooledNormal.fits == 3 + chosen_by_some  # one fit per backtest origin (+ final)
    monkeypatch.setattr(PooledNormal, "fits", 0)
    only = forecast_panel(series, ids, 6, n_paths=40, candidates=[PooledNormal.name])
    assert only.model == [PooledNormal.name] * 6 and PooledNormal.fits == 4
    np.testing.assert_allclose(only.quantiles[:, 2], 10.0, atol=0.5)  # median near 10


# --- forecast_frame -------------------------------------------------------------------------


def long_frame(freq: str, periods: int, ids=("A", "B"), seed=0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    ds = pd.date_range("2021-01-01", periods=periods, freq=freq)
    frames = [
        pd.DataFrame({"id": i, "ds": ds, "y": rng.poisson(20, periods).astype(float)}) for i in ids
    ]
    return pd.concat(frames, ignore_index=True)


@pytest.mark.parametrize("freq", ["MS", "ME" if pd.__version__ >= "2.2" else "M"])
def test_forecast_frame_on_monthly_data(freq):
    history = long_frame(freq, 36)
    pattern = np.arange(12.0) * 5 + 10
    history.loc[history["id"] == "B", "y"] = np.tile(pattern, 3)
    history = history.sample(frac=1.0, random_state=0)  # unsorted on purpose
    out = forecast_frame(history, 6, quantiles=[0.1, 0.5, 0.9], n_paths=50)
    assert list(out.columns) == ["id", "step", "model", "mean", "q0.1", "q0.5", "q0.9"]
    assert list(out["id"].unique()) == ["A", "B"] and list(out["step"][:6]) == list(range(1, 7))
    # season length 12 inferred: seasonal naive repeats last year's months
    naive = forecast_frame(history, 6, model="seasonal_naive", n_paths=10)
    np.testing.assert_allclose(naive.loc[naive["id"] == "B", "mean"], pattern[:6])


def test_forecast_frame_fills_a_gap_with_zero_when_the_frequency_is_clear():
    history = long_frame("W-MON", 40)
    gapped = history.drop(index=history.index[(history["id"] == "B")][10:12])
    filled = history.copy()
    filled.loc[filled.index[(filled["id"] == "B")][10:12], "y"] = 0.0
    a = forecast_frame(gapped, 4, model="empirical", n_paths=20)
    b = forecast_frame(filled, 4, model="empirical", n_paths=20)
    pd.testing.assert_frame_equal(a, b)


def test_forecast_frame_integer_periods_and_original_id_values():
    history = pd.DataFrame({"id": np.repeat([7, 9], 20), "ds": np.tile(np.arange(20), 2), "y": 1.0})
    out = forecast_frame(history, 3, model="seasonal_naive", n_paths=5)
    assert list(out["id"].unique()) == [7, 9]
    np.testing.assert_allclose(out["mean"], 1.0)


def test_forecast_frame_frequency_errors():
    single_with_gap = long_frame("W-MON", 20, ids=("A",)).drop(index=[5])
    with pytest.raises(ConfigError, match="no series has 3 or more evenly spaced"):
        forecast_frame(single_with_gap, 4)
    mixed = pd.concat([long_frame("W-MON", 20, ids=("A",)), long_frame("MS", 20, ids=("B",))])
    with pytest.raises(ConfigError, match="series disagree"):
        forecast_frame(mixed, 4)
    off_grid = pd.concat([long_frame("W-MON", 20, ids=("A",)), long_frame("W-TUE", 2, ids=("B",))])
    with pytest.raises(ConfigError, match=r"(?s)not on the inferred frequency.*'B'"):
        forecast_frame(off_grid, 4)


def test_forecast_frame_input_errors_reported_together():
    history = long_frame("W-MON", 10)
    history["ds"] = history["ds"].astype(object)
    history.loc[1, "ds"] = "not a date"
    history.loc[2, "y"] = np.nan
    history.loc[4, "ds"] = history.loc[3, "ds"]
    with pytest.raises(InputError) as err:
        forecast_frame(history, 4)
    text = str(err.value)
    assert "3 problems" in text and "row 1:" in text and "row 2:" in text and "rows 3, 4:" in text
    with pytest.raises(InputError, match="missing column"):
        forecast_frame(history.drop(columns="y"), 4)


@pytest.mark.parametrize(
    ("freq", "season"),
    [
        ("W-MON", 52),
        ("W-SUN", 52),
        ("MS", 12),
        ("QS", 4),
        ("D", 7),
        ("B", 5),
        ("h", 24),
        ("2W", 1),
        (None, 1),
    ],
)
def test_season_length_of_frequency(freq, season):
    assert season_length_of(freq) == season
