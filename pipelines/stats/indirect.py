"""Indirect standardisation: PHEindicatormethods ``calculate_ISRatio`` and ``calculate_ISRate``.

Per group, expected E = sum_i (x_ref_i / n_ref_i) * n_i with missing x_ref_i and n_i taken as 0;
observed O = sum_i x_i (missing ignored). Limits on O are exact below 10 and Byar's from 10
(as for crude rates), then scaled like the value:
  ISRatio: value = O / E * refvalue
  ISRate:  ref_rate = sum x_ref / sum n_ref * multiplier (per group), value = O / E * ref_rate
Reference values come from columns or are joined by age band (never by row position).
PHE's ``observed_totals`` option (observed counts supplied separately) is not implemented.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import polars as pl

from pipelines.stats._frames import (
    aggregate,
    as_float,
    check_non_negative,
    float_expr,
    group_keys,
    keyed_column,
    require_columns,
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

__all__ = ["isratio", "israte"]

Reference = str | Mapping


def _observed_expected(df, x, n, x_ref, n_ref, keys, ageband) -> pl.DataFrame:
    require_columns(df, x, n, *keys)
    check_non_negative(as_float(df, x), "numerators must all be greater than or equal to zero")
    check_non_negative(as_float(df, n), "denominators must all be greater than or equal to zero")
    data = keyed_column(df, x_ref, ageband, "__xref", "x_ref")
    data = keyed_column(data, n_ref, ageband, "__nref", "n_ref")
    expected = (
        pl.col("__xref").fill_nan(None).fill_null(0.0) / pl.col("__nref") * float_expr(n).fill_null(0.0)
    )
    return aggregate(
        data,
        keys,
        [
            float_expr(x).sum().alias("observed"),
            expected.sum().alias("expected"),
            pl.col("__xref").fill_nan(None).sum().alias("__xref_sum"),
            pl.col("__nref").fill_nan(None).sum().alias("__nref_sum"),
        ],
    )


def _with_limits(out: pl.DataFrame, scale, levels) -> pl.DataFrame:
    observed, expected = as_float(out, "observed"), as_float(out, "expected")
    # E = 0 gives infinite ratios, as in R.
    with np.errstate(divide="ignore", invalid="ignore"):
        columns: dict = {"value": observed / expected * scale}
        for level, (lo_name, hi_name) in zip(levels, ci_column_names(levels), strict=True):
            lower, upper = poisson_count_limits(observed, level)
            columns[lo_name] = lower / expected * scale
            columns[hi_name] = upper / expected * scale
    return with_floats(out, columns).with_columns(pl.lit(confidence_label(levels)).alias("confidence"))


def isratio(
    df: pl.DataFrame,
    x: str,
    n: str,
    x_ref: Reference,
    n_ref: Reference,
    group_by: Sequence[str] | None = None,
    refvalue: float = 1,
    confidence: ConfidenceArg = 0.95,
    ageband: str | None = None,
) -> pl.DataFrame:
    """Indirectly standardised ratio (e.g. SMR) per group (None = whole frame), x ``refvalue``.

    ``x_ref`` and ``n_ref`` are column names, or mappings {age band: value} joined on the
    ``ageband`` column (never matched by row position)."""
    keys = group_keys(group_by)
    levels = normalise_confidence(confidence)
    out = _observed_expected(df, x, n, x_ref, n_ref, keys, ageband).drop("__xref_sum", "__nref_sum")
    out = _with_limits(out, refvalue, levels)
    return out.with_columns(
        pl.lit(f"indirectly standardised ratio x {format_number(refvalue)}").alias("statistic"),
        pl.Series("method", poisson_method(as_float(out, "observed")), dtype=pl.String),
    )


def israte(
    df: pl.DataFrame,
    x: str,
    n: str,
    x_ref: Reference,
    n_ref: Reference,
    group_by: Sequence[str] | None = None,
    confidence: ConfidenceArg = 0.95,
    multiplier: float = 100_000,
    ageband: str | None = None,
) -> pl.DataFrame:
    """Indirectly standardised rate per group (None = whole frame): O / E times the reference rate
    per ``multiplier``. References as for :func:`isratio`."""
    keys = group_keys(group_by)
    levels = normalise_confidence(confidence)
    out = _observed_expected(df, x, n, x_ref, n_ref, keys, ageband)
    ref_rate = as_float(out, "__xref_sum") / as_float(out, "__nref_sum") * multiplier
    out = with_floats(out.drop("__xref_sum", "__nref_sum"), {"ref_rate": ref_rate})
    out = _with_limits(out, ref_rate, levels)
    return out.with_columns(
        pl.lit(f"indirectly standardised rate per {format_number(multiplier)}").alias("statistic"),
        pl.Series("method", poisson_method(as_float(out, "observed")), dtype=pl.String),
    )
