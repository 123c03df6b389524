"""A file's header against its contract: missing, unknown and near-miss columns.

Nothing here changes a figure by itself. A missing required column rejects the file; a missing
optional column that a measure reads (the contract's `readBy` on the column) withholds that
measure for the periods the file covers, or every measure of the source (`readBy: all`), so no
figure is computed on a column that silently became NULL. Unknown columns are reported with the
closest contract name, since a renamed column usually shows up as one missing and one unknown.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from datetime import datetime

import duckdb

from pipelines.sources.readers import ROW_NUMBER, SHEET, SHEET_ROW
from pipelines.warehouse import execute

ALL_MEASURES = "all"
_BOOKKEEPING = {ROW_NUMBER, SHEET, SHEET_ROW}


@dataclass(frozen=True)
class Finding:
    kind: str  # missing_required | missing_column | unknown_column
    column: str
    suggestion: str | None
    read_by: tuple[str, ...]
    message: str


@dataclass
class HeaderCheck:
    findings: list[Finding] = field(default_factory=list)

    @property
    def missing_required(self) -> list[Finding]:
        return [f for f in self.findings if f.kind == "missing_required"]

    @property
    def blocks_every_measure(self) -> list[Finding]:
        return [f for f in self.findings if f.kind == "missing_column" and ALL_MEASURES in f.read_by]


def closest(name: str, candidates: list[str]) -> str | None:
    """The contract name a delivered one was probably meant to be (difflib, ratio ≥ 0.6)."""
    lowered = {c.lower(): c for c in candidates}
    match = difflib.get_close_matches(name.strip().lower(), list(lowered), n=1, cutoff=0.6)
    return lowered[match[0]] if match else None


def check_header(contract, present: list[str]) -> HeaderCheck:
    delivered = [c for c in present if c not in _BOOKKEEPING]
    expected = [c.name for c in contract.columns]
    missing = [c for c in contract.columns if c.name not in delivered]
    unknown = [c for c in delivered if c not in expected]
    check = HeaderCheck()
    for c in missing:
        near = closest(c.name, unknown)
        hint = f" (the file has {near!r}: renamed?)" if near else ""
        if c.required:
            check.findings.append(Finding("missing_required", c.name, near, c.read_by,
                                          f"required column {c.name} is missing{hint}"))
            continue
        if ALL_MEASURES in c.read_by:
            effect = f"every {contract.source_id} measure is withheld for the periods it covers"
        elif c.read_by:
            effect = f"{', '.join(c.read_by)} withheld for the periods it covers"
        else:
            effect = "no measure reads it"
        check.findings.append(Finding("missing_column", c.name, near, c.read_by,
                                      f"column {c.name} is missing{hint}; {effect}"))
    for name in unknown:
        near = closest(name, [c.name for c in missing] or expected)
        hint = f"; did you mean {near!r}?" if near else ""
        check.findings.append(Finding("unknown_column", name, near, (),
                                      f"column {name!r} is not in the contract{hint}"))
    return check


def record_findings(con: duckdb.DuckDBPyConnection, source_id: str, file_name: str,
                    file_hash: str, check: HeaderCheck) -> None:
    execute(con, "DELETE FROM meta.file_findings WHERE source_id = ? AND file_hash = ?",
            [source_id, file_hash])
    now = datetime.now()
    for f in check.findings:
        execute(con, "INSERT INTO meta.file_findings VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [source_id, file_name, file_hash, f.kind, f.column, f.suggestion,
                 list(f.read_by), f.message, now])
