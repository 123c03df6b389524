"""Killed runs are marked failed, not left 'started' forever.

Dagster's run monitoring cannot ask the default run launcher whether a run's process is alive, and
runs started by `slm run` have no launcher at all. Every run of this project holds the warehouse's
writer lock while it lives (writer_lock.py), and the operating system releases that lock when the
process dies. So a run still marked started, older than a short grace period (its resources may be
starting up), that does not hold the lock, was killed. The daemon checks at start and every minute
(automation.py, mark_killed_runs_failed); `slm` checks before every command.
"""

from __future__ import annotations

import time

import dagster as dg

from pipelines.defs.writer_lock import current_writer

GRACE_SECONDS = 120
IN_PROGRESS = [dg.DagsterRunStatus.STARTED]


def fail_abandoned_runs(instance: dg.DagsterInstance, database: str, now: float | None = None,
                        grace_seconds: float = GRACE_SECONDS) -> list[str]:
    """Mark failed every started run that no longer holds the writer lock; return their ids."""
    now = time.time() if now is None else now
    writer = (current_writer(database) or {}).get("run_id")
    failed = []
    for record in instance.get_run_records(filters=dg.RunsFilter(statuses=IN_PROGRESS)):
        run = record.dagster_run
        started = record.start_time or record.create_timestamp.timestamp()
        if run.run_id == writer or now - started < grace_seconds:
            continue
        instance.report_run_failed(run, message=(
            "Marked failed: the run's process ended without finishing (killed, or the machine "
            "restarted); it no longer holds the warehouse writer lock. DuckDB rolled back its "
            "unfinished transaction; launch the job again."))
        failed.append(run.run_id)
    return failed
