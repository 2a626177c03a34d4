"""The fast (matrix) model is the expression (environ) model: same LP, entry by entry.

Every constraint family, every variable family: the LP that Pyomo's own standard-form compiler
reads from the expression-built model is compared row by row, coefficient by coefficient, with
the arrays the matrix model hands to HiGHS, keyed by (component name, index). The matrix model
is also read by Pyomo's compiler itself (it is a real Pyomo model), and changes made through
Pyomo (fixing, re-bounding, deactivating, replacing rows or the objective, adding components)
reach the solver.
"""

from dataclasses import replace

import numpy as np
import pyomo.environ as pyo
import pytest
from pyomo.repn.plugins.standard_form import LinearStandardFormCompiler
from test_family_baselines import _cases

from planner.model.build import build_model
from planner.model.data import Transfers
from planner.model.standard_form import matrix_form
from planner.model.synthetic import synthetic_model_data
from planner.solve import SolverOptions, SolveStatus, solve_model


def _extra_cases():
    base = synthetic_model_data(4, 2, 2, 7, 3, seed=31, frozen_weeks=2)
    nl = base.n_lanes
    rng = np.random.default_rng(5)
    lts = np.clip(base.lead_time[:, None] + rng.integers(-1, 2, (nl, 3)), 0, None)
    tr = Transfers(
        from_series=np.array([0, 1]),
        to_series=np.array([1, 0]),
        cost=np.array([0.7, 0.9]),
        lead_time=np.array([1, 0]),
    )
    tight = np.full(base.warehouse_capacity.shape, 1.0)  # on-hand stock alone overflows
    return {
        "everything": replace(
            base,
            fixed_order_cost=np.full(nl, 10.0),
            moq=np.full(nl, 5.0),
            order_multiple=np.full(nl, 2.0),
            budget_per_week=1e6,
            service_level=0.5,
            cvar_weight=0.5,
            lead_time_scenarios=lts,
        ),
        "transfers_backorder": replace(base, transfers=tr, backorder=True),
        "stochastic_lead_times": replace(base, lead_time_scenarios=lts),
        "forced_overflow": replace(base, warehouse_capacity=tight),
        "relaxed_recourse_lots": replace(
            base, fixed_order_cost=np.full(nl, 10.0), moq=np.full(nl, 3.0), integer_recourse=False
        ),
    }


CASES = {**_cases(), **_extra_cases()}


def _pyomo_lp(model) -> dict:
    """The LP as Pyomo's standard-form compiler reads it, keyed by (component, index)."""
    sf = LinearStandardFormCompiler().write(model, mixed_form=True)
    cols = [(v.parent_component().local_name, _key(v.index())) for v in sf.columns]
    rows = [
        (r.constraint.parent_component().local_name, _key(r.constraint.index())) for r in sf.rows
    ]
    A = sf.A.tocsr()
    cost = np.asarray(sf.c.todense()).ravel() if sf.c.shape[0] else np.zeros(len(cols))
    bounds = {
        c: (
            -np.inf if v.lb is None else v.lb,
            np.inf if v.ub is None else v.ub,
            v.is_integer() or v.is_binary(),
        )
        for c, v in zip(cols, sf.columns, strict=True)
    }
    return _canonical(A, rows, [r.bound_type for r in sf.rows], sf.rhs, cols, cost, bounds)


def _matrix_lp(model) -> dict:
    """The LP as the matrix hand-over passes it to HiGHS, keyed by (component, index)."""
    f = matrix_form(model)
    cols: list = [None] * f.n_cols
    for name, (start, size) in f.var_blocks.items():
        for k in range(size):
            cols[start + k] = (name, k)
    rows = [
        (f.components[c].local_name, int(i))
        for c, i in zip(f.row_code.tolist(), f.row_index.tolist(), strict=True)
    ]
    bounds = {
        c: (lo, hi, bool(z))
        for c, lo, hi, z in zip(cols, f.col_lo, f.col_hi, f.integer, strict=True)
    }
    return _canonical(f.A.tocsr(), rows, f.kind.tolist(), f.rhs, cols, f.cost, bounds)


def _key(idx):
    return 0 if idx is None else int(idx)


def _canonical(A, rows, kinds, rhs, cols, cost, bounds) -> dict:
    out_rows = {}
    for r, key in enumerate(rows):
        lo, hi = A.indptr[r], A.indptr[r + 1]
        entries = {
            cols[c]: float(v) for c, v in zip(A.indices[lo:hi], A.data[lo:hi], strict=True) if v
        }
        assert key not in out_rows, f"row {key} twice"
        out_rows[key] = (int(kinds[r]), float(rhs[r]), entries)
    used = {c for _, _, e in out_rows.values() for c in e} | {
        c for c, v in zip(cols, cost, strict=True) if v
    }
    costs = {c: float(v) for c, v in zip(cols, cost, strict=True) if v}
    return {"rows": out_rows, "cost": costs, "bounds": {c: bounds[c] for c in used}}


def _assert_same_lp(a: dict, b: dict) -> None:
    assert a["rows"].keys() == b["rows"].keys()
    for key, (kind, rhs, entries) in a["rows"].items():
        kind_b, rhs_b, entries_b = b["rows"][key]
        assert kind == kind_b, key
        assert rhs == pytest.approx(rhs_b, rel=1e-12, abs=1e-12), key
        assert entries.keys() == entries_b.keys(), key
        for c, v in entries.items():
            assert v == pytest.approx(entries_b[c], rel=1e-12), (key, c)
    assert a["cost"].keys() == b["cost"].keys()
    for c, v in a["cost"].items():
        assert v == pytest.approx(b["cost"][c], rel=1e-12, abs=1e-12), c
    assert a["bounds"] == b["bounds"]


@pytest.mark.parametrize("case", sorted(CASES))
def test_matrix_model_is_the_environ_model_entry_by_entry(case):
    data = CASES[case]
    environ, _ = build_model(data, backend="environ")
    matrix, _ = build_model(data, backend="matrix")
    _assert_same_lp(_pyomo_lp(environ), _matrix_lp(matrix))
    # the row lists that name what each row limits are the same too
    for name in [n for n in dir(environ) if n.endswith("_rows")]:
        assert getattr(matrix, name) == getattr(environ, name), name


@pytest.mark.parametrize("case", ["everything", "transfers_backorder", "stock_balance"])
def test_pyomo_reads_the_matrix_model_as_the_same_lp(case):
    # Pyomo's own compiler walks the matrix model (creating its rows and variables on demand)
    matrix, _ = build_model(CASES[case], backend="matrix")
    _assert_same_lp(_pyomo_lp(matrix), _matrix_lp(build_model(CASES[case])[0]))


@pytest.mark.parametrize("case", sorted(CASES))
def test_both_backends_give_the_same_optimum_and_duals(case):
    data = CASES[case]
    opts = SolverOptions(mip_gap=1e-9)
    res = {b: solve_model(build_model(data, backend=b)[0], opts) for b in ("environ", "matrix")}
    e, m = res["environ"], res["matrix"]
    assert e.status is m.status is SolveStatus.OPTIMAL
    assert m.objective == pytest.approx(e.objective, rel=1e-8, abs=1e-8)
    assert e.values.keys() == m.values.keys()
    assert {k: v.shape for k, v in e.values.items()} == {k: v.shape for k, v in m.values.items()}
    assert {k: v.shape for k, v in e.duals.items()} == {k: v.shape for k, v in m.duals.items()}
    assert (e.n_variables, e.n_constraints, e.n_integers) == (
        m.n_variables,
        m.n_constraints,
        m.n_integers,
    )


def test_building_creates_no_variable_or_row_objects():
    data = synthetic_model_data(20, 3, 2, 10, 8, seed=2)
    model, lay = build_model(data)
    res = solve_model(model)
    assert res.status is SolveStatus.OPTIMAL
    assert len(model.stock._data) == 0 and len(model.stock_balance._data) == 0
    # yet the components have their full size and every index can be reached
    assert len(model.stock) == lay.S * lay.n * lay.T
    assert len(list(model.stock_balance.keys())) == lay.S * lay.n * lay.T
    assert model.stock[len(model.stock) - 1].lb == 0
    k = int(np.argmax(data.demand.reshape(-1)))  # lost sales: 0 <= short <= demand
    assert (model.short[k].lb, model.short[k].ub) == (0, data.demand.reshape(-1)[k])
    with pytest.raises(KeyError):
        model.stock[len(model.stock)]


def test_matrix_model_clones_and_pickles_into_the_same_model():
    import pickle

    data = synthetic_model_data(3, 2, 2, 6, 3, seed=4)
    model, _ = build_model(data)
    want = solve_model(model).objective
    for copy in (model.clone(), pickle.loads(pickle.dumps(model))):
        assert solve_model(copy).objective == pytest.approx(want, rel=1e-12)


def _changed(model):
    """The same edits through Pyomo on either kind of model."""
    model.order_first[0].fix(7.0)
    model.order_first[1].setub(2.0)
    model.stock_balance[3].deactivate()
    row = model.supplier_capacity[0]
    row.set_value(row.body <= pyo.value(row.upper) * 0.5)
    model.extra = pyo.Var(bounds=(0, 4))
    model.extra_link = pyo.Constraint(expr=model.extra + model.order_first[2] >= 3)
    model.total_cost.deactivate()
    model.new_cost = pyo.Objective(expr=model.total_cost.expr + 5 * model.extra)


def test_changes_made_through_pyomo_reach_the_solver():
    data = synthetic_model_data(4, 2, 2, 6, 3, seed=8)
    models = {b: build_model(data, backend=b)[0] for b in ("environ", "matrix")}
    for m in models.values():
        _changed(m)
    # (Pyomo's compiler moves fixed variables into the right-hand side, the matrix hand-over
    # fixes their bounds: same LP, other arrays, so the optima are compared)
    res = {b: solve_model(m, load=True) for b, m in models.items()}
    assert res["matrix"].objective == pytest.approx(res["environ"].objective, rel=1e-9)
    m = models["matrix"]
    assert res["matrix"].values["order_first"][0] == pytest.approx(7.0)
    assert res["matrix"].values["order_first"][1] <= 2.0 + 1e-9
    assert res["matrix"].values["extra"][0] == pytest.approx(m.extra.value)
    assert m.order_first[1].value == pytest.approx(res["matrix"].values["order_first"][1])
    # a constraint added by the user gets its dual under its own name
    assert "extra_link" in res["matrix"].duals


def test_a_deactivated_family_is_left_out_on_both_backends():
    data = CASES["warehouse_capacity"]  # a case where the capacity binds
    res = {}
    for b in ("environ", "matrix"):
        model, _ = build_model(data, backend=b)
        model.warehouse_capacity.deactivate()
        res[b] = solve_model(model)
        assert "warehouse_capacity" not in res[b].duals
    assert res["matrix"].objective == pytest.approx(res["environ"].objective, rel=1e-9)
    assert res["matrix"].objective < solve_model(build_model(data)[0]).objective


def test_named_costs_are_the_same_on_both_backends():
    # first_stage_cost, second_stage_cost and risk_cost are named expressions on both models
    # (mpi-sppy's root-node cost and a recourse objective are built from them)
    data = CASES["everything"]
    opts = SolverOptions(mip_gap=1e-9)
    out = {}
    for b in ("environ", "matrix"):
        model, _ = build_model(data, backend=b)
        model.total_cost.deactivate()
        model.rebuilt = pyo.Objective(
            expr=model.first_stage_cost + model.second_stage_cost + model.risk_cost
        )
        res = solve_model(model, opts, load=True)
        parts = [pyo.value(model.first_stage_cost), pyo.value(model.second_stage_cost)]
        out[b] = (res.objective, parts, pyo.value(model.risk_cost), model.cvar_var.is_indexed())
    (obj_e, parts_e, risk_e, idx_e), (obj_m, parts_m, risk_m, idx_m) = out.values()
    assert obj_m == pytest.approx(obj_e, rel=1e-8)
    assert sum(parts_m) + risk_m == pytest.approx(obj_m, rel=1e-8)
    assert sum(parts_e) + risk_e == pytest.approx(obj_e, rel=1e-8)
    assert idx_e is idx_m is False  # cvar_var is a scalar variable on both
