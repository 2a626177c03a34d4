"""Demand forecasting: sales history -> demand distributions (mean, quantiles, sample paths).

`forecast_panel` forecasts many series as arrays, `forecast_frame` a long frame (id, ds, y),
`read_forecast_file` turns forecasts given by the user into the same `PanelForecast`;
`covariates_from_dataset` gives the promotion/price regressors of a dataset and
`run_backtest` / `backtest_series` evaluate models on rolling origins.
Models follow the `Forecaster` contract and are listed in `MODELS` by scenario-file name:
seasonal_naive, empirical, moving_average, ets, arima, theta, croston, sba, tsb here; global
models (`PANEL_MODELS`) register when their modules are imported.
"""

from planner.forecast import (  # noqa: F401  (register the models; deep: only with torch)
    arima,
    deep,
    ets,
    intermittent,
    ml,
    moving_average,
    naive,
    theta,
)
from planner.forecast.api import PanelForecast, forecast_frame, forecast_panel
from planner.forecast.backtest import BacktestOptions, backtest_series, run_backtest
from planner.forecast.base import (
    MODELS,
    PANEL_MODELS,
    Forecaster,
    PanelForecaster,
    make_model,
    model_names,
    register,
)
from planner.forecast.covariates import Covariates, covariates_from_dataset
from planner.forecast.file import read_forecast_file, series_id
from planner.forecast.selection import Selection, demand_class, select_model

__all__ = [
    "MODELS",
    "PANEL_MODELS",
    "BacktestOptions",
    "Covariates",
    "Forecaster",
    "PanelForecast",
    "PanelForecaster",
    "Selection",
    "backtest_series",
    "covariates_from_dataset",
    "demand_class",
    "forecast_frame",
    "forecast_panel",
    "make_model",
    "model_names",
    "read_forecast_file",
    "register",
    "run_backtest",
    "select_model",
    "series_id",
]
