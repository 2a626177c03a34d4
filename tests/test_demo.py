"""The seeded demo dataset: deterministic, committed copy in sync, realistic properties."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from planner.data.demo import write_demo

REPO = Path(__file__).resolve().parents[1]
TABLES = {
    "items": ["sku", "unit_cost", "shortage_cost", "holding_cost", "volume", "category"],
    "warehouses": ["warehouse", "capacity"],
    "suppliers": ["supplier", "capacity"],
    "supply": ["supplier", "sku", "warehouse", "lead_time_weeks", "unit_price", "shipping_cost",
               "fixed_order_cost", "moq", "order_multiple", "lead_time_sd_weeks"],
    "transfers": ["from_warehouse", "to_warehouse", "cost_per_unit", "lead_time_weeks"],
    "demand": ["date", "sku", "warehouse", "quantity", "promo", "price", "stockout"],
    "demand_true": ["date", "sku", "warehouse", "quantity"],
    "inventory": ["sku", "warehouse", "on_hand"],
    "open_orders": ["sku", "warehouse", "arrival_date", "quantity", "supplier"],
    "events": ["date", "sku", "warehouse", "promo", "price"],
}  # fmt: skip
LAST_WEEK = pd.Timestamp("2026-11-16")
FIRST_PLAN_WEEK = LAST_WEEK + pd.Timedelta(weeks=1)


def _files(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("demo")
    write_demo(root)
    return root


@pytest.fixture(scope="module")
def t(demo_dir) -> dict[str, pd.DataFrame]:
    return {name: pd.read_csv(demo_dir / "data" / f"{name}.csv") for name in TABLES}


@pytest.fixture(scope="module")
def series(t) -> pd.DataFrame:
    return t["demand"][["sku", "warehouse"]].drop_duplicates()


def test_same_seed_writes_identical_bytes(tmp_path, demo_dir):
    path = write_demo(tmp_path)
    assert path == tmp_path / "demo.yaml"
    assert _files(tmp_path) == _files(demo_dir)
    assert sorted(_files(tmp_path)) == ["data/" + f"{name}.csv" for name in sorted(TABLES)] + [
        "demo.yaml"
    ]


def test_other_seed_writes_other_data(tmp_path, demo_dir):
    write_demo(tmp_path, seed=1)
    assert (tmp_path / "data/demand.csv").read_bytes() != (
        demo_dir / "data/demand.csv"
    ).read_bytes()


def test_committed_copy_equals_fresh_generation(tmp_path):
    write_demo(tmp_path, dataset_subdir="data/demo")
    fresh = _files(tmp_path)
    committed = {"demo.yaml": (REPO / "scenarios/demo.yaml").read_bytes()}
    committed |= {f"data/demo/{k}": v for k, v in _files(REPO / "scenarios/data/demo").items()}
    assert sorted(committed) == sorted(fresh)
    drifted = [name for name in fresh if fresh[name] != committed[name]]
    assert not drifted, f"regenerate with `python -m planner.data.demo`: {drifted}"


def test_scenario_file(demo_dir, tmp_path):
    scenario = yaml.safe_load((demo_dir / "demo.yaml").read_text())
    assert scenario == {
        "name": "demo-baseline",
        "dataset": "data",
        "plan": {"horizon_weeks": 12, "frozen_weeks": 1, "shortage": "lost_sales",
                 "terminal_value": "unit_cost"},
        "forecast": {"model": "auto", "season_length": 52, "paths": 500, "scenarios": 50, "seed": 7},
        "solver": {"time_limit_s": 300, "mip_gap": 0.01},
    }  # fmt: skip
    assert (demo_dir / "demo.yaml").read_text().startswith("#")
    nested = write_demo(tmp_path / "x", dataset_subdir="data/demo")
    assert yaml.safe_load(nested.read_text())["dataset"] == "data/demo"
    assert (nested.parent / "data/demo/items.csv").is_file()
    for bad in ["../escape", "/abs", ""]:
        with pytest.raises(ValueError):
            write_demo(tmp_path / "y", dataset_subdir=bad)


def test_columns_and_iso_dates(t):
    for name, columns in TABLES.items():
        assert list(t[name].columns) == columns, name
    for name, column in [("demand", "date"), ("open_orders", "arrival_date"), ("events", "date")]:
        dates = t[name][column]
        assert dates.str.fullmatch(r"\d{4}-\d{2}-\d{2}").all()
        assert (pd.to_datetime(dates).dt.day_of_week == 0).all(), f"{name}: weeks start on Monday"


def test_items(t):
    items = t["items"]
    assert items["sku"].is_unique and len(items) >= 40
    assert items["category"].nunique() >= 3
    assert items["unit_cost"].between(2, 150).all()
    assert items["unit_cost"].max() / items["unit_cost"].min() > 10
    assert (items["shortage_cost"] / items["unit_cost"]).between(1.5 - 1e-2, 4 + 1e-2).all()
    assert (
        items.groupby("category")["shortage_cost"].sum()
        / items.groupby("category")["unit_cost"].sum()
    ).nunique() >= 3
    assert 0 < items["holding_cost"].isna().sum() < len(items)
    assert items["volume"].between(0.001, 0.05).all()


def test_warehouses_suppliers_lanes(t, series):
    assert sorted(t["warehouses"]["warehouse"]) == ["W-EAST", "W-NORTH", "W-SOUTH"]
    assert (t["warehouses"]["capacity"] > 0).all()
    suppliers, supply = t["suppliers"], t["supply"]
    assert len(suppliers) == 3 and suppliers["capacity"].isna().sum() == 1
    lead = supply.groupby("supplier")["lead_time_weeks"].agg(["min", "max"])
    assert lead["min"].is_unique and lead["min"].ge(1).all() and lead["max"].le(6).all()
    assert lead["max"].max() >= 5 and lead["min"].min() == 1
    lanes = supply.groupby(["sku", "warehouse"]).size()
    keys = pd.MultiIndex.from_frame(series)
    assert keys.isin(lanes.index).all(), "every series has a lane"
    assert lanes.index.isin(keys).all(), "no lane without demand"
    assert (lanes >= 2).mean() > 0.5 and (lanes == 3).any()
    assert not supply.duplicated(["supplier", "sku", "warehouse"]).any()
    ratio = supply["unit_price"] / supply["sku"].map(t["items"].set_index("sku")["unit_cost"])
    assert ratio.between(0.84, 1.16).all()
    assert ratio.groupby(supply["supplier"]).mean().nunique() == 3
    assert (
        (supply[["fixed_order_cost", "moq", "order_multiple", "lead_time_sd_weeks"]] == 0)
        .all()
        .all()
    )
    assert (t["transfers"]["lead_time_weeks"] == 1).all() and len(t["transfers"]) >= 2


def test_history_shape(t, series):
    demand = t["demand"]
    assert 100 <= len(series) <= 120
    assert len(series) < t["items"]["sku"].nunique() * 3, "not every SKU in every warehouse"
    dates = pd.to_datetime(demand["date"])
    assert dates.nunique() == 156 and dates.max() == LAST_WEEK
    assert (demand.groupby(["sku", "warehouse"]).size() == 156).all()
    assert not demand.duplicated(["date", "sku", "warehouse"]).any()
    assert (demand["quantity"] >= 0).all() and demand["quantity"].dtype.kind == "i"


def test_stockouts_censor_true_demand(t):
    both = t["demand"].merge(
        t["demand_true"], on=["date", "sku", "warehouse"], suffixes=("", "_true")
    )
    assert len(both) == len(t["demand"]) == len(t["demand_true"])
    out = both["stockout"] == 1
    assert 0.015 <= out.mean() <= 0.035
    assert (both.loc[out, "quantity_true"] > both.loc[out, "quantity"]).all()
    assert (both.loc[~out, "quantity_true"] == both.loc[~out, "quantity"]).all()
    # clustered: a good share of stockout weeks follow a stockout week of the same series
    flags = both.sort_values(["sku", "warehouse", "date"]).groupby(["sku", "warehouse"])["stockout"]
    repeats = flags.apply(lambda s: int(((s == 1) & (s.shift(1) == 1)).sum())).sum()
    assert repeats > 0.25 * out.sum()


def test_intermittent_series(t):
    zero_share = (
        (t["demand_true"]["quantity"] == 0)
        .groupby([t["demand_true"]["sku"], t["demand_true"]["warehouse"]])
        .mean()
    )
    intermittent = zero_share[zero_share > 0.5]
    assert 0.1 <= len(intermittent) / len(zero_share) <= 0.3
    demand_weeks = (
        (t["demand_true"]["quantity"] > 0)
        .groupby([t["demand_true"]["sku"], t["demand_true"]["warehouse"]])
        .sum()
    )
    interval = 156 / demand_weeks.loc[intermittent.index]
    assert interval.median() < 6 and interval.min() >= 2


def test_seasonality_repeats_per_category(t):
    true = t["demand_true"].merge(t["items"][["sku", "category"]], on="sku")
    week = (pd.to_datetime(true["date"]) - pd.to_datetime(true["date"]).min()).dt.days // 7
    weekly = true.groupby(["category", week])["quantity"].sum().unstack()
    peaks = set()
    for category, row in weekly.iterrows():
        y1, y2, y3 = (row.to_numpy()[k * 52 : (k + 1) * 52] for k in range(3))
        assert np.corrcoef(y1, y2)[0, 1] > 0.5, category
        assert np.corrcoef(y2, y3)[0, 1] > 0.5, category
        peaks.add(int(np.argmax(y2 + y3)) // 9)  # ~2-month bins
    assert len(peaks) >= 3, "categories peak in different months"


def test_promotions(t):
    demand = t["demand"]
    assert 0.005 < demand["promo"].mean() < 0.1
    promoted = demand[demand["sku"].isin(demand.loc[demand["promo"] == 1, "sku"])]
    price = promoted.groupby(["sku", "promo"])["price"].median().unstack()
    assert (price[1] < price[0]).all()
    lift = promoted.groupby(["sku", "warehouse", "promo"])["quantity"].mean().unstack()
    assert (lift[1] / lift[0]).median() > 1.2


def test_inventory_open_orders_events(t, series):
    inventory, orders, events = t["inventory"], t["open_orders"], t["events"]
    assert len(inventory) == len(series) and (inventory["on_hand"] >= 0).all()
    assert (inventory["on_hand"] == 0).any() or (inventory["on_hand"] <= 2).sum() >= 3
    assert 20 <= len(orders) <= 40 and (orders["quantity"] > 0).all()
    arrival_week = (pd.to_datetime(orders["arrival_date"]) - FIRST_PLAN_WEEK).dt.days // 7 + 1
    assert arrival_week.between(1, 5).all()
    lanes = orders.merge(t["supply"], on=["supplier", "sku", "warehouse"], how="left")
    assert lanes["lead_time_weeks"].notna().all(), "open orders come through known lanes"
    assert (lanes["lead_time_weeks"] >= arrival_week).all(), "placed no later than the last week"
    assert 3 <= len(events) <= 30 and (events["promo"] == 1).all()
    event_week = (pd.to_datetime(events["date"]) - FIRST_PLAN_WEEK).dt.days // 7 + 1
    assert event_week.between(1, 12).all()
    assert (
        pd.MultiIndex.from_frame(events[["sku", "warehouse"]])
        .isin(pd.MultiIndex.from_frame(series))
        .all()
    )


def test_initial_stock_fits_in_every_warehouse(t):
    volume = t["items"].set_index("sku")["volume"]
    stock = pd.concat([
        t["inventory"].rename(columns={"on_hand": "quantity"}),
        t["open_orders"][["sku", "warehouse", "quantity"]],
    ])  # fmt: skip
    held = (stock["quantity"] * stock["sku"].map(volume)).groupby(stock["warehouse"]).sum()
    capacity = t["warehouses"].set_index("warehouse")["capacity"]
    assert (held.reindex(capacity.index) < capacity).all()
    # but capacity is not slack: a few weeks of demand volume at most
    true = t["demand_true"]
    recent = true[pd.to_datetime(true["date"]) > LAST_WEEK - pd.Timedelta(weeks=52)]
    weekly = (recent["quantity"] * recent["sku"].map(volume)).groupby(
        recent["warehouse"]
    ).sum() / 52
    assert (capacity.div(weekly) < 8).all()
