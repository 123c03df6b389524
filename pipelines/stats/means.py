"""Means with Student's t limits (PHEindicatormethods ``phe_mean``) and survey-weighted means.

``mean``: value = sum(x) / count, sd with the n - 1 divisor, limits
value -/+ |t^-1((1 - c)/2; count - 1)| * sd / sqrt(count). As in PHE, count is the number of rows
and a missing value makes the group's sum, sd and limits missing.

``weighted_mean`` has no PHE counterpart (see docs/statistics.md): value = sum(w x) / sum(w),
Kish effective sample size n_eff = (sum w)^2 / sum(w^2), weighted variance
s_w^2 = sum w (x - value)^2 / (sum w - sum(w^2) / sum w), limits
value -/+ t^-1(1 - (1 - c)/2; n_eff - 1) * s_w / sqrt(n_eff). With equal weights this reduces
exactly to ``mean``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import polars as pl
from scipy.stats import t as student_t

from pipelines.stats._frames import (
    aggregate,
    as_float,
    float_expr,
    group_keys,
    require_columns,
    with_floats,
)
from pipelines.stats.confidence import (
    ConfidenceArg,
    ci_column_names,
    confidence_label,
    normalise_confidence,
)

__all__ = ["mean", "weighted_mean"]


def _t_limits(value, sd, count, levels) -> dict:
    columns = {}
    with np.errstate(divide="ignore", invalid="ignore"):
        for level, (lo_name, hi_name) in zip(levels, ci_column_names(levels), strict=True):
            half = np.abs(student_t.ppf((1 - level) / 2, count - 1)) * sd / np.sqrt(count)
            columns[lo_name] = value - half
            columns[hi_name] = value + half
    return columns


def mean(
    df: pl.DataFrame,
    x: str,
    group_by: Sequence[str] | None = None,
    confidence: ConfidenceArg = 0.95,
) -> pl.DataFrame:
    """Mean of ``x`` per group (None = whole frame) with a t-distribution confidence interval."""
    keys = group_keys(group_by)
    require_columns(df, x, *keys)
    levels = normalise_confidence(confidence)
    col = float_expr(x)
    has_null = col.null_count() > 0
    out = aggregate(
        df,
        keys,
        [
            pl.when(has_null).then(None).otherwise(col.sum()).alias("value_sum"),
            pl.len().alias("value_count"),
            pl.when(has_null).then(None).otherwise(col.std(ddof=1)).alias("stdev"),
        ],
    )
    total, count, sd = as_float(out, "value_sum"), as_float(out, "value_count"), as_float(out, "stdev")
    value = total / count
    return with_floats(out, {"value": value, **_t_limits(value, sd, count, levels)}).with_columns(
        pl.lit(confidence_label(levels)).alias("confidence"),
        pl.lit("mean").alias("statistic"),
        pl.lit("Student's t-distribution").alias("method"),
    )


def weighted_mean(
    df: pl.DataFrame,
    x: str,
    w: str,
    group_by: Sequence[str] | None = None,
    confidence: ConfidenceArg = 0.95,
) -> pl.DataFrame:
    """Weighted mean of ``x`` with weights ``w`` (e.g. survey scores), t limits on Kish n_eff.

    Rows where x or w is missing are left out (a non-answer carries no score). Weights must be
    >= 0 and sum to more than 0 within each group.
    """
    keys = group_keys(group_by)
    require_columns(df, x, w, *keys)
    levels = normalise_confidence(confidence)
    data = df.with_columns(float_expr(x).alias("__x"), float_expr(w).alias("__w")).filter(
        pl.col("__x").is_not_null() & pl.col("__w").is_not_null()
    )
    if (data.get_column("__w") < 0).any():
        raise ValueError("weights must be greater than or equal to zero")
    wx = pl.col("__w") * pl.col("__x")
    group_mean = wx.sum() / pl.col("__w").sum()
    # Two passes (mean first, then squared deviations) avoid cancellation in the variance.
    data = data.with_columns((group_mean.over(keys) if keys else group_mean).alias("__m"))
    deviation = pl.col("__w") * (pl.col("__x") - pl.col("__m")) ** 2
    out = aggregate(
        data,
        keys,
        [
            pl.len().alias("n"),
            pl.col("__w").sum().alias("weight_sum"),
            (pl.col("__w") ** 2).sum().alias("__w2"),
            wx.sum().alias("__wx"),
            deviation.sum().alias("__ss"),
        ],
    )
    sw, sw2 = as_float(out, "weight_sum"), as_float(out, "__w2")
    if np.any(sw <= 0):
        raise ValueError("weights must sum to more than zero in every group")
    value = as_float(out, "__wx") / sw
    with np.errstate(divide="ignore", invalid="ignore"):
        sd = np.sqrt(as_float(out, "__ss") / (sw - sw2 / sw))
    n_eff = sw**2 / sw2
    out = out.drop("__w2", "__wx", "__ss")
    return with_floats(
        out, {"n_eff": n_eff, "stdev": sd, "value": value, **_t_limits(value, sd, n_eff, levels)}
    ).with_columns(
        pl.lit(confidence_label(levels)).alias("confidence"),
        pl.lit("weighted mean").alias("statistic"),
        pl.lit("Student's t-distribution, Kish effective sample size").alias("method"),
    )
