"""Equity comparisons: every ethnic group against non-Māori non-Pacific (statistical-methods §9).

One row per district × window × breakdown × group (Māori, Pacific, Asian, European/Other): rate
ratio and difference with confidence limits. A comparison is suppressed when either of its rates
is (measures.yaml → suppression.rate_ratio), and absent when either side has no population or
the window is withheld.
"""

from __future__ import annotations

import polars as pl

from pipelines import stats
from pipelines.measures.definitions import Measure

EQUITY_COLUMNS = [
    "district_code", "measure_id", "breakdown", "period_end", "group_id", "comparator_group",
    "rate_ratio", "rr_lower", "rr_upper", "rate_difference", "rd_lower", "rd_upper", "method",
    "suppressed",
]
_COMPARE = {"crude_rate": stats.rate_ratio_difference, "proportion": stats.proportion_ratio_difference}


def equity_rows(rows: pl.DataFrame, measure: Measure, comparator: str, confidence: float) -> pl.DataFrame:
    compare = _COMPARE.get(measure.statistic)
    keys = ["district_code", "measure_id", "breakdown", "period_end"]
    usable = rows.filter(
        (pl.col("status") == "published") & (pl.col("denominator") > 0)
        & pl.col("group_id").is_in(["maori", "pacific", "asian", "european_other", comparator])
    )
    if compare is None or usable.is_empty():
        return pl.DataFrame(schema={c: pl.String for c in EQUITY_COLUMNS})
    result = compare(usable, "group_id", comparator, "numerator", "denominator", group_by=keys,
                     confidence=confidence, multiplier=measure.multiplier)
    suppressed = usable.select(*keys, "group_id", "suppressed")
    return (
        result.join(suppressed, on=[*keys, "group_id"], how="left")
        .join(suppressed.filter(pl.col("group_id") == comparator).drop("group_id")
              .rename({"suppressed": "comparator_suppressed"}), on=keys, how="left")
        .with_columns(
            pl.lit(comparator).alias("comparator_group"),
            (pl.col("suppressed").fill_null(True) | pl.col("comparator_suppressed").fill_null(True))
            .alias("suppressed"),
        )
        .rename({"ratio": "rate_ratio", "ratio_lowercl": "rr_lower", "ratio_uppercl": "rr_upper",
                 "difference": "rate_difference", "difference_lowercl": "rd_lower",
                 "difference_uppercl": "rd_upper"})
        .select(EQUITY_COLUMNS)
    )
