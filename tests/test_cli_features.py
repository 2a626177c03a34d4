"""Model features from the command line: what-ifs, diagnosis of infeasible plans, VSS/EVPI,
and the feature scenario files under scenarios/."""

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from test_cli import write_scenario

from planner.cli import main
from planner.config import load_scenario
from planner.data import load_dataset
from planner.data.testing import write_minimal_dataset

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = sorted((ROOT / "scenarios").glob("*.yaml"))


@pytest.fixture
def mini(tmp_path):
    return write_minimal_dataset(tmp_path / "data")


def test_whatifs_are_applied_and_logged(mini, tmp_path):
    scen = write_scenario(
        tmp_path,
        mini,
        whatif=[
            {"kind": "demand", "factor": 1.5, "skus": ["SKU-001"], "weeks": [2, 4]},
            {"kind": "supplier_outage", "supplier": "S2", "weeks": [1, 2]},
            {"kind": "lead_time", "supplier": "S1", "add_weeks": 1},
        ],
    )
    out = tmp_path / "run"
    res = CliRunner().invoke(main, ["plan", str(scen), "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert "whatif[0] demand x1.5" in res.output and "->" in res.output
    assert "whatif[1] supplier_outage S2 weeks 1-2" in res.output
    summary = json.loads((out / "summary.json").read_text())
    assert len(summary["whatif"]) == 3


def test_bad_whatif_reference_exits_2(mini, tmp_path):
    scen = write_scenario(
        tmp_path, mini, whatif=[{"kind": "supplier_outage", "supplier": "S9", "weeks": [1, 2]}]
    )
    res = CliRunner().invoke(main, ["plan", str(scen)])
    assert res.exit_code == 2
    assert "whatif[0].supplier" in res.output and "S9" in res.output


def test_unmeetable_service_level_exits_3_naming_it(mini, tmp_path):
    scen = write_scenario(
        tmp_path,
        mini,
        risk={"service_level": 0.99},
        whatif=[{"kind": "supplier_outage", "supplier": s, "weeks": [1, 6]} for s in ("S1", "S2")],
    )
    out = tmp_path / "run"
    res = CliRunner().invoke(main, ["plan", str(scen), "--out", str(out)])
    assert res.exit_code == 3, res.output
    assert "infeasible" in res.output
    assert "service_level" in res.output and "supplier_capacity" in res.output
    assert "SKU-00" in res.output  # names the SKUs in conflict
    assert not out.exists()


def test_vss_and_evpi_in_the_summary(mini, tmp_path):
    scen = write_scenario(tmp_path, mini)
    out = tmp_path / "run"
    assert CliRunner().invoke(main, ["plan", str(scen), "--out", str(out)]).exit_code == 0
    value = json.loads((out / "summary.json").read_text())["value_of_information"]
    tol = 1e-6 * abs(value["rp"]) + 1e-6
    assert value["vss"] >= -tol and value["evpi"] >= -tol
    assert value["ws"] <= value["rp"] + tol <= value["eev"] + 2 * tol


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_every_bundled_scenario_file_loads(path):
    scenario, _ = load_scenario(path)
    dataset = load_dataset(scenario.dataset)
    assert len(dataset.series) >= 40


def test_lot_sizing_demo_plans_with_integer_orders(tmp_path):
    # reduced sizes keep CI fast; the full run is `planner plan scenarios/demo-lots.yaml`
    out = tmp_path / "lots"
    res = CliRunner().invoke(
        main,
        [
            "plan",
            str(ROOT / "scenarios" / "demo-lots.yaml"),
            "--out",
            str(out),
            "--set",
            "forecast.model=seasonal_naive",
            "--set",
            "forecast.paths=40",
            "--set",
            "forecast.scenarios=4",
            "--set",
            "plan.horizon_weeks=6",
            "--set",
            "plan.value_of_information=false",
        ],
    )
    assert res.exit_code == 0, res.output
    summary = json.loads((out / "summary.json").read_text())
    assert summary["model"]["integers"] > 0
    assert summary["costs"]["fixed"] > 0
    import pandas as pd

    orders = pd.read_csv(out / "orders.csv")
    supply = pd.read_csv(ROOT / "scenarios" / "data" / "demo-lots" / "supply.csv")
    committed = orders[orders["committed"]].merge(supply, on=["supplier", "sku", "warehouse"])
    assert (committed["quantity"] >= committed["moq"] - 1e-6).all()
    mult = committed[committed["order_multiple"] > 0]
    ratio = mult["quantity"] / mult["order_multiple"]
    assert (abs(ratio - ratio.round()) < 1e-6).all()


def test_committed_lot_sizing_variant_matches_its_generator(tmp_path):
    from planner.data.demo_variants import write_lots_variant

    fresh = write_lots_variant(ROOT / "scenarios" / "data" / "demo", tmp_path / "lots")
    committed = ROOT / "scenarios" / "data" / "demo-lots"
    for path in sorted(committed.glob("*.csv")):
        assert (fresh / path.name).read_bytes() == path.read_bytes(), (
            f"{path.name} drifted: regenerate with python -m planner.data.demo_variants"
        )
