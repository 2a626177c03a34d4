"""Planner-worded descriptions of constraint rows, by family, for diagnoses and reports."""

from __future__ import annotations

from collections.abc import Callable

from planner.model.data import ModelData
from planner.model.layout import Layout

# families that only define variables: relaxing them means nothing to a planner
DEFINITIONAL = (
    "stock_balance",
    "order_setup",
    "order_setup_first",
    "order_multiple",
    "order_multiple_first",
    "cvar_excess",
)


def row_describers(model, data: ModelData, lay: Layout) -> dict[str, Callable[[int], str]]:
    week = lambda t: str(data.weeks[int(t)].date())  # noqa: E731
    wh, sup = data.warehouses, data.suppliers
    lanes = data.lanes
    out: dict[str, Callable[[int], str]] = {}

    def rows(name):
        return getattr(model, f"{name}_rows", None)

    if (r := rows("warehouse_capacity")) is not None:
        out["warehouse_capacity"] = lambda k, r=r: (
            f"warehouse {wh[r[k][0]]}, week {week(r[k][1])}, scenario {r[k][2] + 1}"
        )
    if (r := rows("supplier_capacity_first")) is not None:
        out["supplier_capacity_first"] = lambda k, r=r: (
            f"supplier {sup[r[k][0]]}, week {week(r[k][1])}"
        )
    if (r := rows("supplier_capacity")) is not None:
        out["supplier_capacity"] = lambda k, r=r: (
            f"supplier {sup[r[k][0]]}, week {week(r[k][1])}, scenario {r[k][2] + 1}"
        )
    if (r := rows("budget_first")) is not None:
        out["budget_first"] = lambda k, r=r: f"purchase budget, week {week(r[k])}"
    if (r := rows("budget")) is not None:
        out["budget"] = lambda k, r=r: (
            f"purchase budget, week {week(r[k][0])}, scenario {r[k][1] + 1}"
        )
    if (r := rows("service_level")) is not None:
        out["service_level"] = lambda k, r=r: f"expected unmet demand of SKU {r[k][0]}"

    def lane(pos: int) -> str:
        row = lanes.iloc[int(pos)]
        return f"lane {row['supplier']} -> {row['sku']} at {row['warehouse']}"

    if hasattr(model, "order_moq_first"):
        ks = lay.fs_setup[
            [j for j in range(len(lay.fs_setup)) if data.moq[lay.fs_lane[lay.fs_setup[j]]] > 0]
        ]
        out["order_moq_first"] = lambda k, ks=ks: (
            f"MOQ on {lane(lay.fs_lane[ks[k]])}, week {week(lay.fs_week[ks[k]])}"
        )
    if (r := rows("order_moq")) is not None:
        out["order_moq"] = lambda k, r=r: (
            f"MOQ on {lane(lay.rc_lane[lay.rc_setup[r[k][1]]])}, week {week(lay.rc_week[lay.rc_setup[r[k][1]]])}, "
            f"scenario {r[k][0] + 1}"
        )
    return out
