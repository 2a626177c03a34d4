"""Independent groups of series, solved as separate models in parallel: the extensive form's
answer exactly.

Two series are linked when one row of the model holds both: a finite warehouse capacity (all
series at the warehouse), a finite supplier capacity (all series with a lane from the supplier),
a transfer route (its two ends), a fill-rate target (all warehouses of a SKU), the weekly budget
or the CVaR of the total cost (everything). Groups are the connected components of that graph.
Groups share no row, so the model is block-diagonal over them and its optimum is the sum of the
groups' optima.

Small groups are packed into a few chunks (one model each, still block-diagonal inside) so that
thousands of one-series groups do not pay a model build each; chunks are solved in parallel with
`planner.parallel.map_tasks` and their values and duals are scattered back into the extensive
form's flat layout.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from planner.decompose.rows import ROW_FAMILIES, ModelRows, extensive_rows
from planner.model.build import build_model
from planner.model.data import ModelData, Transfers
from planner.model.layout import Layout, make_layout
from planner.parallel import available_cores, map_tasks
from planner.solve import SolveResult, SolverOptions, SolveStatus, solve_model

# a chunk this large (variables) is solved on its own; smaller groups are packed together
CHUNK_VARIABLES = 150_000
# below this many variables in all, starting worker processes costs more than it saves
PARALLEL_MIN_VARIABLES = 1_000_000


def coupling_links(data: ModelData) -> dict[str, int]:
    """How many series each kind of shared row links (for reports)."""
    out = {}
    cap = data.warehouse_capacity
    out["warehouse_capacity"] = int(np.isfinite(cap).any(axis=1)[data.series_warehouse].sum())
    scap = data.supplier_capacity
    lanes = np.isfinite(scap).any(axis=1)[data.lane_supplier]
    out["supplier_capacity"] = len(np.unique(data.lane_series[lanes]))
    out["transfers"] = 0 if data.transfers is None else len(data.transfers)
    out["service_level"] = data.n_series if data.service_level is not None else 0
    out["budget"] = data.n_series if data.budget_per_week is not None else 0
    out["cvar"] = data.n_series if data.cvar_weight > 0 else 0
    return out


def series_groups(data: ModelData) -> list[np.ndarray]:
    """Independent groups of series (sorted index arrays), largest first, ties by first series."""
    n = data.n_series
    W, Q = len(data.warehouses), len(data.suppliers)
    skus, sku_of = np.unique(data.series["sku"].to_numpy().astype(str), return_inverse=True)
    # nodes: series, warehouses, suppliers, SKUs, one global node
    off_w, off_q = n, n + W
    off_k = off_q + Q
    glob = off_k + len(skus)
    a: list[np.ndarray] = []
    b: list[np.ndarray] = []
    wh_limited = np.isfinite(data.warehouse_capacity).any(axis=1)
    i = np.flatnonzero(wh_limited[data.series_warehouse])
    a.append(i)
    b.append(off_w + data.series_warehouse[i])
    sup_limited = np.isfinite(data.supplier_capacity).any(axis=1)
    lanes = np.flatnonzero(sup_limited[data.lane_supplier])
    a.append(data.lane_series[lanes])
    b.append(off_q + data.lane_supplier[lanes])
    if data.transfers is not None and len(data.transfers):
        a.append(np.asarray(data.transfers.from_series, np.int64))
        b.append(np.asarray(data.transfers.to_series, np.int64))
    if data.service_level is not None:
        a.append(np.arange(n))
        b.append(off_k + sku_of)
    if data.budget_per_week is not None or data.cvar_weight > 0:
        a.append(np.arange(n))
        b.append(np.full(n, glob))
    src = np.concatenate(a).astype(np.int64)
    dst = np.concatenate(b).astype(np.int64)
    graph = sp.coo_matrix((np.ones(len(src)), (src, dst)), shape=(glob + 1, glob + 1))
    _, label = connected_components(graph, directed=False)
    label = label[:n]
    _, first, inverse = np.unique(label, return_index=True, return_inverse=True)
    groups = [np.flatnonzero(inverse == g) for g in range(len(first))]
    groups.sort(key=lambda g: (-len(g), int(g[0])))
    return groups


def slice_data(data: ModelData, series: np.ndarray) -> ModelData:
    """The model of a subset of series (all their lanes and the transfers between them).

    Warehouses and suppliers keep their full index sets: a capacity whose members are all in
    `series` gives the same rows; one with no member gives none.
    """
    series = np.sort(np.asarray(series, np.int64))
    new_index = np.full(data.n_series, -1, np.int64)
    new_index[series] = np.arange(len(series))
    lanes = np.flatnonzero(new_index[data.lane_series] >= 0)
    transfers = None
    if data.transfers is not None and len(data.transfers):
        tr = data.transfers
        keep = np.flatnonzero(new_index[tr.from_series] >= 0)
        if (new_index[tr.to_series[keep]] < 0).any():
            raise ValueError("a transfer route leaves the group of series")
        transfers = Transfers(
            from_series=new_index[tr.from_series[keep]],
            to_series=new_index[tr.to_series[keep]],
            cost=np.asarray(tr.cost)[keep],
            lead_time=np.asarray(tr.lead_time)[keep],
        )
    lts = data.lead_time_scenarios
    return replace(
        data,
        series=data.series.iloc[series].reset_index(drop=True),
        lanes=data.lanes.iloc[lanes].reset_index(drop=True),
        lane_series=new_index[data.lane_series[lanes]],
        lane_supplier=data.lane_supplier[lanes],
        lead_time=data.lead_time[lanes],
        unit_price=data.unit_price[lanes],
        shipping_cost=data.shipping_cost[lanes],
        holding_cost=data.holding_cost[series],
        shortage_cost=data.shortage_cost[series],
        terminal_value=data.terminal_value[series],
        volume=data.volume[series],
        series_warehouse=data.series_warehouse[series],
        on_hand=data.on_hand[series],
        open_arrivals=data.open_arrivals[series],
        demand=data.demand[:, series, :],
        fixed_order_cost=data.fixed_order_cost[lanes],
        moq=data.moq[lanes],
        order_multiple=data.order_multiple[lanes],
        lead_time_scenarios=None if lts is None else lts[lanes],
        transfers=transfers,
        service_from_week=(
            None if data.service_from_week is None else np.asarray(data.service_from_week)[series]
        ),
        meta=dict(data.meta),
    )


def group_size(data: ModelData, series: np.ndarray) -> int:
    """Rough variable count of a group's model (stock and shortage per week, orders per lane)."""
    lanes = np.isin(data.lane_series, series).sum()
    return data.n_scenarios * data.n_weeks * (2 * len(series) + int(lanes))


def pack_chunks(data: ModelData, groups: list[np.ndarray], workers: int) -> list[np.ndarray]:
    """Groups packed into chunks (series index arrays): at least one chunk per worker when
    there are enough groups, none larger than CHUNK_VARIABLES unless a single group is."""
    sizes = [group_size(data, g) for g in groups]
    total = sum(sizes)
    n_chunks = max(min(workers, len(groups)), int(np.ceil(total / CHUNK_VARIABLES)))
    n_chunks = min(n_chunks, len(groups))
    load = np.zeros(n_chunks)
    members: list[list[np.ndarray]] = [[] for _ in range(n_chunks)]
    for g, size in sorted(zip(groups, sizes, strict=True), key=lambda gs: -gs[1]):
        k = int(np.argmin(load))  # longest processing time first: balanced chunks
        load[k] += size
        members[k].append(g)
    return [np.sort(np.concatenate(m)) for m in members if m]


@dataclass
class ChunkResult:
    """What a worker sends back: plain arrays, no Pyomo."""

    status: SolveStatus
    objective: float
    bound: float
    values: dict[str, np.ndarray]
    duals: dict[str, np.ndarray]
    rows: dict[str, list]
    n_variables: int
    n_constraints: int
    n_integers: int
    build_s: float
    solve_s: float
    highs_status: str


def solve_chunk(data: ModelData, options: SolverOptions) -> ChunkResult:
    """Build and solve one chunk's model (runs in a worker process)."""
    t0 = time.perf_counter()
    model, _ = build_model(data)
    t1 = time.perf_counter()
    res = solve_model(model, options)
    rows = {f: list(getattr(model, f"{f}_rows")) for f in ROW_FAMILIES if hasattr(model, f)}
    bound = res.objective
    if res.n_integers and res.status.has_solution and np.isfinite(res.gap):
        bound = res.objective - res.gap * max(abs(res.objective), 1e-9)
    return ChunkResult(
        status=res.status,
        objective=res.objective,
        bound=bound,
        values=res.values,
        duals=res.duals,
        rows=rows,
        n_variables=res.n_variables,
        n_constraints=res.n_constraints,
        n_integers=res.n_integers,
        build_s=t1 - t0,
        solve_s=time.perf_counter() - t1,
        highs_status=res.highs_status,
    )


class Scatter:
    """Flat positions in the extensive form of a chunk's variables and rows, by family."""

    def __init__(self, data: ModelData, lay: Layout, series: np.ndarray, sub: ModelData):
        self.data, self.lay, self.series, self.sub = data, lay, series, sub
        self.sublay = make_layout(sub)
        T, nl = lay.T, data.n_lanes
        lanes = np.flatnonzero(np.isin(data.lane_series, series))
        fs_pos = np.full(nl * T, -1, np.int64)
        fs_pos[lay.fs_lane * T + lay.fs_week] = np.arange(lay.n_fs)
        rc_pos = np.full(nl * T, -1, np.int64)
        rc_pos[lay.rc_lane * T + lay.rc_week] = np.arange(lay.n_rc)
        sl = self.sublay
        self.fs = fs_pos[lanes[sl.fs_lane] * T + sl.fs_week]
        self.rc = rc_pos[lanes[sl.rc_lane] * T + sl.rc_week]
        setup_pos = np.full(lay.n_fs, -1, np.int64)
        setup_pos[lay.fs_setup] = np.arange(len(lay.fs_setup))
        self.fs_setup = setup_pos[self.fs[sl.fs_setup]]
        lots_pos = np.full(lay.n_fs, -1, np.int64)
        lots_pos[lay.fs_lots] = np.arange(len(lay.fs_lots))
        self.fs_lots = lots_pos[self.fs[sl.fs_lots]]
        rsetup_pos = np.full(lay.n_rc, -1, np.int64)
        rsetup_pos[lay.rc_setup] = np.arange(len(lay.rc_setup))
        self.rc_setup = rsetup_pos[self.rc[sl.rc_setup]]
        rlots_pos = np.full(lay.n_rc, -1, np.int64)
        rlots_pos[lay.rc_lots] = np.arange(len(lay.rc_lots))
        self.rc_lots = rlots_pos[self.rc[sl.rc_lots]]
        ov = {(int(w), int(t)): j for j, (w, t) in enumerate(lay.overflow_wt)}
        self.ov = np.asarray([ov[int(w), int(t)] for w, t in sl.overflow_wt], np.int64)
        if sl.n_tr:
            tr = data.transfers
            routes = np.flatnonzero(np.isin(tr.from_series, series))
            tr_pos = np.full(len(tr) * T, -1, np.int64)
            tr_pos[lay.tr_route * T + lay.tr_week] = np.arange(lay.n_tr)
            self.tr = tr_pos[routes[sl.tr_route] * T + sl.tr_week]
        else:
            self.tr = np.zeros(0, np.int64)
        # per scenario block: (family, full block size, positions in the block)
        self.blocks = {
            "order": (lay.n_rc, self.rc),
            "placed": (len(lay.rc_setup), self.rc_setup),
            "lots": (len(lay.rc_lots), self.rc_lots),
            "overflow": (len(lay.overflow_wt), self.ov),
            "transfer": (lay.n_tr, self.tr),
        }
        self.first = {
            "order_first": self.fs,
            "placed_first": self.fs_setup,
            "lots_first": self.fs_lots,
        }

    def series_cells(self, arr: np.ndarray, out: np.ndarray) -> None:
        """(S, n_sub, T) family (stock, short, stock balance rows) into (S, n, T)."""
        S, T = self.lay.S, self.lay.T
        out.reshape(S, self.lay.n, T)[:, self.series, :] = arr.reshape(S, len(self.series), T)

    def values(self, sub_values: dict[str, np.ndarray], out: dict[str, np.ndarray]) -> None:
        S = self.lay.S
        for name, pos in self.first.items():
            if name in sub_values and len(pos):
                out[name][pos] = sub_values[name]
        for name in ("stock", "short"):
            self.series_cells(sub_values[name], out[name])
        for name, (size, pos) in self.blocks.items():
            if name in sub_values and len(pos):
                out[name].reshape(S, size)[:, pos] = sub_values[name].reshape(S, len(pos))


def empty_values(data: ModelData, lay: Layout) -> dict[str, np.ndarray]:
    """Zero arrays of every variable family of the extensive form (LP and lot sizing)."""
    S = lay.S
    return {
        "order_first": np.zeros(lay.n_fs),
        "order": np.zeros(S * lay.n_rc),
        "placed_first": np.zeros(len(lay.fs_setup)),
        "placed": np.zeros(S * len(lay.rc_setup)),
        "lots_first": np.zeros(len(lay.fs_lots)),
        "lots": np.zeros(S * len(lay.rc_lots)),
        "stock": np.zeros(S * lay.n * lay.T),
        "short": np.zeros(S * lay.n * lay.T),
        "overflow": np.zeros(S * len(lay.overflow_wt)),
        "transfer": np.zeros(S * lay.n_tr),
    }


def _merge_status(chunks: list[ChunkResult]) -> SolveStatus:
    order = (
        SolveStatus.INFEASIBLE,
        SolveStatus.UNBOUNDED,
        SolveStatus.ERROR,
        SolveStatus.TIME_LIMIT_NO_SOLUTION,
        SolveStatus.TIME_LIMIT_FEASIBLE,
    )
    for status in order:
        if any(c.status is status for c in chunks):
            return status
    return SolveStatus.OPTIMAL


def solve_components(
    data: ModelData,
    options: SolverOptions,
    *,
    workers: int | None = None,
    groups: list[np.ndarray] | None = None,
) -> tuple[ModelRows, Layout, SolveResult, dict]:
    """Solve every independent group apart (in parallel) and reassemble the extensive form's
    solution: values and capacity/balance duals in its flat layout."""
    t0 = time.perf_counter()
    groups = series_groups(data) if groups is None else groups
    if workers is None:
        total = sum(group_size(data, g) for g in groups)
        workers = available_cores() if total >= PARALLEL_MIN_VARIABLES else 1
    chunks = pack_chunks(data, groups, workers)
    subs = [slice_data(data, c) for c in chunks]
    results: list[ChunkResult] = map_tasks(
        solve_chunk, [(s, options) for s in subs], n_workers=min(workers, len(subs))
    )
    t1 = time.perf_counter()
    lay = make_layout(data)
    status = _merge_status(results)
    values: dict[str, np.ndarray] = {}
    duals: dict[str, np.ndarray] = {}
    full_rows = extensive_rows(data, lay)
    objective = gap = float("nan")
    if status.has_solution:
        values = empty_values(data, lay)
        balance = np.zeros(lay.S * lay.n * lay.T)
        row_pos = {f: {r: k for k, r in enumerate(rows)} for f, rows in full_rows.items()}
        row_duals = {f: np.zeros(len(rows)) for f, rows in full_rows.items()}
        for series, sub, r in zip(chunks, subs, results, strict=True):
            sc = Scatter(data, lay, series, sub)
            sc.values(r.values, values)
            if "stock_balance" in r.duals:
                sc.series_cells(r.duals["stock_balance"], balance)
            for family, rows in r.rows.items():
                if family in r.duals:
                    pos = np.fromiter((row_pos[family][row] for row in rows), np.int64, len(rows))
                    row_duals[family][pos] = r.duals[family]
        if all("stock_balance" in r.duals for r in results):
            duals["stock_balance"] = balance
            duals.update(row_duals)
        objective = float(sum(r.objective for r in results))
        bound = float(sum(r.bound for r in results))
        gap = 0.0 if objective == bound else (objective - bound) / max(abs(objective), 1e-9)
    res = SolveResult(
        status=status,
        objective=objective,
        values=values,
        duals=duals,
        gap=gap,
        seconds=time.perf_counter() - t0,
        n_variables=sum(r.n_variables for r in results),
        n_constraints=sum(r.n_constraints for r in results),
        n_integers=sum(r.n_integers for r in results),
        timings={
            "compile": 0.0,
            "handover": 0.0,
            "solve": t1 - t0,
            "extract": time.perf_counter() - t1,
        },
        highs_status=", ".join(sorted({r.highs_status for r in results})),
    )
    info = {
        "groups": len(groups),
        "largest_group_series": len(groups[0]) if groups else 0,
        "chunks": len(chunks),
        "workers": min(workers, len(subs)),
        "chunk_build_s": round(sum(r.build_s for r in results), 3),
        "chunk_solve_s": round(sum(r.solve_s for r in results), 3),
    }
    return ModelRows(full_rows), lay, res, info
