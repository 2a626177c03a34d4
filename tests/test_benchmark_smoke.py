"""Smoke run of the smallest benchmark case, so the benchmarks never rot."""

import json

import pytest

from benchmarks import run


def test_tiny_benchmark_runs_and_objectives_agree(tmp_path, capsys):
    out = tmp_path / "bench.json"
    assert run.main(["--size", "tiny", "--json", str(out)]) == 0
    res = json.loads(out.read_text())["cases"][0]
    assert res["agree"] and res["objective_rel_diff"] <= 1e-6
    for path in ("pyomo", "reference"):
        for stage in ("build", "handover", "solve"):
            assert res[path][stage] >= 0
    assert "tiny" in capsys.readouterr().out


def test_tiny_build_only_runs_and_both_backends_hand_over_the_same_lp(tmp_path):
    out = tmp_path / "build.json"
    assert run.main(["--size", "tiny", "--build-only", "--json", str(out)]) == 0
    res = json.loads(out.read_text())["cases"][0]
    assert res["backend"] == "matrix" and res["build_only"]
    assert res["pyomo"]["status"] == res["reference"]["status"] == "not solved"
    assert res["ratios"]["build_plus_handover"] > 0
    # the same LP on every side: same number of columns and rows
    environ = run.measure_pyomo("tiny", 60.0, build_only=True, backend="environ")
    for m in (res["pyomo"], environ):
        assert m["variables"] == res["reference"]["variables"]
        assert m["constraints"] == res["reference"]["constraints"]


def test_every_build_path_hands_over_the_same_lp():
    from benchmarks import build_paths

    ref = build_paths.measure("reference", "tiny", solve=True)
    assert ref["status"] == "Optimal"
    for path in build_paths.PATHS:
        r = build_paths.measure(path, "tiny", solve=True)
        assert r["status"] == "Optimal", path
        assert r["objective"] == pytest.approx(ref["objective"], rel=1e-9), path
        assert (r["variables"], r["constraints"]) == (ref["variables"], ref["constraints"]), path
        assert r["build"] >= 0 and r["handover"] >= 0
