"""Seeded synthetic run folders (plan, simulate, sweep) with the contracted files and columns.

For the report's tests and its benchmark: they let the report be built and checked at any size
without forecasting or solving. The numbers are plausible, not a plan anyone solved.

    write_sample_plan(tmp / "plan", n_skus=3000, n_weeks=12)   # thousands of order lines
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from planner.output import write_csv, write_json

START = pd.Timestamp("2026-11-23")  # a Monday
POLICIES = ("stochastic", "deterministic", "base_stock", "sS", "oracle")


def _weeks(start: pd.Timestamp, n: int) -> list:
    return [d.date() for d in pd.date_range(start, periods=n, freq="7D")]


def sample_series(n_skus: int, warehouses: tuple[str, ...]) -> pd.DataFrame:
    skus = [f"SKU-{i:05d}" for i in range(1, n_skus + 1)]
    rows = [
        (s, w) for i, s in enumerate(skus) for j, w in enumerate(warehouses) if (i + j) % 3 != 2
    ]
    return pd.DataFrame(rows, columns=["sku", "warehouse"])


def write_sample_plan(
    out: Path,
    n_skus: int = 20,
    n_weeks: int = 12,
    history_weeks: int = 104,
    warehouses: tuple[str, ...] = ("W-NORTH", "W-SOUTH"),
    suppliers: tuple[str, ...] = ("S-ASIA", "S-EURO", "S-LOCAL"),
    seed: int = 0,
) -> Path:
    """A plan run folder: orders, inventory, forecast, service, history, capacity, transfers,
    forecast_selection and summary.json (written last)."""
    rng = np.random.default_rng(seed)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    series = sample_series(n_skus, warehouses)
    n = len(series)
    weeks = _weeks(START, n_weeks)
    level = rng.gamma(2.0, 20.0, n) + 1.0
    price = np.round(rng.uniform(2, 80, n), 2)
    volume = np.round(rng.uniform(0.001, 0.02, n), 4)
    supplier = np.array(suppliers)[rng.integers(0, len(suppliers), n)]
    lead = rng.integers(1, 5, n)

    # forecast: mean with a seasonal wiggle, normal-ish quantiles
    t = np.arange(n_weeks)
    mean = level[:, None] * (
        1 + 0.2 * np.sin(2 * np.pi * (t[None, :] + rng.integers(0, 52, n)[:, None]) / 52)
    )
    sd = 0.35 * mean
    z = {"q0.05": -1.645, "q0.1": -1.2816, "q0.5": 0.0, "q0.9": 1.2816, "q0.95": 1.645}
    fc = pd.DataFrame(
        {
            "week": np.tile(weeks, n),
            "sku": np.repeat(series["sku"], n_weeks).to_numpy(),
            "warehouse": np.repeat(series["warehouse"], n_weeks).to_numpy(),
            "model": np.repeat(np.where(level > 40, "ets", "croston"), n_weeks),
            "mean": mean.reshape(-1),
            **{k: np.maximum(0, mean + v * sd).reshape(-1) for k, v in z.items()},
        }
    ).round(4)
    write_csv(fc, out / "forecast.csv")

    # history: the last weeks of demand before the plan
    hist_weeks = _weeks(START - pd.Timedelta(weeks=history_weeks), history_weeks)
    h = rng.poisson(np.repeat(level, history_weeks)).astype(float)
    write_csv(
        pd.DataFrame(
            {
                "week": np.tile(hist_weeks, n),
                "sku": np.repeat(series["sku"], history_weeks).to_numpy(),
                "warehouse": np.repeat(series["warehouse"], history_weeks).to_numpy(),
                "quantity": h,
            }
        ),
        out / "history.csv",
    )

    # orders: every series orders in most weeks; the first week is committed
    qty = np.maximum(0, mean * rng.uniform(0.6, 1.6, (n, n_weeks)))
    qty[rng.random((n, n_weeks)) < 0.15] = 0
    i, k = np.nonzero(qty > 0.5)
    q = np.round(qty[i, k], 3)
    ship = np.round(price[i] * 0.08, 4)
    orders = pd.DataFrame(
        {
            "order_week": np.array(weeks, dtype=object)[k],
            "supplier": supplier[i],
            "sku": series["sku"].to_numpy()[i],
            "warehouse": series["warehouse"].to_numpy()[i],
            "quantity": q,
            "arrival_week": [
                weeks[0] + pd.Timedelta(weeks=int(kk + lead[ii]))
                for ii, kk in zip(i, k, strict=True)
            ],
            "unit_price": price[i],
            "line_cost": np.round(q * (price[i] + ship), 2),
            "committed": k == 0,
        }
    ).sort_values(["order_week", "supplier", "sku", "warehouse"], kind="stable")
    write_csv(orders, out / "orders.csv")

    # projected stock and service
    on_hand = np.maximum(
        0, level[:, None] * (2.0 + np.cos(t[None, :] / 2)) + rng.normal(0, 5, (n, n_weeks))
    )
    short = np.where(rng.random((n, n_weeks)) < 0.1, rng.uniform(0, 0.3, (n, n_weeks)) * mean, 0.0)
    fill = 1 - short / mean
    inv = pd.DataFrame(
        {
            "week": np.tile(weeks, n),
            "sku": np.repeat(series["sku"], n_weeks).to_numpy(),
            "warehouse": np.repeat(series["warehouse"], n_weeks).to_numpy(),
            "on_hand_mean": on_hand.reshape(-1),
            "on_hand_q0.1": (0.6 * on_hand).reshape(-1),
            "on_hand_q0.9": (1.4 * on_hand).reshape(-1),
            "shortage_mean": short.reshape(-1),
            "fill_rate": fill.reshape(-1),
        }
    ).round(4)
    write_csv(inv, out / "inventory.csv")
    demand_total = mean.sum(axis=1)
    short_total = short.sum(axis=1)
    service = pd.DataFrame(
        {
            "sku": series["sku"],
            "warehouse": series["warehouse"],
            "demand_mean": demand_total,
            "shortage_mean": short_total,
            "fill_rate": 1 - short_total / demand_total,
            "cycle_service_level": 1 - (short > 0).mean(axis=1),
        }
    ).round(4)
    write_csv(service, out / "service.csv")

    # capacity: warehouse stock volume and supplier orders against their limits
    rows = []
    for w in warehouses:
        member = (series["warehouse"] == w).to_numpy()
        vol = (on_hand[member] * volume[member, None]).sum(axis=0)
        for kk, wk in enumerate(weeks):
            rows.append(
                (
                    "warehouse",
                    w,
                    wk,
                    round(float(vol.max() * 1.1), 4),
                    "volume",
                    vol[kk],
                    0.8 * vol[kk],
                    1.2 * vol[kk],
                )
            )
    for s in suppliers:
        by_week = orders[orders["supplier"] == s].groupby("order_week")["quantity"].sum()
        cap = round(float(by_week.max()), 4) if s == suppliers[-1] and len(by_week) else np.nan
        for wk in weeks:
            rows.append(
                ("supplier", s, wk, cap, "units/week", float(by_week.get(wk, 0.0)), np.nan, np.nan)
            )
    write_csv(
        pd.DataFrame(
            rows,
            columns=[
                "resource",
                "name",
                "week",
                "capacity",
                "unit",
                "use_mean",
                "use_q0.1",
                "use_q0.9",
            ],
        ).round(4),
        out / "capacity.csv",
    )

    # transfers between the first two warehouses, forecast selection
    if len(warehouses) > 1:
        pick = np.flatnonzero(series["warehouse"].to_numpy() == warehouses[0])[:10]
        write_csv(
            pd.DataFrame(
                {
                    "week": [weeks[min(1, n_weeks - 1)]] * len(pick),
                    "sku": series["sku"].to_numpy()[pick],
                    "from_warehouse": warehouses[0],
                    "to_warehouse": warehouses[1],
                    "quantity_mean": np.round(rng.uniform(1, 20, len(pick)), 3),
                }
            ),
            out / "transfers.csv",
        )
    sel_rows = []
    for s, w, lv in zip(series["sku"], series["warehouse"], level, strict=True):
        for m, score in (("ets", lv * 0.3), ("croston", lv * 0.32), ("theta", lv * 0.31)):
            sel_rows.append(
                (f"{s}/{w}", m, round(score, 4), m == ("ets" if lv > 40 else "croston"), "smooth")
            )
    write_csv(
        pd.DataFrame(sel_rows, columns=["id", "model", "score", "chosen", "demand_class"]),
        out / "forecast_selection.csv",
    )

    purchase = float((orders["quantity"] * orders["unit_price"]).sum())
    costs = {
        "purchase": round(purchase, 4),
        "logistics": round(float(orders["line_cost"].sum()) - purchase, 4),
        "fixed": 0.0,
        "holding": round(float((on_hand * price[:, None] * 0.005).sum()), 4),
        "shortage": round(float((short * price[:, None] * 2).sum()), 4),
        "transfer": 12.5,
        "terminal": -round(float((on_hand[:, -1] * price).sum() * 0.01), 4),
    }
    write_json(
        {
            "status": "optimal",
            "objective": round(sum(costs.values()), 4),
            "costs": costs,
            "service": {
                "fill_rate": round(float(1 - short.sum() / mean.sum()), 6),
                "cycle_service_level": round(float(1 - (short > 0).mean()), 6),
                "per_sku": "service.csv",
            },
            "bottlenecks": [
                {
                    "constraint": "supplier_capacity",
                    "supplier": suppliers[-1],
                    "name": suppliers[-1],
                    "weeks": [str(weeks[0]), str(weeks[1 % n_weeks])],
                    "shadow_price_by_week": {str(weeks[0]): 0.42, str(weeks[1 % n_weeks]): 0.1},
                    "max_shadow_price": 0.42,
                    "unit": "units/week",
                    "message": f"supplier {suppliers[-1]} is full in 2 weeks: one more unit of "
                    "weekly capacity there is worth up to 0.42 in expected cost",
                }
            ],
            "risk": None,
            "value_of_information": {
                "rp": 100.0,
                "ev": 99.0,
                "eev": 104.0,
                "vss": 4.0,
                "ws": 98.0,
                "evpi": 2.0,
            },
            "model": {
                "variables": 1000 * n,
                "constraints": 300 * n,
                "integers": 0,
                "scenarios": 50,
                "series": n,
            },
            "solver": {"name": "highs", "status": "Optimal", "gap": 0.0, "seconds": 1.0},
            "timings": {"forecast": 1.0, "solve": 1.0},
            "plan_weeks": [str(w) for w in weeks],
            "notes": [],
            "overrides": [],
            "whatif": [],
            "scenario": {
                "name": "sample",
                "dataset": "data/sample",
                "plan": {"horizon_weeks": n_weeks, "frozen_weeks": 1},
                "forecast": {"model": "auto", "seed": seed},
            },
            "dataset_fingerprint": "0" * 64,
            "data_quality": {
                "dataset": "sample",
                "rows_read": {"demand": n * history_weeks},
                "rows_clean": {"demand": n * history_weeks},
                "summary": {"skus": str(n_skus), "demand series": str(n)},
                "steps": [
                    {
                        "table": "demand",
                        "step": "outliers capped",
                        "count": 3,
                        "detail": "robust z-score above 5",
                        "column": "",
                    }
                ],
                "ignored": [],
            },
        },
        out / "summary.json",
    )
    return out


def _png(path: Path) -> None:
    """A small PNG chart (matplotlib, headless)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(4, 2.5))
    ax.plot([0, 1, 2, 3], [1, 3, 2, 4])
    fig.savefig(path, format="png", dpi=60)
    plt.close(fig)


def write_sample_simulate(out: Path, n_skus: int = 8, n_weeks: int = 10, seed: int = 0) -> Path:
    """A simulate run folder: kpis.csv, weekly.csv, a plot and summary.json (kind simulate)."""
    rng = np.random.default_rng(seed)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    series = sample_series(n_skus, ("W1", "W2"))
    weeks = _weeks(START - pd.Timedelta(weeks=n_weeks), n_weeks)
    rows = []
    for p, policy in enumerate(POLICIES):
        for wk in weeks:
            for s, w in zip(series["sku"], series["warehouse"], strict=True):
                d = float(rng.poisson(20))
                short = float(max(0, d - rng.poisson(22 - p)))
                rows.append(
                    (
                        policy,
                        wk,
                        s,
                        w,
                        d,
                        d - short,
                        short,
                        float(rng.poisson(30)),
                        d,
                        d,
                        round(d * 3 + short * 9, 2),
                    )
                )
    weekly = pd.DataFrame(
        rows,
        columns=[
            "policy",
            "week",
            "sku",
            "warehouse",
            "demand",
            "served",
            "short",
            "on_hand_end",
            "received",
            "ordered",
            "cost",
        ],
    )
    write_csv(weekly, out / "weekly.csv")
    g = weekly.groupby("policy", sort=False)
    kpis = pd.DataFrame(
        {
            "policy": list(g.groups),
            "total_cost": g["cost"].sum().to_numpy(),
            "purchase": g["cost"].sum().to_numpy() * 0.8,
            "logistics": 0.0,
            "fixed": 0.0,
            "holding": g["on_hand_end"].sum().to_numpy() * 0.1,
            "shortage": g["short"].sum().to_numpy() * 9,
            "transfer": 0.0,
            "fill_rate": (g["served"].sum() / g["demand"].sum()).to_numpy(),
            "cycle_service_level": 0.9,
            "avg_on_hand": g["on_hand_end"].mean().to_numpy(),
            "stockout_sku_weeks": g["short"].apply(lambda x: int((x > 0).sum())).to_numpy(),
            "turns": 8.0,
        }
    ).round(6)
    write_csv(kpis, out / "kpis.csv")
    _png(out / "cumulative_cost.png")
    write_json(
        {
            "kind": "simulate",
            "status": "done",
            "kpis": kpis.to_dict(orient="records"),
            "notes": [],
            "scenario": {"name": "sample-simulate", "forecast": {"seed": seed}},
        },
        out / "summary.json",
    )
    return out


def write_sample_sweep(out: Path, seed: int = 0) -> Path:
    """A sweep folder: sweep.csv over two keys, a plot, two point plan folders, summary.json."""
    rng = np.random.default_rng(seed)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    rows = []
    point = 0
    for mult in (0.5, 1.0, 2.0):
        for horizon in (8, 12):
            point += 1
            obj = 1000 * mult**0.3 + 10 * horizon + rng.normal(0, 5)
            run_dir = out / "points" / f"{point:03d}"
            rows.append(
                {
                    "costs.shortage_multiplier": mult,
                    "plan.horizon_weeks": horizon,
                    "status": "optimal",
                    "objective": round(obj, 2),
                    "purchase": round(obj * 0.8, 2),
                    "logistics": round(obj * 0.1, 2),
                    "fixed": 0.0,
                    "holding": round(obj * 0.05, 2),
                    "shortage": round(obj * 0.05, 2),
                    "transfer": 0.0,
                    "terminal": 0.0,
                    "fill_rate": round(0.9 + 0.03 * mult, 4),
                    "total_orders": 500 + point,
                    "orders_this_week": 50 + point,
                    "bottlenecks": "S-LOCAL 0.4" if mult > 1 else "",
                    "run_dir": str(run_dir),
                }
            )
    failed = {k: np.nan for k in rows[0]}  # a point without a plan: no costs, not in the curves
    failed.update(
        {
            "costs.shortage_multiplier": 4.0,
            "plan.horizon_weeks": 12,
            "status": "infeasible",
            "bottlenecks": "",
            "run_dir": "",
        }
    )
    rows.append(failed)
    write_csv(pd.DataFrame(rows), out / "sweep.csv")
    for k in (1, 2):  # two points with their own plan folders and reports
        write_sample_plan(
            out / "points" / f"{k:03d}", n_skus=3, n_weeks=4, history_weeks=10, seed=k
        )
    _png(out / "tornado.png")
    (out / "summary.json").write_text(
        json.dumps(
            {
                "kind": "sweep",
                "status": "done",
                "points": len(rows),
                "scenario": {"name": "sample-sweep"},
            }
        ),
        encoding="utf-8",
    )
    return out
