"""Variants of the demo dataset that exercise the model's lot-sizing and lead-time features.

`write_lots_variant(base, target)` copies the demo tables and replaces supply.csv with lanes
that carry what a distributor's buyers live with: a far supplier that charges per order placed
(container booking), has a minimum order of about four weeks of demand, ships in case packs and
arrives a week early or late; a mid supplier with a smaller order charge, case packs and some
lead-time variability; a local supplier with a small order charge and neither. Deterministic:
the same base tables give byte-identical files.

    python -m planner.data.demo_variants        # regenerates scenarios/data/demo-lots
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from planner.data.schema import TABLES

LOT_RULES = {
    # supplier: fixed order cost, weeks of demand as MOQ, case packs, lead-time sd (weeks)
    "S-ASIA": (150.0, 4.0, (12, 24, 48), 1.0),
    "S-EURO": (60.0, 0.0, (6, 12), 0.5),
    "S-LOCAL": (15.0, 0.0, (), 0.0),
}


def lot_sizing_supply(supply: pd.DataFrame, demand: pd.DataFrame) -> pd.DataFrame:
    """The demo lanes with fixed order costs, MOQs, order multiples and lead-time sd."""
    recent = demand[demand["date"] >= demand["date"].max() - pd.Timedelta(weeks=26)]
    mean = recent.groupby(["sku", "warehouse"])["quantity"].mean()
    out = supply.copy()
    key = pd.MultiIndex.from_frame(out[["sku", "warehouse"]])
    weekly = mean.reindex(key).fillna(0.0).to_numpy()
    fixed, moq, mult, sd = [], [], [], []
    for k, row in enumerate(out.itertuples(index=False)):
        f, weeks, packs, s = LOT_RULES.get(row.supplier, (0.0, 0.0, (), 0.0))
        pack = packs[k % len(packs)] if packs else 0
        q = weeks * weekly[k]
        if pack:
            q = np.ceil(q / pack) * pack
        fixed.append(f)
        moq.append(float(np.round(q, -1) if not pack else q))
        mult.append(float(pack))
        sd.append(s)
    return out.assign(fixed_order_cost=fixed, moq=moq, order_multiple=mult, lead_time_sd_weeks=sd)


def write_lots_variant(base: Path, target: Path) -> Path:
    """Copy the demo tables from `base` to `target`, with the lot-sizing supply table."""
    target.mkdir(parents=True, exist_ok=True)
    for name in TABLES:
        src = base / f"{name}.csv"
        if name != "supply" and src.exists():
            shutil.copyfile(src, target / src.name)
    demand = pd.read_csv(base / "demand.csv", parse_dates=["date"])
    supply = lot_sizing_supply(pd.read_csv(base / "supply.csv"), demand)
    supply.to_csv(target / "supply.csv", index=False, float_format="%.4g")
    return target


if __name__ == "__main__":
    root = Path(sys.argv[1] if len(sys.argv) > 1 else "scenarios")
    print(f"wrote {write_lots_variant(root / 'data' / 'demo', root / 'data' / 'demo-lots')}")
