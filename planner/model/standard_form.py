"""Hand-over of a matrix-built model: the LP's arrays read straight from its components.

    form = matrix_form(model)   # A (rows x columns), bounds, costs, integrality, row families

The constraint matrix is the stack of the `MatrixConstraint` blocks; nothing walks an
expression unless the model was changed through Pyomo, and every such change is honoured:

- a variable that was fixed, re-bounded or given another domain (`model.order_first[3].fix(5)`)
  takes its current bounds (a fixed one lb = ub = its value);
- a deactivated row or component is left out; a row whose expression was replaced
  (`con.set_value(...)`) is compiled from its new expression;
- constraints, variables and objectives added with ordinary Pyomo components are compiled from
  their expressions (Pyomo's `generate_standard_repn`), so the model may be extended freely;
- a replaced objective is compiled from its expression.

The result also answers the questions `planner.diagnose` asks of Pyomo's standard form (rows
in mixed form with `bound_type`, `rhs`, `columns`), so diagnoses work on either kind of model.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pyomo.environ as pyo
import scipy.sparse as sp
from pyomo.repn.standard_repn import generate_standard_repn

from planner.model.matrix import ColumnSpace, LazyVar, LinearObjective, MatrixConstraint


@dataclass(frozen=True)
class _Ref:
    """A component data stand-in: its component and its index (for diagnoses)."""

    component: object
    idx: object

    def parent_component(self):
        return self.component

    def index(self):
        return self.idx


@dataclass(frozen=True)
class _RowRef:
    constraint: _Ref
    bound_type: int  # 0 '== rhs', 1 '<= rhs', -1 '>= rhs'


@dataclass
class MatrixForm:
    """The LP/MILP min c'x + offset, row_lo <= A x <= row_hi, col_lo <= x <= col_hi.

    Every row is one-sided or an equality (ranged rows are split in two, as in Pyomo's mixed
    standard form): `kind` 0 is `==`, 1 `<=`, -1 `>=`; `rhs` its bound.
    """

    A: sp.spmatrix  # CSC (the model-wide matrix, unchanged) or CSR
    kind: np.ndarray  # (m,) int8
    rhs: np.ndarray  # (m,)
    cost: np.ndarray  # (n,)
    offset: float
    col_lo: np.ndarray
    col_hi: np.ndarray
    integer: np.ndarray  # (n,) bool
    maximize: bool
    components: list  # constraint components, in row order
    row_code: np.ndarray  # (m,) position in `components` of each row's component
    row_index: np.ndarray  # (m,) int: index of the row in its component (scalar: 0)
    var_blocks: dict[str, tuple[int, int]]  # Var component name -> (first column, size)
    extra_columns: list = field(default_factory=list)  # (column, VarData) outside the blocks
    var_components: dict[str, object] = field(default_factory=dict)

    @property
    def n_rows(self) -> int:
        return self.A.shape[0]

    @property
    def n_cols(self) -> int:
        return self.A.shape[1]

    @property
    def row_lo(self) -> np.ndarray:
        return np.where(self.kind == 1, -np.inf, self.rhs)

    @property
    def row_hi(self) -> np.ndarray:
        return np.where(self.kind == -1, np.inf, self.rhs)

    # ------------------------------------------------ Pyomo standard-form look-alike
    @cached_property
    def rows(self) -> list[_RowRef]:
        out = []
        for code, idx, kind in zip(
            self.row_code.tolist(), self.row_index.tolist(), self.kind.tolist(), strict=True
        ):
            comp = self.components[code]
            out.append(_RowRef(_Ref(comp, idx if comp.is_indexed() else None), int(kind)))
        return out

    @cached_property
    def columns(self) -> list[_Ref]:
        out: list = [None] * self.n_cols
        for name, (start, size) in self.var_blocks.items():
            comp = self.var_components[name]
            for k in range(size):
                out[start + k] = _Ref(comp, k if comp.is_indexed() else None)
        for col, v in self.extra_columns:
            out[col] = v
        return out

    def values_by_component(self, x: np.ndarray) -> dict[str, np.ndarray]:
        """Column values as arrays per Var component, in the component's flat index order."""
        out = {name: np.asarray(x[s : s + n], float) for name, (s, n) in self.var_blocks.items()}
        extra: dict[str, dict] = {}
        for col, v in self.extra_columns:
            idx = v.index()
            key = 0 if idx is None else int(idx)
            extra.setdefault(v.parent_component().local_name, {})[key] = float(x[col])
        for name, vals in extra.items():
            arr = np.zeros(max(vals) + 1)
            arr[list(vals)] = list(vals.values())
            out[name] = arr
        return out

    def duals_by_component(self, y: np.ndarray) -> dict[str, np.ndarray]:
        """Row duals per constraint component, by row index (split ranged rows summed)."""
        out = {}
        for code, comp in enumerate(self.components):
            arr = np.zeros(max(len(comp), 1) if not comp.is_indexed() else len(comp))
            pos = np.flatnonzero(self.row_code == code)
            np.add.at(arr, self.row_index[pos], y[pos])
            out[comp.local_name] = arr
        return out


def _bound(value, default: float) -> float:
    v = pyo.value(value) if value is not None else None
    return default if v is None else float(v)


class _Columns:
    """Column numbering: the model's ColumnSpace, then any other variable met in a row."""

    def __init__(self, space: ColumnSpace, model: pyo.ConcreteModel):
        self.space = space
        self.model = model
        self.extra: list = []
        self.extra_col: dict[int, int] = {}

    def of(self, v) -> int:
        comp = v.parent_component()
        name = comp.local_name
        if name in self.space.offset and comp.parent_block() is self.model:
            if isinstance(comp, LazyVar):
                return self.space[name] + int(v.index())
            if not comp.is_indexed():  # a scalar block
                return self.space[name]
        col = self.extra_col.get(id(v))
        if col is None:
            col = self.extra_col[id(v)] = self.space.size + len(self.extra)
            self.extra.append(v)
        return col


def _linear(expr, cols: _Columns, what: str) -> tuple[list[int], list[float], float]:
    repn = generate_standard_repn(expr, compute_values=True, quadratic=False)
    if not repn.is_linear():
        raise ValueError(f"{what} is not linear: the model must be an LP/MILP")
    coefs = [float(c) for c in repn.linear_coefs]
    return [cols.of(v) for v in repn.linear_vars], coefs, float(repn.constant)


def matrix_form(model: pyo.ConcreteModel) -> MatrixForm:
    """The arrays of a model built by `planner.model.build_matrix` (changes included)."""
    space: ColumnSpace = model._columns
    cols = _Columns(space, model)
    blocks, row_lo, row_hi, comps, codes, indexes = [], [], [], [], [], []
    extra_rows: list[tuple[int, list[int], list[float]]] = []
    n_rows = 0
    for con in model.component_objects(pyo.Constraint, active=True, descend_into=True):
        code = len(comps)
        comps.append(con)
        if isinstance(con, MatrixConstraint) and con.parent_block() is model:
            lo, hi = con._lb, con._ub
            off, replaced = con.changed_rows()
            unchanged = con._stacked is not None and not off and not replaced
            if unchanged:  # its rows of the model-wide matrix, as they are
                blocks.append((*con._stacked, len(lo)))
                row_lo.append(lo)
                row_hi.append(hi)
                codes.append(np.full(len(lo), code, np.int32))
                indexes.append(np.arange(len(lo), dtype=np.int64))
                n_rows += len(lo)
                continue
            A = con.matrix
            keep = np.ones(A.shape[0], bool)
            keep[off] = False
            if replaced:
                A, lo, hi = A.tolil(copy=True), lo.copy(), hi.copy()
                for r in replaced:
                    row = con[r]
                    idx, coef, const = _linear(row.body, cols, f"row {con.name}[{r}]")
                    A.rows[r], A.data[r] = [], []
                    extra_rows.append((n_rows + int(keep[:r].sum()), idx, coef))
                    lo[r] = _bound(row.lower, -np.inf) - const
                    hi[r] = _bound(row.upper, np.inf) - const
                A = A.tocsr()
            if keep.all():
                rows = np.arange(A.shape[0], dtype=np.int64)
            else:
                rows = np.flatnonzero(keep)
                A, lo, hi = A[rows], lo[rows], hi[rows]
            blocks.append(A)
            row_lo.append(lo)
            row_hi.append(hi)
            codes.append(np.full(len(rows), code, np.int32))
            indexes.append(rows)
            n_rows += len(rows)
            continue
        for idx, data in con.items():
            if not data.active:
                continue
            cidx, coef, const = _linear(data.body, cols, f"constraint {data.name}")
            extra_rows.append((n_rows, cidx, coef))
            blocks.append(None)
            row_lo.append(np.array([_bound(data.lower, -np.inf) - const]))
            row_hi.append(np.array([_bound(data.upper, np.inf) - const]))
            codes.append(np.full(1, code, np.int32))
            indexes.append(np.array([0 if idx is None else int(idx)], np.int64))
            n_rows += 1
    cost, offset, maximize = _objective(model, space, cols)
    n_cols = space.size + len(cols.extra)
    A = _stack(blocks, row_lo, extra_rows, n_rows, n_cols)
    cost = np.concatenate([cost, np.zeros(n_cols - len(cost))])
    lo = np.concatenate(row_lo) if row_lo else np.zeros(0)
    hi = np.concatenate(row_hi) if row_hi else np.zeros(0)
    code = np.concatenate(codes) if codes else np.zeros(0, np.int32)
    index = np.concatenate(indexes) if indexes else np.zeros(0, np.int64)
    col_lo, col_hi, integer = _column_bounds(model, space, cols)
    kind, rhs, A, code, index = _mixed(A, lo, hi, code, index)
    return MatrixForm(
        A=A,
        kind=kind,
        rhs=rhs,
        cost=cost,
        offset=offset,
        col_lo=col_lo,
        col_hi=col_hi,
        integer=integer,
        maximize=maximize,
        components=comps,
        row_code=code,
        row_index=index,
        var_blocks={b.name: (space[b.name], b.size) for b in space.blocks},
        extra_columns=[(space.size + k, v) for k, v in enumerate(cols.extra)],
        var_components={b.name: getattr(model, b.name) for b in space.blocks},
    )


def _stack(blocks, row_lo, extra_rows, n_rows: int, n_cols: int) -> sp.spmatrix:
    """One sparse matrix: the model-wide one as it is when nothing changed (CSC), else the
    blocks in order with the rows compiled from expressions added (CSR)."""
    whole = _whole_stack(blocks, n_rows, n_cols)
    if whole is not None and not extra_rows:
        return whole
    parts = []
    for A, lo in zip(blocks, row_lo, strict=True):
        if isinstance(A, tuple):  # an unchanged family: its rows of the model-wide matrix
            base, start, size = A
            A = sp.csr_matrix(base[start : start + size])
        if A is None:
            parts.append(sp.csr_matrix((len(lo), n_cols)))
        else:
            if A.shape[1] < n_cols:
                A = A.copy()
                A.resize((A.shape[0], n_cols))
            parts.append(A)
    if not parts:
        return sp.csr_matrix((0, n_cols))
    A = parts[0] if len(parts) == 1 else sp.vstack(parts, format="csr")
    if extra_rows:
        r = np.concatenate([np.full(len(idx), row) for row, idx, _ in extra_rows]).astype(np.int64)
        c = np.concatenate([np.asarray(idx, np.int64) for _, idx, _ in extra_rows])
        v = np.concatenate([np.asarray(coef, float) for _, _, coef in extra_rows])
        A = (A + sp.csr_matrix((v, (r, c)), shape=(n_rows, n_cols))).tocsr()
        A.sum_duplicates()
    return A


def _whole_stack(blocks, n_rows: int, n_cols: int) -> sp.csr_matrix | None:
    """The model-wide matrix itself, when the blocks are all of its rows, in order."""
    if not blocks or not all(isinstance(b, tuple) for b in blocks):
        return None
    base = blocks[0][0]
    pos = 0
    for b, start, size in blocks:
        if b is not base or start != pos:
            return None
        pos += size
    if pos != base.shape[0] or base.shape != (n_rows, n_cols):
        return None
    return base


def _objective(model, space: ColumnSpace, cols: _Columns) -> tuple[np.ndarray, float, bool]:
    objs = list(model.component_data_objects(pyo.Objective, active=True))
    if len(objs) != 1:
        raise ValueError(f"the model must have exactly one active objective; it has {len(objs)}")
    obj = objs[0]
    maximize = obj.sense == pyo.maximize
    if isinstance(obj, LinearObjective) and obj.cost_vector is not None:
        return obj.cost_vector.copy(), obj._offset, maximize
    idx, coef, const = _linear(obj.expr, cols, f"objective {obj.name}")
    cost = np.zeros(space.size + len(cols.extra))
    np.add.at(cost, np.asarray(idx, np.int64), np.asarray(coef, float))
    return cost, const, maximize


def _column_bounds(model, space: ColumnSpace, cols: _Columns):
    """Bounds and integrality per column: the blocks' arrays, then every created variable's own
    (current) bounds, domain and fixed value."""
    lo = np.concatenate([b.lb for b in space.blocks] + [np.zeros(len(cols.extra))])
    hi = np.concatenate([b.ub for b in space.blocks] + [np.zeros(len(cols.extra))])
    integer = np.concatenate(
        [np.full(b.size, b.integer) for b in space.blocks] + [np.zeros(len(cols.extra), bool)]
    )
    created = []
    for b in space.blocks:
        comp = getattr(model, b.name)
        if b.scalar:
            created.append((space[b.name], comp))
        else:
            created += [(space[b.name] + int(k), v) for k, v in comp._data.items()]
    created += [(space.size + k, v) for k, v in enumerate(cols.extra)]
    for col, v in created:
        if v.fixed:
            lo[col] = hi[col] = float(v.value)
        else:
            lo[col] = -np.inf if v.lb is None else float(v.lb)
            hi[col] = np.inf if v.ub is None else float(v.ub)
        integer[col] = v.is_integer() or v.is_binary()
    return lo, hi, integer


def _mixed(A: sp.csr_matrix, lo: np.ndarray, hi: np.ndarray, code: np.ndarray, index):
    """Rows as '==', '<=' or '>=' (a ranged row becomes two rows; a free row is left out)."""
    eq = lo == hi
    has_lo, has_hi = np.isfinite(lo), np.isfinite(hi)
    if not (has_lo & has_hi & ~eq).any() and (eq | has_lo | has_hi).all():
        kind = np.where(eq, 0, np.where(has_hi, 1, -1)).astype(np.int8)
        rhs = np.where(kind == -1, lo, hi)
        return kind, rhs, A, code, index
    out_rows, kind, rhs = [], [], []
    for r in range(len(lo)):
        if eq[r]:
            out_rows.append(r), kind.append(0), rhs.append(hi[r])
            continue
        if has_lo[r]:
            out_rows.append(r), kind.append(-1), rhs.append(lo[r])
        if has_hi[r]:
            out_rows.append(r), kind.append(1), rhs.append(hi[r])
    sel = np.asarray(out_rows, np.int64)
    return np.asarray(kind, np.int8), np.asarray(rhs, float), A[sel], code[sel], index[sel]
