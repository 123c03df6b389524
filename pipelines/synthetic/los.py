"""Length-of-stay distributions as explicit probability tables, so expected bed days are exact."""

from __future__ import annotations

import math
from functools import cache

import numpy as np


def _normal_cdf(z: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.array([math.erf(x / math.sqrt(2.0)) for x in z]))


def _lognormal_days(p0: float, median: float, sigma: float, max_days: int, min_days: int = 1):
    """P(LOS = 0) = p0; otherwise a discretised lognormal on min_days…max_days."""
    days = np.arange(max_days + 1, dtype=float)
    edges_lo = np.log(np.maximum(days - 0.5, 1e-9))
    edges_hi = np.log(days + 0.5)
    w = _normal_cdf((edges_hi - np.log(median)) / sigma) - _normal_cdf(
        (edges_lo - np.log(median)) / sigma
    )
    w[:min_days] = 0.0
    pmf = (1.0 - p0) * w / w.sum()
    pmf[0] += p0
    return pmf


_SPECS = {
    "same_day": (1.0, 1.0, 1.0, 0),
    "ssed": None,  # LOS 0 or 1 only: short-stay ED
    "ed_long": None,  # LOS 2–5 under an ED specialty: not SSED
    "child_acute": (0.20, 1.5, 0.8, 60),
    "adult_acute": (0.15, 2.5, 0.95, 180),
    "elderly_acute": (0.07, 4.5, 0.9, 180),
    "elective": (0.0, 2.0, 0.8, 60),
    "maternity": (0.10, 2.0, 0.5, 14),
    "neonatal": (0.0, 6.0, 0.9, 90),
    "psych": (0.02, 14.0, 1.0, 180),
    "psych_leave": (0.30, 3.0, 0.8, 28),
    "transfer": (0.05, 3.0, 0.8, 30),
}


@cache
def pmf(kind: str) -> np.ndarray:
    if kind == "ssed":
        return np.array([0.62, 0.38])
    if kind == "ed_long":
        return np.array([0.0, 0.0, 0.55, 0.25, 0.12, 0.08])
    if kind == "same_day":
        return np.array([1.0])
    p0, median, sigma, max_days = _SPECS[kind]
    p = _lognormal_days(p0, median, sigma, max_days)
    return p / p.sum()


@cache
def mean(kind: str) -> float:
    p = pmf(kind)
    return float((np.arange(len(p)) * p).sum())


def draw(kind: str, n: int, rng: np.random.Generator) -> np.ndarray:
    p = pmf(kind)
    return rng.choice(len(p), size=n, p=p).astype(np.int64)
