"""report.html built from run folders (no browser): its data agree with the folder's files, it is
self-contained, and `planner report RUN` rebuilds it; plan folders carry history and capacity."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from click.testing import CliRunner

from planner.cli import main
from planner.config import load_scenario
from planner.data.testing import minimal_tables, write_minimal_dataset
from planner.errors import InputError
from planner.pipeline import plan_scenario, write_plan
from planner.report.html import build_report
from planner.report.payload import HISTORY_SHOWN_WEEKS, collect
from planner.report.sample_run import write_sample_plan, write_sample_simulate, write_sample_sweep


@pytest.fixture(scope="module")
def mini_run(tmp_path_factory) -> Path:
    """A real (tiny) plan of the minimal dataset, written by write_plan."""
    tmp = tmp_path_factory.mktemp("report_mini")
    ds = write_minimal_dataset(tmp / "data")
    doc = {
        "name": "mini",
        "dataset": str(ds),
        "plan": {"horizon_weeks": 6, "frozen_weeks": 1},
        "forecast": {"model": "seasonal_naive", "paths": 60, "scenarios": 8, "seed": 3},
        "solver": {"time_limit_s": 60},
    }
    (tmp / "mini.yaml").write_text(yaml.safe_dump(doc))
    scenario, _ = load_scenario(tmp / "mini.yaml")
    return write_plan(plan_scenario(scenario), tmp / "run")


def embedded(page: str) -> dict:
    """The JSON the page embeds (as the browser's JSON.parse would read it)."""
    m = re.search(r'<script type="application/json" id="report-data">(.*?)</script>', page, re.S)
    assert m, "no embedded data"
    return json.loads(m.group(1))


def decode(table: dict, name: str) -> list:
    """One column as the report's script decodes it."""
    c = table["cols"][name]
    if isinstance(c, list):
        return c
    if "r" in c:
        return [v for v, k in zip(c["r"], c["k"], strict=True) for _ in range(k)]
    return [c["d"][i] for i in c["c"]]


def test_write_plan_writes_report_history_and_capacity(mini_run):
    assert (mini_run / "report.html").is_file()
    summary = json.loads((mini_run / "summary.json").read_text())
    assert not any("report.html" in n for n in summary["notes"])

    # history: the planned series' weekly demand, ending at the last demand week
    hist = pd.read_csv(mini_run / "history.csv", parse_dates=["week"])
    demand = minimal_tables()["demand"]
    assert list(hist.columns) == ["week", "sku", "warehouse", "quantity"]
    assert hist["week"].max() == demand["date"].max()
    assert hist.groupby(["sku", "warehouse"]).size().max() <= 104
    merged = hist.merge(
        demand.rename(columns={"date": "week"}), on=["week", "sku", "warehouse"], how="left"
    )
    np.testing.assert_allclose(merged["quantity_x"], merged["quantity_y"])

    # capacity: warehouse use = sum over its SKUs of expected stock x unit volume
    cap = pd.read_csv(mini_run / "capacity.csv")
    inv = pd.read_csv(mini_run / "inventory.csv")
    vol = minimal_tables()["items"].set_index("sku")["volume"].astype(float)
    inv["volume"] = inv["on_hand_mean"] * inv["sku"].map(vol)
    expected = inv.groupby(["warehouse", "week"])["volume"].sum()
    wh = cap[cap["resource"] == "warehouse"].set_index(["name", "week"])
    np.testing.assert_allclose(
        wh["use_mean"].to_numpy(), expected.loc[wh.index].to_numpy(), rtol=1e-3, atol=1e-2
    )
    assert (wh["use_q0.1"] <= wh["use_q0.9"] + 1e-9).all()
    assert wh.loc["W1", "capacity"].eq(5000.0).all()  # W1 holds only planned SKUs
    assert wh.loc["W2", "capacity"].isna().all()  # unlimited
    # supplier use = the orders placed with it that week; S2's 400 units/week limit holds
    sup = cap[cap["resource"] == "supplier"].set_index(["name", "week"])
    orders = pd.read_csv(mini_run / "orders.csv")
    by = orders.groupby(["supplier", "order_week"])["quantity"].sum()
    for (name, week), row in sup.iterrows():
        assert row["use_mean"] == pytest.approx(by.get((name, week), 0.0), abs=1e-3)
    assert (sup.loc["S2", "use_mean"] <= 400 + 1e-3).all()
    assert sup.loc["S1", "capacity"].isna().all()


def test_plan_report_embeds_the_folder_tables(mini_run):
    page = (mini_run / "report.html").read_text(encoding="utf-8")
    data = embedded(page)
    assert data["kind"] == "plan" and data["name"] == "mini" and data["finished"]
    orders = pd.read_csv(mini_run / "orders.csv")
    emb = data["orders"]
    assert emb["n"] == len(orders)
    got = pd.DataFrame({c: decode(emb, c) for c in emb["cols"]})
    got = got.sort_values(["order_week", "supplier", "sku", "warehouse"]).reset_index(drop=True)
    want = orders.sort_values(["order_week", "supplier", "sku", "warehouse"]).reset_index(drop=True)
    for c in ("order_week", "supplier", "sku", "warehouse", "arrival_week"):
        assert got[c].astype(str).tolist() == want[c].astype(str).tolist()
    np.testing.assert_allclose(got["quantity"], want["quantity"], atol=1e-3)
    np.testing.assert_allclose(got["line_cost"], want["line_cost"], atol=0.01)
    assert got["committed"].astype(bool).tolist() == want["committed"].tolist()

    # stock rows map back to their series; values rounded to 0.1
    series = pd.DataFrame({c: decode(data["series"], c) for c in ("sku", "warehouse")})
    inv = pd.read_csv(mini_run / "inventory.csv")
    s = decode(data["inventory"], "s")
    emb_inv = pd.DataFrame(
        {
            "sku": series["sku"].to_numpy()[s],
            "warehouse": series["warehouse"].to_numpy()[s],
            "week": decode(data["inventory"], "week"),
            "mean": decode(data["inventory"], "on_hand_mean"),
        }
    ).merge(inv, on=["sku", "warehouse", "week"], validate="one_to_one")
    assert len(emb_inv) == len(inv)
    np.testing.assert_allclose(emb_inv["mean"], emb_inv["on_hand_mean"], atol=0.051)
    # the fan charts' history is the last HISTORY_SHOWN_WEEKS weeks of history.csv
    hist = pd.read_csv(mini_run / "history.csv")
    shown = hist.groupby(["sku", "warehouse"]).tail(HISTORY_SHOWN_WEEKS)
    assert data["history"]["n"] == len(shown)
    assert sum(decode(data["history"], "quantity")) == pytest.approx(shown["quantity"].sum(), abs=1)
    assert "ets" not in data.get("forecast_model", {}).get("model", [])  # seasonal_naive ran
    assert data["data_quality"]["dataset"]
    assert "horizon_weeks: 6" in data["scenario_yaml"]


def test_report_is_self_contained(mini_run):
    page = (mini_run / "report.html").read_text(encoding="utf-8")
    assert "<link" not in page
    assert not re.search(r"<script[^>]+src=", page)
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page)
    assert not re.search(r"url\(\s*['\"]?(https?:)?//", page)
    assert "@import" not in page
    # the two inline scripts and the data block close exactly once each
    assert page.count("</script>") == 3


def test_text_in_the_data_cannot_break_out_of_the_page(tmp_path):
    run = write_sample_plan(tmp_path / "run", n_skus=3, n_weeks=3, history_weeks=5)
    orders = pd.read_csv(run / "orders.csv")
    evil = "</script><script>alert(1)</script><!--"
    orders.loc[0, "supplier"] = evil
    orders.to_csv(run / "orders.csv", index=False)
    page = build_report(run).read_text(encoding="utf-8")
    assert page.count("</script>") == 3 and "<!--" not in page
    assert evil in decode(embedded(page)["orders"], "supplier")


def test_large_run_builds_with_every_order_line(tmp_path):
    run = write_sample_plan(tmp_path / "big", n_skus=400, n_weeks=12, history_weeks=60)
    orders = pd.read_csv(run / "orders.csv")
    assert len(orders) > 5000
    data = embedded(build_report(run).read_text(encoding="utf-8"))
    assert data["orders"]["n"] == len(orders)
    assert sum(decode(data["orders"], "line_cost")) == pytest.approx(
        orders["line_cost"].sum(), rel=1e-9
    )
    assert data["history"]["n"] == 60 * len(pd.read_csv(run / "service.csv"))


def test_simulate_folder(tmp_path):
    run = write_sample_simulate(tmp_path / "sim")
    data = collect(run)
    assert data["kind"] == "simulate"
    assert [im["file"] for im in data["images"]] == ["cumulative_cost.png"]
    weekly = pd.read_csv(run / "weekly.csv")
    want = weekly.groupby(["policy", "week"])["cost"].sum()
    got = pd.Series(
        decode(data["weekly"], "cost"),
        index=pd.MultiIndex.from_arrays(
            [decode(data["weekly"], "policy"), decode(data["weekly"], "week")]
        ),
    )
    np.testing.assert_allclose(got.loc[want.index].to_numpy(), want.to_numpy(), atol=0.01)
    # per series and policy: fill rate = 1 - short / demand
    by = weekly.groupby(["policy", "sku", "warehouse"])[["demand", "short"]].sum()
    fill = 1 - by["short"] / by["demand"]
    assert sorted(decode(data["by_series"], "fill_rate")) == pytest.approx(
        sorted(fill.round(4)), abs=1e-4
    )
    assert len(decode(data["kpis"], "policy")) == 5


def test_sweep_folder_links_points_with_reports(tmp_path):
    run = write_sample_sweep(tmp_path / "sweep")
    build_report(run / "points" / "001")
    data = collect(run)
    assert data["kind"] == "sweep"
    assert data["sweep_keys"] == ["costs.shortage_multiplier", "plan.horizon_weeks"]
    links = data["sweep_links"]
    assert links[0] == str(Path("points") / "001" / "report.html")
    assert links[1] is None  # point 2 has a folder but no report yet
    assert all(link is None for link in links[2:])  # no folder at all
    assert "run_dir" not in data["sweep"]["cols"]


def test_missing_tables_are_left_out(tmp_path):
    run = write_sample_plan(tmp_path / "run", n_skus=3, n_weeks=4, history_weeks=8)
    for name in ("history.csv", "capacity.csv", "forecast.csv", "forecast_selection.csv"):
        (run / name).unlink()
    data = collect(run)
    assert "orders" in data and "inventory" in data
    assert not {"history", "capacity", "forecast", "forecast_selection"} & set(data)
    (run / "summary.json").unlink()  # an unfinished run still renders what it wrote
    data = collect(run)
    assert data["kind"] == "plan" and not data["finished"]


def test_bad_folders_are_input_errors(tmp_path):
    with pytest.raises(InputError, match="no such run folder"):
        build_report(tmp_path / "nope")
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="not a run folder"):
        build_report(tmp_path / "empty")
    run = write_sample_plan(tmp_path / "run", n_skus=2, n_weeks=2, history_weeks=4)
    (run / "summary.json").write_text("{ not json")
    with pytest.raises(InputError, match=r"summary\.json: not valid JSON"):
        build_report(run)


def test_report_failure_is_a_note_not_a_lost_run(mini_run, tmp_path, monkeypatch):
    import planner.report.html as html_mod
    from planner.pipeline import _write_report

    def broken(run_dir, out=None):
        raise RuntimeError("boom")

    monkeypatch.setattr(html_mod, "build_report", broken)
    notes: list[str] = []
    _write_report(mini_run, notes)
    assert len(notes) == 1 and "boom" in notes[0] and "planner report" in notes[0]


def test_cli_report_rebuilds_html_and_workbook(mini_run):
    (mini_run / "report.html").unlink()
    res = CliRunner().invoke(main, ["report", str(mini_run)], catch_exceptions=False)
    assert res.exit_code == 0, res.output
    assert (mini_run / "report.html").is_file()
    assert f"report: {mini_run / 'report.html'}" in res.output
    try:
        import planner.report.excel  # noqa: F401
    except ModuleNotFoundError:
        assert "plan.xlsx skipped" in res.output
    else:
        assert (mini_run / "plan.xlsx").is_file()


def test_cli_report_options_and_errors(tmp_path):
    runner = CliRunner()
    help_text = runner.invoke(main, ["report", "--help"]).output
    assert "Example:" in help_text and "planner report" in help_text
    run = write_sample_simulate(tmp_path / "sim")
    out = tmp_path / "elsewhere.html"
    res = runner.invoke(main, ["report", str(run), "--html", str(out)], catch_exceptions=False)
    assert res.exit_code == 0, res.output
    assert out.is_file() and not (run / "report.html").exists()
    assert not (run / "plan.xlsx").exists()  # a workbook is for plans only
    (tmp_path / "empty").mkdir()
    res = runner.invoke(main, ["report", str(tmp_path / "empty")])
    assert res.exit_code == 2 and "not a run folder" in res.output


def test_benchmark_smoke(tmp_path):
    """The report benchmark runs (smallest case, no browser) and measures what it says."""
    from benchmarks import report as bench

    out = tmp_path / "bench.json"
    assert bench.main(["--skus", "20", "--repeat", "1", "--json", str(out)]) == 0
    case = json.loads(out.read_text())["cases"][0]
    assert case["order_lines"] > 100 and case["build_s"] > 0 and case["reference_s"] > 0
    assert case["html_mb"] < case["records_json_mb"]  # columns, not objects
