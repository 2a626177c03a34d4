"""Build the two-stage stochastic replenishment model in Pyomo from a ModelData.

With i series, l lanes, r transfer routes, t weeks, s scenarios (probability p_s), F frozen
weeks; x first-stage orders (t < F, no scenario index), y recourse orders, o order-placed
binaries, k order-multiple integers, I stock, U lost sales (or B backlog), z transfers, O
overflow:

    min  sum_{l,t<F} (c_l x_{l,t} + f_l o_{l,t})                                  first stage
       + sum_s p_s [ sum_{l,t>=F} (c_l y + f_l o) + sum_{i,t} (h_i I + pi_i U)
                     + sum_{r,t} c_r z + M sum O - sum_i v_i I_{i,T-1,s}
                     - sum v_i (orders arriving after the horizon) ]               second stage
       + lambda CVaR_alpha(cost_s)                                                 risk

    stock_balance        planner.model.stock
    order_setup/_moq     q <= M o, q >= moq o                 planner.model.orders
    order_multiple       q = m k
    warehouse_capacity   sum vol I - O <= cap_{w,t}          planner.model.limits
    supplier_capacity    sum q <= cap_{q,t}
    budget               sum price q <= B per week
    service_level        expected unmet <= (1 - alpha) expected demand, per SKU   planner.model.service
    cvar_excess          zeta_s >= cost_s - eta                                  planner.model.objective

Each family is added by its own `add_<family>` function, in this order, and returns early
when its data is absent (a dataset without lot sizing, transfers, budget, service level or
CVaR gives a pure LP with only the balance and capacity families).
"""

from __future__ import annotations

import pyomo.environ as pyo

from planner.model.data import ModelData
from planner.model.layout import Layout, forced_overflow, make_layout
from planner.model.limits import add_budget, add_supplier_capacity, add_warehouse_capacity
from planner.model.objective import add_cvar, add_objective, overflow_penalty
from planner.model.orders import add_order_multiples, add_order_setup, add_order_variables
from planner.model.service import add_service_level
from planner.model.stock import (
    add_overflow_variables,
    add_stock_balance,
    add_stock_variables,
    add_transfer_variables,
)

__all__ = [
    "BACKENDS",
    "Layout",
    "build_environ_model",
    "build_model",
    "forced_overflow",
    "make_layout",
    "overflow_penalty",
]

BACKENDS = ("matrix", "environ")


def build_model(data: ModelData, backend: str = "matrix") -> tuple[pyo.ConcreteModel, Layout]:
    """The Pyomo model of `data` and its index layout.

    backend "matrix" (default): families assembled as sparse matrices with numpy, variables and
    rows created on demand (`planner.model.build_matrix`): the fast path. "environ": one
    Pyomo expression per row, built by each family's `add_<family>` (below). Both give the
    same model: same component names, flat indexes, row order, optimum.
    """
    if backend == "matrix":
        from planner.model.build_matrix import build_matrix_model

        return build_matrix_model(data)
    if backend == "environ":
        return build_environ_model(data)
    raise ValueError(f"backend must be one of {', '.join(BACKENDS)}; got {backend!r}")


def build_environ_model(data: ModelData) -> tuple[pyo.ConcreteModel, Layout]:
    """The Pyomo model of `data` as expressions, families added in the order of the formulation."""
    lay = make_layout(data)
    m = pyo.ConcreteModel(name="replenishment")
    # variables: first stage, then recourse
    add_order_variables(m, data, lay)
    add_stock_variables(m, data, lay)
    add_overflow_variables(m, data, lay)
    add_transfer_variables(m, data, lay)
    # constraint families
    add_stock_balance(m, data, lay)
    add_order_setup(m, data, lay)
    add_order_multiples(m, data, lay)
    add_warehouse_capacity(m, data, lay)
    add_supplier_capacity(m, data, lay)
    add_budget(m, data, lay)
    add_service_level(m, data, lay)
    add_cvar(m, data, lay)
    add_objective(m, data, lay)
    return m, lay
