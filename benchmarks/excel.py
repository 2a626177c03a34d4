"""plan.xlsx benchmark: seconds and size of `write_workbook` for thousands of order lines.

    python benchmarks/excel.py [--sizes 100,500,2000] [--repeat 3] [--md benchmarks/results/excel.md]

Each case is a synthetic plan run folder (seeded) of S series x 12 weeks: orders.csv (one line
per series and week, 20 suppliers, the first week committed), inventory.csv and forecast.csv
(S x 12 rows each), service.csv, transfers.csv and a summary.json with bottlenecks. Timed, in
the same run, median of `--repeat` (the two alternated):
  workbook    planner.report.excel.write_workbook(run_dir): reads the CSVs, writes every sheet
  reference   the same CSVs read and written with pandas `DataFrame.to_excel` (xlsxwriter
              engine), one plain sheet per file: no formats, widths, panes, filters or
              purchase orders; the floor a formatted workbook is compared against
The ratio is workbook / reference.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from planner.output import write_csv, write_json  # noqa: E402
from planner.report.excel import write_workbook  # noqa: E402

WEEKS = 12
SUPPLIERS = 20
WAREHOUSES = 4


def make_run(folder: Path, n_series: int, seed: int = 0) -> Path:
    """A synthetic plan run folder with `n_series` x 12 order lines (see the module doc)."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    weeks = pd.date_range("2026-11-30", periods=WEEKS, freq="W-MON")
    sku = np.array([f"SKU-{i // WAREHOUSES:05d}" for i in range(n_series)])
    wh = np.array([f"W{i % WAREHOUSES + 1}" for i in range(n_series)])
    supplier = np.array([f"Supplier {i % SUPPLIERS + 1:02d}" for i in range(n_series)])
    price = np.round(rng.uniform(2, 200, n_series), 2)
    week = np.tile(weeks.date, n_series)
    qty = np.round(rng.gamma(2.0, 40.0, n_series * WEEKS), 3)
    orders = pd.DataFrame(
        {
            "order_week": week,
            "supplier": np.repeat(supplier, WEEKS),
            "sku": np.repeat(sku, WEEKS),
            "warehouse": np.repeat(wh, WEEKS),
            "quantity": qty,
            "arrival_week": np.tile((weeks + pd.Timedelta(weeks=2)).date, n_series),
            "unit_price": np.repeat(price, WEEKS),
            "line_cost": np.round(qty * np.repeat(price, WEEKS), 2),
            "committed": np.tile(np.arange(WEEKS) == 0, n_series),
        }
    )
    mean = rng.gamma(3.0, 20.0, n_series * WEEKS)
    base = {"week": week, "sku": np.repeat(sku, WEEKS), "warehouse": np.repeat(wh, WEEKS)}
    forecast = pd.DataFrame({**base, "model": "ets", "mean": mean.round(4)})
    for level, z in ((0.05, -1.645), (0.1, -1.2816), (0.5, 0.0), (0.9, 1.2816), (0.95, 1.645)):
        forecast[f"q{level:g}"] = np.maximum(0, mean * (1 + 0.3 * z)).round(4)
    on_hand = rng.gamma(2.0, 50.0, n_series * WEEKS)
    inventory = pd.DataFrame(
        {
            **base,
            "on_hand_mean": on_hand.round(4),
            "on_hand_q0.1": (on_hand * 0.6).round(4),
            "on_hand_q0.9": (on_hand * 1.4).round(4),
            "shortage_mean": rng.exponential(0.5, n_series * WEEKS).round(4),
            "fill_rate": rng.uniform(0.9, 1.0, n_series * WEEKS).round(4),
        }
    )
    service = pd.DataFrame(
        {
            "sku": sku,
            "warehouse": wh,
            "demand_mean": rng.gamma(3.0, 200.0, n_series).round(4),
            "shortage_mean": rng.exponential(2.0, n_series).round(4),
            "fill_rate": rng.uniform(0.9, 1.0, n_series).round(4),
            "cycle_service_level": rng.uniform(0.8, 1.0, n_series).round(4),
        }
    )
    transfers = pd.DataFrame(
        {
            "week": np.tile(weeks.date, n_series // 10 + 1)[:n_series],
            "sku": sku[:n_series],
            "from_warehouse": "W1",
            "to_warehouse": "W2",
            "quantity_mean": rng.exponential(5.0, n_series).round(3),
        }
    )
    for name, df in (
        ("orders", orders),
        ("forecast", forecast),
        ("inventory", inventory),
        ("service", service),
        ("transfers", transfers),
    ):
        write_csv(df, folder / f"{name}.csv")
    days = [str(w.date()) for w in weeks[:4]]
    write_json(
        {
            "status": "optimal",
            "objective": float(orders["line_cost"].sum()),
            "costs": {"purchase": float(orders["line_cost"].sum()), "holding": 0.0},
            "service": {"fill_rate": 0.97, "cycle_service_level": 0.9, "per_sku": "service.csv"},
            "bottlenecks": [
                {
                    "constraint": "supplier_capacity",
                    "name": f"Supplier {k:02d}",
                    "weeks": days,
                    "shadow_price_by_week": dict.fromkeys(days, 1.5),
                    "capacity_by_week": dict.fromkeys(days, 400.0),
                    "unit": "units/week",
                    "message": f"supplier Supplier {k:02d} is full",
                }
                for k in range(1, 6)
            ],
            "solver": {"name": "highs", "status": "Optimal", "gap": 0.0, "seconds": 1.0},
            "timings": {"forecast": 1.0, "solve": 1.0},
            "scenario": {"name": "bench", "plan": {"horizon_weeks": WEEKS}},
            "dataset_fingerprint": "0" * 64,
        },
        folder / "summary.json",
    )
    return folder


def reference_workbook(run_dir: Path, path: Path) -> Path:
    """Every CSV of the run as one plain sheet via pandas' to_excel (the floor)."""
    with pd.ExcelWriter(path, engine="xlsxwriter") as writer:
        for name in ("orders", "inventory", "service", "transfers", "forecast"):
            pd.read_csv(run_dir / f"{name}.csv").to_excel(writer, sheet_name=name, index=False)
    return path


def _seconds(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def measure(n_series: int, repeat: int = 3) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        run_dir = make_run(Path(tmp) / "run", n_series)
        lines = n_series * WEEKS
        book = run_dir / "plan.xlsx"
        ref = Path(tmp) / "reference.xlsx"
        ours, theirs = [], []
        for _ in range(repeat):  # alternated, so both see the same load on a shared machine
            ours.append(_seconds(lambda: write_workbook(run_dir)))
            theirs.append(_seconds(lambda: reference_workbook(run_dir, ref)))
        seconds, ref_seconds = statistics.median(ours), statistics.median(theirs)
        return {
            "series": n_series,
            "order_lines": lines,
            "cells": int(
                sum(
                    pd.read_csv(run_dir / f"{n}.csv").size
                    for n in ("orders", "inventory", "forecast", "service", "transfers")
                )
            ),
            "workbook_s": seconds,
            "reference_s": ref_seconds,
            "ratio": seconds / ref_seconds,
            "workbook_mb": book.stat().st_size / 1e6,
            "reference_mb": ref.stat().st_size / 1e6,
            "csv_mb": sum(p.stat().st_size for p in run_dir.glob("*.csv")) / 1e6,
        }


def render(results: list[dict], meta: dict) -> str:
    lines = [
        "# plan.xlsx benchmark",
        "",
        f"`python benchmarks/excel.py --sizes {meta['sizes']} --repeat {meta['repeat']}`, "
        f"{meta['date']}, Python {meta['python']}, {meta['machine']}, {meta['cores']} cores. "
        f"The machine was shared with other jobs while measuring (1-minute load average "
        f"{meta['load']}), so absolute seconds are inflated and noisy; the ratio is measured "
        "in the same run, the two writers alternated.",
        "",
        "workbook: `write_workbook(run_dir)` (every sheet formatted, purchase orders, panes, "
        "filters); reference: the same CSVs as plain sheets with pandas `to_excel` "
        "(xlsxwriter engine). Median of the repeats.",
        "",
        "| series | order lines | cells | workbook s | reference s | ratio | plan.xlsx MB "
        "| reference MB | CSV MB |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        lines.append(
            f"| {r['series']:,} | {r['order_lines']:,} | {r['cells']:,} | {r['workbook_s']:.2f} "
            f"| {r['reference_s']:.2f} | {r['ratio']:.2f} | {r['workbook_mb']:.2f} "
            f"| {r['reference_mb']:.2f} | {r['csv_mb']:.2f} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="100,500,2000", help="series per case, comma separated")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--md", type=Path, default=None, help="write the markdown table here")
    ap.add_argument("--json", type=Path, default=None, help="write the raw results here")
    args = ap.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    load_before = os.getloadavg()[0]
    results = []
    for n in sizes:
        r = measure(n, args.repeat)
        results.append(r)
        print(
            f"{n:>6} series {r['order_lines']:>7,} lines: workbook {r['workbook_s']:.2f} s "
            f"({r['workbook_mb']:.2f} MB), reference {r['reference_s']:.2f} s, "
            f"ratio {r['ratio']:.2f}",
            flush=True,
        )
    meta = {
        "sizes": args.sizes,
        "repeat": args.repeat,
        "date": time.strftime("%Y-%m-%d"),
        "python": platform.python_version(),
        "machine": f"{platform.machine()} {platform.system()}",
        "cores": os.cpu_count(),
        "load": f"{load_before:.1f} before, {os.getloadavg()[0]:.1f} after",
    }
    if args.md:
        args.md.parent.mkdir(parents=True, exist_ok=True)
        args.md.write_text(render(results, meta))
    if args.json:
        args.json.write_text(json.dumps({"meta": meta, "cases": results}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
