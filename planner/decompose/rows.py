"""The row lists of the extensive form's capacity families, without building it.

`planner.results.bottlenecks` reads `<family>_rows` from the model to name the resource, week
and scenario of each dual. Decomposed solves have no extensive model, so they hand over a
`ModelRows` carrying just those lists, in the extensive form's row order.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from planner.model.data import ModelData
from planner.model.layout import Layout

ROW_FAMILIES = (
    "warehouse_capacity",
    "supplier_capacity_first",
    "supplier_capacity",
    "budget_first",
    "budget",
)


@dataclass
class ModelRows:
    """Stands in for the Pyomo model where only its row lists are read (bottlenecks)."""

    rows: dict[str, list] = field(default_factory=dict)

    def __getattr__(self, name: str):
        if name.endswith("_rows") and name[: -len("_rows")] in self.__dict__.get("rows", {}):
            return self.rows[name[: -len("_rows")]]
        raise AttributeError(name)


def extensive_rows(data: ModelData, lay: Layout) -> dict[str, list]:
    """Row keys of the capacity and budget families, in the order `planner.model.limits` adds
    them: warehouse (w, t, s); supplier first stage (q, t), recourse (q, t, s); budget t, (t, s)."""
    out: dict[str, list] = {}
    cap = data.warehouse_capacity
    has = np.bincount(data.series_warehouse, minlength=cap.shape[0]) > 0
    wt = [
        (w, t)
        for w in range(cap.shape[0])
        for t in range(lay.T)
        if has[w] and np.isfinite(cap[w, t])
    ]
    if wt:
        out["warehouse_capacity"] = [(w, t, s) for s in range(lay.S) for w, t in wt]
    scap = data.supplier_capacity
    if np.isfinite(scap).any():
        fs = sorted(
            {
                (int(q), int(t))
                for q, t in zip(data.lane_supplier[lay.fs_lane], lay.fs_week, strict=True)
                if np.isfinite(scap[q, t])
            }
        )
        rc = sorted(
            {
                (int(q), int(t))
                for q, t in zip(data.lane_supplier[lay.rc_lane], lay.rc_week, strict=True)
                if np.isfinite(scap[q, t])
            }
        )
        if fs:
            out["supplier_capacity_first"] = fs
        if rc:
            out["supplier_capacity"] = [(q, t, s) for s in range(lay.S) for q, t in rc]
    if data.budget_per_week is not None:
        fs_t = sorted(set(lay.fs_week.tolist()))
        rc_t = sorted(set(lay.rc_week.tolist()))
        if fs_t:
            out["budget_first"] = fs_t
        if rc_t:
            out["budget"] = [(t, s) for s in range(lay.S) for t in rc_t]
    return out
