"""Build a staging table, rebuilding only the periods whose raw rows changed.

A staging SQL file that declares `-- incremental by: <column>` promises that the rows of each
period come only from the raw rows of that period (no ranking, de-duplication or "latest release"
across periods). Its table is then kept up to date per period: after a new quarter lands, only
that quarter's rows are computed and inserted; a corrected quarter's rows are deleted and
computed again. A file without the declaration is rebuilt whole, as is every table when its SQL,
its macros or the reference tables it reads change, or when it has no record of a build.

What "changed" means: each raw period's fingerprint is its row count and a hash of the
identities of its rows (`_file_hash`, `_row_number`). Ingestion is the only writer of raw tables
and replaces a period's rows whole with a new file's (pipelines/sources/ingest.py), so a period
whose fingerprint is unchanged holds the same rows. The fingerprints of the last build are kept in
`meta.staging_periods`. tests/test_warehouse.py checks that per-period builds equal whole ones.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import duckdb

from pipelines import contracts
from pipelines.contracts.sql import literal
from pipelines.sources.ingest import ensure_raw_table
from pipelines.warehouse import (
    STAGING_SQL,
    execute,
    insert_rows,
    load_staging_macros,
    read_sql,
    run_staging_sql,
    table_exists,
)

_DECLARATION = re.compile(r"^--\s*incremental by:\s*([a-z0-9_]+)\b.*$", re.IGNORECASE | re.MULTILINE)
_CREATE = re.compile(r"^CREATE OR REPLACE TABLE staging\.([a-z0-9_]+) AS\s*(.*?);?\s*$",
                     re.IGNORECASE | re.DOTALL)
_RAW = re.compile(r"\braw\.([a-z0-9_]+)", re.IGNORECASE)
_REF = re.compile(r"\bref\.([a-z0-9_]+)", re.IGNORECASE)


@dataclass
class PeriodBuild:
    """How a table kept per period was brought up to date: a staging table (here) or a measure's
    events table (pipelines/measures/incremental_events.py)."""
    name: str
    mode: str                     # whole | periods | unchanged
    periods: list[str] = field(default_factory=list)  # the periods rebuilt (mode periods)
    why: str = ""

    def describe(self) -> str:
        if self.mode == "periods":
            return f"rebuilt {len(self.periods)} period(s): {', '.join(self.periods)}"
        return "unchanged periods: nothing rebuilt" if self.mode == "unchanged" else f"rebuilt whole ({self.why})"


def ensure_source_tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Every source's raw table, and the staging table of every source that has no rows yet.

    An alliance may never have had a file of a source (no Ministry release yet): its raw table is
    made empty, and its staging table built from it (empty, instantly), so every reader of it runs
    and says it has nothing, whichever way the refresh was launched (`slm run`, the landing sensor
    and automation, the schedule, the UI). Ingestion calls this once the reference tables that
    staging reads are loaded. Returns the staging tables built here."""
    for source_id in contracts.contract_ids():
        ensure_raw_table(con, contracts.load_contract(source_id))
    built = []
    for path in sorted(STAGING_SQL.glob("[!_]*.sql")):
        raw = sorted(set(_RAW.findall(read_sql(path))))
        if table_exists(con, "staging", path.stem) or not all(table_exists(con, "raw", t) for t in raw):
            continue
        if all(not execute(con, f"SELECT 1 FROM raw.{t} LIMIT 1") for t in raw):
            build_staging(con, path.stem)
            built.append(path.stem)
    return built


def build_staging(con: duckdb.DuckDBPyConnection, name: str) -> PeriodBuild:
    """Bring staging.<name> up to date with raw (see the module docstring)."""
    sql = read_sql(STAGING_SQL / f"{name}.sql")
    macros = [read_sql(p) for p in sorted(STAGING_SQL.glob("_*.sql"))]
    column = incremental_column(name)
    if column is None:
        run_staging_sql(con, name)
        return PeriodBuild(name, "whole", why="the SQL declares no `incremental by` column")

    query = _query(name, sql, column)
    definition = definition_hash(con, [*macros, sql])
    current = _raw_fingerprints(con, sorted(set(_RAW.findall(sql))))
    if current is None:  # raw rows without identities (not written by ingestion): trust nothing
        run_staging_sql(con, name)
        execute(con, "DELETE FROM meta.staging_periods WHERE table_name = ?", [name])
        return PeriodBuild(name, "whole", why="raw rows carry no _file_hash/_row_number")
    recorded = dict(execute(con, "SELECT period, fingerprint FROM meta.staging_periods "
                                 "WHERE table_name = ? AND definition = ?", [name, definition]))
    if not recorded or not table_exists(con, "staging", name):
        run_staging_sql(con, name)
        build = PeriodBuild(name, "whole", why="no earlier build of this definition")
    else:
        changed = changed_periods(current, recorded)
        if not changed:
            return PeriodBuild(name, "unchanged")
        load_staging_macros(con)
        rebuild_periods(con, "staging", name, column, query, changed, current, definition)
        return PeriodBuild(name, "periods", changed)
    with transaction(con):
        record_periods(con, name, current, definition)
    return build


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    execute(con, "BEGIN TRANSACTION")
    try:
        yield
    except BaseException:
        execute(con, "ROLLBACK")
        raise
    execute(con, "COMMIT")


def changed_periods(current: dict[str, str], recorded: dict[str, str]) -> list[str]:
    """The periods whose fingerprint differs from the one recorded (new, changed or gone)."""
    return sorted(p for p in set(current) | set(recorded) if current.get(p) != recorded.get(p))


def rebuild_periods(con: duckdb.DuckDBPyConnection, schema: str, name: str, column: str, query: str,
                    periods: list[str], current: dict[str, str], definition: str,
                    record: str = "meta.staging_periods") -> None:
    """Replace `periods` of <schema>.<name> by the query's rows for them, and record what the table
    is now built from, in one transaction."""
    # Constants, not a parameter list: DuckDB pushes `IN (<constants>)` down to the scan it filters
    # (1 s for a national quarter); `IN (SELECT unnest(?))` computed all history (31 s).
    listed = ", ".join(literal(p) for p in periods)
    with transaction(con):
        execute(con, f"DELETE FROM {schema}.{name} WHERE {column} IN ({listed})")
        execute(con, f"INSERT INTO {schema}.{name} BY NAME SELECT * FROM ({query}) WHERE {column} IN ({listed})")
        record_periods(con, name, current, definition, record)


def record_periods(con: duckdb.DuckDBPyConnection, name: str, current: dict[str, str], definition: str,
                   record: str = "meta.staging_periods") -> None:
    """What a per-period table was built from: its periods' fingerprints, in `record`."""
    execute(con, f"DELETE FROM {record} WHERE table_name = ?", [name])
    insert_rows(con, record, [(name, p, f, definition) for p, f in sorted(current.items())])


def incremental_column(name: str) -> str | None:
    """The column sql/staging/<name>.sql is built by, period by period (None: built whole).
    Raises if the file declares one but is not a statement that can be built that way."""
    sql = read_sql(STAGING_SQL / f"{name}.sql")
    declared = _DECLARATION.search(sql)
    if declared is None:
        return None
    _query(name, sql, declared.group(1))
    return declared.group(1)


def _query(name: str, sql: str, column: str) -> str:
    """The SELECT of `CREATE OR REPLACE TABLE staging.<name> AS <query>;`, whose `column` must
    be a raw table's `_period` as it is."""
    body = "\n".join(line for line in sql.splitlines() if not line.lstrip().startswith("--")).strip()
    match = _CREATE.match(body)
    if not match or match.group(1) != name or ";" in match.group(2):
        raise ValueError(f"sql/staging/{name}.sql declares `incremental by` but is not one "
                         f"`CREATE OR REPLACE TABLE staging.{name} AS <query>;` statement")
    if not re.search(rf"\b_period\s+AS\s+{column}\b", match.group(2), re.IGNORECASE):
        raise ValueError(f"sql/staging/{name}.sql: `incremental by: {column}` needs `_period AS "
                         f"{column}`: the column must be the raw rows' own period")
    return match.group(2)


def definition_hash(con: duckdb.DuckDBPyConnection, texts: list[str]) -> str:
    """A hash of the SQL texts and of the content of every reference table they read."""
    digest = hashlib.sha256()
    for text in texts:
        digest.update(text.encode())
    for table in sorted({t.lower() for text in texts for t in _REF.findall(text)}):
        if table_exists(con, "ref", table):
            digest.update(f"{table}:{execute(con, f'SELECT count(*), bit_xor(hash(t)) FROM ref.{table} t')}".encode())
    return digest.hexdigest()[:16]


def _raw_fingerprints(con: duckdb.DuckDBPyConnection, tables: list[str]) -> dict[str, str] | None:
    """period → fingerprint of its raw rows, across every raw table the SQL reads; None when a
    table's rows have no identities to fingerprint."""
    parts: dict[str, list[str]] = {}
    for table in tables:
        if not table_exists(con, "raw", table):
            continue
        columns = {c for (c,) in execute(con, "SELECT column_name FROM information_schema.columns "
                                              "WHERE table_schema = 'raw' AND table_name = ?", [table])}
        if not {"_period", "_file_hash", "_row_number"} <= columns:
            return None
        for period, n, h in execute(con, f"SELECT _period, count(*), bit_xor(hash(_file_hash, _row_number)) "
                                         f"FROM raw.{table} WHERE _period IS NOT NULL GROUP BY 1"):
            parts.setdefault(period, []).append(f"{table}:{n}:{h}")
    return {p: "|".join(sorted(v)) for p, v in parts.items()}
