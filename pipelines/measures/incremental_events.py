"""A measure's events table kept up to date per period, as the staging table it reads is.

A measure SQL file may declare, in the comments right above the statement creating a marts table:

    -- incremental by: discharge_quarter
    CREATE OR REPLACE TABLE marts.ash_0_4_events AS <query>;

It promises what a per-period staging file promises (pipelines/staging.py): every row of the
table comes from the rows of one period of the one staging table the query reads, and carries
that period, as it is, in the column named. The table is then rebuilt only for the staging periods
that changed since its last build: a new quarter's events are computed and inserted, a corrected
quarter's replaced, and the rest of history is left as it is (on the national data the bed-day
stays were 2.8 s to rebuild whole, mostly DuckDB writing 2.5 M rows).

It is rebuilt whole when its definition changes (the measure's SQL, `_common.sql`, the definition
choices passed to the SQL as variables, the reference tables they read), when it has no record of
an earlier build, or when the staging table has no per-period record (built whole). A staging
period's fingerprint is the staging table's own record of it (meta.staging_periods: its raw rows'
fingerprint and the staging definition); the fingerprints each table was last built from are kept
in meta.mart_periods. tests/measures/test_incremental_events.py checks that per-period builds equal
whole ones.
"""

from __future__ import annotations

import re

import duckdb

from pipelines.staging import (
    PeriodBuild,
    changed_periods,
    definition_hash,
    incremental_column,
    rebuild_periods,
    record_periods,
    transaction,
)
from pipelines.warehouse import execute, table_exists

_DECLARED = re.compile(r"^--\s*incremental by:\s*([a-z0-9_]+)\b[^\n]*\n(?:--[^\n]*\n)*"
                       r"CREATE OR REPLACE TABLE marts\.([a-z0-9_]+) AS\b", re.IGNORECASE | re.MULTILINE)
_CREATE = re.compile(r"^CREATE OR REPLACE TABLE marts\.([a-z0-9_]+) AS\s+(.*)$", re.IGNORECASE | re.DOTALL)
_STAGING = re.compile(r"\bstaging\.([a-z0-9_]+)", re.IGNORECASE)


def declared(sql: str) -> dict[str, str]:
    """marts table → the period column it is built by, for every declaration in `sql`."""
    return {table: column for column, table in _DECLARED.findall(sql)}


def run_statements(con: duckdb.DuckDBPyConnection, sql: str, definition_texts: list[str]) -> list[PeriodBuild]:
    """Run a measure file's statements in order; a declared table is brought up to date per period.
    `definition_texts`: everything its rows depend on besides the staging rows (SQL texts, the
    variables as text), hashed with the reference tables they name."""
    incremental = declared(sql)
    definition = definition_hash(con, definition_texts) if incremental else ""
    builds = []
    for statement in con.extract_statements(sql):
        created = _CREATE.match(_without_trailer(statement.query))
        if created and created.group(1) in incremental:
            builds.append(_build(con, created.group(1), incremental[created.group(1)], created.group(2),
                                 statement.query, definition))
        else:
            execute(con, statement.query)
    missing = set(incremental) - {b.name for b in builds}
    if missing:
        raise ValueError(f"`incremental by` declared for marts.{', marts.'.join(sorted(missing))}, "
                         "but no `CREATE OR REPLACE TABLE` of it follows the declaration")
    return builds


def _build(con, table: str, column: str, query: str, create: str, definition: str) -> PeriodBuild:
    source = _staging_source(table, column, query)
    current = {period: f"{fingerprint}|{staging_definition}" for period, fingerprint, staging_definition in
               execute(con, "SELECT period, fingerprint, definition FROM meta.staging_periods "
                            "WHERE table_name = ?", [source])}
    if not current:
        with transaction(con):
            execute(con, create)
            execute(con, "DELETE FROM meta.mart_periods WHERE table_name = ?", [table])
        return PeriodBuild(table, "whole", why=f"staging.{source} is built whole")
    recorded = dict(execute(con, "SELECT period, fingerprint FROM meta.mart_periods "
                                 "WHERE table_name = ? AND definition = ?", [table, definition]))
    changed = changed_periods(current, recorded)
    why = ("no earlier build of this definition" if not recorded or not table_exists(con, "marts", table)
           else "every staging period changed" if set(current) <= set(changed) else None)
    if why:
        with transaction(con):
            execute(con, create)
            record_periods(con, table, current, definition, "meta.mart_periods")
        return PeriodBuild(table, "whole", why=why)
    if not changed:
        return PeriodBuild(table, "unchanged")
    rebuild_periods(con, "marts", table, column, query, changed, current, definition, "meta.mart_periods")
    return PeriodBuild(table, "periods", changed)


def _without_trailer(query: str) -> str:
    """A statement as DuckDB splits it ends with its `;` and the next statement's leading comments."""
    lines = query.rstrip().split("\n")
    while lines and (not lines[-1].strip() or lines[-1].lstrip().startswith("--")):
        lines.pop()
    return "\n".join(lines).rstrip().removesuffix(";")


def _staging_source(table: str, column: str, query: str) -> str:
    """The one staging table the query reads, which must itself be built by `column`."""
    sources = sorted({s.lower() for s in _STAGING.findall(query)})
    if len(sources) != 1:
        raise ValueError(f"marts.{table} declares `incremental by: {column}` but reads "
                         f"{len(sources)} staging tables ({', '.join(sources) or 'none'}); it must read one")
    if incremental_column(sources[0]) != column:
        raise ValueError(f"marts.{table} declares `incremental by: {column}`, but staging.{sources[0]} "
                         f"is built by {incremental_column(sources[0]) or 'nothing (whole)'}")
    return sources[0]
