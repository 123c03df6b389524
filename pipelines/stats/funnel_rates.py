"""Funnel limits and points for crude rates and DSRs: PHEindicatormethods 2.1.0
``calculate_funnel_limits(statistic = "rate")`` and ``calculate_funnel_points`` (pack-methods.md 1).

Each area's rate is turned into a denominator d = multiplier * x / rate ("equivalent population":
the population that would give the rate as a crude rate). For a DSR d is missing when x = 0; for a
crude rate with x = 0 the supplied denominator is used. The average is av = sum x / sum d.

The x axis is a grid of 100 event counts E between the rounded smallest and largest d (times av);
at each E and tail p (0.025 for the 95% "2s" limits, 0.001 for the 99.8% "3s" limits)
  lambda_hi = poisson_funnel(E, p, "high"),  lambda_lo = poisson_funnel(E, p, "low"),
  lower limit = E av / lambda_hi * multiplier,  upper limit = E av / lambda_lo * multiplier,
  plotted at populations lambda_hi / av / years and lambda_lo / av / years respectively
(each limit line has its own x column).
"""

from __future__ import annotations

import math

import numpy as np
import polars as pl

from pipelines.stats._frames import as_float, require_columns
from pipelines.stats.confidence import format_number
from pipelines.stats.funnels import _TAILS, poisson_funnels

__all__ = ["funnel_rate_denominators", "funnel_rate_limits", "funnel_rate_points", "funnel_axis"]

RATE_TYPES = ("dsr", "crude")
GRID_POINTS = 100


def _check_rate_type(rate_type: str) -> None:
    if rate_type not in RATE_TYPES:
        raise ValueError("rate_type must be 'dsr' or 'crude'")


def funnel_rate_denominators(
    df: pl.DataFrame,
    numerator: str,
    rate: str,
    rate_type: str,
    multiplier: float,
    denominator: str | None = None,
) -> np.ndarray:
    """PHE's derived denominator per row (NaN where PHE has NA), with PHE's input checks.

    d = multiplier * x / rate; for a DSR with x = 0, NaN; for a crude rate with x = 0, the
    ``denominator`` column.
    """
    _check_rate_type(rate_type)
    require_columns(df, numerator, rate, denominator)
    x, r = as_float(df, numerator), as_float(df, rate)
    if np.isnan(x).any():
        raise ValueError(f"column {numerator!r} has missing values; funnel numerators are required")
    given = as_float(df, denominator) if denominator else np.full(x.size, np.nan)
    if (np.isnan(r) & np.isnan(given)).any():
        raise ValueError(f"every row needs a {rate!r} value (or a denominator where the rate is missing)")
    if ((x == 0) & ~(given > 0)).any():
        raise ValueError("a row with 0 events needs a denominator greater than 0")
    with np.errstate(divide="ignore", invalid="ignore"):
        derived = multiplier * x / r
    if rate_type == "dsr":
        return np.where(x == 0, np.nan, derived)
    return np.where(x == 0, given, derived)


def _digits(value: float) -> int:
    """Number of digits of a whole number, as R's nchar(v) for the values used here."""
    return len(str(int(value)))


def _signif_floor(value: float) -> float:
    if value == 0:
        return 0.0
    scale = 10.0 ** (_digits(math.floor(0.95 * value)) - 1)
    return math.floor(0.95 * value / scale) * scale


def _signif_ceiling(value: float) -> float:
    if value == 0:
        return 0.0
    scale = 10.0 ** (_digits(math.ceil(1.05 * value)) - 2)
    return math.ceil(1.05 * value / scale) * scale


def funnel_axis(first: float, last: float, offset: int = 0, points: int = GRID_POINTS) -> list[int]:
    """PHE's geometric grid: E_1 = max(1, first), then
    E_j = max(round((last / E_{j-1})^(1 / (101 - j + offset)) * E_{j-1}), E_{j-1} + 1)
    (offset 0 for proportions and rates, 1 for ratios); R's round is half-to-even, as Python's."""
    grid = [max(1, int(first))]
    for j in range(2, points + 1):
        prev = grid[-1]
        step = (last / prev) ** (1 / (points + 1 - j + offset)) * prev
        grid.append(max(round(step), prev + 1))
    return grid


def _rate_axis(derived: np.ndarray, average: float, years: float) -> list[int]:
    valid = derived[~np.isnan(derived)]
    low, high = float(valid.min()), float(valid.max())
    amin = 0.0 if high > 2 * low else years * _signif_floor(low / years)
    amax = years * _signif_ceiling(high / years)
    return funnel_axis(math.floor(amin * average), math.ceil(amax * average))


def funnel_rate_limits(
    df: pl.DataFrame,
    numerator: str,
    rate: str,
    rate_type: str,
    multiplier: float = 100_000,
    years_of_data: float = 1,
    denominator: str | None = None,
) -> pl.DataFrame:
    """Funnel control limits for rates (``rate_type`` "dsr" or "crude") around the areas' average.

    Returns 100 rows: events (the grid), and for band in (2s, 3s) lower_<band>_population_1_year,
    lower_<band>_limit, upper_<band>_population_1_year, upper_<band>_limit; then baseline
    (average x multiplier), statistic ("rate (dsr per 100,000)") and method ("Poisson").
    """
    derived = funnel_rate_denominators(df, numerator, rate, rate_type, multiplier, denominator)
    average = float(as_float(df, numerator).sum() / np.nansum(derived))
    events = np.asarray(_rate_axis(derived, average, years_of_data), dtype=np.float64)
    columns: dict = {"events": events.astype(np.int64)}
    for band, tail in _TAILS.items():
        high = poisson_funnels(events, tail, "high")
        low = poisson_funnels(events, tail, "low")
        columns[f"lower_{band}_population_1_year"] = high / average / years_of_data
        columns[f"lower_{band}_limit"] = events * average / high * multiplier
        columns[f"upper_{band}_population_1_year"] = low / average / years_of_data
        columns[f"upper_{band}_limit"] = events * average / low * multiplier
    size = events.size
    columns["baseline"] = np.full(size, average * multiplier)
    label = (
        f"rate ({rate_type} per {int(multiplier):,})"
        if float(multiplier).is_integer()
        else (f"rate ({rate_type} per {format_number(multiplier)})")
    )
    columns["statistic"] = [label] * size
    columns["method"] = ["Poisson"] * size
    return pl.DataFrame(columns)


def funnel_rate_points(
    df: pl.DataFrame,
    numerator: str,
    rate: str,
    rate_type: str,
    multiplier: float = 100_000,
    years_of_data: float = 1,
    denominator: str | None = None,
) -> pl.DataFrame:
    """Each area's point on the funnel (PHE ``calculate_funnel_points``): adds ``<rate>_chart`` and
    ``denominator_derived`` (per-year equivalent population, the x coordinate). A DSR with fewer than
    10 events is not plotted (both null), as PHE does."""
    derived = funnel_rate_denominators(df, numerator, rate, rate_type, multiplier, denominator)
    x, r = as_float(df, numerator), as_float(df, rate)
    per_year = derived / years_of_data
    if rate_type == "dsr":
        small = x < 10
        r, per_year = np.where(small, np.nan, r), np.where(small, np.nan, per_year)
    return df.with_columns(
        pl.Series(f"{rate}_chart", r).fill_nan(None),
        pl.Series("denominator_derived", per_year).fill_nan(None),
    )
