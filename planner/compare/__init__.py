"""Compare finished runs: KPIs side by side, scenario differences, order differences.

from planner.compare import compare_runs, format_comparison, write_comparison
cmp = compare_runs(["runs/base", "runs/short2"])   # the first run is the base
print(format_comparison(cmp))
write_comparison(cmp, "runs/compare")               # compare.csv and the other tables
"""

from planner.compare.comparison import Comparison, compare_runs, kpi_table, write_comparison
from planner.compare.render import format_comparison
from planner.compare.runs import RunFolder, load_run, run_kind

__all__ = [
    "Comparison",
    "RunFolder",
    "compare_runs",
    "format_comparison",
    "kpi_table",
    "load_run",
    "run_kind",
    "write_comparison",
]
