"""report.html benchmark: build seconds, file size and browser render time for large plan runs.

    python benchmarks/report.py [--skus 300,1000,3000] [--weeks 12] [--repeat 3] [--browser]
                                [--md benchmarks/results/report.md] [--json FILE]

Each case is a seeded synthetic plan run folder (`planner.report.sample_run.write_sample_plan`)
of N SKUs in 2 warehouses (2 of 3 SKU-warehouse pairs stocked) x `--weeks` plan weeks: one
order line for most series-weeks, inventory and forecast per series-week, 104 weeks of history,
capacity, service, transfers, forecast selection and summary.json. Timed, in the same run,
median of `--repeat`:
  build       planner.report.html.build_report(run_dir): read the folder, encode, write the page
  reference   only reading the same CSV files with pandas.read_csv: the floor any report built
              from the folder pays. The ratio is build / reference.
Sizes: report.html against the run's CSV files and against the same tables embedded as JSON
records (one object per row) instead of columns. With `--browser` (needs chromium), the page's
own clock (performance.now() when its script has rendered the first tab) in headless Chromium.
"""

from __future__ import annotations

import argparse
import json
import platform
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from planner.report.html import build_report  # noqa: E402
from planner.report.sample_run import write_sample_plan  # noqa: E402

TABLES = (
    "orders",
    "inventory",
    "forecast",
    "service",
    "history",
    "capacity",
    "transfers",
    "forecast_selection",
)


def read_reference(run: Path) -> dict[str, pd.DataFrame]:
    return {t: pd.read_csv(run / f"{t}.csv") for t in TABLES if (run / f"{t}.csv").exists()}


def records_size(tables: dict[str, pd.DataFrame]) -> int:
    """Bytes of the tables as JSON records (one object per row): the naive embedding."""
    return sum(len(df.to_json(orient="records", double_precision=4)) for df in tables.values())


def browser_ms(page: Path) -> dict | None:
    from planner.report.browser import dump_dom, find_chromium

    if find_chromium() is None:
        return None
    t = time.perf_counter()
    dump = dump_dom(page, budget_ms=30000)
    wall = time.perf_counter() - t
    m = re.search(r'data-load-ms="(\d+)"', dump.dom)
    r = re.search(r'data-render-ms="(\d+)"', dump.dom)
    errors = re.search(r'<div id="console-errors"[^>]*>(.*?)</div>', dump.dom, re.S)
    return {
        "load_ms": int(m.group(1)) if m else None,
        "script_ms": int(r.group(1)) if r else None,
        "chromium_wall_s": round(wall, 2),
        "errors": (errors.group(1).strip() if errors else "missing") or None,
        "console": dump.console,
    }


def run_case(n_skus: int, weeks: int, repeat: int, browser: bool, root: Path) -> dict:
    run = write_sample_plan(root / f"plan-{n_skus}", n_skus=n_skus, n_weeks=weeks, seed=1)
    builds, reads = [], []
    for _ in range(repeat):
        t = time.perf_counter()
        tables = read_reference(run)
        reads.append(time.perf_counter() - t)
        t = time.perf_counter()
        page = build_report(run)
        builds.append(time.perf_counter() - t)
    csv_bytes = sum((run / f"{t}.csv").stat().st_size for t in tables)
    out = {
        "skus": n_skus,
        "series": len(tables["service"]),
        "order_lines": len(tables["orders"]),
        "weeks": weeks,
        "build_s": statistics.median(builds),
        "reference_s": statistics.median(reads),
        "ratio": statistics.median(builds) / statistics.median(reads),
        "html_mb": page.stat().st_size / 1e6,
        "csv_mb": csv_bytes / 1e6,
        "records_json_mb": records_size(tables) / 1e6,
    }
    if browser:
        out["browser"] = browser_ms(page)
    return out


def markdown(cases: list[dict], argv: list[str]) -> str:
    lines = [
        "# report.html benchmark",
        "",
        f"`python benchmarks/report.py {' '.join(argv)}`, {time.strftime('%Y-%m-%d')}, "
        f"Python {platform.python_version()}, {platform.machine()} {platform.system()}. The "
        "machine (2 cores) was shared with other jobs while measuring, so absolute seconds are "
        "noisy; the ratio is measured in the same run.",
        "",
        "build: `build_report(run_dir)` (read the folder, encode the tables column-wise, write "
        "the page); reference: only reading the same CSV files with `pandas.read_csv`. Median "
        "of the repeats. Sizes: the page, the run's CSV files, and the same tables as JSON "
        "records (one object per row) instead of columns (the page embeds the last 78 of the "
        "104 history weeks and rounds stock and forecasts to 0.1; the CSV and records sizes "
        "count every row at full precision).",
        "",
        "| SKUs | series | order lines | build s | reference s | ratio | report.html MB "
        "| CSV MB | as JSON records MB |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for c in cases:
        lines.append(
            f"| {c['skus']:,} | {c['series']:,} | {c['order_lines']:,} | {c['build_s']:.2f} | "
            f"{c['reference_s']:.2f} | {c['ratio']:.2f} | {c['html_mb']:.2f} | "
            f"{c['csv_mb']:.2f} | {c['records_json_mb']:.2f} |"
        )
    with_browser = [c for c in cases if c.get("browser")]
    if with_browser:
        lines += [
            "",
            "In headless Chromium (`planner.report.browser.dump_dom`): load = the page's "
            "`performance.now()` when its script has rendered the first tab (Orders: this "
            "week's lines by supplier), i.e. HTML parse + JSON parse + first render; script = "
            "the script's own part of it; errors = what the page recorded (none expected).",
            "",
            "| SKUs | order lines | load ms | script ms | errors |",
            "|---:|---:|---:|---:|---|",
        ]
        for c in with_browser:
            b = c["browser"]
            lines.append(
                f"| {c['skus']:,} | {c['order_lines']:,} | {b['load_ms']} | {b['script_ms']} | "
                f"{b['errors'] or 'none'} |"
            )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--skus", default="300,1000,3000", help="comma-separated SKU counts")
    ap.add_argument("--weeks", type=int, default=12)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--browser", action="store_true", help="also time the page in Chromium")
    ap.add_argument("--md", type=Path, default=None, help="write the markdown table here")
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args(argv)
    cases = []
    with tempfile.TemporaryDirectory(prefix="report-bench-") as tmp:
        for n in (int(s) for s in args.skus.split(",")):
            case = run_case(n, args.weeks, args.repeat, args.browser, Path(tmp))
            cases.append(case)
            print(
                f"{n:>6,} SKUs {case['order_lines']:>7,} order lines: build {case['build_s']:.2f} s "
                f"(read CSVs {case['reference_s']:.2f} s, ratio {case['ratio']:.2f}), "
                f"report.html {case['html_mb']:.2f} MB"
                + (
                    f", browser load {case['browser']['load_ms']} ms" if case.get("browser") else ""
                ),
                flush=True,
            )
    text = markdown(cases, argv)
    if args.md:
        args.md.parent.mkdir(parents=True, exist_ok=True)
        args.md.write_text(text, encoding="utf-8")
    if args.json:
        args.json.write_text(json.dumps({"cases": cases}, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
