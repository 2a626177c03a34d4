"""simulate_scenario on the minimal dataset: the policies, the oracle bound, non-anticipation,
synthetic replications, the run folder and the command line."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
import yaml
from click.testing import CliRunner

from planner.cli import main
from planner.config import load_scenario
from planner.data import load_dataset
from planner.data.testing import write_minimal_dataset
from planner.simulate import simulate_scenario, write_simulation
from planner.simulate.forecasts import truncate_history

WEEKS = 8
KPI_HEAD = [
    "policy", "total_cost", "purchase", "logistics", "fixed", "holding", "shortage", "transfer",
    "fill_rate", "cycle_service_level", "avg_on_hand", "stockout_sku_weeks", "turns",
]  # fmt: skip
WEEKLY_HEAD = [
    "policy", "week", "sku", "warehouse", "demand", "served", "short", "on_hand_end",
    "received", "ordered", "cost",
]  # fmt: skip


def _scenario_file(tmp_path, data_dir, **plan) -> str:
    doc = {
        "name": "mini-sim",
        "dataset": str(data_dir),
        "plan": {"horizon_weeks": 5, **plan},
        "forecast": {
            "model": "moving_average",
            "season_length": 1,
            "paths": 60,
            "scenarios": 6,
            "seed": 3,
            "calibrate": False,
        },
        "solver": {"time_limit_s": 30},
    }
    path = tmp_path / "mini-sim.yaml"
    path.write_text(yaml.safe_dump(doc))
    return str(path)


@pytest.fixture(scope="module")
def mini(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("sim")
    data_dir = write_minimal_dataset(tmp / "data")
    sc, _ = load_scenario(_scenario_file(tmp, data_dir))
    result = simulate_scenario(sc, weeks=WEEKS, refit_every=2, n_workers=1)
    return tmp, data_dir, sc, result


def test_every_policy_replays_the_same_demand_and_the_oracle_is_never_beaten(mini):
    _, _, _, result = mini
    k = result.kpis.set_index("policy")
    assert list(k.index) == ["stochastic", "deterministic", "base_stock", "sS", "oracle"]
    w = result.weekly
    demand = w.pivot_table(index=["week", "sku", "warehouse"], columns="policy", values="demand")
    assert (demand.nunique(axis=1) == 1).all()
    oracle = k.loc["oracle", "total_cost"]
    for policy in k.index:
        assert oracle <= k.loc[policy, "total_cost"] + 1e-6 * abs(oracle)
    assert k.loc["oracle", "gap_to_oracle"] == 0.0
    # components add up to the total
    parts = ["purchase", "logistics", "fixed", "holding", "shortage", "transfer", "terminal"]
    np.testing.assert_allclose(k[parts].sum(axis=1), k["total_cost"], rtol=1e-9)
    # the weekly costs add up to the components (the terminal credit is not weekly)
    weekly = w.groupby("policy")["cost"].sum()
    np.testing.assert_allclose(
        weekly.reindex(k.index), (k["total_cost"] - k["terminal"]), rtol=1e-5, atol=1e-2
    )


def test_the_oracle_replayed_costs_what_its_plan_says(mini):
    """The simulator and the model account the same costs: replaying the oracle's plan
    through the simulator reproduces its objective (the initial open orders all arrive in
    the window, so the in-transit credit at the end is the model's too)."""
    _, _, _, result = mini
    k = result.kpis.set_index("policy")
    assert k.loc["oracle", "total_cost"] == pytest.approx(result.oracle_objective, rel=1e-6)


def test_no_policy_sees_future_demand(tmp_path):
    """Changing demand after replay week k leaves every order up to week k unchanged."""
    k_week = 3
    base_dir = write_minimal_dataset(tmp_path / "a")
    ds = load_dataset(base_dir)
    window = pd.DatetimeIndex(sorted(ds.demand["week"].unique()))[-WEEKS:]
    changed = pd.read_csv(base_dir / "demand.csv")
    late = pd.to_datetime(changed["date"]) > window[k_week]
    rng = np.random.default_rng(9)
    changed.loc[late, "quantity"] = rng.poisson(60, late.sum()).astype(float)
    other_dir = write_minimal_dataset(tmp_path / "b", demand=changed)
    policies = ("stochastic", "deterministic", "base_stock", "sS")
    runs = []
    for d in (base_dir, other_dir):
        sc, _ = load_scenario(_scenario_file(tmp_path, d))
        runs.append(simulate_scenario(sc, weeks=WEEKS, policies=policies, n_workers=1).weekly)
    a, b = runs
    keys = ["policy", "week", "sku", "warehouse"]
    a, b = a.set_index(keys).sort_index(), b.set_index(keys).sort_index()
    weeks = a.index.get_level_values("week")
    upto = pd.to_datetime(weeks) <= window[k_week]
    pd.testing.assert_series_equal(a.loc[upto, "ordered"], b.loc[upto, "ordered"])
    # the test has teeth: demand and orders do differ later
    assert not np.allclose(a.loc[~upto, "demand"], b.loc[~upto, "demand"])
    assert not np.allclose(a.loc[~upto, "ordered"], b.loc[~upto, "ordered"])


def test_truncated_history_keeps_only_the_past_but_knows_planned_promotions(tmp_path):
    ds = load_dataset(write_minimal_dataset(tmp_path / "data"))
    weeks = pd.DatetimeIndex(sorted(ds.demand["week"].unique()))
    cut = weeks[-10]
    t = truncate_history(ds, cut)
    assert t.demand["week"].max() == weeks[-11]
    assert len(t.demand) == len(ds.demand[ds.demand["week"] < cut])
    future_promos = ds.demand[(ds.demand["week"] >= cut) & (ds.demand["promo"] > 0)]
    known = t.events.merge(future_promos[["week", "sku", "warehouse"]])
    assert len(known) == len(future_promos) > 0
    assert "quantity" not in t.events


def test_run_folder_has_the_contract_files(mini):
    tmp, _, _, result = mini
    out = write_simulation(result, tmp / "run")
    kpis = pd.read_csv(out / "kpis.csv")
    assert list(kpis.columns[: len(KPI_HEAD)]) == KPI_HEAD
    assert "gap_to_oracle" in kpis.columns
    weekly = pd.read_csv(out / "weekly.csv")
    assert list(weekly.columns[: len(WEEKLY_HEAD)]) == WEEKLY_HEAD
    assert len(weekly) == 5 * WEEKS * 4
    summary = json.loads((out / "summary.json").read_text())
    assert summary["kind"] == "simulate"
    assert summary["options"]["weeks"] == WEEKS
    assert summary["dataset_fingerprint"] == result.dataset_fingerprint
    assert {r["policy"] for r in summary["kpis"]} == set(kpis["policy"])
    assert summary["scenario"]["plan"]["value_of_information"] is False
    for png in ("cumulative_cost.png", "stock.png", "service.png"):
        assert (out / png).read_bytes()[:4] == b"\x89PNG"


def test_backorders_replay_and_keep_the_oracle_bound(tmp_path):
    data_dir = write_minimal_dataset(tmp_path / "data")
    sc, _ = load_scenario(_scenario_file(tmp_path, data_dir, shortage="backorder"))
    res = simulate_scenario(
        sc, weeks=6, policies=("deterministic", "base_stock", "oracle"), n_workers=1
    )
    k = res.kpis.set_index("policy")
    assert (k.loc["oracle", "total_cost"] <= k["total_cost"] + 1e-6).all()
    w = res.weekly
    assert (w["short"] <= w["demand"] + 1e-9).all()
    assert (w["backlog_end"] >= w["short"] - 1e-9).all()


def test_synthetic_replications_average_the_kpis(tmp_path):
    data_dir = write_minimal_dataset(tmp_path / "data")
    sc, _ = load_scenario(_scenario_file(tmp_path, data_dir))
    res = simulate_scenario(
        sc,
        weeks=4,
        refit_every=4,
        policies=("base_stock", "oracle"),
        synthetic=True,
        replications=2,
        n_workers=1,
    )
    by = res.kpis_by_replication
    assert sorted(by["replication"].unique()) == [0, 1]
    mean = by.groupby("policy")["total_cost"].mean()
    k = res.kpis.set_index("policy")
    assert k.loc["base_stock", "total_cost"] == pytest.approx(mean["base_stock"])
    # two replications draw different demand
    d = res.weekly.groupby("replication")["demand"].sum()
    assert d.iloc[0] != d.iloc[1]
    per_rep = by.pivot(index="replication", columns="policy", values="total_cost")
    assert (per_rep["oracle"] <= per_rep["base_stock"] + 1e-6).all()


def test_cli_simulate_writes_the_run_and_rejects_bad_options(tmp_path):
    data_dir = write_minimal_dataset(tmp_path / "data")
    scen = _scenario_file(tmp_path, data_dir)
    runner = CliRunner()
    out = tmp_path / "run"
    res = runner.invoke(
        main,
        ["simulate", scen, "--weeks", "3", "--policies", "base_stock,oracle", "--workers", "1",
         "--out", str(out)],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    assert "base_stock" in res.output and "oracle" in res.output
    assert (out / "summary.json").exists()
    assert list(pd.read_csv(out / "kpis.csv")["policy"]) == ["base_stock", "oracle"]
    bad = runner.invoke(
        main, ["simulate", scen, "--policies", "magic", "--out", str(tmp_path / "x")]
    )
    assert bad.exit_code == 2
    assert "magic" in bad.output and "stochastic" in bad.output
    reps = runner.invoke(main, ["simulate", scen, "--replications", "3"])
    assert reps.exit_code == 2 and "--synthetic" in reps.output
    weeks = runner.invoke(main, ["simulate", scen, "--weeks", "500"])
    assert weeks.exit_code == 2 and "--weeks" in weeks.output
    assert not (tmp_path / "x").exists()


def test_a_scenario_with_a_forecast_file_is_refused(tmp_path):
    data_dir = write_minimal_dataset(tmp_path / "data")
    sc, _ = load_scenario(_scenario_file(tmp_path, data_dir))
    fc = tmp_path / "fc.csv"
    fc.write_text("week,sku,warehouse,mean,sd\n")
    sc = sc.model_copy(
        update={"forecast": sc.forecast.model_copy(update={"model": "file", "file": fc})}
    )
    from planner.errors import ConfigError

    with pytest.raises(ConfigError, match=r"forecast\.model"):
        simulate_scenario(sc, weeks=3, policies=("base_stock",), n_workers=1)


def test_true_demand_table_is_the_truth(tmp_path):
    """With demand_true beside the sales, the replay is scored on it, not on the sales."""
    from planner.simulate.truth import true_demand

    data_dir = write_minimal_dataset(tmp_path / "data")
    sales = pd.read_csv(data_dir / "demand.csv")
    truth = sales[["date", "sku", "warehouse", "quantity"]].assign(quantity=sales["quantity"] + 7)
    truth.to_csv(data_dir / "demand_true.csv", index=False)
    ds = load_dataset(data_dir)
    weeks = pd.DatetimeIndex(sorted(ds.demand["week"].unique()))[-4:]
    got, note = true_demand(ds, weeks)
    rec, _ = true_demand(replace(ds, folder=tmp_path), weeks)
    np.testing.assert_allclose(got, rec + 7)
    assert note == ""


def test_kept_forecasts_replay_identically_and_rebuild_their_scenarios(mini):
    """Passing a run's own forecasts back reproduces it; rebuilt scenarios change only the
    stochastic plan."""
    from planner.simulate.forecasts import rebuild_scenarios

    _, _, sc, result = mini
    first = simulate_scenario(
        sc, weeks=WEEKS, refit_every=2, policies=("stochastic", "base_stock"), n_workers=1,
        keep_paths=True,
    )  # fmt: skip
    k0 = result.kpis.set_index("policy")
    k1 = first.kpis.set_index("policy")
    for p in ("stochastic", "base_stock"):
        assert k1.loc[p, "total_cost"] == pytest.approx(k0.loc[p, "total_cost"], rel=1e-9)
    again = simulate_scenario(
        sc, weeks=WEEKS, policies=("stochastic", "base_stock"), n_workers=1,
        forecasts=first.forecasts,
    )  # fmt: skip
    pd.testing.assert_frame_equal(again.kpis, first.kpis)
    sampled = rebuild_scenarios(first.forecasts, 6, "sampled")
    assert all(np.allclose(s.scenarios.prob, 1 / 6) for s in sampled)
    other = simulate_scenario(
        sc, weeks=WEEKS, policies=("stochastic", "base_stock"), n_workers=1, forecasts=sampled
    )
    k2 = other.kpis.set_index("policy")
    assert k2.loc["base_stock", "total_cost"] == k1.loc["base_stock", "total_cost"]
    assert k2.loc["stochastic", "total_cost"] != k1.loc["stochastic", "total_cost"]


def test_the_synthetic_generator_draws_its_stated_mean_and_variance(tmp_path):
    from planner.simulate.synthetic import fit_generator, with_demand

    ds = load_dataset(write_minimal_dataset(tmp_path / "data"))
    gen = fit_generator(ds)
    assert gen.mean.shape == (len(ds.series), ds.demand["week"].nunique())
    draws = np.stack([gen.sample(seed=4, replication=r) for r in range(400)])
    # Poisson-gamma counts: mean m, variance m + m^2 / k, per series and week
    mean_err = np.abs(draws.mean(axis=0) - gen.mean) / np.sqrt(gen.variance() / 400)
    assert np.median(mean_err) < 1.0 and mean_err.max() < 5.0
    ratio = draws.var(axis=0, ddof=1).mean(axis=1) / gen.variance().mean(axis=1)
    assert np.all(np.abs(ratio - 1) < 0.15)
    # the generator's level follows the history's (SKU-001 ~ 20 per week, SKU-002 ~ 5)
    level = dict(
        zip(ds.series["sku"] + "/" + ds.series["warehouse"], gen.mean.mean(axis=1), strict=True)
    )
    assert 15 < level["SKU-001/W1"] < 25 and 3 < level["SKU-002/W2"] < 7
    # a replication replaces the demand history and clears the stockout flags
    swapped = with_demand(ds, gen, draws[0])
    assert (swapped.demand["stockout"] == 0).all()
    first = swapped.demand[
        (swapped.demand["sku"] == "SKU-001") & (swapped.demand["warehouse"] == "W1")
    ]
    row = int(np.flatnonzero((ds.series["sku"] == "SKU-001") & (ds.series["warehouse"] == "W1"))[0])
    np.testing.assert_array_equal(first["quantity"].to_numpy(), draws[0][row])
