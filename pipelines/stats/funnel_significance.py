"""Significance of each area against the funnel, with PHE's labels: PHEindicatormethods 2.1.0
``assign_funnel_significance`` (statistical-methods.md 10a, pack-methods.md 1.5).

* Proportions: p = x/n against the funnel limits at n around av = sum x / sum n (99.8% first):
  p < lower 3s -> "Low (0.001)", p < lower 2s -> "Low (0.025)", p > upper 3s -> "High (0.001)",
  p > upper 2s -> "High (0.025)", else "Not significant".
* Ratios (x observed, n expected) and rates: the area's own Poisson interval for O = x (exact below
  10 events, Byar's from 10; O = 0 gives a lower limit 0), divided by E. For ratios E = n and the
  benchmark is 1; for rates E is the derived denominator (multiplier x / rate, see funnel_rates) and
  the benchmark is the weighted average wa = sum x / sum E. Benchmark < lower 99.8% -> "High
  (0.001)", < lower 95% -> "High (0.025)", > upper 99.8% -> "Low (0.001)", > upper 95% -> "Low
  (0.025)", else "Not significant". A DSR row with fewer than 10 events is then labelled
  "Not applicable for events less than 10 for dsrs". So a DSR is tested with the Poisson interval of
  its count scaled by DSR / O, not with its Dobson limits, as PHE does.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from pipelines.stats._frames import as_float, require_columns
from pipelines.stats.funnel_rates import funnel_rate_denominators
from pipelines.stats.funnels import _wilson_inverse
from pipelines.stats.intervals import poisson_count_limits

__all__ = ["funnel_significance", "SIGNIFICANCE_LABELS"]

HIGH_3S, HIGH_2S, LOW_3S, LOW_2S = "High (0.001)", "High (0.025)", "Low (0.001)", "Low (0.025)"
NOT_SIGNIFICANT = "Not significant"
DSR_TOO_FEW = "Not applicable for events less than 10 for dsrs"
# PHE's factor levels, in order.
SIGNIFICANCE_LABELS = (HIGH_3S, HIGH_2S, LOW_3S, LOW_2S, NOT_SIGNIFICANT, DSR_TOO_FEW)


def _first_match(conditions: list[tuple[np.ndarray, str]], size: int) -> np.ndarray:
    """Label of the first true condition per row (NaN comparisons are false), else not significant."""
    labels = np.full(size, NOT_SIGNIFICANT, dtype=object)
    decided = np.zeros(size, dtype=bool)
    for condition, label in conditions:
        hit = condition & ~decided
        labels[hit] = label
        decided |= hit
    return labels


def _poisson_labels(observed: np.ndarray, exposure: np.ndarray, benchmark: float) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        low3, high3 = (limit / exposure for limit in poisson_count_limits(observed, 0.998))
        low2, high2 = (limit / exposure for limit in poisson_count_limits(observed, 0.95))
    return _first_match(
        [
            (benchmark < low3, HIGH_3S),
            (benchmark < low2, HIGH_2S),
            (benchmark > high3, LOW_3S),
            (benchmark > high2, LOW_2S),
        ],
        observed.size,
    )


def _proportion_labels(x: np.ndarray, n: np.ndarray) -> np.ndarray:
    if np.any((x < 0) | (n <= 0) | (x > n)):
        raise ValueError("proportions need 0 <= numerator <= denominator and denominator > 0")
    average = float(x.sum() / n.sum())
    p = x / n
    low3, high3 = _wilson_inverse(average, n, 0.001)
    low2, high2 = _wilson_inverse(average, n, 0.025)
    return _first_match(
        [(p < low3, LOW_3S), (p < low2, LOW_2S), (p > high3, HIGH_3S), (p > high2, HIGH_2S)], x.size
    )


def funnel_significance(
    df: pl.DataFrame,
    numerator: str,
    denominator: str | None,
    statistic: str,
    rate: str | None = None,
    rate_type: str | None = None,
    multiplier: float = 100_000,
) -> pl.DataFrame:
    """The input with a ``significance`` column holding PHE's label for each area.

    ``statistic`` is "proportion" (denominator = sample size), "ratio" (denominator = expected
    events) or "rate" (needs ``rate`` and ``rate_type`` "dsr" or "crude"; ``denominator`` is only
    used for a crude rate with 0 events). All rows form one funnel (filter or split the frame for
    several).
    """
    if statistic == "proportion":
        require_columns(df, numerator, denominator)
        labels = _proportion_labels(as_float(df, numerator), as_float(df, denominator))
    elif statistic == "ratio":
        require_columns(df, numerator, denominator)
        labels = _poisson_labels(as_float(df, numerator), as_float(df, denominator), 1.0)
    elif statistic == "rate":
        if rate is None or rate_type is None:
            raise ValueError("statistic 'rate' needs rate and rate_type")
        derived = funnel_rate_denominators(df, numerator, rate, rate_type, multiplier, denominator)
        observed = as_float(df, numerator)
        average = float(observed[~np.isnan(derived)].sum() / np.nansum(derived))
        labels = _poisson_labels(observed, derived, average)
        if rate_type == "dsr":
            labels[observed < 10] = DSR_TOO_FEW
    else:
        raise ValueError("statistic must be 'proportion', 'ratio' or 'rate'")
    return df.with_columns(pl.Series("significance", labels.tolist(), dtype=pl.String))
