"""Backorders with a terminal value: units still owed at the horizon's end are valued like the
stock that will serve them, so "hold stock and owe the same units" is no free ray."""

from __future__ import annotations

import numpy as np
import pytest
from modelkit import single_series, solve


def test_cheap_backlog_with_terminal_value_is_bounded_and_serves_demand():
    # holding 0.1 + backlog 0.05 per unit-week < terminal value 1.0: without valuing the final
    # backlog, raising end stock and end backlog together would earn 0.85 a unit without limit
    data = single_series(
        [0.0, 10.0], holding=0.1, shortage=0.05, terminal=1.0, backorder=True, frozen=1
    )
    result, res, sol = solve(data)
    # ordering the 10 units in week 1 (cost 10) beats owing them (0.05 x 10 + 1.0 x 10 = 10.5)
    assert res.objective == pytest.approx(10.0, abs=1e-6)
    assert sol.recourse.sum() == pytest.approx(10.0, abs=1e-6)
    assert sol.short[0, 0, -1] == pytest.approx(0.0, abs=1e-6)
    assert sum(result.costs.values()) == pytest.approx(res.objective, abs=1e-6)


def test_owing_at_the_end_costs_the_units_terminal_value():
    # no lane can deliver in time (lead time 2 > horizon): the 10 units stay owed; the plan pays
    # the backlog per week and the value of the units it still owes at the end
    data = single_series(
        [0.0, 10.0], lanes=((2, 1.0, 0.0),), shortage=0.5, terminal=1.0, backorder=True
    )
    result, res, sol = solve(data)
    assert np.allclose(sol.short[0, 0], [0.0, 10.0])
    assert result.costs["shortage"] == pytest.approx(5.0)
    assert result.costs["terminal"] == pytest.approx(10.0)
    assert res.objective == pytest.approx(15.0, abs=1e-6)
