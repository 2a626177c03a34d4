"""Infeasibility diagnosis: tiny infeasible models whose conflicts are known by hand, and the
replenishment model made infeasible by an outage against a minimum fill rate."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pyomo.environ as pyo
import pytest

from planner.config import SupplierOutage
from planner.diagnose import diagnose_infeasibility
from planner.model.build import build_model
from planner.model.synthetic import synthetic_model_data
from planner.solve import SolveStatus, solve_model
from planner.whatif import apply_model_whatifs

BOTH = pytest.mark.parametrize("use_iis", [True, False], ids=["iis", "elastic"])


def by_family(diagnosis):
    return {c.family: c for c in diagnosis.conflicts}


def upper_and_lower() -> pyo.ConcreteModel:
    m = pyo.ConcreteModel()
    m.x = pyo.Var(bounds=(0, None))
    m.upper = pyo.Constraint(expr=m.x <= 5)
    m.lower = pyo.Constraint(expr=m.x >= 8)
    m.cost = pyo.Objective(expr=m.x)
    return m


def balance_and_capacity(demand=(8.0, 0.0, 0.0, 0.0), cap=5.0) -> pyo.ConcreteModel:
    """stock_t = stock_{t-1} + x_t - d_t, stock >= 0, x_t <= cap: week 1 needs d_1 - cap more."""
    T = len(demand)
    m = pyo.ConcreteModel()
    m.x = pyo.Var(range(T), bounds=(0, None))
    m.stock = pyo.Var(range(T), bounds=(0, None))
    m.stock_balance = pyo.Constraint(
        range(T),
        rule=lambda m, t: m.stock[t] - (m.stock[t - 1] if t else 0) - m.x[t] == -demand[t],
    )
    m.capacity = pyo.Constraint(range(T), rule=lambda m, t: m.x[t] <= cap)
    m.cost = pyo.Objective(expr=sum(m.x.values()))
    return m


@BOTH
def test_two_contradicting_families_are_both_named_with_the_gap(use_iis):
    d = diagnose_infeasibility(upper_and_lower(), use_iis=use_iis)
    assert d.families == ("upper", "lower")
    assert d.method == ("iis" if use_iis else "elastic")
    for c in d.conflicts:
        assert c.resolves_alone and c.rows_relaxed == 1
        assert c.violation == pytest.approx(3.0)
    assert by_family(d)["upper"].relaxations == ((None, pytest.approx(3.0)),)
    assert by_family(d)["lower"].relaxations == ((None, pytest.approx(-3.0)),)
    assert sum(d.joint.values()) == pytest.approx(3.0)
    assert d.message().splitlines()[:3] == [
        "the plan is infeasible: upper conflicts with lower",
        "  - upper: relaxing it alone resolves the conflict, by 3 in total over 1 row: "
        "upper over its limit by 3",
        "  - lower: relaxing it alone resolves the conflict, by 3 in total over 1 row: "
        "lower short of its minimum by 3",
    ]


@BOTH
def test_a_family_outside_the_conflict_is_not_named(use_iis):
    m = pyo.ConcreteModel()
    m.x = pyo.Var(bounds=(0, None))
    m.supplier_capacity = pyo.Constraint(expr=m.x <= 10)
    m.budget = pyo.Constraint(expr=2 * m.x <= 30)
    m.service_level = pyo.Constraint(expr=m.x >= 12)
    m.cost = pyo.Objective(expr=m.x)
    d = diagnose_infeasibility(m, units={"supplier_capacity": "units"}, use_iis=use_iis)
    assert d.families == ("supplier_capacity", "service_level")
    conflicts = by_family(d)
    assert conflicts["supplier_capacity"].violation == pytest.approx(2.0)
    assert conflicts["service_level"].violation == pytest.approx(2.0)
    assert "budget" not in d.message()
    assert "supplier_capacity over its limit by 2 units" in d.message()


@BOTH
def test_hard_balance_against_capacity_names_the_week_with_the_describer(use_iis):
    weeks = ("2026-11-23", "2026-11-30", "2026-12-07", "2026-12-14")
    describe = {"capacity": lambda t: f"supplier S1, week {weeks[t]}"}
    d = diagnose_infeasibility(
        balance_and_capacity(), describe, units={"capacity": "units"}, use_iis=use_iis
    )
    assert d.families == ("capacity",)
    assert d.hard == ("stock_balance",)
    assert "stock_balance" not in d.joint  # hard: never relaxed
    (c,) = d.conflicts
    assert c.resolves_alone and c.violation == pytest.approx(3.0)
    assert c.examples == ("supplier S1, week 2026-11-23 over its limit by 3 units",)
    assert c.relaxations == ((0, pytest.approx(3.0)),)
    assert d.message().splitlines()[0] == (
        "the plan is infeasible: capacity cannot be met (given stock_balance)"
    )
    if use_iis:
        assert set(d.bounds) == {"x", "stock"}  # stock cannot go negative


def test_cumulative_shortfall_is_the_total_over_the_weeks():
    # 16 units are needed by week 2 and at most 5 a week can come: 6 units short in total
    d = diagnose_infeasibility(balance_and_capacity(demand=(8.0, 8.0, 0.0, 0.0)))
    (c,) = d.conflicts
    assert c.violation == pytest.approx(6.0)
    assert 1 <= c.rows_relaxed <= 2
    assert {idx for idx, _ in c.relaxations} <= {0, 1}
    assert dict(c.relaxations)[0] >= 3.0 - 1e-9  # week 1 alone is 3 short


def test_hard_families_are_a_parameter():
    d = diagnose_infeasibility(balance_and_capacity(), hard_families=())
    assert d.families == ("stock_balance", "capacity")
    assert d.hard == ()
    assert by_family(d)["stock_balance"].violation == pytest.approx(3.0)


@BOTH
def test_independent_conflicts_need_every_family_to_give_way(use_iis):
    m = pyo.ConcreteModel()
    m.x = pyo.Var(bounds=(0, 5))
    m.y = pyo.Var(bounds=(0, 5))
    m.a = pyo.Constraint(expr=m.x <= 3)
    m.b = pyo.Constraint(expr=m.y <= 3)
    m.need_x = pyo.Constraint(expr=m.x >= 4)
    m.need_y = pyo.Constraint(expr=m.y >= 4.5)
    m.cost = pyo.Objective(expr=m.x + m.y)
    d = diagnose_infeasibility(m, hard_families=("need_x", "need_y"), use_iis=use_iis)
    assert d.families == ("a", "b")
    assert not any(c.resolves_alone for c in d.conflicts)
    assert d.joint == {"a": pytest.approx(1.0), "b": pytest.approx(1.5)}
    assert (
        d.message().splitlines()[0].startswith("the plan is infeasible: a and b cannot all be met")
    )
    assert "  - the smallest total relaxation: a by 1 and b by 1.5" in d.message().splitlines()


def test_integrality_conflicts_are_found_by_the_elastic_mip():
    # 5.2 <= x <= 5.5 has no integer point; the LP relaxation is feasible
    m = pyo.ConcreteModel()
    m.x = pyo.Var(domain=pyo.NonNegativeIntegers)
    m.stock_balance = pyo.Constraint(expr=m.x >= 5.2)
    m.cap = pyo.Constraint(expr=m.x <= 5.5)
    m.cost = pyo.Objective(expr=m.x)
    assert solve_model(m).status is SolveStatus.INFEASIBLE
    d = diagnose_infeasibility(m)
    assert d.families == ("cap",) and d.method == "elastic"
    assert d.conflicts[0].violation == pytest.approx(0.5)


@BOTH
def test_hard_rows_against_bounds_alone(use_iis):
    m = pyo.ConcreteModel()
    m.x = pyo.Var(bounds=(0, 5))
    m.stock_balance = pyo.Constraint(expr=m.x >= 8)
    m.cap = pyo.Constraint(expr=m.x <= 3)
    m.cost = pyo.Objective(expr=m.x)
    d = diagnose_infeasibility(m, use_iis=use_iis)
    assert d.families == ("stock_balance",)
    assert d.message().splitlines()[0] == (
        "the plan is infeasible: stock_balance cannot hold together even with every other "
        "constraint relaxed"
    )
    if use_iis:
        assert d.method == "iis" and d.bounds == ("x",)
        assert "with the bounds of the variables x" in d.message()
    else:
        assert d.method == "hard"


def test_constraints_on_fixed_values_alone():
    m = pyo.ConcreteModel()
    m.x = pyo.Var(range(3))
    for k, v in enumerate((3.0, 1.0, 7.0)):
        m.x[k].fix(v)
    m.y = pyo.Var(bounds=(0, 1))
    m.limit = pyo.Constraint(range(3), rule=lambda m, k: m.x[k] <= 2)
    m.other = pyo.Constraint(expr=m.y <= 2)
    m.cost = pyo.Objective(expr=m.y)
    d = diagnose_infeasibility(m, {"limit": lambda k: f"lane {k}"})
    assert d.method == "trivial" and d.families == ("limit",)
    (c,) = d.conflicts
    assert c.violation == pytest.approx(6.0) and c.rows_relaxed == 2
    assert c.examples == ("lane 2 over its limit by 5", "lane 0 over its limit by 1")


def test_a_feasible_model_is_not_diagnosed():
    m = balance_and_capacity(cap=8.0)
    assert solve_model(m).status is SolveStatus.OPTIMAL
    with pytest.raises(ValueError, match="not infeasible"):
        diagnose_infeasibility(m)


def test_outage_against_a_minimum_fill_rate_in_the_replenishment_model():
    data = synthetic_model_data(2, 2, 2, 6, 3, seed=1, capacities=False)
    data = replace(data, service_level=0.95, supplier_capacity=np.full(2, 30.0))
    model, _ = build_model(data)
    assert solve_model(model).status is SolveStatus.OPTIMAL  # feasible before the outage
    outages = [
        SupplierOutage(kind="supplier_outage", supplier="S1", weeks=(1, 6)),
        SupplierOutage(kind="supplier_outage", supplier="S2", weeks=(1, 3)),
    ]
    data, _ = apply_model_whatifs(data, outages, {})
    model, _ = build_model(data)
    assert solve_model(model).status is SolveStatus.INFEASIBLE

    def supplier_week(rows):
        return lambda k: (
            f"supplier {data.suppliers[rows[k][0]]}, week {data.weeks[rows[k][1]].date()}"
        )

    describe = {
        "supplier_capacity_first": supplier_week(model.supplier_capacity_first_rows),
        "supplier_capacity": supplier_week(model.supplier_capacity_rows),
        "service_level": lambda k: f"SKU {model.service_level_rows[k][0]}",
    }
    d = diagnose_infeasibility(model, describe)
    assert "service_level" in d.families
    assert {"supplier_capacity_first", "supplier_capacity"} & set(d.families)
    assert d.hard == ("stock_balance",)
    assert "the plan is infeasible: " in d.message()
    assert "SKU SKU0000" in d.message() and "supplier S" in d.message()

    # loosening exactly the service-level rows the diagnosis names, by its amounts, is enough
    service = by_family(d)["service_level"]
    assert service.resolves_alone and service.violation > 0
    for idx, amount in service.relaxations:
        con = model.service_level[idx]
        con.set_value(con.body <= pyo.value(con.upper) + amount + 1e-6)
    assert solve_model(model).status is SolveStatus.OPTIMAL
