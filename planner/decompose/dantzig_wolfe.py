"""Dantzig-Wolfe decomposition over the series: the shared capacities priced, every block of
series planned on its own, the extensive form's LP optimum to a stated tolerance.

The extensive form is block-angular over the series: stock balance, lot and transfer rows
hold one block of series each (a series, or the warehouses of a SKU under a fill-rate target),
and only the linking rows (warehouse capacity, supplier capacity, budget; `LINKING`) hold many.

    master    min  sum_{b,k} (c_b . z_bk) lam_bk + c_o . z_o + M . art
              s.t. lo <= sum_{b,k} (D_b z_bk) lam_bk + D_o z_o (+- art) <= hi   linking rows, duals pi
                   sum_k lam_bk = 1                                          one per block, duals sigma_b
                   lam >= 0, z_o within its bounds (overflow: columns of no block)
    pricing   min  (c_b - D_b' pi) . z_b  over block b's own rows and bounds
              a proposal z_bk enters the master when its reduced cost
              (c_b - D_b' pi) . z_bk - sigma_b is negative.

Bounds: every pi of the right signs gives the Lagrangian lower bound
L(pi) = sum_r (pi_r^+ lo_r + pi_r^- hi_r) + sum_b min_z (c_b - D_b' pi) z_b + min_{z_o} (...) z_o;
the master's objective is an upper bound as soon as its artificial columns are zero, because a
convex combination of block solutions that meets the linking rows is a plan of the extensive
form. The method stops when (upper - lower) / |upper| <= tolerance. The plan reported is that
convex combination, so it meets every row of the extensive form exactly.

Stabilisation (Wentges smoothing): blocks are priced at pi_sep = a pi_best + (1 - a) pi_master,
where pi_best gave the best lower bound so far. When no proposal priced there has a negative
reduced cost at pi_master (a mis-pricing), the blocks are priced again at pi_master itself.

Blocks are packed into chunks (block-diagonal LPs of about CHUNK_VARIABLES columns); each
worker process keeps its chunks between iterations, so a new price only changes the costs and
HiGHS restarts from the chunk's last basis (planner.decompose.chunk_pool). The master drops
proposals that price out worst when it grows past MASTER_NONZEROS. The model must be an LP
(no lot sizing, no CVaR: CVaR's rows join every series).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import highspy
import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from planner.decompose.assemble import iteration_timings
from planner.decompose.chunk_pool import ChunkLP, ChunkPool, PricingInfeasible
from planner.decompose.rows import ModelRows, extensive_rows
from planner.errors import ConfigError
from planner.model.build_matrix import model_arrays
from planner.model.data import ModelData
from planner.model.layout import Layout, make_layout
from planner.model.matrix import ColumnSpace, stack_rows
from planner.solve import SolveResult, SolverOptions, SolveStatus, configured_highs

Progress = Callable[[str], None]

LINKING = (
    "warehouse_capacity",
    "supplier_capacity_first",
    "supplier_capacity",
    "budget_first",
    "budget",
)
SMOOTHING = 0.5  # Wentges' a: weight of the best dual point in the pricing duals
CHUNK_VARIABLES = 30_000  # columns per pricing LP (blocks packed together); smaller LPs
# restart faster, and 30,000 against 200,000 cut medium's first two rounds from 52 to 30 s
NEGATIVE = 1e-9  # a reduced cost below -NEGATIVE x scale is an improving proposal
MASTER_NONZEROS = 30_000_000  # above this, the master drops proposals that price out worst
# most nonzeros a round adds to the master (the most negative reduced costs first): each
# primal simplex iteration of the master passes over all its nonzeros, so on large (10,000
# blocks, 13 million nonzeros a round) whole rounds made the master the bottleneck
ROUND_NONZEROS = 4_000_000


def _quiet(_: str) -> None:
    pass


def block_angular(data: ModelData) -> str | None:
    """Why the model is no LP over blocks of series joined only by linking rows (None if it is)."""
    if data.cvar_weight > 0:
        return "a CVaR of the total cost joins every series"
    if data.has_lot_sizing:
        return "lot sizing (MOQ, order multiples or fixed order costs) makes it a MILP"
    return None


def check_block_angular(data: ModelData) -> None:
    """Raise ConfigError when dantzig-wolfe cannot solve the model."""
    why = block_angular(data)
    if why is not None:
        raise ConfigError(
            f"solver.method: dantzig-wolfe prices the shared capacities of an LP, but {why}. "
            "Use solver.method: benders or extensive."
        )


@dataclass
class Split:
    """The extensive form cut into linking rows, blocks of columns and pricing chunks."""

    layout: Layout
    columns: ColumnSpace
    link: sp.csc_matrix  # linking rows x all columns
    linkT: sp.csr_matrix  # all columns x linking rows: D' pi
    link_lo: np.ndarray
    link_hi: np.ndarray
    link_families: list[tuple[str, int, int]]  # (family, first row, end row) within `link`
    own_families: list[tuple[str, int, int]]  # the same for the blocks' own rows
    block_of: np.ndarray  # block of every column, -1 for master-only columns
    n_blocks: int
    chunk_cols: list[np.ndarray]  # columns of every pricing chunk (whole blocks)
    col_lo: np.ndarray
    col_hi: np.ndarray
    cost: np.ndarray
    n_rows: int
    own: sp.csc_matrix | None  # the blocks' own rows; dropped once the chunks are out
    own_lo: np.ndarray | None
    own_hi: np.ndarray | None

    def chunk(self, k: int) -> ChunkLP:
        """Pricing LP k: its columns over the own rows they touch."""
        cols = self.chunk_cols[k]
        sub = self.own[:, cols]
        rows = np.flatnonzero(np.diff(sub.tocsr().indptr) > 0)
        return ChunkLP(
            cols=cols,
            rows=rows,
            A=sub[rows, :].tocsc(),
            col_lo=self.col_lo[cols],
            col_hi=self.col_hi[cols],
            row_lo=self.own_lo[rows],
            row_hi=self.own_hi[rows],
            cost=self.cost[cols],
            linkT=self.linkT[cols],
        )


def split_model(data: ModelData, chunk_variables: int = CHUNK_VARIABLES, workers: int = 1) -> Split:
    """Linking rows, blocks (connected components of the other rows) and pricing chunks
    (at least four per worker when there are blocks enough, so the workers share the load)."""
    arrays = model_arrays(data)
    cols = arrays.columns
    n = cols.size
    link_fams = [f for f in arrays.families if f.name in LINKING]
    own_fams = [f for f in arrays.families if f.name not in LINKING]
    n_rows = sum(f.n_rows for f in arrays.families)
    link, (link_lo, link_hi) = _stack(link_fams, n)
    own, (own_lo, own_hi) = _stack(own_fams, n)
    cost = arrays.cost
    link_ranges, own_ranges = _ranges(link_fams), _ranges(own_fams)
    del arrays, link_fams, own_fams  # the coordinates: the matrices hold them now
    own = own.tocsc()
    block = _blocks(own)
    n_blocks = int(block.max(initial=-1)) + 1
    lo = np.concatenate([b.lb for b in cols.blocks]) if cols.blocks else np.zeros(0)
    hi = np.concatenate([b.ub for b in cols.blocks]) if cols.blocks else np.zeros(0)
    link = link.tocsc()
    per_worker = -(-int((block >= 0).sum()) // (4 * max(workers, 1)))
    size = max(1, min(chunk_variables, per_worker))
    return Split(
        layout=make_layout(data),
        columns=cols,
        link=link,
        linkT=link.T.tocsr(),
        link_lo=link_lo,
        link_hi=link_hi,
        link_families=link_ranges,
        own_families=own_ranges,
        block_of=block,
        n_blocks=n_blocks,
        chunk_cols=_pack(block, n_blocks, size),
        col_lo=lo,
        col_hi=hi,
        cost=cost,
        n_rows=n_rows,
        own=own,
        own_lo=own_lo,
        own_hi=own_hi,
    )


def _ranges(fams) -> list[tuple[str, int, int]]:
    """(family, first row, end row) of each family, stacked in order."""
    out, pos = [], 0
    for f in fams:
        out.append((f.name, pos, pos + f.n_rows))
        pos += f.n_rows
    return out


def _stack(fams, n_cols: int) -> tuple[sp.csr_matrix, tuple[np.ndarray, np.ndarray]]:
    if not fams:
        return sp.csr_matrix((0, n_cols)), (np.zeros(0), np.zeros(0))
    A = stack_rows(fams, n_cols)[0].tocsr()
    lb = np.concatenate([f.lb for f in fams])
    ub = np.concatenate([f.ub for f in fams])
    return A, (lb, ub)


def _blocks(own: sp.csc_matrix) -> np.ndarray:
    """Block of every column: connected components of the bipartite graph rows-columns of the
    own rows (built directly in CSR with 32-bit indexes), -1 for a column in no own row."""
    m, n = own.shape
    csr = own.tocsr()
    idx = np.int32 if own.nnz + m + n < 2**31 else np.int64
    indptr = np.concatenate([csr.indptr[:-1], own.indptr + own.nnz]).astype(idx)
    indices = np.concatenate([csr.indices.astype(idx) + m, own.indices.astype(idx)])
    del csr
    graph = sp.csr_matrix((np.ones(len(indices), np.int8), indices, indptr), shape=(m + n, m + n))
    _, comp = connected_components(graph, directed=False)
    del graph, indices, indptr
    in_rows = np.diff(own.indptr) > 0
    _, block_of = np.unique(comp[m:][in_rows], return_inverse=True)
    block = np.full(n, -1, dtype=np.int64)
    block[in_rows] = block_of
    return block


def _pack(block: np.ndarray, n_blocks: int, chunk_variables: int) -> list[np.ndarray]:
    """Blocks packed in order into chunks of about `chunk_variables` columns (sorted)."""
    cols_by_block = np.argsort(block, kind="stable")
    counts = np.bincount(block[block >= 0], minlength=n_blocks)
    starts = np.concatenate([[0], np.cumsum(counts)]) + int((block < 0).sum())
    out, first, acc = [], 0, 0
    for b in range(n_blocks):
        acc += counts[b]
        if acc >= chunk_variables or b == n_blocks - 1:
            out.append(np.sort(cols_by_block[starts[first] : starts[b + 1]]))
            first, acc = b + 1, 0
    return out


def solve_dantzig_wolfe(
    data: ModelData,
    options: SolverOptions,
    *,
    tolerance: float = 1e-4,
    max_iterations: int = 200,
    workers: int = 1,
    chunk_variables: int = CHUNK_VARIABLES,
    progress: Progress = _quiet,
) -> tuple[ModelRows, Layout, SolveResult, dict]:
    """Solve the LP by column generation over blocks of series; see the module docstring."""
    check_block_angular(data)
    t0 = time.perf_counter()
    split = split_model(data, chunk_variables, workers)
    progress(
        f"dantzig-wolfe: {split.n_blocks} blocks in {len(split.chunk_cols)} chunks, "
        f"{split.link.shape[0]} linking rows"
    )
    n_own = split.n_rows - split.link.shape[0]
    pool = ChunkPool(
        split.chunk,
        [len(c) for c in split.chunk_cols],
        split.cost.size,
        n_own,
        options,
        workers=workers,
    )
    split.own = split.own_lo = split.own_hi = None  # every chunk is in its worker now
    try:
        t_build = time.perf_counter() - t0
        out = _iterate(split, pool, options, tolerance, max_iterations, progress, t0)
    finally:
        pool.close()
    if out is None:  # a block has no plan of its own
        n = split.cost.size
        out = (
            np.zeros(n),
            np.zeros(split.link.shape[0]),
            None,
            SolveStatus.INFEASIBLE,
            -np.inf,
            np.inf,
            0,
            [],
        )
    z, pi, block_duals, status, lower, upper, iterations, history = out
    t_iter = time.perf_counter()
    res = _result(data, split, z, pi, block_duals, status, lower, upper, t0, t_build, t_iter)
    info = {
        "converged": status is SolveStatus.OPTIMAL,
        "workers": pool.workers,
        "lower_bound": lower,
        "upper_bound": upper,
        "gap": res.gap,
        "iterations": iterations,
        "blocks": split.n_blocks,
        "chunks": len(split.chunk_cols),
        "linking_rows": int(split.link.shape[0]),
        "history": history,
    }
    return ModelRows(extensive_rows(data, split.layout)), split.layout, res, info


def _lagrangian_constant(pi: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> float:
    """sum_r pi_r^+ lo_r + pi_r^- hi_r (a row priced on a side it does not have counts 0)."""
    lo = np.where(np.isfinite(lo), lo, 0.0)
    hi = np.where(np.isfinite(hi), hi, 0.0)
    return float(np.maximum(pi, 0.0) @ lo + np.minimum(pi, 0.0) @ hi)


def _master_only_bound(split: Split, reduced: np.ndarray, cols: np.ndarray) -> float:
    """min over the master-only columns' bounds of reduced . z (may be -inf)."""
    rc = reduced[cols]
    at = np.where(rc >= 0, split.col_lo[cols], split.col_hi[cols])
    with np.errstate(invalid="ignore"):
        return float(np.sum(np.where(rc == 0, 0.0, rc * at)))


class _Master:
    """The restricted master LP: linking rows, one convexity row per block, proposals."""

    def __init__(self, split: Split, options: SolverOptions, big_m: float):
        self.split = split
        n_link, B = split.link.shape[0], split.n_blocks
        self.n_link = n_link
        inf = highspy.kHighsInf
        h = configured_highs(options)
        h.setOptionValue("output_flag", False)
        h.setOptionValue("time_limit", inf)
        # new columns leave the basis primal feasible: primal simplex restarts from it
        h.setOptionValue("simplex_strategy", 4)
        self.h = h
        lo = np.where(np.isfinite(split.link_lo), split.link_lo, -inf)
        hi = np.where(np.isfinite(split.link_hi), split.link_hi, inf)
        h.addRows(
            n_link + B,
            np.concatenate([lo, np.ones(B)]),
            np.concatenate([hi, np.ones(B)]),
            0,
            np.zeros(0, np.int32),
            np.zeros(0, np.int32),
            np.zeros(0),
        )
        self.master_only = np.flatnonzero(split.block_of < 0)
        if len(self.master_only):
            cols = self.master_only
            sub = split.link[:, cols].tocsc()
            self._add(split.cost[cols], split.col_lo[cols], split.col_hi[cols], sub)
        # artificials: one per side of a linking row that can be violated (cost big_m)
        rows_hi = np.flatnonzero(np.isfinite(split.link_hi))
        rows_lo = np.flatnonzero(np.isfinite(split.link_lo))
        rows = np.concatenate([rows_hi, rows_lo])
        vals = np.concatenate([-np.ones(len(rows_hi)), np.ones(len(rows_lo))])
        self.first_art = len(self.master_only)
        self.n_art = len(rows)
        if self.n_art:
            art = sp.csc_matrix((vals, (rows, np.arange(self.n_art))), shape=(n_link, self.n_art))
            self._add(
                np.full(self.n_art, big_m), np.zeros(self.n_art), np.full(self.n_art, np.inf), art
            )
        self.n_fixed = len(self.master_only) + self.n_art
        # per proposal column of the master, in column order: its round, block and nonzeros
        self.col_round = np.zeros(0, np.int64)
        self.col_block = np.zeros(0, np.int64)
        self.col_nnz = np.zeros(0, np.int64)

    def _add(self, cost, lo, hi, A: sp.csc_matrix) -> None:
        inf = highspy.kHighsInf
        A = A.tocsc()
        A.sort_indices()
        self.h.addCols(
            A.shape[1],
            np.ascontiguousarray(cost, np.float64),
            np.where(np.isfinite(lo), lo, -inf),
            np.where(np.isfinite(hi), hi, inf),
            A.nnz,
            A.indptr[:-1].astype(np.int32),
            A.indices.astype(np.int32),
            A.data.astype(np.float64),
        )

    def add_proposals(
        self, z: np.ndarray, keep: np.ndarray, round_k: int, rc: np.ndarray | None = None
    ) -> np.ndarray:
        """Blocks `keep` of the priced solution z as columns (cost, linking use, convexity);
        with `rc` (reduced costs of `keep`), only the most negative ones within
        ROUND_NONZEROS nonzeros. Returns the blocks added."""
        split = self.split
        inb = split.block_of >= 0
        cols = np.flatnonzero(inb & (z != 0))
        blocks = split.block_of[cols]
        P = sp.csc_matrix((z[cols], (cols, blocks)), shape=(split.cost.size, split.n_blocks))
        D = (split.link @ P).tocsc()[:, keep]
        nnz = np.diff(D.indptr) + 1
        if rc is not None and nnz.sum() > ROUND_NONZEROS:
            order = np.argsort(rc, kind="stable")
            n_take = max(1, int(np.searchsorted(np.cumsum(nnz[order]), ROUND_NONZEROS)))
            take = np.sort(order[:n_take])
            keep, D, nnz = keep[take], D[:, take], nnz[take]
        E = sp.csc_matrix(
            (np.ones(len(keep)), (keep, np.arange(len(keep)))), shape=(split.n_blocks, len(keep))
        )
        costs = _block_sums(split, split.cost * z)[keep]
        self._add(costs, np.zeros(len(keep)), np.full(len(keep), np.inf), sp.vstack([D, E]))
        self.col_round = np.concatenate([self.col_round, np.full(len(keep), round_k)])
        self.col_block = np.concatenate([self.col_block, np.asarray(keep, np.int64)])
        self.col_nnz = np.concatenate([self.col_nnz, nnz])
        return keep

    def purge(self, limit: int | None = None) -> int:
        """Over `limit` nonzeros, drop the proposals out of the master's solution that price
        out worst (largest reduced cost), down to half the limit; returns how many went. They
        are only an inner approximation: a dropped proposal returns if it prices out again."""
        limit = MASTER_NONZEROS if limit is None else limit
        total = int(self.col_nnz.sum())
        if total <= limit:
            return 0
        sol = self.h.getSolution()
        j = np.arange(len(self.col_round))
        value = np.asarray(sol.col_value)[self.n_fixed + j]
        rc = np.asarray(sol.col_dual)[self.n_fixed + j]
        out = j[(value <= 0) & (rc > 0)]
        out = out[np.argsort(-rc[out], kind="stable")]
        cut = np.searchsorted(np.cumsum(self.col_nnz[out]), total - limit // 2) + 1
        out = np.sort(out[:cut])
        if not len(out):
            return 0
        self.h.deleteCols(len(out), (self.n_fixed + out).astype(np.int32))
        keep = np.ones(len(j), dtype=bool)
        keep[out] = False
        self.col_round, self.col_block = self.col_round[keep], self.col_block[keep]
        self.col_nnz = self.col_nnz[keep]
        return len(out)

    def solve(self) -> tuple[float, np.ndarray, np.ndarray, np.ndarray, float]:
        """(objective, pi, sigma, column values, artificial total) of the restricted master."""
        self.h.run()
        status = self.h.getModelStatus()
        if status != highspy.HighsModelStatus.kOptimal:
            raise RuntimeError(f"dantzig-wolfe master: {self.h.modelStatusToString(status)}")
        sol = self.h.getSolution()
        row_dual = np.asarray(sol.row_dual)
        value = np.asarray(sol.col_value)
        art = float(value[self.first_art : self.first_art + self.n_art].sum())
        obj = self.h.getInfo().objective_function_value
        return obj, row_dual[: self.n_link], row_dual[self.n_link :], value, art

    def plan(self, value: np.ndarray, proposals: list) -> np.ndarray:
        """The master's convex combination of the proposals, plus its master-only columns."""
        split = self.split
        z = np.zeros(split.cost.size)
        if len(self.col_round):
            rounds, blocks = self.col_round, self.col_block
            lam = value[self.n_fixed : self.n_fixed + len(rounds)]
            for k, (idx, val) in enumerate(proposals):
                w = np.zeros(split.n_blocks)
                mine = rounds == k
                np.add.at(w, blocks[mine], lam[mine])
                z[idx] += w[split.block_of[idx]] * val
        z[self.master_only] = value[: len(self.master_only)]
        return z


def _iterate(split, pool, options, tolerance, max_iterations, progress, t0):
    """Column generation; returns the plan, duals, status, bounds, iterations and history."""
    cost = split.cost
    linkT = split.linkT
    B = split.n_blocks
    scale = max(float(np.abs(cost).max(initial=0.0)), 1.0)
    big_m = 1e4 * scale  # artificial cost: makes the master feasible from the first round
    master = _Master(split, options, big_m)
    proposals: list[tuple[np.ndarray, np.ndarray]] = []  # one sparse priced solution per round
    deadline = t0 + options.time_limit_s if options.time_limit_s else np.inf

    # a first proposal that uses the linking rows as little as it can (priced at a heavy cost
    # on every limited side): with it the master is usually feasible from the first round
    heavy = np.where(np.isfinite(split.link_hi), -big_m, 0.0)
    heavy += np.where(np.isfinite(split.link_lo) & ~np.isfinite(split.link_hi), big_m, 0.0)
    if split.link.shape[0]:
        try:
            z_heavy, _ = pool.price(heavy)
        except PricingInfeasible:
            return None
        except RuntimeError:  # no bounded such proposal: the artificials start the master
            z_heavy = None
        if z_heavy is not None:
            master.add_proposals(z_heavy, np.arange(B), len(proposals))
            proposals.append(_sparse(split, z_heavy, np.arange(B)))

    pi_master = pi_best = np.zeros(split.link.shape[0])
    sigma = np.full(B, np.inf)  # no master yet: every first proposal enters
    lower, upper = -np.inf, np.inf
    history: list[dict] = []
    status = SolveStatus.TIME_LIMIT_FEASIBLE
    block_duals = None
    value = np.zeros(0)
    art = np.inf
    pi_sep = pi_master
    it = 0
    for it in range(1, max_iterations + 1):
        at_master = pi_sep is pi_master
        while True:
            reduced = cost - linkT @ pi_sep
            try:
                z, duals = pool.price(pi_sep)
            except PricingInfeasible:
                return None
            bound = (
                _lagrangian_constant(pi_sep, split.link_lo, split.link_hi)
                + float(_block_sums(split, reduced * z).sum())
                + _master_only_bound(split, reduced, master.master_only)
            )
            if bound > lower:
                lower, pi_best, block_duals = bound, pi_sep, duals
            # the proposals' reduced costs at the master's duals
            rc = _block_sums(split, (cost - linkT @ pi_master) * z) - sigma
            improving = np.flatnonzero(rc < -NEGATIVE * scale)
            if len(improving) or at_master:
                break
            pi_sep, at_master = pi_master, True  # a mis-pricing: price at the master's duals
        purged = 0
        if len(improving):
            if it > 1:
                purged = master.purge()  # the last solve's basis stays optimal without them
            every_block = len(master.col_round) == 0  # the first columns: one per block
            added = master.add_proposals(
                z, improving, len(proposals), None if every_block else rc[improving]
            )
            proposals.append(_sparse(split, z, added))
        master_obj, pi_master, sigma, value, art = master.solve()
        feasible = art <= 1e-9 * max(
            1.0, float(np.abs(split.link_hi[np.isfinite(split.link_hi)]).max(initial=1.0))
        )
        if feasible:
            upper = master_obj
        if not len(improving):  # nothing prices out at the master's duals: the LP optimum
            if feasible:
                lower = max(lower, upper)
                status = SolveStatus.OPTIMAL
            else:
                status = SolveStatus.INFEASIBLE  # the artificials cannot leave: no plan exists
        gap = (upper - lower) / max(abs(upper), 1e-9) if np.isfinite(upper) else np.inf
        elapsed = time.perf_counter() - t0
        history.append(
            {
                "iteration": it,
                "lower": lower,
                "upper": upper,
                "gap": gap,
                "seconds": elapsed,
                "columns": master.h.getNumCol() - master.n_fixed,
                "purged": purged,
            }
        )
        progress(
            f"dantzig-wolfe {it}: lower {lower:,.2f} upper {upper:,.2f} gap {gap:.2e} "
            f"({elapsed:.0f} s)"
        )
        if status in (SolveStatus.OPTIMAL, SolveStatus.INFEASIBLE):
            break
        if gap <= tolerance:
            status = SolveStatus.OPTIMAL
            break
        if time.perf_counter() > deadline:
            break
        pi_sep = SMOOTHING * pi_best + (1 - SMOOTHING) * pi_master
    if not np.isfinite(upper) and status is not SolveStatus.INFEASIBLE:
        status = SolveStatus.TIME_LIMIT_NO_SOLUTION
    z = master.plan(value, proposals)
    return z, pi_master, block_duals, status, lower, upper, it, history


def _sparse(split: Split, z: np.ndarray, keep: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The nonzero values of z in the blocks `keep` (the proposals that entered the master)."""
    wanted = np.zeros(split.n_blocks + 1, dtype=bool)
    wanted[keep] = True  # index -1 (master-only columns) stays False
    idx = np.flatnonzero((z != 0) & wanted[split.block_of])
    dtype = np.int32 if z.size < 2**31 else np.int64
    return idx.astype(dtype), z[idx]


def _block_sums(split: Split, v: np.ndarray) -> np.ndarray:
    inb = split.block_of >= 0
    return np.bincount(split.block_of[inb], weights=v[inb], minlength=split.n_blocks)


def _result(data, split, z, pi, block_duals, status, lower, upper, t0, t_build, t_iter):
    """SolveResult in the extensive form's families."""
    cols = split.columns
    values = {b.name: z[cols[b.name] : cols[b.name] + b.size].copy() for b in cols.blocks}
    duals: dict[str, np.ndarray] = {}
    for name, a, e in split.link_families:
        duals[name] = pi[a:e].copy()
    if block_duals is not None:
        for name, a, e in split.own_families:
            duals[name] = block_duals[a:e].copy()
    t_end = time.perf_counter()
    gap = (upper - lower) / max(abs(upper), 1e-9) if np.isfinite(upper) else np.inf
    return SolveResult(
        status=status,
        objective=float(split.cost @ z),
        values=values,
        duals=duals,
        gap=max(gap, 0.0),
        seconds=t_end - t0,
        n_variables=int(split.cost.size),
        n_constraints=int(split.n_rows),
        n_integers=0,
        timings=iteration_timings(t0, t_build, t_iter, t_end),
        highs_status="Optimal" if status is SolveStatus.OPTIMAL else status.value,
    )
