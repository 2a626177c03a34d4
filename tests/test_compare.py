"""`planner compare`: KPIs side by side, scenario differences and order differences, on run
folders with known contents and on real plans of the minimal dataset."""

import copy
import json
from pathlib import Path

import pandas as pd
import pytest
import yaml
from click.testing import CliRunner

from planner.cli import main
from planner.compare import compare_runs, format_comparison, write_comparison
from planner.compare.scenario import flatten, scenario_differences
from planner.data.testing import write_minimal_dataset
from planner.errors import InputError

SCENARIO = {
    "name": "base",
    "dataset": "/data/x",
    "plan": {"horizon_weeks": 4, "frozen_weeks": 1},
    "costs": {"shortage_multiplier": 1.0},
    "whatif": [],
}

ORDER_COLS = [
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


def plan_folder(path: Path, orders, *, costs, fill_rate=0.9, scenario=None, fingerprint="abc"):
    """A finished plan run folder: orders.csv from (week, supplier, sku, warehouse, qty,
    price) rows (the first week committed) and a summary.json."""
    path.mkdir(parents=True)
    rows = []
    first = min(o[0] for o in orders) if orders else None
    for week, supplier, sku, warehouse, qty, price in orders:
        rows.append([week, supplier, sku, warehouse, qty, week, price, qty * price, week == first])
    pd.DataFrame(rows, columns=ORDER_COLS).to_csv(path / "orders.csv", index=False)
    summary = {
        "status": "optimal",
        "objective": sum(costs.values()),
        "costs": costs,
        "service": {"fill_rate": fill_rate, "cycle_service_level": fill_rate - 0.1},
        "bottlenecks": [],
        "scenario": scenario or SCENARIO,
        "dataset_fingerprint": fingerprint,
    }
    (path / "summary.json").write_text(json.dumps(summary))
    return path


W1, W2 = "2026-01-05", "2026-01-12"
BASE_ORDERS = [
    (W1, "S1", "A", "W1", 10.0, 2.0),
    (W1, "S2", "B", "W1", 4.0, 5.0),
    (W2, "S1", "A", "W1", 6.0, 2.0),
    (W2, "S1", "B", "W2", 3.0, 5.0),
]
# A at W1 up 5, B from S2 removed, a new line for A in W2 (week 2), B in W2 unchanged
OTHER_ORDERS = [
    (W1, "S1", "A", "W1", 15.0, 2.0),
    (W2, "S1", "A", "W1", 6.0, 2.0),
    (W2, "S1", "B", "W2", 3.0, 5.0),
    (W2, "S2", "A", "W2", 2.0, 2.5),
]


@pytest.fixture
def two_plans(tmp_path):
    base = plan_folder(tmp_path / "base", BASE_ORDERS, costs={"purchase": 100.0, "shortage": 20.0})
    other_scenario = copy.deepcopy(SCENARIO)
    other_scenario["costs"]["shortage_multiplier"] = 2.0
    other_scenario["whatif"] = [{"kind": "lead_time", "supplier": "S2", "add_weeks": 2}]
    other = plan_folder(
        tmp_path / "late",
        OTHER_ORDERS,
        costs={"purchase": 110.0, "shortage": 0.0},
        fill_rate=0.99,
        scenario=other_scenario,
        fingerprint="abd",
    )
    return base, other


def test_order_lines_known_differences(two_plans):
    cmp = compare_runs(list(two_plans))
    lines = cmp.orders.set_index(["supplier", "sku", "warehouse", "order_week"])
    assert list(cmp.orders.columns[:9]) == [
        "supplier",
        "sku",
        "warehouse",
        "order_week",
        "committed",
        "quantity_base",
        "quantity_late",
        "diff",
        "change",
    ]
    expect = {
        ("S1", "A", "W1", W1): (10.0, 15.0, 5.0, "increased", True),
        ("S2", "B", "W1", W1): (4.0, 0.0, -4.0, "removed", True),
        ("S1", "A", "W1", W2): (6.0, 6.0, 0.0, "unchanged", False),
        ("S1", "B", "W2", W2): (3.0, 3.0, 0.0, "unchanged", False),
        ("S2", "A", "W2", W2): (0.0, 2.0, 2.0, "added", False),
    }
    assert len(lines) == len(expect)
    for key, (qa, qb, diff, change, committed) in expect.items():
        row = lines.loc[key]
        assert (row["quantity_base"], row["quantity_late"], row["diff"]) == (qa, qb, diff)
        assert row["change"] == change and row["committed"] == committed
    assert lines.loc[("S2", "A", "W2", W2), "line_cost_late"] == 5.0
    changed = cmp.changed_lines()
    assert changed["diff"].tolist() == [5.0, -4.0, 2.0]  # largest change first


def test_orders_by_supplier_sku_week_known_totals(two_plans):
    cmp = compare_runs(list(two_plans))
    sup = cmp.by_supplier.set_index("supplier")
    assert sup.loc["S1", ["quantity_base", "quantity_late", "diff"]].tolist() == [19, 24, 5]
    assert sup.loc["S2", ["quantity_base", "quantity_late", "diff"]].tolist() == [4, 2, -2]
    # order value: S2 lost 4 x 5 and gained 2 x 2.5
    assert sup.loc["S2", ["value_base", "value_late", "value_diff"]].tolist() == [20, 5, -15]
    sku = cmp.by_sku.set_index("sku")
    assert sku["diff"].to_dict() == {"A": 7.0, "B": -4.0}
    week = cmp.by_week.set_index("order_week")
    assert week["diff"].to_dict() == {W1: 1.0, W2: 2.0}
    # every view adds up to the same total difference
    total = cmp.orders["diff"].sum()
    assert total == cmp.by_supplier["diff"].sum() == cmp.by_sku["diff"].sum() == 3.0


def test_kpis_side_by_side_with_differences(two_plans):
    cmp = compare_runs(list(two_plans))
    k = cmp.kpis.set_index("kpi")
    assert list(cmp.kpis.columns) == ["group", "kpi", "base", "late", "diff", "pct"]
    assert k.loc["objective", ["base", "late", "diff"]].tolist() == [120.0, 110.0, -10.0]
    assert k.loc["objective", "pct"] == pytest.approx(-100 * 10 / 120)
    assert k.loc["cost.shortage", "diff"] == -20.0
    assert k.loc["fill_rate", "diff"] == pytest.approx(0.09)
    assert k.loc["total_orders", ["base", "late"]].tolist() == [23.0, 26.0]
    assert k.loc["orders_this_week", ["base", "late"]].tolist() == [14.0, 15.0]
    assert k.loc["order_value_this_week", ["base", "late"]].tolist() == [40.0, 30.0]
    assert k.loc["order_lines", "diff"] == 0.0


def test_scenario_differences_name_the_changed_keys(two_plans):
    cmp = compare_runs(list(two_plans))
    diff = cmp.scenario.set_index("key")
    assert list(diff.index) == [
        "costs.shortage_multiplier",
        "whatif[0].kind",
        "whatif[0].supplier",
        "whatif[0].add_weeks",
        "(dataset fingerprint)",
    ]
    assert diff.loc["whatif[0].add_weeks"].tolist() == ["(not set)", "2"]
    assert diff.loc["costs.shortage_multiplier"].tolist() == ["1.0", "2.0"]
    assert diff.loc["(dataset fingerprint)"].tolist() == ["abc", "abd"]
    assert "plan.horizon_weeks" not in diff.index  # same in both runs
    # a what-if list against another what-if list differs key by key
    a = {"whatif": [{"kind": "lead_time", "supplier": "S1", "add_weeks": 1}]}
    b = {"whatif": [{"kind": "lead_time", "supplier": "S1", "add_weeks": 3}]}
    table = scenario_differences({"a": a, "b": b})
    assert table.to_dict("records") == [{"key": "whatif[0].add_weeks", "a": "1", "b": "3"}]
    assert flatten({"x": {"y": [1, 2]}, "z": {}, "n": None, "w": [{"a": 1}]}) == {
        "x.y": [1, 2],
        "w[0].a": 1,
    }
    # a key that is null in one run and absent in the other is no difference
    assert scenario_differences({"a": {"k": None, "j": 1}, "b": {"j": 1}}).empty


def test_three_runs_differences_against_the_first(two_plans, tmp_path):
    base, late = two_plans
    third = plan_folder(
        tmp_path / "third", BASE_ORDERS[:1], costs={"purchase": 60.0, "shortage": 90.0}
    )
    cmp = compare_runs([base, late, third])
    assert {"diff_late", "diff_third", "pct_late", "pct_third"} <= set(cmp.kpis.columns)
    assert "change" not in cmp.orders.columns
    sup = cmp.by_supplier.set_index("supplier")
    assert sup["diff_third"].to_dict() == {"S1": -9.0, "S2": -4.0}
    assert sup["diff_late"].to_dict() == {"S1": 5.0, "S2": -2.0}
    text = format_comparison(cmp)
    assert "diff_third" in text and "third" in text


def test_write_comparison_files_read_back(two_plans, tmp_path):
    cmp = compare_runs(list(two_plans))
    written = write_comparison(cmp, tmp_path / "cmp")
    assert set(written) == {
        "compare.csv",
        "compare_kpis.csv",
        "compare_scenario.csv",
        "compare_by_supplier.csv",
        "compare_by_sku.csv",
        "compare_by_week.csv",
        "compare_runs.csv",
    }
    back = pd.read_csv(tmp_path / "cmp" / "compare.csv")
    assert back["diff"].sum() == 3.0 and len(back) == 5
    runs = pd.read_csv(tmp_path / "cmp" / "compare_runs.csv")
    assert runs["label"].tolist() == ["base", "late"]
    assert runs["first_week"].tolist() == [W1, W1]


def test_simulate_and_sweep_runs_compare_on_kpis(tmp_path):
    cols = ["policy", "total_cost", "fill_rate", "stockout_sku_weeks", "gap_to_oracle"]
    nan = float("nan")
    for name, rows in {
        "sim1": [["stochastic", 100.0, 0.95, 3, nan], ["base_stock", 120.0, 0.9, 8, nan]],
        "sim2": [["stochastic", 90.0, 0.97, 2, nan], ["base_stock", 125.0, 0.9, 9, nan]],
    }.items():
        (tmp_path / name).mkdir()
        pd.DataFrame(rows, columns=cols).to_csv(tmp_path / name / "kpis.csv", index=False)
    cmp = compare_runs([tmp_path / "sim1", tmp_path / "sim2"])
    assert cmp.orders is None
    k = cmp.kpis.set_index(["group", "kpi"])
    assert k.loc[("stochastic", "total_cost"), "diff"] == -10.0
    assert k.loc[("base_stock", "stockout_sku_weeks"), ["sim1", "sim2"]].tolist() == [8, 9]
    assert "gap_to_oracle" not in set(cmp.kpis["kpi"])  # empty in every run
    assert "base_stock: total_cost" in format_comparison(cmp)
    assert "compare.csv" not in write_comparison(cmp, tmp_path / "out")

    for name, objective in {"sw1": [10.0, 12.0], "sw2": [11.0, 15.0]}.items():
        (tmp_path / name).mkdir()
        pd.DataFrame(
            {
                "costs.shortage_multiplier": [1.0, 2.0],
                "status": ["optimal", "optimal"],
                "objective": objective,
                "fill_rate": [0.9, 0.95],
                "bottlenecks": ["", ""],
                "run_dir": ["p1", "p2"],
            }
        ).to_csv(tmp_path / name / "sweep.csv", index=False)
    cmp = compare_runs([tmp_path / "sw1", tmp_path / "sw2"])
    k = cmp.kpis.set_index(["group", "kpi"])
    assert k.loc[("costs.shortage_multiplier=2.0", "objective"), "diff"] == 3.0
    assert k.loc[("costs.shortage_multiplier=1.0", "objective"), "diff"] == 1.0
    assert cmp.runs[0].status == "optimal 2"
    assert "bottlenecks" not in set(cmp.kpis["kpi"])  # text, not a KPI
    # a KPI no run has (all empty) is not listed; a fingerprint only one run recorded is no
    # difference
    assert not k.isna().all(axis=1).any()
    assert cmp.scenario.empty


def test_bad_runs_are_input_errors(two_plans, tmp_path):
    base, _ = two_plans
    with pytest.raises(InputError, match="at least two runs"):
        compare_runs([base])
    unfinished = tmp_path / "unfinished"
    unfinished.mkdir()
    (unfinished / "orders.csv").write_text(",".join(ORDER_COLS) + "\n")
    with pytest.raises(InputError, match="unfinished"):
        compare_runs([base, unfinished])
    with pytest.raises(InputError, match="not a plan, simulate or sweep run folder"):
        compare_runs([base, tmp_path])
    with pytest.raises(InputError, match="run folder not found"):
        compare_runs([base, tmp_path / "gone"])


def test_same_folder_names_get_distinct_labels(tmp_path):
    a = plan_folder(tmp_path / "x" / "run", BASE_ORDERS, costs={"purchase": 1.0})
    b = plan_folder(tmp_path / "y" / "run", BASE_ORDERS, costs={"purchase": 1.0})
    cmp = compare_runs([a, b])
    assert cmp.labels == ["x/run", "y/run"]
    assert (cmp.orders["diff"] == 0).all() and cmp.scenario.empty
    assert "scenario differences: none" in format_comparison(cmp)


# ------------------------------------------------------------------ real plans, the command


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


@pytest.fixture(scope="module")
def real_runs(tmp_path_factory):
    """Two plans of the minimal dataset, recorded in a history: base and 3x shortage cost."""
    tmp = tmp_path_factory.mktemp("real")
    data = write_minimal_dataset(tmp / "data")
    doc = {
        "name": "mini",
        "dataset": str(data),
        "plan": {"horizon_weeks": 5, "frozen_weeks": 1, "value_of_information": False},
        "forecast": {"model": "seasonal_naive", "paths": 40, "scenarios": 6, "seed": 3},
        "solver": {"time_limit_s": 60},
    }
    (tmp / "mini.yaml").write_text(yaml.safe_dump(doc))
    db = tmp / "history.duckdb"
    mp = pytest.MonkeyPatch()
    mp.setenv("PLANNER_HISTORY", str(db))
    for name, extra in (("base", []), ("short3", ["--set", "costs.shortage_multiplier=3"])):
        res = invoke("plan", tmp / "mini.yaml", "--out", tmp / name, "-q", *extra)
        assert res.exit_code == 0, res.output
    yield tmp, db
    mp.undo()


def test_compare_command_on_real_plans_by_history_id(real_runs, monkeypatch):
    tmp, db = real_runs
    monkeypatch.delenv("PLANNER_HISTORY", raising=False)
    res = invoke("compare", "-2", "latest", "--db", db, "--out", tmp / "cmp")
    assert res.exit_code == 0, res.output
    for section in ("KPIs", "scenario differences", "orders by supplier", "orders by week"):
        assert section in res.output
    assert "costs.shortage_multiplier" in res.output
    lines = pd.read_csv(tmp / "cmp" / "compare.csv")
    # independent check: quantities per key are the pivot of each orders.csv
    keys = ["supplier", "sku", "warehouse", "order_week"]
    for label in ("base", "short3"):
        orders = pd.read_csv(tmp / label / "orders.csv")
        expect = orders.groupby(keys)["quantity"].sum()
        got = lines.set_index(keys)[f"quantity_{label}"]
        got = got[got > 0]
        pd.testing.assert_series_equal(
            got.sort_index(), expect.sort_index(), check_names=False, atol=1e-9
        )
    assert lines["diff"].to_numpy() == pytest.approx(
        (lines["quantity_short3"] - lines["quantity_base"]).to_numpy()
    )
    kpis = pd.read_csv(tmp / "cmp" / "compare_kpis.csv").set_index("kpi")
    s_base = json.loads((tmp / "base" / "summary.json").read_text())
    s_short = json.loads((tmp / "short3" / "summary.json").read_text())
    assert kpis.loc["objective", "base"] == pytest.approx(s_base["objective"])
    assert kpis.loc["objective", "diff"] == pytest.approx(
        s_short["objective"] - s_base["objective"]
    )
    assert kpis.loc["total_orders", "diff"] == pytest.approx(lines["diff"].sum(), abs=1e-6)
    by_week = pd.read_csv(tmp / "cmp" / "compare_by_week.csv")
    assert by_week["diff"].sum() == pytest.approx(lines["diff"].sum(), abs=1e-6)
    scen = pd.read_csv(tmp / "cmp" / "compare_scenario.csv")
    assert scen["key"].tolist() == ["costs.shortage_multiplier"]


def test_compare_command_errors_exit_2(real_runs, monkeypatch):
    tmp, db = real_runs
    monkeypatch.delenv("PLANNER_HISTORY", raising=False)
    res = invoke("compare", "latest", "--db", db, "--out", tmp / "c1")
    assert res.exit_code == 2 and "at least two runs" in res.output
    res = invoke("compare", "1", "9", "--db", db, "--out", tmp / "c2")
    assert res.exit_code == 2 and "run id 9 is not in the history" in res.output
    res = invoke("compare", "1", "2", "--db", tmp / "missing.duckdb", "--out", tmp / "c3")
    assert res.exit_code == 2 and "no run history here" in res.output
    # folders need no history at all
    res = invoke("compare", tmp / "base", tmp / "short3", "--out", tmp / "c4", "-q")
    assert res.exit_code == 0 and (tmp / "c4" / "compare.csv").is_file()
    assert "Example:" in invoke("compare", "--help").output


def test_a_plan_without_orders_compares_as_all_removed(two_plans, tmp_path):
    base, _ = two_plans
    empty = plan_folder(tmp_path / "none", [], costs={"purchase": 0.0, "shortage": 500.0})
    assert (empty / "orders.csv").read_text().count("\n") == 1  # the header only
    cmp = compare_runs([base, empty])
    assert set(cmp.orders["change"]) == {"removed"}
    assert cmp.by_supplier["quantity_none"].tolist() == [0.0, 0.0]
    assert cmp.orders["diff"].sum() == -23.0
    k = cmp.kpis.set_index("kpi")
    assert k.loc["total_orders", ["base", "none"]].tolist() == [23.0, 0.0]


def test_tolerance_treats_small_changes_as_unchanged(two_plans):
    cmp = compare_runs(list(two_plans), tolerance=2.5)
    lines = cmp.orders.set_index(["supplier", "sku", "warehouse", "order_week"])
    assert lines.loc[("S2", "A", "W2", W2), "change"] == "unchanged"  # +2 units
    assert lines.loc[("S2", "A", "W2", W2), "diff"] == 2.0  # the difference is still there
    assert lines.loc[("S2", "B", "W1", W1), "change"] == "removed"  # -4 units
    assert cmp.changed_lines()["diff"].tolist() == [5.0, -4.0]
    assert "2 of 5 lines changed by more than 2.5 units" in format_comparison(cmp)
    with pytest.raises(ValueError, match="'tolerance' parameter"):
        compare_runs(list(two_plans), tolerance=-1.0)
