"""A landing file's content hash is read once per process while the file is unchanged, and read
again whenever it changes, even when a copy keeps its size and modification time."""

from __future__ import annotations

import hashlib
import os
import time

from pipelines.sources import landing
from pipelines.sources.landing import sha256_of


def test_a_changed_file_is_hashed_again_even_with_the_same_size_and_mtime(tmp_path):
    path = tmp_path / "nmds_events_2025Q4.csv"
    path.write_bytes(b"a,b\n1,2\n")
    st = path.stat()
    assert sha256_of(path) == hashlib.sha256(b"a,b\n1,2\n").hexdigest()

    time.sleep(0.05)  # past the kernel's coarse timestamp tick, as any real resend is
    path.write_bytes(b"a,b\n3,4\n")                       # same size, same inode
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))    # and the old mtime, as `cp -p` leaves it
    assert path.stat().st_size == st.st_size and path.stat().st_mtime_ns == st.st_mtime_ns
    assert sha256_of(path) == hashlib.sha256(b"a,b\n3,4\n").hexdigest()


def test_an_unchanged_file_is_read_once(tmp_path, monkeypatch):
    path = tmp_path / "population_2025.csv"
    path.write_bytes(b"x\n" * 1000)
    first = sha256_of(path)
    opened = []
    real_open = type(path).open
    monkeypatch.setattr(type(path), "open", lambda self, *a, **k: opened.append(self) or real_open(self, *a, **k))
    assert sha256_of(path) == first and opened == []
    assert landing._sha256.cache_info().hits >= 1


def _new_process() -> None:
    """What a fresh process knows: nothing in memory, only the kept hashes file."""
    landing._sha256.cache_clear()
    landing._kept_hashes.cache_clear()


def _landing(tmp_path):
    folder = tmp_path / "landing" / "nmds_events"
    folder.mkdir(parents=True)
    (folder / "nmds_events_2025Q3.csv").write_bytes(b"a,b\n1,2\n")
    (folder / "nmds_events_2025Q4.csv").write_bytes(b"a,b\n5,6\n")
    return tmp_path / "landing"


def test_another_process_reads_the_kept_hashes_not_the_files(tmp_path, monkeypatch):
    root = _landing(tmp_path)
    first = landing.discover(root, "nmds_events")
    assert (tmp_path / ".landing.content-hashes.json").is_file()
    _new_process()
    opened = []
    real_open = type(root).open
    monkeypatch.setattr(type(root), "open", lambda self, *a, **k: opened.append(self) or real_open(self, *a, **k))
    assert landing.discover(root, "nmds_events") == first
    assert [p.name for p in opened] == [".landing.content-hashes.json"]   # and no landing file


def test_another_process_hashes_a_changed_file_again(tmp_path):
    root = _landing(tmp_path)
    path = root / "nmds_events" / "nmds_events_2025Q4.csv"
    landing.discover(root, "nmds_events")
    st = path.stat()
    time.sleep(0.05)
    path.write_bytes(b"a,b\n7,8\n")                        # same size and inode, old mtime
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    _new_process()
    found = {f.name: f.sha256 for f in landing.discover(root, "nmds_events")}
    assert found[path.name] == hashlib.sha256(b"a,b\n7,8\n").hexdigest()


def test_a_removed_file_leaves_the_kept_hashes(tmp_path):
    root = _landing(tmp_path)
    landing.discover(root, "nmds_events")
    (root / "nmds_events" / "nmds_events_2025Q3.csv").unlink()
    landing.discover(root, "nmds_events")
    kept = (tmp_path / ".landing.content-hashes.json").read_text()
    assert "nmds_events_2025Q3.csv" not in kept and "nmds_events_2025Q4.csv" in kept


def test_an_unreadable_or_unwritable_hashes_file_only_costs_hashing(tmp_path, monkeypatch):
    root = _landing(tmp_path)
    (tmp_path / ".landing.content-hashes.json").write_text("{not json")
    _new_process()
    expected = hashlib.sha256(b"a,b\n1,2\n").hexdigest()
    assert landing.discover(root, "nmds_events")[0].sha256 == expected
    _new_process()
    monkeypatch.setattr(landing, "_hashes_file", lambda folder: tmp_path / "missing" / "hashes.json")
    assert landing.discover(root, "nmds_events")[0].sha256 == expected
