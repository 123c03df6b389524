"""Proportions with Wilson score limits: PHEindicatormethods ``phe_proportion`` (2.1.0).

value = x / n * multiplier; limits are Wilson score limits * multiplier. The statistic label is
"percentage" when multiplier = 100, else "proportion of <multiplier>". No suppression.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
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
from pipelines.stats.intervals import wilson_lower, wilson_upper

__all__ = ["proportion"]


def proportion(
    df: pl.DataFrame,
    x: str,
    n: str,
    group_by: Sequence[str] | None = None,
    confidence: ConfidenceArg | None = 0.95,
    multiplier: float = 1,
) -> pl.DataFrame:
    """Proportion ``x / n`` with Wilson score confidence limits.

    Grouping works as in :func:`pipelines.stats.crude_rate` (``None`` = the whole frame). ``confidence=None`` returns no limits (PHE's ``confidence = NA``).
    x need not be an integer (weighted counts are allowed) but must satisfy 0 <= x <= n.
    """
    require_columns(df, x, n, *group_keys(group_by))
    xs_in, ns_in = as_float(df, x), as_float(df, n)
    check_non_negative(xs_in, "numerators must be greater than or equal to zero")
    check_positive(ns_in, "denominators must be greater than zero")
    if np.any(xs_in > ns_in):
        raise ValueError("numerators must be less than or equal to denominator for a proportion statistic")
    levels = None if confidence is None else normalise_confidence(confidence)

    out = aggregate(df, group_keys(group_by), [strict_sum(x), strict_sum(n)])
    xs, ns = as_float(out, x), as_float(out, n)
    columns: dict = {"value": xs / ns * multiplier}
    statistic = "percentage" if multiplier == 100 else f"proportion of {format_number(multiplier)}"
    if levels is None:
        return with_floats(out, columns).with_columns(pl.lit(statistic).alias("statistic"))
    for level, (lo_name, hi_name) in zip(levels, ci_column_names(levels), strict=True):
        columns[lo_name] = wilson_lower(xs, ns, level) * multiplier
        columns[hi_name] = wilson_upper(xs, ns, level) * multiplier
    return with_floats(out, columns).with_columns(
        pl.lit(confidence_label(levels)).alias("confidence"),
        pl.lit(statistic).alias("statistic"),
        pl.lit("Wilson").alias("method"),
    )
