"""`planner simulate`: closed-loop replay of the last weeks of history, policies compared."""

from __future__ import annotations

from pathlib import Path

import click

from planner.cli.common import Console, _run, writing_command

POLICY_NAMES = ("stochastic", "deterministic", "base_stock", "sS", "oracle")


def _policies(value: str | None) -> tuple[str, ...]:
    if not value:
        return POLICY_NAMES
    return tuple(p.strip() for p in value.split(",") if p.strip())


@click.command()
@writing_command
@click.option(
    "--weeks",
    type=int,
    default=26,
    show_default=True,
    help="Weeks to replay (the last weeks of the history).",
)
@click.option(
    "--refit-every",
    type=int,
    default=1,
    show_default=True,
    help="Refit the forecaster every K weeks; reuse its forecast in between.",
)
@click.option(
    "--policies",
    default=None,
    metavar="LIST",
    help="Comma-separated subset of: " + ", ".join(POLICY_NAMES) + " (default: all).",
)
@click.option(
    "--synthetic",
    is_flag=True,
    help="Replay demand drawn from a known generator fitted to the history, not the history itself.",
)
@click.option(
    "--replications",
    type=int,
    default=1,
    show_default=True,
    help="Synthetic replications (with --synthetic).",
)
@click.option(
    "--seed",
    type=int,
    default=None,
    help="Seed of the synthetic draws and lead-time draws (default: forecast.seed).",
)
@click.option(
    "--scheduler",
    default=None,
    metavar="ADDRESS",
    help="dask scheduler, e.g. tcp://host:8786 (default: a local cluster).",
)
@click.option(
    "--workers",
    type=int,
    default=None,
    help="Local worker processes (default: one per core; 1 = no cluster).",
)
@click.option(
    "--scenario-method",
    type=click.Choice(["reduced", "sampled"]),
    default="reduced",
    show_default=True,
    help="Scenarios of the weekly stochastic plans: the engine's k-means reduction of the "
    "paths (as `plan`), or a random sample of the paths with equal weights.",
)
def simulate(
    scenario: Path,
    overrides: tuple[str, ...],
    out: Path | None,
    quiet: bool,
    verbose: bool,
    weeks: int,
    refit_every: int,
    policies: str | None,
    synthetic: bool,
    replications: int,
    seed: int | None,
    scheduler: str | None,
    workers: int | None,
    scenario_method: str,
) -> None:
    """Replay the last weeks of history: each week forecast on the data up to then, plan,
    order, receive, serve the true demand; compare the policies on exactly the same demand.

    Policies: stochastic (the engine), deterministic (the same model on the mean forecast),
    base_stock (order-up-to at the newsvendor critical ratio), sS (reorder point + EOQ) and
    oracle (perfect foresight: the lower bound). Writes kpis.csv, weekly.csv, the plots
    (cumulative_cost.png, stock.png, service.png) and summary.json.

    \b
    Example:
      planner simulate scenarios/demo.yaml --weeks 26
      planner simulate scenarios/demo.yaml --weeks 12 --refit-every 4 --policies stochastic,base_stock,oracle
      planner simulate scenarios/demo.yaml --synthetic --replications 8 --weeks 13
    """
    con = Console(quiet, verbose)

    def body():
        from planner.config import load_scenario
        from planner.output import default_run_dir
        from planner.simulate import format_kpis, simulate_scenario, write_simulation
        from planner.simulate.api import target_check

        sc, log = load_scenario(scenario, overrides)
        for line in log:
            con.out(f"set {line}")
        bars: dict[str, object] = {}

        def progress(label: str, done: int, total: int) -> None:
            bar = bars.get(label)
            if bar is None:
                for other in bars.values():
                    other.close()
                bar = bars[label] = con.bar(total, label)
                con.progress(label)
            bar.update(done - bar.n)

        try:
            result = simulate_scenario(
                sc,
                weeks=weeks,
                refit_every=refit_every,
                policies=_policies(policies),
                synthetic=synthetic,
                replications=replications,
                seed=seed,
                progress=progress,
                scheduler=scheduler,
                n_workers=workers,
                scenario_method=scenario_method,
            )
        finally:
            for bar in bars.values():
                bar.close()
        target = write_simulation(result, out or default_run_dir(f"{sc.name}-simulate"))
        from planner.history import record_folder

        run_id = record_folder(target, warn=con.warn)
        for note in result.notes:
            con.warn(note)
        opts = result.options
        what = f"{opts['replications']} synthetic replication(s)" if synthetic else "history"
        con.out(
            f"replayed {weeks} weeks ({opts['window'][0]} to {opts['window'][1]}) on {what}, "
            f"horizon {opts['horizon_weeks']} weeks, refit every {refit_every}"
        )
        con.out(format_kpis(result.kpis))
        checks = target_check(result.kpis)
        for other in ("deterministic", "base_stock"):
            c = checks.get(f"vs_{other}")
            if c:
                con.out(
                    f"stochastic vs {other}: {100 * c['saving']:+.1f}% cost saving, "
                    f"fill rate {100 * c['fill_rate_difference']:+.1f} pts"
                )
        con.out(f"\nrun folder: {target}" + (f" (history id {run_id})" if run_id else ""))
        if (target / "report.html").exists():
            con.out(f"report: {target / 'report.html'}")

    _run(body, con)
