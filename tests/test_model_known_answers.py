"""Known answers: the newsvendor critical fractile and hand-computed multi-week plans."""

import numpy as np
import pytest
from modelkit import single_series, solve
from scipy import stats


def stratified_normal(mean, sd, n):
    u = (np.arange(n) + 0.5) / n
    return stats.norm.ppf(u, mean, sd)


def test_newsvendor_critical_fractile_snyder_shen_4_3():
    # Snyder & Shen Example 4.3: h = 0.18, p = 0.70, D ~ N(50, 8), no purchase cost, lead time 0.
    # Q* = 50 + 8 z(0.70 / 0.88) = 56.60, expected cost 1.998. With 4000 equally likely
    # stratified scenarios the quantile is resolved to well under 0.05 units.
    d = stratified_normal(50, 8, 4000)
    data = single_series(d[:, None], lanes=((0, 0.0, 0.0),), holding=0.18, shortage=0.70)
    _result, res, sol = solve(data)
    q = sol.first[0]
    assert q == pytest.approx(56.60, abs=0.05)
    assert res.objective == pytest.approx(1.998, abs=0.005)
    z = stats.norm.ppf(0.70 / 0.88)
    assert q == pytest.approx(50 + 8 * z, abs=0.05)


def test_multi_week_with_lead_times_and_open_orders():
    # demand 10, 20, 30, 40; 15 on hand; 10 units on order arriving in week 1.
    # Lane S1: lead 1, price 5. Lane S2: lead 0, price 8. Holding 1, shortage 20, no terminal value.
    # Week 0: 15 - 10 = 5 left (holding 5). Week 1: 5 + 10 open = 15 < 20: buy 5 on S1 in week 0.
    # Weeks 2, 3: buy 30 and 40 on S1 in weeks 1 and 2. S2 is never used (dearer).
    # Cost = 5 * (5 + 30 + 40) + 5 = 380.
    data = single_series(
        [10, 20, 30, 40],
        lanes=((1, 5.0, 0.0), (0, 8.0, 0.0)),
        holding=1.0,
        shortage=20.0,
        on_hand=15,
        open_arrivals=[0, 10, 0, 0],
    )
    result, res, _sol = solve(data)
    assert res.objective == pytest.approx(380.0)
    orders = result.orders
    assert list(orders["supplier"]) == ["S1", "S1", "S1"]
    assert list(orders["quantity"]) == pytest.approx([5, 30, 40])
    assert list(orders["committed"]) == [True, False, False]
    assert [str(w) for w in orders["arrival_week"]] == ["2026-01-12", "2026-01-19", "2026-01-26"]
    assert result.costs["purchase"] == pytest.approx(375.0)
    assert result.costs["holding"] == pytest.approx(5.0)
    assert result.fill_rate == pytest.approx(1.0)


def test_lost_sales_when_shortage_is_cheaper_than_buying():
    # same case with shortage 4 < price 5: nothing is bought; 5 + 30 + 40 = 75 units are lost.
    data = single_series(
        [10, 20, 30, 40],
        lanes=((1, 5.0, 0.0), (0, 8.0, 0.0)),
        holding=1.0,
        shortage=4.0,
        on_hand=15,
        open_arrivals=[0, 10, 0, 0],
    )
    result, res, _sol = solve(data)
    assert res.objective == pytest.approx(5 + 4 * 75)
    assert result.orders.empty
    assert result.fill_rate == pytest.approx(25 / 100)


def test_backorder_waits_for_the_cheap_lane():
    # Backorders: demand 10 in week 0 only, nothing on hand. Lane S1 lead 2 price 1; lane S2
    # lead 0 price 10; backlog costs 2 per unit-week. Waiting two weeks for S1 costs
    # 10 * 2 * 2 (backlog in weeks 0 and 1) + 10 * 1 = 50 < 10 * 10 from S2.
    data = single_series(
        [10, 0, 0],
        lanes=((2, 1.0, 0.0), (0, 10.0, 0.0)),
        holding=0.5,
        shortage=2.0,
        backorder=True,
    )
    result, res, sol = solve(data)
    assert res.objective == pytest.approx(50.0)
    assert sol.short[0, 0].tolist() == pytest.approx([10, 10, 0])
    assert result.orders["supplier"].tolist() == ["S1"]
    assert result.fill_rate == pytest.approx(0.0)  # nothing served in the week it was demanded


def test_terminal_value_keeps_stock_for_after_the_horizon():
    # With terminal value equal to the price, buying for the end costs only holding; with
    # zero terminal value the plan runs the stock down. Demand 5 per week, price 2, holding 0.1.
    base = dict(lanes=((0, 2.0, 0.0),), holding=0.1, shortage=10.0, on_hand=12)
    zero = solve(single_series([5, 5, 5], terminal=0.0, **base))
    assert zero[2].stock[0, 0, -1] == pytest.approx(0.0)
    assert zero[1].objective == pytest.approx(0.1 * (7 + 2) + 2 * 3)
    # value 2.0 = price: the stock on hand at the end is credited at 2 per unit
    valued = solve(single_series([5, 5, 5], terminal=2.0, **base))
    assert valued[1].objective == pytest.approx(zero[1].objective)


def test_capacities_bind_with_hand_computed_shadow_prices():
    # Demand 0 then 40; the supplier ships at most 20 a week (lead 0, price 1), so 20 must be
    # bought in week 0 and held; the warehouse holds only 15 (volume 1 each). Available in
    # week 1: 15 + 20 = 35, 5 lost. Cost 35 * 1 + 15 * 0.5 + 5 * 10 = 92.5.
    # One more unit of warehouse space in week 0 saves 10 - 1 - 0.5 = 8.5; one more unit of
    # supplier capacity in week 1 saves 10 - 1 = 9; the supplier is not binding in week 0.
    data = single_series(
        [0, 40],
        lanes=((0, 1.0, 0.0),),
        holding=0.5,
        shortage=10.0,
        warehouse_capacity=15,
        supplier_capacity=20,
    )
    result, res, _sol = solve(data)
    assert res.objective == pytest.approx(92.5)
    by_kind = {b["constraint"]: b for b in result.bottlenecks}
    wh = by_kind["warehouse_capacity"]
    assert wh["weeks"] == ["2026-01-05"]
    assert wh["max_shadow_price"] == pytest.approx(8.5)
    sup = by_kind["supplier_capacity"]
    assert sup["weeks"] == ["2026-01-12"]
    assert sup["max_shadow_price"] == pytest.approx(9.0)
    assert "W" in wh["message"] and "8.50" in wh["message"]


def test_forced_overflow_keeps_the_model_feasible_and_is_reported():
    # 30 units on hand in a warehouse of capacity 20 and no demand: the excess cannot be
    # removed, so it is priced as overflow instead of making the model infeasible.
    data = single_series([0, 0], lanes=((0, 1.0, 0.0),), on_hand=30, warehouse_capacity=20)
    result, _res, sol = solve(data)
    assert sol.overflow.sum() == pytest.approx(20.0)  # 10 over in each of 2 weeks
    assert "capacity_overflow_penalty" in result.costs
    assert result.warnings
