"""Closed-loop replay: do the plans cost less than the old way, on the planner's own history?

engine.py     simulated stock, pipeline and costs, one realised week at a time
forecasts.py  what the policies know each week (the history cut before it)
truth.py      the demand a replay is scored on (demand_true beside the sales)
policies.py   the model policies (stochastic, deterministic) and fixed schedules
baselines.py  base_stock and sS on the same forecasts; lots.py makes their orders feasible
oracle.py     perfect foresight over the window: the lower bound
synthetic.py  a known demand generator for replications
kpis.py       the KPI table; plots.py the pictures; api.py the library call
"""

from planner.simulate.api import (
    SimulationResult,
    simulate_scenario,
    summary_dict,
    target_check,
    write_simulation,
)
from planner.simulate.engine import Decision, Network, SimState, Trace, initial_state, run_policy
from planner.simulate.forecasts import WeekForecast, rebuild_scenarios
from planner.simulate.kpis import format_kpis, kpi_table, trace_kpis
from planner.simulate.policies import POLICIES

__all__ = [
    "POLICIES",
    "Decision",
    "Network",
    "SimState",
    "SimulationResult",
    "Trace",
    "WeekForecast",
    "format_kpis",
    "initial_state",
    "kpi_table",
    "rebuild_scenarios",
    "run_policy",
    "simulate_scenario",
    "summary_dict",
    "target_check",
    "trace_kpis",
    "write_simulation",
]
