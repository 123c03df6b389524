"""Directly standardised rates with Dobson limits: PHEindicatormethods ``calculate_dsr`` (2.1.0).

Per stratum i (age band) of a group: events x_i (missing -> 0), population n_i, standard
population w_i.
  DSR = sum(x_i w_i / n_i) / sum(w_i) * multiplier
  var = sum(x_i (w_i / n_i)^2) / sum(w_i)^2          (unscaled: before the multiplier)
  limits = DSR + sqrt(var / O) * (Byar(O) - O) * multiplier,  O = sum(x_i)   (Dobson et al. 1991)
Groups with O < 10 keep total_count and total_pop but get null value and limits, and the
statistic "dsr NA for total count < 10", as PHE does.
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
    float_expr,
    group_keys,
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
from pipelines.stats.intervals import byars_lower, byars_upper

__all__ = ["dsr", "SUPPRESSED_STATISTIC"]

SUPPRESSED_STATISTIC = "dsr NA for total count < 10"
_STD = "__stdpop"


def _attach_stdpop(df: pl.DataFrame, stdpop: str | Sequence[float], keys: list[str]):
    """Standard population as a column: a named column, or a vector matched by row position
    within each group (PHE's stdpoptype = "vector")."""
    if isinstance(stdpop, str):
        require_columns(df, stdpop)
        return df.with_columns(pl.col(stdpop).cast(pl.Float64).alias(_STD))
    weights = np.asarray(stdpop, dtype=np.float64)
    position = pl.int_range(pl.len())
    sizes = aggregate(df, keys, [pl.len().alias("rows")]).get_column("rows")
    if (sizes != len(weights)).any():
        raise ValueError("stdpop length must equal number of rows in each group within data")
    index = df.select((position.over(keys) if keys else position).alias("i")).get_column("i")
    return df.with_columns(pl.Series(_STD, weights[index.to_numpy()]))


def dsr_components(
    df: pl.DataFrame,
    x: str,
    n: str,
    stdpop: str | Sequence[float],
    keys: list[str],
) -> pl.DataFrame:
    """Per group: total_count, total_pop, unscaled DSR (``rate``) and its unscaled ``variance``,
    with PHE's input validation. No suppression; shared with the DSR comparisons."""
    require_columns(df, x, n, *keys)
    data = _attach_stdpop(df, stdpop, keys)
    check_non_negative(as_float(data, x), "numerators must all be greater than or equal to zero")
    pops, weights = as_float(data, n), as_float(data, _STD)
    if np.isnan(pops).any():
        raise ValueError("field n cannot have missing values")
    check_positive(pops, "denominators must all be greater than zero")
    if np.isnan(weights).any():
        raise ValueError("field stdpop cannot have missing values")
    check_non_negative(weights, "stdpop must all be greater than or equal to zero")

    events = float_expr(x).fill_null(0.0)
    ratio = pl.col(_STD) / float_expr(n)
    out = aggregate(
        data,
        keys,
        [
            events.sum().alias("total_count"),
            float_expr(n).sum().alias("total_pop"),
            (events * ratio).sum().alias("__wsum"),
            (events * ratio**2).sum().alias("__sqsum"),
            pl.col(_STD).sum().alias("__w"),
        ],
    )
    total_w = as_float(out, "__w")
    return with_floats(
        out.drop("__wsum", "__sqsum", "__w"),
        {
            "rate": as_float(out, "__wsum") / total_w,
            "variance": as_float(out, "__sqsum") / total_w**2,
        },
    )


def dsr(
    df: pl.DataFrame,
    x: str,
    n: str,
    stdpop: str | Sequence[float],
    group_by: Sequence[str] | None = None,
    confidence: ConfidenceArg = 0.95,
    multiplier: float = 100_000,
) -> pl.DataFrame:
    """Directly standardised rate per group (None = whole frame) with Dobson confidence limits.

    ``stdpop`` is a column name, or a sequence of standard populations matched by row position
    within each group (the caller orders the strata). Returns the group columns, total_count,
    total_pop, value, limits, confidence, statistic, method and ``variance`` (unscaled variance of
    the DSR, not suppressed, for ratios and differences).
    """
    keys = group_keys(group_by)
    levels = normalise_confidence(confidence)
    parts = dsr_components(df, x, n, stdpop, keys)
    count, rate, var = (as_float(parts, c) for c in ("total_count", "rate", "variance"))
    shown = count >= 10
    columns: dict = {"value": np.where(shown, rate * multiplier, np.nan)}
    with np.errstate(divide="ignore", invalid="ignore"):
        spread = np.sqrt(var / count) * multiplier
        for level, (lo_name, hi_name) in zip(levels, ci_column_names(levels), strict=True):
            lower = rate * multiplier + spread * (byars_lower(count, level) - count)
            upper = rate * multiplier + spread * (byars_upper(count, level) - count)
            columns[lo_name] = np.where(shown, lower, np.nan)
            columns[hi_name] = np.where(shown, upper, np.nan)
    statistic = f"dsr per {format_number(multiplier)}"
    out = with_floats(parts.drop("rate", "variance"), columns)
    return out.with_columns(
        pl.lit(confidence_label(levels)).alias("confidence"),
        pl.Series("statistic", np.where(shown, statistic, SUPPRESSED_STATISTIC), dtype=pl.String),
        pl.lit("Dobson").alias("method"),
        parts.get_column("variance"),
    )
