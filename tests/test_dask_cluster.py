"""Sweeps on dask.distributed: a real `dask scheduler` with two `dask worker` processes on
loopback gives exactly the plans of a run in this process. (The local cluster is checked the
same way in test_sweep_cli.py.)"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
import yaml

from planner.config import load_scenario
from planner.data.testing import write_minimal_dataset
from planner.errors import ConfigError
from planner.parallel import TaskRunner, map_tasks
from planner.sweep import sweep_scenario

VARY = {"costs.shortage_multiplier": [0.5, 2], "forecast.scenarios": [4, 8]}  # 2 forecasts
COMPARED = ["status", "objective", "fill_rate", "total_orders", "orders_this_week", "bottlenecks"]


def _dask_cli() -> str | None:
    here = Path(sys.executable).parent / "dask"
    return str(here) if here.is_file() else shutil.which("dask")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _stop(procs: list[subprocess.Popen]) -> None:
    for p in reversed(procs):
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGTERM)
    for p in reversed(procs):
        try:
            p.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait(timeout=10)


@pytest.fixture(scope="module")
def mini(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("dask")
    doc = {
        "name": "mini",
        "dataset": str(write_minimal_dataset(folder / "data")),
        "plan": {"horizon_weeks": 6, "value_of_information": False},
        "forecast": {"model": "seasonal_naive", "paths": 60, "scenarios": 8, "seed": 3},
    }
    path = folder / "mini.yaml"
    path.write_text(yaml.safe_dump(doc))
    return path


@pytest.fixture(scope="module")
def in_process(mini) -> pd.DataFrame:
    base, _ = load_scenario(mini)
    return sweep_scenario(base, VARY, n_workers=1).table()


def _same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    cols = [c for c in a.columns if c != "run_dir"]
    assert list(a.columns) == list(b.columns)
    pd.testing.assert_frame_equal(a[cols], b[cols], check_exact=False, rtol=1e-9, atol=1e-9)
    assert (a["status"] == "optimal").all()


def test_sweep_on_a_dask_scheduler_with_two_workers_equals_the_local_run(
    mini, in_process, tmp_path
):
    dask = _dask_cli()
    if dask is None:
        pytest.skip("the `dask` command (dask.distributed's CLI) is not installed")
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    logs = tmp_path / "logs"
    logs.mkdir()
    procs: list[subprocess.Popen] = []
    try:

        def start(args: list[str], name: str) -> None:
            with open(logs / f"{name}.log", "wb") as log:
                procs.append(
                    subprocess.Popen(
                        [dask, *args],
                        stdout=log,
                        stderr=subprocess.STDOUT,
                        cwd=tmp_path,
                        start_new_session=True,
                    )
                )

        start(["scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"], "s")
        for k in (1, 2):
            start(
                [
                    "worker",
                    address,
                    "--host",
                    "127.0.0.1",
                    "--nthreads",
                    "1",
                    "--no-dashboard",
                    "--memory-limit",
                    "1.5GB",
                    "--name",
                    f"w{k}",
                ],
                f"w{k}",
            )
        from distributed import Client

        deadline = time.monotonic() + 90
        while True:
            try:
                with Client(address, timeout="5s") as client:
                    client.wait_for_workers(2, timeout=60)
                    break
            except OSError:
                if time.monotonic() > deadline or any(p.poll() is not None for p in procs):
                    text = "\n".join(f.read_text() for f in logs.iterdir())
                    pytest.fail(f"the Dask cluster did not start:\n{text}")
                time.sleep(0.5)

        base, _ = load_scenario(mini)
        out = tmp_path / "sweep"
        remote = sweep_scenario(base, VARY, scheduler=address, out=out)
        assert remote.workers == 2 and remote.scheduler == address
        _same(remote.table(), in_process)
        # the point folders were written by this process from what the workers sent back
        for run_dir in pd.read_csv(out / "sweep.csv")["run_dir"]:
            assert (Path(run_dir) / "summary.json").is_file()

        seen = []
        squares = map_tasks(
            pow, [(k, 2) for k in range(6)], scheduler=address, on_done=lambda i, r: seen.append(i)
        )
        assert squares == [0, 1, 4, 9, 16, 25] and sorted(seen) == list(range(6))
        _shared_inputs_and_dependencies(scheduler=address)
    finally:
        _stop(procs)


def _shared_inputs_and_dependencies(**where) -> None:
    with TaskRunner(n_tasks=3, **where) as runner:
        shared = runner.share(list(range(1000)))
        first = runner.submit(sum, shared)
        tasks = [runner.submit(pow, first, 2), runner.submit(max, shared)]
        results = {t.key: r for t, r in runner.as_completed(tasks)}
        assert [results[t.key] for t in tasks] == [499500**2, 999]


def test_tasks_in_this_process_take_shared_inputs_and_other_tasks():
    _shared_inputs_and_dependencies(n_workers=1)


def test_an_unreachable_scheduler_is_a_usage_error():
    port = _free_port()  # nothing listens there
    with pytest.raises(ConfigError, match="dask scheduler"):
        TaskRunner(scheduler=f"tcp://127.0.0.1:{port}", connect_timeout="2s")
