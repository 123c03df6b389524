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
