"""Equity comparisons: every ethnic group against non-Māori non-Pacific (statistical-methods §9).

One row per district × window × breakdown × group (Māori, Pacific, Asian, European/Other): ratio
and difference with confidence limits, computed by the measure's own statistic module (rate
ratios for rates, DSR ratios for standardised rates, …). A comparison is suppressed when either
side is (measures.yaml → suppression.rate_ratio), and absent when the window is withheld.
"""

from __future__ import annotations

import polars as pl

from pipelines.measures.cell_statistics._overdispersed import module_for
from pipelines.measures.measure_config import Measure

EQUITY_COLUMNS = [
    "district_code", "measure_id", "breakdown", "period_end", "group_id", "comparator_group",
    "rate_ratio", "rr_lower", "rr_upper", "rate_difference", "rd_lower", "rd_upper", "method",
    "suppressed",
]
_KEYS = ["district_code", "period_end", "breakdown"]


def equity_rows(cells: pl.DataFrame, rows: pl.DataFrame, measure: Measure, comparator: str,
                confidence: float) -> pl.DataFrame:
    """`cells` as from publish.group_sets; `rows` the published rows (for suppression, status)."""
    published = rows.filter(pl.col("status") == "published").select(_KEYS).unique()
    usable = cells.join(published, on=_KEYS, how="semi")
    result = module_for(measure).compare(usable, measure, comparator, confidence)
    if result.is_empty():
        return pl.DataFrame(schema=dict.fromkeys(EQUITY_COLUMNS, pl.String))
    suppressed = rows.select(*_KEYS, "group_id", "suppressed")
    return (
        result.join(suppressed, on=[*_KEYS, "group_id"], how="left")
        .join(suppressed.filter(pl.col("group_id") == comparator).drop("group_id")
              .rename({"suppressed": "comparator_suppressed"}), on=_KEYS, how="left")
        .with_columns(
            pl.lit(measure.measure_id).alias("measure_id"),
            pl.lit(comparator).alias("comparator_group"),
            (pl.col("suppressed").fill_null(True) | pl.col("comparator_suppressed").fill_null(True))
            .alias("suppressed"),
        )
        .rename({"ratio": "rate_ratio", "ratio_lowercl": "rr_lower", "ratio_uppercl": "rr_upper",
                 "difference": "rate_difference", "difference_lowercl": "rd_lower",
                 "difference_uppercl": "rd_upper"})
        .select(EQUITY_COLUMNS)
    )
