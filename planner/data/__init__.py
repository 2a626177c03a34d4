"""The dataset: a folder of tables, read, validated and cleaned into a `Dataset`.

io.py        find the files, read raw cells, fingerprint
schema.py    every column as data: dtype, unit, default, minimum, reference, description
validate.py  schema-driven checks; all problems collected into one InputError
clean.py     defaults, ISO weeks, weekly aggregation, complete weekly grid
quality.py   the data-quality report: every change counted
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from planner.data.clean import clean, summarise
from planner.data.io import RawTable, file_label, fingerprint, locate_tables, read_table
from planner.data.quality import QualityReport, Step
from planner.data.schema import SCHEMA, TABLES, markdown_reference
from planner.data.validate import validate
from planner.errors import InputError, Problem

__all__ = [
    "SCHEMA",
    "TABLES",
    "Dataset",
    "QualityReport",
    "load_dataset",
    "markdown_reference",
]


@dataclass(frozen=True, eq=False)
class Dataset:
    """A validated, cleaned dataset. Every table has the columns named in DESIGN.md.

    `demand` is weekly (Monday weeks) on a complete grid per (sku, warehouse) from the
    series' first week to the dataset's last demand week, sorted by sku, warehouse, week.
    Optional tables that were absent are empty frames with their columns.
    """

    folder: Path
    items: pd.DataFrame
    warehouses: pd.DataFrame
    suppliers: pd.DataFrame
    supply: pd.DataFrame
    transfers: pd.DataFrame
    demand: pd.DataFrame
    inventory: pd.DataFrame
    open_orders: pd.DataFrame
    events: pd.DataFrame
    quality: QualityReport
    fingerprint: str

    @property
    def last_week(self) -> pd.Timestamp:
        """The last week (a Monday) with demand history."""
        return pd.Timestamp(self.demand["week"].max())

    @property
    def series(self) -> pd.DataFrame:
        """Every (sku, warehouse) with demand, sorted."""
        pairs = self.demand[["sku", "warehouse"]].drop_duplicates()
        return pairs.sort_values(["sku", "warehouse"]).reset_index(drop=True)


def load_dataset(folder: str | Path) -> Dataset:
    """Read, validate and clean the dataset in `folder`.

    Raises InputError listing every problem found (missing files or columns, unparseable
    cells, values below their minimum, duplicated keys, unknown references, demand without a
    supply lane, ...) before anything is cleaned.
    """
    folder = Path(folder)
    found, problems, ignored = locate_tables(folder)
    report = QualityReport(dataset=folder.resolve().name, ignored=list(ignored))
    raws: dict[str, RawTable] = {}
    for table in SCHEMA:
        if table.name not in found:
            continue
        path = found[table.name]
        result = read_table(table.name, path, file_label(folder, path.name))
        if isinstance(result, Problem):
            problems.append(result)
            continue
        raws[table.name] = result
        report.files[table.name] = result.label
        report.rows_read[table.name] = len(result.frame)
        report.add(table.name, Step.BLANK_ROWS, result.blank_rows, "rows with every cell empty")
    labels = {
        name: raws[name].label if name in raws else file_label(folder, f"{name}.csv")
        for name in TABLES
    }
    parsed, table_problems, ignored_columns = validate(raws, labels)
    problems += table_problems
    report.ignored += ignored_columns
    if problems:
        order = {label: i for i, label in enumerate(labels.values())}
        problems.sort(key=lambda p: order.get(p.file, -1))
        raise InputError(problems, title=f"invalid dataset {folder}")
    tables = clean(parsed, report)
    summarise(tables, report)
    report.fingerprint = fingerprint(found.values())
    return Dataset(folder=folder, quality=report, fingerprint=report.fingerprint, **tables)
