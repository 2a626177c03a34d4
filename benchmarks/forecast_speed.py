"""Speed of `auto` forecasting on generated weekly retail panels (accuracy lives apart, in
benchmarks/forecast/).

    python benchmarks/forecast_speed.py [--series 120 1000] [--horizon 12] [--jobs 2]
                                        [--paths 500] [--global-models] [--json FILE]

For each panel size: seeded weekly series of 156 weeks plus `horizon` held-out weeks
(`benchmarks.forecast.data.weekly_retail_series`: fast, medium and slow intermittent movers,
trend, yearly seasonality, promotions, negative binomial noise), then `forecast_panel` with
model "auto", calibration and joint paths, timed end to end. `--global-models` registers the
machine-learning (and, when torch is installed, deep) panel models first, so every model takes
part in the selection. Reported: seconds, seconds per series, the models chosen, and the
coverage of the 80% and 95% intervals on the held-out weeks.
"""

from __future__ import annotations

import argparse
import collections
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.forecast.data import weekly_retail_series  # noqa: E402
from planner.forecast import forecast_panel, model_names  # noqa: E402

LEVELS = (0.025, 0.1, 0.5, 0.9, 0.975)
HISTORY = 156


def register_global_models() -> list[str]:
    """Import the panel-model modules that exist, so that they register themselves."""
    import importlib

    for module in ("planner.forecast.ml", "planner.forecast.deep"):
        try:
            importlib.import_module(module)
        except ImportError as exc:
            print(f"note: {module} not available ({exc})")
    return model_names()


def run_case(n: int, horizon: int, jobs: int, paths: int, seed: int = 1) -> dict:
    ids, values = weekly_retail_series(n, HISTORY + horizon, seed=seed)
    train = [np.asarray(v[:HISTORY], dtype=np.float64) for v in values]
    test = np.asarray([v[HISTORY:] for v in values], dtype=np.float64)
    start = time.perf_counter()
    fc = forecast_panel(
        train, ids, horizon, n_jobs=jobs, n_paths=paths, seed=0, quantile_levels=LEVELS
    )
    seconds = time.perf_counter() - start
    q = fc.quantiles
    return {
        "series": n,
        "horizon": horizon,
        "jobs": jobs,
        "paths": paths,
        "seconds": round(seconds, 2),
        "ms_per_series": round(1000 * seconds / n, 1),
        "coverage_80": round(float(np.mean((test >= q[:, 1]) & (test <= q[:, 3]))), 4),
        "coverage_95": round(float(np.mean((test >= q[:, 0]) & (test <= q[:, 4]))), 4),
        "models": dict(collections.Counter(fc.model).most_common(8)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--series", type=int, nargs="+", default=[120, 1000])
    parser.add_argument("--horizon", type=int, default=12)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--paths", type=int, default=500)
    parser.add_argument("--global-models", action="store_true")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    names = register_global_models() if args.global_models else model_names()
    print("candidate models:", ", ".join(names))
    results = []
    for n in args.series:
        result = run_case(n, args.horizon, args.jobs, args.paths)
        results.append(result)
        print(
            f"{n:>6} series  {result['seconds']:>7.1f} s  ({result['ms_per_series']} ms/series)  "
            f"coverage 80% {100 * result['coverage_80']:.1f}  95% {100 * result['coverage_95']:.1f}"
        )
        print("        chosen:", result["models"])
    if args.json is not None:
        args.json.write_text(json.dumps({"models": names, "cases": results}, indent=2))


if __name__ == "__main__":
    main()
