"""The command line: outputs as DESIGN.md specifies, and every exit code."""

import json
from pathlib import Path

import pandas as pd
import pytest
import yaml
from click.testing import CliRunner

from planner.cli import main
from planner.data.testing import minimal_tables, write_minimal_dataset

ORDERS_COLS = [
    "order_week",
    "supplier",
    "sku",
    "warehouse",
    "quantity",
    "arrival_week",
    "unit_price",
    "line_cost",
    "committed",
]
FORECAST_COLS = [
    "week",
    "sku",
    "warehouse",
    "model",
    "mean",
    "q0.05",
    "q0.1",
    "q0.5",
    "q0.9",
    "q0.95",
]
INVENTORY_COLS = [
    "week",
    "sku",
    "warehouse",
    "on_hand_mean",
    "on_hand_q0.1",
    "on_hand_q0.9",
    "shortage_mean",
    "fill_rate",
]


def write_scenario(folder: Path, dataset: Path, **sections) -> Path:
    doc = {
        "name": "mini",
        "dataset": str(dataset),
        "plan": {"horizon_weeks": 6, "frozen_weeks": 1},
        "forecast": {"model": "seasonal_naive", "paths": 60, "scenarios": 8, "seed": 3},
        "solver": {"time_limit_s": 60},
    }
    for key, value in sections.items():
        doc[key] = {**doc.get(key, {}), **value} if isinstance(value, dict) else value
    path = folder / "mini.yaml"
    path.write_text(yaml.safe_dump(doc))
    return path


@pytest.fixture
def mini(tmp_path):
    ds = write_minimal_dataset(tmp_path / "data")
    return write_scenario(tmp_path, ds)


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def test_help_lists_commands_and_each_has_an_example():
    res = invoke("--help")
    assert res.exit_code == 0
    for cmd in ("demo", "validate", "forecast", "plan"):
        assert cmd in res.output
        sub = invoke(cmd, "--help")
        assert sub.exit_code == 0 and "Example" in sub.output


def test_plan_writes_the_contracted_files(mini, tmp_path):
    out = tmp_path / "run"
    res = invoke("plan", mini, "--out", out)
    assert res.exit_code == 0, res.output
    orders = pd.read_csv(out / "orders.csv")
    assert list(orders.columns) == ORDERS_COLS
    assert orders["committed"].dtype == bool
    assert (orders["quantity"] > 0).all()
    assert list(pd.read_csv(out / "forecast.csv").columns) == FORECAST_COLS
    inv = pd.read_csv(out / "inventory.csv")
    assert list(inv.columns) == INVENTORY_COLS
    assert (inv["on_hand_q0.1"] <= inv["on_hand_q0.9"] + 1e-9).all()
    summary = json.loads((out / "summary.json").read_text())
    for key in (
        "status",
        "objective",
        "costs",
        "service",
        "bottlenecks",
        "model",
        "solver",
        "timings",
        "scenario",
        "dataset_fingerprint",
    ):
        assert key in summary
    assert set(summary["costs"]) >= {
        "purchase",
        "logistics",
        "fixed",
        "holding",
        "shortage",
        "transfer",
        "terminal",
    }
    assert summary["objective"] == pytest.approx(sum(summary["costs"].values()), rel=1e-6, abs=1e-3)
    assert summary["model"]["scenarios"] == 8
    assert summary["solver"]["name"] == "highs"
    assert summary["scenario"]["forecast"]["model"] == "seasonal_naive"
    # line costs add up to purchase + logistics of the expected plan
    assert orders["line_cost"].sum() == pytest.approx(
        summary["costs"]["purchase"] + summary["costs"]["logistics"], rel=1e-3
    )
    assert "orders to place this week" in res.output


def test_same_seed_same_plan_and_another_seed_differs(mini, tmp_path):
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    assert invoke("plan", mini, "--out", a, "-q").exit_code == 0
    assert invoke("plan", mini, "--out", b, "-q").exit_code == 0
    assert invoke("plan", mini, "--out", c, "-q", "--set", "forecast.seed=99").exit_code == 0
    assert (a / "orders.csv").read_bytes() == (b / "orders.csv").read_bytes()
    assert (a / "inventory.csv").read_bytes() == (b / "inventory.csv").read_bytes()
    assert (a / "inventory.csv").read_bytes() != (c / "inventory.csv").read_bytes()


def test_bad_dataset_exits_2_names_every_problem_and_writes_nothing(tmp_path):
    t = minimal_tables()
    demand = t["demand"].astype({"quantity": object, "date": object})
    demand.loc[3, "quantity"] = -5
    demand.loc[7, "date"] = "not a date"
    items = pd.concat([t["items"], t["items"].iloc[[0]]])  # duplicated SKU
    ds = write_minimal_dataset(tmp_path / "broken", demand=demand, items=items)
    scen = write_scenario(tmp_path, ds)
    out = tmp_path / "run"
    res = CliRunner().invoke(main, ["plan", str(scen), "--out", str(out)])
    assert res.exit_code == 2
    msg = res.output
    assert "broken/demand.csv" in msg and "row 5" in msg  # header is row 1, index 3 -> row 5
    assert "row 9" in msg and "not a date" in msg
    assert "broken/items.csv" in msg and "SKU-001" in msg
    assert not out.exists()


def test_unknown_scenario_key_exits_2_with_the_closest_key(mini):
    res = CliRunner().invoke(main, ["plan", str(mini), "--set", "plan.horizon=4"])
    assert res.exit_code == 2
    assert "plan.horizon_weeks" in res.output


def test_bad_set_syntax_and_missing_file_exit_2(mini, tmp_path):
    assert CliRunner().invoke(main, ["plan", str(mini), "--set", "novalue"]).exit_code == 2
    assert CliRunner().invoke(main, ["plan", str(tmp_path / "nope.yaml")]).exit_code == 2


def test_time_limit_without_a_plan_exits_3_and_writes_nothing(mini, tmp_path):
    out = tmp_path / "run"
    res = CliRunner().invoke(
        main, ["plan", str(mini), "--out", str(out), "--set", "solver.time_limit_s=0.000001"]
    )
    assert res.exit_code == 3
    assert "time limit" in res.output
    assert not out.exists()


def test_infeasible_pyomo_model_is_classified_infeasible():
    import pyomo.environ as pyo

    from planner.solve import SolveStatus, solve_model

    m = pyo.ConcreteModel()
    m.x = pyo.Var(range(2), domain=pyo.NonNegativeReals)
    m.c = pyo.Constraint(expr=m.x[0] + m.x[1] <= -1)
    m.o = pyo.Objective(expr=m.x[0])
    assert solve_model(m).status is SolveStatus.INFEASIBLE


def test_unexpected_error_exits_1(mini, monkeypatch):
    from planner import pipeline

    def boom(*a, **k):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(pipeline, "build_scenarios", boom)
    res = CliRunner().invoke(main, ["plan", str(mini)])
    assert res.exit_code == 1
    assert "disk on fire" in res.output


def test_demo_then_validate_and_forecast(tmp_path):
    res = invoke("demo", tmp_path / "demo")
    assert res.exit_code == 0
    scen = tmp_path / "demo" / "demo.yaml"
    assert scen.exists()
    res = invoke("validate", scen, "--set", "plan.horizon_weeks=8")
    assert res.exit_code == 0, res.output
    assert "plan.horizon_weeks: 12 -> 8" in res.output
    assert "horizon_weeks: 8" in res.output  # the resolved scenario is printed
    res = invoke(
        "forecast",
        scen,
        "--out",
        tmp_path / "fc",
        "--set",
        "forecast.model=seasonal_naive",
        "--set",
        "plan.horizon_weeks=4",
    )
    assert res.exit_code == 0, res.output
    fc = pd.read_csv(tmp_path / "fc" / "forecast.csv")
    assert list(fc.columns) == FORECAST_COLS
    assert fc["week"].nunique() == 4


def test_moq_and_transfers_from_the_dataset_reach_the_plan(tmp_path):
    t = minimal_tables()
    supply = t["supply"].copy()
    supply["moq"] = 0.0
    supply["order_multiple"] = 0.0
    supply.loc[0, "moq"] = 50
    supply.loc[1, "order_multiple"] = 12
    ds = write_minimal_dataset(tmp_path / "data", supply=supply)
    scen = write_scenario(tmp_path, ds)
    out = tmp_path / "run"
    res = CliRunner().invoke(main, ["plan", str(scen), "--out", str(out)])
    assert res.exit_code == 0, res.output
    orders = pd.read_csv(out / "orders.csv")
    summary = json.loads((out / "summary.json").read_text())
    assert summary["model"]["integers"] > 0
    committed = orders[orders["committed"]]
    lane0 = supply.iloc[0]
    q0 = committed[
        (committed["supplier"] == lane0["supplier"])
        & (committed["sku"] == lane0["sku"])
        & (committed["warehouse"] == lane0["warehouse"])
    ]["quantity"]
    assert ((q0 == 0) | (q0 >= 50 - 1e-6)).all()
    lane1 = supply.iloc[1]
    q1 = committed[
        (committed["supplier"] == lane1["supplier"])
        & (committed["sku"] == lane1["sku"])
        & (committed["warehouse"] == lane1["warehouse"])
    ]["quantity"]
    assert (abs(q1 / 12 - (q1 / 12).round()) < 1e-6).all()
    tr = pd.read_csv(out / "transfers.csv")
    assert list(tr.columns) == ["week", "sku", "from_warehouse", "to_warehouse", "quantity_mean"]
