"""Progressive hedging on mpi-sppy: scenario creator, consensus plan, 1 rank and 2 MPI ranks.

Every answer is checked against the extensive form (`build_model` + `solve_model`) of the same
seeded synthetic ModelData.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from planner.model.build import build_model
from planner.model.layout import make_layout
from planner.model.synthetic import synthetic_model_data
from planner.solve import SolverOptions, solve_model

mpisppy_mod = pytest.importorskip("planner.decompose.mpisppy")
if not mpisppy_mod.available():
    pytest.skip("mpi-sppy, mpi4py or the appsi HiGHS plugin missing", allow_module_level=True)

from planner.decompose.mpisppy import (  # noqa: E402
    consensus_first_stage,
    extensive_objective,
    is_worker_rank,
    scenario_creator,
    scenario_names,
    solve_mpisppy,
)
from planner.errors import ConfigError  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
TINY = (5, 2, 2, 8, 5)
TOL = 1e-4


def tiny(**changes):
    data = synthetic_model_data(*TINY, seed=3)
    return replace(data, **changes) if changes else data


def lot_sized(data):
    """Fixed order costs and MOQs on the fast supplier's lanes, multiples on the slow one's."""
    nl = data.n_lanes
    fast = data.lane_supplier == 0
    fixed = np.where(fast, 40.0, 0.0)
    moq = np.where(fast, 15.0, 0.0)
    mult = np.where(~fast, 10.0, 0.0)
    assert fixed.shape == (nl,)
    return replace(data, fixed_order_cost=fixed, moq=moq, order_multiple=mult)


def extensive(data):
    model, lay = build_model(data)
    return solve_model(model), lay


@pytest.fixture(scope="module")
def tiny_lp():
    data = tiny()
    ef, lay = extensive(data)
    return data, ef, lay


def test_scenario_creator_splits_the_extensive_form():
    """With the first stage fixed at the extensive optimum, sum_s p_s (scenario optimum) is the
    extensive objective: the scenario models are exactly its blocks (lot sizing and big-M too)."""
    data = lot_sized(tiny())
    ef, _ = extensive(data)
    total = 0.0
    for name in scenario_names(data):
        m = scenario_creator(name, data)
        assert m._mpisppy_node_list[0].name == "ROOT"
        for fam in ("order_first", "placed_first", "lots_first"):
            for k, var in getattr(m, fam).items():
                var.fix(float(np.round(ef.values[fam][k], 6)))
        res = solve_model(m)
        assert res.status.has_solution
        total += m._mpisppy_probability * res.objective
    assert total == pytest.approx(ef.objective, rel=1e-6)
    assert sum(scenario_creator(n, data)._mpisppy_probability for n in scenario_names(data)) == (
        pytest.approx(1.0)
    )


def test_consensus_first_stage_keeps_the_lot_rules():
    data = lot_sized(tiny())
    lay = make_layout(data)
    rng = np.random.default_rng(0)
    xbar = {
        "order_first": rng.uniform(0, 40, lay.n_fs),
        "placed_first": rng.uniform(0, 1, len(lay.fs_setup)),
        "lots_first": rng.uniform(0, 4, len(lay.fs_lots)),
    }
    first = consensus_first_stage(data, lay, xbar)
    x = first["order_first"]
    mult = data.order_multiple[lay.fs_lane]
    moq = data.moq[lay.fs_lane]
    assert np.all(x >= 0)
    assert np.allclose(x[lay.fs_lots], mult[lay.fs_lots] * first["lots_first"])
    assert np.allclose(first["lots_first"], np.round(first["lots_first"]))
    placed = first["placed_first"]
    assert set(np.unique(placed)) <= {0.0, 1.0}
    on, off = lay.fs_setup[placed == 1], lay.fs_setup[placed == 0]
    assert np.all(x[off] == 0)
    assert np.all(x[on] >= moq[on] - 1e-9)
    free = np.setdiff1d(np.arange(lay.n_fs), np.union1d(lay.fs_setup, lay.fs_lots))
    assert np.allclose(x[free], xbar["order_first"][free])


def test_one_rank_matches_the_extensive_form(tiny_lp):
    from planner.decompose.rows import ModelRows, extensive_rows
    from planner.results import summarise

    data, ef, lay = tiny_lp
    res = solve_mpisppy(data, SolverOptions(), tolerance=TOL, max_iterations=300)
    assert res.ranks == 1
    assert res.converged and res.gap <= TOL
    # bounds bracket the true optimum; the plan's cost is within the gap of it
    assert res.lower_bound <= ef.objective + 1e-6 * abs(ef.objective)
    assert res.objective >= ef.objective - 1e-6 * abs(ef.objective)
    assert (res.objective - ef.objective) / abs(ef.objective) <= TOL
    assert res.trivial_bound <= res.lower_bound + 1e-9
    # the extensive form's families and flat order, one plan for every scenario
    for fam, arr in ef.values.items():
        assert res.values[fam].shape == arr.shape, fam
    assert res.objective == pytest.approx(extensive_objective(data, lay, res.values), rel=1e-12)
    # summarise's cost accounting agrees with the objective, bottlenecks get their rows
    plan = summarise(ModelRows(extensive_rows(data, lay)), data, lay, res)
    assert plan.objective == pytest.approx(res.objective)
    assert {b["constraint"] for b in plan.bottlenecks} <= {
        "warehouse_capacity",
        "supplier_capacity",
    }


def test_cvar_and_lot_sizing_bracket_the_extensive_form():
    """Integer first stage (setups, MOQs, multiples) and a CVaR term: PH is a heuristic there
    (the Lagrangian bound keeps a duality gap), but its plan is feasible, its bounds bracket
    the extensive optimum and six iterations land within half a percent of it."""
    base = synthetic_model_data(5, 2, 2, 8, 3, seed=3)
    data = lot_sized(replace(base, cvar_weight=0.5, cvar_alpha=0.8))
    ef, _ = extensive(data)
    res = solve_mpisppy(data, SolverOptions(mip_gap=1e-6), tolerance=1e-3, max_iterations=6)
    assert res.n_integers > 0
    assert res.lower_bound <= ef.objective + 1e-6 * abs(ef.objective)
    assert res.objective >= ef.objective - 1e-6 * abs(ef.objective)
    assert (res.objective - ef.objective) / abs(ef.objective) <= 5e-3
    assert res.values["cvar_excess_var"].shape == (data.n_scenarios,)
    x = res.values["order_first"]
    lay = make_layout(data)
    mult = data.order_multiple[lay.fs_lane]
    lots = lay.fs_lots
    assert np.allclose(x[lots], mult[lots] * np.round(x[lots] / mult[lots]))


def test_service_level_is_refused():
    with pytest.raises(ConfigError, match="service_level"):
        solve_mpisppy(tiny(service_level=0.95), SolverOptions())


def test_worker_rank_from_the_launcher_environment(monkeypatch):
    for var in ("PMI_RANK", "OMPI_COMM_WORLD_RANK", "PMIX_RANK"):
        monkeypatch.delenv(var, raising=False)
    assert not is_worker_rank()
    monkeypatch.setenv("PMI_RANK", "1")
    assert is_worker_rank()
    monkeypatch.setenv("PMI_RANK", "0")
    assert not is_worker_rank()


def _mpiexec() -> str | None:
    here = Path(sys.executable).parent / "mpiexec"
    return str(here) if here.exists() else shutil.which("mpiexec")


@pytest.mark.skipif(_mpiexec() is None, reason="no mpiexec")
def test_two_ranks_on_loopback_match_the_extensive_form(tiny_lp, tmp_path):
    _, ef, _ = tiny_lp
    out = tmp_path / "ph.json"
    cmd = [
        _mpiexec(),
        "-n",
        "2",
        sys.executable,
        "-m",
        "planner.decompose.mpisppy_run",
        "--synthetic",
        ",".join(map(str, (*TINY, 3))),
        "--tolerance",
        str(TOL),
        "--max-iterations",
        "300",
        "--json",
        str(out),
        "--quiet",
    ]
    env = dict(os.environ, PYTHONPATH=str(ROOT), HYDRA_IFACE="lo")
    proc = subprocess.run(
        cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=240, check=False
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    got = json.loads(out.read_text())
    assert got["ranks"] == 2
    assert len(got["peak_mb_per_rank"]) == 2
    assert got["converged"] and got["gap"] <= TOL
    assert got["lower_bound"] <= ef.objective + 1e-6 * abs(ef.objective)
    assert (got["objective"] - ef.objective) / abs(ef.objective) <= TOL
    assert got["objective"] >= ef.objective - 1e-6 * abs(ef.objective)
