"""Compare finished runs: KPIs side by side, scenario differences, order differences.

    cmp = compare_runs([Path("runs/base"), Path("runs/short2")])
    print(format_comparison(cmp))
    write_comparison(cmp, Path("runs/compare"))

The first run is the base; differences are `run - base`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from planner.compare.orders import TOL, changed, diff_columns, order_lines, orders_by
from planner.compare.runs import PLAN, RunFolder, load_run, run_kpis, unique_labels
from planner.compare.scenario import scenario_differences
from planner.errors import ConfigError, Problem


@dataclass
class Comparison:
    """Everything `planner compare` prints and writes. Tables are plain DataFrames.

    runs:        the runs, base first (label, path, kind, name, status)
    kpis:        group, kpi, one column per run, then the differences against the base
                 (`diff` / `diff_<label>`) and relative differences (`pct` / `pct_<label>`)
    scenario:    key, one column per run: the resolved keys that differ (+ dataset fingerprint)
    orders:      compare.csv, line level (None when fewer than two plan runs)
    by_supplier, by_sku, by_week: quantity and value per run and their differences
    """

    runs: list[RunFolder]
    kpis: pd.DataFrame
    scenario: pd.DataFrame
    orders: pd.DataFrame | None = None
    by_supplier: pd.DataFrame | None = None
    by_sku: pd.DataFrame | None = None
    by_week: pd.DataFrame | None = None
    tolerance: float = TOL  # order quantities within this many units count as unchanged

    @property
    def labels(self) -> list[str]:
        return [r.label for r in self.runs]

    @property
    def plan_labels(self) -> list[str]:
        return [r.label for r in self.runs if r.kind == PLAN]

    def changed_lines(self) -> pd.DataFrame:
        """Order lines that differ from the base in at least one run, largest first."""
        if self.orders is None:
            return pd.DataFrame()
        return changed(self.orders, self.plan_labels, self.tolerance)


def kpi_table(runs: list[RunFolder]) -> pd.DataFrame:
    """group, kpi, <label>..., diff..., pct... (pct in percent of the base; empty where the
    base is 0 or missing). Rows keep the order in which the runs list them."""
    labels = [r.label for r in runs]
    order: list[tuple[str, str]] = []
    values: dict[tuple[str, str], dict[str, float | None]] = {}
    for run in runs:
        for group, kpi, value in run_kpis(run):
            key = (group, kpi)
            if key not in values:
                order.append(key)
                values[key] = {}
            values[key][run.label] = value
    rows = [
        {"group": g, "kpi": k, **{lab: values[(g, k)].get(lab) for lab in labels}} for g, k in order
    ]
    table = pd.DataFrame(rows, columns=["group", "kpi", *labels])
    table[labels] = table[labels].astype(float)
    table = table[table[labels].notna().any(axis=1)].reset_index(drop=True)
    base = table[labels[0]]
    pct_cols = {}
    for label, col in diff_columns(labels).items():
        table[col] = table[label] - base
        pct = col.replace("diff", "pct", 1)
        with np.errstate(divide="ignore", invalid="ignore"):
            rel = 100.0 * table[col] / base.abs()
        pct_cols[pct] = rel.where(base.abs() > 1e-12)
    for pct, series in pct_cols.items():
        table[pct] = series
    return table


def compare_runs(
    paths: list[Path | str], labels: list[str] | None = None, tolerance: float = TOL
) -> Comparison:
    """Compare two or more finished run folders; the first is the base.

    Plan runs give KPIs, scenario differences and order differences; simulate runs
    (kpis.csv) give their KPIs per policy; sweep runs (sweep.csv) their KPIs per grid point.
    Order differences need at least two plan runs (the base must be one); order lines whose
    quantities differ by at most `tolerance` units count as unchanged.
    """
    if not tolerance >= 0:
        raise ValueError(
            f"The 'tolerance' parameter of compare_runs must be >= 0. Got {tolerance!r} instead."
        )
    paths = [Path(p) for p in paths]
    if len(paths) < 2:
        raise ConfigError(
            Problem(
                "RUN",
                f"compare needs at least two runs, got {len(paths)}",
                fix="give two or more run folders or ids, e.g. `planner compare -2 -1`",
            ),
            title="invalid usage",
        )
    if labels is None:
        labels = unique_labels(paths)
    if len(labels) != len(paths) or len(set(labels)) != len(labels):
        raise ValueError(
            f"The 'labels' parameter of compare_runs must be {len(paths)} unique names. "
            f"Got {labels!r} instead."
        )
    runs = [load_run(p, label) for p, label in zip(paths, labels, strict=True)]
    kpis = kpi_table(runs)
    scenario = scenario_differences(
        {r.label: r.scenario for r in runs}, {r.label: r.fingerprint for r in runs}
    )
    cmp = Comparison(runs=runs, kpis=kpis, scenario=scenario, tolerance=tolerance)
    plans = [r for r in runs if r.kind == PLAN]
    if len(plans) >= 2 and runs[0].kind == PLAN:
        lines = order_lines({r.label: r.orders for r in plans}, tolerance)
        plan_labels = [r.label for r in plans]
        cmp.orders = lines
        cmp.by_supplier = orders_by(lines, plan_labels, "supplier")
        cmp.by_sku = orders_by(lines, plan_labels, "sku")
        cmp.by_week = orders_by(lines, plan_labels, "order_week")
    return cmp


def write_comparison(cmp: Comparison, out: Path) -> dict[str, Path]:
    """Write the comparison into `out`: compare.csv (order lines, when there are two plan
    runs), compare_kpis.csv, compare_scenario.csv, compare_by_supplier.csv, compare_by_sku.csv,
    compare_by_week.csv and compare_runs.csv (label, kind, name, status, first_week,
    dataset_fingerprint, path).
    Returns {name: path} of the files written."""
    from planner.output import write_csv

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}
    runs = pd.DataFrame(
        [
            {
                "label": r.label,
                "kind": r.kind,
                "name": r.name,
                "status": r.status,
                "first_week": r.first_week,
                "dataset_fingerprint": r.fingerprint,
                "path": str(r.path.resolve()),
            }
            for r in cmp.runs
        ]
    )
    tables = {
        "compare_runs.csv": runs,
        "compare_kpis.csv": cmp.kpis,
        "compare_scenario.csv": cmp.scenario,
        "compare_by_supplier.csv": cmp.by_supplier,
        "compare_by_sku.csv": cmp.by_sku,
        "compare_by_week.csv": cmp.by_week,
        "compare.csv": cmp.orders,
    }
    for name, table in tables.items():
        if table is not None:
            written[name] = write_csv(table, out / name)
    return written
