"""What the policies know each replay week: demand distributions from the history up to then.

At a refit week the dataset's demand history is cut before that week (`truncate_history`) and
the scenario's forecaster runs on what is left, for the plan horizon plus the weeks until the
next refit; in between, that forecast is reused, shifted by the weeks elapsed. Promotions and
prices of the weeks from the cut on are passed as known future events (a planner knows their
own promotion calendar), never their quantities.

Every policy gets the same `WeekForecast` in a week: the stochastic plan its reduced joint
scenarios, the deterministic plan their mean, base_stock and sS the per-week mean and standard
deviation of the same sample paths.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from planner.config import Scenario
from planner.data import Dataset
from planner.errors import ConfigError, Problem
from planner.scenarios import ScenarioSet, build_scenarios


@dataclass(frozen=True, eq=False)
class WeekForecast:
    """Demand distributions for the plan horizon starting at one replay week."""

    mean: np.ndarray  # (n, H)
    sd: np.ndarray  # (n, H)
    scenarios: ScenarioSet  # (S, n, H) joint scenarios with probabilities
    origin: int  # replay week of the forecast's fit (== the week unless reused)
    seed: int = 0  # seed of the scenario construction
    paths: np.ndarray | None = None  # (n, K, H) float32 sample paths, when kept


def rebuild_scenarios(
    forecasts: list[WeekForecast], n_scenarios: int, method: str
) -> list[WeekForecast]:
    """The same forecasts with their scenarios rebuilt from the kept paths (to compare
    scenario settings of the stochastic plan on identical forecasts)."""
    out = []
    for fc in forecasts:
        if fc.paths is None:
            raise ValueError("the forecasts were made without keep_paths=True")
        scen = scenario_set(fc.paths.astype(float), n_scenarios, fc.seed, method)
        out.append(replace(fc, scenarios=scen))
    return out


def truncate_history(dataset: Dataset, week: pd.Timestamp) -> Dataset:
    """The dataset as it stood at the start of `week`: demand history before it; the
    promotion flags and prices of the weeks from `week` on become known future events."""
    demand = dataset.demand
    past = demand["week"] < week
    future = demand.loc[~past, ["week", "sku", "warehouse", "promo", "price"]]
    events = pd.concat([dataset.events, future], ignore_index=True) if len(future) else None
    if events is not None:
        events = events.drop_duplicates(["week", "sku", "warehouse"], keep="last")
        events = events.sort_values(["sku", "warehouse", "week"], ignore_index=True)
    return replace(
        dataset,
        demand=demand.loc[past].reset_index(drop=True),
        events=dataset.events if events is None else events,
    )


def check_window(dataset: Dataset, weeks: pd.DatetimeIndex, source: str) -> None:
    """Every series needs some history before the first replay week."""
    first = dataset.demand.groupby(["sku", "warehouse"])["week"].min()
    late = first[first >= weeks[0] - pd.Timedelta(weeks=4)]
    if len(late):
        ids = [f"{s}/{w}" for s, w in late.index[:5]]
        raise ConfigError(
            Problem(
                source,
                f"{len(late)} series have less than 4 weeks of history before the first replay "
                f"week {weeks[0].date()} (e.g. {', '.join(ids)})",
                fix="replay fewer weeks (--weeks)",
            )
        )


def path_sd(paths: np.ndarray) -> np.ndarray:
    """(n, H) standard deviation over the sample paths (n, K, H)."""
    return paths.std(axis=1, ddof=1) if paths.shape[1] > 1 else np.zeros_like(paths[:, 0, :])


SCENARIO_METHODS = ("reduced", "sampled")


def scenario_set(paths: np.ndarray, n_scenarios: int, seed: int, method: str) -> ScenarioSet:
    """The plan's joint scenarios from sample paths (n, K, H).

    reduced  the engine's reduction (`planner.scenarios.build_scenarios`: k-means cluster
             means with their shares of the paths), as `planner plan` does
    sampled  `n_scenarios` of the paths drawn at random, equal probabilities (sample average
             approximation): each series keeps its full spread, which cluster means of wide
             joint paths shrink
    """
    if method == "reduced":
        return build_scenarios(paths, n_scenarios, seed)
    K = paths.shape[1]
    if K <= n_scenarios:
        return ScenarioSet(np.transpose(paths, (1, 0, 2)).copy(), np.full(K, 1.0 / K))
    idx = np.sort(np.random.default_rng([seed, 0x5A]).choice(K, n_scenarios, replace=False))
    demand = np.transpose(paths[:, idx, :], (1, 0, 2)).copy()
    return ScenarioSet(demand, np.full(n_scenarios, 1.0 / n_scenarios))


def _week_forecast(
    paths: np.ndarray,
    mean: np.ndarray,
    n_scenarios: int,
    seed: int,
    origin: int,
    method: str,
    keep_paths: bool = False,
) -> WeekForecast:
    scen = scenario_set(paths, n_scenarios, seed, method)
    kept = paths.astype(np.float32) if keep_paths else None
    return WeekForecast(
        mean=mean, sd=path_sd(paths), scenarios=scen, origin=origin, seed=seed, paths=kept
    )


def history_forecasts(
    dataset: Dataset,
    scenario: Scenario,
    weeks: pd.DatetimeIndex,
    refit_every: int,
    *,
    n_jobs: int = 2,
    on_fit: Callable[[int, int], None] | None = None,
    scenario_method: str = "reduced",
    keep_paths: bool = False,
) -> list[WeekForecast]:
    """One WeekForecast per replay week; the forecaster refits every `refit_every` weeks on
    the history before the refit week. `on_fit(done, total)` after each fit."""
    from planner.pipeline import forecast_demand

    if scenario.forecast.model == "file":
        raise ConfigError(
            Problem(
                str(scenario.source or "scenario"),
                "forecast.model: file gives forecasts for fixed weeks; a replay needs a "
                "forecasting model it can refit on the history of every replay week",
                fix="set forecast.model (e.g. --set forecast.model=auto)",
            )
        )
    H = scenario.plan.horizon_weeks
    N = len(weeks)
    origins = list(range(0, N, refit_every))
    out: list[WeekForecast] = []
    for done, r in enumerate(origins):
        span = min(refit_every, N - r)
        sc = scenario.model_copy(
            update={
                "plan": scenario.plan.model_copy(
                    update={"start": None, "horizon_weeks": H + span - 1}
                )
            }
        )
        fc = forecast_demand(truncate_history(dataset, weeks[r]), sc, n_jobs=n_jobs)
        for d in range(span):
            paths = fc.panel.paths[:, :, d : d + H]
            mean = fc.panel.mean[:, d : d + H]
            out.append(
                _week_forecast(
                    paths,
                    mean,
                    scenario.forecast.scenarios,
                    scenario.forecast.seed + r + d,
                    r,
                    scenario_method,
                    keep_paths,
                )
            )
        if on_fit is not None:
            on_fit(done + 1, len(origins))
    return out


def known_forecasts(
    mean: np.ndarray, sd: np.ndarray, horizon: int, n_paths: int, n_scenarios: int, seed: int
) -> list[WeekForecast]:
    """Forecasts from a known normal generator: mean (n, N + H) and sd (n, N + H) by absolute
    replay week; week j sees weeks j..j+H-1. For studies where the distribution is known."""
    n, total = mean.shape
    N = total - horizon
    out = []
    for j in range(N + 1):
        rng = np.random.default_rng([seed, j])
        m, s = mean[:, j : j + horizon], sd[:, j : j + horizon]
        paths = np.maximum(
            0.0, m[:, None, :] + s[:, None, :] * rng.standard_normal((n, n_paths, horizon))
        )
        scen = scenario_set(paths, n_scenarios, seed, "sampled")
        out.append(WeekForecast(mean=m.copy(), sd=s.copy(), scenarios=scen, origin=j))
    return out[:N]
