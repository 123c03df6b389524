"""Equity comparisons: each group against a comparator group (e.g. Maori vs non-Maori non-Pacific).

PHEindicatormethods has no ratio/difference function; methods follow statistical-methods.md §9.
Crude rates (a events in T person-time, comparator c in T0):
  RR = (a/T) / (c/T0), SE(ln RR) = sqrt(1/a + 1/c), CI = exp(ln RR -/+ z SE)   (Wald, log scale)
  RD = a/T - c/T0,     SE = sqrt(a/T^2 + c/T0^2),   CI = RD -/+ z SE           (Wald)
Directly standardised rates (unscaled DSR_k and var_k from calculate_dsr's variance):
  SRR = DSR1/DSR0, SE(ln SRR) = sqrt(var1/DSR1^2 + var0/DSR0^2), CI on the log scale
  SRD = DSR1 - DSR0, SE = sqrt(var1 + var0), CI linear
  (the intended method of dsr::dsrr, without that package's bugs).
Proportions p = x/n (no PHE anchor; standard large-sample methods):
  difference p1 - p0, SE = sqrt(p1(1-p1)/n1 + p0(1-p0)/n0)                    (Wald)
  ratio p1/p0, SE(ln) = sqrt(1/x1 - 1/n1 + 1/x0 - 1/n0)                       (Katz log)
Where a log-scale SE is undefined (a zero count) the ratio limits are null.
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
    group_keys,
    require_columns,
    strict_sum,
    with_floats,
)
from pipelines.stats.confidence import (
    ConfidenceArg,
    ci_column_names,
    confidence_label,
    normalise_confidence,
    z_for,
)
from pipelines.stats.dsr import dsr_components

__all__ = ["rate_ratio_difference", "dsr_ratio_difference", "proportion_ratio_difference"]


def _against_comparator(
    cells: pl.DataFrame, keys: list[str], group_col: str, comparator, measures: list[str]
) -> pl.DataFrame:
    """Put each non-comparator row beside the comparator's row of the same key cell."""
    base = cells.filter(pl.col(group_col) == comparator)
    if base.height == 0:
        raise ValueError(f"comparator {comparator!r} not found in column {group_col!r}")
    base = base.select(*keys, *[pl.col(m).alias(f"comparator_{m}") for m in measures])
    others = cells.filter(pl.col(group_col) != comparator)
    if not keys:
        return others.join(base, how="cross")
    return others.join(base, on=keys, how="left", nulls_equal=True)


def _intervals(estimate, se, levels, prefix: str, log_scale: bool) -> dict:
    columns = {}
    with np.errstate(divide="ignore", invalid="ignore"):
        for level, (lo_name, hi_name) in zip(
            levels, ci_column_names(levels, prefix=f"{prefix}_"), strict=True
        ):
            z = z_for(level)
            if log_scale:
                finite = np.isfinite(se) & (estimate > 0)
                log_est = np.log(np.where(finite, estimate, np.nan))
                columns[lo_name] = np.where(finite, np.exp(log_est - z * se), np.nan)
                columns[hi_name] = np.where(finite, np.exp(log_est + z * se), np.nan)
            else:
                columns[lo_name] = estimate - z * se
                columns[hi_name] = estimate + z * se
    return columns


def _finish(out: pl.DataFrame, columns: dict, levels, method: str) -> pl.DataFrame:
    return with_floats(out, columns).with_columns(
        pl.lit(confidence_label(levels)).alias("confidence"),
        pl.lit(method).alias("method"),
    )


def rate_ratio_difference(
    df: pl.DataFrame,
    group_col: str,
    comparator,
    x: str,
    n: str,
    group_by: Sequence[str] | None = None,
    confidence: ConfidenceArg = 0.95,
    multiplier: float = 100_000,
) -> pl.DataFrame:
    """Crude rate ratio and difference of each ``group_col`` level against ``comparator``.

    ``x`` and ``n`` are summed per (group_by, group_col) cell (a missing value makes the cell
    missing, as in ``crude_rate``). Returns one row per non-comparator level and group_by cell
    with rate, comparator_rate, ratio (+ limits) and difference per ``multiplier`` (+ limits).
    """
    keys = group_keys(group_by)
    require_columns(df, group_col, x, n, *keys)
    check_non_negative(as_float(df, x), "numerators must be greater than or equal to zero")
    check_positive(as_float(df, n), "denominators must be greater than zero")
    levels = normalise_confidence(confidence)
    cells = aggregate(df, [*keys, group_col], [strict_sum(x), strict_sum(n)])
    out = _against_comparator(cells, keys, group_col, comparator, [x, n])
    a, t1 = as_float(out, x), as_float(out, n)
    c, t0 = as_float(out, f"comparator_{x}"), as_float(out, f"comparator_{n}")
    with np.errstate(divide="ignore", invalid="ignore"):
        r1, r0 = a / t1, c / t0
        ratio = r1 / r0
        se_log = np.sqrt(1 / a + 1 / c)
        difference = r1 - r0
        se_diff = np.sqrt(a / t1**2 + c / t0**2)
    columns = {
        "rate": r1 * multiplier,
        "comparator_rate": r0 * multiplier,
        "ratio": ratio,
        **_intervals(ratio, se_log, levels, "ratio", log_scale=True),
        "difference": difference * multiplier,
        **_intervals(difference * multiplier, se_diff * multiplier, levels, "difference", False),
    }
    return _finish(out, columns, levels, "Wald (ratio on log scale)")


def dsr_ratio_difference(
    df: pl.DataFrame,
    group_col: str,
    comparator,
    x: str,
    n: str,
    stdpop: str | Mapping,
    group_by: Sequence[str] | None = None,
    confidence: ConfidenceArg = 0.95,
    multiplier: float = 100_000,
    min_count: int | None = 10,
    ageband: str | None = None,
) -> pl.DataFrame:
    """Standardised rate ratio (log-scale CI) and difference (linear CI) against ``comparator``.

    DSRs and their variances are computed per (group_by, group_col) cell as in :func:`dsr`.
    Where either side has fewer than ``min_count`` events (PHE's DSR suppression threshold) the
    ratio, difference and limits are null; ``min_count=None`` turns that off.
    """
    keys = group_keys(group_by)
    require_columns(df, group_col)
    levels = normalise_confidence(confidence)
    cells = dsr_components(df, x, n, stdpop, [*keys, group_col], ageband)
    measures = ["total_count", "total_pop", "rate", "variance"]
    out = _against_comparator(cells, keys, group_col, comparator, measures)
    d1, v1, o1 = (as_float(out, c) for c in ("rate", "variance", "total_count"))
    d0, v0, o0 = (as_float(out, f"comparator_{c}") for c in ("rate", "variance", "total_count"))
    keep = np.ones(len(d1), dtype=bool) if min_count is None else (o1 >= min_count) & (o0 >= min_count)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(keep, d1 / d0, np.nan)
        se_log = np.sqrt(v1 / d1**2 + v0 / d0**2)
        difference = np.where(keep, (d1 - d0) * multiplier, np.nan)
        se_diff = np.sqrt(v1 + v0) * multiplier
    out = out.drop("rate", "comparator_rate", "variance", "comparator_variance")
    columns = {
        "value": d1 * multiplier,
        "comparator_value": d0 * multiplier,
        "ratio": ratio,
        **_intervals(ratio, se_log, levels, "ratio", log_scale=True),
        "difference": difference,
        **_intervals(difference, se_diff, levels, "difference", log_scale=False),
    }
    return _finish(out, columns, levels, "DSR variance (ratio on log scale)")


def proportion_ratio_difference(
    df: pl.DataFrame,
    group_col: str,
    comparator,
    x: str,
    n: str,
    group_by: Sequence[str] | None = None,
    confidence: ConfidenceArg = 0.95,
    multiplier: float = 1,
) -> pl.DataFrame:
    """Proportion ratio (Katz log CI) and difference (Wald CI, x ``multiplier``) vs comparator."""
    keys = group_keys(group_by)
    require_columns(df, group_col, x, n, *keys)
    xs, ns = as_float(df, x), as_float(df, n)
    check_non_negative(xs, "numerators must be greater than or equal to zero")
    check_positive(ns, "denominators must be greater than zero")
    if np.any(xs > ns):
        raise ValueError("numerators must be less than or equal to denominators")
    levels = normalise_confidence(confidence)
    cells = aggregate(df, [*keys, group_col], [strict_sum(x), strict_sum(n)])
    out = _against_comparator(cells, keys, group_col, comparator, [x, n])
    x1, n1 = as_float(out, x), as_float(out, n)
    x0, n0 = as_float(out, f"comparator_{x}"), as_float(out, f"comparator_{n}")
    with np.errstate(divide="ignore", invalid="ignore"):
        p1, p0 = x1 / n1, x0 / n0
        ratio = p1 / p0
        se_log = np.sqrt(1 / x1 - 1 / n1 + 1 / x0 - 1 / n0)
        difference = p1 - p0
        se_diff = np.sqrt(p1 * (1 - p1) / n1 + p0 * (1 - p0) / n0)
    columns = {
        "proportion": p1 * multiplier,
        "comparator_proportion": p0 * multiplier,
        "ratio": ratio,
        **_intervals(ratio, se_log, levels, "ratio", log_scale=True),
        "difference": difference * multiplier,
        **_intervals(difference * multiplier, se_diff * multiplier, levels, "difference", False),
    }
    return _finish(out, columns, levels, "Katz log ratio, Wald difference")
