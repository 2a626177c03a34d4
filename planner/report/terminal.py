"""The plan summary printed on the terminal: costs, service, this week's orders, bottlenecks."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from planner.pipeline import PlanRun


def _money(x: float) -> str:
    return f"{x:,.2f}"


def plan_summary_text(run: PlanRun) -> str:
    r, res, data = run.result, run.solve, run.model_data
    lines = [
        f"plan {run.scenario.name}: {data.n_weeks} weeks from {data.weeks[0].date()}, "
        f"{data.n_series} SKU-warehouses, {data.n_scenarios} demand scenarios",
        f"solver: HiGHS {res.status.value} in {res.seconds:.1f} s "
        f"({res.n_variables:,} variables, {res.n_integers:,} integer, {res.n_constraints:,} constraints"
        + (f"; MIP gap {res.gap:.2%}" if res.n_integers else "")
        + ")",
        "",
        "expected cost by component",
    ]
    for key, value in r.costs.items():
        lines.append(f"  {key:<28}{_money(value):>16}")
    lines.append(f"  {'total':<28}{_money(r.objective):>16}")
    lines += [
        "",
        f"expected fill rate {r.fill_rate:.1%}, cycle service level {r.cycle_service_level:.1%}",
        "",
    ]
    if r.risk:
        lines.append(
            f"risk: CVaR{r.risk['cvar_alpha']:.0%} of cost {_money(r.risk['cvar'])} "
            f"(weight {r.risk['cvar_weight']:g}); expected cost {_money(r.risk['expected_cost'])}"
        )
    v = run.value
    if v and v.get("vss") is not None and v.get("evpi") is not None:
        lines.append(
            f"value of the stochastic solution (VSS) {_money(v['vss'])}, "
            f"expected value of perfect information (EVPI) {_money(v['evpi'])}"
        )
    if r.risk or v:
        lines.append("")
    this_week = r.orders[r.orders["committed"]]
    if this_week.empty:
        lines.append("orders to place this week: none")
    else:
        first_week = this_week["order_week"].min()
        now = this_week[this_week["order_week"] == first_week]
        lines.append(f"orders to place this week ({first_week}), by supplier")
        by_sup = now.groupby("supplier").agg(
            lines=("sku", "size"), units=("quantity", "sum"), cost=("line_cost", "sum")
        )
        for sup, row in by_sup.iterrows():
            lines.append(
                f"  {sup:<16}{int(row['lines']):>5} lines {row['units']:>12,.1f} units {_money(row['cost']):>14}"
            )
    if r.bottlenecks:
        lines += ["", "bottlenecks"]
        lines += [f"  {b['message']}" for b in r.bottlenecks[:8]]
        if len(r.bottlenecks) > 8:
            lines.append(f"  ... and {len(r.bottlenecks) - 8} more in summary.json")
    t = run.timings
    lines += ["", "timings (s): " + ", ".join(f"{k} {v:.1f}" for k, v in t.items())]
    return "\n".join(lines)
