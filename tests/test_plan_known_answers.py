"""Known answers through the whole pipeline (dataset + `forecast.model: file` + plan)."""

from pathlib import Path

import pandas as pd
import pytest
import yaml
from scipy import stats

from planner.config import load_scenario
from planner.pipeline import plan_scenario

HISTORY = pd.date_range("2026-01-05", periods=20, freq="W-MON")
PLAN_START = HISTORY[-1] + pd.Timedelta(weeks=1)


def _write(
    folder: Path, tables: dict[str, pd.DataFrame], forecast_table: pd.DataFrame, **plan_forecast
) -> Path:
    data = folder / "data"
    data.mkdir(parents=True, exist_ok=True)
    for name, df in tables.items():
        df.to_csv(data / f"{name}.csv", index=False)
    forecast_table.to_csv(folder / "forecast.csv", index=False)
    doc = {
        "name": folder.name,
        "dataset": "data",
        "plan": plan_forecast.get("plan", {}),
        "forecast": {"model": "file", "file": "forecast.csv", **plan_forecast.get("forecast", {})},
    }
    (folder / "scenario.yaml").write_text(yaml.safe_dump(doc))
    return folder / "scenario.yaml"


def _single_sku_tables(holding, shortage, lanes, on_hand=0.0, open_orders=None):
    tables = {
        "items": pd.DataFrame(
            {
                "sku": ["A"],
                "unit_cost": [0.0],
                "shortage_cost": [shortage],
                "holding_cost": [holding],
            }
        ),
        "warehouses": pd.DataFrame({"warehouse": ["W1"], "capacity": [""]}),
        "suppliers": pd.DataFrame(
            {"supplier": [s for s, _, _ in lanes], "capacity": [""] * len(lanes)}
        ),
        "supply": pd.DataFrame(
            {
                "supplier": [s for s, _, _ in lanes],
                "sku": "A",
                "warehouse": "W1",
                "lead_time_weeks": [lt for _, lt, _ in lanes],
                "unit_price": [p for _, _, p in lanes],
            }
        ),
        "demand": pd.DataFrame(
            {"date": HISTORY.date, "sku": "A", "warehouse": "W1", "quantity": 50}
        ),
        "inventory": pd.DataFrame({"sku": ["A"], "warehouse": ["W1"], "on_hand": [on_hand]}),
    }
    if open_orders is not None:
        tables["open_orders"] = open_orders
    return tables


def test_newsvendor_snyder_shen_example_4_3(tmp_path):
    # h = 0.18, p = 0.70, D ~ normal(50, 8), no purchase cost, lead time 0:
    # Q* = 50 + 8 z(0.70/0.88) = 56.60, expected cost 1.998 (Snyder & Shen, Example 4.3).
    # Tolerance: 500 stratified paths reduced to 50 scenarios put about 2% of probability in
    # each scenario; near the 0.795 fractile neighbouring scenarios are 0.02 / pdf(z) = 0.56
    # units apart, so the order is resolved to +-0.6 units and the cost (flat at the optimum)
    # to +-0.02.
    fc = pd.DataFrame(
        {
            "week": [PLAN_START.date()],
            "sku": ["A"],
            "warehouse": ["W1"],
            "mean": [50.0],
            "sd": [8.0],
        }
    )
    scen = _write(
        tmp_path / "nv",
        _single_sku_tables(0.18, 0.70, [("S1", 0, 0.0)]),
        fc,
        plan={"horizon_weeks": 1, "frozen_weeks": 1, "terminal_value": "zero"},
        forecast={"paths": 500, "scenarios": 50, "seed": 7},
    )
    run = plan_scenario(load_scenario(scen)[0])
    q = float(run.result.orders["quantity"].sum())
    assert q == pytest.approx(56.60, abs=0.6)
    assert run.result.objective == pytest.approx(1.998, abs=0.02)
    # the order, priced on the exact normal distribution, is within 0.01 of the optimal cost
    z = (q - 50) / 8
    loss = stats.norm.pdf(z) - z * stats.norm.sf(z)
    exact_cost = 0.18 * (q - 50) + (0.18 + 0.70) * 8 * loss
    assert exact_cost == pytest.approx(1.998, abs=0.01)
    assert run.result.orders["committed"].all()


def test_multi_week_plan_with_lead_times_and_open_orders(tmp_path):
    # Known demand 10, 20, 30, 40 (sd 0), 15 on hand, 10 on order arriving in week 2 of the plan
    # (index 1). Lanes: S1 lead 1 price 5, S2 lead 0 price 8; holding 1, shortage 20.
    # By hand: buy 5 on S1 in week 0, 30 in week 1, 40 in week 2; hold 5 in week 0: cost 380.
    weeks = pd.date_range(PLAN_START, periods=4, freq="W-MON")
    fc = pd.DataFrame(
        {"week": weeks.date, "sku": "A", "warehouse": "W1", "mean": [10.0, 20, 30, 40], "sd": 0.0}
    )
    open_orders = pd.DataFrame(
        {
            "sku": ["A"],
            "warehouse": ["W1"],
            "arrival_date": [(weeks[1] + pd.Timedelta(days=2)).date()],
            "quantity": [10],
        }
    )
    scen = _write(
        tmp_path / "mw",
        _single_sku_tables(
            1.0, 20.0, [("S1", 1, 5.0), ("S2", 0, 8.0)], on_hand=15, open_orders=open_orders
        ),
        fc,
        plan={"horizon_weeks": 4, "frozen_weeks": 1, "terminal_value": "zero"},
        forecast={"paths": 20, "scenarios": 5},
    )
    run = plan_scenario(load_scenario(scen)[0])
    assert run.model_data.n_scenarios == 1  # every path is the same
    assert run.result.objective == pytest.approx(380.0)
    orders = run.result.orders
    assert orders["supplier"].tolist() == ["S1", "S1", "S1"]
    assert orders["quantity"].tolist() == pytest.approx([5, 30, 40])
    assert orders["committed"].tolist() == [True, False, False]
    inv = run.result.inventory
    assert inv["on_hand_mean"].tolist() == pytest.approx([5, 0, 0, 0])
    assert run.result.costs["holding"] == pytest.approx(5.0)


def test_wagner_whitin_through_a_forecast_file(tmp_path):
    # Snyder & Shen Example 3.9: fixed cost 500, holding 2, demand 90/120/80/70 (sd 0), lead
    # time 0, no unit cost: order 210 in week 1 and 150 in week 3, total cost 1380.
    weeks = pd.date_range(PLAN_START, periods=4, freq="W-MON")
    fc = pd.DataFrame(
        {"week": weeks.date, "sku": "A", "warehouse": "W1", "mean": [90.0, 120, 80, 70], "sd": 0.0}
    )
    tables = _single_sku_tables(2.0, 1e4, [("S1", 0, 0.0)])
    tables["supply"]["fixed_order_cost"] = 500.0
    scen = _write(
        tmp_path / "ww",
        tables,
        fc,
        plan={"horizon_weeks": 4, "frozen_weeks": 1, "terminal_value": "zero"},
        forecast={"paths": 10, "scenarios": 2},
    )
    scenario, _ = load_scenario(scen, ["solver.integer_recourse=true", "solver.mip_gap=0"])
    run = plan_scenario(scenario)
    assert run.result.objective == pytest.approx(1380.0)
    orders = run.result.orders
    assert orders["quantity"].tolist() == pytest.approx([210, 150])
    assert [str(w) for w in orders["order_week"]] == [str(weeks[0].date()), str(weeks[2].date())]
    assert run.result.costs["fixed"] == pytest.approx(1000.0)
