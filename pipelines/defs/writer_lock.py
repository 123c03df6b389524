"""One writer on the DuckDB file, whoever starts the run: `slm run`, the UI, a sensor, a schedule.

DuckDB lets one process write a database file. A run holds an exclusive lock on
`<warehouse>.writer.lock` from the moment its resources are set up until they are torn down, and
writes its run id into the file. The operating system drops the lock when the process ends, even
when it is killed, which is how `mark_abandoned_runs_failed` tells a killed run from a live one.
"""

from __future__ import annotations

import fcntl
import json
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

_HELD: dict[Path, list] = {}  # lock file → [open file, depth]: re-entrant within one process


class WarehouseBusy(RuntimeError):
    """Another process is writing the warehouse."""


def lock_file(database: Path | str) -> Path:
    return Path(f"{database}.writer.lock").absolute()


@contextmanager
def writer_lock(database: Path | str, holder: dict, wait_seconds: float = 0.0) -> Iterator[None]:
    """Hold the writer lock; wait up to `wait_seconds` for another writer, then raise WarehouseBusy."""
    path = lock_file(database).absolute()
    if path in _HELD:
        _HELD[path][1] += 1
        try:
            yield
        finally:
            _HELD[path][1] -= 1
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = open(path, "a+", encoding="utf-8")  # noqa: SIM115 (held across the yield)
    try:
        _acquire(handle, path, wait_seconds)
        handle.seek(0)
        handle.truncate()
        handle.write(json.dumps({**holder, "pid": os.getpid(),
                                 "since": datetime.now(UTC).isoformat(timespec="seconds")}))
        handle.flush()
        _HELD[path] = [handle, 1]
        try:
            yield
        finally:
            del _HELD[path]
            handle.seek(0)
            handle.truncate()
            handle.flush()
            fcntl.flock(handle, fcntl.LOCK_UN)
    finally:
        handle.close()


def _acquire(handle: IO, path: Path, wait_seconds: float) -> None:
    deadline = time.monotonic() + wait_seconds
    while True:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() >= deadline:
                raise WarehouseBusy(busy_message(_read(path))) from None
            time.sleep(0.5)


def current_writer(database: Path | str) -> dict | None:
    """Who holds the writer lock now (run id, job, pid, since), or None when nobody does."""
    path = lock_file(database)
    if not path.exists():
        return None
    if path in _HELD:
        return _read(path)
    with open(path, "a+", encoding="utf-8") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return _read(path)
        fcntl.flock(handle, fcntl.LOCK_UN)
    return None


def busy_message(holder: dict | None) -> str:
    who = holder or {}
    what = f"run {who['run_id'][:8]}" if who.get("run_id") else "process"
    job = f" ({who['job']})" if who.get("job") else ""
    return (f"another {what}{job} is writing the warehouse since {who.get('since', '?')} "
            f"(pid {who.get('pid', '?')}); wait for it to finish, then try again")


def _read(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8") or "{}")
    except (OSError, ValueError):
        return {}
