"""A small valid dataset for tests: build it, break one table, check what the loader says.

    folder = write_minimal_dataset(tmp_path / "mini", demand=broken_demand, events=None)

2 SKUs, 2 warehouses, 2 suppliers, a lane for every SKU x warehouse (S1 for all, S2 for
SKU-001), 60 weeks of seeded weekly demand, inventory, transfers, open orders and events.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from planner.data.schema import TABLES

START = pd.Timestamp("2023-01-02")
"""First demand week of the minimal dataset (a Monday)."""
WEEKS = 60
SKUS = ("SKU-001", "SKU-002")
WAREHOUSES = ("W1", "W2")
SUPPLIERS = ("S1", "S2")


def minimal_tables(seed: int = 0) -> dict[str, pd.DataFrame]:
    """The tables of the minimal dataset, as DataFrames (dates as Timestamps)."""
    rng = np.random.default_rng(seed)
    weeks = pd.date_range(START, periods=WEEKS, freq="7D")
    demand = pd.DataFrame(
        [
            {
                "date": week,
                "sku": sku,
                "warehouse": warehouse,
                "quantity": float(rng.poisson(20 if sku == "SKU-001" else 5)),
                "promo": int(i % 13 == 5),
                "price": 10.0 if sku == "SKU-001" else 25.0,
                "stockout": 0,
            }
            for sku in SKUS
            for warehouse in WAREHOUSES
            for i, week in enumerate(weeks)
        ]
    )
    lanes = [("S1", sku, wh, 2, "") for sku in SKUS for wh in WAREHOUSES]
    lanes += [("S2", "SKU-001", wh, 1, 9.5) for wh in WAREHOUSES]
    last = weeks[-1]
    return {
        "items": pd.DataFrame(
            {
                "sku": list(SKUS),
                "unit_cost": [8.0, 20.0],
                "shortage_cost": [15.0, 40.0],
                "holding_cost": ["", 0.1],
                "volume": [1.0, 2.5],
                "category": ["fast", ""],
            }
        ),
        "warehouses": pd.DataFrame({"warehouse": list(WAREHOUSES), "capacity": [5000.0, ""]}),
        "suppliers": pd.DataFrame({"supplier": list(SUPPLIERS), "capacity": ["", 400.0]}),
        "supply": pd.DataFrame(
            lanes, columns=["supplier", "sku", "warehouse", "lead_time_weeks", "unit_price"]
        ),
        "transfers": pd.DataFrame(
            {
                "from_warehouse": ["W1", "W2"],
                "to_warehouse": ["W2", "W1"],
                "cost_per_unit": [0.5, 0.5],
            }
        ),
        "demand": demand,
        "inventory": pd.DataFrame(
            {
                "sku": [s for s in SKUS for _ in WAREHOUSES],
                "warehouse": list(WAREHOUSES) * len(SKUS),
                "on_hand": [40.0, 30.0, 10.0, 12.0],
            }
        ),
        "open_orders": pd.DataFrame(
            {
                "sku": ["SKU-001"],
                "warehouse": ["W1"],
                "arrival_date": [last + pd.Timedelta(days=9)],
                "quantity": [50.0],
                "supplier": ["S1"],
            }
        ),
        "events": pd.DataFrame(
            {
                "date": [last + pd.Timedelta(weeks=3)],
                "sku": ["SKU-002"],
                "warehouse": [""],
                "promo": [1],
                "price": [""],
            }
        ),
    }


def write_minimal_dataset(
    folder: Path, fmt: str = "csv", **table_overrides: pd.DataFrame | None
) -> Path:
    """Write the minimal dataset into `folder` (created) and return the folder.

    Pass a table by name to replace it with a DataFrame, or None to leave the file out.
    `fmt` is "csv" or "parquet".
    """
    if fmt not in ("csv", "parquet"):
        raise ValueError(f"fmt must be 'csv' or 'parquet', got {fmt!r}")
    unknown = sorted(set(table_overrides) - set(TABLES))
    if unknown:
        raise ValueError(f"unknown tables {unknown}; the tables are {sorted(TABLES)}")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    tables: dict[str, pd.DataFrame | None] = {**minimal_tables(), **table_overrides}
    for name, frame in tables.items():
        if frame is None:
            continue
        path = folder / f"{name}.{fmt}"
        if fmt == "csv":
            frame.to_csv(path, index=False)
        else:
            _for_parquet(frame).to_parquet(path, index=False)
    return folder


def _for_parquet(frame: pd.DataFrame) -> pd.DataFrame:
    """Parquet needs one type per column: numbers with empty strings become floats with NaN,
    numbers with other text become text."""
    frame = frame.copy()
    for column in frame.columns:
        values = frame[column]
        if values.dtype != object:
            continue
        numeric = values.map(lambda v: isinstance(v, int | float) and not isinstance(v, bool))
        if not numeric.any() or numeric.all():
            continue
        if (values[~numeric] == "").all():
            frame[column] = pd.to_numeric(values.where(numeric, np.nan)).astype("float64")
        else:
            frame[column] = values.map(str)
    return frame
