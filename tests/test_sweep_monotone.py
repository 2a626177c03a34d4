"""Order totals never fall as the shortage cost rises (and expected unmet demand never rises):
on the minimal dataset in CI, and on the demo sweep (slow)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml

from planner.config import load_scenario
from planner.data.testing import write_minimal_dataset
from planner.sweep import sweep_scenario

DEMO = Path(__file__).resolve().parents[1] / "scenarios" / "demo.yaml"


def _check_monotone(table) -> None:
    table = table.sort_values("costs.shortage_multiplier")
    assert (table["status"] == "optimal").all()
    orders = table["total_orders"].to_numpy(float)
    tol = 1e-6 * max(1.0, orders.max())
    assert np.all(np.diff(orders) >= -tol), list(
        zip(table["costs.shortage_multiplier"], orders, strict=True)
    )
    # the exchange argument: the shortage cost per unit of multiplier cannot rise
    unit_shortage = (table["shortage"] / table["costs.shortage_multiplier"]).to_numpy(float)
    assert np.all(np.diff(unit_shortage) <= 1e-6 * max(1.0, unit_shortage.max()))
    fill = table["fill_rate"].to_numpy(float)
    assert np.all(np.diff(fill) >= -1e-6)


@pytest.mark.parametrize(
    "shortage, terminal", [("lost_sales", "unit_cost"), ("backorder", "zero")]
)  # backorders with a terminal value are unbounded when backlog is cheap (stock + backlog)
def test_orders_never_fall_as_the_shortage_multiplier_rises_ci(tmp_path, shortage, terminal):
    doc = {
        "name": "mini",
        "dataset": str(write_minimal_dataset(tmp_path / "data")),
        "plan": {
            "horizon_weeks": 8,
            "shortage": shortage,
            "terminal_value": terminal,
            "value_of_information": False,
        },
        "forecast": {"model": "seasonal_naive", "paths": 80, "scenarios": 10, "seed": 5},
    }
    path = tmp_path / "mini.yaml"
    path.write_text(yaml.safe_dump(doc))
    base, _ = load_scenario(path)
    result = sweep_scenario(base, ["costs.shortage_multiplier=0.25:4:0.25"], n_workers=1)
    assert len(result.points) == 16
    _check_monotone(result.table())


@pytest.mark.slow
def test_orders_never_fall_as_the_shortage_multiplier_rises_on_the_demo():
    base, _ = load_scenario(DEMO, ["plan.value_of_information=false"])
    result = sweep_scenario(base, {"costs.shortage_multiplier": [0.5, 1, 1.5, 2, 3, 4]})
    _check_monotone(result.table())
