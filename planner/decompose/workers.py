"""Long-lived worker processes that keep a solver between requests (the decomposition pools).

`planner.parallel.map_tasks` runs independent one-shot tasks; the decomposition methods need
processes that build their subproblems once and answer a request per iteration. This module
holds what their pools share: starting the processes (forkserver, with the solver's module
imported once in the server), the request loop run inside each worker, reading replies with a
clear error when a worker died, and shutting down.

Protocol: the parent sends a request, the worker answers ("ok", result), ("error", traceback)
or (kind, message) for an exception listed in `kinds`; None ends the worker.
"""

from __future__ import annotations

import multiprocessing as mp
import traceback
from collections.abc import Callable


def start_workers(target, args: list[tuple], preload: str) -> tuple[list, list]:
    """One process per argument tuple, running target(conn, *a); returns (processes, pipes).

    forkserver: workers fork from a server that imported `preload` once (a spawned worker
    re-imports everything, which takes long on a busy machine)."""
    method = "forkserver" if "forkserver" in mp.get_all_start_methods() else "spawn"
    ctx = mp.get_context(method)
    if method == "forkserver":
        ctx.set_forkserver_preload([preload])
    procs, conns = [], []
    for a in args:
        parent, child = ctx.Pipe()
        p = ctx.Process(target=target, args=(child, *a), daemon=True)
        p.start()
        procs.append(p)
        conns.append(parent)
    return procs, conns


def serve(conn, handle: Callable, kinds: dict[type, str] | None = None) -> None:
    """The worker's loop: answer every request with handle(request) until None arrives."""
    while True:
        try:
            msg = conn.recv()
        except EOFError:  # the parent is gone
            break
        if msg is None:
            break
        try:
            conn.send(("ok", handle(msg)))
        except Exception as exc:
            kind = next((k for t, k in (kinds or {}).items() if isinstance(exc, t)), None)
            conn.send((kind, str(exc)) if kind else ("error", traceback.format_exc()))


def reply(conn, dead: str = "a worker process exited (out of memory?)") -> tuple[str, object]:
    """The next (kind, payload) from a worker; ("error", dead) if it is gone."""
    try:
        return conn.recv()
    except EOFError:
        return "error", dead


def wait_ready(conns: list, what: str, close: Callable[[], None]) -> None:
    """Read every worker's start-up reply; close the pool and raise if one failed."""
    for conn in conns:
        kind, payload = reply(conn, "the worker process exited while starting")
        if kind == "error":
            close()
            raise RuntimeError(f"a {what} worker failed to start:\n{payload}")


def stop_workers(procs: list, conns: list) -> None:
    for conn in conns:
        try:
            conn.send(None)
        except (BrokenPipeError, OSError):
            pass
    for p in procs:
        p.join(timeout=10)
        if p.is_alive():
            p.terminate()
