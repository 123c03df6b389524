"""Directly standardised rates with Dobson limits: PHEindicatormethods ``calculate_dsr`` (2.1.0).

Per stratum i (age band) of a group: events x_i (missing -> 0), population n_i, standard
population w_i.
  DSR = sum(x_i w_i / n_i) / sum(w_i) * multiplier
  var = sum(x_i (w_i / n_i)^2) / sum(w_i)^2          (unscaled: before the multiplier)
  limits = DSR + sqrt(var / O) * (Byar(O) - O) * multiplier,  O = sum(x_i)   (Dobson et al. 1991)
Groups with O < 10 keep total_count and total_pop but get null value and limits, and the
statistic "dsr NA for total count < 10", as PHE does.

Non-independent events (PHE ``independent_events = FALSE``): rows are (group, age band, event
frequency f) with x = the number of people with exactly f events. Per (group, f)
  var_f = sum_i x_if (w_i / n_i)^2 / (sum_i w_i)^2   (sum over the bands present at that f),
  custom var = sum_f f^2 var_f;
events per band X_i = sum_f f x_if give the DSR and O as above, and the Dobson limits use the custom
variance ("Dobson, with confidence adjusted for non-independent events").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import polars as pl

from pipelines.stats._frames import (
    aggregate,
    as_float,
    check_non_negative,
    check_positive,
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
from pipelines.stats.intervals import byars_lower, byars_upper

__all__ = ["dsr", "SUPPRESSED_STATISTIC", "NON_INDEPENDENT_METHOD"]

SUPPRESSED_STATISTIC = "dsr NA for total count < 10"
NON_INDEPENDENT_METHOD = "Dobson, with confidence adjusted for non-independent events"
_STD = "__stdpop"
StandardPopulation = str | Mapping


def dsr_components(
    df: pl.DataFrame,
    x: str,
    n: str,
    stdpop: StandardPopulation,
    keys: list[str],
    ageband: str | None = None,
) -> pl.DataFrame:
    """Per group: total_count, total_pop, unscaled DSR (``rate``) and its unscaled ``variance``,
    with PHE's input validation. No suppression; shared with the DSR comparisons."""
    require_columns(df, x, n, *keys)
    data = keyed_column(df, stdpop, ageband, _STD, "stdpop")
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


def _non_independent(
    df: pl.DataFrame, x: str, n: str, stdpop: StandardPopulation, keys: list[str], eventfreq, ageband
) -> pl.DataFrame:
    """PHE's two passes for people with several events: custom variance per group, then the DSR
    of the events per age band."""
    if eventfreq is None or ageband is None:
        raise ValueError("independent_events=False needs eventfreq and ageband columns")
    require_columns(df, x, n, eventfreq, ageband, *keys)
    freq = df.get_column(eventfreq)
    if not freq.dtype.is_numeric() or freq.cast(pl.Float64).fill_nan(None).null_count():
        raise ValueError(f"eventfreq column {eventfreq!r} must be numeric with no missing values")
    if df.get_column(ageband).null_count():
        raise ValueError(f"ageband column {ageband!r} cannot have missing values")
    data = keyed_column(df, stdpop, ageband, _STD, "stdpop")
    band = [*keys, ageband]
    spread = data.group_by(band).agg(pl.col(n).n_unique().alias("__n"), pl.col(_STD).n_unique().alias("__w"))
    if spread.select((pl.col("__n") > 1) | (pl.col("__w") > 1)).to_series().any():
        raise ValueError("n and stdpop must be the same for every event frequency of an age band")
    # Pass 1 validates like the independent case and gives var_f per (group, f).
    per_freq = dsr_components(data, x, n, _STD, [*keys, eventfreq])
    f = per_freq.get_column(eventfreq).cast(pl.Float64)
    custom = per_freq.with_columns((f**2 * pl.col("variance")).alias("__fv"))
    custom = aggregate(custom, keys, [pl.col("__fv").sum().alias("variance")])
    # Pass 2: events per band = sum_f f x_f, then the ordinary DSR on those events.
    events = (float_expr(x).fill_null(0.0) * pl.col(eventfreq).cast(pl.Float64)).sum().alias(x)
    collapsed = data.group_by(band, maintain_order=True).agg(events, pl.col(n).first(), pl.col(_STD).first())
    parts = dsr_components(collapsed, x, n, _STD, keys).drop("variance")
    return parts.join(custom, on=keys, how="left", nulls_equal=True) if keys else parts.hstack(custom)


def dsr(
    df: pl.DataFrame,
    x: str,
    n: str,
    stdpop: StandardPopulation,
    group_by: Sequence[str] | None = None,
    confidence: ConfidenceArg = 0.95,
    multiplier: float = 100_000,
    ageband: str | None = None,
    independent_events: bool = True,
    eventfreq: str | None = None,
) -> pl.DataFrame:
    """Directly standardised rate per group (None = whole frame) with Dobson confidence limits.

    ``stdpop`` is a column name, or a mapping {age band: standard population} joined on the
    ``ageband`` column (never matched by row position). With ``independent_events=False`` the rows
    are people per (group, ``ageband``, ``eventfreq``) as PHE ``calculate_dsr``. Returns the group
    columns, total_count, total_pop, value, limits, confidence, statistic, method and ``variance``
    (unscaled variance of the DSR, not suppressed, for ratios and differences).
    """
    keys = group_keys(group_by)
    levels = normalise_confidence(confidence)
    if independent_events:
        parts = dsr_components(df, x, n, stdpop, keys, ageband)
        method = "Dobson"
    else:
        parts = _non_independent(df, x, n, stdpop, keys, eventfreq, ageband)
        method = NON_INDEPENDENT_METHOD
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
        pl.lit(method).alias("method"),
        parts.get_column("variance"),
    )
