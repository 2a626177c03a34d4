"""planner.sweep: the points of a grid and a tornado, their scenarios, reuse of the forecast, and
agreement of every point with an independent `plan_scenario` of the same settings."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from sweepkit import DESIGN_OUTCOME

from planner.config import load_scenario
from planner.data.testing import write_minimal_dataset
from planner.errors import ConfigError
from planner.pipeline import demand_key, plan_scenario
from planner.sweep import (
    SweepInterrupted,
    lead_time_shift,
    parse_tornado,
    parse_vary,
    plan_points,
    sweep_scenario,
)
from planner.sweep.grid import grid_points, point_scenario
from planner.sweep.table import OUTCOME_COLUMNS


def write_scenario(folder: Path, dataset: Path, **sections) -> Path:
    doc = {
        "name": "mini",
        "dataset": str(dataset),
        "plan": {"horizon_weeks": 6, "frozen_weeks": 1, "value_of_information": False},
        "forecast": {"model": "seasonal_naive", "paths": 60, "scenarios": 8, "seed": 3},
        "solver": {"time_limit_s": 60},
    }
    for key, value in sections.items():
        doc[key] = {**doc.get(key, {}), **value} if isinstance(value, dict) else value
    path = folder / "mini.yaml"
    path.write_text(yaml.safe_dump(doc))
    return path


@pytest.fixture(scope="module")
def mini(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("sweep")
    return write_scenario(folder, write_minimal_dataset(folder / "data"))


# ---------------------------------------------------------------- options and points


def test_parse_vary_reads_yaml_values_ranges_and_bracketed_lists():
    vary = parse_vary(
        [
            "costs.shortage_multiplier=0.5,1,2",
            "risk.cvar_weight=0:0.5:0.25",
            "forecast.candidates=[ets,theta],null",
            "plan.shortage=lost_sales,backorder",
        ]
    )
    assert vary["costs.shortage_multiplier"] == [0.5, 1, 2]
    assert vary["risk.cvar_weight"] == [0.0, 0.25, 0.5]
    assert vary["forecast.candidates"] == [["ets", "theta"], None]
    assert vary["plan.shortage"] == ["lost_sales", "backorder"]
    assert parse_vary({"costs.holding_multiplier": [1, 2]}) == {"costs.holding_multiplier": [1, 2]}


@pytest.mark.parametrize(
    "options, needle",
    [
        (["costs.shortage_multiplier"], "key.path=v1,v2"),
        (["costs.shortage_multiplier=1,2", "costs.shortage_multiplier=3"], "varied twice"),
        (["costs.shortage_multiplier=1,2,1"], "lists a value twice"),
        (["risk.cvar_weight=1:0:0.5"], "is empty"),
        (["lead_time.S1.add_weeks=1,2"], "not a scenario key"),
    ],
)
def test_parse_vary_rejects_bad_options_with_the_fix(options, needle):
    with pytest.raises(ConfigError) as err:
        parse_vary(options)
    assert needle in str(err.value)


def test_parse_tornado():
    assert parse_tornado("0.8,1.2") == (0.8, 1.2)
    assert parse_tornado((0.5, 2)) == (0.5, 2.0)
    assert parse_tornado(None) is None
    for bad in ("1.2,0.8", "0.8", "a,b", "1,1.2"):
        with pytest.raises(ConfigError, match="0 < low < 1 < high"):
            parse_tornado(bad)


@pytest.mark.parametrize(
    "mean, factor, weeks",
    [
        (4, 0.8, -1),  # 0.8 weeks -> 1
        (4, 1.2, 1),
        (10, 0.8, -2),
        (10, 1.2, 2),
        (1, 1.2, 1),  # 0.2 weeks: at least one week
        (2.5, 1.2, 1),  # 0.5: halves up
        (7.5, 1.2, 2),  # 1.5 -> 2
        (6, 0.5, -3),
        (3, 1.0, 0),
    ],
)
def test_lead_time_factor_rounds_to_whole_weeks(mean, factor, weeks):
    assert lead_time_shift(mean, factor) == weeks


def test_grid_is_every_combination_first_key_slowest():
    points = grid_points({"a.x": [1, 2], "b.y": ["p", "q", "r"]})
    assert [p.id for p in points] == [1, 2, 3, 4, 5, 6]
    assert [dict(p.values) for p in points[:4]] == [
        {"a.x": 1, "b.y": "p"},
        {"a.x": 1, "b.y": "q"},
        {"a.x": 1, "b.y": "r"},
        {"a.x": 2, "b.y": "p"},
    ]
    assert points[0].name == "001-x=1-y=p"


def test_point_scenario_logs_each_change_and_names_a_bad_key(mini):
    base, _ = load_scenario(mini, ["costs.holding_multiplier=1.5"])
    (point,) = grid_points({"costs.shortage_multiplier": [2]})
    ps = point_scenario(base, point)
    assert ps.scenario.costs.shortage_multiplier == 2
    assert ps.scenario.costs.holding_multiplier == 1.5  # the base's --set is kept
    assert ps.log == ["costs.shortage_multiplier: 1.0 -> 2"]
    (bad,) = grid_points({"costs.shortage_multipler": [2]})
    with pytest.raises(ConfigError) as err:
        point_scenario(base, bad)
    assert "costs.shortage_multiplier" in str(err.value)  # the closest valid key
    assert "sweep point 1" in str(err.value)


def test_demand_key_separates_only_what_the_forecast_reads(mini):
    base, _ = load_scenario(mini)
    same = [
        ["costs.shortage_multiplier=3"],
        ["risk.cvar_weight=0.5"],
        ["budget_per_week=1000"],
        ["plan.frozen_weeks=2"],
        ["plan.shortage=backorder"],
        ["solver.mip_gap=0.05"],
        ["whatif=[{kind: demand, factor: 1.3}, {kind: lead_time, supplier: S1, add_weeks: 1}]"],
    ]
    other = [
        ["forecast.seed=4"],
        ["forecast.scenarios=4"],
        ["forecast.model=moving_average"],
        ["plan.horizon_weeks=5"],
        ["plan.start=2024-03-04"],
    ]
    for sets in same:
        assert demand_key(load_scenario(mini, sets)[0]) == demand_key(base), sets
    for sets in other:
        assert demand_key(load_scenario(mini, sets)[0]) != demand_key(base), sets


def test_tornado_points_move_one_parameter_at_a_time_and_duplicates_are_planned_once(mini):
    base, _ = load_scenario(mini)
    res = plan_points(base, {"costs.shortage_multiplier": [1, 2]}, (0.8, 1.2))
    # grid 2 + tornado (base + 2 x (3 multipliers + 2 suppliers)) - the base, already in the grid
    assert len(res.points) == 2 + 1 + 10 - 1
    assert res.tornado_refs[("base", "")] == 1  # the grid's multiplier-1 point is the base
    assert res.columns == [
        "costs.shortage_multiplier",
        "costs.holding_multiplier",
        "costs.logistics_multiplier",
        "lead_time.S1.add_weeks",
        "lead_time.S2.add_weeks",
    ]
    table = res.table()
    assert list(table.columns) == res.columns + DESIGN_OUTCOME
    assert list(OUTCOME_COLUMNS) == DESIGN_OUTCOME
    base_values = {
        "costs.shortage_multiplier": 1.0,
        "costs.holding_multiplier": 1.0,
        "costs.logistics_multiplier": 1.0,
        "lead_time.S1.add_weeks": 0,
        "lead_time.S2.add_weeks": 0,
    }
    for p in res.points:
        if p.tornado is None:
            continue
        row = table.iloc[p.id - 1]
        moved = [c for c in res.columns if row[c] != base_values[c]]
        assert len(moved) == 1, (p.label, moved)
    s1 = [p for p in res.points if p.lead_times and p.lead_times[0][0] == "S1"]
    assert sorted(w for p in s1 for _, w in p.lead_times) == [-1, 1]  # 2-week lanes
    ps = res.scenarios[s1[0].id].scenario
    assert ps.whatif[-1].kind == "lead_time" and ps.whatif[-1].add_weeks in (-1, 1)
    assert all(r["status"] == "pending" for r in res.rows.values())


def test_nothing_to_vary_is_an_error(mini):
    base, _ = load_scenario(mini)
    with pytest.raises(ConfigError, match="nothing to vary"):
        plan_points(base)


# ---------------------------------------------------------------- running


@pytest.fixture(scope="module")
def swept(mini, tmp_path_factory):
    """A grid over two demand groups plus a tornado, run in this process, written."""
    base, log = load_scenario(mini)
    out = tmp_path_factory.mktemp("swept") / "sweep"
    calls = []
    import planner.sweep.runner as runner

    original = runner.prepare_demand

    def counting(*a, **k):
        calls.append(demand_key(a[0]))
        return original(*a, **k)

    runner.prepare_demand = counting
    try:
        result = sweep_scenario(
            base,
            ["costs.shortage_multiplier=0.5,2", "forecast.scenarios=4,8"],
            "0.8,1.2",
            n_workers=1,
            out=out,
            overrides=log,
        )
    finally:
        runner.prepare_demand = original
    return result, out, calls


def test_forecast_and_scenarios_are_computed_once_per_demand_group(swept):
    result, _, calls = swept
    assert result.demand_groups == 2
    assert len(calls) == 2 and len(set(calls)) == 2


def test_each_point_equals_an_independent_plan_of_its_settings(swept, mini):
    result, out, _ = swept
    table = pd.read_csv(out / "sweep.csv")
    assert (table["status"] == "optimal").all()
    for pid in (2, 4, len(result.points)):  # grid points of both groups and a lead-time move
        ps = result.scenarios[pid]
        run = plan_scenario(ps.scenario)
        row = table.iloc[pid - 1]
        assert row["objective"] == pytest.approx(run.result.objective, abs=1e-4)  # 4 decimals
        assert row["fill_rate"] == pytest.approx(run.result.fill_rate, abs=1e-6)
        assert row["total_orders"] == pytest.approx(run.result.orders["quantity"].sum(), abs=1e-3)
        for k, v in run.result.costs.items():
            if k in table.columns:
                assert row[k] == pytest.approx(v, abs=1e-3)
        summary = json.loads((Path(row["run_dir"]) / "summary.json").read_text())
        assert summary["objective"] == pytest.approx(row["objective"], abs=1e-3)
        assert summary["scenario"] == ps.scenario.resolved_dict()
        assert summary["overrides"] == ps.log  # the point's `key: old -> new` changes
        orders = pd.read_csv(Path(row["run_dir"]) / "orders.csv")
        first = summary["plan_weeks"][0]
        this_week = orders.loc[orders["order_week"] == first, "quantity"].sum()
        assert row["orders_this_week"] == pytest.approx(this_week, abs=1e-3)


def test_lead_time_move_reaches_the_plan(swept):
    result, out, _ = swept
    table = pd.read_csv(out / "sweep.csv")
    pid = next(p.id for p in result.points if p.lead_times == (("S1", 1),))
    summary = json.loads((Path(table.iloc[pid - 1]["run_dir"]) / "summary.json").read_text())
    assert any("lead_time S1 +1 weeks: lead time 2 -> 3 weeks" in w for w in summary["whatif"])
    orders = pd.read_csv(Path(table.iloc[pid - 1]["run_dir"]) / "orders.csv")
    s1 = orders[orders["supplier"] == "S1"]
    lead = (pd.to_datetime(s1["arrival_week"]) - pd.to_datetime(s1["order_week"])).dt.days // 7
    assert (lead == 3).all()


def test_tornado_table_and_summary_agree_with_sweep_csv(swept):
    result, out, _ = swept
    table = pd.read_csv(out / "sweep.csv")
    tornado = pd.read_csv(out / "tornado.csv")
    base_row = table.iloc[result.tornado_refs[("base", "")] - 1]
    assert base_row["costs.shortage_multiplier"] == 1.0 and base_row["forecast.scenarios"] == 8
    for row in tornado.to_dict("records"):
        low = table.iloc[result.tornado_refs[(row["parameter"], "low")] - 1]["objective"]
        high = table.iloc[result.tornado_refs[(row["parameter"], "high")] - 1]["objective"]
        assert row["low_objective"] == pytest.approx(low)
        assert row["high_objective"] == pytest.approx(high)
        assert row["swing"] == pytest.approx(abs(high - low))
        assert row["base_objective"] == pytest.approx(base_row["objective"])
    assert list(tornado["swing"]) == sorted(tornado["swing"], reverse=True)
    summary = json.loads((out / "summary.json").read_text())
    assert summary["kind"] == "sweep" and summary["status"] == "done"
    assert summary["n_points"] == len(table) == len(summary["points"])
    assert summary["best_point"]["objective"] == pytest.approx(table["objective"].min())
    for name in ("tornado.png", "cost_curves.png"):
        assert (out / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert summary["files"][name.split(".")[0].replace("tornado", "tornado_chart")] == name


def test_shortage_cost_higher_never_lowers_orders_or_fill_rate(swept):
    table = swept[0].table()
    grid = table.iloc[:4]  # shortage 0.5 / 2 x scenarios 4 / 8
    for n in (4, 8):
        part = grid[grid["forecast.scenarios"] == n].sort_values("costs.shortage_multiplier")
        assert np.all(np.diff(part["total_orders"]) >= -1e-6)
        assert np.all(np.diff(part["fill_rate"]) >= -1e-9)
        assert np.all(np.diff(part["shortage"] / part["costs.shortage_multiplier"]) <= 1e-6)


def test_infeasible_point_is_a_result_not_a_failure(mini):
    outage = "whatif=[{kind: supplier_outage, supplier: S1, weeks: [1, 6]}]"
    base, _ = load_scenario(mini, [outage])
    result = sweep_scenario(base, {"risk.service_level": [None, 0.99]}, n_workers=1)
    table = result.table()
    assert list(table["status"]) == ["optimal", "infeasible"]
    assert np.isnan(table["objective"].iloc[1])
    assert "service_level" in result.messages[2]
    assert result.planned == [1]


def test_interrupt_keeps_finished_points_and_resume_runs_only_the_rest(mini, tmp_path):
    base, _ = load_scenario(mini)
    vary = ["costs.shortage_multiplier=0.5,1,2,4"]
    done = []

    def stop_after_two(point, row):
        done.append(point.id)
        if len(done) == 2:
            raise KeyboardInterrupt

    out = tmp_path / "sweep"
    with pytest.raises(SweepInterrupted) as stop:
        sweep_scenario(base, vary, n_workers=1, out=out, on_point=stop_after_two)
    assert stop.value.result.finished == [1, 2]
    kept = pd.read_csv(out / "sweep.csv")
    assert list(kept["status"]) == ["optimal", "optimal", "pending", "pending"]
    assert not (out / "summary.json").exists()  # not a finished sweep

    with pytest.raises(ConfigError, match="already holds a sweep"):
        sweep_scenario(base, vary, n_workers=1, out=out)
    with pytest.raises(ConfigError, match="other points"):
        sweep_scenario(
            base, ["costs.shortage_multiplier=0.5,1,3,4"], n_workers=1, out=out, resume=True
        )

    again = []
    resumed = sweep_scenario(
        base, vary, n_workers=1, out=out, resume=True, on_point=lambda p, r: again.append(p.id)
    )
    assert again == [3, 4] and resumed.resumed == 2
    whole = sweep_scenario(base, vary, n_workers=1, out=tmp_path / "whole")
    cols = [c for c in whole.table().columns if c != "run_dir"]
    pd.testing.assert_frame_equal(
        pd.read_csv(out / "sweep.csv")[cols], pd.read_csv(tmp_path / "whole" / "sweep.csv")[cols]
    )
    assert json.loads((out / "summary.json").read_text())["resumed_points"] == 2


def test_without_out_the_plans_stay_in_memory_until_written(mini, tmp_path):
    from planner.sweep import write_sweep

    base, _ = load_scenario(mini)
    result = sweep_scenario(base, {"costs.holding_multiplier": [0.5, 2]}, n_workers=1)
    assert sorted(result.runs) == [1, 2]
    write_sweep(result, tmp_path / "w")
    table = pd.read_csv(tmp_path / "w" / "sweep.csv")
    assert all((Path(d) / "summary.json").is_file() for d in table["run_dir"])
    assert (tmp_path / "w" / "cost_curves.png").is_file()
    assert not (tmp_path / "w" / "tornado.csv").exists()


def test_points_of_a_scenario_that_extends_another(mini, tmp_path):
    child = tmp_path / "child.yaml"
    child.write_text(
        yaml.safe_dump({"extends": str(mini), "name": "child", "costs": {"holding_multiplier": 2}})
    )
    base, _ = load_scenario(child)
    res = plan_points(base, {"costs.shortage_multiplier": [3]})
    sc = res.scenarios[1].scenario
    assert sc.name == "child" and sc.extends == str(mini)
    assert sc.costs.holding_multiplier == 2 and sc.costs.shortage_multiplier == 3
    assert sc.dataset == load_scenario(mini)[0].dataset  # resolved relative to the parent
    assert sc.forecast == load_scenario(mini)[0].forecast  # inherited
