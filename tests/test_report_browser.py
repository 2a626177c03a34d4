"""report.html in headless Chromium: no console errors, a screenshot that is not blank, and the
SKU search (driven by the URL's #sku=CODE, the same code path as typing) finds a SKU."""

from __future__ import annotations

import html
import re
from pathlib import Path

import numpy as np
import pytest
import yaml

from planner.config import load_scenario
from planner.data.testing import write_minimal_dataset
from planner.pipeline import plan_scenario, write_plan
from planner.report.browser import dump_dom, find_chromium, screenshot
from planner.report.html import build_report
from planner.report.sample_run import write_sample_simulate, write_sample_sweep

pytestmark = pytest.mark.skipif(
    find_chromium() is None,
    reason="no Chromium on the PATH (.ci/run installs Debian's chromium when apt-get can)",
)


@pytest.fixture(scope="module")
def plan_run(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("browser_plan")
    ds = write_minimal_dataset(tmp / "data")
    doc = {
        "name": "mini",
        "dataset": str(ds),
        "plan": {"horizon_weeks": 6, "frozen_weeks": 1},
        "forecast": {"model": "seasonal_naive", "paths": 60, "scenarios": 8, "seed": 3},
        "solver": {"time_limit_s": 60},
    }
    (tmp / "mini.yaml").write_text(yaml.safe_dump(doc))
    scenario, _ = load_scenario(tmp / "mini.yaml")
    out = write_plan(plan_scenario(scenario), tmp / "run")
    assert (out / "report.html").is_file()
    return out


def body(dom: str) -> str:
    """The rendered DOM without script text (the script's own source mentions data-sku)."""
    return re.sub(r"<script\b.*?</script>", "", dom, flags=re.S)


def page_errors(dom: str) -> str:
    m = re.search(r'<div id="console-errors"[^>]*>(.*?)</div>', dom, re.S)
    assert m, "the error box is missing"
    return html.unescape(m.group(1)).strip()


def assert_clean(page: Path, fragment: str | None = None) -> str:
    dump = dump_dom(page, fragment)
    assert 'data-ready="1"' in dump.dom, "the report script did not finish"
    assert page_errors(dump.dom) == ""
    assert dump.console == []
    return body(dump.dom)


def test_the_checks_catch_a_broken_page(plan_run, tmp_path):
    """The harness is not vacuous: a script error shows in the console and the error box."""
    page = build_report(plan_run, tmp_path / "broken.html")
    text = page.read_text(encoding="utf-8")
    head, tail = text.rsplit("})();\n</script>", 1)  # the report's own script, at the end
    page.write_text(head + "undefinedCall(); })();\n</script>" + tail)
    dump = dump_dom(page)
    assert "undefinedCall" in page_errors(dump.dom)
    assert any("undefinedCall" in line for line in dump.console)


def test_plan_report_every_section_renders_without_errors(plan_run):
    dom = assert_clean(plan_run / "report.html", "view=all")
    for section in ("orders", "stock", "forecast", "costs", "bottlenecks", "service", "quality"):
        m = re.search(
            rf'<section class="section[^"]*" id="sec-{section}"[^>]*>(.*?)</section>', dom, re.S
        )
        assert m and re.search(r"<h2>[^<]+</h2>", m.group(1)), f"section {section} is empty"
    assert "Orders to place this week" in dom
    assert dom.count("<svg") >= 4  # warehouse, supplier, fan charts, shadow prices
    assert "horizon_weeks: 6" in dom  # the resolved scenario


def test_screenshot_is_not_blank(plan_run, tmp_path):
    import matplotlib.image as mpimg

    png = screenshot(plan_run / "report.html", tmp_path / "shot.png", size=(1200, 900))
    pixels = mpimg.imread(png)[..., :3]
    assert pixels.shape[:2] == (900, 1200)
    assert pixels.std() > 0.05
    # a real page: text and lines cover a fair share of it, not one colour
    background = np.median(pixels.reshape(-1, 3), axis=0)
    ink = (np.abs(pixels - background).sum(axis=2) > 0.15).mean()
    assert ink > 0.02


def section_html(dom: str, name: str) -> str:
    m = re.search(rf'<section class="section[^"]*" id="sec-{name}"[^>]*>(.*?)</section>', dom, re.S)
    assert m, f"no section {name}"
    return m.group(1)


def test_sku_search_finds_a_sku(plan_run):
    # every section rendered with the search applied (lower case: the search ignores case)
    dom = assert_clean(plan_run / "report.html", "view=all&sku=sku-002")
    orders = section_html(dom, "orders")
    assert re.search(r'id="sku-detail" data-sku="SKU-002"', orders)
    rows = re.findall(r'<tr data-sku="([^"]+)"', orders)
    assert rows and set(rows) == {"SKU-002"}
    # the stock tab draws that SKU's band in each of its two warehouses
    stock = section_html(dom, "stock")
    assert len(re.findall(r'<div class="card" data-sku="SKU-002"><h3>SKU-002 at W\d', stock)) == 2
    # service rows are filtered to the SKU too
    rows = re.findall(r'<tr data-sku="([^"]+)"', section_html(dom, "service"))
    assert rows and set(rows) == {"SKU-002"}


def test_typing_a_sku_and_one_click_to_a_supplier(plan_run):
    """What a user does, over the DevTools protocol: type in the search box, press Enter,
    click a supplier chip, press Escape; no console errors on the way."""
    from planner.report.devtools import DevToolsPage

    skus_shown = "[...new Set([...document.querySelectorAll('#orders-table tr[data-sku]')].map(r => r.dataset.sku))].sort()"
    with DevToolsPage.open(plan_run / "report.html") as page:
        assert page.evaluate(skus_shown) == ["SKU-001", "SKU-002"]
        page.type_into("#sku-search", "sku-00")  # matches both: they are offered as links
        page.settle()
        assert "2 SKUs match" in page.evaluate("document.getElementById('sku-matches').textContent")
        page.press("Enter")  # picks the first match
        page.settle()
        assert page.evaluate("document.getElementById('sku-search').value") == "SKU-001"
        assert page.evaluate(skus_shown) == ["SKU-001"]
        assert page.evaluate("document.getElementById('sku-detail').dataset.sku") == "SKU-001"
        page.click('.chip[data-supplier="S1"]')  # this week's orders from S1, one click
        page.settle(0.1)
        groups = (
            "[...document.querySelectorAll('#orders-table tr.group')].map(r => r.dataset.supplier)"
        )
        assert page.evaluate(groups) == ["S1"]
        assert "supplier=S1" in page.evaluate("location.hash")
        page.press("Escape")  # clears the search; the supplier stays chosen
        page.settle()
        assert page.evaluate(skus_shown) == ["SKU-001", "SKU-002"]
        assert page.evaluate(groups) == ["S1"]
        assert page.errors == []


def test_simulate_and_sweep_reports_render(tmp_path):
    sim = build_report(write_sample_simulate(tmp_path / "sim"))
    dom = assert_clean(sim, "view=all")
    assert "Total cost by policy" in dom and 'src="data:image/png;base64,' in dom
    sweep_dir = write_sample_sweep(tmp_path / "sweep")
    build_report(sweep_dir / "points" / "001")
    dom = assert_clean(build_report(sweep_dir), "view=all")
    assert 'id="tornado"' in dom and 'href="points/001/report.html"' in dom
    # the infeasible point (shortage multiplier 4) has no cost: not in the tornado's ranges
    swings = re.findall(r"<text[^>]*>([^<>]+ → [^<>]+) : [^<>]+</text>", dom)
    assert sorted(swings) == ["0.5 → 2", "8 → 12"]
