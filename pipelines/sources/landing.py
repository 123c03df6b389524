"""The landing folder: one sub-folder per source, files detected by content hash.

Every file in a source's folder is taken (hidden files aside): one of an unsupported type is
rejected with its reason rather than silently ignored. Folders that are no source are reported
with the nearest source id (`unrecognised`).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path


@dataclass(frozen=True)
class LandingFile:
    source_id: str
    path: Path
    sha256: str

    @property
    def name(self) -> str:
        return self.path.name


def sha256_of(path: Path, chunk: int = 1 << 20) -> str:
    """The file's content hash, read once per process while the file stays as it is.

    One `slm run` looks at the landing folder three times (the scan, each raw asset, the closing
    summary) and the daemon's sensor every minute: 1.4 GB of national extracts took ~1.8 s to hash
    each time. The key holds the inode and ctime as well as size and mtime: ctime cannot be set
    back by a copy that preserves times (`cp -p`, rsync), so a changed file is always hashed again.
    """
    st = path.stat()
    return _sha256(path.resolve(), st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns, chunk)


@lru_cache(maxsize=4096)
def _sha256(path: Path, _dev: int, _ino: int, _size: int, _mtime: int, _ctime: int, chunk: int) -> str:
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
    paths = sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))
    return [LandingFile(source_id, p, sha256_of(p)) for p in paths]


def unrecognised(landing: Path, source_ids: list[str]) -> list[str]:
    """What in the landing folder belongs to no source: one line each, with the nearest id."""
    from pipelines.sources.header import closest

    if not landing.is_dir():
        return []
    out = []
    for entry in sorted(landing.iterdir()):
        if entry.name.startswith(".") or entry.name in source_ids:
            continue
        stem = entry.name.split(".")[0] if entry.is_file() else entry.name
        near = closest(stem, source_ids) or next(
            (s for s in source_ids if stem.startswith(s) or s.startswith(stem)), None)
        what = "folder" if entry.is_dir() else "file"
        hint = f"; did you mean {near}/?" if near else f"; sources are {', '.join(source_ids)}"
        where = "not read: files belong in a source's folder" if entry.is_file() else \
            "not read: no data contract has this id"
        out.append(f"landing {what} {entry.name!r} {where}{hint}")
    return out
