"""ASH 0–4 cells and events straight from the generator's files and labels, for decomposition tests.

Ingesting and staging two years of extracts takes minutes; the generator's labels say which
events count (`counts_ash_0_4`) and its planted numerators are exactly what the measure's SQL
recovers from the files (tests/synthetic), so the tables are rebuilt here in seconds instead:
marts.ash_0_4_cells (year to Dec 2024 and 2025 × district × ethnic group) and
marts.ash_0_4_events (event, district, date, condition by the longest matching ASH code).
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import polars as pl

from pipelines.config import REFERENCE_DIR
from pipelines.synthetic import generate
from pipelines.synthetic.reference import GROUP_IDS, GROUPS

YEARS = (2024, 2025)


def generate_ash(root: Path, ash_change: str | None) -> Path:
    generate(preset="small", out_dir=root / "landing", truth_dir=root / "truth", years=2,
             end_quarter="2025Q4", seed=20260101, sources=["population", "nmds_events"],
             ash_change=ash_change)
    return root


def load_ash_tables(con: duckdb.DuckDBPyConnection, root: Path) -> None:
    numerators = (
        pl.read_parquet(root / "truth" / "planted_numerators.parquet")
        .filter(pl.col("measure_id") == "ash_0_4")
        .with_columns(pl.col("period_label").str.slice(0, 4).cast(pl.Int32).alias("year"))
        .filter(pl.col("year").is_in(YEARS))
        .group_by("year", "district_code", "group_id").agg(pl.col("realised_numerator").sum())
    )
    names = dict(zip(GROUPS, GROUP_IDS, strict=True))
    population = pl.concat([
        pl.read_csv(root / "landing" / "population" / f"population_erp_{y}.csv",
                    schema_overrides={"dhb_code": pl.String})
        for y in YEARS
    ]).filter(pl.col("age_upper") <= 4).group_by("year", "dhb_code", "ethnic_group").agg(pl.col("population").sum())
    population = population.with_columns(pl.col("ethnic_group").replace_strict(names).alias("group_id"))
    cells = numerators.join(population, left_on=["year", "district_code", "group_id"],
                            right_on=["year", "dhb_code", "group_id"], how="full", coalesce=True)
    con.register("_cells", cells)
    con.execute("""
        CREATE OR REPLACE TABLE marts.ash_0_4_cells AS
        SELECT make_date(year, 1, 1) AS period_start, make_date(year, 12, 31) AS period_end,
               false AS withheld, []::VARCHAR[] AS blocking_rules, district_code, group_id AS group4_id,
               '' AS breakdown, '' AS stratum, coalesce(realised_numerator, 0)::BIGINT AS numerator,
               population::BIGINT AS denominator
        FROM _cells""")
    con.unregister("_cells")

    events = []
    for year in YEARS:
        for q in range(1, 5):
            label = f"{year}Q{q}"
            counted = pl.read_parquet(root / "truth" / "nmds_labels" / f"nmds_labels_{label}.parquet") \
                .filter(pl.col("counts_ash_0_4")).select("event_id")
            rows = pl.read_csv(root / "landing" / "nmds_events" / f"nmds_events_{label}.csv",
                               columns=["event_id", "dhb_of_domicile", "discharge_date", "principal_diagnosis"],
                               schema_overrides={"dhb_of_domicile": pl.String})
            events.append(rows.join(counted, on="event_id", how="semi"))
    con.register("_events", pl.concat(events))
    con.execute(f"""
        CREATE OR REPLACE TABLE marts.ash_0_4_events AS
        SELECT e.event_id, e.dhb_of_domicile AS district_code, NULL::VARCHAR AS group4_id,
               e.discharge_date::DATE AS event_date,
               arg_max(c.condition, length(c.icd10am_code)) AS condition
        FROM _events e
        JOIN read_csv('{REFERENCE_DIR / "code_lists" / "ash_conditions_v1.csv"}', all_varchar = true) c
          ON starts_with(e.principal_diagnosis, c.icd10am_code)
        GROUP BY ALL""")
    con.unregister("_events")
