"""Speed of `planner sweep`: a grid of cost multipliers on the demo, three ways, in one run.

    python benchmarks/sweep.py [--scenario scenarios/demo.yaml] [--workers 2] [--separate 20]
                               [--vary KEY=V1,V2,... ...] [--set KEY=VALUE ...]
                               [--md benchmarks/results/sweep.md] [--json FILE]

1. parallel: `sweep_scenario` on a local Dask cluster (`--workers`, default one per core),
   forecasts and scenarios computed once and reused by every point;
2. one after another: the same points with `n_workers=1` (same reuse, no parallelism);
3. separate calls: one `planner plan SCENARIO --set ...` process per point (each loads,
   forecasts and plans from scratch), for the first `--separate` points (all by default).

Reported: wall-clock seconds of each, the ratios parallel vs one-after-another and parallel vs
separate calls (per point when fewer separate calls are run), the peak memory (RSS) of the
process tree, and the largest objective difference between the three ways (they plan the same
points, so it should be 0 up to the 4 decimals written). Every variant gets the same
`--set` (default: plan.value_of_information=false, so that each point is one solve).
Stops when a point has no optimal plan. To measure a committed state while the working tree
changes, run it from `git archive HEAD | tar -x -C SNAP` with `PYTHONPATH=SNAP`.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from planner.config import load_scenario  # noqa: E402
from planner.parallel import available_cores  # noqa: E402
from planner.sweep import parse_vary, sweep_scenario  # noqa: E402

DEFAULT_VARY = ["costs.shortage_multiplier=0.5,1,2,4,8", "costs.holding_multiplier=0.5,1,1.5,2"]
DEFAULT_SET = ["plan.value_of_information=false"]


class PeakMemory:
    """Peak resident memory and CPU seconds (user + system, each process's last sample) of this
    process and all its descendants, sampled every 0.5 s."""

    def __init__(self):
        self.peak = 0
        self._cpu: dict[int, float] = {}
        self._start: dict[int, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    @property
    def cpu_seconds(self) -> float:
        return sum(v - self._start.get(pid, 0.0) for pid, v in self._cpu.items())

    def _sample(self, first: bool = False) -> None:
        import psutil

        me = psutil.Process()
        total = 0
        for p in [me, *me.children(recursive=True)]:
            try:
                total += p.memory_info().rss
                t = p.cpu_times()
            except psutil.Error:
                continue
            used = t.user + t.system
            if first:
                self._start[p.pid] = used
            self._cpu[p.pid] = max(self._cpu.get(p.pid, 0.0), used)
        self.peak = max(self.peak, total)

    def _run(self) -> None:
        while not self._stop.wait(0.5):
            self._sample()

    def __enter__(self) -> PeakMemory:
        self._sample(first=True)  # what processes alive now used before is not counted
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self._sample()


def planner_cli() -> str:
    here = Path(sys.executable).parent / "planner"
    found = str(here) if here.is_file() else shutil.which("planner")
    if not found:
        raise SystemExit("the `planner` command is not installed (pip install -e .)")
    return found


def separate_calls(scenario: Path, sets: list[str], points: list[dict], out: Path) -> list[float]:
    """One `planner plan` process per point; the objectives from their summary.json."""
    cli = planner_cli()
    objectives = []
    for k, values in enumerate(points, start=1):
        args = [cli, "plan", str(scenario), "--quiet", "--out", str(out / f"{k:03d}")]
        for s in [*sets, *(f"{key}={value}" for key, value in values.items())]:
            args += ["--set", s]
        subprocess.run(args, check=True)
        summary = json.loads((out / f"{k:03d}" / "summary.json").read_text())
        objectives.append(float(summary["objective"]))
    return objectives


def run(args: argparse.Namespace) -> dict:
    scenario = Path(args.scenario)
    sets = args.set if args.set is not None else DEFAULT_SET
    vary = parse_vary(args.vary or DEFAULT_VARY)
    keys = list(vary)
    points = [dict(zip(keys, combo, strict=True)) for combo in itertools.product(*vary.values())]
    base, _ = load_scenario(scenario, sets)
    workers = args.workers or available_cores()
    load0 = os.getloadavg()[0]
    work = Path(tempfile.mkdtemp(prefix="sweep-bench-"))
    try:
        with PeakMemory() as mem_par:
            t = time.perf_counter()
            par = sweep_scenario(base, vary, n_workers=workers, out=work / "parallel")
            t_par = time.perf_counter() - t
        with PeakMemory() as mem_seq:
            t = time.perf_counter()
            seq = sweep_scenario(base, vary, n_workers=1, out=work / "sequential")
            t_seq = time.perf_counter() - t
        n_sep = len(points) if args.separate is None else min(args.separate, len(points))
        with PeakMemory() as mem_sep:
            t = time.perf_counter()
            sep_obj = separate_calls(scenario, sets, points[:n_sep], work / "separate")
            t_sep = time.perf_counter() - t
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    a, b = par.table(), seq.table()
    for name, t in (("parallel", a), ("one after another", b)):
        bad = t[t["status"] != "optimal"]
        if not bad.empty:  # a broken build or an infeasible point is not a speed measurement
            raise SystemExit(f"{name}: {len(bad)} point(s) without an optimal plan: {bad}")
    diff_par_seq = float((a["objective"] - b["objective"]).abs().max())
    diff_sep = max(
        (abs(x - y) for x, y in zip(sep_obj, b["objective"].iloc[:n_sep], strict=True)),
        default=0.0,
    )
    n = len(points)
    per_sep = t_sep / n_sep if n_sep else float("nan")
    return {
        "scenario": str(scenario),
        "set": sets,
        "vary": vary,
        "points": n,
        "statuses": a["status"].value_counts().to_dict(),
        "demand_groups": par.demand_groups,
        "workers": par.workers,
        "cores": available_cores(),
        "seconds": {
            "parallel": round(t_par, 1),
            "one_after_another": round(t_seq, 1),
            "separate_calls_measured": round(t_sep, 1),
            "separate_calls_measured_n": n_sep,
            "separate_calls_for_all_points": round(per_sep * n, 1),
            "forecast_once": round(sum(par.forecast_seconds.values()), 1),
        },
        "ratios": {
            "one_after_another_over_parallel": round(t_seq / t_par, 2),
            "separate_calls_over_parallel": round(per_sep * n / t_par, 2),
        },
        "peak_rss_gb": {
            "parallel": round(mem_par.peak / 1e9, 2),
            "one_after_another": round(mem_seq.peak / 1e9, 2),
        },
        "max_objective_difference": {
            "parallel_vs_one_after_another": diff_par_seq,
            "separate_calls_vs_sweep": round(diff_sep, 4),
        },
        "cpu_seconds": {
            "parallel": round(mem_par.cpu_seconds, 1),
            "one_after_another": round(mem_seq.cpu_seconds, 1),
            "separate_calls_measured": round(mem_sep.cpu_seconds, 1),
        },
        "load_average_1min": {"start": round(load0, 1), "end": round(os.getloadavg()[0], 1)},
        "sched_autogroup": _autogroup(),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}",
    }


def _autogroup() -> str:
    try:
        on = Path("/proc/sys/kernel/sched_autogroup_enabled").read_text().strip() == "1"
    except OSError:
        return "unknown"
    return "on" if on else "off"


def markdown(r: dict) -> str:
    s, q, c = r["seconds"], r["ratios"], r.get("cpu_seconds", {})
    n, m = r["points"], s["separate_calls_measured_n"]
    sep_note = (
        "" if m == n else f" (measured {m} calls: {s['separate_calls_measured']} s; x{n}/{m})"
    )
    grid = " x ".join(f"`{k}` = {', '.join(map(str, v))}" for k, v in r["vary"].items())
    return f"""# `planner sweep` speed

Scenario `{r["scenario"]}` with `--set {" ".join(r["set"])}`, a grid of {n} points: {grid}.
{r["demand_groups"]} demand group(s): the forecast and the demand scenarios are computed once.
Machine: {r["machine"]}, {r["cores"]} cores available; 1-minute load average
{r["load_average_1min"]["start"]} at the start, {r["load_average_1min"]["end"]} at the end (other
jobs make absolute times noisy); the three ways ran one after another in the same run.

| way | wall clock (s) | ratio to the parallel sweep | CPU seconds (process tree) |
|---|---:|---:|---:|
| `sweep_scenario`, local Dask cluster, {r["workers"]} workers | {s["parallel"]} | 1.00 | {c["parallel"]} |
| the same points one after another (`--workers 1`, forecast reused) | {s["one_after_another"]} | {q["one_after_another_over_parallel"]} | {c["one_after_another"]} |
| {n} separate `planner plan` calls{sep_note} | {s["separate_calls_for_all_points"]} | {q["separate_calls_over_parallel"]} | {c["separate_calls_measured"]} for {m} calls |

Linux autogroup scheduling is {r["sched_autogroup"]}: with it on, the CPU is shared per session,
not per process, so on a machine saturated by other sessions the workers of one sweep share
the CPU that one process would get and parallelism cannot show in wall-clock time.

Targets: parallel at least 1.6 x faster than one after another
(measured **{q["one_after_another_over_parallel"]} x**), at least 3 x faster than separate calls
(measured **{q["separate_calls_over_parallel"]} x**).

Forecast and scenarios, once: {s["forecast_once"]} s. Peak memory of the process tree:
{r["peak_rss_gb"]["parallel"]} GB parallel, {r["peak_rss_gb"]["one_after_another"]} GB one after
another. Largest objective difference: parallel vs one after another
{r["max_objective_difference"]["parallel_vs_one_after_another"]}, separate calls vs the sweep
{r["max_objective_difference"]["separate_calls_vs_sweep"]} (the same plans).

Reproduce: `python benchmarks/sweep.py --md benchmarks/results/sweep.md`.
"""


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scenario", default=str(ROOT / "scenarios" / "demo.yaml"))
    parser.add_argument("--vary", action="append", default=None, metavar="KEY=V1,V2,...")
    parser.add_argument("--set", action="append", default=None, metavar="KEY=VALUE")
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--separate", type=int, default=None, help="separate calls measured")
    parser.add_argument("--md", type=Path, default=None, help="write the markdown table here")
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--keep", action="store_true", help="keep the run folders")
    args = parser.parse_args(argv)
    result = run(args)
    text = markdown(result)
    print(text)
    if args.md:
        args.md.write_text(text)
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()
