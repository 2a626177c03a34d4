"""Cost sensitivity: one plan per point of a grid or a tornado, in parallel, side by side.

    from planner.config import load_scenario
    from planner.sweep import sweep_scenario, write_sweep

    base, log = load_scenario("scenarios/demo.yaml")
    result = sweep_scenario(base, vary={"costs.shortage_multiplier": [0.5, 1, 2, 4]})
    write_sweep(result, Path("runs/demo-sweep"))

Modules: `grid` (parsing --vary/--tornado, the points and their scenarios), `runner` (demand
groups, Dask tasks), `table` (sweep.csv and tornado.csv rows), `plots` (tornado chart, cost
curves), `api` (sweep_scenario, write_sweep, resuming).
"""

from planner.sweep.api import (
    SweepInterrupted,
    SweepResult,
    plan_points,
    summary_dict,
    sweep_scenario,
    write_sweep,
)
from planner.sweep.grid import SweepPoint, lead_time_shift, parse_tornado, parse_vary

__all__ = [
    "SweepInterrupted",
    "SweepPoint",
    "SweepResult",
    "lead_time_shift",
    "parse_tornado",
    "parse_vary",
    "plan_points",
    "summary_dict",
    "sweep_scenario",
    "write_sweep",
]
