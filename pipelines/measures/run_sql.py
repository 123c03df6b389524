"""Run a measure's SQL with its definition choices exposed as DuckDB variables."""

from __future__ import annotations

import json

import duckdb

from pipelines.config import SQL_DIR
from pipelines.measures.incremental_events import run_statements
from pipelines.measures.measure_config import Measure
from pipelines.staging import PeriodBuild
from pipelines.warehouse import execute, read_sql, set_variables

COMMON_SQL = SQL_DIR / "measures" / "_common.sql"


def reset_variables(con: duckdb.DuckDBPyConnection) -> None:
    """Forget the previous measure's choices so none leaks into the next one's SQL."""
    for (name,) in execute(con, "SELECT name FROM duckdb_variables()"):
        execute(con, f"RESET VARIABLE {name}")


def run_measure_sql(con: duckdb.DuckDBPyConnection, measure: Measure) -> list[PeriodBuild]:
    """The measure's SQL file after `_common.sql`; returns how its per-period tables were built
    (pipelines/measures/incremental_events.py)."""
    reset_variables(con)
    variables = measure.sql_variables()
    set_variables(con, variables)
    common, sql = read_sql(COMMON_SQL), read_sql(measure.sql_file)
    execute(con, common)
    return run_statements(con, sql, [common, sql, json.dumps(variables, sort_keys=True, default=str)])
