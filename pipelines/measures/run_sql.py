"""Run a measure's SQL with its definition choices exposed as DuckDB variables."""

from __future__ import annotations

import duckdb

from pipelines.config import SQL_DIR
from pipelines.measures.measure_config import Measure
from pipelines.warehouse import execute, run_sql_file, set_variables


def reset_variables(con: duckdb.DuckDBPyConnection) -> None:
    """Forget the previous measure's choices so none leaks into the next one's SQL."""
    for (name,) in execute(con, "SELECT name FROM duckdb_variables()"):
        execute(con, f"RESET VARIABLE {name}")


def run_measure_sql(con: duckdb.DuckDBPyConnection, measure: Measure) -> None:
    reset_variables(con)
    set_variables(con, measure.sql_variables())
    run_sql_file(con, SQL_DIR / "measures" / "_common.sql")
    run_sql_file(con, measure.sql_file)
