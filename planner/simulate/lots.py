"""Turn a baseline's desired quantity per SKU-warehouse into orders a planner could place.

1. warehouse volume: the stock projected for the week the order lands (on hand + open
   arrivals until then - mean forecast until then, at least 0) plus the new orders must fit
   the warehouse; desired quantities are scaled down in proportion where they would not;
2. lanes: the cheapest landed lane first (ties: the faster); what a supplier's weekly capacity
   cannot take goes to the SKU's next lane;
3. lot rules: an order is raised to the lane's MOQ and to a whole order multiple; an order cut
   by a capacity is rounded down to a multiple and dropped below the MOQ;
4. budget: the week's purchase value is scaled down to the weekly budget, rounded down.
"""

from __future__ import annotations

import numpy as np

from planner.simulate.engine import EPS, Network, SimState
from planner.simulate.forecasts import WeekForecast


def lane_ranking(network: Network) -> list[np.ndarray]:
    """Per series, its lanes from the cheapest landed cost (ties: shortest lead time)."""
    data = network.data
    order = np.lexsort((data.lead_time, data.unit_order_cost, data.lane_series))
    out: list[list[int]] = [[] for _ in range(network.n)]
    for lane in order.tolist():
        out[int(data.lane_series[lane])].append(lane)
    return [np.asarray(v, np.int64) for v in out]


def primary_lanes(network: Network) -> np.ndarray:
    """(n,) the cheapest lane of every series (-1 would mean none; every series has one)."""
    return np.array([r[0] for r in lane_ranking(network)], np.int64)


def round_up(q: np.ndarray, moq: np.ndarray, mult: np.ndarray) -> np.ndarray:
    q = np.where(q > EPS, np.maximum(q, moq), 0.0)
    return np.where(mult > 0, np.ceil(q / np.where(mult > 0, mult, 1.0) - 1e-9) * mult, q)


def round_down(q: np.ndarray, moq: np.ndarray, mult: np.ndarray) -> np.ndarray:
    q = np.where(mult > 0, np.floor(q / np.where(mult > 0, mult, 1.0) + 1e-9) * mult, q)
    return np.where(q + 1e-9 >= moq, q, 0.0) * (q > EPS)


def fit_capacity(q: np.ndarray, cap: float, moq: np.ndarray, mult: np.ndarray) -> np.ndarray:
    """Orders `q` cut to a total of at most `cap`: in proportion, rounded down to whole lots,
    then the capacity left is handed out in whole lots to the orders cut most."""
    total = float(q.sum())
    if total <= cap + EPS:
        return q
    cap = max(cap, 0.0)
    out = round_down(q * (cap / total), moq, mult)
    left = cap - float(out.sum())
    for k in np.argsort(-(q - out), kind="stable"):
        if left <= EPS:
            break
        room = round_down(np.array([min(out[k] + left, q[k])]), moq[k : k + 1], mult[k : k + 1])
        extra = float(room[0]) - out[k]
        if extra > EPS:
            out[k] += extra
            left -= extra
    return out


def _fit_warehouses(
    network: Network, desired: np.ndarray, state: SimState, forecast: WeekForecast
) -> np.ndarray:
    data = network.data
    cap = network.warehouse_capacity()
    if not np.isfinite(cap).any():
        return desired
    lead = data.lead_time[primary_lanes(network)]
    H = forecast.mean.shape[1]
    upto = np.minimum(lead + 1, H)
    mask = np.arange(H)[None, :] < upto[:, None]
    arriving = (state.pipeline(H) * mask).sum(axis=1)
    projected = np.maximum(state.on_hand + arriving - (forecast.mean * mask).sum(axis=1), 0.0)
    out = desired.copy()
    for w in range(len(cap)):
        if not np.isfinite(cap[w]):
            continue
        mine = data.series_warehouse == w
        room = max(cap[w] - float(projected[mine] @ data.volume[mine]), 0.0)
        need = float(desired[mine] @ data.volume[mine])
        if need > room + EPS:
            out[mine] *= room / need
    return out


def constrain_orders(
    network: Network, desired: np.ndarray, state: SimState, forecast: WeekForecast
) -> np.ndarray:
    """(nl,) orders per lane for the desired units per series (see the module docstring)."""
    data = network.data
    remaining = _fit_warehouses(network, np.maximum(desired, 0.0), state, forecast)
    ranking = lane_ranking(network)
    sup_left = network.supplier_capacity().astype(float).copy()
    orders = np.zeros(network.n_lanes)
    for rank in range(max(len(r) for r in ranking)):
        series = np.array([i for i in range(network.n) if len(ranking[i]) > rank], np.int64)
        series = series[remaining[series] > EPS]
        if not len(series):
            break
        lanes = np.array([ranking[i][rank] for i in series], np.int64)
        q = round_up(remaining[series], data.moq[lanes], data.order_multiple[lanes])
        sup = data.lane_supplier[lanes]
        for s in np.unique(sup):
            mine = np.flatnonzero(sup == s)
            q[mine] = fit_capacity(
                q[mine], sup_left[s], data.moq[lanes[mine]], data.order_multiple[lanes[mine]]
            )
            sup_left[s] -= float(q[mine].sum())
        orders[lanes] += q
        remaining[series] = np.maximum(remaining[series] - q, 0.0)
    budget = data.budget_per_week
    if budget is not None:
        value = float(orders @ data.unit_price)
        if value > budget + EPS:
            orders = round_down(orders * (budget / value), data.moq, data.order_multiple)
    return orders
