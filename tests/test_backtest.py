"""Rolling-origin backtests: metrics equal hand computations on a tiny case, folds and step
place the origins, and `planner backtest` writes both CSVs with the DESIGN.md columns."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from click.testing import CliRunner
from scipy import stats

from planner.cli import main
from planner.data.testing import write_minimal_dataset
from planner.errors import ConfigError
from planner.forecast.backtest import (
    FOLD_COLUMNS,
    METRICS,
    BacktestOptions,
    backtest_series,
    format_summary,
    summarise,
)


def normal_crps(mu: float, sigma: float, y: float) -> float:
    z = (y - mu) / sigma
    return sigma * (z * (2 * stats.norm.cdf(z) - 1) + 2 * stats.norm.pdf(z) - 1 / np.sqrt(np.pi))


def test_metrics_equal_hand_computations_on_a_linear_series():
    """y = 100 + t, naive forecasts (season length 1): at the origin of fold 1 (cut 4 + 3)
    the last value is 122 and the next four actuals are 123..126, so the errors are 1..4;
    the naive model's sd is 1 (every difference is 1) and grows as sqrt(step)."""
    y = 100.0 + np.arange(30)
    options = BacktestOptions(
        horizon=4,
        folds=2,
        step=3,
        models=("seasonal_naive",),
        season_length=1,
        n_paths=4000,
        calibrate=False,
    )
    folds = backtest_series([y], ["a"], options)
    assert list(folds.columns) == FOLD_COLUMNS
    assert list(folds["fold"]) == [1, 2] and list(folds["origin"]) == [23, 26]
    row = folds.iloc[0]
    errors = np.array([1.0, 2.0, 3.0, 4.0])
    actual = 122.0 + errors
    assert row["chosen"] == "seasonal_naive"
    assert row["mae"] == pytest.approx(2.5)
    assert row["rmse"] == pytest.approx(np.sqrt(7.5))
    assert row["bias"] == pytest.approx(-2.5)
    assert row["smape"] == pytest.approx(np.mean(200 * errors / (actual + 122.0)))
    assert row["mase"] == pytest.approx(2.5)  # in-sample naive MAE is 1
    assert row["rmsse"] == pytest.approx(np.sqrt(7.5))
    sd = np.sqrt(np.arange(1, 5))
    assert row["coverage_80"] == 0.25  # |e| <= 1.2816 sd only at step 1
    assert row["coverage_95"] == 0.75  # |e| <= 1.96 sd at steps 1-3
    levels = np.array([0.025, 0.05, 0.1, 0.5, 0.9, 0.95, 0.975])
    q = 122.0 + stats.norm.ppf(levels)[:, None] * sd[None, :]
    diff = actual[None, :] - q
    pinball = np.mean(np.maximum(levels[:, None] * diff, (levels[:, None] - 1) * diff))
    assert row["pinball"] == pytest.approx(pinball)
    expected_crps = np.mean([normal_crps(122.0, s, a) for s, a in zip(sd, actual, strict=True)])
    assert row["crps"] == pytest.approx(expected_crps, rel=0.03)  # 4000 sampled paths
    # fold 2 starts 3 periods later: last value 125, actuals 126..129: same errors
    assert folds.iloc[1]["mae"] == pytest.approx(2.5)


def test_summary_averages_per_model_and_skips_short_series():
    rng = np.random.default_rng(0)
    series = [rng.poisson(20, 60).astype(float), rng.poisson(5, 60).astype(float), np.ones(9)]
    options = BacktestOptions(
        horizon=4, folds=3, step=2, models=("moving_average", "seasonal_naive"), season_length=1
    )
    folds = backtest_series(series, ["a", "b", "short"], options)
    assert "short" not in set(folds["id"])  # 9 - (4 + 2*2) < 8 training points
    assert len(folds) == 2 * 3 * 2
    summary = summarise(folds)
    assert list(summary["model"]) == sorted(
        summary["model"], key=lambda m: summary.set_index("model").loc[m, "mase"]
    )
    for model, group in folds.groupby("model"):
        line = summary.set_index("model").loc[model]
        for metric in METRICS:
            assert line[metric] == pytest.approx(group[metric].mean())
        assert line["series"] == 2 and line["folds"] == 3
    text = format_summary(summary)
    assert "moving_average" in text and "cov80" in text


def test_unknown_model_is_a_config_error():
    options = BacktestOptions(horizon=4, models=("thetta",))
    with pytest.raises(ConfigError, match="did you mean 'theta'"):
        backtest_series([np.ones(40)], ["a"], options)


def test_cli_backtest_writes_both_csvs(tmp_path: Path):
    data = write_minimal_dataset(tmp_path / "data")
    doc = {
        "name": "mini",
        "dataset": str(data),
        "plan": {"horizon_weeks": 4, "frozen_weeks": 1},
        "forecast": {"model": "auto", "paths": 50, "scenarios": 8, "seed": 3},
        "backtest": {"folds": 2, "step": 4, "models": ["auto", "theta", "moving_average"]},
    }
    scenario = tmp_path / "mini.yaml"
    scenario.write_text(yaml.safe_dump(doc))
    out = tmp_path / "bt"
    res = CliRunner().invoke(
        main, ["backtest", str(scenario), "--out", str(out)], catch_exceptions=False
    )
    assert res.exit_code == 0, res.output
    folds = pd.read_csv(out / "backtest.csv")
    assert list(folds.columns[:3]) == ["id", "sku", "warehouse"]
    assert {"model", "fold", *METRICS} <= set(folds.columns)
    assert set(folds["model"]) == {"auto", "theta", "moving_average"}
    assert len(folds) == 4 * 3 * 2  # series x models x folds
    assert set(folds["id"]) == {f"{s}/{w}" for s in ("SKU-001", "SKU-002") for w in ("W1", "W2")}
    summary = pd.read_csv(out / "backtest_summary.csv")
    assert list(summary.columns[:1]) == ["model"] and set(METRICS) <= set(summary.columns)
    assert len(summary) == 3
    assert "MASE" in res.output and "theta" in res.output
    help_text = CliRunner().invoke(main, ["backtest", "--help"]).output
    assert "Example" in help_text


def test_cli_backtest_reports_unknown_models_with_exit_code_2(tmp_path: Path):
    data = write_minimal_dataset(tmp_path / "data")
    doc = {"name": "mini", "dataset": str(data), "backtest": {"models": ["arimaa"]}}
    scenario = tmp_path / "mini.yaml"
    scenario.write_text(yaml.safe_dump(doc))
    res = CliRunner().invoke(main, ["backtest", str(scenario), "--out", str(tmp_path / "o")])
    assert res.exit_code == 2
    assert "arimaa" in res.output and "arima" in res.output
