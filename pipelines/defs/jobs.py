"""Jobs: ingestion by period kind (a job has one partitions definition), then one refresh of
everything downstream. The landing sensor requests the ingestion jobs; the quarterly schedule
and `slm run --all` the refresh; the UI can launch any of them."""

from __future__ import annotations

import dagster as dg

from pipelines import contracts
from pipelines.defs.partitions import BY_KIND
from pipelines.defs.sources import source_ids

RAW = dg.AssetSelection.groups("sources")
REFRESH_JOB = "refresh_measures_and_dashboards"


def sources_by_kind() -> dict[str, list[str]]:
    kinds: dict[str, list[str]] = {}
    for source_id in source_ids():
        kinds.setdefault(contracts.load_contract(source_id).period_kind, []).append(source_id)
    return kinds


def ingest_job_name(kind: str) -> str:
    return {"quarter": "ingest_quarterly", "half_year": "ingest_half_yearly", "year": "ingest_yearly"}[kind]


INGEST_JOBS = {
    kind: dg.define_asset_job(
        ingest_job_name(kind),
        selection=dg.AssetSelection.assets(*[f"raw_{s}" for s in sources]),
        partitions_def=BY_KIND[kind],
        description=f"Load new or changed {kind} extracts from the landing folder and check "
        "them against their data contracts.",
    )
    for kind, sources in sources_by_kind().items()
}

REFRESH = dg.define_asset_job(
    REFRESH_JOB, selection=dg.AssetSelection.all() - RAW,
    description="Reference data, staging, every measure, equity, trend, exports, dashboards, "
    "reconciliation, and the checks on them.",
)


@dg.definitions
def defs() -> dg.Definitions:
    return dg.Definitions(jobs=[*INGEST_JOBS.values(), REFRESH])
