"""Smoke run of the smallest benchmark case, so the benchmarks never rot."""

import json

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


def test_tiny_build_only_runs_for_both_backends(tmp_path):
    for backend in ("matrix", "environ"):
        out = tmp_path / f"build-{backend}.json"
        args = ["--size", "tiny", "--build-only", "--backend", backend, "--json", str(out)]
        assert run.main(args) == 0
        res = json.loads(out.read_text())["cases"][0]
        assert res["backend"] == backend and res["build_only"]
        assert res["pyomo"]["status"] == res["reference"]["status"] == "not solved"
        # the same LP on both sides: same number of columns and rows
        assert res["pyomo"]["variables"] == res["reference"]["variables"]
        assert res["pyomo"]["constraints"] == res["reference"]["constraints"]
        assert res["ratios"]["build_plus_handover"] > 0
