"""The replenishment model built from arrays: every family's rows assembled with numpy.

Same formulation, same component names, same flat indexes and same row order as the
expression builder (`planner.model.build.build_environ_model`), but the constraint families are
`MatrixConstraint`s and the variables `LazyVar`s (see `planner.model.matrix`): no Python object
per variable or row is created unless someone asks for it, so building costs about what
assembling the sparse matrix costs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyomo.environ as pyo

from planner.model.data import ModelData
from planner.model.layout import Layout, make_layout
from planner.model.limits import budget_matrix, supplier_capacity_matrix, warehouse_capacity_matrix
from planner.model.matrix import (
    ColumnSpace,
    LazyVar,
    LinearCost,
    LinearObjective,
    MatrixConstraint,
    Rows,
    VarBlock,
    stack_rows,
)
from planner.model.objective import FIRST_STAGE, cvar_matrix, objective_vector
from planner.model.orders import order_multiple_matrix, order_setup_matrix
from planner.model.service import service_level_matrix
from planner.model.stock import stock_balance_matrix


def variable_blocks(data: ModelData, lay: Layout) -> list[VarBlock]:
    """Variable families in the expression builder's declaration order, with their domains."""
    S, n, T = lay.S, lay.n, lay.T
    inf = np.inf

    def block(name, size, domain, lo=0.0, hi=inf, integer=False, scalar=False):
        lb = np.full(size, lo) if np.isscalar(lo) else np.asarray(lo, float)
        ub = np.full(size, hi) if np.isscalar(hi) else np.asarray(hi, float)
        return VarBlock(name, int(size), lb, ub, domain, integer, scalar)

    nnr, nni = pyo.NonNegativeReals, pyo.NonNegativeIntegers
    short_ub = inf if data.backorder else data.demand.reshape(-1).astype(float)
    n_rs, n_rl = S * len(lay.rc_setup), S * len(lay.rc_lots)
    ir = data.integer_recourse
    blocks = [
        block("order_first", lay.n_fs, nnr),
        block("order", S * lay.n_rc, nnr),
        block("stock", S * n * T, nnr),
        block("short", S * n * T, nnr, hi=short_ub),
        block("overflow", S * len(lay.overflow_wt), nnr),
        block("transfer", S * lay.n_tr, nnr),
        block("placed_first", len(lay.fs_setup), pyo.Binary, hi=1.0, integer=True),
        block("placed", n_rs, pyo.Binary if ir else pyo.UnitInterval, hi=1.0, integer=ir),
        block("lots_first", len(lay.fs_lots), nni, integer=True),
        block("lots", n_rl, nni if ir else nnr, integer=ir),
    ]
    if data.cvar_weight > 0:
        blocks += [
            block("cvar_var", 1, pyo.Reals, lo=-inf, scalar=True),
            block("cvar_excess_var", S, nnr),
        ]
    return blocks


@dataclass
class ModelArrays:
    """The model as arrays: columns (variable families), rows per family, costs."""

    layout: Layout
    columns: ColumnSpace
    families: list[Rows]  # in the order of the formulation, absent families left out
    cost: np.ndarray  # (columns,) objective coefficient of every column


def model_arrays(data: ModelData) -> ModelArrays:
    """Every family's rows as coordinates over one column space (no Pyomo object)."""
    lay = make_layout(data)
    cols = ColumnSpace(variable_blocks(data, lay))
    families = [
        stock_balance_matrix(data, lay, cols),
        *order_setup_matrix(data, lay, cols),
        *order_multiple_matrix(data, lay, cols),
        warehouse_capacity_matrix(data, lay, cols),
        *supplier_capacity_matrix(data, lay, cols),
        *budget_matrix(data, lay, cols),
        service_level_matrix(data, lay, cols),
        cvar_matrix(data, lay, cols),
    ]
    rows = [f for f in families if f is not None]
    return ModelArrays(lay, cols, rows, objective_vector(data, lay, cols))


def build_matrix_model(data: ModelData) -> tuple[pyo.ConcreteModel, Layout]:
    """The Pyomo model of `data` from arrays, families added in the order of the formulation."""
    arrays = model_arrays(data)
    cols = arrays.columns
    m = pyo.ConcreteModel(name="replenishment")
    for b in cols.blocks:
        setattr(m, b.name, pyo.Var(domain=b.domain, bounds=_bounds(b)) if b.scalar else LazyVar(b))
    # one column-wise matrix for the whole model (HiGHS's own layout: handed over as it is)
    A, starts = stack_rows(arrays.families, cols.size, fmt="csc")
    for k, rows in enumerate(arrays.families):
        if rows.labels is not None:
            setattr(m, f"{rows.name}_rows", rows.labels)
        con = MatrixConstraint(None, rows.lb, rows.ub, cols, stacked=(A, int(starts[k])))
        setattr(m, rows.name, con)
    # named first-stage, second-stage and risk costs (as in the expression model), and the
    # objective, their sum
    for name, part in cost_parts(arrays.cost, cols).items():
        setattr(m, name, LinearCost(part, 0.0, cols))
    m.total_cost = LinearObjective(arrays.cost, 0.0, cols)
    m._columns = cols
    return m, arrays.layout


def _bounds(b: VarBlock) -> tuple[float | None, float | None]:
    lo, hi = float(b.lb[0]), float(b.ub[0])
    return (None if lo == -np.inf else lo, None if hi == np.inf else hi)


def cost_parts(cost: np.ndarray, cols: ColumnSpace) -> dict[str, np.ndarray]:
    """The objective split into first_stage_cost, second_stage_cost and (with CVaR) risk_cost."""
    out = {}
    for name, families in (
        ("first_stage_cost", FIRST_STAGE),
        ("second_stage_cost", ("order", "placed", "stock", "short", "overflow", "transfer")),
        ("risk_cost", ("cvar_var", "cvar_excess_var")),
    ):
        part = np.zeros_like(cost)
        present = [f for f in families if f in cols.offset]
        if name == "risk_cost" and not present:
            continue
        for f in present:
            lo = cols[f]
            size = next(b.size for b in cols.blocks if b.name == f)
            part[lo : lo + size] = cost[lo : lo + size]
        out[name] = part
    return out
