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
