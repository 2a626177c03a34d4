"""The simulator's bookkeeping and the baselines' known answers (no solver involved)."""

from __future__ import annotations

from statistics import NormalDist

import numpy as np
import pytest

from planner.scenarios import ScenarioSet
from planner.simulate.baselines import BaseStockPolicy, SSPolicy, critical_ratio
from planner.simulate.engine import Decision, Network, initial_state, run_policy
from planner.simulate.forecasts import WeekForecast
from planner.simulate.kpis import trace_kpis
from planner.simulate.lots import constrain_orders
from tests.modelkit import single_series


def _known(mu: float, sd: float, n_weeks: int, horizon: int = 4) -> list[WeekForecast]:
    """The true distribution as every week's forecast (one series)."""
    mean = np.full((1, horizon), mu)
    scen = ScenarioSet(mean[None].copy(), np.ones(1))
    fc = WeekForecast(mean=mean, sd=np.full((1, horizon), sd), scenarios=scen, origin=0)
    return [fc] * n_weeks


def _network(data, weeks: int) -> Network:
    return Network(data, np.repeat(data.lead_time[:, None], weeks, axis=1))


class RandomPolicy:
    """Orders and transfers at random (to exercise every path of the bookkeeping)."""

    name = "random"

    def __init__(self, n_lanes: int, n_routes: int, seed: int):
        self.rng = np.random.default_rng(seed)
        self.nl, self.nr = n_lanes, n_routes

    def decide(self, week, state):
        orders = self.rng.uniform(0, 30, self.nl) * (self.rng.random(self.nl) < 0.6)
        tr = self.rng.uniform(0, 20, self.nr) if self.nr else None
        return Decision(orders=orders, transfers=tr)


def _two_series(backorder: bool):
    """Two warehouses of one SKU, two lanes each (lead 0 and 2), a transfer route each way."""
    import pandas as pd

    from planner.model.data import ModelData, Transfers

    T = 4
    lanes = pd.DataFrame(
        {
            "supplier": ["S1", "S2", "S1", "S2"],
            "sku": ["A"] * 4,
            "warehouse": ["W1", "W1", "W2", "W2"],
            "lead_time": [0, 2, 0, 2],
            "unit_price": [5.0, 4.0, 5.0, 4.0],
            "shipping_cost": [0.5, 0.2, 0.6, 0.3],
        }
    )
    return ModelData(
        weeks=pd.date_range("2026-01-05", periods=T, freq="W-MON"),
        series=pd.DataFrame({"sku": ["A", "A"], "warehouse": ["W1", "W2"]}),
        lanes=lanes,
        lane_series=np.array([0, 0, 1, 1]),
        lane_supplier=np.array([0, 1, 0, 1]),
        lead_time=np.array([0, 2, 0, 2]),
        unit_price=lanes["unit_price"].to_numpy(),
        shipping_cost=lanes["shipping_cost"].to_numpy(),
        holding_cost=np.array([0.1, 0.1]),
        shortage_cost=np.array([9.0, 9.0]),
        terminal_value=np.array([4.2, 4.2]),
        volume=np.array([1.0, 1.0]),
        series_warehouse=np.array([0, 1]),
        on_hand=np.array([20.0, 5.0]),
        open_arrivals=np.zeros((2, T)),
        demand=np.zeros((1, 2, T)),
        prob=np.ones(1),
        warehouses=("W1", "W2"),
        warehouse_capacity=np.array([np.inf, np.inf]),
        suppliers=("S1", "S2"),
        supplier_capacity=np.array([np.inf, np.inf]),
        backorder=backorder,
        fixed_order_cost=np.array([3.0, 0.0, 3.0, 0.0]),
        transfers=Transfers(
            from_series=np.array([0, 1]),
            to_series=np.array([1, 0]),
            cost=np.array([0.4, 0.4]),
            lead_time=np.array([1, 1]),
        ),
    )


@pytest.mark.parametrize("backorder", [False, True])
def test_stock_is_conserved_every_week(backorder):
    data = _two_series(backorder)
    N = 40
    net = _network(data, N)
    rng = np.random.default_rng(3)
    truth = rng.poisson(12, (2, N)).astype(float)
    open_arr = np.zeros((2, 3))
    open_arr[0, 1] = 15.0
    state = initial_state(2, N, net.max_lead, data.on_hand, open_arr)
    tr = run_policy(net, truth, RandomPolicy(4, 2, 1), state)

    # start + receipts - sales - transfers out = end, every series and week
    np.testing.assert_allclose(
        tr.on_hand_start + tr.received - tr.served - tr.transfer_out, tr.on_hand_end, atol=1e-9
    )
    assert (tr.on_hand_end >= -1e-12).all()
    np.testing.assert_allclose(tr.on_hand_start[:, 1:], tr.on_hand_end[:, :-1])
    np.testing.assert_allclose(tr.on_hand_start[:, 0], data.on_hand)
    backlog_start = np.concatenate([np.zeros((2, 1)), tr.backlog[:, :-1]], axis=1)
    if backorder:
        # backlog carried: what was asked for and not served is still owed
        np.testing.assert_allclose(backlog_start + tr.demand - tr.served, tr.backlog, atol=1e-9)
        np.testing.assert_allclose(tr.short, np.minimum(tr.demand, tr.backlog))
    else:
        assert (tr.backlog == 0).all()
        np.testing.assert_allclose(tr.served + tr.short, tr.demand)
    # nothing is created or lost in the pipeline: every unit ordered, transferred or open
    # either arrived or is still in transit at the end
    placed = tr.ordered.sum() + tr.transfer_out.sum() + open_arr.sum()
    assert tr.received.sum() + tr.in_transit_end.sum() == pytest.approx(placed)
    # costs at the network's prices
    q = tr.orders
    assert tr.costs["purchase"].sum() == pytest.approx((q * data.unit_price[:, None]).sum())
    assert tr.costs["fixed"].sum() == pytest.approx(
        ((q > 0) * data.fixed_order_cost[:, None]).sum()
    )
    assert tr.costs["holding"].sum() == pytest.approx(0.1 * tr.on_hand_end.sum())
    assert tr.costs["transfer"].sum() == pytest.approx(0.4 * tr.transfer_out.sum())
    short_units = tr.backlog.sum() if backorder else tr.short.sum()
    assert tr.costs["shortage"].sum() == pytest.approx(9.0 * short_units)
    assert tr.terminal == pytest.approx(-4.2 * (tr.on_hand_end[:, -1] + tr.in_transit_end).sum())


def test_orders_arrive_after_their_lead_time():
    data = _two_series(False)
    N = 6
    net = _network(data, N)

    class Once:
        name = "once"

        def decide(self, week, state):
            q = np.zeros(4)
            if week == 1:
                q[1] = 10.0  # lane W1 <- S2, lead time 2
            return Decision(orders=q, transfers=np.zeros(2))

    state = initial_state(2, N, net.max_lead, np.zeros(2), np.zeros((2, 1)))
    tr = run_policy(net, np.zeros((2, N)), Once(), state)
    assert tr.received[0].tolist() == [0, 0, 0, 10.0, 0, 0]
    assert tr.on_hand_end[0].tolist() == [0, 0, 0, 10.0, 10.0, 10.0]


@pytest.mark.parametrize("backorder", [False, True])
def test_base_stock_cost_converges_to_the_newsvendor_formula(backorder):
    """Single SKU, i.i.d. normal demand, lead time 0, no fixed costs: the base-stock level is
    the newsvendor quantile and the cost per week is c mu + (h + u) sigma phi(z)."""
    mu, sigma, c, h, p = 100.0, 15.0, 2.0, 0.5, 6.0
    N = 6000
    data = single_series(
        np.zeros(4), lanes=((0, c, 0.0),), holding=h, shortage=p, terminal=c, on_hand=0.0,
        backorder=backorder,
    )  # fmt: skip
    net = _network(data, N)
    rng = np.random.default_rng(11)
    truth = np.maximum(rng.normal(mu, sigma, (1, N)), 0.0)
    policy = BaseStockPolicy(net, _known(mu, sigma, N))
    state = initial_state(1, N, net.max_lead, np.zeros(1), np.zeros((1, 1)))
    tr = run_policy(net, truth, policy, state)

    under = p if backorder else p - c
    cr = under / (under + h)
    assert critical_ratio(net)[0] == pytest.approx(cr)
    z = NormalDist().inv_cdf(cr)
    level = mu + z * sigma
    # every week the net stock is raised to the level (lead time 0: before the demand)
    backlog_start = tr.backlog[0, :-1]
    np.testing.assert_allclose(
        tr.on_hand_start[0, 1:] + tr.received[0, 1:] - backlog_start, level, rtol=1e-9
    )
    expected = c * mu + (h + under) * sigma * NormalDist().pdf(z)
    weekly = tr.weekly_cost()[0]
    # the first week buys the whole level and the end credits the stock left: drop both
    steady = weekly[1:]
    se = steady.std(ddof=1) / np.sqrt(len(steady))
    assert abs(steady.mean() - expected) < 4 * se
    assert abs(steady.mean() - expected) / expected < 0.01


def test_sS_without_fixed_cost_orders_like_base_stock_and_with_one_orders_less_often():
    mu, sigma = 50.0, 10.0
    N = 300
    rng = np.random.default_rng(5)
    truth = np.maximum(rng.normal(mu, sigma, (1, N)), 0.0)
    fc = _known(mu, sigma, N)
    data = single_series(np.zeros(4), lanes=((1, 2.0, 0.0),), holding=0.05, shortage=6.0)
    net = _network(data, N)
    state = initial_state(1, N, net.max_lead, np.zeros(1), np.zeros((1, 1)))
    bs = run_policy(net, truth, BaseStockPolicy(net, fc), state)
    ss = run_policy(net, truth, SSPolicy(net, fc), state)
    np.testing.assert_allclose(ss.orders, bs.orders)

    from dataclasses import replace

    k = 40.0
    data_k = replace(data, fixed_order_cost=np.array([k]))
    net_k = _network(data_k, N)
    ss_k = run_policy(net_k, truth, SSPolicy(net_k, fc), state)
    eoq = np.sqrt(2 * k * mu / 0.05)
    sizes = ss_k.orders[ss_k.orders > 0]
    assert (sizes[1:] >= eoq - 1e-9).all()  # every order after the first is at least the EOQ
    assert (ss_k.orders > 0).sum() < 0.5 * (bs.orders > 0).sum()
    # fewer orders save more fixed cost than the extra cycle stock costs
    assert ss_k.total_cost < run_policy(net_k, truth, BaseStockPolicy(net_k, fc), state).total_cost


def test_baseline_orders_obey_lots_and_supplier_capacity():
    from dataclasses import replace

    data = _two_series(False)
    data = replace(
        data,
        moq=np.array([0.0, 30.0, 0.0, 30.0]),
        order_multiple=np.array([0.0, 12.0, 0.0, 12.0]),
        supplier_capacity=np.array([25.0, 60.0]),
    )
    net = _network(data, 4)
    state = initial_state(2, 4, net.max_lead, np.zeros(2), np.zeros((2, 1)))
    fc = WeekForecast(
        mean=np.full((2, 4), 10.0),
        sd=np.ones((2, 4)),
        scenarios=ScenarioSet(np.full((1, 2, 4), 10.0), np.ones(1)),
        origin=0,
    )
    # cheapest landed lanes are S2's (4.2, 4.3): 7 units become the MOQ rounded to 12s
    small = constrain_orders(net, np.array([7.0, 0.0]), state, fc)
    assert small.tolist() == [0.0, 36.0, 0.0, 0.0]
    # 100 + 100 units: S2 takes 60 (whole multiples, above the MOQ), S1 the next 25
    big = constrain_orders(net, np.array([100.0, 100.0]), state, fc)
    s2 = big[[1, 3]]
    assert s2.sum() <= 60.0 + 1e-9
    assert all(q == 0 or (q >= 30 and q % 12 == 0) for q in s2)
    assert big[[0, 2]].sum() <= 25.0 + 1e-9
    assert big.sum() > 60.0


def test_kpis_of_a_hand_trace():
    data = single_series(np.zeros(3), lanes=((0, 1.0, 0.0),), holding=0.5, shortage=3.0)
    net = _network(data, 3)

    class Fixed:
        name = "fixed"

        def decide(self, week, state):
            return Decision(orders=np.array([[10.0, 0.0, 5.0][week]]))

    state = initial_state(1, 3, net.max_lead, np.zeros(1), np.zeros((1, 1)))
    tr = run_policy(net, np.array([[8.0, 4.0, 6.0]]), Fixed(), state)
    # week 0: 10 in, 8 served, 2 left; week 1: 2 served of 4 (2 lost); week 2: 5 in, 6 asked
    assert tr.served[0].tolist() == [8.0, 2.0, 5.0]
    assert tr.short[0].tolist() == [0.0, 2.0, 1.0]
    k = trace_kpis(tr, data)
    assert k["fill_rate"] == pytest.approx(15 / 18)
    assert k["cycle_service_level"] == pytest.approx(1 / 3)
    assert k["stockout_sku_weeks"] == 2
    assert k["holding"] == pytest.approx(0.5 * 2)
    assert k["shortage"] == pytest.approx(3.0 * 3)
    assert k["total_cost"] == pytest.approx(15 + 1 + 9)


def test_sampled_scenarios_are_paths_with_equal_weights_and_keep_the_spread():
    from planner.simulate.forecasts import scenario_set

    rng = np.random.default_rng(2)
    paths = rng.gamma(4.0, 25.0, (30, 400, 6))  # (series, paths, weeks)
    s = scenario_set(paths, 40, seed=1, method="sampled")
    assert s.demand.shape == (40, 30, 6)
    np.testing.assert_allclose(s.prob, 1 / 40)
    # every scenario is one of the sample paths, taken jointly over series and weeks
    joint = np.transpose(paths, (1, 0, 2))
    for k in range(40):
        assert np.any(np.all(joint == s.demand[k], axis=(1, 2)))
    # the spread per series and week is the paths' (a sample of 40 of them)
    ratio = s.demand.std(axis=0, ddof=1) / paths.std(axis=1, ddof=1)
    assert 0.85 < ratio.mean() < 1.15
    same = scenario_set(paths, 40, seed=1, method="sampled")
    np.testing.assert_array_equal(same.demand, s.demand)
