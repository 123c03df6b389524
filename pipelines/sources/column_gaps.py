"""Withhold a measure's windows that contain a period whose loaded file lacked a column the
measure reads (the contract's `readBy`), instead of computing it on a column of NULLs.

Columns read by every measure of a source block the period itself (meta.period_status), so
every window of that source is withheld already; this handles the columns only some measures
read (external_cause_code → youth_self_harm), so the other measures still publish.
"""

from __future__ import annotations

import duckdb
import polars as pl

from pipelines.periods import parse_label
from pipelines.warehouse import table_exists


def column_gaps(con: duckdb.DuckDBPyConnection, measure_id: str) -> list[tuple[str, str, str, str]]:
    """(source_id, period, column, file name) of every loaded period missing a column it reads."""
    if not table_exists(con, "meta", "column_gaps"):
        return []
    return con.execute("SELECT source_id, period, column_name, file_name FROM meta.column_gaps "
                       "WHERE list_contains(read_by, ?) ORDER BY ALL", [measure_id]).fetchall()


def withhold_for_missing_columns(con: duckdb.DuckDBPyConnection, measure_id: str,
                                 rows: pl.DataFrame) -> pl.DataFrame:
    """Rows (with period_start, period_end, withheld, blocking_rules) whose window overlaps a
    gap become withheld, with the gap named as the rule that blocked them."""
    for source_id, period, column, file_name in column_gaps(con, measure_id):
        p = parse_label(period)
        hit = (pl.col("period_start") <= p.end) & (pl.col("period_end") >= p.start)
        rule = f"{source_id}.schema.{column}.missing ({file_name} has no {column} for {period})"
        rules = pl.col("blocking_rules").fill_null(pl.lit([], dtype=pl.List(pl.String)))
        rows = rows.with_columns(
            (pl.col("withheld").fill_null(False) | hit).alias("withheld"),
            pl.when(hit).then(rules.list.concat(pl.lit([rule]))).otherwise(pl.col("blocking_rules"))
            .alias("blocking_rules"),
        )
    return rows
