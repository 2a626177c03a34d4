"""Solution methods on the benchmark cases: extensive form, decomposed, dantzig-wolfe, benders,
ph, mpisppy-ph.

    python -m benchmarks.methods --cases small,medium --methods extensive,decomposed,benders,ph
    python -m benchmarks.methods --render          # tables from earlier runs' JSON

Every (case, variant, method) runs in its own subprocess (fresh memory, no shared caches), so
peak memory is that run's own: the resident memory of the process and its workers, summed and
sampled every 0.2 s. Variants: `coupled` is the case as registered (warehouse and supplier
capacities couple the SKUs); `uncoupled` removes the capacities, so every series is an
independent group and `decomposed` applies. Both commit every order of the horizon
(`plan.frozen_weeks` = weeks: all orders first stage, stock and lost sales per scenario), the
formulation of issue 8 (medium 3.07 million variables, large 26.7 million); a `-rolling`
suffix (`coupled-rolling`, `uncoupled-rolling`) commits only this week's orders and lets later
orders adapt per scenario (the product's default, frozen_weeks = 1: medium 6.0 million). For each variant, the extensive form's objective
(when it finishes) is the reference: gap = (method - extensive) / |extensive|, speed-up =
extensive total / method total, both measured in the same run. Results are appended to
benchmarks/results/methods.json and rendered to benchmarks/results/methods.md.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

RESULTS = Path(__file__).parent / "results"
JSON_PATH = RESULTS / "methods.json"
MD_PATH = RESULTS / "methods.md"
METHODS = ("extensive", "decomposed", "dantzig-wolfe", "benders", "ph", "mpisppy-ph")


class PeakMemory:
    """Peak resident memory of this process and its children (summed), sampled in a thread."""

    def __init__(self, interval: float = 0.2):
        import psutil

        self.proc = psutil.Process()
        self.interval = interval
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _sample(self) -> int:
        total = 0
        for p in [self.proc, *self.proc.children(recursive=True)]:
            try:
                total += p.memory_info().rss
            except Exception:  # a worker that just exited
                pass
        return total

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self._sample())
            self._stop.wait(self.interval)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self._sample())


def case_data(case: str, variant: str):
    from benchmarks.cases import CASES
    from planner.model.synthetic import synthetic_model_data

    c = CASES[case]
    coupling, _, rolling = variant.partition("-")
    if coupling not in ("coupled", "uncoupled") or rolling not in ("", "rolling"):
        raise SystemExit(f"unknown variant {variant!r}: (un)coupled[-rolling]")
    return synthetic_model_data(
        c.skus,
        c.warehouses,
        c.suppliers,
        c.weeks,
        c.scenarios,
        seed=c.seed,
        capacities=coupling == "coupled",
        frozen_weeks=1 if rolling else c.weeks,
    )


def run_one(case: str, variant: str, method: str, time_limit: float, workers: int, tol: float):
    """One measurement (in this process); returns a JSON-able dict."""
    from planner.decompose.dispatch import MethodOptions, solve_data
    from planner.results import summarise
    from planner.solve import SolverOptions

    t0 = time.perf_counter()
    data = case_data(case, variant)
    t_data = time.perf_counter() - t0
    options = SolverOptions(time_limit_s=time_limit, mip_gap=1e-4)
    mo = MethodOptions(method=method, tolerance=tol, workers=workers, max_iterations=10_000)
    with PeakMemory() as mem:
        t1 = time.perf_counter()
        model, lay, res, info = solve_data(data, options, mo)
        total = time.perf_counter() - t1
        ok = res.status.has_solution
        if ok:
            summarise(model, data, lay, res)  # the cost check holds on every method's plan
    build = info.get("build_s", res.timings.get("compile", 0.0))
    return {
        "case": case,
        "variant": variant,
        "method": info["method"],
        "requested": method,
        "status": res.status.value,
        "objective": res.objective if ok else None,
        "build_s": build,
        "solve_s": total - build,
        "total_s": total,
        "data_s": t_data,
        "peak_gb": mem.peak / 1e9,
        "bound_gap": info.get(
            "gap", 0.0 if info["method"] in ("extensive", "decomposed") else None
        ),
        "iterations": info.get("iterations"),
        "groups": info.get("groups"),
        "workers": info.get("workers", 1),
        "variables": res.n_variables,
        "time_limit_s": time_limit,
        "tolerance": tol,
        "when": time.strftime("%Y-%m-%d %H:%M:%S"),
    }


def run_subprocess(case, variant, method, time_limit, workers, tol, wall) -> dict:
    cmd = [
        sys.executable,
        "-m",
        "benchmarks.methods",
        "--one",
        f"{case}:{variant}:{method}",
        "--time-limit",
        str(time_limit),
        "--workers",
        str(workers),
        "--tolerance",
        str(tol),
    ]
    t0 = time.perf_counter()
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=wall, check=False)
    except subprocess.TimeoutExpired:
        return {
            "case": case,
            "variant": variant,
            "method": method,
            "requested": method,
            "status": f"killed after {wall:.0f} s",
            "total_s": time.perf_counter() - t0,
            "when": time.strftime("%Y-%m-%d %H:%M:%S"),
        }
    lines = [ln for ln in out.stdout.splitlines() if ln.startswith("{")]
    if out.returncode != 0 or not lines:
        err = (out.stderr.strip().splitlines() or ["no output"])[-1]
        return {
            "case": case,
            "variant": variant,
            "method": method,
            "requested": method,
            "status": f"failed: {err[:160]}",
            "total_s": time.perf_counter() - t0,
            "when": time.strftime("%Y-%m-%d %H:%M:%S"),
        }
    return json.loads(lines[-1])


def render(rows: list[dict]) -> str:
    """Markdown tables: one per case and variant, gap and speed-up against the extensive form."""
    out = [
        "# Solution methods: extensive form vs decomposition",
        "",
        "Generated by `python -m benchmarks.methods`. Each row is its own subprocess; times in "
        "seconds (wall clock), peak memory = resident memory of the run and its workers. "
        "gap = (objective - extensive objective) / |extensive objective| when the extensive "
        "form finished in the same run; bound gap = what the method proved (upper - lower) / "
        "|upper|; speed-up = extensive total / method total. The machine (2 cores, 24 GB) was "
        "shared with other jobs while these ran, so absolute times are pessimistic and noisy.",
        "",
    ]
    rows = sorted(rows, key=lambda r: r.get("when", ""))  # the latest run of a method counts
    keys = []
    for r in rows:
        k = (r["case"], r["variant"])
        if k not in keys:
            keys.append(k)
    from benchmarks.cases import CASES

    for case, variant in keys:
        group = [r for r in rows if (r["case"], r["variant"]) == (case, variant)]
        latest: dict[str, dict] = {}
        for r in group:
            latest[r["requested"]] = r
        ext = latest.get("extensive")
        ref = ext if ext and ext.get("status") == "optimal" else None
        c = CASES[case]
        out += [
            f"## {case} ({c.label}), {variant}",
            "",
            "| method | status | build | solve | total | peak GB | gap to extensive | bound gap "
            "| iterations | speed-up |",
            "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for method in METHODS:
            r = latest.get(method)
            if r is None:
                continue
            name = r["method"] if r.get("method") == method else f"{method} -> {r.get('method')}"
            if "build_s" not in r:
                out.append(f"| {name} | {r['status']} | | | {r['total_s']:.0f} | | | | | |")
                continue
            gap = speed = ""
            if ref and r.get("objective") is not None:
                gap = f"{(r['objective'] - ref['objective']) / abs(ref['objective']):.2e}"
                speed = f"{ref['total_s'] / r['total_s']:.2f}x"
            bound = "" if r.get("bound_gap") is None else f"{r['bound_gap']:.1e}"
            its = "" if r.get("iterations") is None else str(r["iterations"])
            out.append(
                f"| {name} | {r['status']} | {r['build_s']:.1f} | {r['solve_s']:.1f} | "
                f"{r['total_s']:.1f} | {r['peak_gb']:.2f} | {gap} | {bound} | {its} | {speed} |"
            )
        out.append("")
    return "\n".join(out)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cases", default="small")
    ap.add_argument("--variants", default="coupled,uncoupled")
    ap.add_argument("--methods", default="extensive,decomposed,dantzig-wolfe,benders,ph")
    ap.add_argument("--time-limit", type=float, default=900.0)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--tolerance", type=float, default=1e-4)
    ap.add_argument("--skip", default="", help="case:variant:method triples to skip")
    ap.add_argument("--one", help=argparse.SUPPRESS)
    ap.add_argument("--render", action="store_true")
    ap.add_argument("--tag", default="", help="write results/methods-TAG.json (parallel runs)")
    args = ap.parse_args(argv)
    if args.one:
        case, variant, method = args.one.split(":")
        r = run_one(case, variant, method, args.time_limit, args.workers, args.tolerance)
        print(json.dumps(r))
        return
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"methods-{args.tag}.json" if args.tag else JSON_PATH
    rows = json.loads(path.read_text()) if path.exists() else []
    if not args.render:
        skip = set(filter(None, args.skip.split(",")))
        for case in args.cases.split(","):
            for variant in args.variants.split(","):
                for method in args.methods.split(","):
                    if f"{case}:{variant}:{method}" in skip:
                        continue
                    if method == "decomposed" and variant.startswith("coupled"):
                        continue  # one group: decomposed would run the extensive form
                    r = run_subprocess(
                        case,
                        variant,
                        method,
                        args.time_limit,
                        args.workers,
                        args.tolerance,
                        wall=args.time_limit * 2 + 300,
                    )
                    print(json.dumps(r), flush=True)
                    rows.append(r)
                    path.write_text(json.dumps(rows, indent=1))
    everything = [
        r for p in sorted(RESULTS.glob("methods*.json")) for r in json.loads(p.read_text())
    ]
    MD_PATH.write_text(render(everything))
    print(MD_PATH.read_text())


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
