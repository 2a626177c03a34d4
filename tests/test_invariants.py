"""Invariants of scenarios and plans."""

import itertools
from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from modelkit import solve

from benchmarks.reference import solve_reference
from planner.model.synthetic import synthetic_model_data
from planner.scenarios import build_scenarios


@given(
    n_series=st.integers(1, 6),
    n_paths=st.integers(2, 120),
    horizon=st.integers(1, 6),
    n_scen=st.integers(1, 30),
    seed=st.integers(0, 10_000),
)
@settings(max_examples=40, deadline=None)
def test_scenarios_probabilities_sum_to_one_and_keep_the_mean(
    n_series, n_paths, horizon, n_scen, seed
):
    rng = np.random.default_rng(seed)
    paths = rng.gamma(2.0, 5.0, (n_series, n_paths, horizon))
    sc = build_scenarios(paths, n_scen, seed)
    assert sc.prob.sum() == pytest.approx(1.0)
    assert (sc.prob > 0).all()
    assert sc.n_scenarios == min(n_scen, n_paths)
    assert sc.demand.shape == (sc.n_scenarios, n_series, horizon)
    np.testing.assert_allclose(sc.mean(), paths.mean(axis=1), rtol=1e-9, atol=1e-9)


def test_scenarios_are_reproducible_and_seed_dependent():
    rng = np.random.default_rng(3)
    paths = rng.gamma(2.0, 5.0, (4, 300, 8))
    a = build_scenarios(paths, 20, seed=7)
    b = build_scenarios(paths, 20, seed=7)
    c = build_scenarios(paths, 20, seed=8)
    np.testing.assert_array_equal(a.demand, b.demand)
    np.testing.assert_array_equal(a.prob, b.prob)
    assert not np.array_equal(a.demand, c.demand)


def test_identical_paths_give_one_scenario():
    paths = np.tile(np.array([[[5.0, 6.0, 7.0]]]), (2, 50, 1))
    sc = build_scenarios(paths, 10, seed=0)
    assert sc.n_scenarios == 1
    np.testing.assert_allclose(sc.demand[0], paths[:, 0, :])


def _total_orders(data):
    _result, _, sol = solve(data)
    return sol.first.sum() + (data.prob @ sol.recourse).sum()


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_higher_shortage_cost_never_lowers_total_orders(seed):
    data = synthetic_model_data(6, 2, 2, 8, 10, seed=seed)
    totals = [
        _total_orders(replace(data, shortage_cost=data.shortage_cost * m))
        for m in (0.3, 0.6, 1.0, 2.0, 4.0)
    ]
    assert all(b >= a - 1e-6 * max(1.0, a) for a, b in itertools.pairwise(totals)), totals
    assert totals[-1] > totals[0]  # and it does move


def test_one_scenario_at_the_mean_is_the_deterministic_lp():
    data = synthetic_model_data(8, 2, 2, 10, 15, seed=4)
    ev = data.with_scenarios(data.demand.mean(axis=0, keepdims=True), np.ones(1))
    _result, res, sol = solve(ev)
    # the deterministic LP stated independently (sparse matrix straight to highspy)
    ref = solve_reference(ev)
    assert ref["status"] == "Optimal"
    assert res.objective == pytest.approx(ref["objective"], rel=1e-8)
    # with one scenario there is no hedging: recourse orders are the deterministic plan's
    assert sol.recourse.shape[0] == 1


def test_pyomo_model_agrees_with_independent_reference_on_stochastic_instances():
    for seed, backorder in ((5, False), (6, True)):
        data = synthetic_model_data(5, 2, 3, 7, 6, seed=seed, backorder=backorder)
        _, res, _ = solve(data)
        ref = solve_reference(data)
        assert res.objective == pytest.approx(ref["objective"], rel=1e-7)


def test_stochastic_plan_is_never_worse_than_the_ev_plan_on_the_same_scenarios():
    # VSS >= 0: fix the EV plan's first-stage orders and let the recourse react per scenario
    data = synthetic_model_data(6, 2, 2, 8, 12, seed=9)
    _, res_sp, _ = solve(data)
    ev = data.with_scenarios(data.demand.mean(axis=0, keepdims=True), np.ones(1))
    _, _, sol_ev = solve(ev)
    from planner.model.build import build_model
    from planner.solve import solve_model

    model, _lay = build_model(data)
    for k, v in enumerate(sol_ev.first):
        model.order_first[k].fix(float(v))
    res_eev = solve_model(model)
    assert res_eev.status.has_solution
    assert res_eev.objective >= res_sp.objective - 1e-6 * abs(res_sp.objective)
