"""report.html: one self-contained page (no network) built from a run folder's files.

    build_report(Path("runs/demo-baseline-20261123-090000"))  # -> .../report.html

The data are embedded as JSON (see `planner.report.payload`); the page's template, CSS and
JavaScript (`planner/report/assets/`: report.html, report.css and the script in four parts)
are inlined, and the charts are SVG drawn by that script, so the file opens offline in any
browser and prints cleanly.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import re
from importlib import resources
from pathlib import Path

from planner.output import write_text
from planner.report.payload import collect

REPORT_NAME = "report.html"
# the page's script, in order; concatenated inside one function by the template
SCRIPT_PARTS = ("report-core.js", "report-plan.js", "report-runs.js", "report-main.js")
KIND_TITLES = {"plan": "Procurement plan", "simulate": "Policy simulation", "sweep": "Cost sweep"}


def _asset(name: str) -> str:
    return resources.files("planner.report").joinpath("assets", name).read_text(encoding="utf-8")


def _embed_json(obj: dict) -> str:
    text = json.dumps(obj, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    # keep the JSON inert inside <script>: no "</script>", no HTML comment openers
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def render(payload: dict) -> str:
    """The HTML page for a collected payload."""
    scenario = payload.get("name") or payload["run"]
    title = f"{KIND_TITLES[payload['kind']]}: {payload['run']}"
    payload = {**payload, "generated": dt.datetime.now().strftime("%Y-%m-%d %H:%M")}
    values = {
        "title": html.escape(title),
        "scenario": html.escape(str(scenario)),
        "css": _asset("report.css"),
        "data": _embed_json(payload),
        "js": "".join(_asset(name) for name in SCRIPT_PARTS),
    }
    # one pass over the template: inserted text is never scanned for placeholders again
    page = re.sub(r"\{\{(\w+)\}\}", lambda m: values[m.group(1)], _asset("report.html"))
    return page


def build_report(run_dir: Path, out: Path | None = None) -> Path:
    """Write `report.html` into the run folder (or `out`) from the folder's files; its path."""
    run_dir = Path(run_dir)
    page = render(collect(run_dir))
    return write_text(page, Path(out) if out else run_dir / REPORT_NAME)
