"""Solution -> the planner's tables: orders, projected stock, service, costs, bottlenecks.

Costs are recomputed here from the solution values and the ModelData (not read back from the
solver), then checked against the solver's objective: a disagreement means the model and its
accounting have drifted apart and is raised as an error.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from planner.model.build import Layout, overflow_penalty
from planner.model.data import ModelData
from planner.model.stock import late_arrivals
from planner.solve import SolveResult

COST_KEYS = ("purchase", "logistics", "fixed", "holding", "shortage", "transfer", "terminal")
QUANTITY_DECIMALS = 3


@dataclass
class PlanSolution:
    """Solution arrays in model shape."""

    first: np.ndarray  # (n_fs,)
    recourse: np.ndarray  # (S, n_rc)
    stock: np.ndarray  # (S, n, T)
    short: np.ndarray  # (S, n, T) lost sales, or backlog with backorders
    overflow: np.ndarray  # (S, n_ov)
    placed_first: np.ndarray  # (n_fs_setup,) order placed (0/1) where a setup is modelled
    placed: np.ndarray  # (S, n_rc_setup)
    transfer: np.ndarray  # (S, n_tr)

    @classmethod
    def from_result(cls, res: SolveResult, lay: Layout) -> PlanSolution:
        v = res.values
        shape = (lay.S, lay.n, lay.T)

        def get(name: str, size: int) -> np.ndarray:
            return v.get(name, np.zeros(size))

        return cls(
            first=get("order_first", lay.n_fs),
            recourse=get("order", lay.S * lay.n_rc).reshape(lay.S, lay.n_rc),
            stock=v["stock"].reshape(shape),
            short=v["short"].reshape(shape),
            overflow=get("overflow", 0).reshape(lay.S, len(lay.overflow_wt)),
            placed_first=get("placed_first", len(lay.fs_setup)),
            placed=get("placed", lay.S * len(lay.rc_setup)).reshape(lay.S, len(lay.rc_setup)),
            transfer=get("transfer", lay.S * lay.n_tr).reshape(lay.S, lay.n_tr),
        )


@dataclass
class PlanResult:
    orders: pd.DataFrame
    inventory: pd.DataFrame
    service: pd.DataFrame
    costs: dict[str, float]
    objective: float
    fill_rate: float
    cycle_service_level: float
    bottlenecks: list[dict]
    warnings: list[str] = field(default_factory=list)
    scenario_costs: np.ndarray | None = None  # (S,) total cost per scenario
    transfers: pd.DataFrame | None = None
    risk: dict | None = None


def unmet_demand(data: ModelData, sol: PlanSolution) -> np.ndarray:
    """Demand not served in its own week (S, n, T): lost sales, or new backlog (FIFO)."""
    if data.backorder:
        return np.minimum(data.demand, sol.short)
    return sol.short


def scenario_cost_components(
    data: ModelData, lay: Layout, sol: PlanSolution
) -> dict[str, np.ndarray]:
    """Cost of every component in every scenario, shape (S,) each."""
    price, ship = data.unit_price, data.shipping_cost
    fixed = data.fixed_order_cost
    v = data.terminal_value
    fs_late, rc_late = late_arrivals(data, lay)
    fs_series = data.lane_series[lay.fs_lane]
    rc_series = data.lane_series[lay.rc_lane]
    late_credit = (sol.first[:, None] * fs_late * v[fs_series][:, None]).sum(axis=0)
    late_credit = late_credit + (sol.recourse * rc_late * v[rc_series][None, :]).sum(axis=1)
    out = {
        "purchase": sol.first @ price[lay.fs_lane] + sol.recourse @ price[lay.rc_lane],
        "logistics": sol.first @ ship[lay.fs_lane] + sol.recourse @ ship[lay.rc_lane],
        "fixed": sol.placed_first @ fixed[lay.fs_lane[lay.fs_setup]]
        + sol.placed @ fixed[lay.rc_lane[lay.rc_setup]],
        "holding": np.einsum("sit,i->s", sol.stock, data.holding_cost),
        "shortage": np.einsum("sit,i->s", sol.short, data.shortage_cost),
        "transfer": sol.transfer @ data.transfers.cost[lay.tr_route]
        if lay.n_tr
        else np.zeros(lay.S),
        "terminal": -(sol.stock[:, :, -1] @ v)
        - late_credit
        + (sol.short[:, :, -1] @ v if data.backorder else 0.0),
    }
    if sol.overflow.size:
        out["capacity_overflow_penalty"] = sol.overflow.sum(axis=1) * overflow_penalty(data)
    return {k: np.broadcast_to(np.asarray(val, float), (lay.S,)) for k, val in out.items()}


def cvar(costs: np.ndarray, prob: np.ndarray, alpha: float) -> float:
    """CVaR_alpha of a discrete cost distribution: min_eta eta + E[(X - eta)^+] / (1 - alpha)."""
    return float(min(eta + prob @ np.maximum(costs - eta, 0.0) / (1 - alpha) for eta in costs))


def cost_components(
    data: ModelData, lay: Layout, sol: PlanSolution
) -> tuple[dict[str, float], np.ndarray]:
    """Expected cost by component, and the total cost of each scenario."""
    per = scenario_cost_components(data, lay, sol)
    p = data.prob
    costs = {k: float(p @ per[k]) for k in COST_KEYS}
    if "capacity_overflow_penalty" in per and float(p @ per["capacity_overflow_penalty"]) > 0:
        costs["capacity_overflow_penalty"] = float(p @ per["capacity_overflow_penalty"])
    per_scenario = np.sum([per[k] for k in per], axis=0)
    return costs, per_scenario


def weighted_quantile(values: np.ndarray, weights: np.ndarray, q: float) -> np.ndarray:
    """Quantile over axis 0 of `values` (S, ...) with scenario weights."""
    order = np.argsort(values, axis=0, kind="stable")
    v = np.take_along_axis(values, order, axis=0)
    w = (
        weights[order]
        if values.ndim == 1
        else np.take_along_axis(
            np.broadcast_to(weights.reshape(-1, *([1] * (values.ndim - 1))), values.shape),
            order,
            axis=0,
        )
    )
    cw = np.cumsum(w, axis=0)
    idx = (cw < q * cw[-1] - 1e-12).sum(axis=0)
    idx = np.minimum(idx, values.shape[0] - 1)
    return np.take_along_axis(v, idx[None, ...], axis=0)[0]


def orders_table(data: ModelData, lay: Layout, sol: PlanSolution) -> pd.DataFrame:
    """Order lines: first-stage orders (committed) and expected recourse orders (tentative).

    line_cost = quantity x (unit price + shipping) + fixed order cost x P(order placed).
    """
    p = data.prob
    placed = np.zeros(lay.n_fs + lay.n_rc)
    placed[lay.fs_setup] = sol.placed_first
    if len(lay.rc_setup):
        placed[lay.n_fs + lay.rc_setup] = p @ sol.placed
    qty = np.concatenate([sol.first, p @ sol.recourse])
    lane = np.concatenate([lay.fs_lane, lay.rc_lane])
    week = np.concatenate([lay.fs_week, lay.rc_week])
    committed = np.concatenate([np.ones(lay.n_fs, bool), np.zeros(lay.n_rc, bool)])
    keep = qty > 10 ** (-QUANTITY_DECIMALS)
    lane, week, qty, committed, placed = (
        lane[keep],
        week[keep],
        qty[keep],
        committed[keep],
        placed[keep],
    )
    lanes = data.lanes
    price = data.unit_price[lane]
    cost = qty * (price + data.shipping_cost[lane]) + placed * data.fixed_order_cost[lane]
    out = pd.DataFrame(
        {
            "order_week": data.weeks[week].date,
            "supplier": lanes["supplier"].to_numpy()[lane],
            "sku": lanes["sku"].to_numpy()[lane],
            "warehouse": lanes["warehouse"].to_numpy()[lane],
            "quantity": np.round(qty, QUANTITY_DECIMALS),
            "arrival_week": (
                data.weeks[0] + pd.to_timedelta(7 * (week + data.lead_time[lane]), unit="D")
            ).date,
            "unit_price": price,
            "line_cost": np.round(cost, 2),
            "committed": committed,
        }
    )
    return out.sort_values(
        ["order_week", "supplier", "sku", "warehouse"], kind="stable"
    ).reset_index(drop=True)


def transfers_table(data: ModelData, lay: Layout, sol: PlanSolution) -> pd.DataFrame | None:
    """Expected transfers: week, sku, from_warehouse, to_warehouse, quantity_mean."""
    if data.transfers is None or len(data.transfers) == 0:
        return None
    tr = data.transfers
    qty = data.prob @ sol.transfer if lay.n_tr else np.zeros(0)
    keep = qty > 10 ** (-QUANTITY_DECIMALS)
    r, t = lay.tr_route[keep], lay.tr_week[keep]
    sku = data.series["sku"].to_numpy()
    wh = data.series["warehouse"].to_numpy()
    return pd.DataFrame(
        {
            "week": data.weeks[t].date,
            "sku": sku[tr.from_series[r]],
            "from_warehouse": wh[tr.from_series[r]],
            "to_warehouse": wh[tr.to_series[r]],
            "quantity_mean": np.round(qty[keep], QUANTITY_DECIMALS),
        }
    )


def inventory_table(data: ModelData, sol: PlanSolution) -> pd.DataFrame:
    """Projected stock per series and week, with its p10-p90 band, expected shortage and fill rate."""
    p = data.prob
    unmet = unmet_demand(data, sol)
    exp_demand = np.tensordot(p, data.demand, axes=1)
    exp_unmet = np.tensordot(p, unmet, axes=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        fill = np.where(exp_demand > 1e-12, 1.0 - exp_unmet / exp_demand, 1.0)
    n, T = data.n_series, data.n_weeks
    return pd.DataFrame(
        {
            "week": np.tile(data.weeks.date, n),
            "sku": np.repeat(data.series["sku"].to_numpy(), T),
            "warehouse": np.repeat(data.series["warehouse"].to_numpy(), T),
            "on_hand_mean": np.tensordot(p, sol.stock, axes=1).reshape(-1),
            "on_hand_q0.1": weighted_quantile(sol.stock, p, 0.1).reshape(-1),
            "on_hand_q0.9": weighted_quantile(sol.stock, p, 0.9).reshape(-1),
            "shortage_mean": exp_unmet.reshape(-1),
            "fill_rate": np.clip(fill, 0.0, 1.0).reshape(-1),
        }
    ).round(4)


def service_table(data: ModelData, sol: PlanSolution) -> pd.DataFrame:
    """Per SKU x warehouse: expected demand, unmet demand, fill rate, cycle service level."""
    p = data.prob
    unmet = unmet_demand(data, sol)
    demand = np.tensordot(p, data.demand.sum(axis=2), axes=1)
    short = np.tensordot(p, unmet.sum(axis=2), axes=1)
    stockout_weeks = (unmet > 1e-6).mean(axis=2)  # (S, n) share of weeks short
    with np.errstate(invalid="ignore", divide="ignore"):
        fill = np.where(demand > 1e-12, 1.0 - short / demand, 1.0)
    return pd.DataFrame(
        {
            "sku": data.series["sku"].to_numpy(),
            "warehouse": data.series["warehouse"].to_numpy(),
            "demand_mean": demand,
            "shortage_mean": short,
            "fill_rate": np.clip(fill, 0, 1),
            "cycle_service_level": 1.0 - p @ stockout_weeks,
        }
    ).round(4)


def bottlenecks(
    model, data: ModelData, res: SolveResult, sol: PlanSolution, tol: float = 1e-7
) -> list[dict]:
    """Binding warehouse and supplier capacities with their shadow prices, in a planner's words.

    A shadow price is what one more unit of capacity (volume for a warehouse, units per week for
    a supplier) in that week would save in expected cost.
    """
    out: list[dict] = []
    if agg := _shadow_prices(
        model, res.duals, ("warehouse_capacity",), lambda row: (row[0], row[1])
    ):
        vol = np.zeros((len(data.warehouses), data.n_weeks))
        expected_stock_volume = np.tensordot(data.prob, sol.stock, axes=1) * data.volume[:, None]
        np.add.at(vol, data.series_warehouse, expected_stock_volume)
        out += _group_binding(
            "warehouse_capacity",
            "warehouse",
            data.warehouses,
            agg,
            data,
            tol,
            capacity=data.warehouse_capacity,
            usage=vol,
            unit="volume",
        )
    sup_rows = ("supplier_capacity_first", "supplier_capacity")
    if agg := _shadow_prices(model, res.duals, sup_rows, lambda row: (row[0], row[1])):
        out += _group_binding(
            "supplier_capacity",
            "supplier",
            data.suppliers,
            agg,
            data,
            tol,
            capacity=data.supplier_capacity,
            usage=None,
            unit="units/week",
        )
    budget_key = lambda row: (0, row if isinstance(row, int) else row[0])  # noqa: E731
    if agg := _shadow_prices(model, res.duals, ("budget_first", "budget"), budget_key):
        budget = np.full((1, data.n_weeks), float(data.budget_per_week))
        out += _group_binding(
            "budget",
            "budget",
            ("weekly purchase budget",),
            agg,
            data,
            tol,
            capacity=budget,
            usage=None,
            unit="currency/week",
        )
    merged: dict[tuple[str, str], dict] = {}
    for b in out:  # first-stage and recourse weeks of one supplier belong together
        key = (b["constraint"], b["name"])
        if key in merged:
            m = merged[key]
            m["weeks"] = sorted(set(m["weeks"]) | set(b["weeks"]))
            m["shadow_price_by_week"].update(b["shadow_price_by_week"])
            m["max_shadow_price"] = max(m["max_shadow_price"], b["max_shadow_price"])
        else:
            merged[key] = b
    result = sorted(merged.values(), key=lambda b: -b["max_shadow_price"])
    for b in result:
        b["message"] = _bottleneck_message(b)
    return result


def _shadow_prices(
    model, duals: dict, components: tuple[str, ...], key
) -> dict[tuple[int, int], float]:
    """Shadow price (-dual, summed over scenarios) per (resource, week) of some row families."""
    agg: dict[tuple[int, int], float] = {}
    for comp in components:
        if comp not in duals:
            continue
        for row, d in zip(getattr(model, f"{comp}_rows"), duals[comp], strict=True):
            k = key(row)
            agg[k] = agg.get(k, 0.0) - d
    return agg


def _group_binding(kind, label, names, agg, data, tol, *, capacity, usage, unit) -> list[dict]:
    by_name: dict[int, dict[int, float]] = {}
    for (k, t), price in agg.items():
        if price > tol:
            by_name.setdefault(k, {})[t] = price
    out = []
    for k, weeks in sorted(by_name.items()):
        entry = {
            "constraint": kind,
            label: names[k],
            "name": names[k],
            "weeks": sorted(str(data.weeks[t].date()) for t in weeks),
            "shadow_price_by_week": {
                str(data.weeks[t].date()): round(v, 6) for t, v in sorted(weeks.items())
            },
            "max_shadow_price": round(max(weeks.values()), 6),
            "capacity_by_week": {
                str(data.weeks[t].date()): float(capacity[k, t]) for t in sorted(weeks)
            },
            "unit": unit,
        }
        if usage is not None:
            entry["expected_utilisation_by_week"] = {
                str(data.weeks[t].date()): round(float(usage[k, t] / capacity[k, t]), 4)
                for t in sorted(weeks)
            }
        out.append(entry)
    return out


def _bottleneck_message(b: dict) -> str:
    weeks = b["weeks"]
    span = (
        ", ".join(weeks)
        if len(weeks) <= 3
        else f"{len(weeks)} weeks from {weeks[0]} to {weeks[-1]}"
    )
    if b["constraint"] == "budget":
        return (
            f"the weekly purchase budget is spent in full in {span}: one more unit of budget "
            f"there is worth up to {b['max_shadow_price']:.2f} in expected cost"
        )
    what = "warehouse" if b["constraint"] == "warehouse_capacity" else "supplier"
    unit = "unit of volume" if what == "warehouse" else "unit of weekly capacity"
    weeks = b["weeks"]
    span = (
        ", ".join(weeks)
        if len(weeks) <= 3
        else f"{len(weeks)} weeks from {weeks[0]} to {weeks[-1]}"
    )
    return (
        f"{what} {b['name']} is full in {span}: one more {unit} there is worth up to "
        f"{b['max_shadow_price']:.2f} in expected cost"
    )


def summarise(model, data: ModelData, lay: Layout, res: SolveResult) -> PlanResult:
    sol = PlanSolution.from_result(res, lay)
    costs, per_scenario = cost_components(data, lay, sol)
    total = sum(costs.values())
    risk = None
    if data.cvar_weight > 0:
        value = cvar(per_scenario, data.prob, data.cvar_alpha)
        risk = {
            "cvar_alpha": data.cvar_alpha,
            "cvar_weight": data.cvar_weight,
            "cvar": value,
            "expected_cost": total,
        }
        total += data.cvar_weight * value
    tol = max(1e-6 * max(1.0, abs(res.objective)), 1e-4)
    if res.n_integers:
        tol = max(tol, 1e-4 * max(1.0, abs(res.objective)))  # integrality tolerance of the MILP
    if abs(total - res.objective) > tol:
        raise RuntimeError(
            f"cost accounting ({total:.6f}) disagrees with the solver objective ({res.objective:.6f})"
        )
    p = data.prob
    unmet = unmet_demand(data, sol)
    total_demand = float(p @ data.demand.sum(axis=(1, 2)))
    fill = 1.0 - float(p @ unmet.sum(axis=(1, 2))) / total_demand if total_demand > 0 else 1.0
    csl = 1.0 - float(p @ (unmet > 1e-6).mean(axis=(1, 2)))
    warnings = []
    if "capacity_overflow_penalty" in costs:
        warnings.append(
            "stock on hand and open orders alone exceed a warehouse capacity in some weeks; "
            "the excess is reported as overflow"
        )
    return PlanResult(
        orders=orders_table(data, lay, sol),
        inventory=inventory_table(data, sol),
        service=service_table(data, sol),
        costs={k: round(v, 4) for k, v in costs.items()},
        objective=float(res.objective),
        fill_rate=fill,
        cycle_service_level=csl,
        bottlenecks=bottlenecks(model, data, res, sol),
        warnings=warnings,
        scenario_costs=per_scenario,
        transfers=transfers_table(data, lay, sol),
        risk=risk,
    )
