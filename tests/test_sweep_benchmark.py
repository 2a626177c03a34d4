"""benchmarks/sweep.py on the minimal dataset: the three ways plan the same points (so the
benchmark cannot rot), and its report names every figure."""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

from planner.data.testing import write_minimal_dataset

ROOT = Path(__file__).resolve().parents[1]


def test_sweep_benchmark_smoke(tmp_path):
    sys.path.insert(0, str(ROOT))
    try:
        from benchmarks.sweep import main
    finally:
        sys.path.remove(str(ROOT))
    doc = {
        "name": "mini",
        "dataset": str(write_minimal_dataset(tmp_path / "data")),
        "plan": {"horizon_weeks": 4},
        "forecast": {"model": "seasonal_naive", "paths": 40, "scenarios": 5, "seed": 1},
    }
    scenario = tmp_path / "mini.yaml"
    scenario.write_text(yaml.safe_dump(doc))
    md = tmp_path / "sweep.md"
    result = main(
        [
            "--scenario", str(scenario),
            "--vary", "costs.shortage_multiplier=1,2",
            "--workers", "1",
            "--separate", "1",
            "--md", str(md),
        ]
    )  # fmt: skip
    assert result["points"] == 2 and result["statuses"] == {"optimal": 2}
    assert result["max_objective_difference"]["parallel_vs_one_after_another"] == 0
    assert result["max_objective_difference"]["separate_calls_vs_sweep"] <= 1e-4
    assert result["seconds"]["separate_calls_measured_n"] == 1
    assert result["cpu_seconds"]["one_after_another"] > 0
    text = md.read_text()
    for needle in ("wall clock", "CPU seconds", "separate `planner plan` calls", "shared"):
        assert needle in text
