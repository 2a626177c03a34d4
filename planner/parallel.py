"""Run independent tasks (sweep points, simulate replications) in parallel on dask.distributed.

    results = map_tasks(fn, [args1, args2, ...], scheduler=None, n_workers=None)

`scheduler=None` starts a local cluster sized to the machine (one single-threaded worker process
per core, so HiGHS and the forecasters do not oversubscribe); `scheduler="tcp://host:8786"`
uses an existing cluster. `n_workers=1` (or a single task) runs in this process, one task after
another, with no cluster at all. Results come back in the order of `args`; `on_done(i, result)`
is called as each task finishes, in completion order, so callers can save finished work before
an interruption.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import Any


def available_cores() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


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
    workers = n_workers or available_cores()
    if scheduler is None and (workers <= 1 or n <= 1):
        out = []
        for i, a in enumerate(args):
            r = fn(*a)
            if on_done is not None:
                on_done(i, r)
            out.append(r)
        return out

    from distributed import Client, LocalCluster, as_completed

    cluster = None
    if scheduler is None:
        cluster = LocalCluster(
            n_workers=min(workers, n),
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            silence_logs="error",
        )
        client = Client(cluster)
    else:
        client = Client(scheduler, timeout="30s")
    try:
        futures = [client.submit(fn, *a, pure=False) for a in args]
        index = {f.key: i for i, f in enumerate(futures)}
        results: list[Any] = [None] * n
        for fut in as_completed(futures):
            i = index[fut.key]
            results[i] = fut.result()
            if on_done is not None:
                on_done(i, results[i])
        return results
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
