"""`slm run` in Dagster terms: the landing sensor's requests, executed now, then the refresh of
exactly what depends on the sources that changed (what the automation sensor would pick). The
board papers are left to their own condition (each morning) unless asked for: `papers=True`.

Runs execute in this process and are recorded in the instance given (the project's instance for
`slm`, an ephemeral one in tests), so the UI shows them beside the runs the daemon launched.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable
from dataclasses import dataclass

import dagster as dg

from pipelines.config import Settings
from pipelines.defs.jobs import RAW, REFRESH_JOB
from pipelines.defs.landing_scan import IngestRequest, pending_requests
from pipelines.defs.publish import PAGES, PAPERS
from pipelines.defs.writer_lock import writer_lock
from pipelines.warehouse import connect

LAUNCHED_BY = {"slm/launched_by": "slm run"}


@dataclass
class JobRun:
    job_name: str
    result: dg.ExecuteInProcessResult

    @property
    def success(self) -> bool:
        return self.result.success


def scan(settings: Settings) -> list[IngestRequest]:
    with writer_lock(settings.warehouse, {"job": "slm run (landing scan)"}), connect(settings.warehouse) as con:
        return pending_requests(con, settings.landing)


def run_pending(definitions: dg.Definitions, instance: dg.DagsterInstance, settings: Settings,
                refresh_all: bool = False, on_start: Callable[[str], None] = lambda line: None,
                console_log_level: str = "WARNING", papers: bool = False) -> list[JobRun]:
    """Ingest every new file, then refresh what depends on the sources that had one (everything
    with `refresh_all`); with `papers`, print the board papers of the pages that changed (alone
    if nothing else needs a refresh). Every event goes to the instance's event log (what the UI
    shows); the console only shows what needs a person's attention."""
    quiet, tags = _quiet(console_log_level), _tags()
    runs = ingest_pending(definitions, instance, settings, on_start, console_log_level)
    changed = [key for run in runs for key in _materialized_raw(run.result)]
    rejected = sum(_newly_rejected(run.result) for run in runs)
    graph = definitions.resolve_asset_graph()
    # Reference data reloads with every refresh: it is cheap, and staging reads it.
    selection = dg.AssetSelection.all() - RAW if refresh_all else (
        (dg.AssetSelection.assets(*changed).downstream() | dg.AssetSelection.assets("reference_data")) - RAW)
    if refresh_all or changed:
        downstream = sorted(selection.resolve(graph) - {PAPERS}, key=lambda k: k.to_user_string())
        what = f"{len(downstream)} assets downstream of " + (
            "all sources" if refresh_all else ", ".join(k.to_user_string() for k in changed))
    elif rejected:
        # Nothing loaded, so no measure can change; the pages' data-quality table names the file.
        downstream, what = [PAGES], f"dashboards only ({rejected} newly rejected file(s), for the data-quality table)"
    else:
        downstream, what = [], ""
    if papers:
        what = f"{what}, then the board papers" if downstream else "the board papers"
        downstream = [*downstream, PAPERS]
    if downstream:
        on_start(f"{REFRESH_JOB}: {what}")
        runs.append(JobRun(REFRESH_JOB, definitions.resolve_job_def(REFRESH_JOB).execute_in_process(
            instance=instance, raise_on_error=False, run_config=quiet, asset_selection=downstream,
            tags=tags)))
    return runs


def print_papers(definitions: dg.Definitions, instance: dg.DagsterInstance,
                 console_log_level: str = "WARNING") -> JobRun:
    """The board papers of the pages as they stand (no ingestion, no refresh)."""
    return JobRun(REFRESH_JOB, definitions.resolve_job_def(REFRESH_JOB).execute_in_process(
        instance=instance, raise_on_error=False, run_config=_quiet(console_log_level),
        asset_selection=[PAPERS], tags=_tags()))


def ingest_pending(definitions: dg.Definitions, instance: dg.DagsterInstance, settings: Settings,
                   on_start: Callable[[str], None] = lambda line: None,
                   console_log_level: str = "WARNING") -> list[JobRun]:
    """The landing sensor's requests, each executed now as the run the sensor would launch."""
    runs = []
    for request in scan(settings):
        on_start(request.describe())
        job = definitions.resolve_job_def(request.job_name)
        runs.append(JobRun(job.name, job.execute_in_process(
            instance=instance, raise_on_error=False, run_config=_quiet(console_log_level),
            asset_selection=request.asset_keys, tags={**_tags(), **request.tags})))
    return runs


def _quiet(console_log_level: str) -> dict:
    return {"loggers": {"console": {"config": {"log_level": console_log_level}}}}


def _tags() -> dict[str, str]:
    return {**LAUNCHED_BY, "slm/host": socket.gethostname(), "slm/pid": str(os.getpid())}


def _newly_rejected(result: dg.ExecuteInProcessResult) -> int:
    return sum(int(e.metadata["newly_rejected_files"].value) for e in result.get_asset_check_evaluations()
               if "newly_rejected_files" in e.metadata)


def _materialized_raw(result: dg.ExecuteInProcessResult) -> list[dg.AssetKey]:
    return sorted({e.asset_key for e in result.get_asset_materialization_events() if e.asset_key},
                  key=lambda k: k.to_user_string())
