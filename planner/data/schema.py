"""The dataset's column schema, as data.

One table describes every file of a dataset folder: whether the file is required, its key, and
per column the dtype, unit, default, minimum, the table it refers to and a description. The
validator (`planner.data.validate`), the cleaner (`planner.data.clean`) and the README's data
reference (`markdown_reference()`, printed by `python -m planner.data.schema`) all read it, so
the checks and the documentation cannot drift apart.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

Dtype = Literal["str", "float", "int", "date", "bool01"]
OnDuplicate = Literal["error", "aggregate", "keep"]

FORMATS = (".csv", ".parquet")
"""File suffixes a table may have; a table given in both formats is an error."""

UNIT_COST_RULE = "unit_cost"
HOLDING_COST_RULE = "holding_rate*unit_cost/52"
RULES = {
    UNIT_COST_RULE: "the item's `unit_cost`",
    HOLDING_COST_RULE: "`holding_rate` x `unit_cost` / 52",
}
"""Derived defaults: rule name -> how the README describes it."""

DTYPE_TEXT = {
    "str": "text",
    "float": "number",
    "int": "whole number",
    "date": "date (YYYY-MM-DD)",
    "bool01": "0 or 1",
}


@dataclass(frozen=True)
class Column:
    """One column of a table.

    `default` is the literal value an empty cell (or an absent optional column) takes;
    `rule` names a derived default in RULES instead. `references` is the (table, column) every
    non-empty value must appear in. `output` renames the column after cleaning (a `date` is
    bucketed into its ISO week and becomes `week`).
    """

    name: str
    dtype: Dtype
    unit: str
    description: str
    required: bool = False
    default: float | int | str | None = None
    rule: str | None = None
    minimum: float | None = None
    references: tuple[str, str] | None = None
    output: str | None = None
    empty_means: str = ""

    @property
    def clean_name(self) -> str:
        return self.output or self.name

    @property
    def allows_inf(self) -> bool:
        """Only columns whose empty cell means 'unlimited' accept an infinite value."""
        return isinstance(self.default, float) and math.isinf(self.default)

    def default_text(self) -> str:
        if self.required:
            return ""
        if self.empty_means:
            return f"empty = {self.empty_means}"
        if self.rule is not None:
            return RULES[self.rule]
        if isinstance(self.default, str):
            return f'"{self.default}"'
        return f"{self.default:g}"


@dataclass(frozen=True)
class Table:
    """One file of the dataset folder (`<name>.csv` or `<name>.parquet`)."""

    name: str
    required: bool
    key: tuple[str, ...]
    on_duplicate: OnDuplicate
    description: str
    columns: tuple[Column, ...]

    def column(self, name: str) -> Column:
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(f"table {self.name!r} has no column {name!r}")

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @property
    def required_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.required)

    @property
    def clean_names(self) -> tuple[str, ...]:
        return tuple(c.clean_name for c in self.columns)


def _c(name: str, dtype: Dtype, unit: str, description: str, **kw: object) -> Column:
    return Column(name, dtype, unit, description, **kw)  # type: ignore[arg-type]


_SKU = ("items", "sku")
_WAREHOUSE = ("warehouses", "warehouse")
_SUPPLIER = ("suppliers", "supplier")
INF = math.inf
NAN = math.nan

# The schema is a table: one line (or two) per column; keep it compact for reading.
# fmt: off
SCHEMA: tuple[Table, ...] = (
    Table("items", True, ("sku",), "error", "One row per SKU: its costs and size.", (
        _c("sku", "str", "", "SKU code; must not contain '/'.", required=True),
        _c("unit_cost", "float", "currency/unit", "Cost of one unit; values stock.",
           required=True, minimum=0),
        _c("shortage_cost", "float", "currency/unit", "Penalty per unit of unmet demand.",
           required=True, minimum=0),
        _c("holding_rate", "float", "1/year", "Yearly holding cost as a fraction of "
           "unit_cost; used for the holding_cost default.", default=0.25, minimum=0),
        _c("holding_cost", "float", "currency/unit/week",
           "Cost of keeping one unit in stock for one week.", rule=HOLDING_COST_RULE, minimum=0),
        _c("volume", "float", "volume/unit", "Space one unit takes in a warehouse.",
           default=1.0, minimum=0),
        _c("category", "str", "", "Free grouping used by what-if filters and reports.",
           default="uncategorized"),
    )),
    Table("warehouses", True, ("warehouse",), "error", "One row per stocking location.", (
        _c("warehouse", "str", "", "Warehouse code.", required=True),
        _c("capacity", "float", "volume", "Storage space, in the unit of items.volume.",
           default=INF, minimum=0, empty_means="unlimited"),
    )),
    Table("suppliers", True, ("supplier",), "error", "One row per supplier.", (
        _c("supplier", "str", "", "Supplier code.", required=True),
        _c("capacity", "float", "units/week", "Units per week over all its lanes.",
           default=INF, minimum=0, empty_means="unlimited"),
    )),
    Table("supply", True, ("supplier", "sku", "warehouse"), "error",
          "Supply lanes: which supplier can deliver which SKU to which warehouse, on what terms.", (
        _c("supplier", "str", "", "Supplier code.", required=True, references=_SUPPLIER),
        _c("sku", "str", "", "SKU code.", required=True, references=_SKU),
        _c("warehouse", "str", "", "Receiving warehouse.", required=True, references=_WAREHOUSE),
        _c("lead_time_weeks", "int", "weeks", "Weeks from order to arrival.",
           required=True, minimum=0),
        _c("unit_price", "float", "currency/unit", "Purchase price per unit.",
           rule=UNIT_COST_RULE, minimum=0),
        _c("shipping_cost", "float", "currency/unit", "Transport cost per unit.",
           default=0.0, minimum=0),
        _c("fixed_order_cost", "float", "currency/order", "Cost per order placed.",
           default=0.0, minimum=0),
        _c("moq", "float", "units", "Minimum order quantity (0 = none).",
           default=0.0, minimum=0),
        _c("order_multiple", "float", "units", "Orders are multiples of this (0 = any).",
           default=0.0, minimum=0),
        _c("lead_time_sd_weeks", "float", "weeks", "Standard deviation of the lead time.",
           default=0.0, minimum=0),
    )),
    Table("transfers", False, ("from_warehouse", "to_warehouse"), "error",
          "Optional: allowed stock transfers between warehouses.", (
        _c("from_warehouse", "str", "", "Sending warehouse.", required=True,
           references=_WAREHOUSE),
        _c("to_warehouse", "str", "", "Receiving warehouse (not the sender).", required=True,
           references=_WAREHOUSE),
        _c("cost_per_unit", "float", "currency/unit", "Cost of moving one unit.",
           required=True, minimum=0),
        _c("lead_time_weeks", "int", "weeks", "Weeks in transit.", default=1, minimum=0),
    )),
    Table("demand", True, ("date", "sku", "warehouse"), "aggregate",
          "Sales history, daily or weekly; rows with the same key are summed, dates are "
          "bucketed into ISO weeks (Monday) and missing weeks are filled with zero.", (
        _c("date", "date", "date", "Sales date; bucketed into its ISO week (Monday).",
           required=True, output="week"),
        _c("sku", "str", "", "SKU code.", required=True, references=_SKU),
        _c("warehouse", "str", "", "Warehouse the sales were served from.", required=True,
           references=_WAREHOUSE),
        _c("quantity", "float", "units", "Units sold (demand).", required=True, minimum=0),
        _c("promo", "bool01", "0/1", "1 when a promotion ran.", default=0),
        _c("price", "float", "currency/unit", "Selling price; weekly quantity-weighted mean.",
           default=NAN, minimum=0, empty_means="unknown"),
        _c("stockout", "bool01", "0/1",
           "1 when sales were capped by stock, so demand is censored.", default=0),
    )),
    Table("inventory", True, ("sku", "warehouse"), "error",
          "Stock on hand now; a series with demand and no row here starts at 0.", (
        _c("sku", "str", "", "SKU code.", required=True, references=_SKU),
        _c("warehouse", "str", "", "Warehouse code.", required=True, references=_WAREHOUSE),
        _c("on_hand", "float", "units", "Units on hand.", required=True, minimum=0),
    )),
    Table("open_orders", False, (), "keep",
          "Optional: purchase orders already placed and not yet received.", (
        _c("sku", "str", "", "SKU code.", required=True, references=_SKU),
        _c("warehouse", "str", "", "Receiving warehouse.", required=True,
           references=_WAREHOUSE),
        _c("arrival_date", "date", "date", "Expected arrival; bucketed into its ISO week.",
           required=True, output="arrival_week"),
        _c("quantity", "float", "units", "Units ordered.", required=True, minimum=0),
        _c("supplier", "str", "", "Supplier code.", default="", references=_SUPPLIER,
           empty_means="unknown"),
    )),
    Table("events", False, ("date", "sku", "warehouse"), "aggregate",
          "Optional: known future promotions and prices.", (
        _c("date", "date", "date", "Event date; bucketed into its ISO week.", required=True,
           output="week"),
        _c("sku", "str", "", "SKU code.", required=True, references=_SKU),
        _c("warehouse", "str", "", "Warehouse code.", default="", references=_WAREHOUSE,
           empty_means="every warehouse of the SKU"),
        _c("promo", "bool01", "0/1", "1 = a promotion is planned, 0 = none.", default=NAN,
           empty_means="not given"),
        _c("price", "float", "currency/unit", "Planned selling price.", default=NAN,
           minimum=0, empty_means="not given"),
    )),
)
# fmt: on

TABLES: dict[str, Table] = {table.name: table for table in SCHEMA}


def markdown_reference() -> str:
    """The README's data reference: one markdown table per file, generated from SCHEMA."""
    lines = [
        "## Data reference",
        "",
        "A dataset is a folder of tables, each as `<name>.csv` or `<name>.parquet` (not both).",
        "Quantities are in units, money in one currency, time in weeks; weeks start on Monday.",
        "Required columns are marked *; an empty cell in an optional column takes its default.",
        "",
    ]
    for table in SCHEMA:
        status = "required" if table.required else "optional"
        lines += [f"### `{table.name}` ({status})", "", table.description]
        if table.key and table.on_duplicate == "error":
            lines.append(f"Key (must be unique): {', '.join(f'`{k}`' for k in table.key)}.")
        lines += [
            "",
            "| column | type | unit | default | minimum | description |",
            "|---|---|---|---|---|---|",
        ]
        for col in table.columns:
            name = f"`{col.name}`*" if col.required else f"`{col.name}`"
            minimum = "" if col.minimum is None else f">= {col.minimum:g}"
            description = col.description
            if col.references is not None:
                ref_table, ref_column = col.references
                description += f" Must exist in `{ref_table}.{ref_column}`."
            cells = [
                name,
                DTYPE_TEXT[col.dtype],
                col.unit,
                col.default_text(),
                minimum,
                description,
            ]
            lines.append("| " + " | ".join(cells) + " |")
        lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    print(markdown_reference())
