"""The DuckDB warehouse: connecting, creating the schemas, running SQL files."""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import duckdb

from pipelines.config import SQL_DIR

# DuckDB's buffer pool. Its default, 80 % of RAM, let a national refresh grow to 9 GiB; with a
# limit, large joins and sorts spill to `<warehouse>.tmp/` instead (out of core). Issue 11 asks
# for ≤ 2 GiB for the whole process, and Python holds frames beside DuckDB's pool.
DEFAULT_MEMORY_LIMIT = "1GB"


def duckdb_config() -> dict[str, str]:
    """Settings every warehouse connection gets; SLM_DUCKDB_MEMORY_LIMIT overrides the limit."""
    return {"memory_limit": os.environ.get("SLM_DUCKDB_MEMORY_LIMIT") or DEFAULT_MEMORY_LIMIT}


@contextmanager
def connect(path: Path | str) -> Iterator[duckdb.DuckDBPyConnection]:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path), config=duckdb_config())
    try:
        ensure_schema(con)
        yield con
    finally:
        con.close()


def rollback_open_transaction(con: duckdb.DuckDBPyConnection) -> None:
    """Roll back a transaction left open (or aborted) by a failed statement; none open: nothing."""
    with suppress(duckdb.TransactionException):
        con.execute("ROLLBACK")


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    run_sql_file(con, SQL_DIR / "warehouse" / "schema.sql")


def read_sql(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def run_sql_file(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    execute(con, read_sql(path))


STAGING_SQL = SQL_DIR / "staging"


def load_staging_macros(con: duckdb.DuckDBPyConnection) -> None:
    """The macros every staging file may use (sql/staging/ files whose names start with `_`)."""
    for macros in sorted(STAGING_SQL.glob("_*.sql")):
        run_sql_file(con, macros)


def run_staging_sql(con: duckdb.DuckDBPyConnection, name: str) -> None:
    """Build staging.<name> whole from sql/staging/<name>.sql, after the macros (per-period
    builds: pipelines/staging.py)."""
    load_staging_macros(con)
    run_sql_file(con, STAGING_SQL / f"{name}.sql")


def execute(con: duckdb.DuckDBPyConnection, sql: str, params: Any = None) -> list[tuple]:
    """Run a statement and drain its result (DuckDB 2 refuses new work while a result is open)."""
    return con.execute(sql, params).fetchall() if params is not None else con.execute(sql).fetchall()


def insert_rows(con: duckdb.DuckDBPyConnection, table: str, rows: Sequence[tuple],
                verb: str = "INSERT") -> None:
    """Insert Python tuples (in the table's column order) as one Arrow batch: executemany runs
    one statement per row (~3 ms each on a file database, 2 s for a Ministry release's results)."""
    import pyarrow as pa  # here, not at import: most users of this module never insert rows

    if not rows:
        return
    schema = con.sql(f"SELECT * FROM {table} LIMIT 0").to_arrow_table().schema
    batch = pa.Table.from_pylist([dict(zip(schema.names, row, strict=True)) for row in rows], schema=schema)
    con.register("_insert_rows", batch)
    try:
        execute(con, f"{verb} INTO {table} SELECT * FROM _insert_rows")
    finally:
        con.unregister("_insert_rows")


def scalar(con: duckdb.DuckDBPyConnection, sql: str, params: Any = None) -> Any:
    rows = execute(con, sql, params)
    return rows[0][0] if rows else None


def set_variables(con: duckdb.DuckDBPyConnection, variables: Mapping[str, Any]) -> None:
    """Expose configuration to SQL as DuckDB variables, read with getvariable('name')."""
    for name, value in variables.items():
        execute(con, f"SET VARIABLE {name} = ?", [value])


def table_exists(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    return bool(
        scalar(
            con,
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = ? AND table_name = ?",
            [schema, table],
        )
    )


def replace_rows(con: duckdb.DuckDBPyConnection, table: str, rows, key_column: str, key) -> None:
    """Replace one slice of a table (e.g. one measure's rows) with `rows` (a polars frame).
    Re-running is idempotent."""
    con.register("_replacement", rows)
    try:
        execute(con, "BEGIN TRANSACTION")
        execute(con, f"DELETE FROM {table} WHERE {key_column} = ?", [key])
        if rows.height:
            execute(con, f"INSERT INTO {table} BY NAME SELECT * FROM _replacement")
        execute(con, "COMMIT")
    finally:
        con.unregister("_replacement")
