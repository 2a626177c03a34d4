"""Every validation rule, each on a deliberately broken copy of the minimal dataset.

Each test checks that the one InputError names the file, the spreadsheet rows (header = row 1)
and the offending values, and says how to fix it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from planner.data import load_dataset
from planner.data.testing import minimal_tables, write_minimal_dataset
from planner.errors import InputError, Problem

TABLES = minimal_tables()


def problems_of(folder: Path) -> list[Problem]:
    with pytest.raises(InputError) as info:
        load_dataset(folder)
    assert info.value.exit_code == 2
    return info.value.problems


def only(problems: list[Problem], file: str, text: str) -> Problem:
    """The one problem about `file` whose message contains `text`."""
    found = [p for p in problems if p.file == file and text in p.message]
    assert len(found) == 1, [p.render() for p in problems]
    return found[0]


def demand_row(sku: str, warehouse: str, week_index: int) -> int:
    """Spreadsheet row of a minimal demand row (rows are ordered sku, warehouse, week)."""
    frame = TABLES["demand"]
    position = np.flatnonzero((frame["sku"] == sku) & (frame["warehouse"] == warehouse))[week_index]
    return int(position) + 2


def with_cells(name: str, changes: dict[tuple[int, str], object]) -> pd.DataFrame:
    frame = TABLES[name].astype(object)
    for (index, column), value in changes.items():
        frame.loc[index, column] = value
    return frame


def test_valid_dataset_loads(tmp_path: Path) -> None:
    dataset = load_dataset(write_minimal_dataset(tmp_path / "mini"))
    assert len(dataset.series) == 4


@pytest.mark.parametrize(
    "table", ["items", "warehouses", "suppliers", "supply", "demand", "inventory"]
)
def test_missing_required_table(tmp_path: Path, table: str) -> None:
    folder = write_minimal_dataset(tmp_path / "mini", **{table: None})
    problem = only(problems_of(folder), f"mini/{table}.csv", "required table is missing")
    assert f"add {table}.csv" in problem.fix


def test_missing_table_with_wrong_case_suggests_rename(tmp_path: Path) -> None:
    folder = write_minimal_dataset(tmp_path / "mini")
    (folder / "items.csv").rename(folder / "Items.csv")
    problem = only(problems_of(folder), "mini/items.csv", "required table is missing")
    assert "rename Items.csv to items.csv" in problem.fix


def test_table_in_both_formats(tmp_path: Path) -> None:
    folder = write_minimal_dataset(tmp_path / "mini")
    TABLES["items"].drop(columns=["holding_cost"]).to_parquet(folder / "items.parquet")
    problem = only(problems_of(folder), "mini/items.csv", "given twice")
    assert "items.csv and items.parquet" in problem.message


def test_missing_folder(tmp_path: Path) -> None:
    (problem,) = problems_of(tmp_path / "nowhere")
    assert "does not exist" in problem.message


def test_empty_file(tmp_path: Path) -> None:
    folder = write_minimal_dataset(tmp_path / "mini")
    (folder / "inventory.csv").write_text("")
    problem = only(problems_of(folder), "mini/inventory.csv", "empty")
    assert "header row" in problem.fix


def test_missing_required_column(tmp_path: Path) -> None:
    supply = TABLES["supply"].drop(columns=["lead_time_weeks"])
    folder = write_minimal_dataset(tmp_path / "mini", supply=supply)
    problem = only(problems_of(folder), "mini/supply.csv", "'lead_time_weeks' is missing")
    assert "add a column 'lead_time_weeks'" in problem.fix


def test_misspelt_column_suggests_rename(tmp_path: Path) -> None:
    inventory = TABLES["inventory"].rename(columns={"on_hand": "On_Hand"})
    folder = write_minimal_dataset(tmp_path / "mini", inventory=inventory)
    problem = only(problems_of(folder), "mini/inventory.csv", "'on_hand' is missing")
    assert problem.fix == "rename column 'On_Hand' to 'on_hand'"


def test_unparseable_number(tmp_path: Path) -> None:
    demand = with_cells("demand", {(3, "quantity"): "12 units", (70, "quantity"): "1,5"})
    folder = write_minimal_dataset(tmp_path / "mini", demand=demand)
    problem = only(problems_of(folder), "mini/demand.csv", "must be a number")
    assert problem.rows == (5, 72)
    assert problem.values == ("12 units", "1,5")


def test_unparseable_date(tmp_path: Path) -> None:
    demand = with_cells("demand", {(10, "date"): "2023-13-45", (11, "date"): "next week"})
    orders = with_cells("open_orders", {(0, "arrival_date"): "soon"})
    folder = write_minimal_dataset(tmp_path / "mini", demand=demand, open_orders=orders)
    problems = problems_of(folder)
    problem = only(problems, "mini/demand.csv", "must be a date")
    assert problem.rows == (12, 13)
    assert problem.values == ("2023-13-45", "next week")
    assert "YYYY-MM-DD" in problem.fix
    assert only(problems, "mini/open_orders.csv", "must be a date").rows == (2,)


def test_integer_column_with_fraction(tmp_path: Path) -> None:
    supply = with_cells("supply", {(2, "lead_time_weeks"): 1.5})
    folder = write_minimal_dataset(tmp_path / "mini", supply=supply)
    problem = only(problems_of(folder), "mini/supply.csv", "must be a whole number")
    assert problem.rows == (4,)
    assert problem.values == ("1.5",)


@pytest.mark.parametrize(
    ("table", "index", "column", "value"),
    [
        ("demand", 0, "quantity", -3),
        ("inventory", 1, "on_hand", -1),
        ("items", 0, "unit_cost", -2),
        ("items", 1, "shortage_cost", -0.5),
        ("supply", 3, "lead_time_weeks", -1),
        ("supply", 0, "shipping_cost", -1),
        ("warehouses", 1, "capacity", -5),
        ("suppliers", 0, "capacity", -5),
        ("transfers", 1, "cost_per_unit", -1),
        ("open_orders", 0, "quantity", -10),
    ],
)
def test_value_below_minimum(
    tmp_path: Path, table: str, index: int, column: str, value: float
) -> None:
    frame = with_cells(table, {(index, column): value})
    folder = write_minimal_dataset(tmp_path / "mini", **{table: frame})
    problem = only(problems_of(folder), f"mini/{table}.csv", f"'{column}' must be >= 0")
    assert problem.rows == (index + 2,)
    assert [float(v) for v in problem.values] == [value]


def test_infinite_value_only_where_empty_means_unlimited(tmp_path: Path) -> None:
    items = with_cells("items", {(0, "unit_cost"): "inf"})
    warehouses = with_cells("warehouses", {(0, "capacity"): "inf"})
    folder = write_minimal_dataset(tmp_path / "mini", items=items, warehouses=warehouses)
    (problem,) = problems_of(folder)
    assert problem.file == "mini/items.csv"
    assert "finite" in problem.message and problem.rows == (2,)


def test_empty_required_cell(tmp_path: Path) -> None:
    inventory = with_cells("inventory", {(2, "sku"): "  ", (3, "on_hand"): ""})
    folder = write_minimal_dataset(tmp_path / "mini", inventory=inventory)
    problems = problems_of(folder)
    assert only(problems, "mini/inventory.csv", "'sku' is required").rows == (4,)
    assert only(problems, "mini/inventory.csv", "'on_hand' is required").rows == (5,)


@pytest.mark.parametrize(
    ("table", "key", "duplicate_of", "shown"),
    [
        ("items", "sku", 0, "SKU-001"),
        ("warehouses", "warehouse", 0, "W1"),
        ("suppliers", "supplier", 1, "S2"),
        ("supply", "supplier,sku,warehouse", 4, "(S2, SKU-001, W1)"),
        ("inventory", "sku,warehouse", 2, "(SKU-002, W1)"),
        ("transfers", "from_warehouse,to_warehouse", 1, "(W2, W1)"),
    ],
)
def test_duplicated_key(
    tmp_path: Path, table: str, key: str, duplicate_of: int, shown: str
) -> None:
    frame = TABLES[table]
    doubled = pd.concat([frame, frame.iloc[[duplicate_of]]], ignore_index=True)
    folder = write_minimal_dataset(tmp_path / "mini", **{table: doubled})
    problem = only(problems_of(folder), f"mini/{table}.csv", "duplicated key")
    assert problem.rows == (duplicate_of + 2, len(frame) + 2)
    assert problem.values == (shown,)
    assert key.replace(",", ", ") in problem.message


def test_keys_are_compared_after_stripping_spaces(tmp_path: Path) -> None:
    items = with_cells("items", {(1, "sku"): " SKU-001 "})
    folder = write_minimal_dataset(tmp_path / "mini", items=items)
    assert only(problems_of(folder), "mini/items.csv", "duplicated key").rows == (2, 3)


def test_lane_to_unknown_sku(tmp_path: Path) -> None:
    supply = with_cells("supply", {(5, "sku"): "SKU-404"})
    folder = write_minimal_dataset(tmp_path / "mini", supply=supply)
    problem = only(problems_of(folder), "mini/supply.csv", "'sku' names skus")
    assert problem.rows == (7,)
    assert problem.values == ("SKU-404",)
    assert "add SKU-404 to mini/items.csv" in problem.fix


def test_demand_for_unknown_warehouse(tmp_path: Path) -> None:
    demand = with_cells("demand", {(0, "warehouse"): "W9", (1, "warehouse"): "W9"})
    folder = write_minimal_dataset(tmp_path / "mini", demand=demand)
    problems = problems_of(folder)
    problem = only(problems, "mini/demand.csv", "'warehouse' names warehouses")
    assert problem.rows == (2, 3)
    assert problem.values == ("W9",)
    assert not [p for p in problems if "supply lane" in p.message]


@pytest.mark.parametrize(
    ("table", "index", "column", "value", "target"),
    [
        ("open_orders", 0, "supplier", "S7", "suppliers"),
        ("events", 0, "warehouse", "W7", "warehouses"),
        ("inventory", 3, "sku", "SKU-777", "items"),
        ("transfers", 0, "to_warehouse", "W5", "warehouses"),
    ],
)
def test_unknown_reference_in_any_table(
    tmp_path: Path, table: str, index: int, column: str, value: str, target: str
) -> None:
    frame = with_cells(table, {(index, column): value})
    folder = write_minimal_dataset(tmp_path / "mini", **{table: frame})
    problem = only(problems_of(folder), f"mini/{table}.csv", f"'{column}' names")
    assert problem.rows == (index + 2,)
    assert problem.values == (value,)
    assert f"mini/{target}.csv" in problem.message


def test_demand_without_supply_lane(tmp_path: Path) -> None:
    supply = TABLES["supply"]
    supply = supply[~((supply["sku"] == "SKU-002") & (supply["warehouse"] == "W2"))]
    folder = write_minimal_dataset(tmp_path / "mini", supply=supply)
    (problem,) = problems_of(folder)
    assert problem.file == "mini/demand.csv"
    assert "SKU-002 at warehouse W2 has demand but no supply lane" in problem.message
    assert problem.fix == "add a row to supply.csv for SKU-002 at W2, or remove its demand rows"
    assert problem.rows[0] == demand_row("SKU-002", "W2", 0)
    assert len(problem.rows) == 60


@pytest.mark.parametrize("column", ["promo", "stockout"])
def test_flag_not_zero_or_one(tmp_path: Path, column: str) -> None:
    demand = with_cells("demand", {(4, column): 2, (9, column): -1})
    folder = write_minimal_dataset(tmp_path / "mini", demand=demand)
    problem = only(problems_of(folder), "mini/demand.csv", f"'{column}' must be 0 or 1")
    assert problem.rows == (6, 11)
    assert problem.values == ("2", "-1")


def test_transfer_to_itself(tmp_path: Path) -> None:
    transfers = with_cells("transfers", {(1, "to_warehouse"): "W2"})
    folder = write_minimal_dataset(tmp_path / "mini", transfers=transfers)
    problem = only(problems_of(folder), "mini/transfers.csv", "another warehouse")
    assert problem.rows == (3,)
    assert problem.values == ("W2",)


def test_sku_with_slash(tmp_path: Path) -> None:
    tables = {
        name: TABLES[name].replace({"SKU-002": "SKU/002"})
        for name in ("items", "supply", "demand", "inventory", "events")
    }
    folder = write_minimal_dataset(tmp_path / "mini", **tables)
    (problem,) = problems_of(folder)
    assert problem.file == "mini/items.csv"
    assert "'/'" in problem.message
    assert problem.rows == (3,) and problem.values == ("SKU/002",)


def test_empty_demand(tmp_path: Path) -> None:
    folder = write_minimal_dataset(tmp_path / "mini", demand=TABLES["demand"].iloc[:0])
    problem = only(problems_of(folder), "mini/demand.csv", "no rows")
    assert "sales history" in problem.fix


def test_all_problems_in_several_files_are_reported_together(tmp_path: Path) -> None:
    items = with_cells("items", {(1, "unit_cost"): "twenty"})
    supply = with_cells("supply", {(0, "lead_time_weeks"): -2})
    demand = with_cells("demand", {(6, "quantity"): -1, (7, "date"): "31/01/2023"})
    inventory = pd.concat([TABLES["inventory"], TABLES["inventory"].iloc[[0]]])
    folder = write_minimal_dataset(
        tmp_path / "mini",
        items=items,
        supply=supply,
        demand=demand,
        inventory=inventory,
        warehouses=None,
    )
    with pytest.raises(InputError) as info:
        load_dataset(folder)
    problems = info.value.problems
    files = [p.file for p in problems]
    assert set(files) == {
        "mini/items.csv",
        "mini/warehouses.csv",
        "mini/supply.csv",
        "mini/demand.csv",
        "mini/inventory.csv",
    }
    assert len(problems) == 6
    assert files == sorted(
        files,
        key=[
            "mini/items.csv",
            "mini/warehouses.csv",
            "mini/supply.csv",
            "mini/demand.csv",
            "mini/inventory.csv",
        ].index,
    )
    text = str(info.value)
    assert text.startswith("invalid dataset")
    assert "6 problems found" in text
    assert "mini/demand.csv, row 9: column 'date' must be a date" in text
    assert "fix:" in text


def test_parquet_problems_use_the_same_row_numbers(tmp_path: Path) -> None:
    demand = TABLES["demand"].copy()
    demand.loc[[3, 20], "quantity"] = -1.0
    supply = TABLES["supply"].copy()
    supply.loc[3, "sku"] = "SKU-404"
    folder = write_minimal_dataset(tmp_path / "pq", fmt="parquet", demand=demand, supply=supply)
    problems = problems_of(folder)
    negative = only(problems, "pq/demand.parquet", "'quantity' must be >= 0")
    assert negative.rows == (5, 22)
    assert negative.values == ("-1", "-1")
    unknown = only(problems, "pq/supply.parquet", "'sku' names skus")
    assert unknown.rows == (5,)
    assert "add SKU-404 to pq/items.parquet" in unknown.fix
    lane = only(problems, "pq/demand.parquet", "no supply lane")
    assert "SKU-002 at W2" in lane.fix and "supply.parquet" in lane.fix
    assert lane.rows[:2] == (demand_row("SKU-002", "W2", 0), demand_row("SKU-002", "W2", 1))


def test_parquet_text_in_number_column(tmp_path: Path) -> None:
    inventory = TABLES["inventory"].astype({"on_hand": str})
    inventory.loc[2, "on_hand"] = "lots"
    folder = write_minimal_dataset(tmp_path / "pq", fmt="parquet", inventory=inventory)
    (problem,) = problems_of(folder)
    assert problem.file == "pq/inventory.parquet"
    assert problem.rows == (4,) and problem.values == ("lots",)


def test_many_series_without_lanes_share_one_problem_after_twenty(tmp_path: Path) -> None:
    skus = [f"P{i:02d}" for i in range(25)]
    items = pd.DataFrame({"sku": skus, "unit_cost": 1.0, "shortage_cost": 2.0})
    demand = pd.DataFrame({"date": "2023-01-02", "sku": skus, "warehouse": "W1", "quantity": 1.0})
    supply = pd.DataFrame(
        {"supplier": ["S1"], "sku": ["P00"], "warehouse": ["W2"], "lead_time_weeks": [1]}
    )
    inventory = pd.DataFrame({"sku": ["P00"], "warehouse": ["W1"], "on_hand": [0.0]})
    folder = write_minimal_dataset(
        tmp_path / "mini",
        items=items,
        demand=demand,
        supply=supply,
        inventory=inventory,
        open_orders=None,
        events=None,
    )
    problems = problems_of(folder)
    assert len(problems) == 21
    assert problems[0].values == ("P00/W1",) and problems[0].rows == (2,)
    rest = problems[-1]
    assert rest.message == "5 more SKU x warehouse pairs have demand but no supply lane"
    assert rest.values == ("P20/W1", "P21/W1", "P22/W1", "P23/W1", "P24/W1")
    assert rest.rows == (22, 23, 24, 25, 26)
