"""Small hand-made ModelData instances for model tests."""

from __future__ import annotations

import numpy as np
import pandas as pd

from planner.model.data import ModelData


def single_series(
    demand,
    *,
    prob=None,
    lanes=((0, 1.0, 0.0),),  # (lead_time, unit_price, shipping_cost)
    holding=1.0,
    shortage=10.0,
    terminal=0.0,
    on_hand=0.0,
    open_arrivals=None,
    frozen=1,
    backorder=False,
    volume=1.0,
    warehouse_capacity=np.inf,
    supplier_capacity=np.inf,
) -> ModelData:
    """One SKU at one warehouse; `demand` is (T,) or (S, T)."""
    d = np.asarray(demand, float)
    if d.ndim == 1:
        d = d[None, :]
    S, T = d.shape
    prob = np.full(S, 1.0 / S) if prob is None else np.asarray(prob, float)
    nl = len(lanes)
    suppliers = tuple(f"S{k + 1}" for k in range(nl))
    lane_df = pd.DataFrame(
        {
            "supplier": list(suppliers),
            "sku": ["A"] * nl,
            "warehouse": ["W"] * nl,
            "lead_time": [lt for lt, _, _ in lanes],
            "unit_price": [p for _, p, _ in lanes],
            "shipping_cost": [s for _, _, s in lanes],
        }
    )
    return ModelData(
        weeks=pd.date_range("2026-01-05", periods=T, freq="W-MON"),
        series=pd.DataFrame({"sku": ["A"], "warehouse": ["W"]}),
        lanes=lane_df,
        lane_series=np.zeros(nl, np.int64),
        lane_supplier=np.arange(nl, dtype=np.int64),
        lead_time=np.array([lt for lt, _, _ in lanes], np.int64),
        unit_price=np.array([p for _, p, _ in lanes], float),
        shipping_cost=np.array([s for _, _, s in lanes], float),
        holding_cost=np.array([holding], float),
        shortage_cost=np.array([shortage], float),
        terminal_value=np.array([terminal], float),
        volume=np.array([volume], float),
        series_warehouse=np.zeros(1, np.int64),
        on_hand=np.array([on_hand], float),
        open_arrivals=np.zeros((1, T))
        if open_arrivals is None
        else np.asarray(open_arrivals, float)[None, :],
        demand=d[:, None, :],
        prob=prob,
        warehouses=("W",),
        warehouse_capacity=np.array([warehouse_capacity], float),
        suppliers=suppliers,
        supplier_capacity=np.broadcast_to(np.asarray(supplier_capacity, float), (nl,)).copy(),
        frozen_weeks=frozen,
        backorder=backorder,
    )


def solve(data: ModelData, options=None):
    """Build, solve and summarise; returns (PlanResult, SolveResult, PlanSolution)."""
    from planner.model.build import build_model
    from planner.results import PlanSolution, summarise
    from planner.solve import SolverOptions, solve_model

    model, lay = build_model(data)
    res = solve_model(model, options or SolverOptions())
    assert res.status.has_solution, res.status
    return summarise(model, data, lay, res), res, PlanSolution.from_result(res, lay)
