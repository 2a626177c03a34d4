"""Choose and run a solution method: `solve_data(data, options, method)`.

    extensive    the whole model in one LP/MILP (planner.model.build + planner.solve)
    decomposed   independent groups of series solved apart, in parallel (exact)
    dantzig-wolfe  the shared capacities priced, blocks of series planned apart (column
                 generation; bounds, stops at the tolerance)
    benders      multi-cut L-shaped over the committed orders (bounds, stops at the tolerance)
    ph           progressive hedging over scenarios (bounds, stops at the tolerance)
    mpisppy-ph   progressive hedging on mpi-sppy (planner.decompose.mpisppy)
    auto         decomposed when the series split into independent groups; else, for an
                 extensive form over AUTO_DECOMPOSE_VARIABLES variables, dantzig-wolfe when the
                 model is an LP without CVaR, benders when it splits by scenario with LP
                 recourse (lot sizing or CVaR); else extensive

Every method returns (model, layout, SolveResult, info). `model` is the Pyomo model for the
extensive form and a `ModelRows` (the capacity row lists `summarise` reads) otherwise; the
SolveResult has the extensive form's families in its flat order. `info` says which method ran
and why, with its bounds, gap and iterations; `method_summary(info)` is its summary.json entry.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from planner.decompose.components import series_groups, solve_components
from planner.decompose.dantzig_wolfe import block_angular
from planner.errors import ConfigError
from planner.model.build import build_model
from planner.model.data import ModelData
from planner.model.layout import make_layout
from planner.parallel import available_cores
from planner.solve import SolveResult, SolverOptions, solve_model

METHODS = ("auto", "extensive", "decomposed", "dantzig-wolfe", "benders", "ph", "mpisppy-ph")
# above this many extensive-form variables, auto decomposes a coupled model; measured
# (benchmarks/results/methods.md): small, 0.13 M, extensive 2.9 s vs dantzig-wolfe 66 s; mid,
# 0.92 M, extensive 221 s vs dantzig-wolfe 30 s; medium, 3.07 M, extensive no plan at 900 s vs
# dantzig-wolfe 104 s. The cross-over lies between small and mid; not measured finer.
AUTO_DECOMPOSE_VARIABLES = 900_000

Progress = Callable[[str], None]
# the iterative methods (bounds, tolerance, iterations), imported when used
ITERATIVE = {
    "dantzig-wolfe": ("planner.decompose.dantzig_wolfe", "solve_dantzig_wolfe"),
    "benders": ("planner.decompose.benders", "solve_benders"),
    "ph": ("planner.decompose.ph", "solve_ph"),
}


def _quiet(_: str) -> None:
    pass


@dataclass(frozen=True)
class MethodOptions:
    """How to solve: the `solver.method` family of settings of the scenario file."""

    method: str = "auto"
    tolerance: float = 1e-4
    max_iterations: int = 200
    workers: int | None = None
    rho: float | None = None

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise ConfigError(
                f"The 'solver.method' setting must be one of {', '.join(METHODS)}. "
                f"Got {self.method!r} instead."
            )

    @classmethod
    def from_config(cls, solver) -> MethodOptions:
        """From a `planner.config.SolverConfig`."""
        return cls(
            method=solver.method,
            tolerance=solver.tolerance,
            max_iterations=solver.max_iterations,
            workers=solver.workers,
            rho=solver.rho,
        )


def extensive_variables(data: ModelData) -> int:
    """Variables of the extensive form (orders, stock, shortage, overflow, transfers)."""
    lay = make_layout(data)
    per_scenario = 2 * lay.n * lay.T + lay.n_rc + len(lay.overflow_wt) + lay.n_tr
    return lay.n_fs + lay.S * per_scenario


def scenario_separable(data: ModelData) -> str | None:
    """Why the model has no per-scenario subproblems with linear recourse (None if it has)."""
    if data.service_level is not None:
        return "a fill-rate target is an expectation over all scenarios"
    if data.integer_recourse and data.has_lot_sizing:
        return "the recourse has integer lot sizing"
    if data.n_scenarios == 1 or data.frozen == 0:
        return "there is no first stage shared by several scenarios"
    return None


def choose_method(data: ModelData, requested: str = "auto", groups=None) -> tuple[str, str]:
    """(method, reason) for `requested`; `auto` decides from the model's structure and size."""
    if requested != "auto":
        return requested, "requested in the scenario (solver.method)"
    groups = series_groups(data) if groups is None else groups
    if len(groups) > 1:
        return "decomposed", (
            f"the {data.n_series} series form {len(groups)} independent groups (largest: "
            f"{len(groups[0])} series) sharing no capacity, budget, transfer or target"
        )
    size = extensive_variables(data)
    big = size > AUTO_DECOMPOSE_VARIABLES
    not_blocks = block_angular(data)
    if big and not_blocks is None:
        return "dantzig-wolfe", (
            f"coupled LP with {size:,} extensive-form variables "
            f"(> {AUTO_DECOMPOSE_VARIABLES:,}): shared capacities priced, series planned apart"
        )
    why_not = scenario_separable(data)
    if big and why_not is None:
        return "benders", (
            f"coupled model with {size:,} extensive-form variables "
            f"(> {AUTO_DECOMPOSE_VARIABLES:,}) that splits by scenario ({not_blocks})"
        )
    reason = f"coupled model with {size:,} extensive-form variables"
    if big and why_not is not None:
        reason += f"; no decomposition: {not_blocks}, and {why_not}"
    return "extensive", reason


def solve_extensive(data: ModelData, options: SolverOptions):
    t0 = time.perf_counter()
    model, layout = build_model(data)
    t1 = time.perf_counter()
    res = solve_model(model, options)
    return model, layout, res, {"build_s": t1 - t0}


def solve_data(
    data: ModelData,
    options: SolverOptions,
    method: MethodOptions | str = "auto",
    *,
    progress: Progress = _quiet,
) -> tuple[object, object, SolveResult, dict]:
    """Solve `data` by `method`; see the module docstring for what comes back."""
    mo = MethodOptions(method=method) if isinstance(method, str) else method
    groups = series_groups(data) if mo.method in ("auto", "decomposed") else None
    name, reason = choose_method(data, mo.method, groups)
    workers = mo.workers or available_cores()
    info: dict = {"method": name, "requested": mo.method, "reason": reason}
    t0 = time.perf_counter()
    if name == "decomposed" and len(groups) == 1:
        name = info["method"] = "extensive"
        info["reason"] = "decomposed requested, but every series shares a row with another"
    if name == "extensive":
        model, layout, res, extra = solve_extensive(data, options)
    elif name == "decomposed":
        progress(f"solving {len(groups)} independent groups of series")
        model, layout, res, extra = solve_components(
            data, options, workers=mo.workers, groups=groups
        )
    elif name in ITERATIVE:
        import importlib

        module, function = ITERATIVE[name]
        solve = getattr(importlib.import_module(module), function)
        extra_kw = {"rho": mo.rho} if name == "ph" else {}
        model, layout, res, extra = solve(
            data,
            options,
            tolerance=mo.tolerance,
            max_iterations=mo.max_iterations,
            workers=workers,
            progress=progress,
            **extra_kw,
        )
    else:  # mpisppy-ph
        try:
            from planner.decompose.mpisppy import solve_mpisppy
        except ImportError as exc:  # the optional `mpi` extra
            raise ConfigError(
                "solver.method: mpisppy-ph needs mpi-sppy and mpi4py: pip install 'planner[mpi]'"
            ) from exc
        res = solve_mpisppy(
            data,
            options,
            rho=mo.rho,
            max_iterations=mo.max_iterations,
            tolerance=mo.tolerance,
        )
        from planner.decompose.rows import ModelRows, extensive_rows

        layout = make_layout(data)
        model = ModelRows(extensive_rows(data, layout))
        extra = {"gap": res.gap}
    info.update(extra)
    info["seconds"] = time.perf_counter() - t0
    remember(res, info)
    return model, layout, res, info


def remember(res: SolveResult, info: dict) -> None:
    """Keep `info` on the SolveResult it describes (for `method_info`); it travels with the
    result to and from worker processes (a sweep point solved on Dask keeps it)."""
    res.method = info


def method_info(res: SolveResult) -> dict | None:
    """What `solve_data` said about how `res` was obtained (None if it did not solve it)."""
    return res.method


def method_summary(info: dict | None) -> dict | None:
    """The summary.json entry of a solve: method, why, bounds, gap, iterations (no history)."""
    if not info:
        return None
    out = {}
    for key, value in info.items():
        if key == "history":
            continue
        if isinstance(value, float):
            value = round(value, 6) if abs(value) < 1e6 else round(value, 2)
        out[key] = value
    return out
