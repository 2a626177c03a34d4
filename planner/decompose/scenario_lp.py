"""One scenario's LP, built once in Pyomo and re-used for every scenario through highspy.

Scenarios of the model differ only in demand (the stock-balance right-hand sides and the bound
of lost sales) and, with stochastic lead times, in when orders arrive. So the single-scenario
Pyomo model is built and compiled once per lead-time pattern (the template); every scenario
then only changes row and column bounds on the handed-over matrix, and HiGHS re-solves from the
previous basis (dual simplex after a right-hand-side change): no model is rebuilt per scenario
or per iteration.

The scenario LP's objective is the scenario's total cost f_s(x, y) with probability 1: first-
stage orders x (their cost, with the terminal credit of a late arrival in that scenario) plus
the recourse. Fixed first-stage order costs and the lot-size integers belong to the master (or
to the consensus step), so here they cost nothing and are continuous.

Complete recourse: a large first-stage order can fill a warehouse beyond its capacity whatever
happens later, which would make a scenario infeasible. Every warehouse-capacity row gets an
elastic column priced at ELASTIC_FACTOR x the model's overflow penalty. This is a relaxation
(its value is never above the true one), so cuts and Lagrangian bounds stay valid lower
bounds; an evaluation with elastic use > 0 is not a valid upper bound and is reported as such.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import highspy
import numpy as np

from planner.model import build as _build
from planner.model.data import ModelData
from planner.model.layout import Layout, make_layout
from planner.model.objective import overflow_penalty
from planner.solve import (
    SolverOptions,
    _component_positions,
    _con_sizes,
    _var_sizes,
    compile_model,
    highs_lp,
    new_highs,
)

ELASTIC_FACTOR = 100.0
FIRST_STAGE_ROWS = (
    "supplier_capacity_first",
    "budget_first",
    "order_setup_first",
    "order_moq_first",
    "order_multiple_first",
)
RECOURSE_FAMILIES = ("order", "placed", "lots", "stock", "short", "overflow", "transfer")
RECOURSE_ROWS = ("stock_balance", "warehouse_capacity", "supplier_capacity", "budget")
ELASTIC_TOL = 1e-6


def template_demand(data: ModelData) -> np.ndarray:
    """A single scenario whose per-SKU total demand is the largest of any scenario, so the
    template's order bounds (big-M of fixed costs and MOQ) equal the full model's."""
    skus, sku_of = np.unique(data.series["sku"].to_numpy().astype(str), return_inverse=True)
    per_sku = np.zeros((data.n_scenarios, len(skus)))
    np.add.at(per_sku, (slice(None), sku_of), data.demand.sum(axis=2))
    pick = per_sku.argmax(axis=0)[sku_of]  # (n,) scenario per series
    return data.demand[pick, np.arange(data.n_series), :]


def single_scenario_data(data: ModelData, demand: np.ndarray, lead: np.ndarray | None) -> ModelData:
    """The model restricted to one scenario: no CVaR, no scenario-coupling fill-rate target."""
    return replace(
        data,
        demand=np.asarray(demand, float)[None],
        prob=np.ones(1),
        lead_time_scenarios=None if lead is None else np.asarray(lead, np.int64)[:, None],
        cvar_weight=0.0,
        service_level=None,
        service_from_week=None,
    )


@dataclass
class Template:
    """The compiled single-scenario LP and where each family sits in it."""

    lp: highspy.HighsLp
    cols: dict[str, tuple[np.ndarray, np.ndarray, int]]  # family -> (flat idx, column, size)
    rows: dict[str, tuple[np.ndarray, np.ndarray, int]]  # family -> (flat idx, row, size)
    x_cols: np.ndarray  # column of first-stage order k (layout order)
    balance_rows: np.ndarray  # row of the stock balance of flat (i, t)
    balance_sign: float  # compiled row = sign x (model row)
    short_cols: np.ndarray  # column of the shortage of flat (i, t)
    elastic_cols: np.ndarray  # elastic columns of the warehouse-capacity rows
    n_cols: int
    n_rows: int
    cost: np.ndarray  # column costs (first-stage lot-sizing columns at 0)
    layout: Layout
    fs_rows: np.ndarray  # rows that hold first-stage columns only (master rows)
    fs_lo: np.ndarray  # their bounds
    fs_hi: np.ndarray
    fs_matrix: object  # (len(fs_rows), n_fs + n_setup + n_lots) over [x, placed_first, lots_first]
    fs_families: dict[str, np.ndarray]  # family -> (flat index of each of its fs_rows positions)
    fixed_cost: np.ndarray  # cost of each placed_first variable (fixed order cost)


def build_template(data: ModelData, lead: np.ndarray | None, penalty: float) -> Template:
    sub = single_scenario_data(data, template_demand(data), lead)
    # the expression model: Pyomo's standard-form compiler reads it (one scenario is small)
    builder = getattr(_build, "build_environ_model", _build.build_model)
    model, lay = builder(sub)
    sf = compile_model(model)
    lp, _ = highs_lp(sf)
    cols = _component_positions(sf.columns, _var_sizes(model))
    rows = _component_positions((r.constraint for r in sf.rows), _con_sizes(model))
    n_cols, n_rows = lp.num_col_, lp.num_row_

    def col_of(name: str) -> np.ndarray:
        idx, pos, size = cols.get(name, (np.zeros(0, np.int64), np.zeros(0, np.int64), 0))
        out = np.full(size, -1, np.int64)
        out[idx] = pos
        return out

    def row_of(name: str) -> np.ndarray:
        idx, pos, size = rows.get(name, (np.zeros(0, np.int64), np.zeros(0, np.int64), 0))
        out = np.full(size, -1, np.int64)
        out[idx] = pos
        return out

    x_cols = col_of("order_first")
    if (x_cols < 0).any():
        # an order no row holds (it arrives after the horizon): give it a column of its own
        raise ValueError("every first-stage order must appear in the compiled model")
    balance = row_of("stock_balance")
    short = col_of("short")
    if (balance < 0).any() or (short < 0).any():
        raise ValueError("every stock balance row and shortage variable must be compiled")
    supply = data.open_arrivals.copy()
    supply[:, 0] += data.on_hand
    model_rhs = (supply - sub.demand[0]).reshape(-1)
    compiled = np.asarray(lp.row_lower_, float)[balance]
    sign = 1.0 if np.allclose(compiled, model_rhs) else -1.0
    if not np.allclose(compiled, sign * model_rhs):
        raise ValueError("the compiled stock balance does not match the model's right-hand side")

    cost = np.asarray(lp.col_cost_, float).copy()
    lower = np.asarray(lp.col_lower_, float).copy()
    upper = np.asarray(lp.col_upper_, float).copy()
    for name in ("placed_first", "lots_first"):
        c = col_of(name)
        c = c[c >= 0]
        cost[c] = 0.0
        lower[c] = 0.0
        upper[c] = highspy.kHighsInf
    row_lo = np.asarray(lp.row_lower_, float).copy()
    row_hi = np.asarray(lp.row_upper_, float).copy()
    A = _csc(lp)
    # rows of first-stage columns only: the master's rows; freed when x is fixed
    fs_cols = np.concatenate([x_cols, col_of("placed_first"), col_of("lots_first")])
    fs_rows_list, fs_families = [], {}
    start = 0
    for name in FIRST_STAGE_ROWS:
        if name not in rows:
            continue
        idx, pos, _ = rows[name]
        fs_rows_list.append(pos)
        fs_families[name] = (np.arange(start, start + len(pos)), idx)
        start += len(pos)
    fs_rows = np.concatenate(fs_rows_list) if fs_rows_list else np.zeros(0, np.int64)
    fs_matrix = A.tocsr()[fs_rows][:, fs_cols]
    fixed_cost = np.asarray(lp.col_cost_, float)[col_of("placed_first")]

    # elastic columns on warehouse capacity rows (complete recourse)
    wrows = row_of("warehouse_capacity")
    wrows = wrows[wrows >= 0]
    n_el = len(wrows)
    if n_el:
        import scipy.sparse as sp

        wsign = np.where(
            np.isfinite(row_hi[wrows]) & (row_hi[wrows] < highspy.kHighsInf), -1.0, 1.0
        )
        E = sp.csc_matrix((wsign, (wrows, np.arange(n_el))), shape=(n_rows, n_el))
        A = sp.hstack([A, E], format="csc")
        cost = np.concatenate([cost, np.full(n_el, ELASTIC_FACTOR * penalty)])
        lower = np.concatenate([lower, np.zeros(n_el)])
        upper = np.concatenate([upper, np.full(n_el, highspy.kHighsInf)])
    out = highspy.HighsLp()
    out.num_col_ = n_cols + n_el
    out.num_row_ = n_rows
    out.col_cost_ = cost
    out.offset_ = lp.offset_
    out.col_lower_ = lower
    out.col_upper_ = upper
    out.row_lower_ = row_lo
    out.row_upper_ = row_hi
    out.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    out.a_matrix_.start_ = A.indptr
    out.a_matrix_.index_ = A.indices
    out.a_matrix_.value_ = A.data
    return Template(
        lp=out,
        cols=cols,
        rows=rows,
        x_cols=x_cols,
        balance_rows=balance,
        balance_sign=sign,
        short_cols=short,
        elastic_cols=np.arange(n_cols, n_cols + n_el),
        n_cols=n_cols + n_el,
        n_rows=n_rows,
        cost=cost,
        layout=lay,
        fs_rows=fs_rows,
        fs_lo=row_lo[fs_rows].copy(),
        fs_hi=row_hi[fs_rows].copy(),
        fs_matrix=fs_matrix,
        fs_families=fs_families,
        fixed_cost=fixed_cost,
    )


def _csc(lp: highspy.HighsLp):
    import scipy.sparse as sp

    m = lp.a_matrix_
    return sp.csc_matrix(
        (np.asarray(m.value_), np.asarray(m.index_), np.asarray(m.start_)),
        shape=(lp.num_row_, lp.num_col_),
    )


@dataclass
class FirstStage:
    """What a master needs of the first stage: its columns [x, placed_first, lots_first], their
    rows and bounds (picklable, sent by a worker)."""

    n_fs: int
    n_setup: int
    n_lots: int
    matrix: object  # csr (rows, n_fs + n_setup + n_lots)
    lo: np.ndarray
    hi: np.ndarray
    families: dict[str, tuple[np.ndarray, np.ndarray]]  # family -> (rows, flat index)
    fixed_cost: np.ndarray  # (n_setup,)
    big_m: np.ndarray  # (n_fs,) bound of each first-stage order
    scenario_size: tuple[int, int, int]  # columns, rows, integers of one scenario's model

    @property
    def n_cols(self) -> int:
        return self.n_fs + self.n_setup + self.n_lots

    def extensive_sizes(self, n_scenarios: int) -> tuple[int, int, int]:
        """Columns, rows and integers of the extensive form with `n_scenarios` scenarios: the
        first stage once, every scenario's own part once per scenario."""
        nv, nr, ni = self.scenario_size
        return (
            self.n_cols + n_scenarios * (nv - self.n_cols),
            self.matrix.shape[0] + n_scenarios * nr,
            ni,
        )


@dataclass
class ScenarioSolution:
    scenario: int
    objective: float  # f_s at the solution (no penalty or multiplier terms)
    x: np.ndarray  # first-stage orders at the solution
    gradient: np.ndarray | None  # d f_s / d x at a fixed x (reduced costs of x)
    elastic: float  # units of capacity relaxed (0 for a feasible plan)
    ok: bool
    status: str
    values: dict[str, np.ndarray] | None = None  # recourse families, single-scenario layout
    duals: dict[str, np.ndarray] | None = None  # recourse row families


class ScenarioSolver:
    """Solves the scenario LPs of some scenarios of `data` (one template per lead-time pattern)."""

    def __init__(self, data: ModelData, scenarios, options: SolverOptions):
        self.data = data
        self.scenarios = list(scenarios)
        self.options = options
        penalty = overflow_penalty(data)
        lead = data.arrival_lead()  # (nl, S)
        self.pattern: dict[int, int] = {}
        self.templates: list[Template] = []
        self.highs: list[highspy.Highs] = []
        keys: dict[bytes, int] = {}
        stochastic = data.stochastic_lead_times
        for s in self.scenarios:
            key = lead[:, s].tobytes() if stochastic else b""
            if key not in keys:
                keys[key] = len(self.templates)
                tpl = build_template(data, lead[:, s] if stochastic else None, penalty)
                self.templates.append(tpl)
                h = new_highs()
                h.setOptionValue("output_flag", bool(options.verbose))
                h.setOptionValue("time_limit", float(options.time_limit_s))
                if options.threads:  # HiGHS fixes its thread pool at the process's first run
                    h.setOptionValue("threads", int(options.threads))
                h.passModel(tpl.lp)
                self.highs.append(h)
            self.pattern[s] = keys[key]
        supply = data.open_arrivals.copy()
        supply[:, 0] += data.on_hand
        self.supply = supply.reshape(-1)
        tpl = self.templates[0]
        self.n_fs = len(tpl.x_cols)
        self.big_m = tpl.layout.big_m[tpl.layout.fs_lane] if self.n_fs else np.zeros(0)

    def first_stage(self) -> FirstStage:
        tpl = self.templates[0]
        lay = tpl.layout
        return FirstStage(
            n_fs=lay.n_fs,
            n_setup=len(lay.fs_setup),
            n_lots=len(lay.fs_lots),
            matrix=tpl.fs_matrix,
            lo=tpl.fs_lo,
            hi=tpl.fs_hi,
            families=tpl.fs_families,
            fixed_cost=tpl.fixed_cost,
            big_m=self.big_m,
            scenario_size=(
                tpl.n_cols - len(tpl.elastic_cols),
                tpl.n_rows,
                len(lay.fs_setup) + len(lay.fs_lots),
            ),
        )

    @staticmethod
    def _clear_hessian(h: highspy.Highs, tpl: Template) -> None:
        """Back to a pure LP for the next solve (after reading the QP's solution)."""
        h.passHessian(*_no_hessian(tpl.n_cols))

    # ------------------------------------------------------------------ one solve
    def _set_scenario(self, h: highspy.Highs, tpl: Template, s: int) -> None:
        d = self.data.demand[s].reshape(-1)
        rhs = tpl.balance_sign * (self.supply - d)
        h.changeRowsBounds(len(rhs), tpl.balance_rows.astype(np.int32), rhs, rhs)
        if not self.data.backorder:
            n = len(tpl.short_cols)
            h.changeColsBounds(n, tpl.short_cols.astype(np.int32), np.zeros(n), d)

    def _run(self, h: highspy.Highs) -> tuple[bool, str]:
        h.run()
        status = h.getModelStatus()
        ok = status == highspy.HighsModelStatus.kOptimal
        return ok, h.modelStatusToString(status)

    def solve(
        self,
        s: int,
        *,
        x: np.ndarray | None = None,
        x_cost: np.ndarray | None = None,
        prox: tuple[np.ndarray, np.ndarray] | None = None,
        full: bool = False,
    ) -> ScenarioSolution:
        """f_s with the first stage fixed at `x`, or free in [0, big-M] with `x_cost` added to
        its costs and, for progressive hedging, `prox = (rho, center)`: + rho/2 |x - center|^2."""
        k = self.pattern[s]
        h, tpl = self.highs[k], self.templates[k]
        self._set_scenario(h, tpl, s)
        xc = tpl.x_cols.astype(np.int32)
        nx = len(xc)
        nr = len(tpl.fs_rows)
        if x is not None:
            xv = np.maximum(np.asarray(x, float), 0.0)
            h.changeColsBounds(nx, xc, xv, xv)
            if nr:  # the master holds them
                inf = np.full(nr, highspy.kHighsInf)
                h.changeRowsBounds(nr, tpl.fs_rows.astype(np.int32), -inf, inf)
        else:
            h.changeColsBounds(nx, xc, np.zeros(nx), self.big_m)
            if nr:
                h.changeRowsBounds(nr, tpl.fs_rows.astype(np.int32), tpl.fs_lo, tpl.fs_hi)
        base = tpl.cost[tpl.x_cols]
        cost = base if x_cost is None else base + x_cost
        offset = 0.0
        if prox is not None:
            rho, center = prox
            cost = cost - rho * center
            offset = 0.5 * float(rho @ (center * center))
            h.passHessian(
                tpl.n_cols,
                nx,
                highspy.HessianFormat.kTriangular,
                _hessian_start(tpl.n_cols, tpl.x_cols),
                np.sort(tpl.x_cols).astype(np.int32),
                rho[np.argsort(tpl.x_cols)],
            )
        h.changeColsCost(nx, xc, cost)
        ok, status = self._run(h)
        if not ok:
            if prox is not None:
                self._clear_hessian(h, tpl)
            return ScenarioSolution(
                s, float("nan"), np.zeros(nx), None, float("nan"), False, status
            )
        sol = h.getSolution()
        col = np.asarray(sol.col_value)
        xs = col[tpl.x_cols]
        # HiGHS minimised f_s + x_cost.x + rho/2 |x - center|^2 - rho/2 |center|^2
        objective = float(h.getInfo().objective_function_value)
        if x_cost is not None:
            objective -= float(x_cost @ xs)
        if prox is not None:
            rho, center = prox
            objective += offset - 0.5 * float(rho @ ((xs - center) ** 2))
        if prox is not None:
            self._clear_hessian(h, tpl)
        gradient = np.asarray(sol.col_dual)[tpl.x_cols] if x is not None else None
        elastic = float(col[tpl.elastic_cols].sum()) if len(tpl.elastic_cols) else 0.0
        out = ScenarioSolution(s, objective, xs, gradient, elastic, True, status)
        if full:
            out.values = _scatter(col, tpl.cols, (*RECOURSE_FAMILIES, "placed_first", "lots_first"))
            if sol.dual_valid:
                out.duals = _scatter(np.asarray(sol.row_dual), tpl.rows, RECOURSE_ROWS)
        return out


def _no_hessian(n_cols: int):
    return (
        n_cols,
        0,
        highspy.HessianFormat.kTriangular,
        np.zeros(n_cols + 1, np.int32),
        np.zeros(0, np.int32),
        np.zeros(0),
    )


def _hessian_start(n_cols: int, cols: np.ndarray) -> np.ndarray:
    """Column starts of a diagonal triangular Hessian with entries on `cols`."""
    has = np.zeros(n_cols, np.int32)
    has[cols] = 1
    return np.concatenate([[0], np.cumsum(has)]).astype(np.int32)


def _scatter(flat: np.ndarray, positions, names) -> dict[str, np.ndarray]:
    out = {}
    for name in names:
        if name not in positions:
            continue
        idx, pos, size = positions[name]
        arr = np.zeros(size)
        arr[idx] = flat[pos]
        out[name] = arr
    return out


def first_stage_layout(data: ModelData) -> Layout:
    return make_layout(data)
