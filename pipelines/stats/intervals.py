"""Vectorised confidence limits for counts and proportions (PHEindicatormethods utils.R).

All functions take array-likes (NaN = missing, which propagates) and return float64 arrays.

* Byar's approximation for a Poisson count O (Breslow & Day 1987):
  lower = O (1 - 1/(9O) - z/(3 sqrt O))^3, negative results -> NaN as PHE sets them NA;
  upper = (O+1) (1 - 1/(9(O+1)) + z/(3 sqrt(O+1)))^3.
* Exact Poisson limits from the chi-squared distribution:
  lower = chi2^-1((1-c)/2; 2O) / 2 (0 when O = 0, as R's qchisq(p, df = 0) gives),
  upper = chi2^-1(c + (1-c)/2; 2O + 2) / 2.
* Wilson score limits for a proportion x/n (returned as proportions, not counts).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.stats import chi2

from pipelines.stats.confidence import _scale, z_for

__all__ = [
    "byars_lower",
    "byars_upper",
    "exact_poisson_lower",
    "exact_poisson_upper",
    "wilson_lower",
    "wilson_upper",
]

Floats = NDArray[np.float64]


def _counts(x: ArrayLike) -> Floats:
    arr = np.asarray(x, dtype=np.float64)
    if np.any(arr < 0):  # NaN compares False, so missing values pass through
        raise ValueError("observed events must all be greater than or equal to zero")
    return arr


def byars_lower(x: ArrayLike, confidence: float = 0.95) -> Floats:
    """Byar's lower limit for counts; NaN where the approximation goes negative (or O = 0)."""
    o = _counts(x)
    z = z_for(confidence)
    with np.errstate(divide="ignore", invalid="ignore"):
        lower = o * (1 - 1 / (9 * o) - z / (3 * np.sqrt(o))) ** 3
    return np.where(lower < 0, np.nan, lower)


def byars_upper(x: ArrayLike, confidence: float = 0.95) -> Floats:
    """Byar's upper limit for counts."""
    o1 = _counts(x) + 1
    z = z_for(confidence)
    return o1 * (1 - 1 / (9 * o1) + z / (3 * np.sqrt(o1))) ** 3


def exact_poisson_lower(x: ArrayLike, confidence: float = 0.95) -> Floats:
    """Exact (chi-squared) lower limit for counts; exactly 0 for a zero count."""
    o = _counts(x)
    c = _scale(confidence)
    with np.errstate(invalid="ignore"):
        lower = chi2.ppf((1 - c) / 2, 2 * o) / 2
    # SciPy returns NaN for zero degrees of freedom where R's qchisq returns 0.
    return np.where(o == 0, 0.0, lower)


def exact_poisson_upper(x: ArrayLike, confidence: float = 0.95) -> Floats:
    """Exact (chi-squared) upper limit for counts."""
    o = _counts(x)
    c = _scale(confidence)
    return np.asarray(chi2.ppf(c + (1 - c) / 2, 2 * o + 2) / 2, dtype=np.float64)


def _proportion_inputs(x: ArrayLike, n: ArrayLike) -> tuple[Floats, Floats]:
    xs = _counts(x)
    ns = np.asarray(n, dtype=np.float64)
    if np.any(ns <= 0):
        raise ValueError("sample sizes must all be greater than zero")
    if np.any(xs > ns):
        raise ValueError(
            "numerators must be less than or equal to denominator for a Wilson score to be calculated"
        )
    return np.broadcast_arrays(xs, ns)


def _wilson(x: ArrayLike, n: ArrayLike, confidence: float, sign: int) -> Floats:
    xs, ns = _proportion_inputs(x, n)
    z = z_for(confidence)
    root = z * np.sqrt(z**2 + 4 * xs * (1 - xs / ns))
    return (2 * xs + z**2 + sign * root) / (2 * (ns + z**2))


def wilson_lower(x: ArrayLike, n: ArrayLike, confidence: float = 0.95) -> Floats:
    """Wilson score lower limit of x/n; exactly 0 when x = 0 or confidence = 1."""
    if _scale(confidence) == 1:
        _proportion_inputs(x, n)
        return np.zeros(np.broadcast(np.asarray(x), np.asarray(n)).shape)
    xs = np.broadcast_arrays(np.asarray(x, dtype=np.float64), np.asarray(n, dtype=np.float64))[0]
    # The closed form can leave a rounding residue at x = 0; PHE documents the limit as 0.
    return np.where(xs == 0, 0.0, _wilson(x, n, confidence, -1))


def wilson_upper(x: ArrayLike, n: ArrayLike, confidence: float = 0.95) -> Floats:
    """Wilson score upper limit of x/n; exactly 1 when x = n or confidence = 1."""
    if _scale(confidence) == 1:
        _proportion_inputs(x, n)
        return np.ones(np.broadcast(np.asarray(x), np.asarray(n)).shape)
    xs, ns = np.broadcast_arrays(np.asarray(x, dtype=np.float64), np.asarray(n, dtype=np.float64))
    return np.where(xs == ns, 1.0, _wilson(x, n, confidence, 1))


def poisson_count_limits(x: ArrayLike, confidence: float) -> tuple[Floats, Floats]:
    """PHE's rule for count limits: exact below 10 events, Byar's from 10 on (NaN stays NaN)."""
    o = _counts(x)
    small = o < 10
    lower = np.where(small, exact_poisson_lower(o, confidence), byars_lower(o, confidence))
    upper = np.where(small, exact_poisson_upper(o, confidence), byars_upper(o, confidence))
    return lower, upper


def poisson_method(x: ArrayLike) -> list[str | None]:
    """Method label per count: 'Exact' below 10, 'Byars' otherwise, None when missing."""
    o = np.asarray(x, dtype=np.float64)
    return [None if np.isnan(v) else ("Exact" if v < 10 else "Byars") for v in o]
