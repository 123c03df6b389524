"""Funnel plot control limits as PHEindicatormethods 2.1.0 (R/Funnels.R, R/utils.R), §10a.

Two limit pairs: "2s" = 95% (tail p = 0.025) and "3s" = 99.8% (p = 0.001).

* Proportions: with the overall average av = sum x / sum n and q = z^2 for the level, the limits at
  denominator N are the proportions whose Wilson interval just reaches av:
    A = av (N/q + 1), B = 1/q + 1/N,
    D = sqrt((-8 av (N/q + 1))^2 - 64 (1/q + 1/N) av (N (av (N/q + 2) - 1) + q (av - 1))),
    low = (A - D/8) / B / N, high = (A + D/8) / B / N, times the multiplier,
  then clipped to [0, 100] whatever the multiplier (as PHE does).
* Ratios: for O observed events, the expected counts at the limits are found by PHE's bisection
  on v in (0, 1) with lambda = (1 + O) v / (1 - v), halving the step from 0.5 until it is <= 1e-7:
  "high" side moves down while P(K <= O) < p, "low" side moves down while P(K >= O) > p.
  lower ratio = O / lambda_high, upper ratio = O / lambda_low.
  The tail probabilities are PHE's own series sum (``poisson_cis``), not SciPy's exact tails: the
  bisection's near-tie decisions depend on it (pack-methods.md 1.4; at O = 328 SciPy moves a 99.8%
  limit by ~3e-6 relative).
  ``poisson_funnels`` runs the bisections of many counts at once and gives the same floats: a
  step is decided by SciPy's tail where that is farther from p than the two sums can differ
  (``_near_tie``), and by PHE's series sum otherwise, which is where PHE's branch matters.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import polars as pl
from scipy.stats import norm, poisson

__all__ = ["funnel_proportion_limits", "funnel_ratio_limits", "poisson_cis", "poisson_funnel", "poisson_funnels"]

_TAILS = {"2s": 0.025, "3s": 0.001}


def _wilson_inverse(av: float, denominator: np.ndarray, tail: float) -> tuple[np.ndarray, np.ndarray]:
    q = norm.ppf(tail) ** 2
    big_n = denominator
    a = av * (big_n / q + 1)
    b = 1 / q + 1 / big_n
    d = np.sqrt(
        (-8 * av * (big_n / q + 1)) ** 2
        - 64 * (1 / q + 1 / big_n) * av * (big_n * (av * (big_n / q + 2) - 1) + q * (av - 1))
    )
    return (a - d / 8) / b / big_n, (a + d / 8) / b / big_n


def funnel_proportion_limits(
    average: float, denominators: Sequence[float], multiplier: float = 100
) -> pl.DataFrame:
    """Proportion funnel limits at each denominator around ``average`` (a proportion, 0-1).

    Returns population, lower_2s_limit, upper_2s_limit, lower_3s_limit, upper_3s_limit and
    baseline (average x multiplier).
    """
    if not 0 <= average <= 1:
        raise ValueError("average must be a proportion between 0 and 1")
    n = np.asarray(denominators, dtype=np.float64)
    columns: dict = {"population": n}
    for name, tail in _TAILS.items():
        low, high = _wilson_inverse(average, n, tail)
        columns[f"lower_{name}_limit"] = np.maximum(0.0, low * multiplier)
        columns[f"upper_{name}_limit"] = np.minimum(100.0, high * multiplier)
    columns["baseline"] = np.full(n.size, average * multiplier)
    return pl.DataFrame(columns)


def poisson_cis(z: float, a: float, b: float) -> float:
    """P(a <= K <= b) for K ~ Poisson(z), summed as PHE's ``poisson_cis`` (utils.R) does.

    Unnormalised terms q_k = z^k / k! are added while k <= z or the term is still above 1e-10 of
    the running total (tested before adding it); the sums are rescaled by 1e30 when the total
    passes 1e30, and the result is normalised by the accumulated total, not by e^z. Kept
    operation for operation, so that the funnel bisection takes PHE's branch at near-ties.
    """
    q, total, inside, k = 1.0, 0.0, 0.0, 0
    while k <= z or q > total * 1e-10:
        total += q
        if a <= k <= b:
            inside += q
        if total > 1e30:
            inside /= 1e30
            total /= 1e30
            q /= 1e30
        k += 1
        q = q * z / k
    return inside / total


def _moves_down(observed: int, mu: float, p: float, side: str) -> bool:
    if side == "low":
        return poisson_cis(mu, observed, 1e10) > p  # P(K >= O)
    return poisson_cis(mu, 0, observed) < p  # P(K <= O)


def poisson_funnel(observed: int, p: float, side: str) -> float:
    """PHE's bisection for the Poisson mean at a funnel limit (see module docstring)."""
    if side not in ("low", "high"):
        raise ValueError("side must be 'low' or 'high'")
    v, dv = 0.5, 0.5
    while dv > 1e-7:
        dv /= 2
        mu = (1 + observed) * v / (1 - v)
        v = v - dv if _moves_down(observed, mu, p, side) else v + dv
    return (1 + observed) * v / (1 - v)


def _near_tie(mu: np.ndarray) -> np.ndarray:
    """How close SciPy's tail may come to p before PHE's series sum must decide the step.

    PHE's sum stops at terms below 1e-10 of its running total and rounds over about mu terms; it
    differs from the exact tail (SciPy's, accurate to ~1e-14) by at most 3e-9 for mu up to 30,000
    (largest difference over O within 3 SD of mu, 0.5 <= mu <= 30,000), growing like sqrt(mu).
    This margin is about 600 times that: a step outside it goes the same way whichever sum is
    used. Inside it, about the last three of the 23 steps, the series sum is computed."""
    return 1e-8 * (10 + np.sqrt(mu))


def poisson_funnels(observed: Sequence[int], p: float, side: str) -> np.ndarray:
    """``poisson_funnel`` for every count in ``observed``, run side by side: the same floats.

    Every bisection halves the same steps (dv is the same sequence for every count), so the
    counts move together; SciPy's vectorised tail decides each step unless it is within
    ``_near_tie`` of p, where PHE's series sum (``_moves_down``) decides, as in ``poisson_funnel``.
    """
    if side not in ("low", "high"):
        raise ValueError("side must be 'low' or 'high'")
    counts = [int(o) for o in observed]
    o = np.asarray(counts, dtype=np.float64)
    v, dv = np.full(o.shape, 0.5), 0.5
    while dv > 1e-7:
        dv /= 2
        mu = (1 + o) * v / (1 - v)
        tail = poisson.sf(o - 1, mu) if side == "low" else poisson.cdf(o, mu)  # P(K >= O), P(K <= O)
        down = tail > p if side == "low" else tail < p
        for i in np.flatnonzero(np.abs(tail - p) <= _near_tie(mu)):
            down[i] = _moves_down(counts[i], float(mu[i]), p, side)
        v = np.where(down, v - dv, v + dv)
    return (1 + o) * v / (1 - v)


def funnel_ratio_limits(observed: Sequence[int]) -> pl.DataFrame:
    """Ratio funnel limits per observed count: expected events at each limit and the ratio
    (observed / expected). PHE's "count" type is ratio - 1 and "isr" is ratio x 100."""
    obs = [int(o) for o in observed]
    if any(o < 1 for o in obs):
        raise ValueError("observed counts must be at least 1")
    columns: dict = {"observed": obs}
    for name, tail in _TAILS.items():
        high = poisson_funnels(obs, tail, "high")
        low = poisson_funnels(obs, tail, "low")
        columns[f"lower_{name}_exp_events"] = high
        columns[f"lower_{name}_ratio"] = np.asarray(obs) / high
        columns[f"upper_{name}_exp_events"] = low
        columns[f"upper_{name}_ratio"] = np.asarray(obs) / low
    return pl.DataFrame(columns)
