"""Model extensions: lot sizing, transfers, budget, service level, CVaR, stochastic lead times,
VSS and EVPI."""

from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from modelkit import single_series, solve

from planner.model.data import Transfers
from planner.model.synthetic import synthetic_model_data
from planner.solve import SolverOptions
from planner.value import value_of_information


def test_wagner_whitin_snyder_shen_example_3_9():
    # fixed cost 500, holding 2, demand 90/120/80/70, lead time 0, no unit cost:
    # order 210 in week 1 and 150 in week 3, cost 1380 (Snyder & Shen, Example 3.9)
    data = single_series([90, 120, 80, 70], lanes=((0, 0.0, 0.0),), holding=2.0, shortage=1e4)
    data = replace(data, fixed_order_cost=np.array([500.0]), integer_recourse=True)
    result, res, _sol = solve(data)
    assert res.objective == pytest.approx(1380.0)
    assert result.orders["quantity"].tolist() == pytest.approx([210, 150])
    assert [str(w) for w in result.orders["order_week"]] == ["2026-01-05", "2026-01-19"]
    assert result.costs["fixed"] == pytest.approx(1000.0)
    assert result.costs["holding"] == pytest.approx(380.0)


def _lot_case(seed=3):
    data = synthetic_model_data(4, 2, 2, 6, 5, seed=seed, capacities=False)
    nl = data.n_lanes
    moq = np.where(np.arange(nl) % 2 == 0, 40.0, 0.0)
    mult = np.where(np.arange(nl) % 3 == 0, 25.0, 0.0)
    return replace(
        data,
        moq=moq,
        order_multiple=mult,
        fixed_order_cost=np.full(nl, 30.0),
        integer_recourse=True,
    )


def test_moq_and_multiples_hold_in_every_order_and_scenario():
    data = _lot_case()
    result, res, sol = solve(data)
    assert res.n_integers > 0 and res.status.has_solution
    from planner.model.layout import make_layout

    lay = make_layout(data)
    for lanes, qty in ((lay.fs_lane, sol.first[None, :]), (lay.rc_lane, sol.recourse)):
        moq, mult = data.moq[lanes], data.order_multiple[lanes]
        for q in qty:
            placed = q > 1e-6
            assert (q[placed] >= moq[placed] - 1e-6).all()
            with_mult = placed & (mult > 0)
            ratio = q[with_mult] / mult[with_mult]
            assert np.abs(ratio - np.round(ratio)).max(initial=0) < 1e-6
    # the committed order lines of the plan respect them too
    committed = result.orders[result.orders["committed"]]
    assert len(committed) > 0


def test_relaxed_recourse_keeps_committed_orders_integer_and_bounds_the_full_milp():
    full = _lot_case()
    relaxed = replace(full, integer_recourse=False)
    _r_full, res_full, _ = solve(full)
    _r_rel, res_rel, sol = solve(relaxed)
    assert res_rel.n_integers < res_full.n_integers
    # relaxing the later weeks' integrality can only lower the optimal cost
    assert res_rel.objective <= res_full.objective * (1 + 0.01) + 1e-6
    from planner.model.layout import make_layout

    lay = make_layout(relaxed)
    q = sol.first
    moq, mult = relaxed.moq[lay.fs_lane], relaxed.order_multiple[lay.fs_lane]
    placed = q > 1e-6
    assert (q[placed] >= moq[placed] - 1e-6).all()
    ratio = q[placed & (mult > 0)] / mult[placed & (mult > 0)]
    assert np.abs(ratio - np.round(ratio)).max(initial=0) < 1e-6


def test_fixed_order_costs_reduce_the_number_of_orders():
    base = synthetic_model_data(3, 1, 1, 8, 1, seed=2, capacities=False)
    free = solve(base)[2]
    costly = solve(
        replace(base, fixed_order_cost=np.full(base.n_lanes, 200.0), integer_recourse=True)
    )[2]
    n_free = (free.first > 1e-6).sum() + (free.recourse > 1e-6).sum()
    n_costly = (costly.first > 1e-6).sum() + (costly.recourse > 1e-6).sum()
    assert n_costly < n_free


def test_transfers_move_surplus_stock_instead_of_buying():
    # SKU in two warehouses; W1 holds 100 units and has no demand, W2 needs 10 a week.
    # Buying costs 5 a unit, transferring 0.5 (lead 1): the plan transfers.
    data = synthetic_model_data(1, 2, 1, 4, 1, seed=0, capacities=False)
    demand = np.array([[[0.0, 0, 0, 0], [0.0, 10, 10, 10]]])
    data = replace(
        data,
        demand=demand,
        on_hand=np.array([100.0, 0.0]),
        open_arrivals=np.zeros((2, 4)),
        unit_price=np.full(data.n_lanes, 5.0),
        shipping_cost=np.zeros(data.n_lanes),
        holding_cost=np.full(2, 0.01),
        terminal_value=np.zeros(2),
        transfers=Transfers(np.array([0]), np.array([1]), np.array([0.5]), np.array([1])),
    )
    result, _res, _sol = solve(data)
    assert result.transfers is not None
    assert result.transfers["quantity_mean"].sum() == pytest.approx(30.0)
    assert result.orders.empty
    assert result.costs["transfer"] == pytest.approx(15.0)


def test_budget_binds_and_is_reported_with_its_shadow_price():
    data = synthetic_model_data(4, 1, 1, 6, 3, seed=5, capacities=False)
    free = solve(data)[0]
    weekly_spend = (
        free.orders.assign(v=free.orders["quantity"] * free.orders["unit_price"])
        .groupby("order_week")["v"]
        .sum()
    )
    budget = 0.5 * float(weekly_spend.max())
    result, res, _sol = solve(replace(data, budget_per_week=budget))
    spend = result.orders[result.orders["committed"]]
    assert float((spend["quantity"] * spend["unit_price"]).sum()) <= budget + 1e-6
    kinds = {b["constraint"]: b for b in result.bottlenecks}
    assert "budget" in kinds and kinds["budget"]["max_shadow_price"] > 0
    assert res.objective > free.objective


def test_service_level_raises_the_fill_rate_to_the_target():
    data = synthetic_model_data(4, 1, 2, 8, 6, seed=6, capacities=False)
    data = replace(data, shortage_cost=data.shortage_cost * 0.05)  # shortage cheap: low service
    low = solve(data)[0]
    assert low.fill_rate < 0.9
    target = replace(data, service_level=0.95)
    high, _res, sol = solve(target)
    from planner.model.service import service_start_weeks
    from planner.results import unmet_demand

    t0 = service_start_weeks(target)
    unmet = unmet_demand(target, sol)
    for sku in target.series["sku"].unique():
        members = np.flatnonzero(target.series["sku"].to_numpy() == sku)
        d = sum(float(target.prob @ target.demand[:, i, t0[i] :].sum(axis=1)) for i in members)
        u = sum(float(target.prob @ unmet[:, i, t0[i] :].sum(axis=1)) for i in members)
        assert 1 - u / d >= 0.95 - 1e-6
    assert high.fill_rate > low.fill_rate


def test_cvar_lowers_the_tail_cost_at_a_higher_expected_cost():
    data = synthetic_model_data(3, 1, 2, 6, 30, seed=8, capacities=False)
    neutral, _res_n, _ = solve(data)
    averse, _res_a, _ = solve(replace(data, cvar_weight=5.0, cvar_alpha=0.9))

    def p95(costs, prob):
        order = np.argsort(costs)
        cum = np.cumsum(prob[order])
        return costs[order][np.searchsorted(cum, 0.95)]

    exp_n = float(data.prob @ neutral.scenario_costs)
    exp_a = float(data.prob @ averse.scenario_costs)
    assert p95(averse.scenario_costs, data.prob) < p95(neutral.scenario_costs, data.prob)
    assert exp_a > exp_n
    assert averse.risk["cvar"] <= neutral_cvar(neutral, data) + 1e-6


def neutral_cvar(result, data):
    from planner.results import cvar

    return cvar(result.scenario_costs, data.prob, 0.9)


def test_stochastic_lead_times_raise_the_stock_carried():
    data = synthetic_model_data(4, 1, 1, 10, 20, seed=4, capacities=False)
    fixed = solve(data)[2]
    rng = np.random.default_rng(0)
    lts = np.maximum(
        0, data.lead_time[:, None] + rng.choice([-1, 0, 0, 1, 2], (data.n_lanes, data.n_scenarios))
    )
    varied = solve(replace(data, lead_time_scenarios=lts))[2]
    assert (data.prob @ varied.stock.mean(axis=(1, 2))) > (
        data.prob @ fixed.stock.mean(axis=(1, 2))
    )


@given(
    seed=st.integers(0, 10_000), scen=st.integers(2, 8), backorder=st.booleans(), lots=st.booleans()
)
@settings(max_examples=12, deadline=None)
def test_vss_and_evpi_are_never_negative(seed, scen, backorder, lots):
    data = synthetic_model_data(2, 2, 2, 5, scen, seed=seed, backorder=backorder)
    if lots:
        data = replace(data, fixed_order_cost=np.full(data.n_lanes, 20.0))
    options = SolverOptions(mip_gap=1e-9)
    _, res, _ = solve(data, options)
    value = value_of_information(data, res, options)
    tol = 1e-6 * max(1.0, abs(res.objective))
    assert value["vss"] >= -tol
    assert value["evpi"] >= -tol
    assert value["ws"] <= res.objective + tol <= value["eev"] + 2 * tol
