"""Pricing LPs kept alive across iterations, in worker processes (Dantzig-Wolfe).

A chunk is a block-diagonal LP over some blocks of series: its own rows (stock balance and
the other rows of one block), its columns' bounds, costs and linking coefficients. Each worker
owns a share of the chunks and keeps each chunk's LP and last basis, so a new price of the
linking rows only changes the costs and HiGHS restarts from the chunk's last basis. Only the
linking duals travel to the workers, and each chunk's solution (its nonzero values) and row
duals travel back. With one worker everything runs in this process.
"""

from __future__ import annotations

import traceback
from dataclasses import dataclass

import highspy
import numpy as np
import scipy.sparse as sp

from planner.decompose.workers import reply, serve, start_workers, stop_workers, wait_ready
from planner.solve import SolverOptions, configured_highs


@dataclass
class ChunkLP:
    """One pricing LP: columns `cols` of the extensive form over its own rows `rows`."""

    cols: np.ndarray  # global columns, sorted
    rows: np.ndarray  # indexes into the non-linking rows of the extensive form
    A: sp.csc_matrix  # own rows x cols
    col_lo: np.ndarray
    col_hi: np.ndarray
    row_lo: np.ndarray
    row_hi: np.ndarray
    cost: np.ndarray  # original costs of cols
    linkT: sp.csr_matrix  # cols x linking rows


class PricingInfeasible(RuntimeError):
    """A pricing LP has no solution: a block of series has no plan of its own."""


# above this many columns in all, chunks keep their LP and basis instead of a live solver
KEEP_SOLVERS_VARIABLES = 8_000_000


class ChunkSolver:
    """One chunk: `solve(highs, pi)` -> (values, row duals) at price pi.

    `keep=True`: the chunk keeps its own solved HiGHS instance; a new price changes its costs
    and HiGHS restarts from where it stopped. `keep=False` (large models): the chunk keeps only
    its LP (HiGHS's own HighsLp) and the basis of its last solve, because a solved HiGHS
    instance holds several times its LP in factors and work arrays, which over a large model's
    hundreds of chunks ran out of memory (26.7 million columns: over 9 GB per worker during the
    first round). One HiGHS instance per process then takes each chunk in turn, restarting from
    the chunk's basis (no presolve; a refactorisation per chunk).
    """

    def __init__(self, chunk: ChunkLP, options: SolverOptions | None = None, keep: bool = False):
        inf = highspy.kHighsInf
        lp = highspy.HighsLp()
        lp.num_col_ = len(chunk.cols)
        lp.num_row_ = len(chunk.rows)
        lp.col_cost_ = chunk.cost
        lp.col_lower_ = np.where(np.isfinite(chunk.col_lo), chunk.col_lo, -inf)
        lp.col_upper_ = np.where(np.isfinite(chunk.col_hi), chunk.col_hi, inf)
        lp.row_lower_ = np.where(np.isfinite(chunk.row_lo), chunk.row_lo, -inf)
        lp.row_upper_ = np.where(np.isfinite(chunk.row_hi), chunk.row_hi, inf)
        A = chunk.A.tocsc()
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.start_ = A.indptr
        lp.a_matrix_.index_ = A.indices
        lp.a_matrix_.value_ = A.data
        lp.a_matrix_.num_col_ = A.shape[1]
        lp.a_matrix_.num_row_ = A.shape[0]
        self.lp = lp
        self.basis = None
        self.own: highspy.Highs | None = None
        if keep:
            self.own = _highs(options)
            self.own.passModel(lp)
            self.lp = None
        self.n_cols = len(chunk.cols)
        self.cost, self.linkT = chunk.cost, chunk.linkT
        self.index = np.arange(len(chunk.cols), dtype=np.int32)

    def solve(self, h: highspy.Highs, pi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if self.own is not None:
            h = self.own
        else:
            h.passModel(self.lp)
        c = self.cost - self.linkT @ pi
        h.changeColsCost(len(c), self.index, c)
        if self.own is None and self.basis is not None:
            h.setBasis(self.basis)
        h.run()
        status = h.getModelStatus()
        if status == highspy.HighsModelStatus.kInfeasible:
            raise PricingInfeasible(f"a pricing LP is infeasible ({self.n_cols} columns)")
        if status != highspy.HighsModelStatus.kOptimal:
            raise RuntimeError(
                f"a pricing LP ended {h.modelStatusToString(status)} ({self.n_cols} columns)"
            )
        sol = h.getSolution()
        if self.own is None:
            self.basis = h.getBasis()  # a copy
        return np.asarray(sol.col_value), np.asarray(sol.row_dual)


def _highs(options: SolverOptions) -> highspy.Highs:
    h = configured_highs(options)
    h.setOptionValue("output_flag", False)
    h.setOptionValue("time_limit", highspy.kHighsInf)
    return h


def _worker(conn, options: SolverOptions, keep: bool) -> None:
    """Receive chunks one by one (None ends them), then solve all of them at every price."""
    solvers = []
    try:
        h = _highs(options)
        while (chunk := conn.recv()) is not None:
            solvers.append(ChunkSolver(chunk, options, keep))
            del chunk
        conn.send(("ready", None))
    except Exception:  # report the failure to the parent, which raises it
        conn.send(("error", traceback.format_exc()))
        return
    serve(conn, lambda pi: [s.solve(h, pi) for s in solvers], {PricingInfeasible: "infeasible"})


class ChunkPool:
    """`price(pi)` -> (z over all columns, duals of all non-linking rows).

    `make(k)` builds chunk k; chunks are built one at a time and sent to their worker, so the
    parent never holds more than one of them (large models: gigabytes of matrices).
    """

    def __init__(self, make, sizes: list[int], n_cols: int, n_rows: int, options, workers=1):
        self.n_cols, self.n_rows = n_cols, n_rows
        keep = sum(sizes) <= KEEP_SOLVERS_VARIABLES
        self.workers = max(1, min(int(workers), len(sizes)))
        # balance the chunks' sizes over the workers, largest first
        order = np.argsort([-s for s in sizes], kind="stable")
        load = np.zeros(self.workers)
        self.assign: list[list[int]] = [[] for _ in range(self.workers)]
        for k in order.tolist():
            w = int(np.argmin(load))
            self.assign[w].append(k)
            load[w] += sizes[k]
        self.place: list[tuple[np.ndarray, np.ndarray]] = [None] * len(sizes)  # (cols, rows)
        self.local: list[ChunkSolver] | None = None
        self.procs: list = []
        self.conns: list = []
        if self.workers == 1:
            self.local = []
            self.highs = _highs(options)
            for k in range(len(sizes)):
                chunk = make(k)
                self.place[k] = (chunk.cols, chunk.rows)
                self.local.append(ChunkSolver(chunk, options, keep))
            self.assign = [list(range(len(sizes)))]
            return
        self.procs, self.conns = start_workers(
            _worker, [(options, keep)] * self.workers, "planner.decompose.chunk_pool"
        )
        try:
            for w, mine in enumerate(self.assign):
                for k in mine:
                    chunk = make(k)
                    self.place[k] = (chunk.cols, chunk.rows)
                    self.conns[w].send(chunk)
                    del chunk
                self.conns[w].send(None)
        except (BrokenPipeError, OSError):
            pass  # the worker died: its error (or EOF) is read below
        wait_ready(self.conns, "pricing", self.close)

    def price(self, pi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        z = np.zeros(self.n_cols)
        duals = np.zeros(self.n_rows)
        if self.local is not None:
            results = [(k, s.solve(self.highs, pi)) for k, s in enumerate(self.local)]
        else:
            for conn in self.conns:
                conn.send(pi)
            results, errors, infeasible = [], [], []
            for w, conn in enumerate(self.conns):
                kind, payload = reply(conn)
                if kind == "error":
                    errors.append(payload)
                elif kind == "infeasible":
                    infeasible.append(payload)
                else:
                    results.extend(zip(self.assign[w], payload, strict=True))
            if errors:
                raise RuntimeError(f"a pricing LP failed:\n{errors[0]}")
            if infeasible:
                raise PricingInfeasible(infeasible[0])
        for k, (x, y) in results:
            cols, rows = self.place[k]
            z[cols] = x
            duals[rows] = y
        return z, duals

    def close(self) -> None:
        stop_workers(self.procs, self.conns)
        self.procs, self.conns = [], []
