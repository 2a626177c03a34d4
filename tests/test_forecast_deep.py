"""Deep forecasters (the optional extra "deep"): the panel contract, seeded reproducibility,
learning a shared seasonal pattern, the hybrid's gain over its base model, and registration
without torch. Skipped as a whole when PyTorch is not installed. Networks are kept tiny."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from planner.forecast import MODELS, PANEL_MODELS, deep, forecast_panel, make_model  # noqa: E402
from planner.forecast.deep import HybridForecaster, LSTMForecaster  # noqa: E402

try:  # registers "arima" when that model is in the tree but not yet imported by the package
    import planner.forecast.arima  # noqa: F401
except ImportError:
    pass

LEVELS = (0.05, 0.1, 0.5, 0.9, 0.95)
TINY = dict(hidden_size=8, max_epochs=6, windows_per_epoch=512, batch_size=64)
ROOT = Path(__file__).resolve().parents[1]


def seasonal_panel(seed: int, n: int, weeks: int, amplitude: float = 0.5):
    """Poisson weekly demand, one shared yearly cycle, levels 10..80; also returns the means."""
    rng = np.random.default_rng(seed)
    t = np.arange(weeks)
    season = 1 + amplitude * np.sin(2 * np.pi * t / 52)
    means = rng.uniform(10, 80, n)[:, None] * season[None, :]
    return rng.poisson(means).astype(float), means


def square_wave_panel(seed: int, n: int, weeks: int):
    """Level 50 plus a period-10 square wave of amplitude 8 (phase per series) plus N(0, 3)
    noise: linear models catch only part of the wave, so their residuals keep a pattern."""
    rng = np.random.default_rng(seed)
    t = np.arange(weeks)
    rows = []
    for _ in range(n):
        wave = np.where((t + rng.integers(10)) % 10 < 5, 8.0, -8.0)
        rows.append(50 + wave + rng.normal(0, 3, weeks))
    return np.array(rows)


def contract_panel() -> list[np.ndarray]:
    """Twelve seasonal series, one all-zero and one short series."""
    y, _ = seasonal_panel(0, 12, 100)
    return [*y, np.zeros(100), y[0, -15:]]


def tiny(name: str, **params):
    if name == "lstm":
        return LSTMForecaster(**TINY, **params)
    return HybridForecaster(season_length=1, base="ets", **TINY, **params)


@pytest.fixture(scope="module", params=["lstm", "hybrid"])
def fitted(request):
    return tiny(request.param).fit(contract_panel())


# --- registration ---------------------------------------------------------------------------


def test_models_are_registered_as_panel_models():
    assert deep.torch_available()
    assert deep.REGISTERED == ["lstm", "hybrid"]
    assert PANEL_MODELS["lstm"] is LSTMForecaster
    assert PANEL_MODELS["hybrid"] is HybridForecaster
    assert "lstm" not in MODELS and "hybrid" not in MODELS
    model = make_model("lstm", 12)
    assert isinstance(model, LSTMForecaster) and model.season_length == 12
    assert LSTMForecaster.demand_classes == frozenset()  # never tried inside "auto"


def test_without_torch_the_module_imports_and_registers_nothing():
    code = textwrap.dedent(
        """
        import sys


        class NoTorch:  # makes `import torch` fail, as without the extra
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] == "torch":
                    raise ModuleNotFoundError(f"No module named {name!r}", name=name)
                return None


        sys.meta_path.insert(0, NoTorch())
        import numpy as np
        from planner.forecast import deep, model_names, PANEL_MODELS
        assert not deep.torch_available()
        assert deep.REGISTERED == [], deep.REGISTERED
        assert "lstm" not in model_names() and "hybrid" not in PANEL_MODELS
        try:
            deep.LSTMForecaster().fit([np.arange(60.0)])
        except ImportError as exc:
            assert "planner[deep]" in str(exc), exc
        else:
            raise AssertionError("fit without torch must raise ImportError")
        print("ok")
        """
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, env=env
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"


# --- the contract ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["lstm", "hybrid"])
def test_unfitted_model_stores_parameters_only(name):
    model = tiny(name)
    assert model.name == name
    assert type(model)(**model.get_params()).get_params() == model.get_params()
    assert not [a for a in vars(model) if a.endswith("_")], "__init__ must not fit anything"
    with pytest.raises(RuntimeError, match="not fitted"):
        model.predict(4)


def test_contract_shapes_quantiles_and_paths(fitted):
    model = fitted
    n, h = len(contract_panel()), 10
    mean = model.predict(h)
    q = model.quantiles(h, LEVELS)
    rngs = [np.random.default_rng(i) for i in range(n)]
    paths = model.sample_paths(h, 400, rngs)
    assert mean.shape == (n, h) and q.shape == (n, len(LEVELS), h)
    assert paths.shape == (n, 400, h)
    assert np.all(np.isfinite(mean)) and np.all(np.isfinite(q)) and np.all(np.isfinite(paths))
    assert np.all(np.diff(q, axis=1) >= -1e-9), "quantiles must not decrease with the level"
    se = paths.std(axis=1) / np.sqrt(paths.shape[1])
    assert np.all(np.abs(paths.mean(axis=1) - mean) <= 4 * se + 1e-9)
    # series i's paths come from rngs[i] only
    again = model.sample_paths(h, 400, [np.random.default_rng(i) for i in range(n)])
    np.testing.assert_array_equal(paths, again)
    other = model.sample_paths(h, 400, [np.random.default_rng(i + 100) for i in range(n)])
    assert not np.array_equal(paths[0], other[0])
    with pytest.raises(ValueError, match="one generator per series"):
        model.sample_paths(h, 10, rngs[:2])


def test_lstm_forecasts_zero_for_an_all_zero_window():
    series = contract_panel()
    model = LSTMForecaster(**TINY).fit(series)
    zero = len(series) - 2
    np.testing.assert_array_equal(model.predict(6)[zero], np.zeros(6))
    np.testing.assert_array_equal(model.quantiles(6, LEVELS)[zero], np.zeros((5, 6)))


@pytest.mark.parametrize("name", ["lstm", "hybrid"])
def test_forecast_panel_clips_at_zero(name, monkeypatch):
    series = contract_panel()
    ids = [f"s{i}" for i in range(len(series))]
    monkeypatch.setitem(PANEL_MODELS, name, lambda season_length=1: tiny(name))
    panel = forecast_panel(series, ids, 8, model=name, n_paths=200, quantile_levels=LEVELS)
    assert panel.model == [name] * len(series)
    assert panel.paths.shape == (len(series), 200, 8)
    assert panel.mean.shape == (len(series), 8) and panel.quantiles.shape == (len(series), 5, 8)
    assert np.all(panel.paths >= 0) and np.all(panel.quantiles >= 0) and np.all(panel.mean >= 0)


def test_lstm_paths_are_whole_residual_vectors_scaled_to_the_series():
    y, _ = seasonal_panel(4, 10, 90)
    model = LSTMForecaster(**TINY, output_length=6).fit(list(y))
    mean = model.predict(6)
    paths = model.sample_paths(6, 50, [np.random.default_rng(i) for i in range(10)])
    pool = model.residual_pool_
    for i in (0, 7):
        z = (paths[i] - mean[i]) / model.sigma_[i]
        # every path is one pooled vector: its distance to the nearest pool row is ~0
        nearest = np.min(np.abs(z[:, None, :] - pool[None, :, :]).max(axis=2), axis=1)
        assert np.all(nearest < 1e-9)


def test_horizon_beyond_output_length_continues_block_by_block():
    y, _ = seasonal_panel(5, 8, 90)
    model = LSTMForecaster(**TINY, output_length=5).fit(list(y))
    assert model.output_length_ == 5
    long = model.predict(13)
    np.testing.assert_allclose(long[:, :5], model.predict(5))
    assert long.shape == (8, 13) and np.all(np.isfinite(long))
    paths = model.sample_paths(13, 30, [np.random.default_rng(i) for i in range(8)])
    q = model.quantiles(13, (0.1, 0.9))
    assert paths.shape == (8, 30, 13) and q.shape == (8, 2, 13)
    assert np.all(q[:, 1] >= q[:, 0])


def test_input_and_output_lengths_shrink_for_short_panels():
    y, _ = seasonal_panel(6, 5, 30)
    model = LSTMForecaster(**TINY).fit(list(y))
    assert model.input_length_ == 29  # min(52, longest - 1)
    assert model.output_length_ < 26
    with pytest.raises(ValueError, match="needs a series of at least"):
        LSTMForecaster(**TINY).fit([np.arange(9.0)])


def test_bad_parameters_are_named():
    with pytest.raises(ValueError, match="'hidden_size' parameter of LSTMForecaster"):
        LSTMForecaster(hidden_size=0).fit([np.arange(60.0)])
    with pytest.raises(ValueError, match="'learning_rate' parameter of HybridForecaster"):
        HybridForecaster(learning_rate=-1.0).fit([np.arange(60.0)])
    with pytest.raises(ValueError, match="sequence of series"):
        LSTMForecaster().fit(np.arange(60.0))


def test_hybrid_needs_a_base_model_with_residuals():
    y, _ = seasonal_panel(7, 3, 60)
    with pytest.raises(ValueError, match="keeps in-sample residuals"):
        HybridForecaster(base="seasonal_naive", season_length=1, **TINY).fit(list(y))


# --- reproducibility ------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["lstm", "hybrid"])
def test_same_random_state_gives_the_same_forecasts_and_paths(name):
    series = contract_panel()[:6]
    rngs = lambda: [np.random.default_rng(i) for i in range(6)]  # noqa: E731
    a = tiny(name, random_state=3).fit(series)
    b = tiny(name, random_state=3).fit(series)
    np.testing.assert_array_equal(a.predict(8), b.predict(8))
    np.testing.assert_array_equal(a.quantiles(8, LEVELS), b.quantiles(8, LEVELS))
    np.testing.assert_array_equal(a.sample_paths(8, 50, rngs()), b.sample_paths(8, 50, rngs()))
    if name == "lstm":  # the hybrid may fall back to its base model, whatever the seed
        c = tiny(name, random_state=4).fit(series)
        assert not np.array_equal(a.predict(8), c.predict(8))


def test_fit_leaves_the_global_torch_state_alone():
    before = torch.random.get_rng_state()
    threads = torch.get_num_threads()
    LSTMForecaster(**TINY, n_threads=1).fit(contract_panel()[:4])
    assert torch.equal(before, torch.random.get_rng_state())
    assert torch.get_num_threads() == threads


# --- accuracy -------------------------------------------------------------------------------


def test_lstm_learns_a_shared_seasonal_pattern():
    """40 series share one yearly cycle (+-50%): 26 weeks after the end of 130 weeks of
    history, the LSTM's error against the true means must be well under a flat mean's."""
    y, means = seasonal_panel(11, 40, 156)
    train, truth = y[:, :130], means[:, 130:]
    model = LSTMForecaster(hidden_size=16, max_epochs=40, windows_per_epoch=2048).fit(list(train))
    lstm = np.mean(np.abs(model.predict(26) - truth) / truth)
    flat = np.mean(np.abs(train[:, -52:].mean(axis=1, keepdims=True) - truth) / truth)
    assert flat > 0.25  # the cycle matters here ...
    assert lstm < 0.5 * flat  # ... and the network has learned it
    # 80% intervals are not wildly off against the realised values
    q = model.quantiles(26, (0.1, 0.9))
    hits = (y[:, 130:] >= q[:, 0]) & (y[:, 130:] <= q[:, 1])
    assert 0.6 <= hits.mean() <= 0.95


@pytest.mark.parametrize(
    "base",
    [
        "ets",
        pytest.param(
            "arima",
            marks=pytest.mark.skipif("arima" not in MODELS, reason="no arima model registered"),
        ),
    ],
)
def test_hybrid_improves_on_its_base_when_residuals_keep_a_pattern(base):
    y = square_wave_panel(2, 24, 132)
    train, test = y[:, :120], y[:, 120:]
    hybrid = HybridForecaster(
        season_length=1, base=base, hidden_size=16, max_epochs=30, windows_per_epoch=1024
    ).fit(list(train))
    assert hybrid.use_network_ and hybrid.validation_loss_ < 0.7 * hybrid.zero_loss_
    base_mae = np.mean(np.abs(np.stack([m.predict(12) for m in hybrid.base_models_]) - test))
    hybrid_mae = np.mean(np.abs(hybrid.predict(12) - test))
    assert hybrid_mae < 0.85 * base_mae
    # the hybrid's paths are its base model's paths shifted by the residual forecast
    rngs = [np.random.default_rng(i) for i in range(24)]
    base_paths = hybrid.base_models_[0].sample_paths(12, 20, np.random.default_rng(0))
    shift = hybrid.residual_forecast(12)[0]
    np.testing.assert_allclose(hybrid.sample_paths(12, 20, rngs)[0], base_paths + shift)


def test_hybrid_keeps_its_base_forecast_when_residuals_are_noise():
    rng = np.random.default_rng(8)
    y = 40 + rng.normal(0, 4, (16, 100))
    hybrid = HybridForecaster(season_length=1, base="ets", **TINY).fit(list(y))
    shift = hybrid.residual_forecast(8)
    # in units of one-step standard deviations, the network adds little to white noise
    assert np.mean(np.abs(shift)) < 0.35 * np.mean(hybrid.residual_unit_)
