"""Trend: NHS "Making Data Count" XmR charts over each published series (statistical-methods §11).

A series is one district × group × breakdown of a measure, ordered by window end. Consecutive
rolling windows overlap (each shares nine months with the next), so points are not independent:
special-cause flags here are a prompt to look, not a test. Series shorter than 12 points are
left out (NHSRplotthedots warns below 13).
"""

from __future__ import annotations

import polars as pl

from pipelines import stats
from pipelines.measures.measure_config import Measure

MIN_POINTS = 12
TREND_COLUMNS = [
    "district_code", "measure_id", "group_id", "breakdown", "period_end", "value", "mean", "upl",
    "lpl", "near_upl", "near_lpl", "special_cause_rule", "point_type",
]


def trend_rows(rows: pl.DataFrame, measure: Measure) -> pl.DataFrame:
    keys = ["district_code", "measure_id", "group_id", "breakdown"]
    series = rows.filter(
        (pl.col("status") == "published") & pl.col("value").is_not_null() & pl.col("value").is_finite()
    ).filter(pl.len().over(keys) >= MIN_POINTS)
    if series.is_empty():
        return pl.DataFrame(schema={c: pl.String for c in TREND_COLUMNS})
    direction = "decrease" if measure.direction == "lower_is_better" else "increase"
    charted = stats.spc(series.select(*keys, "period_end", "value"), "value", "period_end",
                        group_by=keys, improvement_direction=direction)
    return charted.select(TREND_COLUMNS)
