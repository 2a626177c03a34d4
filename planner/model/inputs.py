"""Dataset + scenario settings + demand scenarios -> ModelData.

This is where the dataset's tables become model units: lanes indexed by series, weekly costs
after the scenario's multipliers, open orders placed on the planning weeks, capacities net of
the stock of items that are not planned.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from planner.config import Scenario
from planner.data import Dataset
from planner.model.data import ModelData, Transfers
from planner.scenarios import ScenarioSet


@dataclass
class InputNotes:
    """What the conversion did to the data that a planner should know about."""

    lines: list[str] = field(default_factory=list)

    def add(self, text: str) -> None:
        self.lines.append(text)


def planning_weeks(dataset: Dataset, scenario: Scenario) -> tuple[pd.DatetimeIndex, int]:
    """The planning weeks and the number of weeks between the history's end and the plan start."""
    from planner.errors import ConfigError, Problem

    first = dataset.last_week + pd.Timedelta(weeks=1)
    if scenario.plan.start is not None:
        start = pd.Timestamp(scenario.plan.start)
        start = start - pd.Timedelta(days=start.weekday())
        if start < first:
            raise ConfigError(
                Problem(
                    str(scenario.source or "scenario"),
                    f"plan.start {start.date()} is not after the last demand week {dataset.last_week.date()}",
                    fix=f"set plan.start to {first.date()} or later, or remove it",
                )
            )
    else:
        start = first
    gap = int((start - first).days // 7)
    weeks = pd.date_range(start, periods=scenario.plan.horizon_weeks, freq="W-MON")
    return weeks, gap


def make_model_data(
    dataset: Dataset,
    scenario: Scenario,
    series: pd.DataFrame,
    weeks: pd.DatetimeIndex,
    scenarios: ScenarioSet,
    notes: InputNotes | None = None,
) -> ModelData:
    """Build the model inputs for `series` (sku, warehouse rows in the order of the scenarios)."""
    notes = notes if notes is not None else InputNotes()
    costs = scenario.costs
    len(weeks)
    series = series.reset_index(drop=True)[["sku", "warehouse"]]
    key = pd.MultiIndex.from_frame(series)
    items = dataset.items.set_index("sku")
    sku = series["sku"]

    warehouses = tuple(dataset.warehouses["warehouse"].tolist())
    suppliers = tuple(dataset.suppliers["supplier"].tolist())
    wh_pos = {w: k for k, w in enumerate(warehouses)}
    sup_pos = {q: k for k, q in enumerate(suppliers)}

    lanes = dataset.supply.merge(
        series.assign(_series=np.arange(len(series))), on=["sku", "warehouse"]
    )
    lanes = lanes.sort_values(["_series", "supplier"], kind="stable").reset_index(drop=True)

    unit_cost = items.loc[sku, "unit_cost"].to_numpy(float)
    lane_series = lanes["_series"].to_numpy(np.int64)
    unit_price = lanes["unit_price"].to_numpy(float)
    shipping = lanes["shipping_cost"].to_numpy(float) * costs.logistics_multiplier
    cheapest = np.full(len(series), np.inf)
    np.minimum.at(cheapest, lane_series, unit_price + shipping)
    if scenario.plan.terminal_value == "unit_cost":
        # stock left at the end is worth what replacing it costs, at most the unit cost, so that
        # ordering only to hold stock at the horizon end never pays
        terminal = np.minimum(unit_cost, cheapest)
    else:
        terminal = np.zeros(len(series))

    inv = dataset.inventory.set_index(["sku", "warehouse"])["on_hand"]
    on_hand = inv.reindex(key).fillna(0.0).to_numpy(float)
    open_arrivals = _open_arrivals(dataset, key, weeks, notes)

    wh_cap = dataset.warehouses["capacity"].to_numpy(float).copy()
    wh_cap -= _unplanned_volume(dataset, key, warehouses, notes)
    lead = lanes["lead_time_weeks"].to_numpy(np.int64)
    lead_scen = sample_lead_times(
        lead,
        lanes["lead_time_sd_weeks"].to_numpy(float),
        scenarios.n_scenarios,
        scenario.forecast.seed,
    )

    return ModelData(
        weeks=weeks,
        series=series,
        lanes=lanes.rename(columns={"lead_time_weeks": "lead_time"}).drop(columns="_series"),
        lane_series=lane_series,
        lane_supplier=lanes["supplier"].map(sup_pos).to_numpy(np.int64),
        lead_time=lead,
        unit_price=unit_price,
        shipping_cost=shipping,
        holding_cost=items.loc[sku, "holding_cost"].to_numpy(float) * costs.holding_multiplier,
        shortage_cost=items.loc[sku, "shortage_cost"].to_numpy(float) * costs.shortage_multiplier,
        terminal_value=terminal,
        volume=items.loc[sku, "volume"].to_numpy(float),
        series_warehouse=series["warehouse"].map(wh_pos).to_numpy(np.int64),
        on_hand=on_hand,
        open_arrivals=open_arrivals,
        demand=scenarios.demand,
        prob=scenarios.prob,
        warehouses=warehouses,
        warehouse_capacity=wh_cap,
        suppliers=suppliers,
        supplier_capacity=dataset.suppliers["capacity"].to_numpy(float),
        frozen_weeks=scenario.plan.frozen_weeks,
        backorder=scenario.plan.shortage == "backorder",
        fixed_order_cost=lanes["fixed_order_cost"].to_numpy(float) * costs.logistics_multiplier,
        moq=lanes["moq"].to_numpy(float),
        order_multiple=lanes["order_multiple"].to_numpy(float),
        lead_time_scenarios=lead_scen,
        transfers=_transfers(dataset, series, costs.logistics_multiplier),
        budget_per_week=scenario.budget_per_week,
        service_level=scenario.risk.service_level,
        cvar_alpha=scenario.risk.cvar_alpha,
        cvar_weight=scenario.risk.cvar_weight,
        integer_recourse=scenario.solver.integer_recourse,
        meta={"unit_cost": unit_cost},
    )


def sample_lead_times(
    lead: np.ndarray, sd: np.ndarray, n_scenarios: int, seed: int
) -> np.ndarray | None:
    """Realised lead time of each lane in each scenario: round(L + sd z), at least 0.

    None when no lane has a lead-time standard deviation (fixed lead times)."""
    if not (sd > 0).any():
        return None
    rng = np.random.default_rng([seed, 0x1EAD])
    z = rng.standard_normal((len(lead), n_scenarios))
    return np.maximum(0, np.rint(lead[:, None] + sd[:, None] * z)).astype(np.int64)


def _transfers(dataset: Dataset, series: pd.DataFrame, multiplier: float) -> Transfers | None:
    """One route per SKU stocked at both ends of a transfer lane."""
    tr = dataset.transfers
    if tr.empty:
        return None
    pos = {
        (s, w): i for i, (s, w) in enumerate(zip(series["sku"], series["warehouse"], strict=True))
    }
    frm, to, cost, lead = [], [], [], []
    for row in tr.itertuples(index=False):
        for sku in series["sku"].unique():
            a, b = pos.get((sku, row.from_warehouse)), pos.get((sku, row.to_warehouse))
            if a is not None and b is not None:
                frm.append(a)
                to.append(b)
                cost.append(float(row.cost_per_unit) * multiplier)
                lead.append(int(row.lead_time_weeks))
    if not frm:
        return None
    return Transfers(
        from_series=np.asarray(frm, np.int64),
        to_series=np.asarray(to, np.int64),
        cost=np.asarray(cost, float),
        lead_time=np.asarray(lead, np.int64),
    )


def _open_arrivals(
    dataset: Dataset, key: pd.MultiIndex, weeks: pd.DatetimeIndex, notes: InputNotes
) -> np.ndarray:
    """Open orders by series and planning week; overdue ones arrive in week 0."""
    T = len(weeks)
    out = np.zeros((len(key), T))
    oo = dataset.open_orders
    if oo.empty:
        return out
    pos = pd.Series(np.arange(len(key)), index=key)
    idx = pos.reindex(pd.MultiIndex.from_frame(oo[["sku", "warehouse"]])).to_numpy()
    week = ((oo["arrival_week"] - weeks[0]).dt.days // 7).to_numpy()
    qty = oo["quantity"].to_numpy(float)
    known = ~np.isnan(idx)
    overdue = known & (week < 0)
    beyond = known & (week >= T)
    if overdue.any():
        notes.add(
            f"{int(overdue.sum())} open order line(s) ({qty[overdue].sum():g} units) were due before "
            f"{weeks[0].date()}: assumed to arrive in the first planning week"
        )
    if beyond.any():
        notes.add(
            f"{int(beyond.sum())} open order line(s) arrive after the horizon and are not counted"
        )
    if (~known).any():
        notes.add(
            f"{int((~known).sum())} open order line(s) are for SKU-warehouses without demand: not planned"
        )
    use = known & ~beyond
    np.add.at(out, (idx[use].astype(np.int64), np.clip(week[use], 0, T - 1)), qty[use])
    return out


def _unplanned_volume(
    dataset: Dataset, key: pd.MultiIndex, warehouses: tuple[str, ...], notes: InputNotes
) -> np.ndarray:
    """Volume occupied by stock of SKU-warehouses that are not planned (no demand)."""
    inv = dataset.inventory
    planned = pd.MultiIndex.from_frame(inv[["sku", "warehouse"]]).isin(key)
    other = inv[~planned & (inv["on_hand"] > 0)]
    if other.empty:
        return np.zeros(len(warehouses))
    vol = other["sku"].map(dataset.items.set_index("sku")["volume"]).to_numpy(float) * other[
        "on_hand"
    ].to_numpy(float)
    per_wh = pd.Series(vol).groupby(other["warehouse"].to_numpy()).sum()
    notes.add(
        f"{len(other)} SKU-warehouse(s) with stock but no demand history are not planned; "
        "their volume is taken off the warehouse capacity"
    )
    return per_wh.reindex(list(warehouses)).fillna(0.0).to_numpy()
