"""What-if modifiers: each moves the model inputs as stated, moves a solved plan the right way,
logs `key: old -> new`, and bad references are reported together (exit code 2)."""

from __future__ import annotations

import typing

import numpy as np
import pandas as pd
import pytest

from planner.config import (
    CapacityModifier,
    CostModifier,
    DemandModifier,
    LeadTimeModifier,
    PlanConfig,
    Scenario,
    SupplierOutage,
    WhatIf,
)
from planner.data import Dataset, load_dataset
from planner.data.testing import minimal_tables, write_minimal_dataset
from planner.errors import ConfigError
from planner.model.build import build_model, forced_overflow
from planner.model.data import ModelData
from planner.model.inputs import make_model_data, planning_weeks
from planner.model.synthetic import synthetic_model_data
from planner.results import PlanResult, summarise
from planner.scenarios import ScenarioSet
from planner.solve import solve_model
from planner.whatif import (
    DATASET_KINDS,
    MODEL_KINDS,
    apply_dataset_whatifs,
    apply_model_whatifs,
)

HORIZON = 8
TOL = 1e-6


# ---------------------------------------------------------------- helpers


def dataset(tmp_path, **tables: pd.DataFrame | None) -> Dataset:
    return load_dataset(write_minimal_dataset(tmp_path / "data", **tables))


def model_data(ds: Dataset, scenarios: int = 3, seed: int = 0) -> ModelData:
    """Seeded gamma demand scenarios around each series' historical mean."""
    scenario = Scenario(name="t", dataset=ds.folder, plan=PlanConfig(horizon_weeks=HORIZON))
    weeks, _ = planning_weeks(ds, scenario)
    key = pd.MultiIndex.from_frame(ds.series)
    mean = ds.demand.groupby(["sku", "warehouse"])["quantity"].mean().reindex(key).to_numpy()
    rng = np.random.default_rng(seed)
    demand = rng.gamma(4.0, mean[None, :, None] / 4.0, (scenarios, len(mean), HORIZON))
    prob = np.full(scenarios, 1.0 / scenarios)
    return make_model_data(ds, scenario, ds.series, weeks, ScenarioSet(demand=demand, prob=prob))


def plan(data: ModelData) -> PlanResult:
    model, layout = build_model(data)
    res = solve_model(model)
    assert res.status.has_solution, res.status
    return summarise(model, data, layout, res)


def ordered(result: PlanResult, by: str) -> pd.Series:
    return result.orders.groupby(by)["quantity"].sum()


def categories(ds: Dataset) -> dict[str, str]:
    return dict(zip(ds.items["sku"], ds.items["category"], strict=True))


def small_synthetic() -> ModelData:
    return synthetic_model_data(3, 2, 2, HORIZON, 3, seed=4)


# ---------------------------------------------------------------- stages


def test_every_modifier_kind_belongs_to_exactly_one_stage():
    union = typing.get_args(WhatIf)[0]
    kinds = {typing.get_args(m.model_fields["kind"].annotation)[0] for m in typing.get_args(union)}
    assert set(DATASET_KINDS) | set(MODEL_KINDS) == kinds
    assert not set(DATASET_KINDS) & set(MODEL_KINDS)


def test_each_stage_applies_its_own_modifiers_and_skips_the_others(tmp_path):
    ds = dataset(tmp_path)
    whatifs = [
        DemandModifier(kind="demand", factor=1.2),
        SupplierOutage(kind="supplier_outage", supplier="S2", weeks=(1, 2)),
        LeadTimeModifier(kind="lead_time", supplier="S1", add_weeks=1),
        CostModifier(kind="cost", field="shipping_cost", factor=2.0),
        CapacityModifier(kind="capacity", supplier="S2", factor=0.5),
    ]
    changed, dataset_log = apply_dataset_whatifs(ds, whatifs)
    data, model_log = apply_model_whatifs(model_data(changed), whatifs, categories(ds))
    assert [line.split(" ")[0] for line in dataset_log] == ["whatif[2]", "whatif[3]", "whatif[4]"]
    assert [line.split(" ")[0] for line in model_log] == ["whatif[0]", "whatif[1]"]
    # the dataset stage did not touch demand, the model stage did not touch lead times
    assert changed.demand is ds.demand
    np.testing.assert_array_equal(data.lead_time, model_data(changed).lead_time)


def test_no_modifier_returns_the_inputs_unchanged(tmp_path):
    ds = dataset(tmp_path)
    same, log = apply_dataset_whatifs(ds, [])
    assert same is ds and log == []
    data = small_synthetic()
    same_data, log = apply_model_whatifs(
        data, [LeadTimeModifier(kind="lead_time", supplier="S1", add_weeks=1)], {}
    )
    assert same_data is data and log == []


# ---------------------------------------------------------------- demand


def test_demand_factor_scales_only_the_matching_series_and_weeks():
    data = small_synthetic()
    before = data.demand.copy()
    mod = DemandModifier(
        kind="demand", factor=1.5, skus=["SKU00001"], warehouses=["W2"], weeks=(2, 4)
    )
    new, log = apply_model_whatifs(data, [mod], {})
    i = int(
        np.flatnonzero((data.series["sku"] == "SKU00001") & (data.series["warehouse"] == "W2"))[0]
    )
    expected = before.copy()
    expected[:, i, 1:4] *= 1.5
    np.testing.assert_allclose(new.demand, expected)
    np.testing.assert_array_equal(data.demand, before)  # input not mutated
    old_total = float(data.prob @ before[:, i, 1:4].sum(axis=1))
    assert 10 < old_total < 100  # amounts under 100 are shown with two decimals
    assert log == [
        f"whatif[0] demand x1.5 (skus: SKU00001; warehouses: W2; weeks 2-4): expected demand "
        f"{old_total:.2f} -> {1.5 * old_total:.2f} units (1 SKU-warehouse)"
    ]


def test_demand_filter_by_category_uses_the_mapping():
    data = small_synthetic()
    cats = {"SKU00000": "fasteners", "SKU00001": "paint", "SKU00002": "fasteners"}
    mod = DemandModifier(kind="demand", factor=2.0, categories=["fasteners"])
    new, log = apply_model_whatifs(data, [mod], cats)
    fasteners = data.series["sku"].isin(["SKU00000", "SKU00002"]).to_numpy()
    np.testing.assert_allclose(new.demand[:, fasteners], 2 * data.demand[:, fasteners])
    np.testing.assert_array_equal(new.demand[:, ~fasteners], data.demand[:, ~fasteners])
    assert log[0].startswith("whatif[0] demand x2 (categories: fasteners): expected demand ")
    assert log[0].endswith("(4 SKU-warehouses)")


def test_two_demand_factors_compound_in_order():
    data = small_synthetic()
    mods = [
        DemandModifier(kind="demand", factor=2.0),
        DemandModifier(kind="demand", factor=0.25, weeks=(1, 1)),
    ]
    new, log = apply_model_whatifs(data, mods, {})
    np.testing.assert_allclose(new.demand[:, :, 0], 0.5 * data.demand[:, :, 0])
    np.testing.assert_allclose(new.demand[:, :, 1:], 2.0 * data.demand[:, :, 1:])
    assert len(log) == 2


def test_demand_x1_5_raises_total_orders():
    data = small_synthetic()
    base = plan(data)
    more, _ = apply_model_whatifs(data, [DemandModifier(kind="demand", factor=1.5)], {})
    after = plan(more)
    assert after.orders["quantity"].sum() > base.orders["quantity"].sum() * 1.1


# ---------------------------------------------------------------- supplier outage


def test_supplier_outage_sets_capacity_to_zero_and_stops_its_orders():
    data = small_synthetic()
    base = plan(data)
    early = pd.to_datetime(base.orders["order_week"]) < data.weeks[2]
    s2_early = base.orders[early & (base.orders["supplier"] == "S2")]["quantity"].sum()
    assert s2_early > 1.0  # the plan uses S2 in weeks 1-2, so the outage matters

    out, log = apply_model_whatifs(
        data, [SupplierOutage(kind="supplier_outage", supplier="S2", weeks=(1, 2))], {}
    )
    assert (out.supplier_capacity[1, :2] == 0).all()
    np.testing.assert_array_equal(out.supplier_capacity[1, 2:], data.supplier_capacity[1, 2:])
    np.testing.assert_array_equal(out.supplier_capacity[0], data.supplier_capacity[0])
    assert (data.supplier_capacity[1, :2] > 0).all()  # input not mutated
    cap = data.supplier_capacity[1, 0]
    assert 10 < cap < 100
    assert log == [
        f"whatif[0] supplier_outage S2 weeks 1-2: capacity {cap:.2f} -> 0 units/week "
        "(2026-01-05 to 2026-01-12)"
    ]
    after = plan(out)
    early = pd.to_datetime(after.orders["order_week"]) < data.weeks[2]
    assert after.orders[early & (after.orders["supplier"] == "S2")]["quantity"].sum() == 0
    assert after.objective >= base.objective - TOL


def test_outage_of_an_unlimited_supplier_reads_unlimited_to_zero():
    data = small_synthetic()
    assert np.isinf(data.supplier_capacity[0]).all()
    out, log = apply_model_whatifs(
        data, [SupplierOutage(kind="supplier_outage", supplier="S1", weeks=(3, 3))], {}
    )
    assert out.supplier_capacity[0, 2] == 0 and np.isinf(out.supplier_capacity[0, 3])
    assert log[0].startswith("whatif[0] supplier_outage S1 weeks 3-3: capacity unlimited -> 0")


# ---------------------------------------------------------------- lead time


def test_lead_time_is_added_to_every_lane_of_the_supplier(tmp_path):
    ds = dataset(tmp_path)
    supply_before = ds.supply.copy()
    new, log = apply_dataset_whatifs(
        ds, [LeadTimeModifier(kind="lead_time", supplier="S1", add_weeks=2)]
    )
    s1 = new.supply["supplier"] == "S1"
    np.testing.assert_array_equal(new.supply.loc[s1, "lead_time_weeks"], [4, 4, 4, 4])
    np.testing.assert_array_equal(new.supply.loc[~s1, "lead_time_weeks"], [1, 1])
    pd.testing.assert_frame_equal(ds.supply, supply_before)  # input not mutated
    assert log == ["whatif[0] lead_time S1 +2 weeks: lead time 2 -> 4 weeks (4 lanes)"]


def test_lead_time_never_goes_below_zero(tmp_path):
    ds = dataset(tmp_path)
    new, log = apply_dataset_whatifs(
        ds, [LeadTimeModifier(kind="lead_time", supplier="S2", add_weeks=-3)]
    )
    assert (new.supply.loc[new.supply["supplier"] == "S2", "lead_time_weeks"] == 0).all()
    assert log == [
        "whatif[0] lead_time S2 -3 weeks: lead time 1 -> 0 weeks (2 lanes, 2 held at 0 weeks)"
    ]


def test_longer_lead_time_drops_late_orders_and_cannot_lower_the_cost(tmp_path):
    # Every lane of S1 shifts by the same 2 weeks and capacities are the same every week, so
    # any plan with the longer lead time is a plan with the shorter one ordered 2 weeks later:
    # the expected cost cannot fall.
    ds = dataset(tmp_path)
    base_data = model_data(ds)
    base = plan(base_data)
    slow, _ = apply_dataset_whatifs(
        ds, [LeadTimeModifier(kind="lead_time", supplier="S1", add_weeks=2)]
    )
    data = model_data(slow)
    assert (data.lead_time[data.lanes["supplier"].to_numpy() == "S1"] == 4).all()
    n_orders = len(data.first_stage_orders[0]) + len(data.recourse_orders[0])
    assert n_orders == len(base_data.first_stage_orders[0]) + len(base_data.recourse_orders[0]) - 8
    after = plan(data)
    s1 = after.orders[after.orders["supplier"] == "S1"]
    assert (pd.to_datetime(s1["order_week"]) <= data.weeks[HORIZON - 1 - 4]).all()
    assert (pd.to_datetime(s1["arrival_week"]) <= data.weeks[-1]).all()
    assert after.objective >= base.objective - TOL


# ---------------------------------------------------------------- costs


def test_shortage_cost_factor_moves_the_items_table_and_raises_orders(tmp_path):
    items = minimal_tables()["items"].copy()
    items.loc[items["sku"] == "SKU-002", "shortage_cost"] = 5.0  # cheaper to go short than buy
    ds = dataset(tmp_path, items=items)
    base = plan(model_data(ds))
    mod = CostModifier(kind="cost", field="shortage_cost", factor=10.0, skus=["SKU-002"])
    new, log = apply_dataset_whatifs(ds, [mod])
    costs = new.items.set_index("sku")["shortage_cost"]
    assert costs["SKU-002"] == 50.0 and costs["SKU-001"] == 15.0
    assert log == [
        "whatif[0] cost shortage_cost x10 (skus: SKU-002): shortage_cost 5 -> 50 per unit short "
        "(1 SKU)"
    ]
    data = model_data(new)
    sku2 = data.series["sku"].to_numpy() == "SKU-002"
    np.testing.assert_allclose(data.shortage_cost[sku2], 50.0)
    after = plan(data)
    # invariant: orders do not fall when shortage cost rises; the exchange argument also says
    # the shortage of the SKU whose penalty rose cannot grow
    assert after.orders["quantity"].sum() >= base.orders["quantity"].sum() - TOL
    short_before, short_after = (
        r.service.groupby("sku")["shortage_mean"].sum()["SKU-002"] for r in (base, after)
    )
    assert short_after <= short_before + TOL
    # here the rise crosses the purchase price: SKU-002 goes from never bought to bought
    assert ordered(base, "sku").get("SKU-002", 0.0) == 0.0
    assert ordered(after, "sku")["SKU-002"] > 10.0


def test_unit_price_factor_shifts_volume_away_from_the_supplier(tmp_path):
    supply = minimal_tables()["supply"].copy()
    supply.loc[supply["supplier"] == "S2", "unit_price"] = 7.0  # S2 cheaper than S1 (8)
    ds = dataset(tmp_path, supply=supply)
    base = plan(model_data(ds))
    mod = CostModifier(kind="cost", field="unit_price", factor=3.0, suppliers=["S2"])
    new, log = apply_dataset_whatifs(ds, [mod])
    s2 = new.supply["supplier"] == "S2"
    np.testing.assert_allclose(new.supply.loc[s2, "unit_price"], 21.0)
    np.testing.assert_allclose(new.supply.loc[~s2, "unit_price"], ds.supply.loc[~s2, "unit_price"])
    assert log == [
        "whatif[0] cost unit_price x3 (suppliers: S2): unit_price 7 -> 21 per unit (2 lanes)"
    ]
    after = plan(model_data(new))
    # all S2 lanes carry one price, so its volume cannot rise when only its price rises
    assert ordered(after, "supplier").get("S2", 0.0) <= ordered(base, "supplier")["S2"] + TOL
    assert ordered(base, "supplier")["S2"] > 50.0
    assert ordered(after, "supplier").get("S2", 0.0) < 1.0
    assert ordered(after, "supplier")["S1"] > ordered(base, "supplier")["S1"]


def test_lane_cost_filters_combine_and_report_an_average(tmp_path):
    supply = minimal_tables()["supply"].copy()
    supply["shipping_cost"] = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]
    ds = dataset(tmp_path, supply=supply)
    mod = CostModifier(
        kind="cost", field="shipping_cost", factor=2.0, suppliers=["S1"], warehouses=["W2"]
    )
    new, log = apply_dataset_whatifs(ds, [mod])
    got = new.supply.set_index(["supplier", "sku", "warehouse"])["shipping_cost"]
    assert got["S1", "SKU-001", "W2"] == 4.0 and got["S1", "SKU-002", "W2"] == 8.0
    assert got["S1", "SKU-001", "W1"] == 1.0 and got["S2", "SKU-001", "W2"] == 6.0
    assert log == [
        "whatif[0] cost shipping_cost x2 (warehouses: W2; suppliers: S1): average shipping_cost "
        "3 -> 6 per unit (2 lanes)"
    ]


def test_holding_cost_by_category(tmp_path):
    ds = dataset(tmp_path)
    new, log = apply_dataset_whatifs(
        ds, [CostModifier(kind="cost", field="holding_cost", factor=2.0, categories=["fast"])]
    )
    got = new.items.set_index("sku")["holding_cost"]
    assert got["SKU-001"] == pytest.approx(2 * 8 * 0.25 / 52) and got["SKU-002"] == 0.1
    assert log == [
        "whatif[0] cost holding_cost x2 (categories: fast): holding_cost 0.04 -> 0.08 "
        "per unit-week (1 SKU)"
    ]


# ---------------------------------------------------------------- capacity


def test_halving_a_binding_warehouse_raises_cost_and_shortage(tmp_path):
    inventory = pd.DataFrame(
        {
            "sku": ["SKU-001", "SKU-001", "SKU-002", "SKU-002"],
            "warehouse": ["W1", "W2", "W1", "W2"],
            "on_hand": [0.0, 30.0, 0.0, 12.0],
        }
    )
    warehouses = pd.DataFrame({"warehouse": ["W1", "W2"], "capacity": [20.0, ""]})
    ds = dataset(
        tmp_path, warehouses=warehouses, inventory=inventory, open_orders=None, transfers=None
    )
    base_data = model_data(ds)
    base = plan(base_data)
    assert any(b["name"] == "W1" for b in base.bottlenecks)
    mod = CapacityModifier(kind="capacity", warehouse="W1", factor=0.5)
    new, log = apply_dataset_whatifs(ds, [mod])
    assert new.warehouses.set_index("warehouse")["capacity"]["W1"] == 10.0
    assert ds.warehouses.set_index("warehouse")["capacity"]["W1"] == 20.0
    assert log == ["whatif[0] capacity warehouse W1 x0.5: capacity 20 -> 10 volume"]
    data = model_data(new)
    np.testing.assert_allclose(data.warehouse_capacity[0], 10.0)
    # no forced overflow either way, so the halved model's plans are plans of the base model;
    # with a positive shadow price on W1 the cost must rise
    assert len(forced_overflow(base_data)) == 0 and len(forced_overflow(data)) == 0
    after = plan(data)
    assert after.objective > base.objective + 1.0
    assert after.costs["shortage"] > base.costs["shortage"]


def test_supplier_capacity_factor(tmp_path):
    ds = dataset(tmp_path)
    new, log = apply_dataset_whatifs(
        ds, [CapacityModifier(kind="capacity", supplier="S2", factor=0.25)]
    )
    assert new.suppliers.set_index("supplier")["capacity"]["S2"] == 100.0
    assert log == ["whatif[0] capacity supplier S2 x0.25: capacity 400 -> 100 units/week"]
    np.testing.assert_allclose(model_data(new).supplier_capacity[1], 100.0)


# ---------------------------------------------------------------- bad references


def test_bad_references_are_collected_into_one_config_error(tmp_path):
    ds = dataset(tmp_path)
    whatifs = [
        LeadTimeModifier(kind="lead_time", supplier="S22", add_weeks=1),
        CostModifier(
            kind="cost", field="unit_price", factor=1.1, skus=["SKU-01"], warehouses=["W3"]
        ),
        CapacityModifier(kind="capacity", warehouse="W11", factor=0.8),
        CostModifier(kind="cost", field="holding_cost", factor=1.1, categories=["fats"]),
    ]
    with pytest.raises(ConfigError) as info:
        apply_dataset_whatifs(ds, whatifs)
    err = info.value
    assert err.exit_code == 2
    text = err.render()
    assert len(err.problems) == 5
    assert "whatif[0].supplier: unknown supplier 'S22'" in text and "did you mean 'S2'?" in text
    assert "whatif[1].skus: unknown SKU 'SKU-01'" in text and "did you mean 'SKU-001'?" in text
    assert "whatif[1].warehouses: unknown warehouse 'W3'" in text
    assert "whatif[2].warehouse: unknown warehouse 'W11'" in text and "did you mean 'W1'?" in text
    assert (
        "whatif[3].categories: unknown category 'fats'" in text and "did you mean 'fast'?" in text
    )


def test_model_stage_reports_weeks_outside_the_horizon_and_backwards_ranges():
    data = small_synthetic()
    whatifs = [
        DemandModifier(kind="demand", factor=1.2, weeks=(3, 20)),
        SupplierOutage(kind="supplier_outage", supplier="S2", weeks=(5, 3)),
        SupplierOutage(kind="supplier_outage", supplier="S7", weeks=(0, 2)),
        DemandModifier(kind="demand", factor=1.2, skus=["SKU0001"]),
    ]
    with pytest.raises(ConfigError) as info:
        apply_model_whatifs(data, whatifs, {})
    text = info.value.render()
    assert len(info.value.problems) == 5
    assert "whatif[0].weeks: [3, 20] is outside the plan horizon: plan weeks are 1..8" in text
    assert "the closest valid range is [3, 8]" in text
    assert "whatif[1].weeks: [5, 3] runs backwards" in text and "write [3, 5]" in text
    assert "whatif[2].supplier: unknown supplier 'S7'" in text
    assert "whatif[2].weeks: [0, 2] is outside the plan horizon" in text
    assert "whatif[3].skus: unknown SKU (with demand to scale) 'SKU0001'" in text
    assert "did you mean 'SKU00001'?" in text


def test_dataset_stage_checks_model_modifiers_too_when_given_the_horizon(tmp_path):
    ds = dataset(tmp_path)
    whatifs = [
        DemandModifier(kind="demand", factor=1.2, categories=["fats"]),
        SupplierOutage(kind="supplier_outage", supplier="S1", weeks=(1, 30)),
    ]
    changed, log = apply_dataset_whatifs(ds, whatifs)  # without the horizon: not its business
    assert changed is ds and log == []
    with pytest.raises(ConfigError) as info:
        apply_dataset_whatifs(ds, whatifs, horizon_weeks=HORIZON, source="plan.yaml")
    text = info.value.render()
    assert len(info.value.problems) == 2
    assert "plan.yaml: whatif[0].categories: unknown category 'fats'" in text
    assert "plan.yaml: whatif[1].weeks: [1, 30] is outside the plan horizon" in text


def test_filters_that_match_nothing_and_misused_fields_are_errors(tmp_path):
    ds = dataset(tmp_path)
    whatifs = [
        CostModifier(kind="cost", field="unit_price", factor=2, skus=["SKU-002"], suppliers=["S2"]),
        CostModifier(kind="cost", field="shortage_cost", factor=2, warehouses=["W1"]),
        CostModifier(kind="cost", field="unit_price", factor=2, weeks=(1, 2)),
        CapacityModifier(kind="capacity", warehouse="W2", factor=0.5),
        CapacityModifier(kind="capacity", warehouse="W1", supplier="S1", factor=0.5),
        DemandModifier(kind="demand", factor=2, skus=["SKU-002"], categories=["fast"]),
    ]
    with pytest.raises(ConfigError) as info:
        apply_dataset_whatifs(ds, whatifs, horizon_weeks=HORIZON)
    text = info.value.render()
    assert len(info.value.problems) == 6
    assert "whatif[0]: the filters (skus: SKU-002; suppliers: S2) match no supply lane" in text
    assert "whatif[1].warehouses: shortage_cost is set per SKU" in text
    assert "whatif[2].weeks: unit_price is not a weekly cost" in text
    assert "whatif[3].warehouse: warehouse 'W2' has no capacity limit" in text
    assert "whatif[4]: a capacity modifier names exactly one of `warehouse` or `supplier`" in text
    assert "whatif[5]: the filters (skus: SKU-002; categories: fast) match no SKU-warehouse" in text
