"""A real DuckDB warehouse holding only what the evaluation reads, filled from the generator's
fast path (planted quarterly counts): ref tables, meta.period_status, staging.population and
marts.<measure>_events with one row per event. Building it takes ~1 s, where the full generator
and pipeline at a scale with enough events per district would take minutes."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from pipelines import warehouse
from pipelines.reference import load_reference
from pipelines.synthetic.calendar import Quarter, quarter_range
from pipelines.synthetic.nmds import MEASURE_AGES
from pipelines.synthetic.plants import PlantedChange
from pipelines.synthetic.quarterly_counts import planted_quarterly_counts

END = "2025Q4"
YEARS = 5


def write_planted_warehouse(path: Path, seed: int, plants: tuple[PlantedChange, ...] = (),
                            measure_id: str = "ash_0_4", blocked: tuple[str, ...] = ()) -> pl.DataFrame:
    """Write the warehouse; returns the planted counts it was built from."""
    quarters = quarter_range(Quarter.parse(END), YEARS)
    counts = planted_quarterly_counts(seed, quarters, measure_id, plants=plants)
    lo, hi = MEASURE_AGES[measure_id]
    population = (counts.with_columns(pl.col("quarter").str.slice(0, 4).cast(pl.Int32).alias("year"))
                  .group_by("year", "district_code", "group_id").agg(pl.col("population").first())
                  .rename({"group_id": "group4_id"})
                  .with_columns(pl.lit(lo).alias("age_lower"), pl.lit(hi).alias("age_upper")))
    with warehouse.connect(path) as con:
        load_reference(con)
        con.register("planted_counts", counts)
        con.register("planted_population", population)
        con.execute("CREATE OR REPLACE TABLE staging.population AS SELECT year, district_code, "
                    "age_lower, age_upper, group4_id, population::BIGINT AS population "
                    "FROM planted_population")
        con.execute(f"""
            CREATE OR REPLACE TABLE marts.{measure_id}_events AS
            WITH c AS (SELECT *, make_date(CAST(left(quarter, 4) AS INTEGER),
                                           3 * CAST(right(quarter, 1) AS INTEGER) - 2, 1) AS qs
                       FROM planted_counts WHERE events > 0)
            SELECT quarter || '-' || district_code || '-' || group_id || '-' || i AS event_id,
                   district_code, group_id AS group4_id, quarter AS discharge_quarter,
                   (qs + to_days(CAST(i % 90 AS INTEGER)))::DATE AS event_date
            FROM c, range(CAST(events AS BIGINT)) t(i)""")
        con.execute("DELETE FROM meta.period_status WHERE source_id = 'nmds_events'")
        for q in quarters:
            con.execute("INSERT INTO meta.period_status VALUES ('nmds_events', ?, ?, [], now())",
                        [q.label, "blocked" if q.label in blocked else "pass"])
        con.unregister("planted_counts")
        con.unregister("planted_population")
    return counts
