"""The comparison as text for the terminal: runs, KPIs side by side, scenario differences,
orders by supplier, by week and by SKU, and the largest line changes."""

from __future__ import annotations

import math

import pandas as pd

from planner.compare.comparison import Comparison
from planner.compare.orders import KEYS, TOL, diff_columns

RATE_KPIS = {"fill_rate", "cycle_service_level"}


def number_text(value: object, *, rate: bool = False, signed: bool = False) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    x = float(value)
    if rate:
        text = f"{x:+.2%}" if signed else f"{x:.2%}"
        return text.replace("%", " pt") if signed else text
    if abs(x) < 0.005:  # no "-0.00": noise below a cent or a hundredth of a unit shows as 0
        return "0"
    if float(x).is_integer() and abs(x) < 1e12:
        return f"{x:+,.0f}" if signed else f"{x:,.0f}"
    return f"{x:+,.2f}" if signed else f"{x:,.2f}"


def _pct(value: object) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return f"{float(value):+.1f}%"


def text_table(
    header: list[str],
    rows: list[list[str]],
    left: int = 1,
    indent: int = 2,
    align: str | None = None,
) -> str:
    """Columns padded to their widest cell; the first `left` columns left-aligned, the others
    right-aligned, unless `align` gives one letter per column (l or r)."""
    widths = [len(h) for h in header]
    for row in rows:
        widths = [max(w, len(c)) for w, c in zip(widths, row, strict=True)]
    pad = " " * indent
    align = align or "l" * left + "r" * (len(header) - left)

    def line(cells: list[str]) -> str:
        parts = [
            c.ljust(w) if a == "l" else c.rjust(w)
            for c, w, a in zip(cells, widths, align, strict=True)
        ]
        return (pad + "  ".join(parts)).rstrip()

    return "\n".join([line(header), *(line(r) for r in rows)])


def _runs_text(cmp: Comparison) -> str:
    rows = [
        [
            r.label + (" (base)" if i == 0 else ""),
            r.kind,
            r.name,
            r.status,
            r.first_week or "-",
            str(r.path),
        ]
        for i, r in enumerate(cmp.runs)
    ]
    header = ["run", "kind", "scenario", "status", "first week", "folder"]
    return text_table(header, rows, left=6)


def _kpis_text(cmp: Comparison) -> str:
    labels = cmp.labels
    diffs = diff_columns(labels)
    groups = cmp.kpis["group"].unique()
    header = ["kpi", *labels, *diffs.values()]
    if len(diffs) == 1:
        header.append("pct")
    rows = []
    for _, r in cmp.kpis.iterrows():
        rate = r["kpi"] in RATE_KPIS
        name = r["kpi"] if len(groups) == 1 else f"{r['group']}: {r['kpi']}"
        cells = [name, *(number_text(r[lab], rate=rate) for lab in labels)]
        cells += [number_text(r[col], rate=rate, signed=True) for col in diffs.values()]
        if len(diffs) == 1:
            cells.append("" if rate else _pct(r["pct"]))
        rows.append(cells)
    return text_table(header, rows)


def _by_text(table: pd.DataFrame, labels: list[str], by: str, top: int | None) -> str:
    diffs = diff_columns(labels)
    shown = table
    note = ""
    if top is not None and len(table) > top:
        size = table[list(diffs.values())].abs().max(axis=1)
        shown = table.loc[size.sort_values(ascending=False, kind="stable").index[:top]]
        note = f"\n  ({len(table) - top} more with smaller differences in the CSV)"
    header = [by, *labels, *diffs.values()]
    rows = [
        [str(r[by]), *(number_text(r[f"quantity_{lab}"]) for lab in labels)]
        + [number_text(r[c], signed=True) for c in diffs.values()]
        for _, r in shown.iterrows()
    ]
    total = [
        "total",
        *(number_text(table[f"quantity_{lab}"].sum()) for lab in labels),
        *(number_text(table[c].sum(), signed=True) for c in diffs.values()),
    ]
    return text_table(header, [*rows, total]) + note


def _lines_text(cmp: Comparison, top: int) -> str:
    labels = cmp.plan_labels
    diffs = diff_columns(labels)
    lines = cmp.changed_lines()
    if lines.empty:
        within = f" by more than {cmp.tolerance:g} units" if cmp.tolerance > TOL else ""
        return f"  no order line differs from the base{within}"
    header = [*KEYS, *labels, *diffs.values()]
    if "change" in lines:
        header.append("change")
    rows = []
    for _, r in lines.head(top).iterrows():
        cells = [str(r[k]) for k in KEYS]
        cells += [number_text(round(r[f"quantity_{lab}"], 3)) for lab in labels]
        cells += [number_text(round(r[c], 3), signed=True) for c in diffs.values()]
        if "change" in lines:
            cells.append(str(r["change"]))
        rows.append(cells)
    text = text_table(header, rows, left=len(KEYS))
    if len(lines) > top:
        text += f"\n  ({len(lines) - top} more changed lines in compare.csv)"
    return text


def format_comparison(cmp: Comparison, top: int = 15) -> str:
    """The printed comparison; `top` limits the SKU and order-line sections."""
    out = ["runs (differences are run - base)", _runs_text(cmp), "", "KPIs", _kpis_text(cmp), ""]
    if cmp.scenario.empty:
        out += ["scenario differences: none (same resolved scenario and dataset)", ""]
    else:
        rows = [[str(v) for v in r] for r in cmp.scenario.itertuples(index=False)]
        out += [
            "scenario differences",
            text_table(["key", *cmp.labels], rows, left=len(cmp.labels) + 1),
            "",
        ]
    if cmp.orders is None:
        out.append("order differences: need at least two plan runs, the first being the base")
        return "\n".join(out)
    labels = cmp.plan_labels
    committed = cmp.orders[cmp.orders["committed"]]
    if not committed.empty:
        out += [
            "orders to place this week (committed), by supplier",
            _by_text(
                committed.groupby("supplier", as_index=False)[
                    [f"quantity_{lab}" for lab in labels] + list(diff_columns(labels).values())
                ].sum(),
                labels,
                "supplier",
                None,
            ),
            "",
        ]
    out += [
        "orders by supplier (units, all weeks)",
        _by_text(cmp.by_supplier, labels, "supplier", None),
    ]
    out += ["", "orders by week (units)", _by_text(cmp.by_week, labels, "order_week", None)]
    out += ["", f"orders by SKU (units; largest {top} differences)"]
    out += [_by_text(cmp.by_sku, labels, "sku", top)]
    n_changed = len(cmp.changed_lines())
    within = f" by more than {cmp.tolerance:g} units" if cmp.tolerance > TOL else ""
    title = f"largest order line changes ({n_changed} of {len(cmp.orders)} lines changed{within})"
    out += ["", title, _lines_text(cmp, top)]
    return "\n".join(out)
