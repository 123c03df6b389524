"""Allowed code sets, looked up in the reference tables a contract points at.

Contracts never copy a code list: they name it, e.g. `ref.districts.code3` or
`ref.contract_code_sets.code[code_set=nmds_event_type]` (rows filtered on column = value).
The names are the `ref` tables pipelines/reference.py loads from reference/*.csv, so the warehouse
and the contracts read the same files.
"""

from __future__ import annotations

import csv
import re
from functools import cache
from pathlib import Path

from pipelines.config import REFERENCE_DIR
from pipelines.reference import reference_files

_REF = re.compile(r"^ref\.(?P<table>\w+)\.(?P<column>\w+)(?:\[(?P<filters>[^\]]+)\])?$")


def parse_reference(ref: str) -> tuple[str, str, dict[str, str]]:
    """`ref.table.column[k=v, k2=v2]` → (table, column, {k: v})."""
    m = _REF.match(ref.strip())
    if not m:
        raise ValueError(f"not a reference (expected ref.<table>.<column>[col=value]): {ref!r}")
    filters: dict[str, str] = {}
    for part in (m.group("filters") or "").split(","):
        if part.strip():
            key, _, value = part.partition("=")
            filters[key.strip()] = value.strip()
    return m.group("table"), m.group("column"), filters


@cache
def _rows(table: str, root: Path) -> tuple[dict[str, str], ...]:
    files = reference_files(root)
    if table not in files:
        raise ValueError(f"no reference table ref.{table} (no {table}.csv under {root})")
    with files[table].open(encoding="utf-8", newline="") as fh:
        return tuple({k: (v or "").strip() for k, v in row.items()} for row in csv.DictReader(fh))


def resolve(ref: str, root: Path = REFERENCE_DIR) -> tuple[str, ...]:
    """Distinct non-empty values of the referenced column, sorted. An empty result is an error:
    it almost always means a typo in the filter, and an empty set would reject every row."""
    table, column, filters = parse_reference(ref)
    rows = _rows(table, Path(root))
    if rows and column not in rows[0]:
        raise ValueError(f"{ref}: ref.{table} has no column {column!r}")
    values = {
        r[column] for r in rows
        if r[column] and all(r.get(k) == v for k, v in filters.items())
    }
    if not values:
        raise ValueError(f"{ref}: no values (check the table, column and filter)")
    return tuple(sorted(values))
