"""The landing folder: one sub-folder per source, files detected by content hash.

Every file in a source's folder is taken (hidden files aside): one of an unsupported type is
rejected with its reason rather than silently ignored. Folders that are no source are reported
with the nearest source id (`unrecognised`).
"""

from __future__ import annotations

import hashlib
import json
import os
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
    kept = _kept_hashes(landing.resolve())
    found, changed = [], False
    for path in paths:
        st, name = path.stat(), str(path.resolve())
        key = [st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns]
        entry = kept.get(name)
        if not (isinstance(entry, list) and len(entry) == 6 and entry[:5] == key):
            kept[name], changed = [*key, sha256_of(path)], True
        found.append(LandingFile(source_id, path, kept[name][5]))
    here, gone = str(folder.resolve()), set(kept) - {str(p.resolve()) for p in paths}
    for name in [n for n in gone if os.path.dirname(n) == here]:
        del kept[name]
        changed = True
    if changed:
        _keep_hashes(landing.resolve(), kept)
    return found


# A landing folder's content hashes, kept between processes in a hidden file beside the folder,
# under the same key as sha256_of's: `slm run` and each run worker the daemon starts hashed the
# national landing folder (1.4 GB) afresh, 1.4 s. A folder whose parent cannot be written (a
# read-only share) keeps its hashes per process only.
def _hashes_file(landing: Path) -> Path:
    return landing.parent / f".{landing.name}.content-hashes.json"


@lru_cache(maxsize=16)
def _kept_hashes(landing: Path) -> dict[str, list]:
    try:
        kept = json.loads(_hashes_file(landing).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return kept if isinstance(kept, dict) else {}


def _keep_hashes(landing: Path, kept: dict[str, list]) -> None:
    target = _hashes_file(landing)
    scratch = target.with_name(f"{target.name}.{os.getpid()}.tmp")
    try:
        scratch.write_text(json.dumps(kept, sort_keys=True), encoding="utf-8")
        os.replace(scratch, target)  # whole or not at all: a reader never sees half a file
    except OSError:
        scratch.unlink(missing_ok=True)


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
