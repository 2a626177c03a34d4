"""Scenario subproblems kept alive across iterations, in worker processes.

Benders and progressive hedging solve every scenario once per iteration. Each worker process
builds the scenario LP template once (`ScenarioSolver`) for its share of the scenarios and
keeps it, with HiGHS's basis, between iterations; only the first-stage values, costs or
penalties travel. With one worker everything runs in this process.

(The process plumbing is `planner.decompose.workers`, shared with the Dantzig-Wolfe pool.)
"""

from __future__ import annotations

import traceback

import numpy as np

from planner.decompose.scenario_lp import ScenarioSolution, ScenarioSolver
from planner.decompose.workers import reply, serve, start_workers, stop_workers, wait_ready
from planner.model.data import ModelData
from planner.solve import SolverOptions


def _worker(conn, data: ModelData, scenarios: list[int], options: SolverOptions) -> None:
    try:
        solver = ScenarioSolver(data, scenarios, options)
        conn.send(("ready", None))
    except Exception:  # report the failure to the parent, which raises it
        conn.send(("error", traceback.format_exc()))
        return

    def handle(msg):
        if msg == "first_stage":
            return solver.first_stage()
        return [solver.solve(s, **kw) for s, kw in msg]

    serve(conn, handle)


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
        self.procs, self.conns = start_workers(
            _worker,
            [(data, block.tolist(), options) for block in self.assign],
            "planner.decompose.scenario_lp",
        )
        wait_ready(self.conns, "scenario", self.close)
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
            kind, payload = reply(self.conns[w])
            if kind == "error":
                errors.append(payload)
            else:
                out.update({r.scenario: r for r in payload})
        if errors:
            raise RuntimeError(f"a scenario subproblem failed:\n{errors[0]}")
        return out

    def close(self) -> None:
        stop_workers(self.procs, self.conns)
        self.procs, self.conns = [], []

    def __enter__(self) -> ScenarioPool:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
