"""Solve a Pyomo model with HiGHS: typed status, solution arrays per variable family, duals.

Hand-over path: a model built from arrays (`planner.model.build_matrix`, the default) hands
its constraint matrix, bounds and costs straight to HiGHS (`planner.model.standard_form`, no
expression walking); any other Pyomo model goes through Pyomo's linear standard-form compiler.
Either way the sparse matrices are passed to HiGHS (highspy) in one call, and solution values
and row duals are mapped back to the model's components by their flat indexes.
"""

from __future__ import annotations

import enum
import time
from dataclasses import dataclass, field

import highspy
import numpy as np
import pyomo.environ as pyo
from pyomo.repn.plugins.standard_form import LinearStandardFormCompiler

from planner.model.matrix import ColumnSpace
from planner.model.standard_form import MatrixForm, matrix_form


class SolveStatus(enum.Enum):
    OPTIMAL = "optimal"
    TIME_LIMIT_FEASIBLE = "time_limit_feasible"  # a plan within the time limit, with its gap
    TIME_LIMIT_NO_SOLUTION = "time_limit_no_solution"
    INFEASIBLE = "infeasible"
    UNBOUNDED = "unbounded"
    ERROR = "error"

    @property
    def has_solution(self) -> bool:
        return self in (SolveStatus.OPTIMAL, SolveStatus.TIME_LIMIT_FEASIBLE)


@dataclass(frozen=True)
class SolverOptions:
    time_limit_s: float = 300.0
    mip_gap: float = 0.01
    threads: int | None = None
    verbose: bool = False


@dataclass
class SolveResult:
    status: SolveStatus
    objective: float
    values: dict[str, np.ndarray]  # component name -> values by flat index
    duals: dict[str, np.ndarray]  # constraint component name -> row duals by flat index
    gap: float
    seconds: float
    n_variables: int
    n_constraints: int
    n_integers: int
    timings: dict[str, float] = field(default_factory=dict)
    highs_status: str = ""
    # how it was obtained (planner.decompose.dispatch.solve_data): method, reason, bounds
    method: dict | None = None


def is_matrix_model(model) -> bool:
    """Built from arrays (`planner.model.build_matrix`): handed over without expressions."""
    return isinstance(getattr(model, "_columns", None), ColumnSpace)


def compile_model(model: pyo.ConcreteModel):
    """Pyomo model -> its standard form in mixed form (one row per constraint side): a
    `MatrixForm` for a matrix-built model, else Pyomo's LinearStandardFormInfo."""
    if is_matrix_model(model):
        return matrix_form(model)
    return LinearStandardFormCompiler().write(model, mixed_form=True)


def _highs_lp_from_matrix(form: MatrixForm) -> tuple[highspy.HighsLp, np.ndarray]:
    inf = highspy.kHighsInf
    A = form.A
    lp = highspy.HighsLp()
    lp.num_col_ = form.n_cols
    lp.num_row_ = form.n_rows
    lp.col_cost_ = form.cost
    lp.offset_ = form.offset
    if form.maximize:
        lp.sense_ = highspy.ObjSense.kMaximize
    lp.col_lower_ = np.where(np.isinf(form.col_lo), -inf, form.col_lo)
    lp.col_upper_ = np.where(np.isinf(form.col_hi), inf, form.col_hi)
    lp.row_lower_ = np.where(form.kind == 1, -inf, form.rhs)
    lp.row_upper_ = np.where(form.kind == -1, inf, form.rhs)
    lp.a_matrix_.format_ = (
        highspy.MatrixFormat.kColwise if A.format == "csc" else highspy.MatrixFormat.kRowwise
    )
    lp.a_matrix_.start_ = A.indptr
    lp.a_matrix_.index_ = A.indices
    lp.a_matrix_.value_ = A.data
    integer = form.integer
    if integer.any():
        lp.integrality_ = [
            highspy.HighsVarType.kInteger if f else highspy.HighsVarType.kContinuous
            for f in integer
        ]
    return lp, integer


def _component_positions(
    objs, sizes: dict[str, int]
) -> dict[str, tuple[np.ndarray, np.ndarray, int]]:
    """For each component: (flat index, position in `objs`), from a list of component datas."""
    names: list[str] = []
    index: list[int] = []
    name_of: dict[int, str] = {}
    for obj in objs:
        parent = obj.parent_component()
        key = id(parent)
        name = name_of.get(key)
        if name is None:
            name = name_of[key] = parent.local_name
        names.append(name)
        idx = obj.index()
        index.append(0 if idx is None else idx)  # scalar components have index None
    names_arr = np.asarray(names, dtype=object)
    index_arr = np.asarray(index, dtype=np.int64)
    out = {}
    for name, size in sizes.items():
        pos = np.flatnonzero(names_arr == name)
        out[name] = (index_arr[pos], pos, size)
    return out


def _scatter(
    flat: np.ndarray, positions: dict[str, tuple[np.ndarray, np.ndarray, int]]
) -> dict[str, np.ndarray]:
    """Values by component, indexed by the component's flat index (absent entries are 0)."""
    out = {}
    for name, (idx, pos, size) in positions.items():
        arr = np.zeros(size)
        arr[idx] = flat[pos]
        out[name] = arr
    return out


def _fill_absent(model: pyo.ConcreteModel, values: dict[str, np.ndarray], positions) -> None:
    """Variables the compiler left out (fixed ones, or ones in no constraint) keep their value."""
    for comp in model.component_objects(pyo.Var, descend_into=True):
        idx, _, size = positions[comp.local_name]
        present = np.zeros(size, bool)
        present[idx] = True
        missing = np.flatnonzero(~present)
        for k in missing.tolist():
            v = comp[k] if comp.is_indexed() else comp
            values[comp.local_name][k] = v.value if v.value is not None else (v.lb or 0.0)


def _var_sizes(model: pyo.ConcreteModel) -> dict[str, int]:
    return {v.local_name: len(v) for v in model.component_objects(pyo.Var, descend_into=True)}


def _con_sizes(model: pyo.ConcreteModel) -> dict[str, int]:
    return {c.local_name: len(c) for c in model.component_objects(pyo.Constraint, active=True)}


def highs_lp(sf) -> tuple[highspy.HighsLp, np.ndarray]:
    """HighsLp from the standard form (bounds and integrality read from the Pyomo variables)."""
    if isinstance(sf, MatrixForm):
        return _highs_lp_from_matrix(sf)
    A = sf.A.tocsc() if sf.A.format != "csc" else sf.A
    n_rows, n_cols = A.shape
    cols = sf.columns
    lb = np.fromiter((-np.inf if v.lb is None else v.lb for v in cols), float, n_cols)
    ub = np.fromiter((np.inf if v.ub is None else v.ub for v in cols), float, n_cols)
    integer = np.fromiter((v.is_integer() or v.is_binary() for v in cols), bool, n_cols)
    rhs = np.asarray(sf.rhs, dtype=float)
    kind = np.fromiter((r.bound_type for r in sf.rows), np.int64, n_rows)
    # mixed form: bound_type 0 is `== rhs`, 1 is `<= rhs`, -1 is `>= rhs`
    row_lo = np.where(kind == 1, -np.inf, rhs)
    row_hi = np.where(kind == -1, np.inf, rhs)

    lp = highspy.HighsLp()
    lp.num_col_ = n_cols
    lp.num_row_ = n_rows
    c = np.asarray(sf.c.todense()).ravel() if sf.c.shape[0] else np.zeros(n_cols)
    lp.col_cost_ = c
    lp.offset_ = float(sf.c_offset[0]) if len(sf.c_offset) else 0.0
    lp.col_lower_ = np.where(np.isinf(lb), -highspy.kHighsInf, lb)
    lp.col_upper_ = np.where(np.isinf(ub), highspy.kHighsInf, ub)
    lp.row_lower_ = np.where(np.isinf(row_lo), -highspy.kHighsInf, row_lo)
    lp.row_upper_ = np.where(np.isinf(row_hi), highspy.kHighsInf, row_hi)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = A.indptr
    lp.a_matrix_.index_ = A.indices
    lp.a_matrix_.value_ = A.data
    if integer.any():
        lp.integrality_ = [
            highspy.HighsVarType.kInteger if f else highspy.HighsVarType.kContinuous
            for f in integer
        ]
    return lp, integer


_BANNER_SHOWN = False


def new_highs() -> highspy.Highs:
    """A Highs instance; the banner HiGHS prints on its first construction is kept off stdout."""
    global _BANNER_SHOWN
    if _BANNER_SHOWN:
        return highspy.Highs()
    import os
    import sys

    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 1)
            h = highspy.Highs()
    finally:
        os.dup2(saved, 1)
        os.close(saved)
    _BANNER_SHOWN = True
    return h


def configured_highs(options: SolverOptions) -> highspy.Highs:
    """A Highs instance with the time limit, MIP gap, threads and log setting of `options`."""
    h = new_highs()
    h.setOptionValue("output_flag", bool(options.verbose))
    h.setOptionValue("time_limit", float(options.time_limit_s))
    h.setOptionValue("mip_rel_gap", float(options.mip_gap))
    if options.threads:
        h.setOptionValue("threads", int(options.threads))
    return h


def pass_model(h: highspy.Highs, sf) -> np.ndarray:
    """Hand the standard form `sf` to `h`; returns the integrality mask of the columns.

    A `MatrixForm` goes over as numpy arrays in one call (no HighsLp in between, whose
    array attributes are copied element by element); Pyomo's standard form via `highs_lp`.
    """
    if not isinstance(sf, MatrixForm):
        lp, integer = highs_lp(sf)
        h.passModel(lp)
        return integer
    inf = highspy.kHighsInf
    A = sf.A if sf.A.format in ("csc", "csr") else sf.A.tocsr()
    layout = highspy.MatrixFormat.kColwise if A.format == "csc" else highspy.MatrixFormat.kRowwise
    sense = highspy.ObjSense.kMaximize if sf.maximize else highspy.ObjSense.kMinimize
    status = h.passModel(
        sf.n_cols,
        sf.n_rows,
        A.nnz,
        int(layout),
        int(sense),
        float(sf.offset),
        np.ascontiguousarray(sf.cost, dtype=np.float64),
        np.where(np.isinf(sf.col_lo), -inf, sf.col_lo),
        np.where(np.isinf(sf.col_hi), inf, sf.col_hi),
        np.where(sf.kind == 1, -inf, sf.rhs),
        np.where(sf.kind == -1, inf, sf.rhs),
        A.indptr.astype(np.int32, copy=False),
        A.indices.astype(np.int32, copy=False),
        np.ascontiguousarray(A.data, dtype=np.float64),
        sf.integer.astype(np.int32),  # kContinuous 0, kInteger 1
    )
    if status == highspy.HighsStatus.kError:
        raise RuntimeError("HiGHS rejected the model handed over")
    return sf.integer


def run_highs(
    lp: highspy.HighsLp, options: SolverOptions, n_integers: int
) -> tuple[highspy.Highs, float]:
    h = configured_highs(options)
    h.passModel(lp)
    t0 = time.perf_counter()
    h.run()
    return h, time.perf_counter() - t0


def _fixed_integer_duals(
    lp: highspy.HighsLp, integer: np.ndarray, col_value: np.ndarray, options: SolverOptions
) -> np.ndarray | None:
    """Row duals of the LP with every integer variable fixed at its MILP value (the usual way
    to price the constraints of a MILP plan); None if that LP does not solve."""
    fixed = np.round(col_value[integer])
    lo = np.asarray(lp.col_lower_, dtype=float).copy()
    hi = np.asarray(lp.col_upper_, dtype=float).copy()
    lo[integer] = fixed
    hi[integer] = fixed
    lp.col_lower_ = lo
    lp.col_upper_ = hi
    lp.integrality_ = []
    h, _ = run_highs(lp, options, 0)
    if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        return None
    sol = h.getSolution()
    return np.asarray(sol.row_dual) if sol.dual_valid else None


def _load(model, sf, col_value: np.ndarray, values: dict[str, np.ndarray]) -> None:
    """Write the solution into the Pyomo variables (creates every variable of a matrix model)."""
    if not isinstance(sf, MatrixForm):
        for v, val in zip(sf.columns, col_value, strict=True):
            v.set_value(float(val), skip_validation=True)
        return
    for name in sf.var_blocks:
        comp = getattr(model, name)
        for k, val in enumerate(values[name].tolist()):
            (comp[k] if comp.is_indexed() else comp).set_value(val, skip_validation=True)
    for col, v in sf.extra_columns:
        v.set_value(float(col_value[col]), skip_validation=True)


def classify(h: highspy.Highs, has_integers: bool) -> SolveStatus:
    ms = h.getModelStatus()
    S = highspy.HighsModelStatus
    info = h.getInfo()
    has_primal = info.primal_solution_status == 2  # kSolutionStatusFeasible
    if ms == S.kOptimal:
        return SolveStatus.OPTIMAL
    if ms in (S.kInfeasible,):
        return SolveStatus.INFEASIBLE
    if ms in (S.kUnbounded, S.kUnboundedOrInfeasible):
        return SolveStatus.UNBOUNDED if ms == S.kUnbounded else SolveStatus.INFEASIBLE
    if ms in (S.kTimeLimit, S.kIterationLimit, S.kInterrupt, S.kSolutionLimit):
        return SolveStatus.TIME_LIMIT_FEASIBLE if has_primal else SolveStatus.TIME_LIMIT_NO_SOLUTION
    return SolveStatus.ERROR


def solve_model(
    model: pyo.ConcreteModel, options: SolverOptions = SolverOptions(), *, load: bool = False
) -> SolveResult:
    """Compile, hand over and solve; values and duals come back as arrays per component.

    With `load=True` the values are also written into the Pyomo variables.
    """
    t0 = time.perf_counter()
    sf = compile_model(model)
    t1 = time.perf_counter()
    h = configured_highs(options)
    integer = pass_model(h, sf)
    t2 = time.perf_counter()
    h.run()
    t3 = time.perf_counter()
    solve_s = t3 - t2
    status = classify(h, bool(integer.any()))
    values: dict[str, np.ndarray] = {}
    duals: dict[str, np.ndarray] = {}
    objective = float("nan")
    gap = float("nan")
    if status.has_solution:
        sol = h.getSolution()
        info = h.getInfo()
        objective = float(info.objective_function_value)
        gap = float(info.mip_gap) if integer.any() else 0.0
        col_value = np.asarray(sol.col_value)
        matrix = isinstance(sf, MatrixForm)
        if matrix:
            values = sf.values_by_component(col_value)
        else:
            positions = _component_positions(sf.columns, _var_sizes(model))
            values = _scatter(col_value, positions)
            _fill_absent(model, values, positions)
        row_dual = None
        if integer.any():
            row_dual = _fixed_integer_duals(highs_lp(sf)[0], integer, col_value, options)
        elif sol.dual_valid:
            row_dual = np.asarray(sol.row_dual)
        if row_dual is not None:
            if matrix:
                duals = sf.duals_by_component(row_dual)
            else:
                rows = (r.constraint for r in sf.rows)
                duals = _scatter(row_dual, _component_positions(rows, _con_sizes(model)))
        if load:
            _load(model, sf, col_value, values)
    t4 = time.perf_counter()
    return SolveResult(
        status=status,
        objective=objective,
        values=values,
        duals=duals,
        gap=gap,
        seconds=solve_s,
        n_variables=int(h.getNumCol()),
        n_constraints=int(h.getNumRow()),
        n_integers=int(integer.sum()),
        timings={"compile": t1 - t0, "handover": t2 - t1, "solve": t3 - t2, "extract": t4 - t3},
        highs_status=h.modelStatusToString(h.getModelStatus()),
    )
