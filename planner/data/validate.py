"""Checking a dataset against the schema: every problem collected, none raised one at a time.

`parse_table` turns one file's raw cells into typed columns as the schema says (dtype,
required, minimum) and `check_dataset` runs the rules that span rows and tables (unique keys,
references, supply lanes for every demand series, transfers, SKU names). Each problem names
the file, the spreadsheet rows, the offending values and a fix.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from planner.data.io import RawTable, as_text
from planner.data.quality import Ignored
from planner.data.schema import DTYPE_TEXT, SCHEMA, TABLES, Column
from planner.errors import Problem

ROW = "_row"
"""Column of a parsed table holding each row's spreadsheet row number."""

EXPECTED = {"float": "a number", "int": "a whole number", "bool01": "0 or 1"}
"""How messages name what a number column must hold."""

MAX_LANE_PROBLEMS = 20
"""Series without a supply lane reported one by one; the rest share one problem."""

MISSING_MARKERS = frozenset({"nan", "na", "n/a", "#n/a", "null", "none"})
"""Texts read as an empty cell in number and date columns."""


@dataclass(frozen=True, eq=False)
class ParsedTable:
    """One table with typed columns: every schema column present ("" / NaN / NaT if empty)."""

    name: str
    label: str
    frame: pd.DataFrame
    usable: bool


def validate(
    raws: dict[str, RawTable], labels: dict[str, str]
) -> tuple[dict[str, ParsedTable], list[Problem], list[Ignored]]:
    """Parse every table and run every check; `labels` names each table's file for messages."""
    parsed: dict[str, ParsedTable] = {}
    problems: list[Problem] = []
    ignored: list[Ignored] = []
    for table in SCHEMA:
        if table.name in raws:
            result, table_problems, table_ignored = parse_table(raws[table.name])
            parsed[table.name] = result
            problems += table_problems
            ignored += table_ignored
    problems += check_dataset(parsed, labels)
    return parsed, problems, ignored


def parse_table(raw: RawTable) -> tuple[ParsedTable, list[Problem], list[Ignored]]:
    """Typed columns for one file, the problems of its cells, and the columns it ignores."""
    table = TABLES[raw.name]
    columns = list(raw.frame.columns)
    problems: list[Problem] = []
    unknown = [c for c in columns if c not in table.names]
    for name in table.required_names:
        if name not in columns:
            problems.append(_missing_column(raw.label, table.column(name), unknown))
    ignored = [Ignored(raw.label, "unknown column, ignored", column=c) for c in unknown]
    data: dict[str, object] = {ROW: raw.rows}
    for column in table.columns:
        if column.name in columns:
            values, column_problems = _parse_column(column, raw.frame[column.name], raw)
            problems += column_problems
        else:
            values = _empty_column(column, len(raw.frame))
        data[column.name] = values
    frame = pd.DataFrame(data)
    usable = all(name in columns for name in table.required_names)
    return ParsedTable(raw.name, raw.label, frame, usable), problems, ignored


def _missing_column(label: str, column: Column, unknown: list[str]) -> Problem:
    lowered = {c.lower(): c for c in unknown}
    near = lowered.get(column.name.lower()) or next(
        iter(difflib.get_close_matches(column.name, unknown, n=1, cutoff=0.7)), None
    )
    if near is not None:
        fix = f"rename column {near!r} to {column.name!r}"
    else:
        unit = f", {column.unit}" if column.unit else ""
        fix = f"add a column {column.name!r} ({DTYPE_TEXT[column.dtype]}{unit}): "
        fix += column.description
    return Problem(label, f"required column {column.name!r} is missing", fix=fix)


def _empty_column(column: Column, n: int) -> np.ndarray:
    if column.dtype == "str":
        return np.full(n, "", dtype=object)
    if column.dtype == "date":
        return np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]")
    return np.full(n, np.nan)


def _parse_column(
    column: Column, cells: pd.Series, raw: RawTable
) -> tuple[np.ndarray, list[Problem]]:
    """Typed values of one column and the problems of its cells (text is made only if needed)."""
    problems: list[Problem] = []

    def report(mask: np.ndarray, message: str, fix: str) -> None:
        if mask.any():
            rows = tuple(int(r) for r in raw.rows[mask])
            values = tuple(as_text(cells[mask]))
            if not any(values):
                values = ()
            problems.append(Problem(raw.label, message, fix=fix, rows=rows, values=values))

    if column.dtype == "str":
        values = as_text(cells).to_numpy(dtype=object)
        blank = values == ""
    elif column.dtype == "date":
        if pd.api.types.is_datetime64_any_dtype(cells.dtype):
            values = _typed_dates(cells)
            blank = np.isnat(values)
        else:
            text = as_text(cells)
            blank = _blank_text(text)
            values = _parse_dates(text.where(~blank, ""))
        report(
            np.isnat(values) & ~blank,
            f"column {column.name!r} must be a date; got values that are not",
            "write dates as YYYY-MM-DD (for example 2024-01-29)",
        )
    else:
        if _is_number_dtype(cells):
            values = np.array(pd.to_numeric(cells, errors="coerce"), dtype="float64")
            blank, bad = np.isnan(values), np.zeros(len(values), dtype=bool)
        else:
            text = as_text(cells)
            blank = _blank_text(text)
            values, bad = _parse_numbers(text, blank, column.dtype == "bool01")
        report(
            bad,
            f"column {column.name!r} must be {EXPECTED[column.dtype]}; got values that are not",
            "write plain numbers with '.' as the decimal point and no thousands separator or unit",
        )
        _check_number_rules(column, values, report)
    if column.required:
        report(
            blank,
            f"column {column.name!r} is required but these cells are empty",
            f"fill in the {column.name} or remove these rows",
        )
    return values, problems


def _is_number_dtype(cells: pd.Series) -> bool:
    """True for columns stored as numbers or booleans (Parquet), not as text."""
    return bool(
        pd.api.types.is_numeric_dtype(cells.dtype) or pd.api.types.is_bool_dtype(cells.dtype)
    )


def _blank_text(text: pd.Series) -> np.ndarray:
    return ((text == "") | text.str.lower().isin(MISSING_MARKERS)).to_numpy(dtype=bool)


def _parse_numbers(
    text: pd.Series, blank: np.ndarray, flags: bool
) -> tuple[np.ndarray, np.ndarray]:
    """Numbers as float64 (NaN when empty) and the mask of cells that are not numbers.

    With `flags` (a 0/1 column), the words true and false also read as 1 and 0.
    """
    numbers = pd.to_numeric(text.where(~blank, np.nan), errors="coerce")
    values = np.array(numbers, dtype="float64")
    bad = np.isnan(values) & ~blank
    if flags and bad.any():
        lowered = text.str.lower().to_numpy(dtype=object)
        truth = bad & np.isin(lowered, ["true", "false"])
        values[truth] = lowered[truth] == "true"
        bad &= ~truth
    return values, bad


def _check_number_rules(
    column: Column, values: np.ndarray, report: Callable[[np.ndarray, str, str], None]
) -> None:
    known = ~np.isnan(values)
    if not column.allows_inf:
        report(
            known & np.isinf(values),
            f"column {column.name!r} must be a finite number",
            "replace the infinite values with real numbers",
        )
    finite = known & np.isfinite(values)
    if column.dtype == "int":
        report(
            finite & (values != np.floor(np.where(finite, values, 0))),
            f"column {column.name!r} must be a whole number; got values with a fraction",
            f"round {column.name} to a whole number",
        )
    if column.dtype == "bool01":
        report(
            known & ~np.isin(values, (0.0, 1.0)),
            f"column {column.name!r} must be 0 or 1; got other values",
            "write 1 for yes and 0 for no",
        )
    if column.minimum is not None:
        unit = f" ({column.unit})" if column.unit else ""
        report(
            known & (values < column.minimum),
            f"column {column.name!r} must be >= {column.minimum:g}{unit}; got smaller values",
            f"correct these {column.name} values or remove the rows",
        )


def _typed_dates(cells: pd.Series) -> np.ndarray:
    """A stored date or datetime column as naive datetime64[ns]."""
    dates = pd.to_datetime(cells)
    if getattr(dates.dt, "tz", None) is not None:
        dates = dates.dt.tz_localize(None)
    return dates.astype("datetime64[ns]").to_numpy()


def _parse_dates(text: pd.Series) -> np.ndarray:
    """ISO dates (YYYY-MM-DD, a time of day allowed) as datetime64[ns]; NaT when not a date."""
    try:
        dates = pd.to_datetime(text, format="ISO8601", errors="coerce")
        if getattr(dates.dt, "tz", None) is not None:
            dates = dates.dt.tz_localize(None)
        return dates.astype("datetime64[ns]").to_numpy()
    except (ValueError, TypeError, OverflowError):
        return np.array([_one_date(t) for t in text], dtype="datetime64[ns]")


def _one_date(text: str) -> np.datetime64:
    try:
        stamp = pd.Timestamp(text)
    except (ValueError, TypeError, OverflowError):
        return np.datetime64("NaT")
    if stamp is pd.NaT:
        return np.datetime64("NaT")
    if stamp.tzinfo is not None:
        stamp = stamp.tz_localize(None)
    return np.datetime64(stamp.to_datetime64(), "ns")


def check_dataset(parsed: dict[str, ParsedTable], labels: dict[str, str]) -> list[Problem]:
    """The rules that span rows and tables; tables missing a required column are skipped."""
    usable = {name: t for name, t in parsed.items() if t.usable}
    problems: list[Problem] = []
    for table in usable.values():
        problems += _check_duplicates(table)
        problems += _check_references(table, usable, labels)
    if "items" in usable:
        items = usable["items"]
        bad = items.frame["sku"].str.contains("/", regex=False).to_numpy(dtype=bool)
        problems += _rows_problem(
            items,
            bad,
            "sku",
            "a SKU must not contain '/' (it separates SKU and warehouse in series ids)",
            "rename the SKU without '/' (for example 'A-B') in every file",
        )
    if "transfers" in usable:
        t = usable["transfers"]
        frame = t.frame
        bad = (
            (frame["from_warehouse"] == frame["to_warehouse"]) & (frame["from_warehouse"] != "")
        ).to_numpy(dtype=bool)
        problems += _rows_problem(
            t,
            bad,
            "from_warehouse",
            "a transfer must go to another warehouse",
            "remove the rows whose from_warehouse equals to_warehouse",
        )
    if "demand" in usable and usable["demand"].frame.empty:
        problems.append(
            Problem(
                usable["demand"].label,
                "the demand table has no rows",
                fix="add the sales history: one row per date, sku, warehouse",
            )
        )
    if "demand" in usable and "supply" in usable:
        problems += _check_lanes(usable, labels)
    return problems


def _rows_problem(
    table: ParsedTable, mask: np.ndarray, column: str, message: str, fix: str
) -> list[Problem]:
    if not mask.any():
        return []
    frame = table.frame
    rows = tuple(int(r) for r in frame[ROW].to_numpy()[mask])
    values = tuple(str(v) for v in frame[column].to_numpy()[mask])
    return [Problem(table.label, message, fix=fix, rows=rows, values=values)]


def _key_text(frame: pd.DataFrame, key: tuple[str, ...]) -> pd.Series:
    if len(key) == 1:
        return frame[key[0]].astype(str)
    joined = frame[key[0]].astype(str)
    for k in key[1:]:
        joined = joined + ", " + frame[k].astype(str)
    return "(" + joined + ")"


def _check_duplicates(table: ParsedTable) -> list[Problem]:
    schema = TABLES[table.name]
    if schema.on_duplicate != "error" or not schema.key:
        return []
    frame = table.frame
    complete = np.ones(len(frame), dtype=bool)
    for k in schema.key:
        complete &= (frame[k] != "").to_numpy(dtype=bool)
    dup = frame.duplicated(list(schema.key), keep=False).to_numpy(dtype=bool) & complete
    if not dup.any():
        return []
    keys = _key_text(frame.loc[dup], schema.key)
    key_name = ", ".join(schema.key)
    rows = tuple(int(r) for r in frame.loc[dup, ROW])
    return [
        Problem(
            table.label,
            f"duplicated key ({key_name}): {keys.nunique()} value(s) appear more than once",
            fix=f"keep one row per {key_name}; merge or delete the others",
            rows=rows,
            values=tuple(dict.fromkeys(str(k) for k in keys)),
        )
    ]


def _check_references(
    table: ParsedTable, usable: dict[str, ParsedTable], labels: dict[str, str]
) -> list[Problem]:
    problems: list[Problem] = []
    frame = table.frame
    for column in TABLES[table.name].columns:
        if column.references is None or column.references[0] not in usable:
            continue
        ref_table, ref_column = column.references
        known = set(usable[ref_table].frame[ref_column]) - {""}
        values = frame[column.name]
        bad = ((values != "") & ~values.isin(known)).to_numpy(dtype=bool)
        if not bad.any():
            continue
        unknown = tuple(dict.fromkeys(str(v) for v in values[bad]))
        shown = ", ".join(unknown[:3]) + (" ..." if len(unknown) > 3 else "")
        problems.append(
            Problem(
                table.label,
                f"column {column.name!r} names {ref_column}s that are not in {labels[ref_table]}",
                fix=f"add {shown} to {labels[ref_table]}, or correct or remove these rows",
                rows=tuple(int(r) for r in frame.loc[bad, ROW]),
                values=unknown,
            )
        )
    return problems


def _check_lanes(usable: dict[str, ParsedTable], labels: dict[str, str]) -> list[Problem]:
    demand = usable["demand"].frame
    keep = ((demand["sku"] != "") & (demand["warehouse"] != "")).to_numpy(dtype=bool)
    for name, column in (("items", "sku"), ("warehouses", "warehouse")):
        if name in usable:
            keep = keep & demand[column].isin(set(usable[name].frame[column])).to_numpy(bool)
    supply = usable["supply"].frame
    lanes = pd.MultiIndex.from_frame(supply[["sku", "warehouse"]])
    pairs = pd.MultiIndex.from_frame(demand[["sku", "warehouse"]])
    demand = demand.loc[keep & ~pairs.isin(lanes)]
    supply_file = labels["supply"].rsplit("/", 1)[-1]
    missing = [
        (sku, warehouse, tuple(int(r) for r in group[ROW]))
        for (sku, warehouse), group in demand.groupby(["sku", "warehouse"], sort=True)
    ]
    label = usable["demand"].label
    problems = [
        Problem(
            label,
            f"SKU {sku} at warehouse {warehouse} has demand but no supply lane",
            fix=f"add a row to {supply_file} for {sku} at {warehouse}, or remove its demand rows",
            rows=rows,
            values=(f"{sku}/{warehouse}",),
        )
        for sku, warehouse, rows in missing[:MAX_LANE_PROBLEMS]
    ]
    rest = missing[MAX_LANE_PROBLEMS:]
    if rest:
        problems.append(
            Problem(
                label,
                f"{len(rest)} more SKU x warehouse pairs have demand but no supply lane",
                fix=f"add rows to {supply_file} for these sku/warehouse pairs, or remove "
                "their demand rows",
                rows=tuple(sorted(r for _, _, rows in rest for r in rows)),
                values=tuple(f"{sku}/{warehouse}" for sku, warehouse, _ in rest),
            )
        )
    return problems
