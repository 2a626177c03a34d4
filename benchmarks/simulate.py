"""The `planner simulate` target on the demo: 26 weeks replayed under every policy.

    python benchmarks/simulate.py [--weeks 26] [--refit-every 1] [--workers N] [--out DIR]
                                  [--set key=value ...] [--report benchmarks/results/simulate.md]

Runs `simulate_scenario` on scenarios/demo.yaml (the scenario as committed: forecast `auto`,
500 paths, 50 scenarios, horizon 12) and, in the same run as a reference, one weekly plan of
the same scenario (`plan_scenario`, VSS/EVPI off). Writes the run folder and a Markdown report
with the full KPI table, the issue's targets (stochastic at least 5% below deterministic and
10% below base_stock at equal or higher fill rate; gap to the oracle) and the run time as a
multiple of the one plan. The machine may be shared: wall-clock figures are indicative.
"""

from __future__ import annotations

import argparse
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def _commit() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        )
        return out.stdout.strip() or "unknown"
    except OSError:
        return "unknown"


def _md_table(frame) -> str:
    cols = list(frame.columns)
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for row in frame.itertuples(index=False):
        lines.append("| " + " | ".join(str(v) for v in row) + " |")
    return "\n".join(lines)


def _variant(spec: str, args, forecasts) -> tuple:
    """The stochastic policy with other scenario settings, on the main run's forecasts."""
    from planner.config import load_scenario
    from planner.simulate import simulate_scenario
    from planner.simulate.forecasts import rebuild_scenarios

    method, _, sets = spec.partition(":")
    extra = [x for x in sets.split(",") if x]
    vsc, _ = load_scenario(args.scenario, [*args.overrides, *extra])
    t = time.perf_counter()
    vres = simulate_scenario(
        vsc,
        weeks=args.weeks,
        refit_every=args.refit_every,
        policies=("stochastic",),
        scenario_method=method,
        forecasts=rebuild_scenarios(forecasts, vsc.forecast.scenarios, method),
        n_workers=1,
    )
    label = f"stochastic [{method}{', ' + ', '.join(extra) if extra else ''}]"
    return label, vres.kpis.assign(policy=label), time.perf_counter() - t


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenario", default=str(ROOT / "scenarios" / "demo.yaml"))
    ap.add_argument("--weeks", type=int, default=26)
    ap.add_argument("--refit-every", type=int, default=1)
    ap.add_argument("--workers", type=int, default=None)
    ap.add_argument("--set", dest="overrides", action="append", default=[])
    ap.add_argument(
        "--variant",
        action="append",
        default=[],
        metavar="METHOD[:KEY=VALUE,...]",
        help="also replay the stochastic policy with these scenario settings on the same "
        "forecasts, e.g. sampled or sampled:plan.frozen_weeks=6 (repeatable)",
    )
    ap.add_argument("--out", default=None)
    ap.add_argument("--report", default=str(ROOT / "benchmarks" / "results" / "simulate.md"))
    args = ap.parse_args(argv)

    from planner.config import load_scenario
    from planner.output import write_text
    from planner.pipeline import plan_scenario
    from planner.simulate import format_kpis, simulate_scenario, write_simulation
    from planner.simulate.api import simulation_scenario, target_check

    sc, log = load_scenario(args.scenario, args.overrides)
    t = time.perf_counter()
    plan_scenario(simulation_scenario(sc))
    plan_s = time.perf_counter() - t
    print(f"reference: one weekly plan in {plan_s:.1f} s", flush=True)

    t = time.perf_counter()
    result = simulate_scenario(
        sc,
        weeks=args.weeks,
        refit_every=args.refit_every,
        n_workers=args.workers,
        progress=lambda label, done, total: print(f"  {label} {done}/{total}", flush=True),
        keep_paths=bool(args.variant),
    )
    sim_s = time.perf_counter() - t
    from planner.parallel import map_tasks

    variants = map_tasks(
        _variant,
        [(spec, args, result.forecasts) for spec in args.variant],
        n_workers=args.workers,
        on_done=lambda _i, v: print(f"{v[0]}: {float(v[1]['total_cost'].iloc[0]):,.0f}"),
    )
    if variants:
        from planner.simulate.kpis import kpi_table

        rows = result.kpis.drop(columns="gap_to_oracle").to_dict(orient="records")
        rows += [
            r.drop(columns="gap_to_oracle").to_dict(orient="records")[0] for _, r, _ in variants
        ]
        result.kpis = kpi_table(rows)
    out = Path(args.out) if args.out else ROOT / "runs" / f"bench-simulate-{args.weeks}w"
    write_simulation(result, out)
    table = format_kpis(result.kpis)
    print(table)
    checks = target_check(result.kpis)
    k = result.kpis.round(4)
    cols = [
        "policy", "total_cost", "purchase", "logistics", "fixed", "holding", "shortage",
        "transfer", "terminal", "fill_rate", "cycle_service_level", "avg_on_hand",
        "stockout_sku_weeks", "turns", "gap_to_oracle",
    ]  # fmt: skip
    money = ["total_cost", "purchase", "logistics", "fixed", "holding", "shortage", "transfer",
             "terminal", "avg_on_hand"]  # fmt: skip
    shown = k[cols].copy()
    for c in money:
        shown[c] = shown[c].map(lambda v: f"{v:,.0f}")
    lines = [
        "# `planner simulate` on the demo",
        "",
        f"Scenario `{Path(args.scenario).name}`{' with ' + ', '.join(log) if log else ''}; "
        f"{args.weeks} weeks replayed ({result.options['window'][0]} to "
        f"{result.options['window'][1]}), forecaster refit every {args.refit_every} week(s), "
        f"horizon {result.options['horizon_weeks']} weeks, {sc.forecast.scenarios} scenarios "
        f"from {sc.forecast.paths} paths, forecast model `{sc.forecast.model}`. Truth: "
        + (
            "the recorded sales (no `demand_true` table)."
            if any("no demand_true" in n for n in result.notes)
            else "the uncensored demand of `demand_true.csv`."
        ),
        "",
        f"Commit {_commit()}, Python {platform.python_version()}, {platform.machine()}; "
        "the 2-core machine was shared with other jobs, so wall-clock figures are indicative.",
        "",
        "## KPIs per policy",
        "",
        _md_table(shown),
        "",
        "## Targets",
        "",
    ]
    for other, goal in (("deterministic", 5), ("base_stock", 10)):
        c = checks.get(f"vs_{other}")
        if c:
            lines.append(
                f"- stochastic vs {other}: cost saving {100 * c['saving']:+.1f}% (target "
                f">= {goal}%), fill rate {100 * c['fill_rate_difference']:+.2f} pts: "
                f"{'met' if c['met'] else 'NOT met'}"
            )
    if "gap_to_oracle" in checks:
        lines.append(f"- stochastic gap to the oracle: {100 * checks['gap_to_oracle']:+.1f}%")
    for label, _, _ in variants:
        kv = result.kpis[result.kpis["policy"] != "stochastic"].replace(
            {"policy": {label: "stochastic"}}
        )
        cv = target_check(kv)
        parts = []
        for other, goal in (("deterministic", 5), ("base_stock", 10)):
            c = cv.get(f"vs_{other}")
            if c:
                parts.append(
                    f"vs {other} saving {100 * c['saving']:+.1f}% (target >= {goal}%, fill "
                    f"{100 * c['fill_rate_difference']:+.2f} pts, {'met' if c['met'] else 'NOT met'})"
                )
        if "gap_to_oracle" in cv:
            parts.append(f"gap to the oracle {100 * cv['gap_to_oracle']:+.1f}%")
        lines.append(f"- {label}: " + "; ".join(parts))
    lines += [
        "",
        "## Run time",
        "",
        "| what | seconds | x one plan |",
        "|---|---|---|",
        f"| one weekly plan (reference, same run) | {plan_s:.1f} | 1.0 |",
        f"| whole replay ({len(result.options['policies'])} policies) | {sim_s:.1f} | "
        f"{sim_s / plan_s:.1f} |",
    ]
    for stage, secs in result.timings.items():
        lines.append(f"| stage `{stage}` | {secs:.1f} | {secs / plan_s:.1f} |")
    for policy, secs in result.policy_seconds.items():
        lines.append(f"| policy `{policy}` (in its worker) | {secs:.1f} | {secs / plan_s:.1f} |")
    for label, _, secs in variants:
        lines.append(f"| {label} (same forecasts) | {secs:.1f} | {secs / plan_s:.1f} |")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    lines += ["", f"Peak memory of the main process: {peak:,.0f} MB.", ""]
    if result.notes:
        lines += ["Notes:", ""] + [f"- {n}" for n in result.notes] + [""]
    write_text("\n".join(lines), Path(args.report))
    print(f"written: {args.report} and {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
