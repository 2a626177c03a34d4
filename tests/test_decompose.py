"""Decomposition methods give the extensive form's answer.

decomposed (independent groups of series) is exact; benders and ph stop at a relative gap and
their bounds bracket the extensive optimum. Every reassembled solution goes through
`summarise`, whose cost accounting must equal the reported objective.
"""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest
import yaml

from planner.config import load_scenario
from planner.data.testing import minimal_tables, write_minimal_dataset
from planner.decompose import dispatch
from planner.decompose.components import series_groups, slice_data, solve_components
from planner.decompose.dispatch import MethodOptions, choose_method, solve_data
from planner.errors import ConfigError, InfeasibleError
from planner.model.build import build_model
from planner.model.build_matrix import model_arrays
from planner.model.data import Transfers
from planner.model.synthetic import synthetic_model_data
from planner.pipeline import plan_scenario, solve_plan, summary_dict
from planner.results import summarise
from planner.solve import SolverOptions, solve_model

OPTS = SolverOptions(time_limit_s=120, mip_gap=1e-7)


def extensive(data):
    model, lay = build_model(data)
    res = solve_model(model, OPTS)
    return summarise(model, data, lay, res), res


def rel(a, b):
    return abs(a - b) / max(abs(b), 1.0)


@pytest.fixture(scope="module")
def tiny():
    """5 SKUs x 2 warehouses x 2 suppliers, 8 weeks, 5 scenarios, capacities coupling them."""
    return synthetic_model_data(5, 2, 2, 8, 5, seed=1)


@pytest.fixture(scope="module")
def uncoupled():
    return synthetic_model_data(6, 2, 2, 8, 4, seed=2, capacities=False)


# ------------------------------------------------------------------ independent groups
def test_without_shared_rows_every_series_is_its_own_group(uncoupled):
    groups = series_groups(uncoupled)
    assert len(groups) == uncoupled.n_series
    assert sorted(int(g[0]) for g in groups) == list(range(uncoupled.n_series))


def test_each_shared_row_links_exactly_its_series(uncoupled):
    d = uncoupled  # series i = sku * 2 + warehouse
    cap = np.full(2, np.inf)
    cap[1] = 1e6  # warehouse W2 limited: its 6 series in one group
    groups = series_groups(replace(d, warehouse_capacity=cap))
    assert sorted(len(g) for g in groups) == [1] * 6 + [6]
    w2 = next(g for g in groups if len(g) == 6)
    assert (d.series_warehouse[w2] == 1).all()

    tr = Transfers(np.array([0]), np.array([1]), np.array([0.5]), np.array([1]))
    groups = series_groups(replace(d, transfers=tr))  # SKU 0's two warehouses linked
    assert [0, 1] in [g.tolist() for g in groups] and len(groups) == d.n_series - 1

    groups = series_groups(replace(d, service_level=0.9))  # fill rate per SKU
    assert sorted(g.tolist() for g in groups) == [[2 * k, 2 * k + 1] for k in range(6)]

    scap = np.array([np.inf, 1e6])  # supplier S2 serves every series
    assert len(series_groups(replace(d, supplier_capacity=scap))) == 1
    assert len(series_groups(replace(d, budget_per_week=1e9))) == 1
    assert len(series_groups(replace(d, cvar_weight=0.5))) == 1


def test_a_slice_of_all_series_is_the_same_model(tiny):
    sub = slice_data(tiny, np.arange(tiny.n_series))
    a = solve_model(build_model(tiny)[0], OPTS).objective
    b = solve_model(build_model(sub)[0], OPTS).objective
    assert rel(a, b) < 1e-9


@pytest.mark.parametrize("lots", [False, True])
def test_decomposed_equals_the_extensive_form(uncoupled, lots):
    d = uncoupled
    cap = np.full(2, np.inf)
    cap[0] = 0.5 * float(d.volume[d.series_warehouse == 0].sum() * d.demand.mean() * 3)
    d = replace(d, warehouse_capacity=cap)  # one coupled group plus singletons
    if lots:
        moq = np.where(np.arange(d.n_lanes) % 3 == 0, 25.0, 0.0)
        fixed = np.where(np.arange(d.n_lanes) % 4 == 1, 30.0, 0.0)
        d = replace(d, moq=moq, fixed_order_cost=fixed)
    ext, res = extensive(d)
    rows, lay, dec, info = solve_components(d, OPTS, workers=1)
    assert info["groups"] == 7
    assert rel(dec.objective, res.objective) < (1e-6 if not lots else 1e-5)
    plan = summarise(rows, d, lay, dec)  # raises if the costs do not add up
    for key, value in ext.costs.items():
        assert abs(plan.costs[key] - value) <= 1e-5 * max(1.0, abs(res.objective)), key
    assert set(dec.values) >= {k for k, v in res.values.items() if len(v)}
    for name, v in res.values.items():
        assert dec.values[name].shape == v.shape, name
    if not lots:  # binding capacity: same bottleneck and shadow prices as the extensive form
        assert [b["name"] for b in plan.bottlenecks] == [b["name"] for b in ext.bottlenecks]
        for a, b in zip(plan.bottlenecks, ext.bottlenecks, strict=True):
            assert a["max_shadow_price"] == pytest.approx(b["max_shadow_price"], rel=1e-5)


@pytest.mark.slow  # starts a local dask cluster: 5-40 s on a busy 2-core machine
def test_decomposed_on_two_workers_matches_one(uncoupled):
    _, _, one, _ = solve_components(uncoupled, OPTS, workers=1)
    _, _, two, info = solve_components(uncoupled, OPTS, workers=2)
    assert info["chunks"] == 2
    assert rel(two.objective, one.objective) < 1e-9
    np.testing.assert_allclose(two.values["stock"], one.values["stock"], atol=1e-6)


# ------------------------------------------------------------------ benders and ph
def check_bracket(data, method, tolerance, **kw):
    ext, res = extensive(data)
    rows, lay, out, info = solve_data(
        data, OPTS, MethodOptions(method=method, tolerance=tolerance, workers=1, **kw)
    )
    assert info["method"] == method and info.get("converged"), (out.highs_status, info)
    slack = 1e-7 * abs(res.objective)
    assert info["lower_bound"] <= res.objective + slack
    assert info["upper_bound"] >= res.objective - slack
    assert out.objective == pytest.approx(info["upper_bound"], rel=1e-9)
    assert rel(out.objective, res.objective) <= tolerance
    plan = summarise(rows, data, lay, out)  # the cost accounting check
    assert plan.objective == out.objective
    return plan, ext, info


def test_benders_brackets_the_extensive_optimum(tiny):
    plan, ext, info = check_bracket(tiny, "benders", 1e-5)
    assert info["iterations"] >= 2  # the first point is not already optimal
    # the committed orders are those of the extensive plan, up to the tolerance in cost
    committed = plan.orders[plan.orders["committed"]]["quantity"].sum()
    assert committed == pytest.approx(
        ext.orders[ext.orders["committed"]]["quantity"].sum(), rel=0.05
    )


def test_benders_with_cvar(tiny):
    plan, _, _ = check_bracket(replace(tiny, cvar_weight=0.3), "benders", 1e-4)
    assert plan.risk is not None


def test_benders_with_an_integer_first_stage():
    """MOQ and fixed order costs on the committed orders: the master is a MILP."""
    small = synthetic_model_data(3, 2, 2, 6, 4, seed=4)
    moq = np.where(np.arange(small.n_lanes) % 2 == 0, 20.0, 0.0)
    d = replace(small, moq=moq, fixed_order_cost=np.full(small.n_lanes, 15.0))
    plan, _, _ = check_bracket(d, "benders", 1e-3)
    placed = plan.orders[plan.orders["committed"]]
    lanes = d.lanes.reset_index()
    merged = placed.merge(lanes, on=["supplier", "sku", "warehouse"])
    assert (merged["quantity"] >= moq[merged["index"]] - 1e-6).all()  # MOQ or nothing


def test_ph_brackets_the_extensive_optimum(tiny):
    check_bracket(tiny, "ph", 1e-3)


# ------------------------------------------------------------------ dantzig-wolfe
def rows_hold(data, z, atol=1e-6):
    """Every row of the extensive form holds at the column values z (flat, model_arrays order)."""
    arrays = model_arrays(data)
    for fam in arrays.families:
        act = fam.matrix(arrays.columns.size) @ z
        scale = 1.0 + np.abs(act)
        assert (act >= fam.lb - atol * scale).all(), fam.name
        assert (act <= fam.ub + atol * scale).all(), fam.name
    lo = np.concatenate([b.lb for b in arrays.columns.blocks])
    hi = np.concatenate([b.ub for b in arrays.columns.blocks])
    assert (z >= lo - atol).all() and (z <= hi + atol).all()


def flat(data, res):
    arrays = model_arrays(data)
    return np.concatenate([res.values[b.name] for b in arrays.columns.blocks])


def test_dantzig_wolfe_brackets_the_extensive_optimum(tiny):
    plan, ext, info = check_bracket(tiny, "dantzig-wolfe", 1e-6)
    assert info["blocks"] == tiny.n_series and info["iterations"] >= 2
    # the plan is a convex combination of block plans that meets every row, linking ones too
    _, _, res, _ = solve_data(tiny, OPTS, MethodOptions("dantzig-wolfe", tolerance=1e-6, workers=1))
    rows_hold(tiny, flat(tiny, res))
    assert plan.orders["quantity"].sum() == pytest.approx(ext.orders["quantity"].sum(), rel=1e-3)


def test_dantzig_wolfe_prices_the_capacities_at_their_shadow_prices(tiny):
    """At the optimum the linking rows' prices are the extensive form's duals where those are
    unique: a capacity that binds in the extensive form is priced, a slack one is not."""
    _, res = extensive(tiny)
    _, _, dw, _ = solve_data(tiny, OPTS, MethodOptions("dantzig-wolfe", tolerance=1e-9, workers=1))
    for name in ("warehouse_capacity", "supplier_capacity"):
        if name in res.duals:
            ext_d, dw_d = res.duals[name], dw.duals[name]
            assert ((ext_d == 0) | (dw_d != 0) | (np.abs(ext_d) < 1e-6)).mean() > 0.9, name
            assert (dw_d <= 1e-9).all()  # <= rows of a minimisation: non-positive prices


def test_dantzig_wolfe_with_a_fill_rate_target_prices_per_sku_blocks(tiny):
    d = replace(tiny, service_level=0.9)
    _, _, info = check_bracket(d, "dantzig-wolfe", 1e-5)
    assert info["blocks"] == len(np.unique(d.series["sku"]))  # the target joins a SKU's series


def test_dantzig_wolfe_with_backorders(tiny):
    check_bracket(replace(tiny, backorder=True), "dantzig-wolfe", 1e-5)


@pytest.mark.slow  # starts two worker processes
def test_dantzig_wolfe_on_two_workers_matches_one(tiny):
    one = solve_data(tiny, OPTS, MethodOptions("dantzig-wolfe", tolerance=1e-6, workers=1))
    two = solve_data(tiny, OPTS, MethodOptions("dantzig-wolfe", tolerance=1e-6, workers=2))
    assert two[3]["workers"] == 2
    assert rel(two[2].objective, one[2].objective) <= 1e-9
    assert two[3]["iterations"] == one[3]["iterations"]


def test_dantzig_wolfe_refuses_a_milp_or_a_cvar(tiny):
    with pytest.raises(ConfigError, match="CVaR"):
        solve_data(replace(tiny, cvar_weight=0.3), OPTS, "dantzig-wolfe")
    with pytest.raises(ConfigError, match="MILP"):
        solve_data(replace(tiny, moq=np.full(tiny.n_lanes, 10.0)), OPTS, "dantzig-wolfe")


def test_an_infeasible_model_under_dantzig_wolfe_is_diagnosed(uncoupled):
    """A fill rate no block can reach: the pricing LP is infeasible; the extensive form is
    diagnosed as for every method."""
    n, T = uncoupled.n_series, uncoupled.n_weeks
    d = replace(
        uncoupled,
        warehouse_capacity=np.array([1e6, 1e6]),
        service_level=0.999,
        service_from_week=np.zeros(n, np.int64),
        on_hand=np.zeros(n),
        open_arrivals=np.zeros((n, T)),
    )
    with pytest.raises(InfeasibleError) as err:
        solve_plan(d, OPTS, method=MethodOptions("dantzig-wolfe", workers=1))
    assert "service_level" in err.value.families


def test_scenario_methods_refuse_what_they_cannot_split(tiny):
    with pytest.raises(ConfigError, match="service_level"):
        solve_data(replace(tiny, service_level=0.9), OPTS, "benders")
    lots = replace(tiny, moq=np.full(tiny.n_lanes, 10.0))
    with pytest.raises(ConfigError, match="MOQ"):
        solve_data(lots, OPTS, "ph")
    with pytest.raises(ConfigError, match=r"solver\.method"):
        MethodOptions(method="dual")


# ------------------------------------------------------------------ auto
def test_auto_picks_by_structure_and_size(tiny, uncoupled, monkeypatch):
    assert choose_method(uncoupled)[0] == "decomposed"
    assert choose_method(tiny)[0] == "extensive"
    assert choose_method(tiny, "ph")[0] == "ph"
    monkeypatch.setattr(dispatch, "AUTO_DECOMPOSE_VARIABLES", 10)
    assert choose_method(tiny)[0] == "dantzig-wolfe"
    assert choose_method(replace(tiny, service_level=0.9))[0] == "dantzig-wolfe"
    assert choose_method(replace(tiny, cvar_weight=0.3))[0] == "benders"
    method, reason = choose_method(replace(tiny, service_level=0.9, cvar_weight=0.3))
    assert method == "extensive" and "fill-rate" in reason and "CVaR" in reason


# ------------------------------------------------------------------ the pipeline
def _scenario(tmp_path, method):
    t = minimal_tables()
    t["warehouses"]["capacity"] = ""  # no shared capacity: one group per SKU (transfers)
    t["suppliers"]["capacity"] = ""
    ds = write_minimal_dataset(tmp_path / "data", **{k: t[k] for k in ("warehouses", "suppliers")})
    doc = {
        "name": f"mini-{method}",
        "dataset": str(ds),
        "plan": {"horizon_weeks": 6, "frozen_weeks": 1},
        "forecast": {"model": "seasonal_naive", "paths": 60, "scenarios": 8, "seed": 3},
        "solver": {"time_limit_s": 60, "method": method, "tolerance": 1e-6, "workers": 1},
    }
    path = tmp_path / f"{method}.yaml"
    path.write_text(yaml.safe_dump(doc))
    return load_scenario(path)[0]


def test_plan_on_the_minimal_dataset_same_plan_by_every_method(tmp_path):
    methods = ("extensive", "auto", "benders", "dantzig-wolfe")
    runs = {m: plan_scenario(_scenario(tmp_path, m)) for m in methods}
    base = runs["extensive"]
    auto = summary_dict(runs["auto"])["decomposition"]
    assert auto["method"] == "decomposed" and auto["groups"] == 2  # one per SKU
    for name, run in runs.items():
        assert rel(run.result.objective, base.result.objective) <= 1e-6, name
        json.dumps(summary_dict(run), default=str)  # summary.json stays serialisable
    assert summary_dict(runs["benders"])["decomposition"]["gap"] <= 1e-6
    dw = summary_dict(runs["dantzig-wolfe"])
    assert dw["decomposition"]["method"] == "dantzig-wolfe" and dw["decomposition"]["converged"]
    assert dw["value_of_information"]["method"] == "by scenario"


@pytest.mark.slow  # starts two worker processes: 5-40 s on a busy 2-core machine
def test_benders_on_two_worker_processes(tiny):
    """Scenarios split over two processes: same bounds logic, same optimum within tolerance
    (the subproblems restart from other bases, so the iterates may differ)."""
    _, res = extensive(tiny)
    _, _, two, info = solve_data(tiny, OPTS, MethodOptions("benders", tolerance=1e-5, workers=2))
    assert info["workers"] == 2 and info["converged"]
    assert info["lower_bound"] <= res.objective * (1 + 1e-7) <= info["upper_bound"] * (1 + 2e-7)
    assert rel(two.objective, res.objective) <= 1e-5


def test_an_infeasible_decomposed_model_is_diagnosed_on_the_extensive_form(uncoupled):
    """No stock and no open orders, yet a 99.9% fill rate from week 0: impossible."""
    n, T = uncoupled.n_series, uncoupled.n_weeks
    d = replace(
        uncoupled,
        service_level=0.999,
        service_from_week=np.zeros(n, np.int64),
        on_hand=np.zeros(n),
        open_arrivals=np.zeros((n, T)),
    )
    assert len(series_groups(d)) == 6  # one group per SKU
    with pytest.raises(InfeasibleError) as err:
        solve_plan(d, OPTS, method=MethodOptions("decomposed", workers=1))
    assert "service_level" in err.value.families


# ------------------------------------------------------------------ VSS and EVPI by scenario
@pytest.mark.parametrize(
    "variant",
    [
        {},
        {"frozen_weeks": 8},  # every order committed
        {"cvar_weight": 0.3},
        {"backorder": True},
    ],
    ids=["rolling", "all-committed", "cvar", "backorder"],
)
def test_value_of_information_by_scenario_equals_the_extensive_forms(tiny, variant):
    """EEV and WS solved one scenario at a time (large models) give the extensive forms'
    values: nothing links two scenarios once the first stage is fixed or chosen per scenario."""
    from planner.value import value_of_information

    d = replace(tiny, **variant)
    _, rp = extensive(d)
    whole = value_of_information(d, rp, OPTS)
    split = value_of_information(d, rp, OPTS, by_scenario=True, workers=1)
    assert split["method"] == "by scenario" and "method" not in whole
    for key in ("ev", "eev", "ws", "vss", "evpi"):
        assert split[key] == pytest.approx(whole[key], rel=1e-6, abs=1e-4), key
    assert split["vss"] >= -1e-6 * abs(rp.objective) and split["evpi"] >= -1e-6 * abs(rp.objective)


def test_value_of_information_by_scenario_falls_back_where_scenarios_are_linked(tiny):
    from planner.value import splits_by_scenario, value_of_information

    d = replace(tiny, service_level=0.5)  # an expected fill rate over all scenarios
    assert not splits_by_scenario(d)
    _, rp = extensive(d)
    out = value_of_information(d, rp, OPTS, by_scenario=True)
    assert "method" not in out and out["vss"] is not None


def test_dantzig_wolfe_without_live_solvers_gives_the_same_plan(tiny, monkeypatch):
    """Large models keep each chunk's LP and basis instead of a solved HiGHS instance (memory);
    one shared instance restarting from each chunk's basis reaches the same optimum."""
    from planner.decompose import chunk_pool

    opts = MethodOptions("dantzig-wolfe", tolerance=1e-6, workers=1)
    live = solve_data(tiny, OPTS, opts)[2]
    monkeypatch.setattr(chunk_pool, "KEEP_SOLVERS_VARIABLES", 0)
    _, _, kept, kept_info = solve_data(tiny, OPTS, opts)
    assert kept.status is live.status and kept_info["converged"]
    assert rel(kept.objective, live.objective) <= 1e-6
    rows_hold(tiny, flat(tiny, kept))


def test_dantzig_wolfe_dropping_master_columns_keeps_the_optimum(tiny, monkeypatch):
    """A master over its nonzero budget drops proposals that price out worst, and each round
    adds only the best-pricing proposals within its budget: the method still converges to the
    extensive optimum (proposals left out return when they price out again)."""
    from planner.decompose import dantzig_wolfe

    _, res = extensive(tiny)
    monkeypatch.setattr(dantzig_wolfe, "MASTER_NONZEROS", 2_000)
    monkeypatch.setattr(dantzig_wolfe, "ROUND_NONZEROS", 300)  # a few proposals a round
    opts = MethodOptions("dantzig-wolfe", tolerance=1e-6, workers=1)
    _, _, out, info = solve_data(tiny, OPTS, opts)
    assert sum(h["purged"] for h in info["history"]) > 0
    assert info["converged"] and rel(out.objective, res.objective) <= 1e-6
    assert info["lower_bound"] <= res.objective * (1 + 1e-9)
    rows_hold(tiny, flat(tiny, out))
