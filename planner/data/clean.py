"""Cleaning a validated dataset into the tables the planner uses; every change is counted.

Defaults are applied as the schema says; dates are bucketed into ISO weeks (Monday); demand
rows with the same key are summed and aggregated into weeks (quantity sum, promo and stockout
max, price quantity-weighted mean); each demand series gets a complete weekly grid up to the
dataset's last demand week (gap filling: missing weeks get quantity 0); series without an
inventory row start with 0 on hand. `load_dataset` does all of this.

`clean_for_forecast(dataset, cleaning)` is the separate step that prepares the demand history
for forecasting, each part switchable by the scenario's `forecast.cleaning` and counted in the
returned dataset's quality report:

- censored demand (`censored`): in a stockout week the sales only bound demand from below;
  the quantity becomes the larger of the sales and the mean of the nearest uncensored weeks
  (up to 4 on each side within 8 weeks, weeks with the same promotion flag preferred).
- outliers (`outliers`): a week far above its series' running level, a robust z-score
  (quantity - centred 13-week median) / max(1.4826 * MAD, sqrt(median)) above
  `outlier_threshold`, is capped at median + threshold * scale. Promotion and stockout weeks
  are never capped (their spikes and dips have a cause), nor are intermittent series (fewer
  than half the weeks with demand), whose spikes are their demand.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from planner.data.quality import QualityReport, Step
from planner.data.schema import HOLDING_COST_RULE, RULES, TABLES, UNIT_COST_RULE, Column
from planner.data.validate import ROW, ParsedTable

if TYPE_CHECKING:
    from planner.config import CleaningConfig
    from planner.data import Dataset

SALES_KEY = ["sku", "warehouse", "week"]
SERIES = ["sku", "warehouse"]
OUTLIER_WINDOW = 13
"""Width (weeks) of the centred running median that outliers are measured from."""
CENSOR_NEIGHBOURS = 4
"""Uncensored weeks taken on each side of a stockout week (within twice as many weeks)."""


def clean(parsed: dict[str, ParsedTable], report: QualityReport) -> dict[str, pd.DataFrame]:
    """Cleaned tables, by table name, with the columns the Dataset promises."""
    frames = {name: _frame(parsed, name) for name in TABLES}
    items = apply_defaults("items", frames["items"], report)
    out: dict[str, pd.DataFrame] = {
        "items": _finish(
            items,
            ["sku"],
            ["sku", "unit_cost", "shortage_cost", "holding_cost", "volume", "category"],
        ),
        "warehouses": _finish(
            apply_defaults("warehouses", frames["warehouses"], report), ["warehouse"]
        ),
        "suppliers": _finish(
            apply_defaults("suppliers", frames["suppliers"], report), ["supplier"]
        ),
    }
    supply = apply_defaults("supply", frames["supply"], report, items=out["items"])
    out["supply"] = _finish(supply, ["supplier", "sku", "warehouse"], ints=["lead_time_weeks"])
    transfers = apply_defaults("transfers", frames["transfers"], report)
    out["transfers"] = _finish(
        transfers, ["from_warehouse", "to_warehouse"], ints=["lead_time_weeks"]
    )
    out["demand"] = clean_demand(apply_defaults("demand", frames["demand"], report), report)
    out["inventory"] = clean_inventory(
        apply_defaults("inventory", frames["inventory"], report), out["demand"], report
    )
    orders = apply_defaults("open_orders", frames["open_orders"], report)
    orders["arrival_date"] = _bucket(orders["arrival_date"], "open_orders", report)
    orders = orders.rename(columns={"arrival_date": "arrival_week"})
    out["open_orders"] = _finish(
        orders,
        ["arrival_week", "sku", "warehouse"],
        ["sku", "warehouse", "arrival_week", "quantity", "supplier"],
    )
    out["events"] = clean_events(apply_defaults("events", frames["events"], report), report)
    for name, frame in out.items():
        if name in parsed:
            report.rows_clean[name] = len(frame)
    return out


def _frame(parsed: dict[str, ParsedTable], name: str) -> pd.DataFrame:
    """The parsed table without its row numbers, or an empty typed table when absent."""
    if name in parsed:
        return parsed[name].frame.drop(columns=[ROW])
    columns = TABLES[name].columns
    return pd.DataFrame({c.name: pd.Series([], dtype=_dtype(c)) for c in columns})


def _dtype(column: Column) -> str:
    return {"str": "str", "date": "datetime64[ns]"}.get(column.dtype, "float64")


def default_detail(column: Column) -> str:
    """How a quality report describes the default a column's empty cells took."""
    if column.rule is not None:
        return "set to " + RULES[column.rule].replace("`", "")
    text = f"{column.default:g}" if not isinstance(column.default, str) else repr(column.default)
    return f"set to {text}" + (f" ({column.empty_means})" if column.empty_means else "")


def apply_defaults(
    name: str, frame: pd.DataFrame, report: QualityReport, items: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Fill the empty cells of optional columns with their schema default; count each column.

    Defaults that leave the value empty (an unknown price, a missing supplier) change nothing
    and are not counted.
    """
    frame = frame.copy()
    for column in TABLES[name].columns:
        if column.required:
            continue
        values = frame[column.name]
        missing = (values == "") if column.dtype == "str" else values.isna()
        if not missing.any():
            continue
        if column.rule == UNIT_COST_RULE:
            if items is None:
                raise ValueError(f"the {column.name} default needs the cleaned items table")
            fill = frame["sku"].map(items.set_index("sku")["unit_cost"])
        elif column.rule == HOLDING_COST_RULE:
            fill = frame["holding_rate"] * frame["unit_cost"] / 52.0
        else:
            fill = column.default
        frame[column.name] = values.where(~missing, fill)
        if _default_changes_value(column):
            report.add(
                name,
                Step.DEFAULT_APPLIED,
                int(missing.sum()),
                default_detail(column),
                column=column.name,
            )
    return frame


def _default_changes_value(column: Column) -> bool:
    if column.rule is not None:
        return True
    return column.default != "" and not pd.isna(column.default)


def _finish(
    frame: pd.DataFrame,
    sort: list[str],
    columns: list[str] | None = None,
    ints: tuple[str, ...] | list[str] = (),
) -> pd.DataFrame:
    frame = frame if columns is None else frame[columns]
    frame = frame.astype({c: "int64" for c in ints})
    return frame.sort_values(sort, kind="stable").reset_index(drop=True)


def week_of(dates: pd.Series) -> pd.Series:
    """The Monday of each date's ISO week, as datetime64[ns]."""
    days = dates.dt.normalize()
    return (days - pd.to_timedelta(days.dt.day_of_week, unit="D")).astype("datetime64[ns]")


def _bucket(dates: pd.Series, table: str, report: QualityReport) -> pd.Series:
    weeks = week_of(dates.astype("datetime64[ns]"))
    report.add(
        table, Step.BUCKETED, int((weeks != dates).sum()), "moved to the Monday of their ISO week"
    )
    return weeks


def aggregate_sales(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """One row per key: quantity sum, promo and stockout max, quantity-weighted mean price.

    The price is the plain mean of the known prices when their quantities sum to 0, and NaN
    when no price is known.
    """
    if not frame.duplicated(keys).any():
        return frame
    known = frame["price"].notna()
    work = frame.assign(
        _pq=(frame["price"] * frame["quantity"]).where(known, 0.0),
        _qk=frame["quantity"].where(known, 0.0),
        _ps=frame["price"].where(known, 0.0),
        _pn=known.astype("int64"),
    )
    sums = {c: (c, "sum") for c in ("quantity", "_pq", "_qk", "_ps", "_pn")}
    highs = {c: (c, "max") for c in ("promo", "stockout")}
    grouped = work.groupby(keys, sort=False, as_index=False).agg(**sums, **highs)
    plain = (grouped["_ps"] / grouped["_pn"]).where(grouped["_pn"] > 0)
    grouped["price"] = (grouped["_pq"] / grouped["_qk"]).where(grouped["_qk"] > 0, plain)
    return grouped[frame.columns]


def clean_demand(frame: pd.DataFrame, report: QualityReport) -> pd.DataFrame:
    """Weekly demand on a complete grid per series, sorted by sku, warehouse, week."""
    n = len(frame)
    frame = aggregate_sales(frame, ["date", "sku", "warehouse"])
    report.add(
        "demand",
        Step.DUPLICATES_SUMMED,
        n - len(frame),
        "rows with the same date, sku and warehouse",
    )
    frame = frame.assign(date=_bucket(frame["date"], "demand", report))
    n = len(frame)
    frame = aggregate_sales(frame, ["date", "sku", "warehouse"]).rename(columns={"date": "week"})
    report.add(
        "demand",
        Step.WEEKS_AGGREGATED,
        n - len(frame),
        "quantity summed, promo and stockout max, price quantity-weighted mean",
    )
    frame = _fill_weeks(frame, report)
    frame = frame.astype(
        {
            "quantity": "float64",
            "promo": "int64",
            "stockout": "int64",
            "price": "float64",
            "week": "datetime64[ns]",
        }
    )
    columns = ["week", "sku", "warehouse", "quantity", "promo", "price", "stockout"]
    return frame[columns].sort_values(SALES_KEY).reset_index(drop=True)


def _fill_weeks(frame: pd.DataFrame, report: QualityReport) -> pd.DataFrame:
    if frame.empty:
        return frame
    last = frame["week"].max()
    first = frame.groupby(SERIES, sort=True)["week"].min()
    counts = ((last - first) // pd.Timedelta(weeks=1)).astype("int64").to_numpy() + 1
    series = np.repeat(np.arange(len(first)), counts)
    starts = np.repeat(np.cumsum(counts) - counts, counts)
    offsets = np.arange(counts.sum()) - starts
    grid = pd.DataFrame(
        {
            "sku": first.index.get_level_values("sku").to_numpy()[series],
            "warehouse": first.index.get_level_values("warehouse").to_numpy()[series],
            "week": first.to_numpy()[series] + offsets * np.timedelta64(7, "D"),
        }
    )
    merged = grid.merge(frame, on=SALES_KEY, how="left", indicator=True)
    filled = (merged.pop("_merge") == "left_only").to_numpy()
    report.add(
        "demand",
        Step.WEEKS_FILLED,
        int(filled.sum()),
        "weeks without a row get quantity 0, promo 0, stockout 0, price unknown",
    )
    report.add(
        "demand",
        Step.SERIES_FILLED,
        int(merged.loc[filled, SERIES].drop_duplicates().shape[0]),
        "series that had at least one week filled",
    )
    return merged.fillna({"quantity": 0.0, "promo": 0, "stockout": 0})


def clean_inventory(
    frame: pd.DataFrame, demand: pd.DataFrame, report: QualityReport
) -> pd.DataFrame:
    """Inventory with an on_hand 0 row added for every demand series that had none."""
    series = demand[SERIES].drop_duplicates()
    missing = series.merge(frame[SERIES], on=SERIES, how="left", indicator=True)
    missing = missing.loc[missing["_merge"] == "left_only", SERIES]
    report.add(
        "inventory",
        Step.INVENTORY_ADDED,
        len(missing),
        "series with demand but no inventory row start with on_hand 0",
    )
    if len(missing):
        frame = pd.concat([frame, missing.assign(on_hand=0.0)], ignore_index=True)
    return _finish(frame.astype({"on_hand": "float64"}), SERIES)


def clean_events(frame: pd.DataFrame, report: QualityReport) -> pd.DataFrame:
    """Events by ISO week; rows with the same week, sku and warehouse are merged."""
    frame = frame.assign(date=_bucket(frame["date"], "events", report))
    frame = frame.rename(columns={"date": "week"})
    n = len(frame)
    keys = ["week", "sku", "warehouse"]
    if frame.duplicated(keys).any():
        frame = frame.groupby(keys, sort=False, as_index=False).agg(
            promo=("promo", "max"), price=("price", "mean")
        )
    report.add(
        "events",
        Step.WEEKS_AGGREGATED,
        n - len(frame),
        "rows of the same week merged: promo max, price mean",
    )
    frame = frame.astype({"promo": "float64", "price": "float64", "week": "datetime64[ns]"})
    return _finish(
        frame, ["sku", "warehouse", "week"], ["week", "sku", "warehouse", "promo", "price"]
    )


def summarise(tables: dict[str, pd.DataFrame], report: QualityReport) -> None:
    """Headline numbers of the cleaned dataset, for the quality report."""
    demand = tables["demand"]
    series = demand[SERIES].drop_duplicates()
    report.summary["skus"] = str(len(tables["items"]))
    report.summary["warehouses"] = str(len(tables["warehouses"]))
    report.summary["suppliers"] = str(len(tables["suppliers"]))
    report.summary["supply lanes"] = str(len(tables["supply"]))
    report.summary["demand series"] = str(len(series))
    if len(demand):
        first, last = demand["week"].min(), demand["week"].max()
        weeks = (last - first) // pd.Timedelta(weeks=1) + 1
        report.summary["demand weeks"] = f"{first:%Y-%m-%d} .. {last:%Y-%m-%d} ({weeks} weeks)"


def clean_for_forecast(dataset: Dataset, cleaning: CleaningConfig | None = None) -> Dataset:
    """The dataset with its demand history cleaned for forecasting (see the module notes).

    `cleaning` is the scenario's `forecast.cleaning` (default: every step on, threshold 5).
    Returns a new Dataset whose `demand.quantity` is changed and whose quality report (a copy)
    counts each step: "censored weeks imputed" and "outliers capped". The input is unchanged.
    """
    if cleaning is None:
        from planner.config import CleaningConfig

        cleaning = CleaningConfig()
    demand = dataset.demand.sort_values(SALES_KEY, kind="stable").reset_index(drop=True)
    quantity = demand["quantity"].to_numpy(dtype=np.float64).copy()
    promo = demand["promo"].to_numpy() > 0
    stockout = demand["stockout"].to_numpy() > 0
    starts = np.flatnonzero(
        np.r_[True, (demand[SERIES].to_numpy()[1:] != demand[SERIES].to_numpy()[:-1]).any(axis=1)]
    )
    bounds = list(zip(starts, np.r_[starts[1:], len(demand)], strict=True))
    report = _copy_report(dataset.quality)
    if cleaning.censored:
        raised = 0
        for lo, hi in bounds:
            raised += impute_censored(quantity[lo:hi], stockout[lo:hi], promo[lo:hi])
        report.add(
            "demand",
            Step.CENSORED_IMPUTED,
            raised,
            "stockout weeks raised to the mean of the nearest uncensored weeks",
        )
    if cleaning.outliers:
        capped = 0
        for lo, hi in bounds:
            keep = promo[lo:hi] | stockout[lo:hi]
            capped += cap_outliers(quantity[lo:hi], cleaning.outlier_threshold, keep)
        report.add(
            "demand",
            Step.OUTLIERS_CAPPED,
            capped,
            f"robust z-score above {cleaning.outlier_threshold:g} capped (promotions kept)",
        )
    demand = demand.assign(quantity=quantity)
    return replace(dataset, demand=demand, quality=report)


def _copy_report(report: QualityReport) -> QualityReport:
    return replace(
        report,
        files=dict(report.files),
        rows_read=dict(report.rows_read),
        rows_clean=dict(report.rows_clean),
        steps=list(report.steps),
        ignored=list(report.ignored),
        summary=dict(report.summary),
    )


def impute_censored(quantity: np.ndarray, stockout: np.ndarray, promo: np.ndarray) -> int:
    """Raise stockout weeks of one series in place to the mean of the nearest uncensored
    weeks (same promotion flag preferred); returns how many weeks were raised."""
    free = np.flatnonzero(~stockout)
    if free.size == 0:
        return 0
    raised = 0
    for t in np.flatnonzero(stockout):
        near = free[np.abs(free - t) <= 2 * CENSOR_NEIGHBOURS]
        same = near[promo[near] == promo[t]]
        pool = same if same.size >= 2 else near
        if pool.size == 0:
            continue
        before = pool[pool < t][-CENSOR_NEIGHBOURS:]
        after = pool[pool > t][:CENSOR_NEIGHBOURS]
        expected = float(np.mean(quantity[np.r_[before, after]]))
        if expected > quantity[t]:
            quantity[t] = expected
            raised += 1
    return raised


def cap_outliers(quantity: np.ndarray, threshold: float, keep: np.ndarray) -> int:
    """Cap the upward outliers of one series in place (weeks in `keep` are left alone);
    returns how many weeks were capped."""
    if quantity.size < OUTLIER_WINDOW or np.mean(quantity > 0) < 0.5:
        return 0
    level = (
        pd.Series(quantity)
        .rolling(OUTLIER_WINDOW, center=True, min_periods=OUTLIER_WINDOW // 2 + 1)
        .median()
        .bfill()
        .ffill()
        .to_numpy()
    )
    resid = quantity - level
    mad = 1.4826 * float(np.median(np.abs(resid - np.median(resid))))
    scale = np.maximum(mad, np.sqrt(np.maximum(level, 1.0)))
    limit = level + threshold * scale
    over = (quantity > limit) & ~keep
    quantity[over] = limit[over]
    return int(over.sum())
