"""How well the pipeline recovers the generator's planted truth (synthetic data only).

For every measure the generator plants, each published cell (district × group × window ×
breakdown) is matched with its expected value, and we count how often the 95% confidence interval
contains it. About 95% is what unbiased estimates with honest intervals give; far fewer means a
biased measure or intervals that are too narrow.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

# The generator's truth for bed days is the crude rate; the headline is indirectly standardised.
TRUTH_TO_MEASURE = {"acute_bed_days": "acute_bed_days_crude"}
KEYS = ["measure_id", "district_code", "group_id", "period_end", "breakdown"]


def read_truth(truth_dir: Path) -> pl.DataFrame:
    truth = pl.read_parquet(truth_dir / "truth.parquet")
    return truth.with_columns(
        pl.col("measure_id").replace(TRUTH_TO_MEASURE),
        pl.col("breakdown").fill_null("") if "breakdown" in truth.columns else pl.lit("").alias("breakdown"),
    )


def compare_with_truth(measures: pl.DataFrame, truth: pl.DataFrame) -> pl.DataFrame:
    """Published cells with an interval, beside the planted expected value."""
    published = measures.filter(
        (pl.col("status") == "published") & pl.col("lower_ci").is_not_null() & pl.col("upper_ci").is_not_null()
    ).with_columns(pl.col("breakdown").fill_null(""))
    return (
        published.join(truth.select(*KEYS, "expected_value"), on=KEYS, how="inner")
        .with_columns(((pl.col("expected_value") >= pl.col("lower_ci"))
                       & (pl.col("expected_value") <= pl.col("upper_ci"))).alias("covered"))
    )


def coverage_summary(compared: pl.DataFrame, truth: pl.DataFrame) -> pl.DataFrame:
    planted = truth.group_by("measure_id").agg(pl.len().alias("planted_cells"))
    return (
        compared.group_by("measure_id").agg(
            pl.len().alias("cells_with_ci"),
            pl.col("covered").mean().alias("ci_coverage"),
            pl.col("covered").filter(pl.col("district_code") == "000").mean().alias("national_coverage"),
        )
        .join(planted, on="measure_id", how="right")
        .select("measure_id", "planted_cells", "cells_with_ci", "ci_coverage", "national_coverage")
        .sort("measure_id")
    )
