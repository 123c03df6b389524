"""Rejected files, said the same way everywhere: the run's closing line and exit status, the
data-quality report, the Dagster check and the dashboards' data-quality panel.

"nmds_events 2025Q4 correction rejected (reason); figures use the file loaded on 2026-01-12"
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import duckdb


@dataclass(frozen=True)
class Rejection:
    source_id: str
    file_name: str
    file_hash: str
    period: str | None
    reason: str
    rejected_at: datetime
    kept_file: str | None
    kept_loaded_at: datetime | None

    @property
    def line(self) -> str:
        what = f"{self.period} correction" if self.kept_file else (self.period or "file")
        reason = self.reason.removeprefix(f"{self.file_name}: ").removesuffix("; file not loaded")
        head = f"{self.source_id} {what} rejected ({self.file_name}: {reason})"
        if self.kept_file:
            return (f"{head}; figures use the file loaded on {self.kept_loaded_at:%Y-%m-%d} "
                    f"({self.kept_file})")
        return f"{head}; nothing is loaded for {self.period}" if self.period else head


def rejected_files(con: duckdb.DuckDBPyConnection, hashes: Iterable[str] | None = None,
                   source_id: str | None = None) -> list[Rejection]:
    """Rejected files (meta.file_rejections), optionally only those with the given content
    hashes (the files still in the landing folder) or of one source."""
    rows = con.execute(
        "SELECT source_id, file_name, file_hash, period, reason, rejected_at, kept_file, "
        "kept_loaded_at FROM meta.file_rejections WHERE (? IS NULL OR source_id = ?) "
        "ORDER BY source_id, period NULLS LAST, file_name", [source_id, source_id]).fetchall()
    wanted = None if hashes is None else set(hashes)
    seen: set[tuple[str, str, str]] = set()
    out = []
    for row in rows:
        r = Rejection(*row)
        key = (r.source_id, r.file_hash, r.file_name)
        if (wanted is not None and r.file_hash not in wanted) or key in seen:
            continue
        seen.add(key)
        out.append(r)
    return out
