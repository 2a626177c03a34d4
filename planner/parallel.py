"""Run independent tasks (sweep points, simulate replications) in parallel on dask.distributed.

    results = map_tasks(fn, [args1, args2, ...], scheduler=None, n_workers=None)

`scheduler=None` starts a local cluster sized to the machine (one single-threaded worker process
per core, so HiGHS and the forecasters do not oversubscribe); `scheduler="tcp://host:8786"`
uses an existing cluster. `n_workers=1` (or a single task) runs in this process, one task after
another, with no cluster at all. Results come back in the order of `args`; `on_done(i, result)`
is called as each task finishes, in completion order, so callers can save finished work before
an interruption.

For work with shared inputs, `TaskRunner` is the lower level: `share(obj)` sends a large object
to the workers once (every task that takes the handle reads the workers' copy), `submit(fn,
*args)` accepts handles of shared objects and of other tasks as arguments, and
`as_completed(tasks)` yields each task with its result as it finishes:

    with TaskRunner(scheduler=None, n_workers=None, n_tasks=len(points)) as runner:
        shared = runner.share(big_input)
        tasks = [runner.submit(solve_point, shared, p) for p in points]
        for task, result in runner.as_completed(tasks):
            save(result)
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from planner.errors import ConfigError, Problem


def available_cores() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


@contextlib.contextmanager
def _workers_ignore_ctrl_c():
    """Start processes that ignore SIGINT (they inherit it): Ctrl-C then reaches only this
    process, which keeps the finished work and shuts the local cluster down in order."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _inside_a_worker() -> bool:
    """True in a Dask worker or another daemonic process (which cannot start processes)."""
    import multiprocessing

    if multiprocessing.current_process().daemon:
        return True
    try:
        from distributed import get_worker

        get_worker()
    except (ImportError, ValueError):
        return False
    return True


# imported once by the process that local workers fork from (see _fork_from_a_warm_server)
WORKER_PRELOAD = (
    "distributed",
    "numpy",
    "pandas",
    "scipy.sparse",
    "highspy",
    "pyomo.environ",
    "planner.pipeline",
    "planner.sweep.runner",
)


@contextlib.contextmanager
def _fork_from_a_warm_server():
    """Local workers fork from a single-threaded server that has imported the planner once,
    instead of each starting a fresh interpreter that imports everything again (spawn): on a
    busy machine that start-up costs more than a sweep of small plans."""
    import multiprocessing

    import dask
    from distributed.utils import get_mp_context

    if "forkserver" not in multiprocessing.get_all_start_methods():  # pragma: no cover
        yield
        return
    with dask.config.set({"distributed.worker.multiprocessing-method": "forkserver"}):
        get_mp_context().set_forkserver_preload(list(WORKER_PRELOAD))
        yield


class _Deferred:
    """A task of the in-process runner: computed when it is collected, in submission order."""

    def __init__(self, index: int, fn: Callable[..., Any], args: tuple):
        self.key = index
        self.fn = fn
        self.args = args
        self.done = False
        self.value: Any = None

    def result(self) -> Any:
        if not self.done:
            args = tuple(a.result() if isinstance(a, _Deferred) else a for a in self.args)
            self.value = self.fn(*args)
            self.done = True
        return self.value


class TaskRunner:
    """Tasks on a dask.distributed cluster (local or existing), or in this process.

    In this process (`n_workers=1`, or a local run of at most one task) nothing is started and
    tasks run one after another as they are collected. Otherwise a local cluster of
    `n_workers` single-threaded worker processes (default: one per core, at most `n_tasks`) is
    started, or the existing scheduler at `scheduler` is used. Close with `close()` or a `with`
    block: the client disconnects and a local cluster is shut down (also on Ctrl-C).
    """

    def __init__(
        self,
        *,
        scheduler: str | None = None,
        n_workers: int | None = None,
        n_tasks: int | None = None,
        connect_timeout: str = "30s",
    ):
        self.scheduler = scheduler
        workers = n_workers or available_cores()
        if n_tasks is not None:
            workers = max(1, min(workers, n_tasks))
        if scheduler is None and _inside_a_worker():
            workers = 1  # a task that maps tasks itself: its worker process cannot start more
        self.client = None
        self.cluster = None
        self._n = 0
        if scheduler is None and workers <= 1:
            self.n_workers = 1
            return
        from distributed import Client, LocalCluster

        if scheduler is None:
            with _workers_ignore_ctrl_c(), _fork_from_a_warm_server():
                self.cluster = LocalCluster(
                    n_workers=workers,
                    threads_per_worker=1,
                    processes=True,
                    dashboard_address=":0",  # a free port: never "8787 already in use"
                    silence_logs=logging.ERROR,
                )
            self.client = Client(self.cluster)
            self.n_workers = workers
        else:
            try:
                self.client = Client(scheduler, timeout=connect_timeout)
            except (OSError, TimeoutError) as exc:
                raise ConfigError(
                    Problem(
                        "--scheduler",
                        f"no Dask scheduler answers at {scheduler!r} ({exc})",
                        fix="start one with `dask scheduler` and workers with "
                        "`dask worker tcp://HOST:8786`, or leave --scheduler out to run on "
                        "a local cluster",
                    ),
                    title="cannot reach the Dask cluster",
                ) from None
            info = self.client.scheduler_info()
            self.n_workers = max(1, len(info.get("workers", {})))

    @property
    def parallel(self) -> bool:
        return self.client is not None

    def share(self, obj: Any) -> Any:
        """A handle to `obj` that tasks take as an argument; sent to the workers only once."""
        if self.client is None:
            return obj
        return self.client.scatter(obj, broadcast=True, hash=False)

    def submit(self, fn: Callable[..., Any], *args: Any) -> Any:
        """Run fn(*args) (handles among `args` are replaced by their values); a task handle."""
        self._n += 1
        if self.client is None:
            return _Deferred(self._n, fn, args)
        return self.client.submit(fn, *args, pure=False)

    def as_completed(self, tasks: Sequence[Any]) -> Iterator[tuple[Any, Any]]:
        """(task, result) for each task as it finishes (in submission order in this process).

        An exception raised by a task is raised here.
        """
        if self.client is None:
            for task in tasks:
                yield task, task.result()
            return
        from distributed import as_completed

        for fut in as_completed(list(tasks)):
            yield fut, fut.result()

    def close(self) -> None:
        log = logging.getLogger("distributed")
        level = log.level
        log.setLevel(logging.CRITICAL)  # workers going away while shutting down is expected
        try:
            if self.client is not None:
                self.client.close()
                self.client = None
            if self.cluster is not None:
                self.cluster.close()
                self.cluster = None
        finally:
            log.setLevel(level)

    def __enter__(self) -> TaskRunner:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def map_tasks(
    fn: Callable[..., Any],
    args: Sequence[tuple],
    *,
    scheduler: str | None = None,
    n_workers: int | None = None,
    on_done: Callable[[int, Any], None] | None = None,
) -> list[Any]:
    """fn(*a) for every a in args; in parallel unless there is nothing to gain."""
    n = len(args)
    results: list[Any] = [None] * n
    with TaskRunner(scheduler=scheduler, n_workers=n_workers, n_tasks=n) as runner:
        tasks = [runner.submit(fn, *a) for a in args]
        index = {t.key: i for i, t in enumerate(tasks)}
        for task, result in runner.as_completed(tasks):
            i = index[task.key]
            results[i] = result
            if on_done is not None:
                on_done(i, result)
    return results
