"""Loading and cleaning: defaults, ISO weeks, aggregation, grid filling, schema, fingerprint."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from planner.data import SCHEMA, load_dataset, markdown_reference
from planner.data.quality import Step
from planner.data.schema import TABLES as SCHEMA_TABLES
from planner.data.testing import START, WEEKS, minimal_tables, write_minimal_dataset

TABLES = minimal_tables()
LAST_WEEK = START + pd.Timedelta(weeks=WEEKS - 1)


def sales(rows: list[tuple[str, str, str, float]], **extra: list) -> pd.DataFrame:
    """Demand rows (date, sku, warehouse, quantity) plus optional columns."""
    frame = pd.DataFrame(rows, columns=["date", "sku", "warehouse", "quantity"])
    return frame.assign(**extra)


def full_grid(sku: str, warehouse: str, skip: tuple[int, ...] = ()) -> list[tuple]:
    weeks = pd.date_range(START, periods=WEEKS, freq="7D")
    return [(f"{w:%Y-%m-%d}", sku, warehouse, 1.0) for i, w in enumerate(weeks) if i not in skip]


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory):
    return load_dataset(write_minimal_dataset(tmp_path_factory.mktemp("d") / "mini"))


def test_tables_have_the_promised_columns_and_types(dataset) -> None:
    expected = {
        "items": ["sku", "unit_cost", "shortage_cost", "holding_cost", "volume", "category"],
        "warehouses": ["warehouse", "capacity"],
        "suppliers": ["supplier", "capacity"],
        "supply": [
            "supplier",
            "sku",
            "warehouse",
            "lead_time_weeks",
            "unit_price",
            "shipping_cost",
            "fixed_order_cost",
            "moq",
            "order_multiple",
            "lead_time_sd_weeks",
        ],
        "transfers": ["from_warehouse", "to_warehouse", "cost_per_unit", "lead_time_weeks"],
        "demand": ["week", "sku", "warehouse", "quantity", "promo", "price", "stockout"],
        "inventory": ["sku", "warehouse", "on_hand"],
        "open_orders": ["sku", "warehouse", "arrival_week", "quantity", "supplier"],
        "events": ["week", "sku", "warehouse", "promo", "price"],
    }
    for name, columns in expected.items():
        assert list(getattr(dataset, name).columns) == columns, name
    demand = dataset.demand
    assert demand["week"].dtype == "datetime64[ns]"
    assert (demand["week"].dt.day_of_week == 0).all()
    assert demand["promo"].dtype == "int64" and demand["stockout"].dtype == "int64"
    assert dataset.supply["lead_time_weeks"].dtype == "int64"
    assert dataset.transfers["lead_time_weeks"].dtype == "int64"
    assert all(isinstance(v, str) for v in demand["sku"])
    assert demand.equals(demand.sort_values(["sku", "warehouse", "week"]).reset_index(drop=True))


def test_properties(dataset) -> None:
    assert dataset.last_week == LAST_WEEK
    assert dataset.series.to_dict("list") == {
        "sku": ["SKU-001", "SKU-001", "SKU-002", "SKU-002"],
        "warehouse": ["W1", "W2", "W1", "W2"],
    }
    assert len(dataset.demand) == 4 * WEEKS
    assert len(dataset.fingerprint) == 64


def test_defaults(dataset) -> None:
    items = dataset.items.set_index("sku")
    assert items.loc["SKU-001", "holding_cost"] == pytest.approx(0.25 * 8.0 / 52)
    assert items.loc["SKU-002", "holding_cost"] == 0.1
    assert items.loc["SKU-002", "category"] == "uncategorized"
    supply = dataset.supply.set_index(["supplier", "sku", "warehouse"])
    assert supply.loc[("S1", "SKU-002", "W1"), "unit_price"] == 20.0
    assert supply.loc[("S2", "SKU-001", "W2"), "unit_price"] == 9.5
    assert (
        (
            supply[
                ["shipping_cost", "fixed_order_cost", "moq", "order_multiple", "lead_time_sd_weeks"]
            ]
            == 0
        )
        .all()
        .all()
    )
    assert dataset.warehouses.set_index("warehouse")["capacity"].to_dict() == {
        "W1": 5000.0,
        "W2": math.inf,
    }
    assert math.isinf(dataset.suppliers.set_index("supplier").loc["S1", "capacity"])
    assert (dataset.transfers["lead_time_weeks"] == 1).all()
    events = dataset.events
    assert events["warehouse"].tolist() == [""] and np.isnan(events["price"].iloc[0])
    quality = dataset.quality
    assert quality.count("items", Step.DEFAULT_APPLIED, column="holding_cost") == 1
    assert quality.count("supply", Step.DEFAULT_APPLIED, column="unit_price") == 4
    assert quality.count("supply", Step.DEFAULT_APPLIED, column="moq") == 6
    assert quality.count("warehouses", Step.DEFAULT_APPLIED, column="capacity") == 1
    assert quality.count("events", Step.DEFAULT_APPLIED, column="price") == 0


def test_holding_rate_sets_the_holding_cost_default(tmp_path: Path) -> None:
    items = TABLES["items"].assign(holding_rate=[0.52, ""], holding_cost=["", ""])
    dataset = load_dataset(write_minimal_dataset(tmp_path / "mini", items=items))
    holding = dataset.items.set_index("sku")["holding_cost"]
    assert holding["SKU-001"] == pytest.approx(0.52 * 8.0 / 52)
    assert holding["SKU-002"] == pytest.approx(0.25 * 20.0 / 52)


def test_optional_tables_absent_give_empty_frames(tmp_path: Path) -> None:
    folder = write_minimal_dataset(tmp_path / "mini", transfers=None, open_orders=None, events=None)
    dataset = load_dataset(folder)
    assert dataset.transfers.empty and "lead_time_weeks" in dataset.transfers.columns
    assert dataset.open_orders.empty and "arrival_week" in dataset.open_orders.columns
    assert dataset.events.empty and dataset.events.columns[0] == "week"


def test_open_orders_bucketed_and_supplier_defaults_to_empty(tmp_path: Path) -> None:
    orders = pd.DataFrame(
        {
            "sku": ["SKU-001", "SKU-002"],
            "warehouse": ["W1", "W2"],
            "arrival_date": ["2022-12-04", "2024-03-06"],
            "quantity": [5, 7],
            "supplier": ["S1", ""],
        }
    )
    dataset = load_dataset(write_minimal_dataset(tmp_path / "mini", open_orders=orders))
    orders = dataset.open_orders
    assert orders["arrival_week"].tolist() == [
        pd.Timestamp("2022-11-28"),
        pd.Timestamp("2024-03-04"),
    ]
    assert orders["supplier"].tolist() == ["S1", ""]
    assert dataset.quality.count("open_orders", Step.BUCKETED) == 2


def test_daily_demand_is_bucketed_into_iso_weeks(tmp_path: Path) -> None:
    # 2023-01-08 is a Sunday: it belongs to the week of Monday 2023-01-02.
    daily = [
        ("2023-01-02", "SKU-001", "W1", 2.0),
        ("2023-01-04", "SKU-001", "W1", 3.0),
        ("2023-01-08", "SKU-001", "W1", 5.0),
        ("2023-01-09", "SKU-001", "W1", 7.0),
    ]
    rest = [r for r in full_grid("SKU-001", "W1") if r[0] > "2023-01-09"]
    others = [
        r
        for s, w in (("SKU-001", "W2"), ("SKU-002", "W1"), ("SKU-002", "W2"))
        for r in full_grid(s, w)
    ]
    rows = daily + rest + others
    n = len(rows)
    promo = [0, 1, 0, 0] + [0] * (n - 4)
    price = [10.0, 20.0, "", 4.0] + [""] * (n - 4)
    demand = sales(rows, promo=promo, price=price)
    dataset = load_dataset(write_minimal_dataset(tmp_path / "mini", demand=demand))
    series = dataset.demand.query("sku == 'SKU-001' and warehouse == 'W1'").set_index("week")
    first, second = pd.Timestamp("2023-01-02"), pd.Timestamp("2023-01-09")
    assert series.loc[first, "quantity"] == 10.0
    assert series.loc[second, "quantity"] == 7.0
    assert series.loc[first, "promo"] == 1
    assert series.loc[first, "price"] == pytest.approx((2 * 10 + 3 * 20) / 5)
    assert series.loc[second, "price"] == 4.0
    assert np.isnan(series["price"].iloc[5])
    quality = dataset.quality
    assert quality.count("demand", Step.BUCKETED) == 2
    assert quality.count("demand", Step.WEEKS_AGGREGATED) == 2
    assert quality.count("demand", Step.DUPLICATES_SUMMED) == 0
    assert quality.count("demand", Step.WEEKS_FILLED) == 0


def test_price_is_the_plain_mean_when_quantities_are_zero(tmp_path: Path) -> None:
    rows = [("2023-01-03", "SKU-002", "W1", 0.0), ("2023-01-05", "SKU-002", "W1", 0.0)]
    rows += [
        r
        for s in ("SKU-001", "SKU-002")
        for w in ("W1", "W2")
        for r in full_grid(s, w)
        if not (s == "SKU-002" and w == "W1" and r[0] == "2023-01-02")
    ]
    demand = sales(rows, price=[6.0, 8.0] + [""] * (len(rows) - 2))
    dataset = load_dataset(write_minimal_dataset(tmp_path / "mini", demand=demand))
    first = dataset.demand.query("sku == 'SKU-002' and warehouse == 'W1'").iloc[0]
    assert first["quantity"] == 0.0 and first["price"] == 7.0


def test_duplicate_rows_are_summed_and_counted(tmp_path: Path) -> None:
    demand = TABLES["demand"]
    doubled = pd.concat([demand, demand.iloc[[0, 1, 1]]], ignore_index=True)
    dataset = load_dataset(write_minimal_dataset(tmp_path / "mini", demand=doubled))
    series = dataset.demand.query("sku == 'SKU-001' and warehouse == 'W1'")
    assert series["quantity"].iloc[0] == 2 * demand["quantity"].iloc[0]
    assert series["quantity"].iloc[1] == 3 * demand["quantity"].iloc[1]
    assert dataset.quality.count("demand", Step.DUPLICATES_SUMMED) == 3
    assert dataset.quality.count("demand", Step.WEEKS_AGGREGATED) == 0
    assert len(dataset.demand) == 4 * WEEKS


def test_missing_weeks_are_filled_with_zero_and_counted(tmp_path: Path) -> None:
    rows = full_grid("SKU-001", "W1", skip=(3, 4, 10))
    rows += full_grid("SKU-001", "W2", skip=tuple(range(50, WEEKS)))  # stops selling early
    rows += [r for r in full_grid("SKU-002", "W1") if r[0] >= "2023-06-05"]  # starts late
    rows += full_grid("SKU-002", "W2")
    demand = sales(rows, stockout=[1] + [0] * (len(rows) - 1))
    dataset = load_dataset(write_minimal_dataset(tmp_path / "mini", demand=demand))
    d = dataset.demand
    w1 = d.query("sku == 'SKU-001' and warehouse == 'W1'")
    assert len(w1) == WEEKS
    assert w1["quantity"].iloc[[3, 4, 10]].tolist() == [0.0, 0.0, 0.0]
    assert w1["promo"].iloc[3] == 0 and w1["stockout"].iloc[3] == 0
    assert np.isnan(w1["price"].iloc[3]) and w1["stockout"].iloc[0] == 1
    w2 = d.query("sku == 'SKU-001' and warehouse == 'W2'")
    assert w2["week"].max() == LAST_WEEK and (w2["quantity"].iloc[50:] == 0).all()
    late = d.query("sku == 'SKU-002' and warehouse == 'W1'")
    assert late["week"].min() == pd.Timestamp("2023-06-05")
    assert (late["week"].diff().dropna() == pd.Timedelta(weeks=1)).all()
    assert dataset.quality.count("demand", Step.WEEKS_FILLED) == 3 + 10
    assert dataset.quality.count("demand", Step.SERIES_FILLED) == 2


def test_series_without_inventory_start_at_zero(tmp_path: Path) -> None:
    inventory = TABLES["inventory"].iloc[:2]
    dataset = load_dataset(write_minimal_dataset(tmp_path / "mini", inventory=inventory))
    on_hand = dataset.inventory.set_index(["sku", "warehouse"])["on_hand"]
    assert on_hand[("SKU-002", "W1")] == 0.0 and on_hand[("SKU-002", "W2")] == 0.0
    assert on_hand[("SKU-001", "W1")] == 40.0
    assert dataset.quality.count("inventory", Step.INVENTORY_ADDED) == 2


def test_keys_are_stripped_and_blank_lines_counted(tmp_path: Path) -> None:
    folder = write_minimal_dataset(tmp_path / "mini")
    (folder / "warehouses.csv").write_text(" warehouse ,capacity\n W1 ,5000\n\n W2,\n")
    dataset = load_dataset(folder)
    assert dataset.warehouses["warehouse"].tolist() == ["W1", "W2"]
    assert dataset.quality.count("warehouses", Step.BLANK_ROWS) == 1


def test_csv_and_parquet_give_the_same_tables(tmp_path: Path) -> None:
    from_csv = load_dataset(write_minimal_dataset(tmp_path / "csv"))
    from_parquet = load_dataset(write_minimal_dataset(tmp_path / "pq", fmt="parquet"))
    for name in SCHEMA_TABLES:
        pd.testing.assert_frame_equal(getattr(from_csv, name), getattr(from_parquet, name))


def test_ignored_files_and_columns_are_reported(tmp_path: Path) -> None:
    folder = write_minimal_dataset(tmp_path / "mini", items=TABLES["items"].assign(colour="red"))
    (folder / "demand_true.csv").write_text("date,sku,warehouse,quantity\n")
    quality = load_dataset(folder).quality
    text = quality.render()
    assert "mini/demand_true.csv: not a dataset table, ignored" in text
    assert "mini/items.csv column 'colour': unknown column, ignored" in text
    assert "default applied (holding_cost)" in text
    as_json = json.loads(json.dumps(quality.to_dict()))
    assert as_json["rows_read"]["demand"] == 4 * WEEKS
    assert {
        "table": "items",
        "step": "default applied",
        "count": 1,
        "detail": "set to holding_rate x unit_cost / 52",
        "column": "holding_cost",
    } in as_json["steps"]


def test_schema_reference_lists_every_column() -> None:
    text = markdown_reference()
    for table in SCHEMA:
        assert f"### `{table.name}`" in text
        for column in table.columns:
            assert f"`{column.name}`" in text
    assert "`holding_rate` x `unit_cost` / 52" in text
    assert "empty = unlimited" in text
    printed = subprocess.run(
        [sys.executable, "-m", "planner.data.schema"],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[1],
    ).stdout
    assert printed.strip() == text.strip()


def test_fingerprint_is_stable_and_sees_every_byte(tmp_path: Path) -> None:
    first = load_dataset(write_minimal_dataset(tmp_path / "a")).fingerprint
    again = load_dataset(write_minimal_dataset(tmp_path / "b")).fingerprint
    assert first == again
    folder = tmp_path / "b"
    data = bytearray((folder / "inventory.csv").read_bytes())
    data[-2] = ord("9") if data[-2] != ord("9") else ord("8")
    (folder / "inventory.csv").write_bytes(bytes(data))
    assert load_dataset(folder).fingerprint != first
