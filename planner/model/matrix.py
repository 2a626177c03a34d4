"""Pyomo components whose data live in numpy arrays: the fast model's building blocks.

A model with millions of variables spends its build time creating one Python object per
variable and one expression per row. These components keep a real Pyomo model (a
`ConcreteModel` with `Var`, `Constraint` and `Objective` components that every Pyomo tool can
read) but hold the numbers as arrays and create the Pyomo data objects only when someone asks
for them:

    LazyVar            an indexed Var over 0..size-1; `model.x[k]` creates variable k on first
                       access (with its bounds and domain from the arrays); `len()` and iteration
                       cover every index, as for a dense Var
    MatrixConstraint   rows lb <= A x <= ub with A a scipy CSR matrix over the model's
                       `ColumnSpace`; `model.c[r]` builds row r's expression on first access,
                       so `body`, `set_value`, `deactivate` behave as for any constraint
    LinearObjective    min c' x + offset; its expression is built when first asked for

`planner.model.standard_form` hands such a model to HiGHS straight from the arrays, and reads
back every change made through Pyomo (fixed or re-bounded variables, replaced or deactivated
rows, a replaced objective).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyomo.environ as pyo
import scipy.sparse as sp
from pyomo.core.base.constraint import ConstraintData, IndexedConstraint
from pyomo.core.base.expression import ScalarExpression
from pyomo.core.base.objective import ScalarObjective
from pyomo.core.base.var import IndexedVar
from pyomo.core.expr.numeric_expr import LinearExpression


@dataclass(frozen=True)
class VarBlock:
    """One variable family: `size` variables with bounds and integrality as arrays."""

    name: str
    size: int
    lb: np.ndarray  # (size,) -inf allowed
    ub: np.ndarray  # (size,) inf allowed
    domain: object  # the Pyomo domain of every variable of the family
    integer: bool  # the domain is integer (binaries included)
    scalar: bool = False  # a single unindexed variable (size 1), e.g. CVaR's eta


@dataclass
class Rows:
    """One constraint family as coordinates: entry (row, col, val), row bounds lb <= . <= ub.

    `col` is a global column of the ColumnSpace; `labels` (when given) become the model's
    `<name>_rows` list, mapping a row to what it limits (warehouse, week, scenario, ...).
    """

    name: str
    row: np.ndarray
    col: np.ndarray
    val: np.ndarray
    lb: np.ndarray
    ub: np.ndarray
    labels: list | None = None

    @property
    def n_rows(self) -> int:
        return len(self.lb)

    def matrix(self, n_cols: int) -> sp.csr_matrix:
        return stack_rows([self], n_cols)[0]


def _index_dtype(*maxima: int):
    """int32 indices when every value fits (half the memory traffic of int64), else int64."""
    return np.int32 if max(maxima, default=0) < np.iinfo(np.int32).max else np.int64


def stack_rows(
    families: list[Rows], n_cols: int, fmt: str = "csr"
) -> tuple[sp.csr_matrix | sp.csc_matrix, np.ndarray]:
    """All families' rows as one sparse matrix, CSR or CSC (one family after the other), and
    each family's first row (plus the total at the end)."""
    starts = np.cumsum([0] + [f.n_rows for f in families])
    nnz = sum(len(f.val) for f in families)
    dtype = _index_dtype(int(starts[-1]), n_cols, nnz)
    row = np.empty(nnz, dtype)
    col = np.empty(nnz, dtype)
    val = np.empty(nnz, np.float64)
    pos = 0
    for k, f in enumerate(families):
        n = len(f.val)
        row[pos : pos + n] = f.row
        if starts[k]:
            row[pos : pos + n] += starts[k]
        col[pos : pos + n] = f.col
        val[pos : pos + n] = f.val
        pos += n
    make = sp.csc_matrix if fmt == "csc" else sp.csr_matrix
    A = make((val, (row, col)), shape=(int(starts[-1]), n_cols))
    A.sum_duplicates()
    A.eliminate_zeros()
    return A, starts


def coo(*parts: tuple) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Concatenate (row, col, val) parts, each part broadcast to one shape (scalars too),
    written once into preallocated arrays."""
    parts = [tuple(np.asarray(a) for a in p) for p in parts]
    shapes = [np.broadcast_shapes(*(a.shape for a in p)) for p in parts]
    sizes = [int(np.prod(shape)) for shape in shapes]
    maxima = [int(a.max()) for p, n in zip(parts, sizes, strict=True) if n for a in p[:2]]
    dtype = _index_dtype(*maxima)
    total = sum(sizes)
    rows, cols, vals = np.empty(total, dtype), np.empty(total, dtype), np.empty(total)
    pos = 0
    for (r, c, v), shape, n in zip(parts, shapes, sizes, strict=True):
        rows[pos : pos + n].reshape(shape)[...] = r
        cols[pos : pos + n].reshape(shape)[...] = c
        vals[pos : pos + n].reshape(shape)[...] = v
        pos += n
    return rows, cols, vals


class ColumnSpace:
    """The model's columns: variable families one after the other, in declaration order."""

    def __init__(self, blocks: list[VarBlock]):
        self.blocks = blocks
        self.offset: dict[str, int] = {}
        pos = 0
        for b in blocks:
            self.offset[b.name] = pos
            pos += b.size
        self.size = pos

    def __getitem__(self, name: str) -> int:
        return self.offset[name]

    def variables(self, model, col: np.ndarray) -> list:
        """The Pyomo variables of global columns `col` (created on demand)."""
        col = np.asarray(col, dtype=np.int64)
        out = []
        for b, c in zip(self.block_of(col).tolist(), col.tolist(), strict=True):
            block = self.blocks[b]
            comp = getattr(model, block.name)
            out.append(comp if block.scalar else comp[c - self.offset[block.name]])
        return out

    def block_of(self, col: np.ndarray) -> np.ndarray:
        """Index into `blocks` of each global column."""
        starts = np.fromiter((self.offset[b.name] for b in self.blocks), np.int64, len(self.blocks))
        return np.searchsorted(starts, col, side="right") - 1


class _BlockBounds:
    """Bounds rule of a LazyVar (a class, not a closure, so that models pickle)."""

    def __init__(self, lb: np.ndarray, ub: np.ndarray):
        self.lb, self.ub = lb, ub

    def __call__(self, _model, k):
        lo, hi = float(self.lb[k]), float(self.ub[k])
        return (None if lo == -np.inf else lo, None if hi == np.inf else hi)


class LazyVar(IndexedVar):
    """Var indexed 0..size-1 whose variables are created on first access."""

    def __init__(self, block: VarBlock):
        super().__init__(
            pyo.RangeSet(0, block.size - 1),
            dense=False,
            domain=block.domain,
            bounds=_BlockBounds(block.lb, block.ub),
        )
        self._block = block

    def __len__(self) -> int:
        return self._block.size

    def __contains__(self, idx) -> bool:
        return isinstance(idx, (int, np.integer)) and 0 <= idx < self._block.size

    def keys(self, sort=None, ordered=None):
        return iter(range(self._block.size))


class MatrixConstraint(IndexedConstraint):
    """Rows lb <= A x <= ub of one constraint family, A in CSR form over the column space."""

    def __init__(
        self,
        A: sp.csr_matrix | None,
        lb: np.ndarray,
        ub: np.ndarray,
        columns: ColumnSpace,
        stacked: tuple[sp.spmatrix, int] | None = None,
    ):
        """Either `A` (this family's rows) or `stacked`: (the model-wide matrix, this family's
        first row in it); the hand-over then passes the model-wide matrix as it is, and the
        family's own CSR rows are cut from it only when someone asks for them."""
        if A is None and stacked is None:
            raise ValueError("MatrixConstraint needs its rows A or a model-wide matrix")
        self._A = None if A is None else A.tocsr()
        self._lb = np.asarray(lb, float)
        self._ub = np.asarray(ub, float)
        self._columns = columns
        self._stacked = stacked
        super().__init__(pyo.RangeSet(0, len(self._lb) - 1))

    @property
    def matrix(self) -> sp.csr_matrix:
        """This family's rows (CSR), over the model's column space."""
        if self._A is None:
            base, start = self._stacked
            self._A = sp.csr_matrix(base[start : start + len(self._lb)])
        return self._A

    def construct(self, data=None):
        self._constructed = True  # rows are created on access

    def __len__(self) -> int:
        return len(self._lb)

    def __contains__(self, idx) -> bool:
        return isinstance(idx, (int, np.integer)) and 0 <= idx < len(self._lb)

    def keys(self, sort=None, ordered=None):
        return iter(range(len(self._lb)))

    def _getitem_when_not_present(self, idx):
        if idx not in self:
            raise KeyError(f"Index '{idx}' is not valid for constraint '{self.name}'")
        r = int(idx)
        A = self.matrix
        lo, hi = A.indptr[r], A.indptr[r + 1]
        variables = self._columns.variables(self.parent_block(), A.indices[lo:hi])
        body = LinearExpression(
            constant=0.0, linear_coefs=A.data[lo:hi].tolist(), linear_vars=variables
        )
        lb, ub = self._lb[r], self._ub[r]
        if lb == ub:
            expr = body == float(lb)
        elif lb == -np.inf:
            expr = body <= float(ub)
        elif ub == np.inf:
            expr = body >= float(lb)
        else:
            expr = pyo.inequality(float(lb), body, float(ub))
        data = RowData(component=self)
        data._index = r
        self._data[r] = data
        data.set_value(expr)
        data._pristine = True
        return data

    def changed_rows(self) -> tuple[list[int], list[int]]:
        """Rows created so far that were deactivated, and rows whose expression was replaced."""
        off, replaced = [], []
        for r, con in self._data.items():
            if not con.active:
                off.append(r)
            elif not con._pristine:
                replaced.append(r)
        return off, replaced


class RowData(ConstraintData):
    """A row of a MatrixConstraint; remembers whether its expression was replaced."""

    __slots__ = ("_pristine",)

    def __init__(self, expr=None, component=None):
        self._pristine = False
        super().__init__(expr, component)

    def set_value(self, expr):
        self._pristine = False
        super().set_value(expr)


class _LazyLinear:
    """Mixin of a named expression c'x + offset over the column space, built on demand."""

    def _start(self, cost: np.ndarray, offset: float, columns: ColumnSpace) -> None:
        self._matrix_cost = np.asarray(cost, float)
        self._offset = float(offset)
        self._columns = columns

    def construct(self, data=None):
        cost = self._matrix_cost
        super().construct(data)
        self._cost = cost
        self._pending = True

    # `_args_` (a slot of Pyomo's named expressions, read directly by the expression walkers)
    # is built on first read
    @property
    def _args_(self):
        if self.__dict__.get("_pending", False):
            self._pending = False
            self.__dict__["_lazy_args"] = (self._build(),)
        return self.__dict__["_lazy_args"]

    @_args_.setter
    def _args_(self, value):
        self.__dict__["_lazy_args"] = value

    def _build(self):
        nz = np.flatnonzero(self._cost)
        return LinearExpression(
            constant=self._offset,
            linear_coefs=self._cost[nz].tolist(),
            linear_vars=self._columns.variables(self.parent_block(), nz),
        )

    def set_value(self, expr):
        self._pending = False
        self._cost = None  # the hand-over reads the new expression
        return super().set_value(expr)

    @property
    def cost_vector(self) -> np.ndarray | None:
        """The cost per column, or None once the expression was replaced."""
        return getattr(self, "_cost", None)


class LinearObjective(_LazyLinear, ScalarObjective):
    """minimise cost' x + offset over the column space; the expression is built on demand."""

    def __init__(self, cost: np.ndarray, offset: float, columns: ColumnSpace):
        ScalarObjective.__init__(self, expr=0.0, sense=pyo.minimize)
        self._start(cost, offset, columns)


class LinearCost(_LazyLinear, ScalarExpression):
    """A named expression cost' x + offset (e.g. the first-stage cost), built on demand."""

    def __init__(self, cost: np.ndarray, offset: float, columns: ColumnSpace):
        ScalarExpression.__init__(self, expr=0.0)
        self._start(cost, offset, columns)
