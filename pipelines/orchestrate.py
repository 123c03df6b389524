"""Run the whole pipeline through Dagster: ingestion jobs (one per period kind, each over the
partition range the landing folder covers), then the refresh of everything downstream.

Used by `slm run` against the persistent instance and by the tests against an ephemeral one, so
both exercise exactly the same jobs.
"""

from __future__ import annotations

from dataclasses import dataclass

import dagster as dg
from dagster._core.storage.tags import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG

from pipelines import contracts
from pipelines.config import Settings
from pipelines.defs.jobs import REFRESH_JOB, ingest_job_name
from pipelines.defs.sources import source_ids
from pipelines.periods import parse_label
from pipelines.sources import discover
from pipelines.sources.ingest import file_main_period
from pipelines.warehouse import connect


@dataclass
class JobRun:
    job_name: str
    result: dg.ExecuteInProcessResult

    @property
    def success(self) -> bool:
        return self.result.success


def landing_ranges(settings: Settings) -> dict[str, tuple[str, str]]:
    """For each period kind, the first and last partition key that landing files cover."""
    keys: dict[str, list[str]] = {}
    with connect(settings.warehouse) as con:
        for source_id in source_ids():
            contract = contracts.load_contract(source_id)
            for f in discover(settings.landing, source_id):
                period = file_main_period(con, contract, f)
                if period:
                    keys.setdefault(contract.period_kind, []).append(parse_label(period).partition_key)
    return {kind: (min(k), max(k)) for kind, k in keys.items()}


def run_all(definitions: dg.Definitions, instance: dg.DagsterInstance, settings: Settings,
            on_start=lambda name, detail: None, console_log_level: str = "WARNING") -> list[JobRun]:
    """Every event still goes to the instance's event log (what the UI shows); the console only
    shows what needs a person's attention."""
    quiet = {"loggers": {"console": {"config": {"log_level": console_log_level}}}}
    runs = []
    for kind, (first, last) in sorted(landing_ranges(settings).items()):
        job = definitions.resolve_job_def(ingest_job_name(kind))
        on_start(job.name, f"partitions {first} … {last}")
        runs.append(JobRun(job.name, job.execute_in_process(
            instance=instance, raise_on_error=False, run_config=quiet,
            tags={ASSET_PARTITION_RANGE_START_TAG: first, ASSET_PARTITION_RANGE_END_TAG: last})))
    on_start(REFRESH_JOB, "")
    runs.append(JobRun(REFRESH_JOB, definitions.resolve_job_def(REFRESH_JOB).execute_in_process(
        instance=instance, raise_on_error=False, run_config=quiet)))
    return runs
