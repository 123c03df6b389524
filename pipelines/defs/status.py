"""`slm status`: where the pipeline stands, from the warehouse and the Dagster instance.

Per source: the latest loaded period, rejected files, blocked periods. Then assets that are
stale (never materialised, or older than something they read) and the last runs with outcome,
from the same run history the UI shows.
"""

from __future__ import annotations

from datetime import UTC, datetime

import dagster as dg
import duckdb

from pipelines.config import Settings
from pipelines.defs.sources import source_ids
from pipelines.defs.writer_lock import busy_message, current_writer

SOURCES_SQL = """
WITH files AS (
    SELECT source_id,
           max(period) FILTER (WHERE status = 'loaded')               AS latest_loaded,
           count(DISTINCT file_hash) FILTER (WHERE status = 'loaded')   AS files_loaded,
           count(DISTINCT file_hash) FILTER (WHERE status = 'rejected') AS files_rejected
    FROM meta.provenance GROUP BY source_id
),
blocked AS (
    SELECT source_id, string_agg(period, ', ' ORDER BY period) AS blocked_periods
    FROM meta.period_status WHERE status = 'blocked' GROUP BY source_id
)
SELECT s.source_id, f.latest_loaded, coalesce(f.files_loaded, 0), coalesce(f.files_rejected, 0),
       b.blocked_periods
FROM (SELECT unnest(?::VARCHAR[]) AS source_id) s
LEFT JOIN files f USING (source_id) LEFT JOIN blocked b USING (source_id)
ORDER BY s.source_id
"""


def source_status(settings: Settings) -> list[tuple] | str:
    if not settings.warehouse.exists():
        return f"no warehouse yet at {settings.warehouse}: run `slm run`"
    try:
        con = duckdb.connect(str(settings.warehouse), read_only=True)
    except duckdb.Error:
        return "warehouse busy: " + busy_message(current_writer(settings.warehouse))
    try:
        return con.execute(SOURCES_SQL, [source_ids()]).fetchall()
    except duckdb.CatalogException:
        return "the warehouse has no provenance yet: run `slm run`"
    finally:
        con.close()


def stale_assets(instance: dg.DagsterInstance, graph) -> list[tuple[str, str]]:
    """Assets never materialised, or materialised before one of the assets they read."""
    last = {}
    for key in graph.get_all_asset_keys():
        event = instance.get_latest_materialization_event(key)
        last[key] = event.timestamp if event else None
    stale = []
    for key in sorted(graph.get_all_asset_keys(), key=lambda k: k.to_user_string()):
        if not graph.get(key).is_materializable:
            continue
        if last[key] is None:
            stale.append((key.to_user_string(), "never materialised"))
            continue
        newer = sorted(p.to_user_string() for p in graph.get(key).parent_keys
                       if last.get(p) is not None and last[p] > last[key])
        if newer:
            stale.append((key.to_user_string(), "older than " + ", ".join(newer)))
    return stale


def last_runs(instance: dg.DagsterInstance, limit: int = 10) -> list[tuple[str, ...]]:
    rows = []
    for record in instance.get_run_records(limit=limit):
        run = record.dagster_run
        started = _time(record.start_time) if record.start_time else "not started"
        took = (f"{record.end_time - record.start_time:.0f} s"
                if record.start_time and record.end_time else "")
        rows.append((run.run_id[:8], run.job_name, run.status.value, started, took,
                     run.tags.get("slm/launched_by") or _origin(run.tags)))
    return rows


def _origin(tags) -> str:
    if tags.get("dagster/sensor_name"):
        return "sensor " + tags["dagster/sensor_name"]
    if tags.get("dagster/schedule_name"):
        return "schedule " + tags["dagster/schedule_name"]
    return "UI or API"


def _time(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def print_status(instance: dg.DagsterInstance, settings: Settings) -> None:
    from pipelines.definitions import defs

    print(f"Warehouse {settings.warehouse}; landing folder {settings.landing}")
    writer = current_writer(settings.warehouse)
    if writer:
        print("Now: " + busy_message(writer))
    sources = source_status(settings)
    print("\nSources")
    if isinstance(sources, str):
        print(f"  {sources}")
    else:
        _table(["source", "latest loaded period", "files loaded", "rejected files", "blocked periods"],
               [(s, p or "none", n, r, b or "none") for s, p, n, r, b in sources])
    stale = stale_assets(instance, defs().resolve_asset_graph())
    print(f"\nStale assets ({len(stale)})")
    _table(["asset", "why"], stale) if stale else print("  none: every asset is newer than what it reads")
    runs = last_runs(instance)
    print("\nLast runs")
    _table(["run", "job", "outcome", "started", "took", "launched by"], runs) if runs else print("  none yet")


def _table(header: list[str], rows: list[tuple]) -> None:
    widths = [max(len(str(x)) for x in column) for column in zip(header, *rows, strict=False)]
    for row in [tuple(header), *rows]:
        print("  " + "  ".join(str(x).ljust(w) for x, w in zip(row, widths, strict=False)).rstrip())
