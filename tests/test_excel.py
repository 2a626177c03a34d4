"""plan.xlsx reads back to the run folder's numbers: every sheet, the purchase orders, the
dates, the formats, frozen panes and filters, and sheet names Excel accepts."""

import json
import re
import shutil
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
import yaml
from click.testing import CliRunner

from planner.cli import main
from planner.data.testing import write_minimal_dataset
from planner.errors import InputError
from planner.report.excel import PO_COLUMNS, PO_HEADER_ROW, sheet_name, write_workbook

TEXT = ("sku", "warehouse", "supplier", "model", "from_warehouse", "to_warehouse")
DATES = ("order_week", "arrival_week", "week")


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    """A real plan run: two frozen weeks (only the first is this week's purchase order) and a
    weekly budget that binds (so there are bottlenecks)."""
    root = tmp_path_factory.mktemp("xlsx")
    data = write_minimal_dataset(root / "data")
    doc = {
        "name": "mini",
        "dataset": str(data),
        "plan": {"horizon_weeks": 6, "frozen_weeks": 2},
        "forecast": {"model": "seasonal_naive", "paths": 60, "scenarios": 8, "seed": 3},
        "budget_per_week": 300,
        "solver": {"time_limit_s": 60},
    }
    scenario = root / "mini.yaml"
    scenario.write_text(yaml.safe_dump(doc))
    out = root / "run"
    res = CliRunner().invoke(main, ["plan", str(scenario), "--out", str(out), "--quiet"])
    assert res.exit_code == 0, res.output
    return out


@pytest.fixture(scope="module")
def book(run_dir) -> Path:
    return write_workbook(run_dir)


def csv(run_dir: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(run_dir / f"{name}.csv", dtype={c: str for c in TEXT})


def assert_same_table(sheet: pd.DataFrame, table: pd.DataFrame) -> None:
    assert list(sheet.columns) == list(table.columns)
    assert len(sheet) == len(table)
    for col in table.columns:
        got, want = sheet[col], table[col]
        if col in DATES:
            assert pd.api.types.is_datetime64_any_dtype(got), f"{col} is not read back as dates"
            assert (got.reset_index(drop=True) == pd.to_datetime(want)).all(), col
        elif want.dtype == bool:
            assert got.dtype == bool and (got.to_numpy() == want.to_numpy()).all(), col
        elif pd.api.types.is_numeric_dtype(want):
            np.testing.assert_allclose(got.to_numpy(float), want.to_numpy(float), rtol=1e-12)
        else:
            assert got.astype(str).tolist() == want.astype(str).tolist(), col


@pytest.mark.parametrize(
    "sheet, name",
    [
        ("Orders", "orders"),
        ("Inventory", "inventory"),
        ("Service", "service"),
        ("Forecast", "forecast"),
        ("Transfers", "transfers"),
    ],
)
def test_table_sheets_read_back_to_the_csv_numbers(book, run_dir, sheet, name):
    table = csv(run_dir, name)
    assert len(table) > 0
    got = pd.read_excel(book, sheet_name=sheet, engine="openpyxl", dtype={c: str for c in TEXT})
    assert_same_table(got, table)


def test_purchase_orders_hold_this_weeks_committed_lines_per_supplier(book, run_dir):
    orders = csv(run_dir, "orders")
    first = orders["order_week"].min()
    now = orders[orders["committed"] & (orders["order_week"] == first)]
    later = orders[orders["committed"] & (orders["order_week"] != first)]
    assert len(now) and len(later), "the fixture should commit two weeks"
    xl = pd.ExcelFile(book, engine="openpyxl")
    po_sheets = [s for s in xl.sheet_names if s.startswith("PO ")]
    assert sorted(po_sheets) == sorted(f"PO {s}" for s in now["supplier"].unique())
    for supplier, lines in now.groupby("supplier"):
        got = pd.read_excel(xl, sheet_name=f"PO {supplier}", header=PO_HEADER_ROW)
        total = got[got["sku"] == "Total"]
        got = got[got["sku"] != "Total"].reset_index(drop=True)
        assert_same_table(got, lines[list(PO_COLUMNS)].reset_index(drop=True))
        assert total["quantity"].item() == pytest.approx(lines["quantity"].sum(), rel=1e-12)
        assert total["line_cost"].item() == pytest.approx(lines["line_cost"].sum(), rel=1e-12)
        head = pd.read_excel(xl, sheet_name=f"PO {supplier}", header=None, nrows=PO_HEADER_ROW)
        block = dict(zip(head[0], head[1], strict=True))
        assert block["Supplier"] == supplier
        assert pd.Timestamp(block["Order week"]) == pd.Timestamp(first)
        assert block["Lines"] == len(lines)
        assert block["Total cost"] == pytest.approx(lines["line_cost"].sum(), rel=1e-12)
        assert block["Total quantity"] == pytest.approx(lines["quantity"].sum(), rel=1e-12)


def test_costs_sheet_has_the_components_and_a_total_equal_to_the_objective(book, run_dir):
    summary = json.loads((run_dir / "summary.json").read_text())
    got = pd.read_excel(book, sheet_name="Costs", usecols="A:B", engine="openpyxl").dropna()
    costs = dict(zip(got["component"], got["expected_cost"], strict=True))
    for key, value in summary["costs"].items():
        assert costs[key] == pytest.approx(value, rel=1e-12)
    assert costs["total"] == pytest.approx(sum(summary["costs"].values()), rel=1e-12)
    assert costs["total"] == pytest.approx(summary["objective"], abs=1e-3)
    kpi = pd.read_excel(book, sheet_name="Costs", usecols="D:E", engine="openpyxl").dropna()
    kpi = dict(zip(kpi["indicator"], kpi["value"], strict=True))
    assert kpi["fill rate"] == pytest.approx(summary["service"]["fill_rate"])
    assert kpi["status"] == summary["status"]


def test_bottlenecks_sheet_lists_every_binding_week_with_its_shadow_price(book, run_dir):
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["bottlenecks"], "the fixture's budget should bind"
    got = pd.read_excel(book, sheet_name="Bottlenecks", engine="openpyxl")
    want = [
        (b["name"], pd.Timestamp(w), b["shadow_price_by_week"][w], b["capacity_by_week"][w])
        for b in summary["bottlenecks"]
        for w in b["weeks"]
    ]
    assert len(got) == len(want)
    for row, (name, week, price, cap) in zip(got.itertuples(), want, strict=True):
        assert row.name == name and row.week == week
        assert row.shadow_price == pytest.approx(price, rel=1e-12)
        assert row.capacity == pytest.approx(cap, rel=1e-12)


def test_settings_sheet_holds_the_resolved_scenario_fingerprint_solver_and_timings(book, run_dir):
    summary = json.loads((run_dir / "summary.json").read_text())
    got = pd.read_excel(book, sheet_name="Settings", engine="openpyxl")
    kv = dict(zip(got["key"], got["value"], strict=True))
    assert kv["dataset_fingerprint"] == summary["dataset_fingerprint"]
    assert kv["solver.status"] == summary["solver"]["status"]
    assert kv["scenario.plan.horizon_weeks"] == 6
    assert kv["scenario.budget_per_week"] == 300
    assert kv["scenario.forecast.model"] == "seasonal_naive"
    for stage, seconds in summary["timings"].items():
        assert kv[f"timings.{stage}"] == pytest.approx(seconds)
    weeks = [kv[f"plan_weeks[{i}]"] for i in range(len(summary["plan_weeks"]))]
    assert weeks == [pd.Timestamp(w) for w in summary["plan_weeks"]]  # real dates


def test_dates_formats_frozen_panes_and_filters(book, run_dir):
    wb = openpyxl.load_workbook(book)
    n_orders = len(csv(run_dir, "orders"))
    orders = wb["Orders"]
    assert orders.freeze_panes == "A2"
    assert orders.auto_filter.ref == f"A1:I{n_orders + 1}"
    header = [c.value for c in orders[1]]
    week, qty, cost = (header.index(k) for k in ("order_week", "quantity", "line_cost"))
    row = orders[2]
    assert row[week].is_date and row[week].number_format == "yyyy-mm-dd"
    assert row[qty].data_type == "n" and "#,##0" in row[qty].number_format
    assert row[cost].number_format == "#,##0.00"
    for name in ("Inventory", "Forecast", "Service", "Bottlenecks", "Settings"):
        assert wb[name].freeze_panes == "A2", name
        assert wb[name].auto_filter.ref, name
    assert wb["Inventory"]["A2"].is_date
    assert wb["Inventory"]["H2"].number_format == "0.0%"  # fill_rate
    po = next(wb[s] for s in wb.sheetnames if s.startswith("PO "))
    assert po.freeze_panes == f"A{PO_HEADER_ROW + 2}"
    assert po.auto_filter.ref.startswith(f"A{PO_HEADER_ROW + 1}:F")
    assert po["B3"].is_date  # the order week in the header block


def test_sheet_name_rules():
    taken = {"orders"}
    assert sheet_name("PO S1", taken) == "PO S1"
    assert sheet_name("Orders", taken) == "Orders~2"  # unique ignoring case
    odd = sheet_name("PO ACME [EU]: parts/spares*?\\x", taken)
    assert odd == "PO ACME _EU__ parts_spares___x"
    long = "PO " + "Northern Industrial Supplies Company Limited"
    a, b = sheet_name(long, taken), sheet_name(long, taken)
    assert len(a) == len(b) == 31 and a != b and b.endswith("~2")
    assert sheet_name("'quoted'", taken) == "quoted"
    assert sheet_name("History", taken) == "History_"


def test_awkward_supplier_names_get_valid_distinct_po_sheets(run_dir, tmp_path):
    copy = tmp_path / "run"
    shutil.copytree(run_dir, copy)
    orders = csv(copy, "orders")
    first = orders["committed"] & (orders["order_week"] == orders["order_week"].min())
    idx = orders.index[first]
    assert len(idx) >= 2
    names = ["Acme [EU]: parts/spares & more, a very long supplier name", "x" * 40 + "*"]
    orders.loc[idx[0], "supplier"] = names[0]
    orders.loc[idx[1:], "supplier"] = names[1]
    orders.to_csv(copy / "orders.csv", index=False)
    book = write_workbook(copy)
    wb = openpyxl.load_workbook(book)
    po = [s for s in wb.sheetnames if s.startswith("PO ")]
    assert len(po) == 2
    for s in po:
        assert len(s) <= 31 and not set(s) & set("[]:*?/\\")
    suppliers = {wb[s]["B2"].value for s in po}
    assert suppliers == set(names)


def test_not_a_finished_run_is_an_input_error_and_writes_nothing(run_dir, tmp_path):
    copy = tmp_path / "unfinished"
    shutil.copytree(run_dir, copy, ignore=shutil.ignore_patterns("summary.json", "plan.xlsx"))
    with pytest.raises(InputError, match=r"summary\.json missing"):
        write_workbook(copy)
    assert not list(copy.glob("*.xlsx*")) and not list(copy.glob(".plan.xlsx*"))


def test_written_atomically_no_temporary_file_left(book):
    assert book.name == "plan.xlsx"
    assert [p.name for p in book.parent.iterdir() if p.name.startswith(".")] == []


def test_benchmark_smoke_and_one_po_sheet_per_supplier_of_the_synthetic_run(tmp_path):
    from benchmarks import excel as bench

    out = tmp_path / "bench.json"
    assert bench.main(["--sizes", "30", "--repeat", "1", "--json", str(out)]) == 0
    case = json.loads(out.read_text())["cases"][0]
    assert case["order_lines"] == 30 * bench.WEEKS and case["workbook_s"] > 0
    run = bench.make_run(tmp_path / "run", 30)
    book = write_workbook(run)
    xl = pd.ExcelFile(book, engine="openpyxl")
    orders = csv(run, "orders")
    assert len(pd.read_excel(xl, sheet_name="Orders")) == len(orders)
    now = orders[orders["committed"]]
    assert sum(s.startswith("PO ") for s in xl.sheet_names) == now["supplier"].nunique() == 20
    for supplier, lines in now.groupby("supplier"):
        got = pd.read_excel(xl, sheet_name=f"PO {supplier}", header=PO_HEADER_ROW)
        total = got.loc[got["sku"] == "Total", "line_cost"].item()
        assert total == pytest.approx(lines["line_cost"].sum(), rel=1e-12)


def test_no_purchase_order_sheet_when_nothing_is_committed(run_dir, tmp_path):
    copy = tmp_path / "run"
    shutil.copytree(run_dir, copy)
    orders = csv(copy, "orders")
    orders["committed"] = False
    orders.to_csv(copy / "orders.csv", index=False)
    names = openpyxl.load_workbook(write_workbook(copy), read_only=True).sheetnames
    assert not [s for s in names if s.startswith("PO ")]
    assert names[0] == "Orders" and "Costs" in names


def _evaluate(ws, formula: str) -> float:
    """The value of `=SUM(X1:X9)` or `=X9` on an openpyxl sheet of stored numbers."""
    if m := re.fullmatch(r"=SUM\(([A-Z])(\d+):([A-Z])(\d+)\)", formula):
        col, first, col2, last = m.group(1), int(m.group(2)), m.group(3), int(m.group(4))
        assert col == col2
        return sum(ws[f"{col}{r}"].value for r in range(first, last + 1))
    m = re.fullmatch(r"=([A-Z])(\d+)", formula)
    assert m, formula
    target = ws[f"{m.group(1)}{m.group(2)}"].value
    return _evaluate(ws, target) if isinstance(target, str) else target


def test_formulas_compute_the_totals_they_store(book, run_dir):
    """The SUM formulas reference exactly the lines: evaluated independently, they give the
    totals of this week's committed lines (pandas only sees the stored values)."""
    orders = csv(run_dir, "orders")
    now = orders[orders["committed"] & (orders["order_week"] == orders["order_week"].min())]
    wb = openpyxl.load_workbook(book)  # formulas, not values
    for supplier, lines in now.groupby("supplier"):
        ws = wb[f"PO {supplier}"]
        assert _evaluate(ws, ws["B5"].value) == pytest.approx(lines["quantity"].sum(), rel=1e-12)
        assert _evaluate(ws, ws["B6"].value) == pytest.approx(lines["line_cost"].sum(), rel=1e-12)
    costs = wb["Costs"]
    summary = json.loads((run_dir / "summary.json").read_text())
    n = len(summary["costs"])
    total = costs[f"B{n + 2}"].value
    assert _evaluate(costs, total) == pytest.approx(sum(summary["costs"].values()), rel=1e-12)
