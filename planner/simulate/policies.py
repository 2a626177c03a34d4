"""The engine's policies: re-plan every week with the replenishment model, or follow a schedule.

`stochastic`     the two-stage model on the week's joint demand scenarios (the engine's plan)
`deterministic`  the same model on the forecast's mean (the EV plan, `planner.value.ev_data`)
Each week the model is given the simulated stock and open orders (a backlog is added to the
first week's demand: it has to be served first), solved, and only the first week's orders are
placed. Transfers in the model are recourse (they may differ per scenario), so the week's
transfers are their probability-weighted mean, sent as far as the stock left allows.

`ScheduledPolicy` places orders and transfers fixed in advance (the oracle's plan).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from planner.errors import InfeasibleError, SolverError
from planner.model.data import ModelData
from planner.simulate.engine import Decision, Network, SimState
from planner.simulate.forecasts import WeekForecast
from planner.solve import SolverOptions
from planner.value import ev_data

MODEL_POLICIES = ("stochastic", "deterministic")
BASELINE_POLICIES = ("base_stock", "sS")
POLICIES = ("stochastic", "deterministic", "base_stock", "sS", "oracle")


def week_model_data(network: Network, forecast: WeekForecast, state: SimState, weeks) -> ModelData:
    """The plan's inputs at the start of the state's week: the network, the forecast's joint
    scenarios, the simulated stock and the open arrivals in the horizon."""
    base = network.data
    scen = forecast.scenarios
    demand = np.array(scen.demand, float, copy=True)
    demand[:, :, 0] += state.backlog[None, :]
    H = demand.shape[2]
    data = base.with_scenarios(demand, scen.prob)
    return replace(
        data,
        weeks=weeks,
        on_hand=state.on_hand.copy(),
        open_arrivals=state.pipeline(H),
        warehouse_capacity=base.warehouse_capacity[:, :1].repeat(H, axis=1),
        supplier_capacity=base.supplier_capacity[:, :1].repeat(H, axis=1),
    )


def mean_forecast_data(data: ModelData, forecast: WeekForecast, state: SimState) -> ModelData:
    """The EV plan's inputs: one scenario, the forecast's mean demand (`planner.value.ev_data`
    when the scenarios' mean is the forecast mean, as with the engine's reduction)."""
    mean = np.array(forecast.mean, float, copy=True)
    mean[:, 0] += state.backlog
    return ev_data(data.with_scenarios(mean[None], np.ones(1)))


def first_week_decision(data: ModelData, layout, values: dict[str, np.ndarray]) -> Decision:
    """Week 0's orders per lane and expected transfers per route from a solved plan."""
    orders = np.zeros(data.n_lanes)
    x = values.get("order_first", np.zeros(layout.n_fs))
    now = layout.fs_week == 0
    np.add.at(orders, layout.fs_lane[now], x[now])
    if data.frozen == 0:  # no first stage: week 0's orders are recourse; take their mean
        y = values.get("order", np.zeros(layout.S * layout.n_rc)).reshape(layout.S, layout.n_rc)
        now = layout.rc_week == 0
        np.add.at(orders, layout.rc_lane[now], data.prob @ y[:, now])
    transfers = None
    if data.transfers is not None and len(data.transfers):
        transfers = np.zeros(len(data.transfers))
        if layout.n_tr:
            z = values.get("transfer", np.zeros(layout.S * layout.n_tr))
            z = data.prob @ z.reshape(layout.S, layout.n_tr)
            now = layout.tr_week == 0
            np.add.at(transfers, layout.tr_route[now], z[now])
    return Decision(orders=np.where(orders > 1e-6, orders, 0.0), transfers=transfers)


@dataclass
class ModelPolicy:
    """Re-plan every week with the replenishment model; place the first week's orders."""

    name: str
    network: Network
    forecasts: list[WeekForecast]
    weeks: object  # pd.DatetimeIndex of the replay weeks
    horizon: int
    options: SolverOptions
    solve_seconds: float = 0.0
    objectives: list[float] = field(default_factory=list)

    def decide(self, week: int, state: SimState) -> Decision:
        import pandas as pd

        from planner.pipeline import solve_plan

        plan_weeks = pd.date_range(self.weeks[week], periods=self.horizon, freq="W-MON")
        forecast = self.forecasts[week]
        data = week_model_data(self.network, forecast, state, plan_weeks)
        if self.name == "deterministic":
            data = mean_forecast_data(data, forecast, state)
        try:
            _, layout, res, timings = solve_plan(data, self.options)
        except (InfeasibleError, SolverError) as exc:
            raise type(exc)(
                f"{self.name} policy, replay week {week + 1} ({plan_weeks[0].date()}): {exc}"
            ) from exc
        self.solve_seconds += sum(timings.values())
        self.objectives.append(res.objective)
        return first_week_decision(data, layout, res.values)


@dataclass
class ScheduledPolicy:
    """Orders (nl, N) and transfers (nr, N) decided in advance."""

    name: str
    orders: np.ndarray
    transfers: np.ndarray | None = None

    def decide(self, week: int, state: SimState) -> Decision:
        tr = None if self.transfers is None else self.transfers[:, week]
        return Decision(orders=self.orders[:, week].copy(), transfers=tr)
