"""Non-overlapping quarterly counts of a measure from the warehouse (sql/evaluation/)."""

from __future__ import annotations

import duckdb
import polars as pl

from pipelines.config import SQL_DIR
from pipelines.contracts.sql import literal
from pipelines.measures.measure_config import Measure
from pipelines.warehouse import read_sql, run_sql_file, table_exists

EVENT_COLUMNS = {"district_code", "group4_id", "event_date"}


def event_table(measure: Measure) -> str:
    return f"marts.{measure.measure_id}_events"


def evaluable(con: duckdb.DuckDBPyConnection, measures: list[Measure]) -> list[Measure]:
    """Population-rate count measures whose events table (one row per event) is in the warehouse."""
    out = []
    for m in measures:
        if m.statistic != "crude_rate" or "age_min_years" not in m.settings:
            continue
        if not table_exists(con, "marts", f"{m.measure_id}_events"):
            continue
        cols = {r[0] for r in con.execute(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_schema = 'marts' AND table_name = ?", [f"{m.measure_id}_events"]).fetchall()}
        if cols >= EVENT_COLUMNS and _source_id(m):
            out.append(m)
    return out


def _source_id(m: Measure) -> str | None:
    """The landing source whose quarters the events come from (the hospital events, here)."""
    sql = m.sql_file.read_text(encoding="utf-8") if m.sql_file.exists() else ""
    return "nmds_events" if "staging.nmds_events" in sql else None


def quarterly_counts(con: duckdb.DuckDBPyConnection, measure: Measure) -> pl.DataFrame:
    """quarter, quarter_start, district_code, group_id, events, population."""
    con.execute(read_sql(SQL_DIR / "measures" / "_common.sql"))
    run_sql_file(con, SQL_DIR / "evaluation" / "quarterly_counts.sql")
    args = ", ".join(literal(v) for v in (
        event_table(measure), _source_id(measure), int(measure.settings["age_min_years"]),
        int(measure.settings["age_max_years"])))
    return con.sql(f"SELECT * FROM evaluation_quarterly_counts({args})").pl()
