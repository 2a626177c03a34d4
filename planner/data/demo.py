"""Seeded demo dataset: the weekly extract of a mid-size hardware distributor.

`write_demo(target)` writes `target/demo.yaml` (the baseline scenario) and the tables of
DESIGN.md's dataset contract as CSV under `target/<dataset_subdir>/`. Everything derives from
`numpy.random.default_rng([seed, k])` (one stream k per table, so tables stay independent) and a
fixed calendar, so the same seed always writes byte-identical files.

Demand per SKU x warehouse: base level x trend x category seasonality x promotion lift, then
Poisson-gamma count noise (or sparse lumps for slow movers), then stockout censoring. The true,
uncensored demand is written beside the sales as `demand_true.csv`.

`python -m planner.data.demo [DIR]` regenerates the committed copy (`scenarios/` by default).
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import numpy as np
import pandas as pd

DEFAULT_SEED = 20240101
HISTORY_END = pd.Timestamp("2026-11-16")  # Monday of the last history week (fixed, not today)
HISTORY_WEEKS = 156
HORIZON_WEEKS = 12
ALL_WEEKS = HISTORY_WEEKS + HORIZON_WEEKS
DATES = pd.date_range(
    HISTORY_END - pd.Timedelta(weeks=HISTORY_WEEKS - 1), periods=ALL_WEEKS, freq="7D"
)
ISO_DATES = DATES.strftime("%Y-%m-%d").to_numpy()

WAREHOUSES = ("W-NORTH", "W-SOUTH", "W-EAST")
STOCKED_SHARE = {"W-NORTH": 0.95, "W-SOUTH": 0.8, "W-EAST": 0.65}  # share of SKUs stocked
DEMAND_SCALE = {"W-NORTH": 1.0, "W-SOUTH": 0.7, "W-EAST": 0.5}
DISTANCE = {"W-NORTH": 1.0, "W-SOUTH": 1.3, "W-EAST": 0.8}  # freight factor
HOLD_WEEKS = 4.0  # peak stock to hold: ~3 weeks of cycle stock + ~1 week of safety stock
WAREHOUSE_TIGHTNESS = 0.9  # capacity = this x the peak volume to hold in the horizon ...
INITIAL_FILL = 0.85  # ... but on hand + open orders fill at most this share of it
TRANSFERS = [("W-NORTH", "W-SOUTH", 0.35), ("W-SOUTH", "W-NORTH", 0.35),
             ("W-NORTH", "W-EAST", 0.45), ("W-EAST", "W-NORTH", 0.45)]  # fmt: skip


@dataclass(frozen=True)
class Category:
    name: str
    prefix: str
    n_skus: int
    unit_cost: tuple[float, float]
    volume: tuple[float, float]  # m3 per unit
    shortage_multiple: float  # shortage_cost / unit_cost
    weekly_units: tuple[float, float]  # base demand of a fast mover in W-NORTH
    peak_week: float  # week of year (0..52) of the seasonal peak
    amplitude: float
    sharpness: float  # von Mises concentration: 1 = broad wave, 4 = sharp spike
    slow_share: float  # share of series that are intermittent slow movers
    promo_share: float  # share of SKUs that run promotions
    markup: float  # list price / unit cost


@dataclass(frozen=True)
class Supplier:
    name: str
    lead_time: dict[str, int]  # weeks, per warehouse
    price_factor: tuple[float, float]  # unit_price / unit_cost
    freight_share: float  # shipping per unit = share of unit cost + per-m3 charge x volume
    freight_per_m3: float
    carries: dict[str, float]  # share of each category's SKUs it supplies
    capacity_share: float | None  # weekly units / mean weekly demand of its lanes; None: unlimited


# fmt: off
CATEGORIES = (
    #        name          prefix n   unit_cost  volume          short  weekly      peak amp   sharp slow  promo markup
    Category("fasteners",  "FAS", 12, (2, 12),   (0.001, 0.005), 1.5,  (80, 500),  16,  0.35, 1.0,  0.08, 0.6,  1.6),
    Category("tools",      "TOL", 11, (25, 150), (0.01, 0.05),   2.5,  (5, 40),    49,  0.45, 4.0,  0.35, 0.7,  1.5),
    Category("electrical", "ELE", 12, (5, 80),   (0.002, 0.03),  3.0,  (15, 180),  1,   0.3,  1.5,  0.2,  0.5,  1.7),
    Category("safety",     "SAF", 10, (3, 60),   (0.003, 0.03),  4.0,  (10, 150),  27,  0.4,  2.0,  0.25, 0.4,  1.8),
)
SUPPLIERS = (  # cheap and far (unlimited), mid, dear and local (tight)
    Supplier("S-ASIA", {"W-NORTH": 6, "W-SOUTH": 6, "W-EAST": 5}, (0.85, 0.88), 0.15, 15.0,
             {"fasteners": 0.9, "tools": 0.75, "electrical": 0.6, "safety": 0.3}, None),
    Supplier("S-EURO", {"W-NORTH": 3, "W-SOUTH": 3, "W-EAST": 3}, (0.97, 1.01), 0.07, 15.0,
             {"fasteners": 0.7, "tools": 0.85, "electrical": 0.85, "safety": 0.9}, 0.8),
    Supplier("S-LOCAL", {"W-NORTH": 1, "W-SOUTH": 1, "W-EAST": 1}, (1.08, 1.15), 0.01, 10.0,
             {"fasteners": 0.5, "tools": 0.5, "electrical": 0.6, "safety": 0.6}, 0.3),
)
# fmt: on
CATEGORY = {c.name: c for c in CATEGORIES}


def _stream(seed: int, table: int) -> np.random.Generator:
    return np.random.default_rng([seed, table])


def _loguniform(rng: np.random.Generator, lo: float, hi: float, size=None):
    return np.exp(rng.uniform(np.log(lo), np.log(hi), size))


def _items(rng: np.random.Generator) -> pd.DataFrame:
    rows = []
    for cat in CATEGORIES:
        for k in range(cat.n_skus):
            cost = _loguniform(rng, *cat.unit_cost)
            shortage = cost * np.clip(cat.shortage_multiple * rng.uniform(0.9, 1.1), 1.5, 4.0)
            holding = rng.uniform(0.18, 0.35) * cost / 52 if rng.random() < 0.5 else np.nan
            volume = _loguniform(rng, *cat.volume)
            rows.append((f"{cat.prefix}-{101 + k}", cost, shortage, holding, volume, cat.name))
    columns = ["sku", "unit_cost", "shortage_cost", "holding_cost", "volume", "category"]
    return pd.DataFrame(rows, columns=columns).round(
        {"unit_cost": 2, "shortage_cost": 2, "holding_cost": 4, "volume": 4}
    )


def _series(rng: np.random.Generator, items: pd.DataFrame) -> pd.DataFrame:
    """Which SKU is stocked where (one row per series), with its demand parameters."""
    rows = []
    for row, (sku, category) in enumerate(zip(items["sku"], items["category"], strict=True)):
        cat = CATEGORY[category]
        stocked = [w for w in WAREHOUSES if rng.random() < STOCKED_SHARE[w]] or ["W-NORTH"]
        for w in stocked:
            base = _loguniform(rng, *cat.weekly_units) * DEMAND_SCALE[w]
            rows.append({
                "sku": sku, "warehouse": w, "category": category, "item_row": row,
                "slow": rng.random() < cat.slow_share + (0.08 if w == "W-EAST" else 0.0),
                "level": base * rng.lognormal(0.0, 0.25),  # fast movers: units per week now
                "growth": rng.uniform(-0.08, 0.15),  # trend, per year
                "dispersion": rng.uniform(3, 12),  # gamma shape of the Poisson rate
                "interval": rng.uniform(2, 5),  # slow movers: mean weeks between demands
                "lump": rng.uniform(2, 12),  # slow movers: mean units per demand
                "low_stock": rng.random() < 0.12,  # nearly out of stock at the plan start
            })  # fmt: skip
    return pd.DataFrame(rows)


def _promotions(rng: np.random.Generator, items: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Chain-wide promotions per SKU: (lift, discount), each of shape (n_items, ALL_WEEKS).

    History promos are random; three known ones fall in the plan horizon (events.csv).
    """
    lift, discount = np.zeros((2, len(items), ALL_WEEKS))
    promoted = []
    for i, category in enumerate(items["category"]):
        if rng.random() >= CATEGORY[category].promo_share:
            continue
        promoted.append(i)
        for _ in range(rng.poisson(7)):
            start = rng.integers(0, HISTORY_WEEKS - 1)
            stop = start + rng.integers(1, 3)
            if not lift[i, max(start - 2, 0) : stop + 2].any():  # keep promos apart
                lift[i, start:stop] = rng.uniform(0.3, 0.8)
                discount[i, start:stop] = rng.uniform(0.1, 0.25)
    for i in sorted(rng.choice(promoted, size=3, replace=False)):
        start = HISTORY_WEEKS + rng.integers(1, HORIZON_WEEKS - 2)
        stop = start + rng.integers(1, 3)
        lift[i, start:stop], discount[i, start:stop] = rng.uniform(0.3, 0.8), rng.uniform(0.1, 0.25)
    return lift, discount


def _seasonality(category: str) -> np.ndarray:
    """Multiplicative yearly profile over DATES with mean 1 over a year (a von Mises bump)."""
    cat = CATEGORY[category]
    week_of_year = (DATES.day_of_year.to_numpy() - 1) / 7.0
    angle = 2 * np.pi * (week_of_year - cat.peak_week) / 52.18
    bump = np.exp(cat.sharpness * np.cos(angle)) / np.i0(cat.sharpness)
    return 1.0 + cat.amplitude * (bump - 1.0)


def _true_demand(
    rng: np.random.Generator, series: pd.DataFrame, lift: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(expected, true) demand, each of shape (n_series, ALL_WEEKS)."""
    col = {name: series[name].to_numpy()[:, None] for name in series.columns}
    weeks_from_now = np.arange(ALL_WEEKS) - (HISTORY_WEEKS - 1)
    trend = (1.0 + col["growth"]) ** (weeks_from_now / 52.0)
    profiles = {c.name: _seasonality(c.name) for c in CATEGORIES}
    season = np.vstack([profiles[c] for c in series["category"]])
    shape = trend * season * (1.0 + lift[series["item_row"].to_numpy()])
    # fast movers: negative binomial (Poisson-gamma) counts around level x shape
    fast_mean = col["level"] * shape
    rate = fast_mean * rng.gamma(col["dispersion"], 1.0 / col["dispersion"], fast_mean.shape)
    fast = rng.poisson(rate)
    # slow movers: a demand occurs with probability shape / interval; its size is 1 + NB
    occur_p = np.clip(shape / col["interval"], 0.0, 0.95)
    sizes = 1 + rng.poisson(rng.gamma(2.0, (col["lump"] - 1) / 2.0, occur_p.shape))
    lumpy = np.where(rng.random(occur_p.shape) < occur_p, sizes, 0)
    slow = col["slow"].astype(bool)
    return np.where(slow, occur_p * col["lump"], fast_mean), np.where(slow, lumpy, fast)


def _censor(rng: np.random.Generator, series: pd.DataFrame, true: np.ndarray) -> np.ndarray:
    """Sales = true demand, cut in clustered stockout episodes of 1-5 weeks."""
    sales = true[:, :HISTORY_WEEKS].copy()
    for i, (slow, low) in enumerate(zip(series["slow"], series["low_stock"], strict=True)):
        starts = rng.integers(0, HISTORY_WEEKS, rng.poisson(1.0 if slow else 2.0)).tolist()
        lengths = [min(int(rng.geometric(0.45)), 5) for _ in starts]
        if low:  # running dry right now
            starts, lengths = [*starts, HISTORY_WEEKS - 2], [*lengths, 2]
        for start, length in zip(starts, lengths, strict=True):
            stop = min(start + length, HISTORY_WEEKS)
            sales[i, start:stop] = np.floor(
                sales[i, start:stop] * rng.uniform(0, 0.85, stop - start)
            )
    return sales


def _demand_tables(items, series, true, sales, lift, discount) -> dict[str, pd.DataFrame]:
    """demand (sales history), demand_true and events (known future promotions)."""
    n, h = len(series), HISTORY_WEEKS
    inflation = 1.03 ** (DATES.year.to_numpy() - DATES.year[0])  # list prices rise each January
    markup = items["category"].map({c.name: c.markup for c in CATEGORIES}).to_numpy()[:, None]
    price = np.round(
        items["unit_cost"].to_numpy()[:, None] * inflation * markup * (1 - discount), 2
    )
    item_row = series["item_row"].to_numpy()
    keys = {
        "date": np.tile(ISO_DATES[:h], n),
        "sku": np.repeat(series["sku"].to_numpy(), h),
        "warehouse": np.repeat(series["warehouse"].to_numpy(), h),
    }
    demand = pd.DataFrame(keys).assign(
        quantity=sales.ravel(),
        promo=(lift[item_row, :h] > 0).astype(int).ravel(),
        price=price[item_row, :h].ravel(),
        stockout=(sales < true[:, :h]).astype(int).ravel(),
    )
    truth = pd.DataFrame(keys).assign(quantity=true[:, :h].ravel())
    i, j = np.nonzero(lift[item_row, h:])
    events = pd.DataFrame({
        "date": ISO_DATES[h + j], "sku": series["sku"].to_numpy()[i],
        "warehouse": series["warehouse"].to_numpy()[i], "promo": 1, "price": price[item_row[i], h + j],
    })  # fmt: skip
    by = ["date", "sku", "warehouse"]
    frames = {"demand": demand, "demand_true": truth, "events": events}
    return {name: frame.sort_values(by, ignore_index=True) for name, frame in frames.items()}


def _supply(rng: np.random.Generator, items: pd.DataFrame, series: pd.DataFrame) -> pd.DataFrame:
    """Lanes supplier x sku x warehouse: cheap and slow, mid, or dear and fast."""
    rows = []
    for row, (sku, category, cost, volume) in enumerate(
        items[["sku", "category", "unit_cost", "volume"]].itertuples(index=False)
    ):
        carried = [s for s in SUPPLIERS if rng.random() < s.carries[category]] or [SUPPLIERS[1]]
        for s in carried:
            price = round(cost * rng.uniform(*s.price_factor), 2)
            for w in series.loc[series["item_row"] == row, "warehouse"]:
                shipping = cost * s.freight_share + s.freight_per_m3 * volume * DISTANCE[w]
                rows.append((s.name, sku, w, s.lead_time[w], price, round(shipping, 2)))
    columns = ["supplier", "sku", "warehouse", "lead_time_weeks", "unit_price", "shipping_cost"]
    return pd.DataFrame(rows, columns=columns).assign(
        fixed_order_cost=0.0, moq=0, order_multiple=0, lead_time_sd_weeks=0.0
    )


def _inventory(rng: np.random.Generator, series: pd.DataFrame, mean: np.ndarray) -> pd.DataFrame:
    """On hand: 1-4 weeks of expected demand; low-stock series nearly empty."""
    n = len(series)
    cover = np.where(series["low_stock"], rng.uniform(0.0, 0.3, n), rng.uniform(1.0, 4.0, n))
    lumps = rng.integers(0, 2 * series["lump"].to_numpy().astype(int) + 1)
    on_hand = np.where(series["slow"], lumps, np.round(cover * mean[:, HISTORY_WEEKS]))
    return series[["sku", "warehouse"]].assign(on_hand=on_hand.astype(int))


def _open_orders(
    rng: np.random.Generator, series: pd.DataFrame, supply: pd.DataFrame, mean: np.ndarray
) -> pd.DataFrame:
    """30 purchase orders in transit, arriving in plan weeks 1-5 (placed >= lead time ago)."""
    candidates = np.flatnonzero(~series["slow"] & ~series["low_stock"])
    rows = []
    for i in sorted(rng.choice(candidates, size=min(30, len(candidates)), replace=False)):
        sku, w = series.loc[i, ["sku", "warehouse"]]
        lanes = supply[(supply["sku"] == sku) & (supply["warehouse"] == w)]
        week = min(int(rng.integers(1, 6)), int(lanes["lead_time_weeks"].max()))
        eligible = lanes[lanes["lead_time_weeks"] >= week]
        supplier = eligible["supplier"].iloc[rng.integers(0, len(eligible))]
        qty = rng.uniform(1.0, 3.0) * mean[i, HISTORY_WEEKS : HISTORY_WEEKS + 4].mean()
        qty = round(qty, -1) if qty > 50 else max(round(qty), 1)
        rows.append((sku, w, ISO_DATES[HISTORY_WEEKS + week - 1], int(qty), supplier))
    columns = ["sku", "warehouse", "arrival_date", "quantity", "supplier"]
    by = ["arrival_date", "sku", "warehouse"]
    return pd.DataFrame(rows, columns=columns).sort_values(by, ignore_index=True)


def _warehouses(items, series, mean, inventory, open_orders) -> pd.DataFrame:
    """Volume capacity a bit below the peak stock to hold, above the stock already committed."""
    volume = items["volume"].to_numpy()[series["item_row"]]
    horizon_volume = mean[:, HISTORY_WEEKS:] * volume[:, None]
    incoming = open_orders.groupby(["sku", "warehouse"])["quantity"].sum()
    held = series[["sku", "warehouse"]].join(incoming, on=["sku", "warehouse"])["quantity"]
    held_volume = (inventory["on_hand"] + held.fillna(0)) * volume
    capacity = []
    for w in WAREHOUSES:
        mine = (series["warehouse"] == w).to_numpy()
        peak = HOLD_WEEKS * horizon_volume[mine].sum(axis=0).max()
        floor = held_volume[mine].sum() / INITIAL_FILL
        capacity.append(round(max(WAREHOUSE_TIGHTNESS * peak, floor), 1))
    return pd.DataFrame({"warehouse": WAREHOUSES, "capacity": capacity})


def _suppliers(series: pd.DataFrame, supply: pd.DataFrame, mean: np.ndarray) -> pd.DataFrame:
    """Weekly unit capacity: a share of the mean horizon demand of the supplier's lanes."""
    demand = pd.Series(mean[:, HISTORY_WEEKS:].mean(axis=1))
    demand.index = pd.MultiIndex.from_frame(series[["sku", "warehouse"]])
    lane_demand = demand.loc[pd.MultiIndex.from_frame(supply[["sku", "warehouse"]])].to_numpy()
    capacity = []
    for s in SUPPLIERS:
        total = lane_demand[(supply["supplier"] == s.name).to_numpy()].sum()
        capacity.append(
            pd.NA if s.capacity_share is None else int(round(s.capacity_share * total, -1))
        )
    return pd.DataFrame({"supplier": [s.name for s in SUPPLIERS], "capacity": capacity}).astype(
        {"capacity": "Int64"}
    )


def build_demo_tables(seed: int = DEFAULT_SEED) -> dict[str, pd.DataFrame]:
    """All demo tables by file stem, in a fixed order."""
    items = _items(_stream(seed, 1))
    series = _series(_stream(seed, 2), items)
    lift, discount = _promotions(_stream(seed, 3), items)
    mean, true = _true_demand(_stream(seed, 4), series, lift)
    sales = _censor(_stream(seed, 5), series, true)
    history = _demand_tables(items, series, true, sales, lift, discount)
    supply = _supply(_stream(seed, 6), items, series)
    inventory = _inventory(_stream(seed, 7), series, mean)
    open_orders = _open_orders(_stream(seed, 8), series, supply, mean)
    transfers = pd.DataFrame(TRANSFERS, columns=["from_warehouse", "to_warehouse", "cost_per_unit"])
    return {
        "items": items,
        "warehouses": _warehouses(items, series, mean, inventory, open_orders),
        "suppliers": _suppliers(series, supply, mean),
        "supply": supply,
        "transfers": transfers.assign(lead_time_weeks=1),
        "demand": history["demand"],
        "demand_true": history["demand_true"],
        "inventory": inventory,
        "open_orders": open_orders,
        "events": history["events"],
    }


def _scenario_yaml(dataset: str, seed: int) -> str:
    return f"""\
# demo-baseline: the weekly procurement plan of the seeded demo distributor
# (45 SKUs in 4 categories, 3 warehouses, 3 suppliers, 156 weeks of sales history).
# Written by planner.data.demo.write_demo(seed={seed}); regenerate rather than edit.
name: demo-baseline
dataset: {dataset}
plan:
  horizon_weeks: {HORIZON_WEEKS}
  frozen_weeks: 1
  shortage: lost_sales
  terminal_value: unit_cost
forecast:
  model: auto
  season_length: 52
  paths: 500
  scenarios: 50
  seed: 7
solver:
  time_limit_s: 300
  mip_gap: 0.01
"""


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "w", encoding="utf-8", newline="\n") as fh:
        fh.write(text)
    os.replace(tmp, path)


def write_demo(target: Path, *, seed: int = DEFAULT_SEED, dataset_subdir: str = "data") -> Path:
    """Write the demo tables into `target/<dataset_subdir>/` and the scenario `target/demo.yaml`.

    `dataset_subdir` is a relative POSIX path and may be nested ("data/demo"); the scenario's
    `dataset:` names it. Returns the scenario path. The same seed writes byte-identical files.
    """
    subdir = PurePosixPath(dataset_subdir)
    if subdir.is_absolute() or ".." in subdir.parts or not subdir.parts:
        raise ValueError(f"dataset_subdir must be a relative path below target: {dataset_subdir!r}")
    data_dir = Path(target).joinpath(*subdir.parts)
    data_dir.mkdir(parents=True, exist_ok=True)
    for name, frame in build_demo_tables(seed).items():
        _write_atomic(data_dir / f"{name}.csv", frame.to_csv(index=False, lineterminator="\n"))
    scenario = Path(target) / "demo.yaml"
    _write_atomic(scenario, _scenario_yaml(subdir.as_posix(), seed))
    return scenario


if __name__ == "__main__":
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "scenarios")
    print(f"wrote {write_demo(target, dataset_subdir='data/demo')}")
