"""plan.xlsx: a plan run folder's tables as the workbook a planner filters, prints and sends.

    write_workbook(Path("runs/demo-baseline-20261124-063000"))  # -> .../plan.xlsx

Built only from the run folder's files (orders.csv, inventory.csv, forecast.csv, service.csv,
transfers.csv when present, summary.json), so a finished run can be rendered again at any
time. Sheets: Orders (every line), one purchase order per supplier for this week's committed
orders (`PO <supplier>`), Inventory, Service, Transfers (when present), Forecast, Costs,
Bottlenecks, Settings. Every table has its header on the first row (the purchase orders below
a header block), frozen panes and an autofilter; weeks are real Excel dates, numbers real
numbers with thousands separators (quantities one decimal, money two, rates as percentages).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from planner.errors import InputError, Problem
from planner.output import atomic_write

WORKBOOK_NAME = "plan.xlsx"
PO_HEADER_ROW = 9
"""0-based row of the purchase-order sheets' table header (the header block sits above it)."""
PO_COLUMNS = ("sku", "warehouse", "quantity", "arrival_week", "unit_price", "line_cost")
COST_COMPONENTS = ("purchase", "logistics", "fixed", "holding", "shortage", "transfer", "terminal")

_EXCEL_EPOCH = np.datetime64("1899-12-30", "D")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
_MAX_SHEET = 31
_TEXT_COLUMNS = ("sku", "warehouse", "supplier", "model", "from_warehouse", "to_warehouse")

# number formats by kind of column
_FORMATS = {
    "date": "yyyy-mm-dd",
    "qty": "#,##0.0",
    "money": "#,##0.00",
    "price": "#,##0.00##",
    "rate": "0.0%",
    "int": "#,##0",
    "number": "General",
    "seconds": "0.000",
}
_KINDS = {
    "order_week": "date",
    "arrival_week": "date",
    "week": "date",
    "quantity": "qty",
    "quantity_mean": "qty",
    "mean": "qty",
    "demand_mean": "qty",
    "shortage_mean": "qty",
    "on_hand_mean": "qty",
    "unit_price": "money",
    "line_cost": "money",
    "expected_cost": "money",
    "capacity": "qty",
    "shadow_price": "price",
    "fill_rate": "rate",
    "cycle_service_level": "rate",
    "expected_utilisation": "rate",
    "committed": "bool",
}


def column_kind(name: str, values: pd.Series) -> str:
    """How a column is written: date, qty, money, price, rate, int, number, bool or text."""
    if name in _KINDS:
        return _KINDS[name]
    if re.fullmatch(r"q[0-9.]+|on_hand_q[0-9.]+", name):
        return "qty"
    if pd.api.types.is_bool_dtype(values):
        return "bool"
    if pd.api.types.is_integer_dtype(values):
        return "int"
    if pd.api.types.is_numeric_dtype(values):
        return "number"
    return "text"


def excel_serials(values: Iterable[Any]) -> np.ndarray:
    """Dates as Excel serial day numbers (1900 date system; NaN where missing)."""
    days = pd.to_datetime(pd.Series(list(values)), errors="coerce").to_numpy("datetime64[D]")
    out = (days - _EXCEL_EPOCH).astype("float64")
    out[np.isnat(days)] = np.nan
    return out


def sheet_name(text: str, taken: set[str]) -> str:
    """`text` as a valid, unused Excel sheet name: forbidden characters []:*?/\\ replaced by
    '_', no leading or trailing apostrophe, at most 31 characters, unique ignoring case
    (a '~2', '~3' ... suffix when taken). Adds the name (lower case) to `taken`."""
    name = _FORBIDDEN.sub("_", str(text)).strip().strip("'").strip() or "Sheet"
    if name.lower() == "history":  # reserved by Excel
        name = f"{name}_"
    base, k = name[:_MAX_SHEET], 1
    name = base
    while name.lower() in taken:
        k += 1
        suffix = f"~{k}"
        name = base[: _MAX_SHEET - len(suffix)].rstrip("'") + suffix
    taken.add(name.lower())
    return name


def write_workbook(run_dir: Path, path: Path | None = None) -> Path:
    """Write `plan.xlsx` (or `path`) from the files of the plan run folder `run_dir`.

    Raises InputError naming the missing file when `run_dir` is not a finished plan run
    (orders.csv, inventory.csv, forecast.csv, service.csv and summary.json are needed).
    The workbook is written to a temporary name and moved into place.
    """
    run_dir = Path(run_dir)
    tables, summary = _read_run(run_dir)
    target = Path(path) if path is not None else run_dir / WORKBOOK_NAME
    return atomic_write(target, lambda tmp: _Book(tmp, tables, summary).build())


def _read_run(run_dir: Path) -> tuple[dict[str, pd.DataFrame], dict]:
    needed = ("orders", "inventory", "forecast", "service")
    missing = [f"{n}.csv" for n in needed if not (run_dir / f"{n}.csv").is_file()]
    if not (run_dir / "summary.json").is_file():
        missing.append("summary.json")
    if missing:
        raise InputError(
            Problem(
                str(run_dir),
                f"not a finished plan run folder: {', '.join(missing)} missing",
                fix="give the folder `planner plan` wrote (its summary.json is written last)",
            ),
            title="cannot build plan.xlsx",
        )
    tables = {}
    for name in (*needed, "transfers"):
        file = run_dir / f"{name}.csv"
        if file.is_file():
            tables[name] = _read_csv(file)
    try:
        summary = json.loads((run_dir / "summary.json").read_text(encoding="utf-8"))
    except ValueError as exc:
        raise InputError(
            Problem(str(run_dir / "summary.json"), f"not valid JSON ({exc})"),
            title="cannot build plan.xlsx",
        ) from None
    return tables, summary


def _read_csv(file: Path) -> pd.DataFrame:
    head = pd.read_csv(file, nrows=0).columns
    text = {c: str for c in head if c in _TEXT_COLUMNS}
    df = pd.read_csv(file, dtype=text, keep_default_na=False, na_values={c: [""] for c in head})
    for c in text:
        df[c] = df[c].fillna("")
    return df


class _Book:
    """One workbook being written: formats, taken sheet names and the sheets in order."""

    def __init__(self, file: Path, tables: dict[str, pd.DataFrame], summary: dict):
        import xlsxwriter

        self.tables, self.summary = tables, summary
        self.wb = xlsxwriter.Workbook(
            str(file),
            {
                "strings_to_numbers": False,
                "strings_to_formulas": False,
                "strings_to_urls": False,
                "nan_inf_to_errors": True,
            },
        )
        self.taken: set[str] = set()
        self.fmt = {k: self.wb.add_format({"num_format": v}) for k, v in _FORMATS.items()}
        self.fmt["text"] = self.fmt["bool"] = None
        self.header = self.wb.add_format(
            {"bold": True, "bg_color": "#DDE4EE", "bottom": 1, "text_wrap": True, "valign": "top"}
        )
        self.bold = self.wb.add_format({"bold": True})
        self.title = self.wb.add_format({"bold": True, "font_size": 14})
        self.total = {
            k: self.wb.add_format({"bold": True, "top": 1, "num_format": _FORMATS[k]})
            for k in ("qty", "money")
        }
        self.total["text"] = self.wb.add_format({"bold": True, "top": 1})

    def build(self) -> None:
        sc = self.summary.get("scenario") or {}
        self.wb.set_properties(
            {
                "title": f"plan {sc.get('name', '')}".strip(),
                "subject": "procurement plan",
                "comments": f"dataset fingerprint {self.summary.get('dataset_fingerprint', '')}",
            }
        )
        self.table_sheet("Orders", self.tables["orders"])
        self.purchase_orders()
        self.table_sheet("Inventory", self.tables["inventory"])
        self.table_sheet("Service", self.tables["service"])
        if "transfers" in self.tables:
            self.table_sheet("Transfers", self.tables["transfers"])
        self.table_sheet("Forecast", self.tables["forecast"])
        self.costs()
        self.table_sheet("Bottlenecks", bottleneck_table(self.summary))
        self.settings()
        self.wb.close()

    # -- building blocks -------------------------------------------------------------------

    def sheet(self, title: str):
        return self.wb.add_worksheet(sheet_name(title, self.taken))

    def write_table(self, ws, df: pd.DataFrame, row0: int = 0, col0: int = 0) -> list[str]:
        """Header at row0, then every column with its kind's format; returns the kinds."""
        kinds = []
        for j, name in enumerate(df.columns):
            ws.write_string(row0, col0 + j, str(name), self.header)
            kind = column_kind(str(name), df[name])
            kinds.append(kind)
            self.write_column(ws, row0 + 1, col0 + j, df[name], kind)
            ws.set_column(col0 + j, col0 + j, _width(str(name), df[name], kind))
        return kinds

    def write_column(self, ws, row0: int, col: int, values: pd.Series, kind: str) -> None:
        fmt = self.fmt[kind]
        if kind == "text":
            for i, v in enumerate(values.to_numpy(object)):
                if v is None or v == "" or (isinstance(v, float) and np.isnan(v)):
                    continue
                ws.write_string(row0 + i, col, str(v))
            return
        if kind == "bool":
            for i, v in enumerate(values.to_numpy(object)):
                if isinstance(v, bool | np.bool_):
                    ws.write_boolean(row0 + i, col, bool(v))
                elif isinstance(v, str) and v.lower() in ("true", "false"):
                    ws.write_boolean(row0 + i, col, v.lower() == "true")
            return
        nums = excel_serials(values) if kind == "date" else pd.to_numeric(values).to_numpy(float)
        for i, v in enumerate(nums.tolist()):
            if v == v:  # not NaN
                ws.write_number(row0 + i, col, v, fmt)

    def table_sheet(self, title: str, df: pd.DataFrame):
        ws = self.sheet(title)
        self.write_table(ws, df)
        ws.freeze_panes(1, 0)
        ws.autofilter(0, 0, max(len(df), 1), max(len(df.columns) - 1, 0))
        return ws

    # -- sheets -----------------------------------------------------------------------------

    def purchase_orders(self) -> None:
        """One sheet per supplier: this week's committed lines, a header block and totals."""
        lines = this_weeks_orders(self.tables["orders"])
        sc = self.summary.get("scenario") or {}
        for supplier, po in lines.groupby("supplier", sort=True):
            po = po[list(PO_COLUMNS)].reset_index(drop=True)
            ws = self.sheet(f"PO {supplier}")
            n, top = len(po), PO_HEADER_ROW + 1
            total_row = top + n
            qty, cost = float(po["quantity"].sum()), float(po["line_cost"].sum())
            ws.write_string(0, 0, "Purchase order", self.title)
            block = [
                ("Supplier", "text", str(supplier)),
                ("Order week", "date", po_week(lines)),
                ("Lines", "int", n),
                ("Total quantity", "qty", (f"=C{total_row + 1}", qty)),
                ("Total cost", "money", (f"=F{total_row + 1}", cost)),
                ("Plan", "text", str(sc.get("name", ""))),
                ("Dataset", "text", str(self.summary.get("dataset_fingerprint", ""))[:12]),
            ]
            for i, (label, kind, value) in enumerate(block, start=1):
                ws.write_string(i, 0, label, self.bold)
                if isinstance(value, tuple):
                    ws.write_formula(i, 1, value[0], self.fmt[kind], value[1])
                elif kind == "text":
                    ws.write_string(i, 1, value)
                else:
                    self.write_column(ws, i, 1, pd.Series([value]), kind)
            self.write_table(ws, po, PO_HEADER_ROW)
            ws.write_string(total_row, 0, "Total", self.total["text"])
            for col, kind, value in ((2, "qty", qty), (5, "money", cost)):
                letter = "ABCDEF"[col]
                formula = f"=SUM({letter}{top + 1}:{letter}{total_row})"
                ws.write_formula(total_row, col, formula, self.total[kind], value)
            ws.set_column(0, 0, max(16, _width("sku", po["sku"], "text")))
            ws.set_column(1, 1, max(14, _width("warehouse", po["warehouse"], "text")))
            ws.freeze_panes(top, 0)
            ws.autofilter(PO_HEADER_ROW, 0, PO_HEADER_ROW + max(n, 1), len(PO_COLUMNS) - 1)
            ws.repeat_rows(PO_HEADER_ROW)
            ws.fit_to_pages(1, 0)

    def costs(self) -> None:
        """Expected cost by component with a total; the headline indicators beside them."""
        table = cost_table(self.summary)
        ws = self.table_sheet("Costs", table)
        n = len(table)
        ws.write_string(n + 1, 0, "total", self.total["text"])
        total = float(table["expected_cost"].sum())
        ws.write_formula(n + 1, 1, f"=SUM(B2:B{n + 1})", self.total["money"], total)
        kpis = indicator_table(self.summary)
        ws.write_string(0, 3, "indicator", self.header)
        ws.write_string(0, 4, "value", self.header)
        for i, (label, kind, value) in enumerate(kpis, start=1):
            ws.write_string(i, 3, label)
            if value is None:
                continue
            if kind == "text":
                ws.write_string(i, 4, str(value))
            else:
                ws.write_number(i, 4, float(value), self.fmt[kind])
        ws.set_column(3, 3, max(len(k[0]) for k in kpis) + 2)
        ws.set_column(4, 4, 16)

    def settings(self) -> None:
        """The run's settings as key/value rows: run facts, solver, timings, the scenario."""
        ws = self.sheet("Settings")
        ws.write_string(0, 0, "key", self.header)
        ws.write_string(0, 1, "value", self.header)
        rows = settings_rows(self.summary)
        for i, (key, value) in enumerate(rows, start=1):
            ws.write_string(i, 0, key)
            if value is None:
                continue
            if isinstance(value, bool):
                ws.write_boolean(i, 1, value)
            elif isinstance(value, int | float):
                kind = "seconds" if key.startswith("timings.") else "number"
                ws.write_number(i, 1, float(value), self.fmt[kind])
            elif isinstance(value, str) and _ISO_DATE.fullmatch(value):
                ws.write_number(i, 1, float(excel_serials([value])[0]), self.fmt["date"])
            else:
                ws.write_string(i, 1, str(value))
        ws.set_column(0, 0, min(60, max((len(k) for k, _ in rows), default=10) + 2))
        ws.set_column(1, 1, 70)
        ws.freeze_panes(1, 0)
        ws.autofilter(0, 0, max(len(rows), 1), 1)


# -- tables derived from the run folder (shared with the tests) -----------------------------


def this_weeks_orders(orders: pd.DataFrame) -> pd.DataFrame:
    """The committed lines of the first order week: what is placed now."""
    committed = orders[orders["committed"].astype(str).str.lower() == "true"]
    if committed.empty:
        return committed
    week = pd.to_datetime(committed["order_week"])
    return committed[week == week.min()]


def po_week(lines: pd.DataFrame) -> Any:
    return lines["order_week"].iloc[0] if len(lines) else None


def cost_table(summary: dict) -> pd.DataFrame:
    """component, expected_cost from summary.json (contract components first, then others)."""
    costs = summary.get("costs") or {}
    order = [c for c in COST_COMPONENTS if c in costs] + [
        c for c in costs if c not in COST_COMPONENTS
    ]
    return pd.DataFrame(
        {"component": order, "expected_cost": [float(costs[c]) for c in order]},
        columns=["component", "expected_cost"],
    )


def indicator_table(summary: dict) -> list[tuple[str, str, Any]]:
    """(label, kind, value) of the headline indicators shown beside the costs."""
    service = summary.get("service") or {}
    value = summary.get("value_of_information") or {}
    risk = summary.get("risk") or {}
    solver = summary.get("solver") or {}
    rows: list[tuple[str, str, Any]] = [
        ("status", "text", summary.get("status")),
        ("objective", "money", summary.get("objective")),
        ("fill rate", "rate", service.get("fill_rate")),
        ("cycle service level", "rate", service.get("cycle_service_level")),
    ]
    if value:
        rows += [
            ("value of the stochastic solution (VSS)", "money", value.get("vss")),
            ("expected value of perfect information (EVPI)", "money", value.get("evpi")),
        ]
    if risk:
        rows.append((f"CVaR{risk.get('cvar_alpha', 0):.0%} of cost", "money", risk.get("cvar")))
    rows.append(("binding capacities and budgets", "int", len(summary.get("bottlenecks") or [])))
    rows += [
        ("solver status", "text", solver.get("status")),
        ("MIP gap", "rate", solver.get("gap")),
        ("solver seconds", "seconds", solver.get("seconds")),
    ]
    return rows


def bottleneck_table(summary: dict) -> pd.DataFrame:
    """One row per binding resource and week: constraint, name, week, capacity, unit,
    shadow_price, expected_utilisation, message."""
    columns = [
        "constraint",
        "name",
        "week",
        "capacity",
        "unit",
        "shadow_price",
        "expected_utilisation",
        "message",
    ]
    rows = []
    for b in summary.get("bottlenecks") or []:
        prices = b.get("shadow_price_by_week") or {}
        caps = b.get("capacity_by_week") or {}
        used = b.get("expected_utilisation_by_week") or {}
        for week in b.get("weeks") or sorted(prices):
            rows.append(
                {
                    "constraint": b.get("constraint", ""),
                    "name": b.get("name", ""),
                    "week": week,
                    "capacity": caps.get(week, np.nan),
                    "unit": b.get("unit", ""),
                    "shadow_price": prices.get(week, np.nan),
                    "expected_utilisation": used.get(week, np.nan),
                    "message": b.get("message", ""),
                }
            )
    df = pd.DataFrame(rows, columns=columns)
    for c in ("capacity", "shadow_price", "expected_utilisation"):
        df[c] = pd.to_numeric(df[c]).astype(float)
    return df


def settings_rows(summary: dict) -> list[tuple[str, Any]]:
    """The run flattened to (dotted key, scalar) rows: run facts, solver, model, timings,
    value of information, risk, overrides, what-ifs, notes, the resolved scenario and the
    data-quality summary. Lists become `key[i]` rows; an empty list or dict one "(none)" row."""
    rows: list[tuple[str, Any]] = []
    for key in ("status", "objective", "dataset_fingerprint"):
        if key in summary:
            rows.append((key, summary[key]))
    for key in ("solver", "model", "timings", "value_of_information", "risk", "plan_weeks"):
        if summary.get(key) is not None:
            rows += _flatten(key, summary[key])
    for key in ("overrides", "whatif", "notes", "scenario"):
        if key in summary:
            rows += _flatten(key, summary[key])
    quality = (summary.get("data_quality") or {}).get("summary")
    if quality:
        rows += _flatten("data_quality", quality)
    return rows


def _flatten(key: str, value: Any) -> list[tuple[str, Any]]:
    if isinstance(value, dict):
        if not value:
            return [(key, "(none)")]
        return [row for k, v in value.items() for row in _flatten(f"{key}.{k}", v)]
    if isinstance(value, list | tuple):
        if not value:
            return [(key, "(none)")]
        return [row for i, v in enumerate(value) for row in _flatten(f"{key}[{i}]", v)]
    if isinstance(value, float) and not np.isfinite(value):
        return [(key, str(value))]
    return [(key, value)]


def _width(header: str, values: pd.Series, kind: str) -> float:
    """A column width that shows the header and the widest value (capped at 50)."""
    if kind == "date":
        body = 10
    elif kind == "bool":
        body = 5
    elif kind == "text":
        body = int(values.astype(str).str.len().max()) if len(values) else 0
    else:
        nums = pd.to_numeric(values, errors="coerce").abs()
        top = float(nums.max()) if nums.notna().any() else 0.0
        body = len(f"{top:,.2f}") + 1 if kind != "rate" else 7
    return float(min(50, max(len(header) + 2, body + 2)))
