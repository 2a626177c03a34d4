"""Cleaning demand history for forecasting: censored (stockout) weeks imputed, outliers capped,
each step switchable and counted in the quality report; the loaded dataset is left unchanged."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from planner.config import CleaningConfig
from planner.data import load_dataset
from planner.data.clean import cap_outliers, clean_for_forecast, impute_censored
from planner.data.quality import Step
from planner.data.testing import minimal_tables, write_minimal_dataset

DEMO = Path(__file__).resolve().parents[1] / "scenarios" / "data" / "demo"
KEY = ["week", "sku", "warehouse"]


@pytest.fixture(scope="module")
def demo():
    return load_dataset(DEMO)


@pytest.fixture(scope="module")
def truth():
    frame = pd.read_csv(DEMO / "demand_true.csv", parse_dates=["date"])
    return frame.rename(columns={"date": "week", "quantity": "truth"})


def _compare(raw, cleaned, truth) -> pd.DataFrame:
    merged = raw.demand.merge(truth, on=KEY)
    return merged.merge(
        cleaned.demand[[*KEY, "quantity"]].rename(columns={"quantity": "clean"}), on=KEY
    )


def test_censored_weeks_are_raised_towards_the_true_demand(demo, truth):
    cleaned = clean_for_forecast(demo, CleaningConfig(outliers=False))
    table = _compare(demo, cleaned, truth)
    censored = table[table["stockout"] == 1]
    assert len(censored) > 100
    error_raw = (censored["truth"] - censored["quantity"]).abs().mean()
    error_clean = (censored["truth"] - censored["clean"]).abs().mean()
    assert error_clean < 0.7 * error_raw  # measured: 39.9 -> 21.7 units
    bias_raw = (censored["truth"] - censored["quantity"]).mean()
    bias_clean = (censored["truth"] - censored["clean"]).mean()
    assert abs(bias_clean) < 0.25 * bias_raw
    # never lowered, and only stockout weeks change
    assert (censored["clean"] >= censored["quantity"]).all()
    others = table[table["stockout"] == 0]
    np.testing.assert_array_equal(others["clean"], others["quantity"])
    raised = int((censored["clean"] > censored["quantity"]).sum())
    assert cleaned.quality.count("demand", Step.CENSORED_IMPUTED) == raised > 0
    assert cleaned.quality.count("demand", Step.OUTLIERS_CAPPED) == 0


def test_each_step_can_be_switched_off_and_the_input_is_unchanged(demo):
    before = demo.demand.copy()
    steps_before = list(demo.quality.steps)
    off = clean_for_forecast(demo, CleaningConfig(outliers=False, censored=False))
    pd.testing.assert_frame_equal(off.demand, demo.demand)
    assert off.quality.steps == steps_before
    both = clean_for_forecast(demo)
    assert both.quality.count("demand", Step.CENSORED_IMPUTED) > 0
    pd.testing.assert_frame_equal(demo.demand, before)
    assert demo.quality.steps == steps_before
    assert list(both.demand.columns) == list(demo.demand.columns)
    text = both.quality.render()
    assert "censored weeks imputed" in text


def _spiked_dataset(tmp_path: Path, spike_week: int, promo: int) -> Path:
    tables = minimal_tables()
    demand = tables["demand"]
    row = demand.index[(demand["sku"] == "SKU-001") & (demand["warehouse"] == "W1")][spike_week]
    demand.loc[row, "quantity"] = 400.0
    demand.loc[row, "promo"] = promo
    return write_minimal_dataset(tmp_path / f"spike{promo}", demand=demand)


def test_an_outlier_is_capped_and_counted(tmp_path):
    ds = load_dataset(_spiked_dataset(tmp_path, spike_week=30, promo=0))
    cleaned = clean_for_forecast(ds, CleaningConfig(censored=False, outlier_threshold=5.0))
    series = cleaned.demand[
        (cleaned.demand["sku"] == "SKU-001") & (cleaned.demand["warehouse"] == "W1")
    ]
    value = series["quantity"].iloc[30]
    assert 25.0 < value < 60.0  # Poisson(20): median ~20, scale ~sqrt(20) -> cap ~42
    assert cleaned.quality.count("demand", Step.OUTLIERS_CAPPED) >= 1
    kept = clean_for_forecast(ds, CleaningConfig(outliers=False, censored=False))
    assert kept.demand["quantity"].max() == 400.0
    assert kept.quality.count("demand", Step.OUTLIERS_CAPPED) == 0


def test_a_promotion_spike_is_not_an_outlier(tmp_path):
    ds = load_dataset(_spiked_dataset(tmp_path, spike_week=31, promo=1))
    cleaned = clean_for_forecast(ds, CleaningConfig(censored=False))
    assert cleaned.demand["quantity"].max() == 400.0


def test_cap_outliers_known_answer_and_intermittent_series_left_alone():
    y = np.full(40, 10.0)
    y[20] = 100.0
    capped = y.copy()
    assert cap_outliers(capped, 3.0, np.zeros(40, dtype=bool)) == 1
    # median 10, MAD 0 -> scale sqrt(10); cap = 10 + 3 sqrt(10)
    assert capped[20] == pytest.approx(10 + 3 * np.sqrt(10))
    sparse = np.zeros(40)
    sparse[::5] = 50.0
    assert cap_outliers(sparse.copy(), 3.0, np.zeros(40, dtype=bool)) == 0


def test_impute_censored_known_answer():
    y = np.array([10.0, 12.0, 2.0, 14.0, 16.0])
    stockout = np.array([False, False, True, False, False])
    promo = np.zeros(5, dtype=bool)
    assert impute_censored(y, stockout, promo) == 1
    assert y[2] == pytest.approx(13.0)  # mean of 10, 12, 14, 16
    # a stockout week that sold more than its neighbours is left as it is
    z = np.array([10.0, 12.0, 30.0, 14.0, 16.0])
    assert impute_censored(z, stockout, promo) == 0 and z[2] == 30.0
