"""One small LP per constraint family, compared with a stored baseline (tests/baselines/).

Regenerate after an intended model change with PLANNER_UPDATE_BASELINES=1 and review the diff.
"""

import json
import os
from dataclasses import replace
from pathlib import Path

import numpy as np
import pyomo.environ as pyo
import pytest
from modelkit import single_series, solve

from planner.model.build import build_model
from planner.model.synthetic import synthetic_model_data

BASELINES = Path(__file__).parent / "baselines"
UPDATE = os.environ.get("PLANNER_UPDATE_BASELINES") == "1"


def _cases():
    two_scen = np.array([[8.0, 12.0, 5.0, 9.0], [14.0, 6.0, 11.0, 3.0]])
    return {
        # lost sales: stock balance with lead times, open orders, initial stock, 2 scenarios
        "stock_balance": single_series(
            two_scen,
            prob=[0.3, 0.7],
            lanes=((1, 2.0, 0.5), (0, 3.0, 0.2)),
            holding=0.2,
            shortage=6.0,
            on_hand=9,
            open_arrivals=[0, 4, 0, 0],
            terminal=2.0,
        ),
        # backorders: backlog carried week to week
        "stock_balance_backorder": single_series(
            two_scen,
            prob=[0.5, 0.5],
            lanes=((2, 1.0, 0.0), (0, 3.0, 0.0)),
            holding=0.2,
            shortage=1.5,
            on_hand=5,
            backorder=True,
        ),
        # warehouse capacity: supplier limits force building stock ahead into a small warehouse
        "warehouse_capacity": single_series(
            [[0.0, 40.0, 10.0], [0.0, 30.0, 25.0]],
            prob=[0.4, 0.6],
            lanes=((0, 1.0, 0.1),),
            holding=0.5,
            shortage=10.0,
            warehouse_capacity=15,
            supplier_capacity=20,
        ),
        # supplier capacity in the frozen weeks (first stage) and after (recourse)
        "supplier_capacity_first": synthetic_model_data(3, 2, 2, 5, 3, seed=12, frozen_weeks=2),
        "supplier_capacity": synthetic_model_data(3, 2, 3, 6, 3, seed=13),
        # lot sizing: fixed order cost + MOQ (order-placed binaries) and order multiples
        "order_setup": _lots(
            synthetic_model_data(2, 1, 2, 5, 3, seed=14, capacities=False), moq=0.0
        ),
        "order_setup_first": _lots(
            synthetic_model_data(2, 1, 2, 5, 3, seed=15, capacities=False, frozen_weeks=2), moq=0.0
        ),
        "order_moq": _lots(
            synthetic_model_data(2, 1, 2, 5, 3, seed=16, capacities=False), fixed=0.0
        ),
        "order_moq_first": _lots(
            synthetic_model_data(2, 1, 2, 5, 3, seed=17, capacities=False, frozen_weeks=2),
            fixed=0.0,
        ),
        "order_multiple": _lots(
            synthetic_model_data(2, 1, 2, 5, 3, seed=18, capacities=False),
            fixed=0.0,
            moq=0.0,
            mult=12.0,
        ),
        "order_multiple_first": _lots(
            synthetic_model_data(2, 1, 2, 5, 3, seed=19, capacities=False, frozen_weeks=2),
            fixed=0.0,
            moq=0.0,
            mult=12.0,
        ),
        # weekly purchase budget, first stage and recourse
        "budget": replace(
            synthetic_model_data(3, 1, 1, 5, 3, seed=20, capacities=False), budget_per_week=400.0
        ),
        "budget_first": replace(
            synthetic_model_data(3, 1, 1, 5, 3, seed=21, capacities=False, frozen_weeks=2),
            budget_per_week=400.0,
        ),
        # minimum expected fill rate per SKU, on a case whose shortage is cheap
        "service_level": _cheap_shortage(
            synthetic_model_data(3, 1, 2, 6, 4, seed=22, capacities=False), 0.97
        ),
        # CVaR of the total cost
        "cvar_excess": replace(
            synthetic_model_data(2, 1, 2, 5, 8, seed=23, capacities=False),
            cvar_weight=2.0,
            cvar_alpha=0.8,
        ),
    }


def _lots(data, fixed=50.0, moq=30.0, mult=0.0):
    nl = data.n_lanes
    return replace(
        data,
        fixed_order_cost=np.full(nl, fixed),
        moq=np.full(nl, moq),
        order_multiple=np.full(nl, mult),
        integer_recourse=True,
    )


def _cheap_shortage(data, level):
    return replace(data, shortage_cost=data.shortage_cost * 0.05, service_level=level)


def _snapshot(data) -> dict:
    result, res, sol = solve(data)
    return {
        "objective": round(res.objective, 6),
        "first_stage": [round(v, 6) for v in sol.first.tolist()],
        "expected_recourse": [round(v, 6) for v in (data.prob @ sol.recourse).tolist()],
        "costs": {k: round(v, 4) for k, v in result.costs.items()},
        "fill_rate": round(result.fill_rate, 6),
    }


@pytest.mark.parametrize("family", sorted(_cases()))
def test_family_matches_baseline(family):
    data = _cases()[family]
    model, _ = build_model(data)
    names = {c.local_name for c in model.component_objects(pyo.Constraint)}
    assert family.removesuffix("_backorder") in names  # the case exercises its family
    if "capacity" in family or family.startswith(("budget", "service")):  # the case must bind
        result, _, _ = solve(data)
        kinds = {b["constraint"] for b in result.bottlenecks}
        if family.startswith("service"):
            assert result.fill_rate > solve(replace(data, service_level=None))[0].fill_rate
        else:
            assert family.removesuffix("_first") in kinds
        if family == "supplier_capacity_first":
            first_weeks = {str(w.date()) for w in data.weeks[: data.frozen]}
            assert any(set(b["weeks"]) & first_weeks for b in result.bottlenecks)
    snap = _snapshot(data)
    path = BASELINES / f"{family}.json"
    if UPDATE or not path.exists():
        path.write_text(json.dumps(snap, indent=1) + "\n")
        if not UPDATE:
            pytest.fail(
                f"baseline {path.name} was missing and has been written; review and commit it"
            )
    expected = json.loads(path.read_text())
    assert snap["objective"] == pytest.approx(expected["objective"], rel=1e-6, abs=1e-6)
    assert snap["costs"] == pytest.approx(expected["costs"], rel=1e-5, abs=1e-3)
    assert snap["fill_rate"] == pytest.approx(expected["fill_rate"], abs=1e-6)
    # an LP may have several optimal order plans; the first-stage total is pinned when unique
    assert sum(snap["first_stage"]) == pytest.approx(
        sum(expected["first_stage"]), rel=1e-4, abs=1e-4
    )


def test_every_constraint_family_has_a_baseline():
    # a model with every family switched on
    data = synthetic_model_data(3, 2, 3, 6, 2, seed=1, frozen_weeks=2)
    nl = data.n_lanes
    data = replace(
        data,
        fixed_order_cost=np.full(nl, 10.0),
        moq=np.full(nl, 5.0),
        order_multiple=np.full(nl, 2.0),
        budget_per_week=1e6,
        service_level=0.5,
        cvar_weight=0.5,
    )
    model, _ = build_model(data)
    families = {c.local_name for c in model.component_objects(pyo.Constraint)}
    assert families  # sanity: the model has constraints
    missing = [f for f in families if not (BASELINES / f"{f}.json").exists()]
    assert not missing, f"constraint families without a baseline: {missing}"
