"""Run history (DuckDB): recording, listing and filtering, resolving run references, the
schema, locking between processes, and the `plan` / `runs` commands."""

import datetime as dt
import json
import subprocess
import sys
import textwrap
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import duckdb
import pandas as pd
import pytest
import yaml
from click.testing import CliRunner

from planner import history
from planner.cli import main
from planner.data.testing import write_minimal_dataset
from planner.errors import InputError
from planner.history import (
    HistoryError,
    HistoryWarning,
    flatten_kpis,
    get_run,
    list_runs,
    plan_kpis,
    record_run,
    resolve_run,
)


@pytest.fixture
def db(tmp_path, monkeypatch):
    monkeypatch.delenv("PLANNER_HISTORY", raising=False)
    return tmp_path / "hist" / "history.duckdb"


def _record(db, folder, name="demo", kind="plan", **kpis):
    folder.mkdir(parents=True, exist_ok=True)
    return record_run(
        kind,
        folder,
        scenario={"name": name, "costs": {"shortage_multiplier": kpis.pop("mult", 1.0)}},
        fingerprint="f" * 64,
        kpis=kpis,
        status="optimal",
        db=db,
    )


def test_record_and_list_roundtrip_newest_first(db, tmp_path):
    a = _record(db, tmp_path / "a", objective=100.0, fill_rate=0.9, costs={"shortage": 5.0})
    b = _record(db, tmp_path / "b", name="other", kind="sweep", **{"objective": 80.0})
    c = _record(db, tmp_path / "c", objective=120.5, total_orders=42.0, orders_this_week=7.0)
    assert [a, b, c] == ["1", "2", "3"]
    frame = list_runs(db=db, with_json=True)
    assert frame["id"].tolist() == [3, 2, 1]
    assert frame["kind"].tolist() == ["plan", "sweep", "plan"]
    assert frame["out_dir"].tolist() == [str((tmp_path / x).resolve()) for x in "cba"]
    first = frame.iloc[2]
    assert first["objective"] == 100.0 and first["fill_rate"] == 0.9
    assert first["kpis"] == {"objective": 100.0, "fill_rate": 0.9, "costs": {"shortage": 5.0}}
    assert first["scenario"]["costs"]["shortage_multiplier"] == 1.0
    newest = frame.iloc[0]
    assert newest["total_orders"] == 42.0 and newest["orders_this_week"] == 7.0
    assert pd.isna(newest["fill_rate"])  # a KPI the run did not give stays empty
    assert get_run(1, db)["dataset_fingerprint"] == "f" * 64
    assert get_run(99, db) is None


def test_filters_kind_scenario_since_status_limit(db, tmp_path):
    for i, (name, kind) in enumerate(
        [("demo-base", "plan"), ("demo-late", "plan"), ("shop", "simulate"), ("Demo-x", "sweep")]
    ):
        _record(db, tmp_path / f"r{i}", name=name, kind=kind, objective=float(i))
    assert list_runs(db=db, kind="plan")["name"].tolist() == ["demo-late", "demo-base"]
    assert list_runs(db=db, scenario="demo*")["name"].tolist() == [
        "Demo-x",
        "demo-late",
        "demo-base",
    ]
    assert list_runs(db=db, scenario="demo-?ase")["name"].tolist() == ["demo-base"]
    assert list_runs(db=db, scenario="shop", kind="plan").empty
    # SQL wildcards in a name match themselves
    _record(db, tmp_path / "u", name="demo_100%", objective=1.0)
    assert list_runs(db=db, scenario="demo_100%")["name"].tolist() == ["demo_100%"]
    assert list_runs(db=db, scenario="demo?100*")["name"].tolist() == ["demo_100%"]
    assert list_runs(db=db, scenario="demo_base").empty
    assert len(list_runs(db=db, since="1h")) == 5
    tomorrow = (dt.datetime.now(dt.UTC) + dt.timedelta(days=1)).date().isoformat()
    assert list_runs(db=db, since=tomorrow).empty
    assert list_runs(db=db, limit=2)["id"].tolist() == [5, 4]
    assert len(list_runs(db=db, status="optimal")) == 5 and list_runs(db=db, status="x").empty
    with pytest.raises(InputError, match="--since"):
        list_runs(db=db, since="last tuesday")
    with pytest.raises(InputError, match="unknown run kind"):
        list_runs(db=db, kind="forecast")


def test_history_is_plain_sql(db, tmp_path):
    _record(db, tmp_path / "a", objective=10.0, costs={"shortage": 3.5}, mult=2.0)
    con = duckdb.connect(str(db), read_only=True)
    try:
        row = con.execute(
            "select name, objective, scenario->>'$.costs.shortage_multiplier', "
            "(kpis->>'$.costs.shortage')::double from runs"
        ).fetchone()
        version = con.execute("select value from meta where key='schema_version'").fetchone()
    finally:
        con.close()
    assert row == ("demo", 10.0, "2.0", 3.5)
    assert version == (str(history.SCHEMA_VERSION),)


def test_resolve_run_by_folder_id_latest_and_position(db, tmp_path):
    for x in "abc":
        _record(db, tmp_path / x, objective=1.0)
    assert resolve_run(tmp_path / "b", db) == tmp_path / "b"
    assert resolve_run("1", db) == (tmp_path / "a").resolve()
    assert resolve_run("latest", db) == (tmp_path / "c").resolve()
    assert resolve_run("-1", db) == (tmp_path / "c").resolve()
    assert resolve_run("-3", db) == (tmp_path / "a").resolve()
    for ref, message in [
        ("-4", "not in the history"),
        ("17", "not in the history"),
        ("-0", "run -0"),
    ]:
        with pytest.raises(InputError, match=message) as err:
            resolve_run(ref, db)
        assert err.value.exit_code == 2
    with pytest.raises(InputError, match="not a run folder nor a run id"):
        resolve_run("no/such/folder", db)
    (tmp_path / "b").rmdir()
    with pytest.raises(InputError, match="no longer exists"):
        resolve_run("2", db)


def test_missing_unreadable_foreign_and_newer_histories_are_clear_errors(db, tmp_path):
    with pytest.raises(HistoryError, match="no run history here") as err:
        list_runs(db=db)
    assert err.value.exit_code == 2
    junk = tmp_path / "junk.duckdb"
    junk.write_bytes(b"this is not a database" * 100)
    with pytest.raises(HistoryError, match="cannot open the history"):
        list_runs(db=junk)
    foreign = tmp_path / "foreign.duckdb"
    duckdb.connect(str(foreign)).close()
    with pytest.raises(HistoryError, match="not a planner run history"):
        list_runs(db=foreign)
    _record(db, tmp_path / "a", objective=1.0)
    con = duckdb.connect(str(db))
    con.execute("update meta set value = '99' where key = 'schema_version'")
    con.close()
    with pytest.raises(HistoryError, match="schema version 99"):
        list_runs(db=db)


def test_recording_failure_warns_and_never_raises(tmp_path, monkeypatch):
    monkeypatch.delenv("PLANNER_HISTORY", raising=False)
    junk = tmp_path / "junk.duckdb"
    junk.write_bytes(b"x" * 5000)
    args = dict(scenario={"name": "s"}, fingerprint=None, kpis={}, status="optimal", db=junk)
    with pytest.warns(HistoryWarning, match="not recorded"):
        assert record_run("plan", tmp_path, **args) is None
    seen = []
    assert record_run("plan", tmp_path, warn=seen.append, **args) is None
    assert len(seen) == 1 and str(junk) in seen[0]
    with pytest.raises(HistoryError):
        record_run("plan", tmp_path, strict=True, **args)
    with pytest.raises(ValueError, match="'kind' parameter"):
        record_run("forecast", tmp_path, **args)


def test_environment_variable_sets_or_turns_off_the_history(tmp_path, monkeypatch):
    target = tmp_path / "env.duckdb"
    monkeypatch.setenv("PLANNER_HISTORY", str(target))
    args = dict(scenario={"name": "s"}, fingerprint=None, kpis={}, status="optimal")
    assert record_run("plan", tmp_path, **args) == "1"
    assert list_runs()["id"].tolist() == [1]
    other = tmp_path / "other.duckdb"
    assert record_run("plan", tmp_path, db=other, **args) == "1"  # --db wins over the variable
    assert len(list_runs(db=other)) == 1 and len(list_runs()) == 1
    monkeypatch.setenv("PLANNER_HISTORY", "")
    assert history.history_path() == Path("runs") / "history.duckdb"  # empty = unset
    monkeypatch.setenv("PLANNER_HISTORY", "off")
    assert record_run("plan", tmp_path, **args) is None
    with pytest.raises(HistoryError, match="turned off"):
        list_runs()


def test_flatten_and_plan_kpis():
    assert flatten_kpis({"a": 1, "b": {"c": 2, "d": {"e": 3}}}) == {"a": 1, "b.c": 2, "b.d.e": 3}
    summary = {
        "status": "optimal",
        "objective": 110.0,
        "costs": {"purchase": 100.0, "holding": 5.0, "shortage": 5.0},
        "service": {"fill_rate": 0.95, "cycle_service_level": 0.9},
        "value_of_information": {"vss": 2.0, "evpi": None},
        "bottlenecks": [{"constraint": "supplier_capacity"}],
    }
    orders = pd.DataFrame(
        {
            "order_week": ["2026-01-05", "2026-01-12", "2026-01-12"],
            "quantity": [10.0, 5.0, 2.5],
            "committed": [True, False, "True"],
        }
    )
    kpis = plan_kpis(summary, orders)
    assert kpis["total_cost"] == 110.0
    assert kpis["total_orders"] == 17.5 and kpis["committed_orders"] == 12.5
    assert kpis["orders_this_week"] == 10.0  # the first order week
    summary["plan_weeks"] = ["2026-01-12", "2026-01-19"]
    assert plan_kpis(summary, orders)["orders_this_week"] == 7.5
    assert kpis["order_lines"] == 3 and kpis["bottlenecks"] == 1
    assert kpis["vss"] == 2.0 and "evpi" not in kpis


# ------------------------------------------------------------------ locking between processes

_HOLD = textwrap.dedent(
    """
    import sys, time, duckdb
    con = duckdb.connect(sys.argv[1])
    open(sys.argv[2], "w").write("locked")
    time.sleep(float(sys.argv[3]))
    con.close()
    """
)


def _hold_lock(db: Path, seconds: float, flag: Path) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-c", _HOLD, str(db), str(flag), str(seconds)])
    deadline = time.monotonic() + 30
    while not flag.exists():
        assert proc.poll() is None and time.monotonic() < deadline, "lock holder did not start"
        time.sleep(0.05)
    return proc


def test_a_locked_history_is_waited_for_then_written(db, tmp_path):
    _record(db, tmp_path / "a", objective=1.0)
    holder = _hold_lock(db, 1.0, tmp_path / "flag")
    try:
        # readers and the writer wait for the other process, then succeed
        assert list_runs(db=db)["id"].tolist() == [1]
        assert _record(db, tmp_path / "b", objective=2.0) == "2"
    finally:
        holder.wait(timeout=30)


def test_a_lock_held_too_long_is_reported(db, tmp_path, monkeypatch):
    _record(db, tmp_path / "a", objective=1.0)
    holder = _hold_lock(db, 2.0, tmp_path / "flag")
    monkeypatch.setattr(history.store, "LOCK_TIMEOUT_S", 0.3)
    try:
        with pytest.raises(HistoryError, match="locked by another process") as err:
            list_runs(db=db)
        assert err.value.exit_code == 2
        with pytest.warns(HistoryWarning, match="locked"):
            args = dict(scenario={}, fingerprint=None, kpis={}, status="x", db=db)
            assert record_run("plan", tmp_path, **args) is None
    finally:
        holder.wait(timeout=30)
    assert list_runs(db=db)["id"].tolist() == [1]  # nothing half-written


def _record_many(args):
    db, folder, n = args
    return [
        record_run(
            "sweep",
            Path(folder),
            scenario={"name": f"p{i}"},
            fingerprint=None,
            kpis={"objective": float(i)},
            status="optimal",
            db=Path(db),
            strict=True,
        )
        for i in range(n)
    ]


def test_concurrent_writers_each_get_their_own_id(db, tmp_path):
    jobs = [(str(db), str(tmp_path), 5) for _ in range(3)]
    with ProcessPoolExecutor(max_workers=3) as pool:
        ids = [i for batch in pool.map(_record_many, jobs) for i in batch]
    assert sorted(int(i) for i in ids) == list(range(1, 16))
    assert len(list_runs(db=db, limit=None)) == 15


# ------------------------------------------------------------------ the commands


def _write_scenario(tmp_path: Path) -> Path:
    data = write_minimal_dataset(tmp_path / "data")
    doc = {
        "name": "mini",
        "dataset": str(data),
        "plan": {"horizon_weeks": 5, "frozen_weeks": 1, "value_of_information": False},
        "forecast": {"model": "seasonal_naive", "paths": 40, "scenarios": 6, "seed": 3},
        "solver": {"time_limit_s": 60},
    }
    path = tmp_path / "mini.yaml"
    path.write_text(yaml.safe_dump(doc))
    return path


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def test_plan_records_its_run_and_runs_lists_it(tmp_path, monkeypatch):
    db = tmp_path / "h.duckdb"
    monkeypatch.setenv("PLANNER_HISTORY", str(db))
    scenario = _write_scenario(tmp_path)
    res = invoke("plan", scenario, "--out", tmp_path / "run", "-q")
    assert res.exit_code == 0, res.output
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    orders = pd.read_csv(tmp_path / "run" / "orders.csv")
    row = get_run(1, db)
    assert row["kind"] == "plan" and row["name"] == "mini" and row["status"] == summary["status"]
    assert row["objective"] == pytest.approx(summary["objective"])
    assert row["fill_rate"] == pytest.approx(summary["service"]["fill_rate"])
    assert row["total_orders"] == pytest.approx(orders["quantity"].sum())
    assert row["orders_this_week"] == pytest.approx(orders.loc[orders.committed, "quantity"].sum())
    assert row["scenario"] == summary["scenario"]
    assert row["dataset_fingerprint"] == summary["dataset_fingerprint"]
    assert row["kpis"]["costs"] == summary["costs"]
    assert Path(row["out_dir"]) == (tmp_path / "run").resolve()

    listed = invoke("runs")
    assert listed.exit_code == 0, listed.output
    assert "mini" in listed.output and str((tmp_path / "run").resolve()) in listed.output
    as_json = json.loads(invoke("runs", "--json", "--kind", "plan").output)
    assert [r["id"] for r in as_json] == [1]
    assert as_json[0]["kpis"]["objective"] == summary["objective"]
    assert json.loads(invoke("runs", "--json", "--kind", "sweep").output) == []
    assert "no runs" in invoke("runs", "--scenario", "nothing*").output

    shown = invoke("runs", "--show", "latest")
    assert shown.exit_code == 0, shown.output
    assert shown.output.startswith("run 1: plan mini (optimal)")
    assert f"{summary['service']['fill_rate']:.2%}" in shown.output
    assert "resolved scenario" in shown.output and "horizon_weeks: 5" in shown.output
    shown_json = json.loads(invoke("runs", "--show", "1", "--json").output)
    assert shown_json["scenario"] == summary["scenario"] and shown_json["id"] == 1
    assert invoke("runs", "--show", "-2").exit_code == 2


def test_plan_with_a_broken_history_still_succeeds(tmp_path, monkeypatch):
    junk = tmp_path / "junk.duckdb"
    junk.write_bytes(b"x" * 5000)
    monkeypatch.setenv("PLANNER_HISTORY", str(junk))
    res = invoke("plan", _write_scenario(tmp_path), "--out", tmp_path / "run")
    assert res.exit_code == 0, res.output
    assert "not recorded in the history" in res.output
    assert (tmp_path / "run" / "summary.json").is_file()


def test_runs_command_errors_exit_2(tmp_path, monkeypatch):
    monkeypatch.delenv("PLANNER_HISTORY", raising=False)
    res = invoke("runs", "--db", tmp_path / "none.duckdb")
    assert res.exit_code == 2 and "no run history here" in res.output
    _record(tmp_path / "h.duckdb", tmp_path / "a", objective=1.0)
    res = invoke("runs", "--db", tmp_path / "h.duckdb", "--since", "yesterday-ish")
    assert res.exit_code == 2 and "--since" in res.output
    help_text = invoke("runs", "--help").output
    assert "Example:" in help_text and "--db" in help_text


def test_record_folder_simulate_and_sweep_fill_the_columns(db, tmp_path):
    scenario = {"name": "demo", "forecast": {"seed": 7}}
    sim = tmp_path / "sim"
    sim.mkdir()
    pd.DataFrame(
        {
            "policy": ["base_stock", "stochastic"],
            "total_cost": [120.0, 100.0],
            "fill_rate": [0.9, 0.97],
            "cycle_service_level": [0.8, 0.9],
            "gap_to_oracle": [float("nan"), 0.05],
        }
    ).to_csv(sim / "kpis.csv", index=False)
    (sim / "summary.json").write_text(
        json.dumps(
            {"kind": "simulate", "status": "done", "scenario": scenario, "dataset_fingerprint": "s"}
        )
    )
    sweep = tmp_path / "sweep"
    sweep.mkdir()
    pd.DataFrame(
        {
            "costs.shortage_multiplier": [1.0, 2.0, 4.0],
            "status": ["optimal", "optimal", "infeasible"],
            "objective": [50.0, 40.0, float("nan")],
            "purchase": [45.0, 30.0, float("nan")],
            "shortage": [5.0, 10.0, float("nan")],
            "fill_rate": [0.9, 0.95, float("nan")],
            "total_orders": [10.0, 12.0, float("nan")],
            "bottlenecks": ["", "supplier S1 (0.4)", ""],
            "run_dir": ["p1", "p2", ""],
        }
    ).to_csv(sweep / "sweep.csv", index=False)
    (sweep / "summary.json").write_text(json.dumps({"status": "done", "scenario": scenario}))

    assert history.record_folder(sim, db=db) == "1"
    assert history.record_folder(sweep, db=db) == "2"
    s, w = get_run(1, db), get_run(2, db)
    assert (s["kind"], s["status"], s["dataset_fingerprint"]) == ("simulate", "done", "s")
    assert (s["total_cost"], s["fill_rate"], s["cycle_service_level"]) == (100.0, 0.97, 0.9)
    assert pd.isna(s["objective"])
    assert s["kpis"]["policies"]["base_stock"]["gap_to_oracle"] is None
    assert w["kind"] == "sweep" and w["scenario"] == scenario
    # the cheapest planned point fills the columns
    assert (w["objective"], w["total_cost"], w["fill_rate"], w["total_orders"]) == (
        40.0,
        40.0,
        0.95,
        12.0,
    )
    assert w["kpis"]["best_point"] == {"costs.shortage_multiplier": 2.0}
    assert w["kpis"]["statuses"] == {"optimal": 2, "infeasible": 1}
    with pytest.warns(HistoryWarning, match="not a plan, simulate or sweep"):
        assert history.record_folder(tmp_path, db=db) is None


def test_runs_record_option_adds_folders(tmp_path, monkeypatch):
    monkeypatch.delenv("PLANNER_HISTORY", raising=False)
    folder = tmp_path / "old"
    folder.mkdir()
    pd.DataFrame({"policy": ["stochastic"], "total_cost": [5.0], "fill_rate": [0.5]}).to_csv(
        folder / "kpis.csv", index=False
    )
    db = tmp_path / "h.duckdb"
    res = invoke("runs", "--record", folder, "--db", db)
    assert res.exit_code == 0, res.output
    assert "recorded" in res.output and "simulate" in res.output
    assert list_runs(db=db)["fill_rate"].tolist() == [0.5]
    res = invoke("runs", "--record", tmp_path / "nothing", "--db", db)
    assert res.exit_code == 2 and "run folder not found" in res.output
