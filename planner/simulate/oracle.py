"""The oracle: one deterministic plan over the whole window with the true demand known.

The same model and constraints as the weekly plans (lanes, lead times, MOQ, multiples, fixed
order costs, capacities, budget, transfers), one scenario (the realised demand of every week),
every week first stage (so lot sizing is integer throughout), the simulated start stock and
open orders, and the plan's terminal value on what is left at the end. Its orders and transfers
are then replayed through the same simulator as every other policy. No policy that obeys the
same constraints can cost less over the window: the oracle is the lower bound (exactly, when
lead times are fixed and warehouse volumes are respected).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from planner.errors import InfeasibleError, SolverError
from planner.simulate.engine import Network, SimState
from planner.simulate.policies import ScheduledPolicy
from planner.solve import SolverOptions


def oracle_policy(
    network: Network,
    truth: np.ndarray,
    state: SimState,
    weeks: pd.DatetimeIndex,
    options: SolverOptions,
) -> tuple[ScheduledPolicy, float]:
    """The oracle's schedule of orders and transfers, and its planned objective."""
    from planner.pipeline import solve_plan

    base = network.data
    _n, N = truth.shape
    data = replace(
        base,
        weeks=pd.DatetimeIndex(weeks),
        demand=np.asarray(truth, float)[None, :, :] + 0.0,
        prob=np.ones(1),
        on_hand=state.on_hand.copy(),
        open_arrivals=state.pipeline(N),
        warehouse_capacity=base.warehouse_capacity[:, :1].repeat(N, axis=1),
        supplier_capacity=base.supplier_capacity[:, :1].repeat(N, axis=1),
        frozen_weeks=N,
        lead_time_scenarios=None,
        service_from_week=None,
    )
    data.demand[0, :, 0] += state.backlog
    try:
        _, layout, res, _ = solve_plan(data, options)
    except (InfeasibleError, SolverError) as exc:
        raise type(exc)(f"oracle (perfect foresight over the window): {exc}") from exc
    orders = np.zeros((network.n_lanes, N))
    x = res.values.get("order_first", np.zeros(layout.n_fs))
    np.add.at(orders, (layout.fs_lane, layout.fs_week), x)
    orders = np.where(orders > 1e-6, orders, 0.0)
    transfers = None
    if network.n_routes:
        transfers = np.zeros((network.n_routes, N))
        if layout.n_tr:
            z = res.values.get("transfer", np.zeros(layout.n_tr))
            np.add.at(transfers, (layout.tr_route, layout.tr_week), z)
    return ScheduledPolicy("oracle", orders, transfers), float(res.objective)
