"""The scenario file: frozen pydantic models, `extends:` chains and `--set` overrides.

A scenario is read from YAML, merged over the files it extends (deep merge, the child wins),
then `--set key.path=value` overrides win over both. Every override is logged as
`key: old -> new`. Unknown keys are an error that names the key and the closest valid one.
Paths (`dataset`, `forecast.file`) are resolved relative to the file that names them.
"""

from __future__ import annotations

import copy
import datetime as dt
import difflib
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from planner.errors import ConfigError, Problem

FORECAST_MODELS = (
    "auto",
    "seasonal_naive",
    "moving_average",
    "ets",
    "arima",
    "theta",
    "croston",
    "sba",
    "tsb",
    "linear",
    "decision_tree",
    "random_forest",
    "gbm",
    "lstm",
    "hybrid",
    "file",
)


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PlanConfig(_Section):
    """When and how far to plan."""

    start: dt.date | None = Field(
        None, description="First planning week; default: the Monday after the last demand week."
    )
    horizon_weeks: int = Field(12, ge=1, le=260, description="Number of weeks planned.")
    frozen_weeks: int = Field(
        1, ge=0, description="Leading weeks whose orders are here-and-now (same in every scenario)."
    )
    shortage: Literal["lost_sales", "backorder"] = Field(
        "lost_sales", description="What happens to demand that cannot be served."
    )
    terminal_value: Literal["unit_cost", "zero"] = Field(
        "unit_cost", description="Value of stock left at the end of the horizon."
    )
    value_of_information: bool = Field(
        True, description="Also solve the EV and wait-and-see problems to report VSS and EVPI."
    )

    @model_validator(mode="after")
    def _frozen_within_horizon(self) -> PlanConfig:
        if self.frozen_weeks > self.horizon_weeks:
            raise ValueError(
                f"plan.frozen_weeks ({self.frozen_weeks}) must not exceed "
                f"plan.horizon_weeks ({self.horizon_weeks})"
            )
        return self


class CleaningConfig(_Section):
    """History cleaning before forecasting; every change is counted in the quality report."""

    outliers: bool = Field(True, description="Cap outliers (robust z-score above the threshold).")
    outlier_threshold: float = Field(
        5.0, gt=0, description="Robust z-score above which a week is capped."
    )
    censored: bool = Field(True, description="Re-estimate demand in stockout (censored) weeks.")


class ForecastConfig(_Section):
    """How demand distributions are made."""

    model: Literal[FORECAST_MODELS] = Field("auto", description="Forecast model or `file`.")  # type: ignore[valid-type]
    season_length: int = Field(52, ge=1, description="Season length in weeks.")
    paths: int = Field(500, ge=1, le=100_000, description="Sample paths drawn per series.")
    scenarios: int = Field(50, ge=1, le=10_000, description="Joint scenarios kept after reduction.")
    seed: int = Field(7, description="Random seed: same seed, same plan.")
    file: Path | None = Field(None, description="Forecast table read when model is `file`.")
    candidates: list[str] | None = Field(
        None,
        description="Models `auto` may choose from (default: every model suited to the series).",
    )
    calibrate: bool = Field(
        True, description="Calibrate quantiles and paths on backtest residuals."
    )
    cleaning: CleaningConfig = CleaningConfig()

    @model_validator(mode="after")
    def _file_given(self) -> ForecastConfig:
        if self.model == "file" and self.file is None:
            raise ValueError("forecast.model is 'file' but forecast.file is not set")
        if self.scenarios > self.paths:
            raise ValueError(
                f"forecast.scenarios ({self.scenarios}) must not exceed forecast.paths ({self.paths})"
            )
        return self


class BacktestConfig(_Section):
    """Rolling-origin evaluation settings of `planner backtest`."""

    folds: int = Field(4, ge=1, le=52, description="Number of forecast origins.")
    step: int = Field(4, ge=1, description="Weeks between origins.")
    horizon: int | None = Field(
        None, ge=1, description="Weeks forecast at each origin (default: plan horizon)."
    )
    models: list[str] | None = Field(
        None, description="Models evaluated (default: every registered model)."
    )


class CostsConfig(_Section):
    """Multipliers applied to the dataset's costs."""

    holding_multiplier: float = Field(1.0, ge=0)
    shortage_multiplier: float = Field(1.0, ge=0)
    logistics_multiplier: float = Field(1.0, ge=0)


class RiskConfig(_Section):
    """Service-level constraint and risk aversion."""

    service_level: float | None = Field(None, gt=0, le=1)
    cvar_alpha: float = Field(0.95, gt=0, lt=1)
    cvar_weight: float = Field(0.0, ge=0)


class SolverConfig(_Section):
    """HiGHS settings."""

    time_limit_s: float = Field(300, gt=0)
    mip_gap: float = Field(0.01, ge=0)
    threads: int | None = Field(None, ge=1)
    integer_recourse: bool = Field(
        False,
        description="Lot sizing (fixed costs, MOQ, multiples) integer in every scenario's later "
        "weeks too; default: only the committed orders are integer.",
    )
    method: Literal[
        "auto", "extensive", "decomposed", "dantzig-wolfe", "benders", "ph", "mpisppy-ph"
    ] = Field(
        "auto",
        description="How the stochastic model is solved. extensive: one model of every scenario; "
        "decomposed: independent groups of series (sharing no capacity, budget, transfer or "
        "service target) solved apart, in parallel, same answer; dantzig-wolfe: the shared "
        "capacities priced, every series planned apart, column generation with bounds, stops "
        "at `tolerance` (LP models); benders: multi-cut L-shaped "
        "over the committed orders, per-scenario subproblems, stops at `tolerance`; ph: "
        "progressive hedging over scenarios with a Lagrangian bound; mpisppy-ph: progressive "
        "hedging on mpi-sppy (many processes/machines); auto: decomposed when the series split "
        "into independent groups, dantzig-wolfe for large coupled LPs (benders when a CVaR or "
        "lot sizing joins the series), else extensive.",
    )
    tolerance: float = Field(
        1e-4,
        gt=0,
        lt=1,
        description="Relative gap (upper - lower bound) / |upper| at which dantzig-wolfe, benders and ph stop.",
    )
    max_iterations: int = Field(
        200,
        ge=1,
        description="Most iterations of dantzig-wolfe, benders or ph before stopping with the gap "
        "reached.",
    )
    workers: int | None = Field(
        None,
        ge=1,
        description="Processes solving subproblems (groups or scenarios) in parallel; default: "
        "one per core.",
    )
    rho: float | None = Field(
        None,
        gt=0,
        description="Progressive hedging penalty per unit of order; default: scaled per lane "
        "from its unit cost.",
    )


class _Filters(_Section):
    skus: list[str] | None = None
    categories: list[str] | None = None
    warehouses: list[str] | None = None
    weeks: tuple[int, int] | None = None


class DemandModifier(_Filters):
    kind: Literal["demand"]
    factor: float = Field(ge=0)


class SupplierOutage(_Section):
    kind: Literal["supplier_outage"]
    supplier: str
    weeks: tuple[int, int]


class LeadTimeModifier(_Section):
    kind: Literal["lead_time"]
    supplier: str
    add_weeks: int


class CostModifier(_Filters):
    kind: Literal["cost"]
    field: Literal["shipping_cost", "unit_price", "holding_cost", "shortage_cost"]
    factor: float = Field(ge=0)
    suppliers: list[str] | None = None


class CapacityModifier(_Section):
    kind: Literal["capacity"]
    warehouse: str | None = None
    supplier: str | None = None
    factor: float = Field(ge=0)


WhatIf = Annotated[
    DemandModifier | SupplierOutage | LeadTimeModifier | CostModifier | CapacityModifier,
    Field(discriminator="kind"),
]


class Scenario(_Section):
    """A fully resolved scenario: what to plan, on which data, with which settings."""

    name: str = Field(description="Scenario name, used in run folder names.")
    dataset: Path = Field(description="Dataset folder (absolute after loading).")
    extends: str | None = Field(None, description="Parent scenario file.")
    plan: PlanConfig = PlanConfig()
    forecast: ForecastConfig = ForecastConfig()
    backtest: BacktestConfig = BacktestConfig()
    costs: CostsConfig = CostsConfig()
    risk: RiskConfig = RiskConfig()
    budget_per_week: float | None = Field(None, gt=0)
    whatif: list[WhatIf] = Field(default_factory=list)
    solver: SolverConfig = SolverConfig()
    source: Path | None = Field(None, exclude=True, description="The file it was read from.")

    def resolved_dict(self) -> dict[str, Any]:
        """The configuration as plain JSON-serialisable data (paths as strings)."""
        return self.model_dump(mode="json")


# ---------------------------------------------------------------- loading and merging


def _read_yaml(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise ConfigError(
            Problem(
                str(path),
                "scenario file not found",
                fix="check the path (it is relative to the current directory)",
            )
        )
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        rows = (mark.line + 1,) if mark is not None else ()
        raise ConfigError(
            Problem(
                str(path),
                f"not valid YAML: {getattr(exc, 'problem', exc)}",
                rows=rows,
                fix="fix the YAML syntax at that line",
            )
        ) from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(Problem(str(path), "a scenario file must be a mapping of keys to values"))
    return data


def _absolutise_paths(data: dict[str, Any], base: Path) -> dict[str, Any]:
    """Resolve the paths a file names relative to that file's folder."""
    data = copy.deepcopy(data)
    if isinstance(data.get("dataset"), str):
        data["dataset"] = str((base / data["dataset"]).resolve())
    fc = data.get("forecast")
    if isinstance(fc, dict) and isinstance(fc.get("file"), str):
        fc["file"] = str((base / fc["file"]).resolve())
    return data


def deep_merge(parent: dict[str, Any], child: dict[str, Any]) -> dict[str, Any]:
    """Merge `child` over `parent`: mappings merge key by key, anything else is replaced."""
    out = copy.deepcopy(parent)
    for key, value in child.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def _load_chain(path: Path, seen: tuple[Path, ...] = ()) -> dict[str, Any]:
    path = path.resolve()
    if path in seen:
        chain = " -> ".join(str(p) for p in (*seen, path))
        raise ConfigError(
            Problem(str(path), f"`extends` forms a cycle: {chain}", fix="remove one `extends`")
        )
    data = _absolutise_paths(_read_yaml(path), path.parent)
    parent = data.get("extends")
    if parent:
        parent_path = Path(parent)
        if not parent_path.is_absolute():
            parent_path = path.parent / parent_path
        data = deep_merge(_load_chain(parent_path, (*seen, path)), data)
    return data


def parse_set_options(options: list[str] | tuple[str, ...]) -> list[tuple[str, Any]]:
    """Parse `key.path=value` strings; the value is read as YAML (numbers, lists, null...)."""
    parsed: list[tuple[str, Any]] = []
    seen: set[str] = set()
    problems = []
    for raw in options:
        key, sep, value = raw.partition("=")
        key = key.strip()
        if not sep or not key:
            problems.append(
                Problem(
                    "--set",
                    f"{raw!r} is not of the form key.path=value",
                    fix="write e.g. --set plan.horizon_weeks=8",
                )
            )
            continue
        if key in seen:
            problems.append(Problem("--set", f"{key!r} is set twice", fix="keep one --set per key"))
            continue
        seen.add(key)
        try:
            parsed.append((key, yaml.safe_load(value) if value.strip() else None))
        except yaml.YAMLError:
            parsed.append((key, value))
    if problems:
        raise ConfigError(problems, title="invalid --set option")
    return parsed


def _get_path(data: dict[str, Any], parts: list[str]) -> Any:
    node: Any = data
    for part in parts:
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def apply_overrides(
    data: dict[str, Any], overrides: list[tuple[str, Any]]
) -> tuple[dict[str, Any], list[str]]:
    """Apply parsed `--set` overrides; return the new data and the `key: old -> new` log."""
    data = copy.deepcopy(data)
    log = []
    for key, value in overrides:
        parts = key.split(".")
        node = data
        for part in parts[:-1]:
            if not isinstance(node.get(part), dict):
                node[part] = {}
            node = node[part]
        old = node.get(parts[-1])
        if old is None:
            old = _default_for(parts)
        node[parts[-1]] = value
        log.append(f"{key}: {_fmt(old)} -> {_fmt(value)}")
    return data, log


def _default_for(parts: list[str]) -> Any:
    model: Any = Scenario
    for part in parts:
        fields = getattr(model, "model_fields", None)
        if not fields or part not in fields:
            return None
        field = fields[part]
        default = field.default
        model = field.annotation
        if isinstance(default, BaseModel):
            model = type(default)
    return default if not isinstance(default, BaseModel) else None


def _fmt(value: Any) -> str:
    return "null" if value is None else str(value)


def _valid_keys(model: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    """The valid keys at `loc` (the location of an unknown key) in the scenario schema."""
    current: Any = model
    for part in loc[:-1]:
        fields = getattr(current, "model_fields", None)
        if fields is None or part not in fields:
            return []
        annotation = fields[part].annotation
        current = (
            annotation
            if isinstance(annotation, type) and issubclass(annotation, BaseModel)
            else None
        )
        if current is None:
            return []
    fields = getattr(current, "model_fields", {})
    return [k for k in fields if k != "source"]


def _problems_from_validation(exc: ValidationError, source: str) -> list[Problem]:
    problems = []
    for err in exc.errors():
        loc = tuple(err["loc"])
        key = ".".join(str(p) for p in loc)
        if err["type"] == "extra_forbidden":
            valid = _valid_keys(Scenario, loc)
            close = difflib.get_close_matches(str(loc[-1]), valid, n=1)
            hint = f"did you mean {'.'.join([*map(str, loc[:-1]), close[0]])!r}?" if close else ""
            fix = hint or ("valid keys here: " + ", ".join(valid))
            problems.append(Problem(source, f"unknown key {key!r}", fix=fix))
        else:
            got = err.get("input")
            got_text = "" if isinstance(got, dict) else f" Got {got!r} instead."
            problems.append(
                Problem(source, f"the {key!r} parameter {err['msg'].lower()}.{got_text}")
            )
    return problems


def load_scenario(
    path: str | Path, overrides: list[str] | tuple[str, ...] = ()
) -> tuple[Scenario, list[str]]:
    """Read a scenario file with its `extends` chain and `--set` overrides.

    Returns the frozen Scenario and the log of overrides (`key: old -> new`).
    Raises ConfigError listing every problem.
    """
    path = Path(path)
    data = _load_chain(path)
    data, log = apply_overrides(data, parse_set_options(list(overrides)))
    data.setdefault("name", path.stem)
    if "dataset" not in data:
        raise ConfigError(
            Problem(str(path), "no `dataset:` given", fix="add `dataset: <folder of the tables>`")
        )
    fc = data.get("forecast")
    if (
        isinstance(fc, dict)
        and isinstance(fc.get("file"), str)
        and not Path(fc["file"]).is_absolute()
    ):
        fc["file"] = str(Path(fc["file"]).resolve())  # a --set path is relative to the current dir
    if isinstance(data.get("dataset"), str) and not Path(data["dataset"]).is_absolute():
        data["dataset"] = str(Path(data["dataset"]).resolve())
    try:
        scenario = Scenario.model_validate({**data, "source": str(path.resolve())})
    except ValidationError as exc:
        raise ConfigError(_problems_from_validation(exc, str(path))) from None
    return scenario, log


def scenario_to_yaml(scenario: Scenario) -> str:
    """The resolved scenario as YAML text."""
    return yaml.safe_dump(scenario.resolved_dict(), sort_keys=False)
