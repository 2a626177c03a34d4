"""Forecasts given by the user (`forecast.model: file`) turned into a `PanelForecast`.

The table (CSV or Parquet) has one row per week, sku and warehouse, and describes each
week's demand distribution either parametrically, with `mean` + `sd` (+ `distribution`:
normal | gamma | poisson | negbin, default normal), or by quantile columns `q<level>` (at
least two, e.g. q0.05..q0.95; used when there is no `sd` column). Quantile rows define a
piecewise-linear inverse CDF through the given levels whose tails are extended linearly to
levels 0 and 1 (bounded below by 0). `sd = 0` means the mean is certain; poisson takes its
variance from the mean and does not use `sd`. A normal is truncated at 0 (paths clipped).

Paths are drawn by Latin hypercube sampling: for each (series, week) the uniforms
u = (permutation + U) / n_paths cover every 1/n_paths stratum once, and are pushed through
the inverse CDF, so the paths' quantiles match the distribution closely even for 500 paths.
Rows for other series or weeks are ignored; every problem is reported in one InputError.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from planner.errors import ConfigError, InputError, Problem
from planner.forecast.base import DEFAULT_LEVELS, PanelForecast, check_levels, series_rng

DISTRIBUTIONS = ("normal", "gamma", "poisson", "negbin")
_QUANTILE_COLUMN = re.compile(r"^q(0?\.\d+)$")
_ISO_WEEK = re.compile(r"^\s*(\d{4})-?W(\d{2})(?:-?\d)?\s*$")


def series_id(sku: object, warehouse: object) -> str:
    """The id of a SKU x warehouse series: 'sku/warehouse'."""
    return f"{sku}/{warehouse}"


def to_monday(values: pd.Series) -> pd.Series:
    """Dates (or ISO weeks like 2024-W05) -> the Monday of their ISO week; NaT when unparsable."""
    text = values.astype("string")
    iso = text.str.extract(_ISO_WEEK)
    dates = pd.to_datetime(values.where(iso[0].isna()), errors="coerce")
    from_iso = pd.to_datetime(iso[0] + "-W" + iso[1] + "-1", format="%G-W%V-%u", errors="coerce")
    dates = dates.fillna(from_iso).dt.tz_localize(None).dt.normalize()
    return dates - pd.to_timedelta(dates.dt.day_of_week, unit="D")


def _read_table(path: Path) -> pd.DataFrame:
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".parquet", ".pq"):
        raise InputError(Problem(str(path), "unknown file type", "give a .csv or .parquet file"))
    if not path.is_file():
        raise InputError(
            Problem(str(path), "file not found", "check forecast.file in the scenario")
        )
    try:
        if suffix == ".csv":
            table = pd.read_csv(path, dtype={"sku": str, "warehouse": str, "distribution": str})
        else:
            table = pd.read_parquet(path)
    except (ValueError, OSError, pd.errors.ParserError) as err:
        raise InputError(Problem(str(path), f"cannot read the table: {err}")) from err
    return table.rename(columns=lambda c: str(c).strip())


class _Checker:
    """Collects problems of one file; `rows` are spreadsheet rows (header = row 1)."""

    def __init__(self, file: str, n_rows: int):
        self.file, self.problems, self.row = file, [], np.arange(n_rows) + 2

    def flag(self, mask, message: str, fix: str, values: Sequence[object] = ()) -> None:
        mask = np.asarray(mask, dtype=bool)
        if mask.any():
            rows = tuple(int(r) for r in self.row[mask])
            self.problems.append(Problem(self.file, message, fix, rows, tuple(map(str, values))))

    def numbers(self, table: pd.DataFrame, column: str, required: np.ndarray | None = None):
        values = pd.to_numeric(table[column], errors="coerce").to_numpy(dtype=np.float64)
        needed = np.ones(values.size, bool) if required is None else required
        self.flag(
            needed & ~np.isfinite(values),
            f"{column} missing or not a number",
            f"give {column} as a number",
        )
        return values


def _parametric(table, check: _Checker, picked: np.ndarray):
    """Distribution code, mean and sd per row (codes index DISTRIBUTIONS)."""
    raw = (
        table["distribution"] if "distribution" in table else pd.Series("normal", index=table.index)
    )
    names = raw.fillna("normal").astype(str).str.strip().str.lower().replace("", "normal")
    known = names.isin(DISTRIBUTIONS).to_numpy()
    unknown = sorted(set(names[picked & ~known]))
    close = [difflib.get_close_matches(n, DISTRIBUTIONS, n=1, cutoff=0.0)[0] for n in unknown]
    check.flag(
        picked & ~known,
        "unknown distribution" + (f" (did you mean {close[0]!r}?)" if close else ""),
        f"use one of {', '.join(DISTRIBUTIONS)} (empty = normal)",
        unknown,
    )
    code = np.array([DISTRIBUTIONS.index(n) if n in DISTRIBUTIONS else 0 for n in names])
    mean = check.numbers(table, "mean", picked)
    needs_sd = picked & (code != 2)
    if "sd" not in table:
        check.flag(needs_sd, "no sd column for normal/gamma/negbin rows", "add an sd column")
        sd = np.zeros(mean.size)
    else:
        sd = check.numbers(table, "sd", needs_sd)
    with np.errstate(invalid="ignore"):
        check.flag(
            picked & (mean < 0), "negative mean", "demand cannot be negative: give mean >= 0"
        )
        check.flag(needs_sd & (sd < 0), "negative sd", "give sd >= 0 (0 = the mean is certain)")
        check.flag(
            picked & (code == 1) & (mean <= 0) & (sd > 0),
            "gamma needs a positive mean",
            "give mean > 0, or sd = 0 for a certain value",
        )
        check.flag(
            picked & (code == 3) & (sd > 0) & (sd**2 <= mean),
            "negbin needs sd^2 > mean (over-dispersion)",
            "raise sd, or use distribution poisson (sd^2 = mean)",
        )
    return code, mean, np.where(code == 2, np.nan, sd)


def _quantile_knots(table, check: _Checker, picked, qcols: dict[float, str]):
    """Knot levels (k+2,) and values (rows, k+2) of the piecewise-linear inverse CDF."""
    levels = np.array(sorted(qcols))
    values = np.column_stack([check.numbers(table, qcols[lv], picked) for lv in levels])
    with np.errstate(invalid="ignore"):
        check.flag(
            picked & np.any(np.diff(values, axis=1) < 0, axis=1),
            "quantiles decrease as the level increases",
            f"make {', '.join(qcols[lv] for lv in levels)} non-decreasing in each row",
        )
    values = np.maximum(values, 0.0)
    low = values[:, 0] - (values[:, 1] - values[:, 0]) / (levels[1] - levels[0]) * levels[0]
    high = values[:, -1] + (values[:, -1] - values[:, -2]) / (levels[-1] - levels[-2]) * (
        1 - levels[-1]
    )
    return np.r_[0.0, levels, 1.0], np.column_stack([np.maximum(low, 0.0), values, high])


def _interp_rows(grid: np.ndarray, knots: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Piecewise-linear Q(u) per row: grid (g,) shared, knots (m, g), u (m, k)."""
    seg = np.clip(np.searchsorted(grid, u, side="right") - 1, 0, grid.size - 2)
    x0, x1 = grid[seg], grid[seg + 1]
    y0 = np.take_along_axis(knots, seg, axis=1)
    y1 = np.take_along_axis(knots, seg + 1, axis=1)
    return y0 + (u - x0) / (x1 - x0) * (y1 - y0)


class _Parametric:
    """Rows' distributions given by code (index into DISTRIBUTIONS), mean and sd."""

    def __init__(self, code: np.ndarray, mean: np.ndarray, sd: np.ndarray):
        self.code, self.mean, self.sd = code, mean, sd

    def inverse_cdf(self, rows: np.ndarray, u: np.ndarray) -> np.ndarray:
        """Values at probabilities u (len(rows), k), clipped at 0; sd 0 gives the mean."""
        code, mean, sd = self.code[rows], self.mean[rows], self.sd[rows]
        out = np.repeat(mean[:, None], u.shape[1], axis=1)
        with np.errstate(all="ignore"):
            for k, dist in enumerate(DISTRIBUTIONS):
                pick = (code == k) & ((sd > 0) if dist != "poisson" else (mean > 0))
                if not pick.any():
                    continue
                mu, sig, q = mean[pick, None], sd[pick, None], u[pick]
                if dist == "normal":
                    out[pick] = stats.norm.ppf(q, mu, sig)
                elif dist == "gamma":
                    out[pick] = stats.gamma.ppf(q, (mu / sig) ** 2, scale=sig**2 / mu)
                elif dist == "poisson":
                    out[pick] = stats.poisson.ppf(q, mu)
                else:
                    out[pick] = stats.nbinom.ppf(q, mu**2 / (sig**2 - mu), mu / sig**2)
        return np.maximum(out, 0.0)

    def clipped_mean(self, rows: np.ndarray) -> np.ndarray:
        """Mean after clipping at 0 (only a normal changes: mu*Phi(z) + sd*phi(z), z = mu/sd)."""
        code, mean, sd = self.code[rows], self.mean[rows], self.sd[rows]
        normal = (code == 0) & (sd > 0)
        z = np.divide(mean, sd, out=np.zeros_like(mean), where=normal)
        truncated = mean * stats.norm.cdf(z) + sd * stats.norm.pdf(z)
        return np.where(normal, truncated, mean)


class _Quantiles:
    """Rows' piecewise-linear inverse CDFs: knot levels `grid` shared, values `knots`."""

    def __init__(self, grid: np.ndarray, knots: np.ndarray):
        self.grid, self.knots = grid, knots

    def inverse_cdf(self, rows: np.ndarray, u: np.ndarray) -> np.ndarray:
        return _interp_rows(self.grid, self.knots[rows], u)

    def clipped_mean(self, rows: np.ndarray) -> np.ndarray:
        """Exact mean of the piecewise-linear quantile function (trapezoids; knots >= 0)."""
        k = self.knots[rows]
        return np.sum(np.diff(self.grid) * (k[:, 1:] + k[:, :-1]) / 2, axis=1)


def read_forecast_file(
    path: Path,
    series: pd.DataFrame,
    weeks: pd.DatetimeIndex,
    *,
    n_paths: int,
    seed: int,
    quantile_levels: Sequence[float] = DEFAULT_LEVELS,
) -> PanelForecast:
    """Read the user's forecast table for the `series` (columns sku, warehouse, in order) and
    planning `weeks` (Mondays): ids 'sku/warehouse', model 'file', one row per series in
    `series` order. Raises InputError listing every problem (rows: header = row 1)."""
    path = Path(path)
    levels = check_levels(quantile_levels)
    if (
        not {"sku", "warehouse"} <= set(series.columns)
        or n_paths < 1
        or np.any(np.diff(levels) <= 0)
    ):
        raise ConfigError(
            "read_forecast_file needs series with columns sku, warehouse, n_paths >= 1 "
            "and strictly increasing quantile levels"
        )
    table = _read_table(path)
    parametric, qcols = _distribution_columns(table, str(path))
    check = _Checker(str(path), len(table))
    ids = [series_id(s, w) for s, w in zip(series["sku"], series["warehouse"], strict=True)]
    plan_weeks = to_monday(pd.Series(pd.DatetimeIndex(weeks)))
    picked, cells = _locate(table, check, ids, plan_weeks)
    if parametric:
        dist = _Parametric(*_parametric(table, check, picked))
    else:
        dist = _Quantiles(*_quantile_knots(table, check, picked, qcols))
    if check.problems:
        raise InputError(check.problems, title="invalid forecast file")
    return _sample(ids, cells, dist, n_paths, seed, tuple(float(v) for v in levels))


def _distribution_columns(table: pd.DataFrame, file: str) -> tuple[bool, dict[float, str]]:
    """Whether rows are parametric (an sd or distribution column) and the q<level> columns."""
    qcols = {}
    for column in table.columns:
        match = _QUANTILE_COLUMN.match(column)
        if match and 0 < float(match.group(1)) < 1:
            qcols[float(match.group(1))] = column
    parametric = "sd" in table or "distribution" in table
    missing = [c for c in ("week", "sku", "warehouse") if c not in table]
    if parametric and "mean" not in table:
        missing.append("mean")
    if missing or not (parametric or len(qcols) >= 2):
        what = f"missing column(s) {', '.join(missing)}" if missing else "no distribution columns"
        fix = (
            "give columns week, sku, warehouse and either mean + sd (+ distribution) "
            "or at least two quantile columns such as q0.05, q0.5, q0.95"
        )
        raise InputError(Problem(file, what, fix), title="invalid forecast file")
    return parametric, qcols


def _locate(table, check: _Checker, ids: list[str], plan_weeks: pd.Series):
    """Rows that describe a planned series x week (`picked`) and, for each series x week,
    the table row describing it (n_series, n_weeks); flags bad keys and missing cells."""
    week = to_monday(table["week"])
    bad_week = week.isna().to_numpy()
    check.flag(
        bad_week,
        "week is not a date",
        "give a date (any day of the week) or an ISO week like 2025-W03",
        table["week"][bad_week],
    )
    for column in ("sku", "warehouse"):
        check.flag(table[column].isna(), f"missing {column}", f"give every row a {column}")
    key = table["sku"].astype(str) + "/" + table["warehouse"].astype(str)
    row_series = pd.Series(np.arange(len(ids)), index=pd.Index(ids)).reindex(key).to_numpy()
    row_week = pd.Series(np.arange(len(plan_weeks)), index=pd.Index(plan_weeks))
    row_week = row_week.reindex(week).to_numpy()
    picked = ~np.isnan(row_series) & ~np.isnan(row_week)
    duplicated = pd.DataFrame({"key": key, "week": week}).duplicated(keep=False).to_numpy()
    check.flag(
        picked & duplicated,
        "duplicated week, sku, warehouse",
        "keep one row per week, sku and warehouse",
    )
    found = pd.Series(
        np.flatnonzero(picked),
        index=pd.MultiIndex.from_arrays(
            [row_series[picked].astype(int), row_week[picked].astype(int)]
        ),
    )
    found = found[~found.index.duplicated()]
    wanted = pd.MultiIndex.from_product([range(len(ids)), range(len(plan_weeks))])
    absent = wanted.difference(found.index)
    if len(absent):
        check.problems.append(
            Problem(
                check.file,
                f"{len(absent)} series x week combination(s) missing",
                "add a row for each listed sku/warehouse and week (or shorten plan.horizon_weeks)",
                values=tuple(f"{ids[i]} {plan_weeks.iloc[j]:%Y-%m-%d}" for i, j in absent),
            )
        )
        return picked, np.zeros((len(ids), len(plan_weeks)), dtype=int)
    return picked, found.reindex(wanted).to_numpy().reshape(len(ids), len(plan_weeks))


def _sample(ids, cells: np.ndarray, dist, n_paths: int, seed: int, levels) -> PanelForecast:
    """Latin hypercube paths, exact quantiles and clipped means for every (series, week)."""
    n, h = cells.shape
    u = np.empty((n, h, n_paths))
    for i, sid in enumerate(ids):
        rng = series_rng(seed, sid)
        strata = rng.permuted(np.tile(np.arange(n_paths), (h, 1)), axis=1)
        u[i] = (strata + rng.random((h, n_paths))) / n_paths
    rows = cells.reshape(-1)
    paths = dist.inverse_cdf(rows, u.reshape(n * h, n_paths))
    quantiles = dist.inverse_cdf(rows, np.tile(np.asarray(levels), (n * h, 1)))
    return PanelForecast(
        ids=list(ids),
        model=["file"] * n,
        mean=dist.clipped_mean(rows).reshape(n, h),
        quantile_levels=levels,
        quantiles=quantiles.reshape(n, h, len(levels)).transpose(0, 2, 1).copy(),
        paths=paths.reshape(n, h, n_paths).transpose(0, 2, 1).copy(),
    )
