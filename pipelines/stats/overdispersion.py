"""Overdispersed funnels (Spiegelhalter 2005) as FunnelPlotR 0.6.0 computes them
(statistical-methods.md 10b). PHEindicatormethods has no overdispersion adjustment.

Each area gets a z-score on a variance-stabilised scale:
* ratios O/E (SHMI method, FunnelPlotR's default): Y = ln(O/E), target 0, s = 1/sqrt(E),
  z = sqrt(E) ln(O/E);
* proportions x/n: Y = asin(sqrt(x/n)), target asin(sqrt(sum x / sum n)), s = 1/(2 sqrt(n)),
  z = (Y - target)/s.
Extreme z-scores are set aside before estimating the dispersion: "truncate" (SHMI/NHS Digital:
rank the z-scores, ties averaged, group floor(rank * 10/(n+1)) and drop groups 0 and 9, i.e. 10%
at each end) or "winsorise" (clamp at the 10% and 90% quantiles, R type 7). With the retained
n scores, phi = sum z^2 / n and
  tau^2 = max(0, (n phi - (n - 1)) / (sum w - sum w^2 / sum w)), w = 1/s^2 (retained areas),
and tau^2 = 0 when n phi < n - 1. Adjusted limits at denominator E (or n) are
target -/+ z_p sqrt(s^2 + tau^2) on the transformed scale, back-transformed (exp for ratios,
sin^2 for proportions); FunnelPlotR draws them only when phi > 1.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import polars as pl
from scipy.stats import rankdata

from pipelines.stats._frames import as_float, require_columns
from pipelines.stats.confidence import z_for

__all__ = ["overdispersion", "overdispersed_limits"]

_STATISTICS = ("ratio", "proportion")


def _transform(x: np.ndarray, d: np.ndarray, statistic: str) -> tuple[np.ndarray, np.ndarray, float]:
    if statistic == "ratio":
        return np.log(x / d), 1 / np.sqrt(d), 0.0
    target = float(np.arcsin(np.sqrt(x.sum() / d.sum())))
    return np.arcsin(np.sqrt(x / d)), 1 / (2 * np.sqrt(d)), target


def _retained(z: np.ndarray, method: str, trim_by: float) -> tuple[np.ndarray, np.ndarray]:
    """(z-scores used for phi, mask of the areas they come from)."""
    if method == "truncate":
        groups = 1 / trim_by
        bucket = np.floor(rankdata(z, method="average") * groups / (z.size + 1))
        keep = (bucket > 0) & (bucket < groups - 1)
        return z[keep], keep
    if method == "winsorise":
        low, high = np.quantile(z, [trim_by, 1 - trim_by])
        return np.clip(z, low, high), np.ones(z.size, dtype=bool)
    raise ValueError("method must be 'truncate' or 'winsorise'")


def overdispersion(
    df: pl.DataFrame,
    numerator: str,
    denominator: str,
    statistic: str = "ratio",
    method: str = "truncate",
    trim_by: float = 0.1,
) -> pl.DataFrame:
    """The input with ``z_score`` (unadjusted), ``z_adjusted`` = (Y - target)/sqrt(s^2 + tau^2),
    ``retained`` (whether the row's z-score entered phi: False for truncated rows, always True
    when winsorising) and the funnel's ``phi``, ``tau2`` and ``target`` (transformed scale) on
    every row.

    ``statistic`` "ratio": numerator observed, denominator expected (an indirectly standardised
    ratio; for a DSR use its events against av x derived denominator). "proportion": x of n.
    """
    if statistic not in _STATISTICS:
        raise ValueError("statistic must be 'ratio' or 'proportion'")
    require_columns(df, numerator, denominator)
    x, d = as_float(df, numerator), as_float(df, denominator)
    if np.isnan(x).any() or np.isnan(d).any() or (d <= 0).any() or (x < 0).any():
        raise ValueError("numerators must be >= 0 and denominators > 0, with no missing values")
    if statistic == "ratio" and (x == 0).any():
        raise ValueError("a ratio of 0 observed events has no log z-score (SHMI method)")
    if statistic == "proportion" and (x > d).any():
        raise ValueError("proportions need numerator <= denominator")
    y, s, target = _transform(x, d, statistic)
    z = (y - target) / s
    kept_z, keep = _retained(z, method, trim_by)
    n = kept_z.size
    phi = float(np.sum(kept_z**2) / n)
    w = 1 / s[keep] ** 2
    tau2 = 0.0 if n * phi < n - 1 else max(0.0, (n * phi - (n - 1)) / (w.sum() - (w**2).sum() / w.sum()))
    return df.with_columns(
        pl.Series("z_score", z),
        pl.Series("z_adjusted", (y - target) / np.sqrt(s**2 + tau2)),
        pl.Series("retained", keep),
        pl.lit(phi).alias("phi"),
        pl.lit(tau2).alias("tau2"),
        pl.lit(target).alias("target"),
    )


def overdispersed_limits(
    denominators: Sequence[float],
    tau2: float,
    statistic: str = "ratio",
    target: float = 0.0,
    multiplier: float = 1,
) -> pl.DataFrame:
    """Adjusted funnel limits at each denominator: 95% ("2s") and 99.8% ("3s"), back-transformed
    (ratios around 1, proportions around sin^2(target)) and times ``multiplier``."""
    if statistic not in _STATISTICS:
        raise ValueError("statistic must be 'ratio' or 'proportion'")
    d = np.asarray(denominators, dtype=np.float64)
    s2 = 1 / d if statistic == "ratio" else 1 / (4 * d)
    columns: dict = {"denominator": d}
    for band, level in (("2s", 0.95), ("3s", 0.998)):
        half = z_for(level) * np.sqrt(s2 + tau2)
        for side, sign in (("lower", -1), ("upper", 1)):
            edge = target + sign * half
            # Proportions: sin^2 back-transform, clamped to the arcsine's range [0, pi/2].
            value = np.exp(edge) if statistic == "ratio" else np.sin(np.clip(edge, 0, np.pi / 2)) ** 2
            columns[f"{side}_{band}_limit"] = value * multiplier
    return pl.DataFrame(columns)
