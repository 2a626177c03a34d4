"""Scenario subproblems kept alive across iterations, in worker processes.

Benders and progressive hedging solve every scenario once per iteration. Each worker process
builds the scenario LP template once (`ScenarioSolver`) for its share of the scenarios and
keeps it, with HiGHS's basis, between iterations; only the first-stage values, costs or
penalties travel. With one worker everything runs in this process.

(`planner.parallel.map_tasks` runs independent one-shot tasks; it cannot keep a solver alive
between calls, hence this small pool of long-lived processes.)
"""

from __future__ import annotations

import multiprocessing as mp
import traceback

import numpy as np

from planner.decompose.scenario_lp import ScenarioSolution, ScenarioSolver
from planner.model.data import ModelData
from planner.solve import SolverOptions


def _worker(conn, data: ModelData, scenarios: list[int], options: SolverOptions) -> None:
    try:
        solver = ScenarioSolver(data, scenarios, options)
        conn.send(("ready", None))
    except Exception:  # report the failure to the parent, which raises it
        conn.send(("error", traceback.format_exc()))
        return
    while True:
        try:
            msg = conn.recv()
        except EOFError:  # the parent is gone
            break
        if msg is None:
            break
        if msg == "first_stage":
            conn.send(("ok", solver.first_stage()))
            continue
        try:
            conn.send(("ok", [solver.solve(s, **kw) for s, kw in msg]))
        except Exception:
            conn.send(("error", traceback.format_exc()))


class ScenarioPool:
    """`solve({s: kwargs})` -> {s: ScenarioSolution}, the scenarios spread over the workers."""

    def __init__(self, data: ModelData, options: SolverOptions, workers: int = 1):
        S = data.n_scenarios
        self.workers = max(1, min(int(workers), S))
        # contiguous blocks keep scenarios of one lead-time pattern together
        self.assign = np.array_split(np.arange(S), self.workers)
        self.owner = np.zeros(S, np.int64)
        for w, block in enumerate(self.assign):
            self.owner[block] = w
        self.local: ScenarioSolver | None = None
        self.procs: list = []
        self.conns: list = []
        if self.workers == 1:
            self.local = ScenarioSolver(data, range(S), options)
            self.first_stage = self.local.first_stage()
            return
        # forkserver: workers fork from a server that imported the solver once (a spawned
        # worker re-imports everything, which takes long on a busy machine)
        method = "forkserver" if "forkserver" in mp.get_all_start_methods() else "spawn"
        ctx = mp.get_context(method)
        if method == "forkserver":
            ctx.set_forkserver_preload(["planner.decompose.scenario_lp"])
        for block in self.assign:
            parent, child = ctx.Pipe()
            p = ctx.Process(
                target=_worker, args=(child, data, block.tolist(), options), daemon=True
            )
            p.start()
            self.procs.append(p)
            self.conns.append(parent)
        for conn in self.conns:
            try:
                kind, payload = conn.recv()
            except EOFError:
                kind, payload = "error", "the worker process exited while starting"
            if kind == "error":
                self.close()
                raise RuntimeError(f"a scenario worker failed to start:\n{payload}")
        self.conns[0].send("first_stage")
        self.first_stage = self.conns[0].recv()[1]

    def solve(self, requests: dict[int, dict]) -> dict[int, ScenarioSolution]:
        if self.local is not None:
            return {s: self.local.solve(s, **kw) for s, kw in requests.items()}
        per: list[list] = [[] for _ in range(self.workers)]
        for s, kw in requests.items():
            per[self.owner[s]].append((s, kw))
        busy = [w for w in range(self.workers) if per[w]]
        for w in busy:
            self.conns[w].send(per[w])
        out: dict[int, ScenarioSolution] = {}
        errors = []
        for w in busy:
            try:
                kind, payload = self.conns[w].recv()
            except EOFError:
                kind, payload = "error", "a worker process exited (out of memory?)"
            if kind == "error":
                errors.append(payload)
            else:
                out.update({r.scenario: r for r in payload})
        if errors:
            raise RuntimeError(f"a scenario subproblem failed:\n{errors[0]}")
        return out

    def close(self) -> None:
        for conn in self.conns:
            try:
                conn.send(None)
            except (BrokenPipeError, OSError):
                pass
        for p in self.procs:
            p.join(timeout=10)
            if p.is_alive():
                p.terminate()
        self.procs, self.conns = [], []

    def __enter__(self) -> ScenarioPool:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
