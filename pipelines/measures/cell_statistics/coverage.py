"""Coverage: people reached by a service (counted by that service or a laboratory) as a
percentage of the resident population (Stats NZ estimates), with Wilson score limits.

It is the proportion statistic (PHE phe_proportion) with one difference. Numerator and
denominator come from different collections, so a small cell can hold more people reached than
residents — ethnicity recorded differently by the service, a person counted in two districts,
tested person-quarters. stats.proportion rightly refuses x > n, which would stop every
district's publication for one cell. Such a cell keeps its value (over 100 %: a visible data
problem, not hidden) with no interval and says why in `method`; it is left out of equity
comparisons, whose proportion methods need x ≤ n.
"""

from __future__ import annotations

import polars as pl

from pipelines import stats
from pipelines.measures.cell_statistics import ROW_COLUMNS, _crude

OVER = "numerator exceeds population: no Wilson interval"


# Everything but x > n > 0 goes the proportion way (no population → "no denominator" there).
FITS = (pl.col("denominator").fill_null(0) <= 0) | (pl.col("numerator") <= pl.col("denominator"))


def compute(cells, measure, confidence):
    rows = _crude.summed(cells)
    within = _crude.compute(rows.filter(FITS), stats.proportion, confidence, measure.multiplier)
    over = rows.filter(~FITS).with_columns(
        # cast first: DuckDB sums arrive as decimals, whose division would truncate
        (pl.col("numerator").cast(pl.Float64) / pl.col("denominator").cast(pl.Float64)
         * measure.multiplier).alias("value"),
        pl.lit(None, pl.Float64).alias("lower_ci"),
        pl.lit(None, pl.Float64).alias("upper_ci"),
        pl.lit(OVER).alias("method"),
    )
    return pl.concat([within, over.select(ROW_COLUMNS)], how="vertical_relaxed")


def compare(cells, measure, comparator, confidence):
    rows = _crude.summed(cells)
    rows = rows.filter(FITS)
    if rows.filter((pl.col("group_id") == comparator) & (pl.col("denominator") > 0)).is_empty():
        return pl.DataFrame()
    return _crude.compare(rows, stats.proportion_ratio_difference, comparator, confidence,
                          measure.multiplier)
