"""Small hand-kept files (milestone targets, the initiatives register): read whole, typed and
checked by their own contract with the same typing and row rules as the landing sources.

Such a file is a commitment an analyst wrote, so it is all or nothing: the caller refuses the
whole file when `CheckedFile.problems` is not empty, listing every row and column at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

import duckdb
import polars as pl

from pipelines.contracts.model import Contract
from pipelines.contracts.sql import row_violations_sql
from pipelines.sources.contract_types import type_violations_select, typed_select
from pipelines.sources.landing import sha256_of
from pipelines.sources.readers import ROW_NUMBER, read_as_text


@dataclass(frozen=True)
class CheckedFile:
    typed: pl.DataFrame                  # as the contract types it, in file order, with _row_number
    problems: list[tuple[int, str, str]]  # (row, rule id, reason) for every error-severity break
    missing_columns: list[str]            # required contract columns the file lacks (then typed is empty)
    blocking_rules: list[str]             # GX rules that failed (only with validate=True)


def check_hand_kept_file(path: Path, contract: Contract, validate: bool = False,
                         verdicts: duckdb.DuckDBPyConnection | None = None) -> CheckedFile:
    """Type `path` as `contract` says and collect every error-severity problem; with `validate`,
    also run the contract's Great Expectations suite on the typed rows.

    verdicts: a warehouse connection whose meta.hand_kept_verdicts holds GX's verdict on these
    bytes under this contract and GX version, if it was given before; GX runs (and the verdict
    is recorded) only when it was not. The SQL checks run every time."""
    text = read_as_text(Path(path))
    present = set(text.columns)
    missing = [c.name for c in contract.columns if c.required and c.name not in present]
    if missing:
        return CheckedFile(pl.DataFrame(), [], missing, [])
    con = duckdb.connect()
    try:
        con.register("file_text", text)
        con.execute("CREATE TEMP TABLE batch AS " + typed_select(
            contract.columns, present, contract.period_column, contract.period_kind, "file_text"))
        problems = con.sql(
            f"SELECT * FROM ({type_violations_select(contract.source_id, contract.columns, present, 'file_text')}) "
            f"UNION ALL SELECT * FROM ({row_violations_sql(contract, 'batch')}) WHERE severity = 'error' "
            "ORDER BY 1, 2").fetchall()
        blocking: list[str] = []
        if validate:
            blocking = _gx_verdict(Path(path), contract, con, verdicts)
        typed = con.sql(f"SELECT * EXCLUDE (_period) FROM batch ORDER BY {ROW_NUMBER}").pl()
    finally:
        con.close()
    found = [(row, rule, reason) for row, rule, _, reason in problems if row is not None]
    return CheckedFile(typed, found, [], blocking)


def _gx_verdict(path: Path, contract: Contract, batch: duckdb.DuckDBPyConnection,
                verdicts: duckdb.DuckDBPyConnection | None) -> list[str]:
    key = [sha256_of(path), contract.fingerprint, version("great_expectations")]
    if verdicts is not None:
        found = verdicts.execute("SELECT blocking_rules FROM meta.hand_kept_verdicts WHERE file_hash = ? "
                                 "AND contract_fingerprint = ? AND gx_version = ?", key).fetchall()
        if found:
            return list(found[0][0])
    from pipelines.contracts.validate import validate_batch

    blocking = list(validate_batch(batch, contract, "batch").blocking_rules)
    if verdicts is not None:
        verdicts.execute("INSERT OR REPLACE INTO meta.hand_kept_verdicts VALUES (?, ?, ?, ?, ?, now())",
                         [*key, path.name, blocking])
    return blocking
