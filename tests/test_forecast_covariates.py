"""Promotion and price regressors of a dataset: history from the demand table, future values
from events (warehouse '' = every warehouse, the warehouse's own row wins; promo not given =
0, price not given = the last known price)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from planner.data import load_dataset
from planner.data.testing import START, WEEKS, minimal_tables, write_minimal_dataset
from planner.forecast import covariates_from_dataset


@pytest.fixture
def dataset(tmp_path):
    tables = minimal_tables()
    last = START + pd.Timedelta(weeks=WEEKS - 1)
    demand = tables["demand"]
    demand.loc[demand["sku"] == "SKU-001", "price"] = 10.0 + (np.arange(WEEKS * 2) % WEEKS) / 10
    tables["events"] = pd.DataFrame(
        {
            "date": [last + pd.Timedelta(weeks=k) for k in (1, 2, 2, 3)],
            "sku": ["SKU-001", "SKU-001", "SKU-001", "SKU-002"],
            "warehouse": ["", "", "W2", "W1"],
            "promo": [1, 1, 0, 1],
            "price": [8.0, "", 9.5, ""],
        }
    )
    return load_dataset(
        write_minimal_dataset(tmp_path / "d", demand=demand, events=tables["events"])
    )


def test_history_and_future_regressors(dataset):
    series = dataset.series
    weeks = pd.date_range(dataset.last_week + pd.Timedelta(weeks=1), periods=4, freq="W-MON")
    cov = covariates_from_dataset(dataset, series, weeks)
    assert cov.names == ("promo", "price") and cov.freq == "W-MON" and cov.horizon == 4
    ids = [f"{s}/{w}" for s, w in zip(series["sku"], series["warehouse"], strict=True)]
    first = ids.index("SKU-001/W1")
    rows = dataset.demand[
        (dataset.demand["sku"] == "SKU-001") & (dataset.demand["warehouse"] == "W1")
    ]
    np.testing.assert_array_equal(cov.history[first][:, 0], rows["promo"].to_numpy())
    np.testing.assert_array_equal(cov.history[first][:, 1], rows["price"].to_numpy())
    assert cov.periods[first].equals(pd.DatetimeIndex(rows["week"]))
    np.testing.assert_array_equal(cov.future_periods(first), weeks)
    last_price = rows["price"].iloc[-1]
    # SKU-001/W1: every-warehouse events in weeks 1 and 2 (price given in week 1 only)
    np.testing.assert_array_equal(cov.future[first][:, 0], [1, 1, 0, 0])
    np.testing.assert_allclose(cov.future[first][:, 1], [8.0, last_price, last_price, last_price])
    # SKU-001/W2: its own row in week 2 wins over the every-warehouse row
    w2 = ids.index("SKU-001/W2")
    np.testing.assert_array_equal(cov.future[w2][:, 0], [1, 0, 0, 0])
    assert cov.future[w2][1, 1] == 9.5
    # SKU-002: only W1 has an event (week 3); W2 has none
    np.testing.assert_array_equal(cov.future[ids.index("SKU-002/W1")][:, 0], [0, 0, 1, 0])
    np.testing.assert_array_equal(cov.future[ids.index("SKU-002/W2")][:, 0], [0, 0, 0, 0])
    np.testing.assert_allclose(cov.future[ids.index("SKU-002/W2")][:, 1], 25.0)
