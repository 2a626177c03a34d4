"""Finding and reading the files of a dataset folder, as raw cells.

CSV files are read as text (every cell a string, nothing guessed by pandas) so the validator
can name each cell it cannot parse; Parquet files keep their stored types. Rows are numbered
like a spreadsheet (header = row 1, first data row = row 2), for both formats.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from planner.data.quality import Ignored
from planner.data.schema import FORMATS, SCHEMA, TABLES
from planner.errors import Problem

NOT_A_TABLE = "not a dataset table, ignored"


@dataclass(frozen=True, eq=False)
class RawTable:
    """One file as read: raw cells, and the spreadsheet row number of each frame row."""

    name: str
    path: Path
    label: str
    frame: pd.DataFrame
    rows: np.ndarray
    blank_rows: int = 0


def file_label(folder: Path, file_name: str) -> str:
    """How messages name a file: the dataset folder's name, a slash, the file name."""
    parent = folder.resolve().name
    return f"{parent}/{file_name}" if parent else file_name


def locate_tables(folder: Path) -> tuple[dict[str, Path], list[Problem], list[Ignored]]:
    """Map each table present in `folder` to its file; report missing or doubled tables."""
    if not folder.is_dir():
        what = "does not exist" if not folder.exists() else "is not a folder"
        return (
            {},
            [
                Problem(
                    str(folder),
                    f"the dataset folder {what}",
                    fix="pass the folder that holds items.csv, demand.csv, ...",
                )
            ],
            [],
        )
    files = sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))
    by_name = {p.name: p for p in files}
    found: dict[str, Path] = {}
    problems: list[Problem] = []
    used: set[str] = set()
    for table in SCHEMA:
        candidates = [by_name[table.name + s] for s in FORMATS if table.name + s in by_name]
        used.update(p.name for p in candidates)
        if len(candidates) > 1:
            names = " and ".join(p.name for p in candidates)
            problems.append(
                Problem(
                    file_label(folder, candidates[0].name),
                    f"the {table.name} table is given twice ({names})",
                    fix=f"keep one of {names} and delete or rename the other",
                )
            )
        elif candidates:
            found[table.name] = candidates[0]
        elif table.required:
            problems.append(_missing_table(folder, table.name, files))
    ignored = [
        Ignored(file_label(folder, p.name), NOT_A_TABLE) for p in files if p.name not in used
    ]
    return found, problems, ignored


def _missing_table(folder: Path, name: str, files: list[Path]) -> Problem:
    table = TABLES[name]
    near = [p.name for p in files if p.stem.lower() == name and p.suffix.lower() in FORMATS]
    if near:
        fix = f"rename {near[0]} to {name}{Path(near[0]).suffix.lower()} (names are lower case)"
    else:
        fix = (
            f"add {name}.csv (or {name}.parquet) with the columns {', '.join(table.required_names)}"
        )
    return Problem(file_label(folder, f"{name}.csv"), "required table is missing", fix=fix)


def read_table(name: str, path: Path, label: str) -> RawTable | Problem:
    """Read one table file as raw cells; a file that cannot be read becomes a Problem."""
    try:
        if path.suffix == ".csv":
            frame = pd.read_csv(
                path,
                dtype=str,
                keep_default_na=False,
                na_filter=False,
                skip_blank_lines=False,
                encoding="utf-8-sig",
            )
        else:
            frame = pd.read_parquet(path)
    except pd.errors.EmptyDataError:
        return Problem(label, "the file is empty", fix="write a header row with the column names")
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError, OSError) as exc:
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return Problem(
            label,
            f"the file cannot be read: {first_line}",
            fix="save it again as UTF-8 CSV (comma-separated) or as Parquet",
        )
    frame = frame.reset_index(drop=True)
    frame.columns = [str(c).strip() for c in frame.columns]
    rows = np.arange(2, len(frame) + 2)
    blank = _blank_rows(frame)
    if blank.any():
        frame = frame.loc[~blank].reset_index(drop=True)
        rows = rows[~blank]
    return RawTable(name, path, label, frame, rows, int(blank.sum()))


def _blank_rows(frame: pd.DataFrame) -> np.ndarray:
    if frame.shape[1] == 0:
        return np.zeros(len(frame), dtype=bool)
    empty = np.ones(len(frame), dtype=bool)
    for column in frame.columns:
        cells = frame[column]
        dtype = cells.dtype
        if pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_datetime64_any_dtype(dtype):
            empty &= cells.isna().to_numpy(dtype=bool)
        else:
            empty &= (as_text(cells) == "").to_numpy(dtype=bool)
    return empty


def as_text(values: pd.Series) -> pd.Series:
    """Cells as stripped Python strings ("" for a missing cell), whatever the stored type."""
    if pd.api.types.infer_dtype(values, skipna=False) == "string":
        return values.astype(object).str.strip().astype(object)
    if pd.api.types.is_integer_dtype(values.dtype) and not values.hasnans:
        return values.astype("int64").astype(str).astype(object)
    return values.map(_cell_text).astype(object)


def _cell_text(value: object) -> str:
    if value is None or value is pd.NA or value is pd.NaT:
        return ""
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        return str(int(value)) if value.is_integer() else str(value)
    if isinstance(value, pd.Timestamp) and value == value.normalize():
        return value.strftime("%Y-%m-%d")
    return str(value).strip()


def fingerprint(paths: Iterable[Path]) -> str:
    """sha256 over the sorted file names and their bytes."""
    digest = hashlib.sha256()
    for path in sorted(paths, key=lambda p: p.name):
        data = path.read_bytes()
        digest.update(path.name.encode())
        digest.update(b"\0")
        digest.update(str(len(data)).encode())
        digest.update(b"\0")
        digest.update(data)
    return digest.hexdigest()
