"""Why is the plan infeasible? Name the constraint families, rows and amounts in conflict.

    diagnosis = diagnose_infeasibility(model, describe={"supplier_capacity": describe_row})
    raise InfeasibleError(diagnosis.message(), families=diagnosis.families)

Works on any Pyomo model, through its standard form (`planner.solve.compile_model`): every
constraint component is a family (its `local_name`), every row of it one constraint. Families
named in `hard_families` are definitions (stock balance: what arrives minus what is sold is
what is left) and are never relaxed; every other family is soft-able.

1. The elastic LP: one nonnegative slack per direction a soft row may be violated in (`<=`
   rows may exceed their limit, `>=` rows fall short of their minimum, `==` rows both), the
   original bounds and integrality kept, minimise the total slack. Zero means the model is not
   infeasible (ValueError). If even the elastic LP is infeasible, the hard families and the
   variable bounds conflict on their own.
2. The rows in conflict: HiGHS's irreducible infeasible subsystem (IIS) when the model is an
   LP and this highspy has `Highs.getIis`; otherwise (or when the IIS comes back empty) the
   rows whose elastic duals are not zero (a Farkas certificate). Families relaxed by the
   elastic solution are added, so that every independent conflict is covered.
3. For every soft family in conflict, the elastic LP relaxing that family alone: whether it
   can resolve the conflict by itself, and by how much (total violation, the rows that give
   way, largest first). These are the amounts a planner acts on ("supplier S1 needs 420 more
   units in weeks ..."); the least joint relaxation of step 1 is reported too.

Row descriptions come from `describe[family](index)` (the index of the constraint in its
component, e.g. a position in `model.warehouse_capacity_rows`); without a describer a row is
`family[index]`. `units[family]` names the unit of a family's amounts.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import highspy
import numpy as np
import pyomo.environ as pyo
import scipy.sparse as sp
from pyomo.common.errors import InfeasibleConstraintException
from pyomo.core.expr.visitor import identify_variables

from planner.solve import compile_model, highs_lp, new_highs

FEASIBILITY_TOL = 1e-6
"""A row counts as relaxed when its slack exceeds this (relative to max(1, |rhs|))."""
DUAL_TOL = 1e-9

Describer = Callable[[int], str]


@dataclass(frozen=True)
class FamilyConflict:
    """One soft constraint family in the conflict."""

    family: str
    rows_in_conflict: int  # rows of the family in the IIS (or the elastic certificate)
    resolves_alone: bool | None  # relaxing it alone makes the model feasible (None: not
    # settled within the time limit)
    rows_relaxed: int  # rows that give way (alone if it resolves alone, else jointly)
    violation: float  # their total violation, in the family's unit
    examples: tuple[str, ...]  # the rows that give way, largest first, with their amounts
    relaxations: tuple[tuple[Any, float], ...] = ()
    """Every row that gives way, largest first: (index in the component, amount); a positive
    amount lets the row exceed its upper limit, a negative one fall below its lower limit."""


@dataclass(frozen=True)
class Diagnosis:
    """What conflicts, in a planner's words. `families` are the ones to act on."""

    families: tuple[str, ...]
    lines: list[str]
    conflicts: tuple[FamilyConflict, ...] = ()
    joint: dict[str, float] = field(default_factory=dict)  # least joint relaxation by family
    hard: tuple[str, ...] = ()  # hard families in the conflict
    bounds: tuple[str, ...] = ()  # variables whose bounds are in the conflict (IIS only)
    method: str = "elastic"  # "iis", "elastic", "hard", "trivial" or "incomplete"
    headline: str = ""

    def message(self) -> str:
        """A multi-line text: the headline, then one line per family."""
        return "\n".join([self.headline, *(f"  - {line}" for line in self.lines)])


# ---------------------------------------------------------------- formatting


def _amount(x: float, unit: str = "") -> str:
    if abs(x) >= 100:
        text = f"{x:,.0f}"
    else:
        text = f"{x:.2f}".rstrip("0").rstrip(".")
        if text in ("0", "-0"):
            text = f"{x:.3g}"
    return f"{text} {unit}" if unit else text


def _and(names: Sequence[str]) -> str:
    names = list(names)
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def _rows_word(n: int) -> str:
    return f"{n} row{'s' if n != 1 else ''}"


# ---------------------------------------------------------------- the LP in arrays


@dataclass
class _Lp:
    A: sp.csc_array  # (m, n)
    kind: np.ndarray  # (m,) 0 ==, 1 <=, -1 >=
    rhs: np.ndarray  # (m,)
    family: np.ndarray  # (m,) object: component local_name
    index: list  # (m,) index of the constraint in its component (None for scalar ones)
    base: highspy.HighsLp  # the original model
    integer: np.ndarray  # (n,) bool
    column_family: np.ndarray  # (n,) object: variable component local_name

    @property
    def m(self) -> int:
        return len(self.kind)


def _arrays(model: pyo.ConcreteModel) -> _Lp:
    sf = compile_model(model)
    base, integer = highs_lp(sf)
    A = sf.A.tocsc() if sf.A.format != "csc" else sf.A
    rows = sf.rows
    family = np.asarray([r.constraint.parent_component().local_name for r in rows], dtype=object)
    index = [r.constraint.index() for r in rows]
    kind = np.fromiter((r.bound_type for r in rows), np.int64, len(rows))
    columns = np.asarray([v.parent_component().local_name for v in sf.columns], dtype=object)
    return _Lp(
        A=A,
        kind=kind,
        rhs=np.asarray(sf.rhs, dtype=float),
        family=family,
        index=index,
        base=base,
        integer=integer,
        column_family=columns,
    )


@dataclass
class _Elastic:
    status: str  # "optimal", "infeasible" or "incomplete"
    over: np.ndarray  # (m,) amount above a row's upper limit
    under: np.ndarray  # (m,) amount below a row's lower limit
    row_dual: np.ndarray | None

    def relaxed(self, lp: _Lp) -> np.ndarray:
        scale = np.maximum(1.0, np.abs(lp.rhs))
        return (self.over + self.under) > FEASIBILITY_TOL * scale


def _highs(time_limit_s: float) -> highspy.Highs:
    h = new_highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("time_limit", max(float(time_limit_s), 1e-3))
    return h


def _solve_elastic(lp: _Lp, soft: np.ndarray, time_limit_s: float) -> _Elastic:
    """Minimise the total violation of the `soft` rows; the other rows and bounds hold."""
    up = np.flatnonzero(soft & (lp.kind >= 0))  # may exceed the upper limit: A x - s <= b
    down = np.flatnonzero(soft & (lp.kind <= 0))  # may fall below the lower limit: A x + s >= b
    n_slack = len(up) + len(down)
    m, n = lp.A.shape
    slack = sp.csc_array(
        (
            np.concatenate([-np.ones(len(up)), np.ones(len(down))]),
            (np.concatenate([up, down]), np.arange(n_slack)),
        ),
        shape=(m, n_slack),
    )
    A = sp.hstack([lp.A, slack], format="csc")
    base = lp.base
    el = highspy.HighsLp()
    el.num_col_ = n + n_slack
    el.num_row_ = m
    el.col_cost_ = np.concatenate([np.zeros(n), np.ones(n_slack)])
    el.col_lower_ = np.concatenate([np.asarray(base.col_lower_, float), np.zeros(n_slack)])
    el.col_upper_ = np.concatenate(
        [np.asarray(base.col_upper_, float), np.full(n_slack, highspy.kHighsInf)]
    )
    el.row_lower_ = np.asarray(base.row_lower_, float)
    el.row_upper_ = np.asarray(base.row_upper_, float)
    el.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    el.a_matrix_.start_ = A.indptr
    el.a_matrix_.index_ = A.indices
    el.a_matrix_.value_ = A.data
    if lp.integer.any():
        integrality = np.concatenate([lp.integer, np.zeros(n_slack, bool)])
        el.integrality_ = [
            highspy.HighsVarType.kInteger if f else highspy.HighsVarType.kContinuous
            for f in integrality
        ]
    h = _highs(time_limit_s)
    h.passModel(el)
    h.run()
    status = h.getModelStatus()
    over = np.zeros(m)
    under = np.zeros(m)
    if status == highspy.HighsModelStatus.kInfeasible:
        return _Elastic("infeasible", over, under, None)
    if status != highspy.HighsModelStatus.kOptimal:
        return _Elastic("incomplete", over, under, None)
    sol = h.getSolution()
    values = np.asarray(sol.col_value)[n:]
    over[up] = np.maximum(values[: len(up)], 0.0)
    under[down] = np.maximum(values[len(up) :], 0.0)
    dual = np.asarray(sol.row_dual) if sol.dual_valid and not lp.integer.any() else None
    return _Elastic("optimal", over, under, dual)


def _iis(lp: _Lp, active: np.ndarray, time_limit_s: float) -> tuple[np.ndarray, np.ndarray] | None:
    """Rows and columns (as boolean masks) of an IIS of the LP restricted to `active` rows.

    None when this highspy has no IIS, the model has integers, or the IIS is not found.
    """
    if lp.integer.any() or not hasattr(highspy.Highs, "getIis"):
        return None
    base = lp.base
    lo = np.where(active, np.asarray(base.row_lower_, float), -highspy.kHighsInf)
    hi = np.where(active, np.asarray(base.row_upper_, float), highspy.kHighsInf)
    h = _highs(time_limit_s)
    strategy = getattr(highspy, "IisStrategy", None)
    if strategy is None:
        return None
    code = int(strategy.kIisStrategyFromLp) | int(strategy.kIisStrategyIrreducible)
    if h.setOptionValue("iis_strategy", code) != highspy.HighsStatus.kOk:
        return None
    h.passModel(base)
    h.changeRowsBounds(len(lo), np.arange(len(lo), dtype=np.int32), lo, hi)
    h.run()
    if h.getModelStatus() != highspy.HighsModelStatus.kInfeasible:
        return None
    status, iis = h.getIis()
    if status != highspy.HighsStatus.kOk or not iis.valid_:
        return None
    rows = np.zeros(lp.m, bool)
    rows[np.asarray(iis.row_index_, dtype=np.int64)] = True
    cols = np.zeros(lp.A.shape[1], bool)
    cols[np.asarray(iis.col_index_, dtype=np.int64)] = True
    if not rows.any() and not cols.any():
        return None
    return rows, cols


# ---------------------------------------------------------------- descriptions


class _Describer:
    def __init__(self, lp: _Lp, describe: Mapping[str, Describer] | None, units, max_rows):
        self.lp = lp
        self.describe = describe or {}
        self.units = units or {}
        self.max_rows = max_rows

    def row(self, r: int) -> str:
        fam, idx = str(self.lp.family[r]), self.lp.index[r]
        if idx is None:
            return fam
        fn = self.describe.get(fam)
        return fn(idx) if fn is not None else f"{fam}[{idx}]"

    def amount(self, r: int, over: float, under: float) -> str:
        unit = self.units.get(str(self.lp.family[r]), "")
        kind = self.lp.kind[r]
        if over > under:
            verb = "over its limit by" if kind == 1 else "above its required value by"
            return f"{verb} {_amount(over, unit)}"
        verb = "short of its minimum by" if kind == -1 else "below its required value by"
        return f"{verb} {_amount(under, unit)}"

    def examples(self, rows: np.ndarray, el: _Elastic | None) -> tuple[str, ...]:
        """Descriptions of `rows` (largest violation first when amounts are known)."""
        if el is not None:
            size = el.over[rows] + el.under[rows]
            rows = rows[np.argsort(-size, kind="stable")]
        shown = []
        for r in rows[: self.max_rows].tolist():
            text = self.row(r)
            if el is not None:
                text += f" {self.amount(r, el.over[r], el.under[r])}"
            shown.append(text)
        return tuple(shown)

    def listing(self, rows: np.ndarray, el: _Elastic | None) -> str:
        more = len(rows) - self.max_rows
        text = "; ".join(self.examples(rows, el))
        return text + (f" (+{more} more)" if more > 0 else "")


# ---------------------------------------------------------------- the diagnosis


def diagnose_infeasibility(
    model: pyo.ConcreteModel,
    describe: Mapping[str, Describer] | None = None,
    *,
    hard_families: Sequence[str] = ("stock_balance",),
    units: Mapping[str, str] | None = None,
    time_limit_s: float = 60.0,
    max_rows: int = 5,
    use_iis: bool = True,
) -> Diagnosis:
    """Diagnose an infeasible Pyomo model: which constraint families conflict, where, how much.

    `describe[family](index)` turns a constraint's index into a planner's words ("supplier
    S1, week 2026-11-30"); `units[family]` is the unit of its amounts ("units", "m3"). Families
    in `hard_families` are never relaxed. `time_limit_s` bounds the whole diagnosis (an
    unfinished one says so, method "incomplete"); `max_rows` rows are described per family.
    Raises ValueError when the model is not infeasible (every constraint can hold at once).
    """
    deadline = time.perf_counter() + time_limit_s

    def remaining() -> float:
        return deadline - time.perf_counter()

    try:
        lp = _arrays(model)
    except InfeasibleConstraintException:
        return _trivial(model, describe, units, max_rows)
    text = _Describer(lp, describe, units, max_rows)
    hard_set = set(hard_families)
    is_hard = np.fromiter((f in hard_set for f in lp.family), bool, lp.m)
    soft = ~is_hard
    order = list(dict.fromkeys(lp.family.tolist()))  # families in model order

    joint = _solve_elastic(lp, soft, remaining())
    if joint.status == "incomplete":
        return _incomplete(time_limit_s)
    if joint.status == "infeasible":
        return _hard_only(lp, is_hard, text, use_iis, remaining())
    relaxed = joint.relaxed(lp)
    if not relaxed.any():
        raise ValueError(
            "the model is not infeasible: every constraint can hold at once "
            "(the elastic re-solve needs no relaxation)"
        )

    method = "elastic"
    found = _iis(lp, np.ones(lp.m, bool), remaining()) if use_iis else None
    if found is not None and found[0].any():
        in_conflict, iis_cols = found
        method = "iis"
    else:
        iis_cols = np.zeros(lp.A.shape[1], bool)
        in_conflict = relaxed.copy()
        if joint.row_dual is not None:
            in_conflict |= np.abs(joint.row_dual) > DUAL_TOL
    in_conflict |= relaxed

    soft_families = [f for f in order if f not in hard_set and in_conflict[lp.family == f].any()]
    conflicts = []
    for fam in soft_families:
        rows_of = lp.family == fam
        conflicts.append(
            _family_conflict(
                lp, fam, rows_of, in_conflict, joint, text, len(soft_families), remaining
            )
        )
    joint_by_family = {
        f: float((joint.over + joint.under)[lp.family == f].sum())
        for f in order
        if (relaxed & (lp.family == f)).any()
    }
    hard = tuple(f for f in order if f in hard_set and in_conflict[lp.family == f].any())
    bounds = tuple(dict.fromkeys(lp.column_family[iis_cols].tolist()))
    families = tuple(c.family for c in conflicts)
    lines = [_conflict_line(c, units) for c in conflicts]
    if len(conflicts) > 1 or not all(c.resolves_alone is True for c in conflicts):
        parts = [
            f"{f} by {_amount(v, (units or {}).get(f, ''))}" for f, v in joint_by_family.items()
        ]
        lines.append(f"the smallest total relaxation: {_and(parts)}")
    if bounds:
        lines.append(f"variable bounds in the conflict: {_and(bounds)}")
    return Diagnosis(
        families=families,
        lines=lines,
        conflicts=tuple(conflicts),
        joint=joint_by_family,
        hard=hard,
        bounds=bounds,
        method=method,
        headline=_headline(conflicts, hard),
    )


def _family_conflict(
    lp: _Lp,
    fam: str,
    rows_of: np.ndarray,
    in_conflict: np.ndarray,
    joint: _Elastic,
    text: _Describer,
    n_families: int,
    remaining: Callable[[], float],
) -> FamilyConflict:
    joint_rows = np.flatnonzero(joint.relaxed(lp) & rows_of)
    if n_families == 1 and len(joint_rows):
        alone = joint  # the joint relaxation already relaxed this family only
    else:
        alone = _solve_elastic(lp, rows_of, remaining())
    if alone.status == "optimal":
        rows = np.flatnonzero(alone.relaxed(lp) & rows_of)
        return FamilyConflict(
            family=fam,
            rows_in_conflict=int((in_conflict & rows_of).sum()),
            resolves_alone=True,
            rows_relaxed=len(rows),
            violation=float((alone.over + alone.under)[rows].sum()),
            examples=text.examples(rows, alone),
            relaxations=_relaxations(lp, rows, alone),
        )
    rows = joint_rows if len(joint_rows) else np.flatnonzero(in_conflict & rows_of)
    return FamilyConflict(
        family=fam,
        rows_in_conflict=int((in_conflict & rows_of).sum()),
        resolves_alone=False if alone.status == "infeasible" else None,
        rows_relaxed=len(joint_rows),
        violation=float((joint.over + joint.under)[joint_rows].sum()),
        examples=text.examples(rows, joint if len(joint_rows) else None),
        relaxations=_relaxations(lp, joint_rows, joint),
    )


def _relaxations(lp: _Lp, rows: np.ndarray, el: _Elastic) -> tuple[tuple[Any, float], ...]:
    signed = el.over[rows] - el.under[rows]
    order = np.argsort(-np.abs(signed), kind="stable")
    return tuple((lp.index[r], float(v)) for r, v in zip(rows[order], signed[order], strict=True))


def _conflict_line(c: FamilyConflict, units: Mapping[str, str] | None) -> str:
    unit = (units or {}).get(c.family, "")
    shown = "; ".join(c.examples)
    more = (
        c.rows_relaxed - len(c.examples) if c.rows_relaxed else c.rows_in_conflict - len(c.examples)
    )
    if more > 0:
        shown += f" (+{more} more)"
    if c.resolves_alone:
        return (
            f"{c.family}: relaxing it alone resolves the conflict, by "
            f"{_amount(c.violation, unit)} in total over {_rows_word(c.rows_relaxed)}: {shown}"
        )
    head = (
        f"{c.family}: relaxing it alone does not resolve the conflict"
        if c.resolves_alone is False
        else f"{c.family}: whether relaxing it alone resolves the conflict was not settled "
        "within the time limit"
    )
    if c.rows_relaxed:
        return (
            f"{head}; the smallest total relaxation takes {_amount(c.violation, unit)} from it over "
            f"{_rows_word(c.rows_relaxed)}: {shown}"
        )
    return f"{head}; {_rows_word(c.rows_in_conflict)} of it are in the conflict: {shown}"


def _headline(conflicts: Sequence[FamilyConflict], hard: tuple[str, ...]) -> str:
    """One family: it cannot be met. Several that each resolve the conflict alone are in every
    conflict together: they conflict with each other. Otherwise they cannot all be met."""
    families = [c.family for c in conflicts]
    if len(families) == 1:
        what = f"{families[0]} cannot be met"
    elif not all(c.resolves_alone is True for c in conflicts):
        what = f"{_and(families)} cannot all be met"
    elif len(families) == 2:
        what = f"{families[0]} conflicts with {families[1]}"
    else:
        what = f"{_and(families)} conflict with each other"
    given = f" (given {_and(hard)})" if hard else ""
    return f"the plan is infeasible: {what}{given}"


def _hard_only(
    lp: _Lp, is_hard: np.ndarray, text: _Describer, use_iis: bool, time_limit_s: float
) -> Diagnosis:
    """Even with every soft row relaxed there is no solution: hard rows and bounds conflict."""
    found = _iis(lp, is_hard, time_limit_s) if use_iis else None
    order = list(dict.fromkeys(lp.family[is_hard].tolist()))
    if found is not None:
        rows, cols = found
        hard = tuple(f for f in order if (rows & (lp.family == f)).any())
        bounds = tuple(dict.fromkeys(lp.column_family[cols].tolist()))
        method = "iis"
    else:
        rows = is_hard
        hard = tuple(order)
        bounds = ()
        method = "hard"
    lines = []
    for fam in hard:
        fam_rows = np.flatnonzero(rows & (lp.family == fam))
        lines.append(
            f"{fam} ({_rows_word(len(fam_rows))} in the conflict): {text.listing(fam_rows, None)}"
        )
    if bounds:
        lines.append(f"with the bounds of the variables {_and(bounds)}")
    subject = _and(hard) if hard else "the variable bounds"
    headline = (
        f"the plan is infeasible: {subject} cannot hold together even with every other "
        "constraint relaxed"
    )
    if not hard and bounds:
        subject = f"the bounds of {_and(bounds)}"
        headline = f"the plan is infeasible: {subject} contradict each other"
    return Diagnosis(
        families=hard,
        lines=lines,
        hard=hard,
        bounds=bounds,
        method=method,
        headline=headline,
    )


def _incomplete(time_limit_s: float) -> Diagnosis:
    return Diagnosis(
        families=(),
        lines=[
            f"the diagnosis did not finish within {time_limit_s:g} s: raise the solver time "
            "limit to see which constraints conflict"
        ],
        method="incomplete",
        headline="the plan is infeasible, and the conflict could not be located in time",
    )


def _trivial(
    model: pyo.ConcreteModel,
    describe: Mapping[str, Describer] | None,
    units: Mapping[str, str] | None,
    max_rows: int,
) -> Diagnosis:
    """Constraints without a free variable (all fixed) that do not hold: conflicts by value."""
    found: dict[str, list[tuple[Any, str, float, str]]] = {}
    for con in model.component_data_objects(pyo.Constraint, active=True):
        if any(not v.fixed for v in identify_variables(con.body, include_fixed=True)):
            continue
        value = pyo.value(con.body)
        lb, ub = pyo.value(con.lower), pyo.value(con.upper)
        fam = con.parent_component().local_name
        tol = FEASIBILITY_TOL * max(1.0, abs(value))
        if ub is not None and value > ub + tol:
            gap, verb = value - ub, "over its limit by"
        elif lb is not None and value < lb - tol:
            gap, verb = value - lb, "short of its minimum by"
        else:
            continue
        idx = con.index()
        fn = (describe or {}).get(fam)
        name = fam if idx is None else (fn(idx) if fn is not None else f"{fam}[{idx}]")
        found.setdefault(fam, []).append((idx, name, gap, verb))
    families = tuple(found)
    lines = []
    conflicts = []
    for fam, rows in found.items():
        unit = (units or {}).get(fam, "")
        rows.sort(key=lambda r: -abs(r[2]))
        examples = tuple(f"{name} {verb} {_amount(abs(gap), unit)}" for _, name, gap, verb in rows)
        total = math.fsum(abs(gap) for *_, gap, _ in rows)
        conflicts.append(
            FamilyConflict(
                family=fam,
                rows_in_conflict=len(rows),
                resolves_alone=True,
                rows_relaxed=len(rows),
                violation=total,
                examples=examples[:max_rows],
                relaxations=tuple((idx, gap) for idx, _, gap, _ in rows),
            )
        )
        more = f" (+{len(rows) - max_rows} more)" if len(rows) > max_rows else ""
        lines.append(
            f"{fam}: {_rows_word(len(rows))} {'fail' if len(rows) != 1 else 'fails'} on fixed "
            "values alone, by "
            f"{_amount(total, unit)} in total: {'; '.join(examples[:max_rows])}{more}"
        )
    return Diagnosis(
        families=families,
        lines=lines,
        conflicts=tuple(conflicts),
        method="trivial",
        headline=f"the plan is infeasible: {_and(families)} cannot be met with the values fixed",
    )
