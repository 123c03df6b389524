"""The landing folder: one sub-folder per source, files detected by content hash."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

EXTENSIONS = (".csv", ".parquet", ".xlsx")


@dataclass(frozen=True)
class LandingFile:
    source_id: str
    path: Path
    sha256: str

    @property
    def name(self) -> str:
        return self.path.name


def sha256_of(path: Path, chunk: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def discover(landing: Path, source_id: str) -> list[LandingFile]:
    """Files for one source, in name order (so a later release supersedes an earlier one)."""
    folder = landing / source_id
    if not folder.is_dir():
        return []
    paths = sorted(p for p in folder.iterdir() if p.suffix.lower() in EXTENSIONS and p.is_file())
    return [LandingFile(source_id, p, sha256_of(p)) for p in paths]
