"""Stage meter for the benchmarks: wall time, CPU time and peak RSS, children included.

CPU = user + system time of this process and of its finished children (getrusage SELF +
CHILDREN), so DuckDB's threads and a Chromium child both count. Peak RSS is sampled every 50 ms
with psutil (this process plus its live descendants, summed) and combined with the largest finished
child's ru_maxrss; a sampler can miss a spike shorter than its interval, so the figure is a floor
of the true peak, never an invention. Summing RSS over processes counts pages they share (Chromium's
processes share most of theirs) once per process, so with a browser running it overstates.
"""

from __future__ import annotations

import contextlib
import resource
import threading
import time
from dataclasses import dataclass, field

import psutil


def cpu_seconds() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def tree_rss_bytes(pid: int | None = None) -> int:
    """RSS of a process and all its live descendants (psutil; a process may end while we look)."""
    try:
        root = psutil.Process(pid)
        tree = [root, *root.children(recursive=True)]
    except psutil.Error:
        return 0
    total = 0
    for process in tree:
        with contextlib.suppress(psutil.Error):
            total += process.memory_info().rss
    return total


@dataclass
class Measurement:
    stage: str
    wall: float = 0.0
    cpu: float = 0.0
    peak_mib: float = 0.0
    note: str = ""


@dataclass
class Meter:
    """`with meter.stage("ingest"): ...` records one row; `meter.table()` prints them."""

    rows: list[Measurement] = field(default_factory=list)
    interval: float = 0.05

    def stage(self, name: str, note: str = ""):
        meter = self

        class _Stage:
            def __enter__(self):
                self.m = Measurement(name, note=note)
                self._stop = threading.Event()
                self._peak = tree_rss_bytes()
                self._thread = threading.Thread(target=self._sample, daemon=True)
                self._kids_before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
                self.t0, self.c0 = time.perf_counter(), cpu_seconds()
                self._thread.start()
                return self.m

            def _sample(self):
                while not self._stop.wait(meter.interval):
                    with contextlib.suppress(OSError):
                        self._peak = max(self._peak, tree_rss_bytes())

            def __exit__(self, *exc):
                self.m.wall = time.perf_counter() - self.t0
                self.m.cpu = cpu_seconds() - self.c0
                self._stop.set()
                self._thread.join()
                kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
                child_peak = kids * 1024 if kids > self._kids_before else 0
                self.m.peak_mib = max(self._peak, child_peak) / 2**20
                meter.rows.append(self.m)
                print(f"  [{name}] wall {self.m.wall:.1f} s, CPU {self.m.cpu:.1f} s, "
                      f"peak RSS {self.m.peak_mib:.0f} MiB", flush=True)

        return _Stage()

    def table(self) -> str:
        lines = [f"{'stage':<40} {'wall s':>8} {'CPU s':>8} {'peak RSS MiB':>13}  note",
                 "-" * 84]
        lines += [f"{m.stage:<40} {m.wall:8.1f} {m.cpu:8.1f} {m.peak_mib:13.0f}  {m.note}"
                  for m in self.rows]
        return "\n".join(lines)

    def get(self, name: str) -> Measurement:
        return next(m for m in self.rows if m.stage == name)
