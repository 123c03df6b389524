"""Shared by the standardised statistics (direct_who, indirect_age_sex): stratum labels, sums
that stay missing when a part is missing, and the empty result.

A standardised measure's cells carry one row per stratum, labelled '<age band>' or
'<age band>|<sex>' (e.g. '85+|F'); 'unknown' in either part marks events no population stratum
can hold (unknown age, sex U or I), which carry population 0.
"""

from __future__ import annotations

import polars as pl

from pipelines.measures.cell_statistics import ROW_COLUMNS

UNKNOWN = "unknown"


def age_band() -> pl.Expr:
    return pl.col("stratum").str.split("|").list.first().alias("age_band")


def strict_sum(column: str) -> pl.Expr:
    """Sum that is null when any part is null: a missing population is not zero people."""
    col = pl.col(column).cast(pl.Float64)
    return pl.when(col.is_null().any()).then(None).otherwise(col.sum()).alias(column)


def empty_rows() -> pl.DataFrame:
    schema = {c: pl.Float64 for c in ROW_COLUMNS}
    schema.update(period_start=pl.Date, period_end=pl.Date, district_code=pl.String,
                  group_id=pl.String, breakdown=pl.String, method=pl.String,
                  withheld=pl.Boolean, blocking_rules=pl.List(pl.String))
    return pl.DataFrame(schema=schema)


def no_value(rows: pl.DataFrame, method: pl.Expr) -> pl.DataFrame:
    """Rows that cannot have a statistic: null value and limits, and why in `method`."""
    return rows.with_columns(
        pl.lit(None, pl.Float64).alias("value"), pl.lit(None, pl.Float64).alias("lower_ci"),
        pl.lit(None, pl.Float64).alias("upper_ci"), method.alias("method"),
    ).select(ROW_COLUMNS)
