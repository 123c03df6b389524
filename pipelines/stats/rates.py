"""Crude rates with confidence limits: PHEindicatormethods ``phe_rate`` (R/Rates.R, 2.1.0).

value = x / n * multiplier; limits use exact Poisson limits when x < 10 and Byar's method from 10
events, then / n * multiplier. No small-number suppression.
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from pipelines.stats._frames import (
    aggregate,
    as_float,
    check_non_negative,
    check_positive,
    group_keys,
    require_columns,
    strict_sum,
    with_floats,
)
from pipelines.stats.confidence import (
    ConfidenceArg,
    ci_column_names,
    confidence_label,
    format_number,
    normalise_confidence,
)
from pipelines.stats.intervals import poisson_count_limits, poisson_method

__all__ = ["crude_rate"]


def crude_rate(
    df: pl.DataFrame,
    x: str,
    n: str,
    group_by: Sequence[str] | None = None,
    confidence: ConfidenceArg = 0.95,
    multiplier: float = 100_000,
) -> pl.DataFrame:
    """Rate of events ``x`` per ``n`` with exact (< 10 events) or Byar's confidence limits.

    ``x`` and ``n`` are summed per group (``group_by=None`` or ``[]``: the whole frame, one row;
    for one result per row, group by the columns that identify a row). A missing value anywhere in
    a group makes that group's sums missing (R's ``sum`` without ``na.rm``).
    """
    require_columns(df, x, n, *group_keys(group_by))
    check_non_negative(as_float(df, x), "numerators must be greater than or equal to zero")
    check_positive(as_float(df, n), "denominators must be greater than zero")
    levels = normalise_confidence(confidence)

    out = aggregate(df, group_keys(group_by), [strict_sum(x), strict_sum(n)])
    xs, ns = as_float(out, x), as_float(out, n)
    columns: dict = {"value": xs / ns * multiplier}
    for level, (lo_name, hi_name) in zip(levels, ci_column_names(levels), strict=True):
        lower, upper = poisson_count_limits(xs, level)
        columns[lo_name] = lower / ns * multiplier
        columns[hi_name] = upper / ns * multiplier
    out = with_floats(out, columns)
    return out.with_columns(
        pl.lit(confidence_label(levels)).alias("confidence"),
        pl.lit(f"rate per {format_number(multiplier)}").alias("statistic"),
        pl.Series("method", poisson_method(xs), dtype=pl.String),
    )
