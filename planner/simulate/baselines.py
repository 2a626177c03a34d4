"""The textbook policies a planner runs today, on the same forecasts as the engine.

base_stock  order up to  S_i = sum_{t=0..L_i} mu_{i,t} + z_i sqrt(sum_{t=0..L_i} sigma_{i,t}^2)
            every week (review period R = 1: an order placed now must cover the lead time L_i
            of the SKU's primary lane plus the week until the next order), with z_i the normal
            quantile of the newsvendor critical ratio
                lost sales   (p_i - c_i) / (p_i - c_i + h_i)     (a lost sale saves its cost c_i)
                backorders   p_i / (p_i + h_i)                  (p_i per unit-week backlogged)
sS          reorder point s_i = S_i above; when the inventory position falls below it, order up
            to s_i + Q_i with Q_i = max(EOQ_i, MOQ, multiple), EOQ_i = sqrt(2 K_i d_i / h_i)
            (K_i the lane's fixed order cost, d_i the mean weekly forecast): without fixed order
            costs EOQ is 0 and sS orders like base_stock, up to the lot rules.
mu and sigma are the mean and standard deviation of the same forecast sample paths the
stochastic plan reduces to scenarios. The orders then obey the network's rules
(`planner.simulate.lots.constrain_orders`).
"""

from __future__ import annotations

from dataclasses import dataclass
from statistics import NormalDist

import numpy as np

from planner.simulate.engine import Decision, Network, SimState
from planner.simulate.forecasts import WeekForecast
from planner.simulate.lots import constrain_orders, primary_lanes

CR_BOUNDS = (1e-4, 1 - 1e-6)


def critical_ratio(network: Network) -> np.ndarray:
    """(n,) newsvendor critical ratio per series at its primary lane's landed cost."""
    data = network.data
    h = data.holding_cost
    p = data.shortage_cost
    if data.backorder:
        cu = p
    else:
        cost = data.unit_order_cost[primary_lanes(network)]
        cu = np.maximum(p - cost, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        cr = np.where(cu + h > 0, cu / (cu + h), 0.5)
    return np.clip(cr, *CR_BOUNDS)


def safety_factor(network: Network) -> np.ndarray:
    nd = NormalDist()
    return np.array([nd.inv_cdf(float(c)) for c in critical_ratio(network)])


def order_up_to(network: Network, forecast: WeekForecast) -> np.ndarray:
    """(n,) base-stock level over lead time plus one review week."""
    lead = network.data.lead_time[primary_lanes(network)]
    H = forecast.mean.shape[1]
    cover = np.minimum(lead + 1, H)
    mask = np.arange(H)[None, :] < cover[:, None]
    mu = (forecast.mean * mask).sum(axis=1)
    sigma = np.sqrt(((forecast.sd**2) * mask).sum(axis=1))
    return np.maximum(mu + safety_factor(network) * sigma, 0.0)


@dataclass
class BaseStockPolicy:
    network: Network
    forecasts: list[WeekForecast]
    name: str = "base_stock"

    def decide(self, week: int, state: SimState) -> Decision:
        fc = self.forecasts[week]
        level = order_up_to(self.network, fc)
        desired = np.maximum(level - state.position(), 0.0)
        return Decision(orders=constrain_orders(self.network, desired, state, fc))


def eoq(network: Network, forecast: WeekForecast) -> np.ndarray:
    """(n,) economic order quantity at the primary lane's fixed order cost."""
    data = network.data
    lane = primary_lanes(network)
    k = data.fixed_order_cost[lane]
    d = np.maximum(forecast.mean.mean(axis=1), 0.0)
    h = data.holding_cost
    with np.errstate(invalid="ignore", divide="ignore"):
        q = np.where(h > 0, np.sqrt(2.0 * k * d / np.where(h > 0, h, 1.0)), 0.0)
    return np.maximum.reduce([q, data.moq[lane], data.order_multiple[lane]])


@dataclass
class SSPolicy:
    network: Network
    forecasts: list[WeekForecast]
    name: str = "sS"

    def decide(self, week: int, state: SimState) -> Decision:
        fc = self.forecasts[week]
        s = order_up_to(self.network, fc)
        big_s = s + eoq(self.network, fc)
        pos = state.position()
        desired = np.where(pos < s, big_s - pos, 0.0)
        return Decision(orders=constrain_orders(self.network, desired, state, fc))
