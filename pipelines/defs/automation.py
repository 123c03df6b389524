"""What starts runs without a person: the landing sensor, the downstream refresh, the quarterly
schedule, and the sensor that marks killed runs as failed. All run in `dagster-daemon` (started
by `make ui`); `slm run` uses the same scan and jobs from the command line.

landing_folder        new or changed files (by content hash) → ingestion runs for exactly the
                      partitions they cover (pipelines/defs/landing_scan.py)
refresh_downstream    declarative automation: after raw data changes, the assets that read it,
                      and only those, recompute (automation_conditions.py)
quarterly_refresh     everything downstream of the raw data, mid-month after each quarter ends
                      (a definition change in measures.yaml reaches every output at least then)
mark_killed_runs_failed  a run marked started whose process no longer holds the writer lock
                      was killed: it is marked failed, with the reason (run_health.py)
"""

from __future__ import annotations

import os
from pathlib import Path

import dagster as dg
import duckdb

from pipelines.defs.jobs import INGEST_JOBS, RAW, REFRESH
from pipelines.defs.landing_scan import pending_requests
from pipelines.defs.resources import Warehouse
from pipelines.defs.run_health import fail_abandoned_runs
from pipelines.defs.writer_lock import WarehouseBusy, busy_message, current_writer, writer_lock

RUNNING = dg.DefaultSensorStatus.RUNNING
# Seconds between looks at the landing folder / automation evaluations (tests shorten them).
SENSOR_SECONDS = int(os.environ.get("SLM_SENSOR_INTERVAL_SECONDS", "60"))


@dg.sensor(name="landing_folder", jobs=list(INGEST_JOBS.values()), minimum_interval_seconds=SENSOR_SECONDS,
           default_status=RUNNING,
           description="Looks at the landing folder; every new or changed file (content hash not yet "
           "in meta.provenance) becomes an ingestion run for exactly the partitions it covers.")
def landing_folder(context: dg.SensorEvaluationContext, warehouse: Warehouse):
    writer = current_writer(warehouse.database)
    if writer:
        return dg.SkipReason("warehouse busy: " + busy_message(writer))
    try:
        with writer_lock(warehouse.database, {"job": "landing_folder sensor"}), warehouse.connect() as con:
            requests = pending_requests(con, Path(warehouse.landing))
    except (WarehouseBusy, duckdb.IOException) as busy:
        return dg.SkipReason(f"warehouse busy: {busy}")
    if not requests:
        return dg.SkipReason(f"no new or changed file in {warehouse.landing}")
    for request in requests:
        context.log.info(request.describe())
    return dg.SensorResult(run_requests=[r.run_request() for r in requests])


refresh_downstream = dg.AutomationConditionSensorDefinition(
    "refresh_downstream", target=dg.AssetSelection.all() - RAW, default_status=RUNNING,
    minimum_interval_seconds=SENSOR_SECONDS, emit_backfills=False,
    description="Recomputes the assets downstream of raw data that changed, and only those.")

quarterly_refresh = dg.ScheduleDefinition(
    name="quarterly_refresh", job=REFRESH, cron_schedule="0 6 15 1,4,7,10 *",
    execution_timezone="Pacific/Auckland", default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Recompute everything downstream of the raw data mid-month after each quarter "
    "ends, when the quarter's extracts are due.")


@dg.sensor(name="mark_killed_runs_failed", minimum_interval_seconds=60, default_status=RUNNING,
           description="A run marked started whose process is gone (killed, machine restarted) is "
           "marked failed, with the reason; checked when the daemon starts and every minute.")
def mark_killed_runs_failed(context: dg.SensorEvaluationContext, warehouse: Warehouse):
    failed = fail_abandoned_runs(context.instance, warehouse.database)
    return dg.SkipReason(f"marked failed: {', '.join(failed)}" if failed else "no abandoned run")


@dg.definitions
def defs() -> dg.Definitions:
    return dg.Definitions(sensors=[landing_folder, refresh_downstream, mark_killed_runs_failed],
                          schedules=[quarterly_refresh])
