"""`planner sweep`: the contracted folder, a local Dask cluster agreeing with a run in this
process, usage errors (exit 2), all points infeasible (exit 3), Ctrl-C and --resume."""

from __future__ import annotations

import json
import shlex
from pathlib import Path

import pandas as pd
import pytest
import yaml
from click.testing import CliRunner
from sweepkit import DESIGN_OUTCOME

from planner.cli import main
from planner.config import load_scenario
from planner.data.testing import write_minimal_dataset
from planner.sweep import sweep_scenario


@pytest.fixture(scope="module")
def mini(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("sweepcli")
    doc = {
        "name": "mini",
        "dataset": str(write_minimal_dataset(folder / "data")),
        "plan": {"horizon_weeks": 6, "value_of_information": False},
        "forecast": {"model": "seasonal_naive", "paths": 60, "scenarios": 8, "seed": 3},
    }
    path = folder / "mini.yaml"
    path.write_text(yaml.safe_dump(doc))
    return path


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def test_sweep_on_a_local_cluster_writes_the_contracted_folder(mini, tmp_path):
    out = tmp_path / "sweep"
    vary = ["costs.shortage_multiplier=0.5,2", "forecast.scenarios=4,8"]
    res = invoke(
        "sweep", mini, "--vary", vary[0], "--vary", vary[1], "--tornado", "0.8,1.2",
        "--workers", "2", "--out", out,
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    table = pd.read_csv(out / "sweep.csv")
    assert list(table.columns) == [
        "costs.shortage_multiplier",
        "forecast.scenarios",
        "costs.holding_multiplier",
        "costs.logistics_multiplier",
        "lead_time.S1.add_weeks",
        "lead_time.S2.add_weeks",
        *DESIGN_OUTCOME,
    ]
    assert len(table) == 4 + 1 + 10  # grid + tornado base and moves (none duplicated here)
    assert (table["status"] == "optimal").all()
    for name in ("tornado.csv", "tornado.png", "cost_curves.png", "summary.json", "report.html"):
        assert (out / name).is_file(), name
    summary = json.loads((out / "summary.json").read_text())
    assert summary["kind"] == "sweep" and summary["workers"] == 2
    assert summary["demand_groups"] == 2
    for run_dir in table["run_dir"]:
        assert Path(run_dir).parent == (out / "points").resolve()
        assert json.loads((Path(run_dir) / "summary.json").read_text())["status"] == "optimal"
    assert "15 of 15 points planned" in res.output
    assert "tornado (expected cost" in res.output

    # the same points planned in this process, one after another, give the same table
    base, _ = load_scenario(mini)
    alone = sweep_scenario(base, vary, "0.8,1.2", n_workers=1).table()
    cols = [c for c in table.columns if c not in ("run_dir", "bottlenecks")]
    pd.testing.assert_frame_equal(table[cols], alone[cols], check_dtype=False, atol=1e-9)


@pytest.mark.parametrize(
    "args, needle",
    [
        ([], "nothing to vary"),
        (["--vary", "costs.shortage_multipler=1,2"], "costs.shortage_multiplier"),
        (["--vary", "costs.shortage_multiplier=1,2", "--set", "costs.shortage_multiplier=3"],
         "both --set and --vary"),
        (["--tornado", "1.2,0.8"], "0 < low < 1 < high"),
        (["--vary", "costs.shortage_multiplier"], "key.path=v1,v2"),
    ],
)  # fmt: skip
def test_usage_errors_exit_2_and_say_how_to_fix(mini, tmp_path, args, needle):
    res = invoke("sweep", mini, "--out", tmp_path / "s", *args)
    assert res.exit_code == 2, res.output
    assert needle in res.output
    assert not (tmp_path / "s" / "sweep.csv").exists()


def test_resume_into_a_folder_that_is_not_a_sweep_exits_2(mini, tmp_path):
    (tmp_path / "other").mkdir()
    res = invoke("sweep", mini, "--vary", "costs.shortage_multiplier=1,2", "--resume",
                 tmp_path / "other")  # fmt: skip
    assert res.exit_code == 2 and "not a sweep folder" in res.output


def test_no_point_with_a_plan_exits_3(mini, tmp_path):
    outage = "whatif=[{kind: supplier_outage, supplier: S1, weeks: [1, 6]}]"
    res = invoke("sweep", mini, "--set", outage, "--vary", "risk.service_level=0.99,0.995",
                 "--workers", "1", "--out", tmp_path / "s")  # fmt: skip
    assert res.exit_code == 3, res.output
    table = pd.read_csv(tmp_path / "s" / "sweep.csv")
    assert list(table["status"]) == ["infeasible", "infeasible"]
    assert "service_level" in res.output  # the diagnosis of each point is shown


def test_ctrl_c_keeps_finished_points_and_the_printed_command_resumes(mini, tmp_path, monkeypatch):
    import planner.sweep.runner as runner

    original = runner.plan_from_demand
    calls = []

    def interrupted_on_the_third(*a, **k):
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return original(*a, **k)

    monkeypatch.setattr(runner, "plan_from_demand", interrupted_on_the_third)
    out = tmp_path / "sweep"
    res = invoke("sweep", mini, "--vary", "costs.shortage_multiplier=0.5,1,2,4", "--workers", "1",
                 "--out", out)  # fmt: skip
    assert res.exit_code == 130, res.output
    assert "interrupted: 2 of 4 points finished" in res.output
    kept = pd.read_csv(out / "sweep.csv")
    assert list(kept["status"]) == ["optimal", "optimal", "pending", "pending"]
    command = res.output.split("resume with:")[1].strip().splitlines()[0]
    argv = shlex.split(command)
    assert argv[:2] == ["planner", "sweep"] and argv[-2:] == ["--resume", str(out)]

    monkeypatch.setattr(runner, "plan_from_demand", original)
    again = CliRunner().invoke(main, argv[1:])
    assert again.exit_code == 0, again.output
    assert "2 point(s) kept from the interrupted run" in again.output
    done = pd.read_csv(out / "sweep.csv")
    assert (done["status"] == "optimal").all()
    assert list(done["objective"].iloc[:2]) == list(kept["objective"].iloc[:2])
    assert json.loads((out / "summary.json").read_text())["resumed_points"] == 2
