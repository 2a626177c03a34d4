"""Headless Chromium for checking and photographing reports (tests, benchmark, README images).

    dom = dump_dom(Path("runs/x/report.html"), fragment="sku=SKU-001")
    screenshot(Path("runs/x/report.html"), Path("docs/img/report.png"), size=(1400, 1000))

Only a locally installed browser is used (Debian's `chromium`, or chromium-browser /
google-chrome on the PATH); nothing is downloaded.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
TIMEOUT_S = 120


def find_chromium() -> str | None:
    """The path of a Chromium-family browser on the PATH, or None."""
    for name in BROWSERS:
        path = shutil.which(name)
        if path:
            return path
    return None


@dataclass
class PageDump:
    dom: str  # the DOM after the page's scripts ran
    console: list[str]  # console messages and uncaught errors Chromium logged


_CONSOLE = re.compile(r":CONSOLE(?:[:(]\d+\)?)?\]\s*(.*)$")


def _url(page: Path, fragment: str | None) -> str:
    url = Path(page).resolve().as_uri()
    return f"{url}#{fragment}" if fragment else url


def _run(args: list[str]) -> subprocess.CompletedProcess:
    browser = find_chromium()
    if browser is None:
        raise FileNotFoundError("no Chromium browser on the PATH (apt-get install chromium)")
    with tempfile.TemporaryDirectory(prefix="planner-chromium-") as profile:
        cmd = [
            browser,
            "--headless=new",
            "--disable-gpu",
            "--no-sandbox",
            "--no-first-run",
            "--disable-extensions",
            "--disable-dev-shm-usage",
            "--hide-scrollbars",
            f"--user-data-dir={profile}",
            *args,
        ]
        return subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT_S, check=False)


def dump_dom(page: Path, fragment: str | None = None, budget_ms: int = 5000) -> PageDump:
    """Load `page` (with `#fragment`), let its scripts run, return the DOM and console lines."""
    res = _run(
        [
            "--enable-logging=stderr",
            "--v=0",
            f"--virtual-time-budget={budget_ms}",
            "--dump-dom",
            _url(page, fragment),
        ]
    )
    console = []
    for line in res.stderr.splitlines():
        m = _CONSOLE.search(line)
        if m:
            console.append(m.group(1).strip())
    if res.returncode != 0 and not res.stdout:
        raise RuntimeError(f"chromium failed ({res.returncode}): {res.stderr[-2000:]}")
    return PageDump(dom=res.stdout, console=console)


def screenshot(
    page: Path,
    out: Path,
    fragment: str | None = None,
    size: tuple[int, int] = (1400, 1000),
    budget_ms: int = 5000,
) -> Path:
    """A PNG of the page's first `size` pixels after its scripts ran."""
    out = Path(out).resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    res = _run(
        [
            f"--window-size={size[0]},{size[1]}",
            f"--virtual-time-budget={budget_ms}",
            f"--screenshot={out}",
            _url(page, fragment),
        ]
    )
    if not out.is_file():
        raise RuntimeError(f"chromium wrote no screenshot ({res.returncode}): {res.stderr[-2000:]}")
    return out


README_SHOTS = (
    ("report-orders.png", None, (1400, 1000)),
    ("report-sku.png", "tab=forecast&sku=ELE-105", (1400, 1050)),
    ("report-stock.png", "tab=stock&sku=ELE-105", (1400, 1250)),
)


def readme_screenshots(run_dir: Path, out_dir: Path) -> list[Path]:
    """The README's pictures of a demo plan's report (`python -m planner.report.browser RUN OUT`)."""
    page = Path(run_dir) / "report.html"
    return [screenshot(page, Path(out_dir) / name, frag, size) for name, frag, size in README_SHOTS]


if __name__ == "__main__":  # pragma: no cover
    import sys

    for path in readme_screenshots(Path(sys.argv[1]), Path(sys.argv[2])):
        print(path)
