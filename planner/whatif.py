"""What-if modifiers of the scenario file (`whatif:`), applied in order, every change logged.

    dataset, log = apply_dataset_whatifs(dataset, scenario.whatif, horizon_weeks=12)
    ... forecast, scenarios, ModelData ...
    data, more = apply_model_whatifs(data, scenario.whatif, categories)

Two stages, because some modifiers change what the model is built from and some change the
model inputs themselves. Each modifier kind belongs to exactly one stage; a stage skips the
kinds of the other stage.

dataset stage (`apply_dataset_whatifs`, before forecasting and ModelData)
    lead_time   `add_weeks` on every supply lane of the supplier (never below 0 weeks). Open
                orders keep their confirmed arrival dates.
    cost        `factor` on `unit_price` / `shipping_cost` (supply lanes; filters skus,
                categories, warehouses, suppliers) or on `holding_cost` / `shortage_cost`
                (items; filters skus, categories). Costs are not per week: `weeks` is refused.
    capacity    `factor` on one warehouse's volume capacity or one supplier's weekly capacity.
model stage (`apply_model_whatifs`, on the ModelData)
    demand           `factor` on the scenario demand of the SKU-warehouses matching the
                     filters, in plan weeks [from, to] (1-based, inclusive; no weeks = all).
    supplier_outage  the supplier's capacity is 0 in plan weeks [from, to].

Within a stage the modifiers act in the order they are listed (two demand factors compound).
Dataset-stage modifiers always act before model-stage ones; the two kinds of stage touch
different inputs, so the result does not depend on how they are interleaved in the file.

Every change is logged as `key: old -> new`, the key naming the modifier by its position in
the scenario file, e.g.
    whatif[0] demand x1.3 (categories: fasteners; weeks 1-4): expected demand 10,234 -> 13,304 units (12 SKU-warehouses)
    whatif[1] supplier_outage S2 weeks 3-5: capacity 4,120 -> 0 units/week (2026-01-19 to 2026-02-02)
    whatif[2] lead_time S1 +2 weeks: lead time 2 -> 4 weeks (4 lanes)
    whatif[3] cost unit_price x1.2 (suppliers: S2): unit_price 9.50 -> 11.40 per unit (2 lanes)
    whatif[4] capacity warehouse W1 x0.5: capacity 5,000 -> 2,500 volume

Bad references (an unknown supplier, warehouse, SKU or category, weeks outside the horizon,
from after to, filters matching nothing) are collected over all modifiers and raised together
as one ConfigError (exit code 2), each naming `whatif[i].field`, the bad value and the closest
valid one. Inputs are never mutated: new tables and arrays are made with dataclasses.replace.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from planner.config import (
    CapacityModifier,
    CostModifier,
    DemandModifier,
    LeadTimeModifier,
    SupplierOutage,
)
from planner.data import Dataset
from planner.errors import ConfigError, Problem
from planner.model.data import ModelData

WhatIfModifier = (
    DemandModifier | SupplierOutage | LeadTimeModifier | CostModifier | CapacityModifier
)

DATASET_KINDS = ("lead_time", "cost", "capacity")
"""Modifier kinds applied to the dataset, before forecasting."""
MODEL_KINDS = ("demand", "supplier_outage")
"""Modifier kinds applied to the model inputs (ModelData)."""

LANE_COSTS = ("unit_price", "shipping_cost")
ITEM_COSTS = ("holding_cost", "shortage_cost")
_COST_UNITS = {
    "unit_price": "per unit",
    "shipping_cost": "per unit",
    "holding_cost": "per unit-week",
    "shortage_cost": "per unit short",
}


# ---------------------------------------------------------------- references and checks


@dataclass(frozen=True)
class _Refs:
    """What a modifier may name."""

    suppliers: tuple[str, ...]
    warehouses: tuple[str, ...]
    skus: tuple[str, ...]  # SKUs of the items table (cost filters)
    categories: tuple[str, ...]  # categories of the items table
    series: pd.DataFrame  # planned SKU-warehouses (demand filters): sku, warehouse, category
    lanes: pd.DataFrame  # supply lanes: supplier, sku, warehouse, category (dataset stage)
    items: pd.DataFrame  # sku, category (and empty warehouse, supplier) (dataset stage)
    horizon: int | None  # plan weeks; None = not known at this stage


def _closest(value: str, valid: Sequence[str]) -> str | None:
    found = difflib.get_close_matches(value, list(valid), n=1, cutoff=0.0)
    return found[0] if found else None


def _listing(values: Sequence[str], limit: int = 10) -> str:
    shown = ", ".join(values[:limit])
    return shown + (f" (+{len(values) - limit} more)" if len(values) > limit else "")


class _Checker:
    def __init__(self, source: str):
        self.source = source
        self.problems: list[Problem] = []

    def add(self, key: str, message: str, fix: str = "") -> None:
        self.problems.append(Problem(self.source, f"{key}: {message}", fix=fix))

    def names(self, key: str, what: str, given: Sequence[str], valid: Sequence[str]) -> None:
        """Every name in `given` must be in `valid`."""
        known = set(valid)
        for name in given:
            if name in known:
                continue
            close = _closest(name, valid)
            if close is None:
                self.add(key, f"unknown {what} {name!r}: there is none to choose from")
            else:
                self.add(
                    key,
                    f"unknown {what} {name!r}",
                    fix=f"did you mean {close!r}? valid: {_listing(list(valid))}",
                )

    def weeks(self, key: str, weeks: tuple[int, int] | None, horizon: int | None) -> None:
        if weeks is None:
            return
        start, stop = weeks
        if start > stop:
            self.add(
                key,
                f"[{start}, {stop}] runs backwards: week {start} is after week {stop}",
                fix=f"write [{stop}, {start}]",
            )
            start, stop = stop, start
        if horizon is None:
            if start < 1:
                self.add(
                    key,
                    f"[{start}, {stop}]: plan weeks count from 1",
                    fix=f"use [{max(start, 1)}, {max(stop, 1)}]",
                )
            return
        if start < 1 or stop > horizon:
            lo = min(max(start, 1), horizon)
            hi = min(max(stop, 1), horizon)
            self.add(
                key,
                f"[{start}, {stop}] is outside the plan horizon: plan weeks are 1..{horizon}",
                fix=f"the closest valid range is [{lo}, {hi}]",
            )

    def raise_if_any(self) -> None:
        if self.problems:
            raise ConfigError(self.problems, title="invalid what-if modifiers")


def _filter_text(mod: DemandModifier | CostModifier) -> str:
    parts = []
    for name in ("skus", "categories", "warehouses", "suppliers"):
        values = getattr(mod, name, None)
        if values:
            parts.append(f"{name}: {', '.join(values)}")
    if mod.weeks is not None:
        parts.append(f"weeks {mod.weeks[0]}-{mod.weeks[1]}")
    return f" ({'; '.join(parts)})" if parts else ""


def _match(frame: pd.DataFrame, mod: DemandModifier | CostModifier) -> np.ndarray:
    """Rows of `frame` (columns sku, warehouse, category, maybe supplier) the filters select."""
    keep = np.ones(len(frame), dtype=bool)
    for name, column in (
        ("skus", "sku"),
        ("categories", "category"),
        ("warehouses", "warehouse"),
        ("suppliers", "supplier"),
    ):
        values = getattr(mod, name, None)
        if values is not None:
            keep &= frame[column].isin(values).to_numpy()
    return keep


def _check_demand(ck: _Checker, i: int, mod: DemandModifier, refs: _Refs) -> None:
    key = f"whatif[{i}]"
    found = len(ck.problems)
    planned_skus = sorted(set(refs.series["sku"]))
    planned_categories = sorted(set(refs.series["category"]))
    ck.names(f"{key}.skus", "SKU (with demand to scale)", mod.skus or (), planned_skus)
    ck.names(f"{key}.categories", "category", mod.categories or (), planned_categories)
    ck.names(f"{key}.warehouses", "warehouse", mod.warehouses or (), refs.warehouses)
    names_ok = len(ck.problems) == found
    ck.weeks(f"{key}.weeks", mod.weeks, refs.horizon)
    if names_ok and not _match(refs.series, mod).any():
        ck.add(
            key,
            f"the filters{_filter_text(mod)} match no SKU-warehouse with demand",
            fix="widen the filters (they are combined with AND)",
        )


def _check_outage(ck: _Checker, i: int, mod: SupplierOutage, refs: _Refs) -> None:
    ck.names(f"whatif[{i}].supplier", "supplier", [mod.supplier], refs.suppliers)
    ck.weeks(f"whatif[{i}].weeks", mod.weeks, refs.horizon)


def _check_lead_time(ck: _Checker, i: int, mod: LeadTimeModifier, refs: _Refs) -> None:
    ck.names(f"whatif[{i}].supplier", "supplier", [mod.supplier], refs.suppliers)
    if mod.supplier in refs.suppliers and not (refs.lanes["supplier"] == mod.supplier).any():
        ck.add(
            f"whatif[{i}].supplier",
            f"supplier {mod.supplier!r} has no supply lane, so it has no lead time to change",
            fix="name a supplier with lanes in supply",
        )


def _check_cost(ck: _Checker, i: int, mod: CostModifier, refs: _Refs) -> None:
    key = f"whatif[{i}]"
    found = len(ck.problems)
    ck.names(f"{key}.skus", "SKU", mod.skus or (), refs.skus)
    ck.names(f"{key}.categories", "category", mod.categories or (), refs.categories)
    ck.names(f"{key}.warehouses", "warehouse", mod.warehouses or (), refs.warehouses)
    ck.names(f"{key}.suppliers", "supplier", mod.suppliers or (), refs.suppliers)
    if mod.weeks is not None:
        ck.add(
            f"{key}.weeks",
            f"{mod.field} is not a weekly cost: a cost modifier applies to the whole horizon",
            fix="remove `weeks`",
        )
    if mod.field in ITEM_COSTS:
        for name in ("warehouses", "suppliers"):
            if getattr(mod, name):
                ck.add(
                    f"{key}.{name}",
                    f"{mod.field} is set per SKU (items table), so it cannot be filtered by {name}",
                    fix="filter by skus or categories, or remove the filter",
                )
    if len(ck.problems) > found:
        return
    if mod.field in LANE_COSTS:
        matched, what = _match(refs.lanes, mod).any(), "supply lane"
    else:
        matched, what = _match(refs.items, mod).any(), "SKU"
    if not matched:
        ck.add(
            key,
            f"the filters{_filter_text(mod)} match no {what}",
            fix="widen the filters (they are combined with AND)",
        )


def _check_capacity(ck: _Checker, i: int, mod: CapacityModifier, dataset: Dataset) -> None:
    key = f"whatif[{i}]"
    if (mod.warehouse is None) == (mod.supplier is None):
        ck.add(
            key,
            "a capacity modifier names exactly one of `warehouse` or `supplier`",
            fix="write e.g. {kind: capacity, warehouse: W1, factor: 0.8}",
        )
        return
    if mod.warehouse is not None:
        table, what, name = dataset.warehouses, "warehouse", mod.warehouse
    else:
        table, what, name = dataset.suppliers, "supplier", mod.supplier
    valid = tuple(table[what].tolist())
    ck.names(f"{key}.{what}", what, [name], valid)
    if name in valid:
        cap = float(table.loc[table[what] == name, "capacity"].iloc[0])
        if not np.isfinite(cap):
            fix = (
                f"give {name} a capacity in {what}s, or use {{kind: supplier_outage}} to stop it"
                if what == "supplier"
                else f"give {name} a capacity in {what}s"
            )
            ck.add(
                f"{key}.{what}",
                f"{what} {name!r} has no capacity limit (empty capacity), so a factor cannot "
                "scale it",
                fix=fix,
            )


def _dataset_refs(dataset: Dataset, horizon: int | None) -> _Refs:
    category = dataset.items.set_index("sku")["category"]
    series = dataset.series.assign(category=lambda f: f["sku"].map(category).to_numpy())
    lanes = dataset.supply[["supplier", "sku", "warehouse"]].assign(
        category=lambda f: f["sku"].map(category).to_numpy()
    )
    return _Refs(
        suppliers=tuple(dataset.suppliers["supplier"].tolist()),
        warehouses=tuple(dataset.warehouses["warehouse"].tolist()),
        skus=tuple(dataset.items["sku"].tolist()),
        categories=tuple(sorted(set(dataset.items["category"].tolist()))),
        series=series,
        lanes=lanes,
        items=dataset.items[["sku", "category"]].assign(warehouse="", supplier=""),
        horizon=horizon,
    )


def _model_refs(data: ModelData, categories: Mapping[str, str]) -> _Refs:
    series = data.series[["sku", "warehouse"]].reset_index(drop=True)
    series = series.assign(category=[categories.get(s, "uncategorized") for s in series["sku"]])
    return _Refs(
        suppliers=tuple(data.suppliers),
        warehouses=tuple(data.warehouses),
        skus=tuple(sorted(set(series["sku"]))),
        categories=tuple(sorted(set(series["category"]))),
        series=series,
        lanes=pd.DataFrame(columns=["supplier", "sku", "warehouse", "category"]),
        items=pd.DataFrame(columns=["sku", "category", "warehouse", "supplier"]),
        horizon=data.n_weeks,
    )


# ---------------------------------------------------------------- formatting


def _num(x: float) -> str:
    """A quantity or amount as a planner reads it: 4,120 / 9.50 / unlimited."""
    if not np.isfinite(x):
        return "unlimited"
    if abs(x - round(x)) < 1e-9 * max(1.0, abs(x)) or abs(x) >= 100:
        return f"{x:,.0f}"
    return f"{x:,.2f}"


def _span(values: np.ndarray) -> str:
    """One value, or the range min-max when they differ."""
    lo, hi = float(np.min(values)), float(np.max(values))
    return _num(lo) if lo == hi else f"{_num(lo)}-{_num(hi)}"


# ---------------------------------------------------------------- the dataset stage


def apply_dataset_whatifs(
    dataset: Dataset,
    whatifs: Sequence[WhatIfModifier],
    *,
    horizon_weeks: int | None = None,
    source: str = "scenario",
) -> tuple[Dataset, list[str]]:
    """Apply the lead_time, cost and capacity modifiers to the dataset; skip the others.

    With `horizon_weeks`, the model-stage modifiers (demand, supplier_outage) are checked too,
    against the dataset and the horizon, so that every bad reference of the scenario file is
    reported at once, before anything is forecast. Returns the new dataset and the change log.
    """
    refs = _dataset_refs(dataset, horizon_weeks)
    ck = _Checker(source)
    for i, mod in enumerate(whatifs):
        if isinstance(mod, LeadTimeModifier):
            _check_lead_time(ck, i, mod, refs)
        elif isinstance(mod, CostModifier):
            _check_cost(ck, i, mod, refs)
        elif isinstance(mod, CapacityModifier):
            _check_capacity(ck, i, mod, dataset)
        elif horizon_weeks is not None and isinstance(mod, DemandModifier):
            _check_demand(ck, i, mod, refs)
        elif horizon_weeks is not None and isinstance(mod, SupplierOutage):
            _check_outage(ck, i, mod, refs)
    ck.raise_if_any()

    items, supply = dataset.items, dataset.supply
    warehouses, suppliers = dataset.warehouses, dataset.suppliers
    log: list[str] = []
    for i, mod in enumerate(whatifs):
        if isinstance(mod, LeadTimeModifier):
            supply, line = _lead_time(i, mod, supply)
        elif isinstance(mod, CostModifier):
            if mod.field in LANE_COSTS:
                supply, line = _lane_cost(i, mod, supply, items)
            else:
                items, line = _item_cost(i, mod, items)
        elif isinstance(mod, CapacityModifier):
            if mod.warehouse is not None:
                warehouses, line = _capacity(i, mod, warehouses, "warehouse", "volume")
            else:
                suppliers, line = _capacity(i, mod, suppliers, "supplier", "units/week")
        else:
            continue
        log.append(line)
    if not log:
        return dataset, log
    changed = replace(
        dataset, items=items, supply=supply, warehouses=warehouses, suppliers=suppliers
    )
    return changed, log


def _lead_time(i: int, mod: LeadTimeModifier, supply: pd.DataFrame) -> tuple[pd.DataFrame, str]:
    rows = (supply["supplier"] == mod.supplier).to_numpy()
    old = supply["lead_time_weeks"].to_numpy()[rows]
    new = np.maximum(old + mod.add_weeks, 0)
    supply = supply.copy()
    supply.loc[rows, "lead_time_weeks"] = new
    clipped = int((old + mod.add_weeks < 0).sum())
    note = f", {clipped} held at 0 weeks" if clipped else ""
    n = int(rows.sum())
    line = (
        f"whatif[{i}] lead_time {mod.supplier} {mod.add_weeks:+d} weeks: "
        f"lead time {_span(old)} -> {_span(new)} weeks ({n} lane{'s' if n != 1 else ''}{note})"
    )
    return supply, line


def _lane_cost(
    i: int, mod: CostModifier, supply: pd.DataFrame, items: pd.DataFrame
) -> tuple[pd.DataFrame, str]:
    category = supply["sku"].map(items.set_index("sku")["category"])
    rows = _match(supply.assign(category=category.to_numpy()), mod)
    old = supply[mod.field].to_numpy(float)[rows]
    supply = supply.copy()
    supply.loc[rows, mod.field] = old * mod.factor
    n = int(rows.sum())
    return supply, _cost_line(i, mod, old, n, "lane")


def _item_cost(i: int, mod: CostModifier, items: pd.DataFrame) -> tuple[pd.DataFrame, str]:
    rows = _match(items.assign(warehouse="", supplier=""), mod)
    old = items[mod.field].to_numpy(float)[rows]
    items = items.copy()
    items.loc[rows, mod.field] = old * mod.factor
    n = int(rows.sum())
    return items, _cost_line(i, mod, old, n, "SKU")


def _cost_line(i: int, mod: CostModifier, old: np.ndarray, n: int, what: str) -> str:
    same = bool(np.all(old == old[0])) if n else True
    label = mod.field if same else f"average {mod.field}"
    before = float(old[0]) if same and n else float(old.mean()) if n else 0.0
    return (
        f"whatif[{i}] cost {mod.field} x{mod.factor:g}{_filter_text(mod)}: "
        f"{label} {_num(before)} -> {_num(before * mod.factor)} {_COST_UNITS[mod.field]} "
        f"({n} {what}{'s' if n != 1 else ''})"
    )


def _capacity(
    i: int, mod: CapacityModifier, table: pd.DataFrame, what: str, unit: str
) -> tuple[pd.DataFrame, str]:
    name = mod.warehouse if what == "warehouse" else mod.supplier
    rows = (table[what] == name).to_numpy()
    old = float(table["capacity"].to_numpy(float)[rows][0])
    table = table.copy()
    table.loc[rows, "capacity"] = old * mod.factor
    line = (
        f"whatif[{i}] capacity {what} {name} x{mod.factor:g}: "
        f"capacity {_num(old)} -> {_num(old * mod.factor)} {unit}"
    )
    return table, line


# ---------------------------------------------------------------- the model stage


def apply_model_whatifs(
    data: ModelData,
    whatifs: Sequence[WhatIfModifier],
    categories: Mapping[str, str],
    *,
    source: str = "scenario",
) -> tuple[ModelData, list[str]]:
    """Apply the demand and supplier_outage modifiers to the model inputs; skip the others.

    `categories` maps each SKU to its category (the items table's `category`; SKUs missing from
    it are "uncategorized"). Returns the new ModelData and the change log.
    """
    refs = _model_refs(data, categories)
    ck = _Checker(source)
    for i, mod in enumerate(whatifs):
        if isinstance(mod, DemandModifier):
            _check_demand(ck, i, mod, refs)
        elif isinstance(mod, SupplierOutage):
            _check_outage(ck, i, mod, refs)
    ck.raise_if_any()

    demand, capacity = data.demand, data.supplier_capacity
    log: list[str] = []
    for i, mod in enumerate(whatifs):
        if isinstance(mod, DemandModifier):
            demand, line = _demand(i, mod, demand, data.prob, refs.series)
        elif isinstance(mod, SupplierOutage):
            capacity, line = _outage(i, mod, capacity, data)
        else:
            continue
        log.append(line)
    if not log:
        return data, log
    return replace(data, demand=demand, supplier_capacity=capacity), log


def _week_slice(weeks: tuple[int, int] | None, horizon: int) -> slice:
    if weeks is None:
        return slice(0, horizon)
    return slice(weeks[0] - 1, weeks[1])


def _demand(
    i: int, mod: DemandModifier, demand: np.ndarray, prob: np.ndarray, series: pd.DataFrame
) -> tuple[np.ndarray, str]:
    rows = np.flatnonzero(_match(series, mod))
    weeks = _week_slice(mod.weeks, demand.shape[2])
    part = demand[:, rows, weeks]
    before = float(prob @ part.sum(axis=(1, 2)))
    demand = demand.copy()
    demand[:, rows, weeks] = part * mod.factor
    n = len(rows)
    line = (
        f"whatif[{i}] demand x{mod.factor:g}{_filter_text(mod)}: expected demand "
        f"{_num(before)} -> {_num(before * mod.factor)} units "
        f"({n} SKU-warehouse{'s' if n != 1 else ''})"
    )
    return demand, line


def _outage(
    i: int, mod: SupplierOutage, capacity: np.ndarray, data: ModelData
) -> tuple[np.ndarray, str]:
    q = data.suppliers.index(mod.supplier)
    weeks = _week_slice(mod.weeks, data.n_weeks)
    old = capacity[q, weeks]
    capacity = capacity.copy()
    capacity[q, weeks] = 0.0
    first, last = data.weeks[weeks][0].date(), data.weeks[weeks][-1].date()
    line = (
        f"whatif[{i}] supplier_outage {mod.supplier} weeks {mod.weeks[0]}-{mod.weeks[1]}: "
        f"capacity {_span(old)} -> 0 units/week ({first} to {last})"
    )
    return capacity, line
