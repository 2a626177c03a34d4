"""Seeded synthetic ModelData of any size, for benchmarks and tests (no dataset, no forecast).

Every SKU is stocked in every warehouse and can be bought from every supplier (one lane per
supplier x SKU x warehouse). Suppliers differ in price and lead time (cheaper ones are slower);
warehouse capacities are set below the volume an unconstrained plan would hold at peak, and
supplier capacities below the peak demand of their lanes, so both couple the SKUs.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from planner.model.data import ModelData


def synthetic_model_data(
    n_skus: int,
    n_warehouses: int,
    n_suppliers: int,
    n_weeks: int,
    n_scenarios: int,
    *,
    seed: int = 0,
    frozen_weeks: int = 1,
    capacities: bool = True,
    backorder: bool = False,
) -> ModelData:
    rng = np.random.default_rng(seed)
    skus = [f"SKU{k:05d}" for k in range(n_skus)]
    warehouses = tuple(f"W{w + 1}" for w in range(n_warehouses))
    suppliers = tuple(f"S{q + 1}" for q in range(n_suppliers))
    n = n_skus * n_warehouses
    series = pd.DataFrame(
        {"sku": np.repeat(skus, n_warehouses), "warehouse": np.tile(warehouses, n_skus)}
    )
    series_wh = np.tile(np.arange(n_warehouses), n_skus)

    unit_cost = np.repeat(rng.uniform(2.0, 100.0, n_skus), n_warehouses)
    volume = np.repeat(rng.uniform(0.001, 0.05, n_skus), n_warehouses)
    holding = 0.25 * unit_cost / 52
    shortage = unit_cost * rng.uniform(1.5, 4.0, n)

    level = rng.gamma(2.0, 10.0, n)
    season = 1 + 0.3 * np.sin(
        2 * np.pi * (np.arange(n_weeks)[None, :] / 52 + rng.uniform(0, 1, (n, 1)))
    )
    mean = level[:, None] * season
    cv = rng.uniform(0.2, 0.8, n)[:, None]
    shape = 1 / cv**2
    demand = rng.gamma(
        shape[None, :, :], (mean / shape)[None, :, :], size=(n_scenarios, n, n_weeks)
    )
    prob = np.full(n_scenarios, 1.0 / n_scenarios)

    # lanes: supplier q has lead time 1 + 2q (capped at 6) and price (1.1 - 0.1 q) x unit cost
    lane_series = np.tile(np.arange(n), n_suppliers)
    lane_supplier = np.repeat(np.arange(n_suppliers), n)
    lead = np.minimum(1 + 2 * lane_supplier, 6).astype(np.int64)
    lead = np.minimum(lead, max(n_weeks - 1, 0))
    price = unit_cost[lane_series] * (1.1 - 0.1 * lane_supplier)
    shipping = 0.02 * unit_cost[lane_series] + 0.01
    lanes = pd.DataFrame(
        {
            "supplier": np.asarray(suppliers, dtype=object)[lane_supplier],
            "sku": series["sku"].to_numpy()[lane_series],
            "warehouse": series["warehouse"].to_numpy()[lane_series],
            "lead_time": lead,
            "unit_price": price,
            "shipping_cost": shipping,
        }
    )

    on_hand = np.round(level * rng.uniform(0.5, 3.0, n))
    open_arrivals = np.zeros((n, n_weeks))
    if n_weeks > 1:
        open_arrivals[:, 1] = np.round(level * rng.uniform(0, 1.5, n))

    if capacities:
        peak_volume = np.bincount(
            series_wh, weights=volume * mean.max(axis=1) * 3.0, minlength=n_warehouses
        )
        base = np.bincount(
            series_wh,
            weights=volume * (on_hand + open_arrivals.sum(axis=1)),
            minlength=n_warehouses,
        )
        wh_cap = np.maximum(peak_volume * 0.8, base * 1.05)
        sup_demand = np.bincount(
            lane_supplier, weights=mean.max(axis=1)[lane_series], minlength=n_suppliers
        )
        sup_cap = sup_demand * 0.6
        if n_suppliers > 1:
            sup_cap[0] = np.inf  # the dear, fast supplier is unlimited
    else:
        wh_cap = np.full(n_warehouses, np.inf)
        sup_cap = np.full(n_suppliers, np.inf)

    terminal = np.minimum(unit_cost, _cheapest(lane_series, price + shipping, n))
    return ModelData(
        weeks=pd.date_range("2026-01-05", periods=n_weeks, freq="W-MON"),
        series=series,
        lanes=lanes,
        lane_series=lane_series,
        lane_supplier=lane_supplier,
        lead_time=lead,
        unit_price=price,
        shipping_cost=shipping,
        holding_cost=holding,
        shortage_cost=shortage,
        terminal_value=terminal,
        volume=volume,
        series_warehouse=series_wh,
        on_hand=on_hand,
        open_arrivals=open_arrivals,
        demand=demand,
        prob=prob,
        warehouses=warehouses,
        warehouse_capacity=wh_cap,
        suppliers=suppliers,
        supplier_capacity=sup_cap,
        frozen_weeks=frozen_weeks,
        backorder=backorder,
    )


def _cheapest(lane_series: np.ndarray, cost: np.ndarray, n: int) -> np.ndarray:
    out = np.full(n, np.inf)
    np.minimum.at(out, lane_series, cost)
    return out
