"""Typing a text batch as its contract declares, and naming every cell that will not type.

DuckDB's TRY_CAST is too forgiving for integers ('1.5' becomes 2), so whole numbers must look
like whole numbers before they are cast.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from pipelines.contracts.sql import quote
from pipelines.periods import sql_period_label
from pipelines.sources.readers import ROW_NUMBER, SHEET

_INTEGER_TYPES = {"TINYINT", "SMALLINT", "INTEGER", "INT", "BIGINT", "HUGEINT"}
_TEXT_TYPES = {"VARCHAR", "TEXT", "STRING"}
_WHOLE_NUMBER = r"[+-]?[0-9]+(\.0*)?"


class Column(Protocol):
    name: str
    physical_type: str
    restricted: bool


def cast_expression(column: str, physical_type: str) -> str:
    text = f"NULLIF(trim({quote(column)}), '')"
    base = _base_type(physical_type)
    if base in _TEXT_TYPES:
        return text
    if base in _INTEGER_TYPES:
        return (
            f"CASE WHEN regexp_full_match({text}, '{_WHOLE_NUMBER}') "
            f"THEN TRY_CAST(TRY_CAST({text} AS DOUBLE) AS {physical_type}) END"
        )
    return f"TRY_CAST({text} AS {physical_type})"


def _base_type(physical_type: str) -> str:
    """VARCHAR(10) → VARCHAR: the type without its parameters."""
    return physical_type.upper().split("(")[0].strip()


def period_expression(column: str, physical_type: str, kind: str) -> str:
    typed = cast_expression(column, physical_type)
    base = _base_type(physical_type)
    if base in {"DATE", "TIMESTAMP"}:
        return sql_period_label(typed, kind)
    if base in _INTEGER_TYPES:  # a year
        return f"CAST({typed} AS VARCHAR)"
    return f"upper({typed})"  # already a label such as 2024Q1


def typed_select(
    columns: Sequence[Column], present: set[str], period_column: str, period_kind: str, relation: str
) -> str:
    """SELECT the batch with contract types, its row number, sheet and period label."""
    by_name = {c.name: c for c in columns}
    parts = [ROW_NUMBER]
    if SHEET in present:
        parts.append(SHEET)
    for c in columns:
        expr = cast_expression(c.name, c.physical_type) if c.name in present else f"CAST(NULL AS {c.physical_type})"
        parts.append(f"{expr} AS {quote(c.name)}")
    period_col = by_name[period_column]
    parts.append(
        f"{period_expression(period_col.name, period_col.physical_type, period_kind)} AS _period"
    )
    return f"SELECT {', '.join(parts)} FROM {relation}"


def type_violations_select(
    source_id: str, columns: Sequence[Column], present: set[str], relation: str
) -> str:
    """Rows whose non-empty cell does not type: (_row_number, rule_id, severity, reason)."""
    selects = []
    for c in columns:
        # A text column types whatever it holds (its cast is the trimmed text): nothing to look for.
        if c.name not in present or _base_type(c.physical_type) in _TEXT_TYPES:
            continue
        text = f"NULLIF(trim({quote(c.name)}), '')"
        shown = "'value withheld'" if c.restricted else f"'''' || {text} || ''''"
        selects.append(
            f"SELECT {ROW_NUMBER}, '{source_id}.schema.{c.name}.type' AS rule_id, 'error' AS severity, "
            f"'column {c.name}: ' || {shown} || ' is not a valid {c.physical_type}' AS reason "
            f"FROM {relation} WHERE {text} IS NOT NULL AND {cast_expression(c.name, c.physical_type)} IS NULL"
        )
    if not selects:
        return (
            f"SELECT CAST(NULL AS BIGINT) AS {ROW_NUMBER}, '' AS rule_id, '' AS severity, "
            "'' AS reason WHERE false"
        )
    return "\nUNION ALL\n".join(selects)
