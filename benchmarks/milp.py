"""Lot-sizing MILP benchmark: the benchmark cases with fixed order costs, MOQs and order
multiples on every lane, solved by HiGHS under a time limit and MIP gap.

    python benchmarks/milp.py --size small|medium [--time-limit S] [--mip-gap G] [--integer-recourse]

Reports build, hand-over and solve seconds, the solver status, the MIP gap reached and peak
memory. With the default (committed orders integer, later weeks relaxed) and with
--integer-recourse (integer in every scenario).
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.cases import CASES  # noqa: E402


def lot_case(name: str, integer_recourse: bool):
    data = CASES[name].model_data()
    nl = data.n_lanes
    rng = np.random.default_rng(1)
    weekly = data.demand.mean(axis=(0, 2))[data.lane_series]
    return replace(
        data,
        fixed_order_cost=np.round(rng.uniform(20, 150, nl)),
        moq=np.round(2 * weekly),
        order_multiple=rng.choice([0.0, 6.0, 12.0], nl),
        integer_recourse=integer_recourse,
    )


def measure(name: str, time_limit: float, mip_gap: float, integer_recourse: bool) -> dict:
    from planner.model.build import build_model
    from planner.solve import SolverOptions, solve_model

    t0 = time.perf_counter()
    data = lot_case(name, integer_recourse)
    t1 = time.perf_counter()
    model, _ = build_model(data)
    t2 = time.perf_counter()
    res = solve_model(model, SolverOptions(time_limit_s=time_limit, mip_gap=mip_gap))
    return {
        "case": name,
        "integer_recourse": integer_recourse,
        "variables": res.n_variables,
        "integers": res.n_integers,
        "data": t1 - t0,
        "build": t2 - t1,
        "handover": res.timings["compile"] + res.timings["handover"],
        "solve": res.seconds,
        "status": res.status.value,
        "objective": res.objective,
        "gap": res.gap,
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
    }


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--size", default="small")
    ap.add_argument("--time-limit", type=float, default=600.0)
    ap.add_argument("--mip-gap", type=float, default=0.01)
    ap.add_argument("--integer-recourse", action="store_true")
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args(argv)
    row = measure(args.size, args.time_limit, args.mip_gap, args.integer_recourse)
    print(
        f"{row['case']:<8} integer_recourse={row['integer_recourse']!s:<5} vars {row['variables']:>10,} "
        f"ints {row['integers']:>8,} build {row['build']:7.1f}s handover {row['handover']:7.1f}s "
        f"solve {row['solve']:7.1f}s {row['status']:<24} gap {row['gap']:.2%} peak {row['peak_mb']:.0f} MB"
    )
    out = (
        args.json
        or ROOT
        / "benchmarks"
        / "results"
        / f"milp-{args.size}{'-ir' if args.integer_recourse else ''}.json"
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(row, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
