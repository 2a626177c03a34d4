"""Forecast models: one contract for every registered model, then known answers per model,
model selection and metrics. All data are generated with fixed seeds."""

from __future__ import annotations

import importlib

import numpy as np
import pytest
from scipy import stats

from planner.errors import ConfigError
from planner.forecast import MODELS, PANEL_MODELS, PanelForecaster, forecast_panel, make_model
from planner.forecast.arima import ARIMA
from planner.forecast.ets import ETS, seasonal_indices
from planner.forecast.intermittent import SBA, TSB, Croston
from planner.forecast.metrics import (
    bias,
    coverage,
    crps,
    mae,
    mase,
    pinball_loss,
    rmse,
    rmsse,
    smape,
)
from planner.forecast.moving_average import MovingAverage
from planner.forecast.naive import EmpiricalNaive, SeasonalNaive
from planner.forecast.selection import (
    candidate_models,
    demand_class,
    fit_with_fallback,
    select_model,
)
from planner.forecast.theta import Theta

LEVELS = (0.05, 0.1, 0.5, 0.9, 0.95)
H = 12

try:  # the global machine-learning models register themselves when their module is imported
    importlib.import_module("planner.forecast.ml")
except ImportError:  # pragma: no cover - the module is optional
    pass


def seasonal_counts(seed: int = 0, n: int = 156, level: float = 30.0) -> np.ndarray:
    """Weekly Poisson demand with a yearly cycle."""
    t = np.arange(n)
    rng = np.random.default_rng(seed)
    return rng.poisson(level * (1 + 0.4 * np.sin(2 * np.pi * t / 52))).astype(float)


def intermittent_counts(seed: int = 0, n: int = 400, p: float = 0.25, size: float = 3.0):
    """Demand occurs with probability p; sizes are 1 + Poisson(size); rate p * (1 + size)."""
    rng = np.random.default_rng(seed)
    return ((rng.random(n) < p) * (1 + rng.poisson(size, n))).astype(float)


def local_level(rng: np.random.Generator, n: int, alpha: float, sigma: float, slope=0.0):
    """Simulate ETS(A,N,N) (slope 0) or a local level with a fixed drift."""
    e = rng.normal(0.0, sigma, n)
    y, level = np.empty(n), 50.0
    for t in range(n):
        y[t] = level + e[t]
        level = level + slope + alpha * e[t]
    return y


# --- the contract, parametrised over every registered model -------------------------------


@pytest.mark.parametrize("name", sorted(MODELS))
def test_model_contract(name):
    y = seasonal_counts()
    model = make_model(name, 52)
    assert model.name == name
    assert type(model)(**model.get_params()).get_params() == model.get_params()
    assert not [a for a in vars(model) if a.endswith("_")], "__init__ must not fit anything"
    with pytest.raises(RuntimeError, match="not fitted"):
        model.predict(H)
    assert model.fit(y) is model

    mean = model.predict(H)
    q = model.quantiles(H, LEVELS)
    paths = model.sample_paths(H, 400, np.random.default_rng(3))
    assert mean.shape == (H,) and q.shape == (len(LEVELS), H) and paths.shape == (400, H)
    assert np.all(np.isfinite(mean)) and np.all(np.isfinite(q)) and np.all(np.isfinite(paths))
    assert np.all(np.diff(q, axis=0) >= -1e-9), "quantiles must not decrease with the level"
    same = model.sample_paths(H, 400, np.random.default_rng(3))
    other = model.sample_paths(H, 400, np.random.default_rng(4))
    np.testing.assert_array_equal(paths, same)
    assert not np.array_equal(paths, other)
    # the mean agrees with the paths' mean within 4 standard errors at every step
    se = paths.std(axis=0) / np.sqrt(paths.shape[0])
    assert np.all(np.abs(paths.mean(axis=0) - mean) <= 4 * se + 1e-9)
    # refits for backtests use the same class
    assert type(model.clone_for_refit()) is type(model)

    panel = forecast_panel([y, np.zeros(30), np.full(20, 2.0)], ["a", "b", "c"], H, model=name)
    assert panel.paths.shape == (3, 500, H)
    assert np.all(panel.paths >= 0) and np.all(panel.quantiles >= 0) and np.all(panel.mean >= 0)
    assert panel.model[0] == name


@pytest.mark.parametrize("name", sorted(PANEL_MODELS))
def test_panel_model_contract(name):
    """The same questions, asked of a global model fitted on several series at once."""
    series = [seasonal_counts(seed) for seed in range(4)] + [intermittent_counts(0, n=156)]
    model = make_model(name, 52)
    assert isinstance(model, PanelForecaster) and model.name == name
    assert not [a for a in vars(model) if a.endswith("_")], "__init__ must not fit anything"
    assert model.fit(series) is model
    n = len(series)
    mean, q = model.predict(H), model.quantiles(H, LEVELS)
    rngs = [np.random.default_rng(k) for k in range(n)]
    paths = model.sample_paths(H, 200, rngs)
    assert mean.shape == (n, H) and q.shape == (n, len(LEVELS), H) and paths.shape == (n, 200, H)
    assert np.all(np.isfinite(mean)) and np.all(np.isfinite(q)) and np.all(np.isfinite(paths))
    assert np.all(np.diff(q, axis=1) >= -1e-9)
    again = model.sample_paths(H, 200, [np.random.default_rng(k) for k in range(n)])
    np.testing.assert_array_equal(paths, again)
    ids = [f"s{k}" for k in range(n)]
    panel = forecast_panel(series, ids, H, model=name, n_paths=50, calibrate=False)
    assert panel.model == [name] * n and np.all(panel.paths >= 0)


@pytest.mark.parametrize("name", sorted(MODELS))
def test_model_on_awkward_series(name):
    for y in (np.zeros(60), np.full(60, 4.0), np.r_[np.zeros(59), 5.0], np.arange(12.0)):
        model = fit_with_fallback(name, y, 52)
        paths = model.sample_paths(4, 50, np.random.default_rng(0))
        assert np.all(np.isfinite(model.predict(4))) and np.all(np.isfinite(paths))


def test_make_model_unknown_name_suggests_closest():
    with pytest.raises(
        ConfigError, match=r"(?s)unknown forecast model 'crostn'.*did you mean 'croston'"
    ):
        make_model("crostn", 52)


# --- seasonal naive and empirical -----------------------------------------------------------


def test_seasonal_naive_known_answer_on_pure_seasonal_series():
    pattern = np.array([5.0, 9.0, 2.0, 7.0])
    model = SeasonalNaive(season_length=4).fit(np.tile(pattern, 5))
    np.testing.assert_array_equal(model.predict(6), pattern[[0, 1, 2, 3, 0, 1]])
    assert model.sd_ == 0
    np.testing.assert_array_equal(model.quantiles(6, [0.1, 0.9]), np.tile(model.predict(6), (2, 1)))
    np.testing.assert_array_equal(
        model.sample_paths(6, 3, np.random.default_rng(0)), np.tile(model.predict(6), (3, 1))
    )


def test_seasonal_naive_spread_grows_with_seasons_spanned():
    y = np.tile([10.0, 20.0, 30.0, 40.0], 6) + np.random.default_rng(1).normal(0, 1, 24)
    model = SeasonalNaive(season_length=4).fit(y)
    width = np.diff(model.quantiles(12, [0.1, 0.9]), axis=0)[0]
    np.testing.assert_allclose(width[4:8], width[:4] * np.sqrt(2))
    np.testing.assert_allclose(width[8:], width[:4] * np.sqrt(3))
    np.testing.assert_allclose(width[0], 2 * stats.norm.ppf(0.9) * model.sd_)


def test_seasonal_naive_falls_back_to_naive_on_short_series():
    model = SeasonalNaive(season_length=52).fit(np.array([3.0, 5.0, 4.0, 8.0]))
    assert model.season_length_ == 1
    np.testing.assert_array_equal(model.predict(3), [8.0, 8.0, 8.0])


def test_empirical_naive_uses_recent_window():
    y = np.r_[np.full(50, 100.0), np.arange(13.0)]
    model = EmpiricalNaive(season_length=1).fit(y)
    np.testing.assert_allclose(model.predict(2), [6.0, 6.0])
    assert set(np.unique(model.sample_paths(5, 100, np.random.default_rng(0)))) <= set(range(13))


# --- ETS ------------------------------------------------------------------------------------


@pytest.mark.parametrize("slope", [0.5, -0.5])
def test_ets_gets_trend_direction_right(slope):
    rng = np.random.default_rng(7)
    y = 100 + slope * np.arange(120) + rng.normal(0, 2, 120)
    model = ETS(season_length=1).fit(y)
    step = np.diff(model.predict(H))
    assert model.trend_ in ("A", "Ad")
    assert np.all(np.sign(step) == np.sign(slope))


def test_ets_80_percent_interval_covers_about_80_percent():
    """300 simulated local-level series (alpha 0.3), 8 steps each: the 10%-90% interval
    must cover 80% +- 5 points (binomial sd about 1.6 points on 2400 correlated checks;
    estimated parameters make intervals a little narrow, about 77% is typical)."""
    rng = np.random.default_rng(42)
    hits = []
    for _ in range(300):
        y = local_level(rng, 108, alpha=0.3, sigma=1.0)
        q = ETS(season_length=1).fit(y[:100]).quantiles(8, [0.1, 0.9])
        hits.append((y[100:] >= q[0]) & (y[100:] <= q[1]))
    assert abs(np.mean(hits) - 0.80) <= 0.05


def test_ets_paths_keep_week_to_week_dependence():
    y = local_level(np.random.default_rng(5), 150, alpha=0.5, sigma=1.0)
    model = ETS(season_length=1, trends=("N",)).fit(y)
    paths = model.sample_paths(6, 4000, np.random.default_rng(0))
    # ETS(A,N,N): corr(y_1, y_6) = alpha / sqrt(1 + 5 alpha^2) > 0
    expected = model.alpha_ / np.sqrt(1 + 5 * model.alpha_**2)
    assert np.corrcoef(paths[:, 0], paths[:, 5])[0, 1] == pytest.approx(expected, abs=0.05)
    sd = paths.std(axis=0)
    np.testing.assert_allclose(sd, model._sd(6), rtol=0.06)


def test_ets_removes_and_restores_weekly_seasonality():
    t = np.arange(208)
    truth = 40 * (1 + 0.5 * np.sin(2 * np.pi * t / 52))
    y = truth + np.random.default_rng(3).normal(0, 2, t.size)
    model = ETS(season_length=52).fit(y[:156])
    assert model.season_.kind == "multiplicative"
    forecast = model.predict(52)
    assert np.mean(np.abs(forecast - truth[156:])) < 3.0
    assert np.corrcoef(forecast, truth[156:])[0, 1] > 0.95


def test_seasonal_indices_flag_no_seasonality_in_white_noise():
    rng = np.random.default_rng(11)
    p_values = [seasonal_indices(rng.normal(50, 5, 156), 52)[2] for _ in range(100)]
    assert np.mean(np.array(p_values) < 0.05) <= 0.12  # nominal 5%


def test_ets_refuses_very_short_series_and_falls_back():
    with pytest.raises(ValueError, match="at least"):
        ETS().fit(np.array([1.0, 2.0, 3.0]))
    assert fit_with_fallback("ets", np.array([1.0, 2.0, 3.0]), 52).name == "theta"
    assert fit_with_fallback("arima", np.array([1.0, 2.0, 3.0]), 52).name == "theta"


# --- intermittent models --------------------------------------------------------------------


@pytest.mark.parametrize("cls", [Croston, TSB])
def test_intermittent_rate_close_to_true_rate(cls):
    """True rate 0.25 * 4 = 1.0 per period; over 20 series of 400 periods the average
    estimate is within 10% (the single-series spread is about 20%)."""
    estimates = [cls().fit(intermittent_counts(seed)).predict(1)[0] for seed in range(20)]
    assert np.mean(estimates) == pytest.approx(1.0, rel=0.10)


@pytest.mark.parametrize("cls", [Croston, TSB])
def test_intermittent_paths_are_zero_inflated_whole_units(cls):
    model = cls().fit(intermittent_counts(1))
    paths = model.sample_paths(H, 2000, np.random.default_rng(0))
    assert np.all(paths >= 0) and np.all(paths == np.round(paths))
    assert np.mean(paths == 0) == pytest.approx(1 - model.prob_, abs=0.03)
    assert paths.mean() == pytest.approx(model.predict(1)[0], rel=0.05)
    # the quantiles are those of the distribution the paths come from
    q = model.quantiles(1, [0.5, 0.8, 0.95])[:, 0]
    np.testing.assert_allclose(np.quantile(paths, [0.5, 0.8, 0.95], method="inverted_cdf"), q)


def test_tsb_probability_decays_after_demand_stops():
    y = np.r_[intermittent_counts(2, n=200, p=0.6), np.zeros(40)]
    model = TSB().fit(y)
    assert model.prob_ < 0.6 * 0.8


# --- demand classes and model selection -----------------------------------------------------


def test_demand_classes_syntetos_boylan():
    rng = np.random.default_rng(0)
    assert demand_class(rng.poisson(50, 100) + 1) == "smooth"
    assert demand_class(rng.choice([1.0, 100.0], 100)) == "erratic"
    assert demand_class(np.tile([0, 0, 5.0], 30)) == "intermittent"
    assert demand_class(np.tile([0, 0, 1.0, 0, 0, 90.0], 20)) == "lumpy"
    assert demand_class(np.zeros(10)) == "intermittent"
    intermittent = set(candidate_models(np.tile([0, 0, 5.0], 30)))
    smooth = set(candidate_models(rng.poisson(50, 100)))
    assert {"croston", "sba", "tsb", "moving_average"} <= intermittent
    assert "arima" not in intermittent and "empirical" not in intermittent
    assert {"seasonal_naive", "ets", "arima", "theta", "moving_average"} <= smooth
    assert not {"croston", "sba", "tsb", "empirical"} & smooth
    assert candidate_models("lumpy") == candidate_models(np.tile([0, 0, 1.0, 0, 0, 90.0], 20))


@pytest.mark.parametrize("seed", range(5))
def test_auto_picks_intermittent_model_on_intermittent_series(seed):
    y = intermittent_counts(seed, n=156, p=0.15, size=2.0)
    selection = select_model(y, H, 52)
    assert selection.model in ("croston", "sba", "tsb")
    assert set(selection.scores) == set(candidate_models(y))
    assert selection.scores[selection.model] == min(selection.scores.values())
    assert selection.fitted.name == selection.model


@pytest.mark.parametrize("seed", range(3))
def test_auto_picks_seasonal_model_on_smooth_seasonal_series(seed):
    t = np.arange(156)
    y = 200 * (1 + 0.6 * np.sin(2 * np.pi * t / 52)) + np.random.default_rng(seed).normal(0, 5, 156)
    assert select_model(y, H, 52).model in ("seasonal_naive", "ets", "theta", "arima")


def test_auto_on_too_short_series_uses_empirical():
    selection = select_model(np.array([1.0, 0.0, 3.0, 2.0]), H, 52)
    assert selection.model == "empirical" and selection.scores == {}


# --- metrics --------------------------------------------------------------------------------


def test_point_metrics_known_values():
    y, f = np.array([1.0, 2.0, 4.0]), np.array([2.0, 2.0, 1.0])
    assert mae(y, f) == pytest.approx(4 / 3)
    assert rmse(y, f) == pytest.approx(np.sqrt(10 / 3))
    assert bias(y, f) == pytest.approx(-2 / 3)
    assert smape(y, f) == pytest.approx(200 / 3 * (1 / 3 + 0 + 3 / 5))
    assert smape([0.0], [0.0]) == 0.0
    train = np.array([1.0, 3.0, 2.0, 4.0])  # naive |diffs| 2, 1, 2 -> mean 5/3, mean sq 3
    assert mase(y, f, train) == pytest.approx((4 / 3) / (5 / 3))
    assert rmsse(y, f, train) == pytest.approx(np.sqrt((10 / 3) / 3))
    assert mase(y, f, train, season_length=2) == pytest.approx((4 / 3) / 1.0)
    np.testing.assert_allclose(mae(np.ones((2, 3)), np.zeros((2, 3)), axis=1), [1.0, 1.0])


def test_probabilistic_metrics():
    y = np.array([10.0, 0.0])
    q = np.array([[8.0, 1.0], [12.0, 3.0]])  # levels 0.1, 0.9
    expected = np.mean([0.1 * 2, 0.9 * 1, 0.1 * 2, 0.1 * 3])
    assert pinball_loss(y, q, [0.1, 0.9]) == pytest.approx(expected)
    assert coverage(y, q[0], q[1]) == 0.5
    samples = np.random.default_rng(0).normal(0, 1, (300, 2))
    brute = np.mean(np.abs(samples - y), axis=0) - 0.5 * np.mean(
        np.abs(samples[:, None, :] - samples[None, :, :]), axis=(0, 1)
    )
    assert crps(y, samples) == pytest.approx(brute.mean())
    # CRPS of N(0, 1) at 0 is 2*phi(0) - 1/sqrt(pi)
    big = np.random.default_rng(1).normal(0, 1, (20000, 1))
    assert crps([0.0], big) == pytest.approx(2 * stats.norm.pdf(0) - 1 / np.sqrt(np.pi), abs=0.01)


# --- ARIMA ----------------------------------------------------------------------------------


def ar1(seed: int, phi: float = 0.6, n: int = 400, mean: float = 50.0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    e = rng.normal(0.0, 1.0, n + 100)
    x = np.zeros(n + 100)
    for t in range(1, n + 100):
        x[t] = phi * x[t - 1] + e[t]
    return mean + x[100:]


def test_arima_recovers_an_ar1_coefficient():
    estimates = []
    for seed in range(8):
        model = ARIMA(order=(1, 0, 0), seasonal_order=(0, 0, 0), constant=True).fit(ar1(seed))
        assert model.order_ == (1, 0, 0)
        estimates.append(model.params_[0])
        assert model.params_[-1] == pytest.approx(50.0, abs=0.5)  # the mean
    assert np.all(np.abs(np.array(estimates) - 0.6) < 0.1)  # sd of the estimate ~0.04
    assert np.mean(estimates) == pytest.approx(0.6, abs=0.03)


def test_arima_order_search_finds_a_stationary_ar_structure():
    """The automatic search (KPSS differencing, stepwise AICc) on AR(1) data: mostly no
    differencing, and the fitted model's first psi weight (phi for an AR(1)) near 0.6."""
    psi1 = []
    for seed in range(10):
        model = ARIMA().fit(ar1(seed))
        if model.order_[1] == 0:
            psi1.append(model.sd(2)[1] ** 2 / model.sd(1)[0] ** 2 - 1)  # = psi_1^2
    assert len(psi1) >= 8
    assert np.median(np.sqrt(psi1)) == pytest.approx(0.6, abs=0.1)


def test_arima_forecast_and_spread_of_a_known_ar1():
    model = ARIMA(order=(1, 0, 0), seasonal_order=(0, 0, 0), constant=True).fit(ar1(3))
    phi, mean, last = model.params_[0], model.params_[-1], ar1(3)[-1]
    expected = mean + phi ** np.arange(1, 6) * (last - mean)
    np.testing.assert_allclose(model.predict(5), expected)
    var = np.cumsum(phi ** (2 * np.arange(5))) * model.sigma_**2
    np.testing.assert_allclose(model.sd(5), np.sqrt(var))


def test_seasonal_arima_on_monthly_data_with_trend():
    t = np.arange(132)
    truth = 100 + 0.5 * t + 20 * np.sin(2 * np.pi * t / 12)
    y = truth + np.random.default_rng(0).normal(0, 3, t.size)
    model = ARIMA(season_length=12).fit(y[:120])
    assert model.seasonal_order_[3] == 12 and model.seasonal_order_[1] == 1  # D = 1
    assert np.mean(np.abs(model.predict(12) - truth[120:])) < 4.0


def test_arima_extend_filters_new_observations_without_reestimating():
    y = np.cumsum(np.random.default_rng(4).normal(size=200))
    model = ARIMA(order=(1, 1, 0), seasonal_order=(0, 0, 0), constant=False).fit(y[:150])
    later = model.extend(y[:160])
    phi = model.params_[0]
    assert later.params_ is model.params_
    assert later.predict(1)[0] == pytest.approx(y[159] + phi * (y[159] - y[158]))
    np.testing.assert_allclose(model.extend(y[:150]).predict(6), model.predict(6))


def test_ets_extend_continues_the_state_with_the_same_parameters():
    y = local_level(np.random.default_rng(8), 130, alpha=0.4, sigma=1.0)
    model = ETS(season_length=1, trends=("N",), errors=("add",)).fit(y[:100])
    later = model.extend(y[:101])
    level = model.level_ + model.alpha_ * (y[100] - model.level_)
    assert later.predict(1)[0] == pytest.approx(level)
    assert later.alpha_ == model.alpha_


def test_ets_multiplicative_errors_only_for_positive_series():
    rng = np.random.default_rng(2)
    positive = 100 * np.exp(np.cumsum(rng.normal(0, 0.05, 120)))
    model = ETS(season_length=1, errors=("mul",)).fit(positive)
    assert model.error_ == "mul"
    paths = model.sample_paths(6, 4000, np.random.default_rng(0))
    q = model.quantiles(6, [0.1, 0.5, 0.9])
    np.testing.assert_allclose(np.quantile(paths, [0.1, 0.5, 0.9], axis=0), q, rtol=0.03)
    with_zeros = np.r_[0.0, positive]
    assert ETS(season_length=1).fit(with_zeros).error_ == "add"
    with pytest.raises(ValueError, match="strictly positive"):
        ETS(season_length=1, errors=("mul",)).fit(with_zeros)


# --- Theta, moving average, SBA -------------------------------------------------------------


def test_theta_on_a_linear_trend_drifts_at_half_the_slope():
    y = 10.0 + 2.0 * np.arange(60)
    model = Theta(season_length=1).fit(y)
    assert model.alpha_ == pytest.approx(1.0, abs=1e-3)
    np.testing.assert_allclose(model.predict(4), y[-1] + np.arange(1, 5), atol=0.01)
    noisy = y + np.random.default_rng(0).normal(0, 1, y.size)
    fitted = Theta(season_length=1).fit(noisy)
    slope = np.polyfit(np.arange(60), noisy, 1)[0]
    np.testing.assert_allclose(np.diff(fitted.predict(6)), slope / 2)


def test_moving_average_known_answer():
    y = np.array([4.0, 8.0, 6.0, 2.0, 5.0, 7.0, 3.0, 9.0, 5.0, 7.0])
    model = MovingAverage(window=4).fit(y)
    assert model.window_ == 4
    np.testing.assert_allclose(model.predict(3), np.mean(y[-4:]))
    one_step = [y[t] - y[t - 4 : t].mean() for t in range(4, 10)]
    sigma2 = np.mean(np.square(one_step)) / (1 + 1 / 4)
    np.testing.assert_allclose(model.sd(2), np.sqrt(sigma2 * (1 + 1 / 4)))
    chosen = MovingAverage().fit(np.r_[np.full(40, 10.0), np.full(12, 30.0)])
    assert chosen.window_ == 4  # a level shift favours the shortest window


def test_sba_is_croston_times_one_minus_half_alpha():
    y = intermittent_counts(4)
    for alpha in (0.1, 0.3):
        croston = Croston(alphas=(alpha,)).fit(y)
        sba = SBA(alphas=(alpha,)).fit(y)
        assert sba.predict(1)[0] == pytest.approx(croston.predict(1)[0] * (1 - alpha / 2))
        assert sba.prob_ == pytest.approx(croston.prob_)


@pytest.mark.parametrize("cls", [ETS, ARIMA])
def test_extend_on_the_fitted_series_reproduces_the_fit(cls):
    """Backtests extend a model fitted at the earliest origin to later ones; on the very
    series it was fitted on, extending (re-estimated seasonal indices, re-run recursion)
    must give the fitted model's forecasts."""
    y = seasonal_counts(3)
    model = cls(season_length=52).fit(y[:120])
    assert model.season_.kind == "multiplicative"
    np.testing.assert_allclose(model.extend(y[:120]).predict(8), model.predict(8), rtol=1e-6)
    later = model.extend(y)
    assert later.season_.n_obs == y.size and not np.allclose(later.predict(8), model.predict(8))
