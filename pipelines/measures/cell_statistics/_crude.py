"""Shared by crude rates and proportions: strata summed, one statistic per row."""

from __future__ import annotations

from collections.abc import Callable

import polars as pl

from pipelines.measures.cell_statistics import EQUITY_KEYS, KEYS, ROW_COLUMNS


def summed(cells: pl.DataFrame) -> pl.DataFrame:
    return cells.group_by(KEYS, maintain_order=True).agg(
        pl.col("numerator").sum(), pl.col("denominator").sum(),
        pl.col("withheld").any(), pl.col("blocking_rules").first(),
    )


def compute(cells: pl.DataFrame, statistic: Callable, confidence: float, multiplier: float) -> pl.DataFrame:
    rows = summed(cells)
    has_population = rows.filter(pl.col("denominator") > 0)
    # One statistic per row: rows are unique by KEYS, so grouping by KEYS sums nothing.
    scored = statistic(has_population, "numerator", "denominator", group_by=KEYS,
                       confidence=confidence, multiplier=multiplier)
    scored = has_population.join(scored.drop("numerator", "denominator"), on=KEYS, how="left",
                                 nulls_equal=True, maintain_order="left")
    scored = scored.rename({"lowercl": "lower_ci", "uppercl": "upper_ci"})
    empty = rows.filter(pl.col("denominator").is_null() | (pl.col("denominator") <= 0)).with_columns(
        pl.lit(None, pl.Float64).alias("value"), pl.lit(None, pl.Float64).alias("lower_ci"),
        pl.lit(None, pl.Float64).alias("upper_ci"), pl.lit("no denominator").alias("method"),
    )
    return pl.concat([scored.select(ROW_COLUMNS), empty.select(ROW_COLUMNS)], how="vertical_relaxed")


def compare(cells: pl.DataFrame, comparison: Callable, comparator: str, confidence: float,
            multiplier: float) -> pl.DataFrame:
    rows = summed(cells).filter(pl.col("denominator") > 0)
    rows = rows.filter(pl.col("group_id").is_in(["maori", "pacific", "asian", "european_other", comparator]))
    # Compare only where the comparator has a population: a cell without one has no ratio.
    has_comparator = rows.filter(pl.col("group_id") == comparator).select(EQUITY_KEYS)
    rows = rows.join(has_comparator, on=EQUITY_KEYS, how="semi")
    if rows.is_empty():
        return pl.DataFrame()
    return comparison(rows, "group_id", comparator, "numerator", "denominator", group_by=EQUITY_KEYS,
                      confidence=confidence, multiplier=multiplier)
