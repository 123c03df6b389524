"""What is new in the landing folder, as ingestion runs to request.

One function decides it for the landing sensor (the daemon, the UI) and for `slm run` alike: a
file is new when its content hash is not in meta.provenance (loaded, superseded or rejected
before). Each new file belongs to the partition of its main period; for each period kind the new
files' partitions become runs over contiguous partition ranges, selecting only the raw assets of
the sources that have new files. The run key is made of the files' content hashes, so a file
triggers one run, and a corrected file (new content) triggers again.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import dagster as dg

from pipelines import contracts
from pipelines.defs.jobs import ingest_job_name
from pipelines.defs.partitions import BY_KIND
from pipelines.defs.sources import source_ids
from pipelines.periods import parse_label
from pipelines.sources import discover
from pipelines.sources.ingest import file_main_period
from pipelines.warehouse import execute

# Dagster's documented tags for a run over a partition range (what a single-run backfill sets).
RANGE_START_TAG = "dagster/asset_partition_range_start"
RANGE_END_TAG = "dagster/asset_partition_range_end"


@dataclass(frozen=True)
class NewFile:
    source_id: str
    name: str
    sha256: str
    partition_key: str | None  # None: no readable period; any run of the source rejects it


@dataclass(frozen=True)
class IngestRequest:
    kind: str
    first: str
    last: str
    files: tuple[NewFile, ...]

    @property
    def job_name(self) -> str:
        return ingest_job_name(self.kind)

    @property
    def sources(self) -> list[str]:
        return sorted({f.source_id for f in self.files})

    @property
    def asset_keys(self) -> list[dg.AssetKey]:
        return [dg.AssetKey(f"raw_{s}") for s in self.sources]

    @property
    def tags(self) -> dict[str, str]:
        return {RANGE_START_TAG: self.first, RANGE_END_TAG: self.last}

    @property
    def run_key(self) -> str:
        digest = hashlib.sha256("".join(sorted(f.sha256 for f in self.files)).encode()).hexdigest()
        return f"{self.kind}:{self.first}..{self.last}:{digest[:16]}"

    def describe(self) -> str:
        span = self.first if self.first == self.last else f"{self.first} … {self.last}"
        return f"{self.job_name} {span}: {len(self.files)} new file(s) of {', '.join(self.sources)}"

    def run_request(self) -> dg.RunRequest:
        return dg.RunRequest(run_key=self.run_key, job_name=self.job_name, asset_selection=self.asset_keys,
                             tags=self.tags)


def new_files(con, landing: Path) -> list[NewFile]:
    seen = {(s, h) for s, h in execute(con, "SELECT DISTINCT source_id, file_hash FROM meta.provenance")}
    found = []
    for source_id in source_ids():
        contract = contracts.load_contract(source_id)
        for f in discover(landing, source_id):
            if (source_id, f.sha256) in seen:
                continue
            period = file_main_period(con, contract, f)
            key = parse_label(period).partition_key if period else None
            found.append(NewFile(source_id, f.name, f.sha256, key))
    return found


def pending_requests(con, landing: Path) -> list[IngestRequest]:
    """The ingestion runs that would load every new file, one per contiguous partition range."""
    by_kind: dict[str, list[NewFile]] = {}
    for f in new_files(con, landing):
        by_kind.setdefault(contracts.load_contract(f.source_id).period_kind, []).append(f)
    requests = []
    for kind, files in sorted(by_kind.items()):
        partitions = BY_KIND[kind]
        keys = partitions.get_partition_keys()
        fallback = keys[-1]  # an undatable file is rejected by any run of its source: use the latest
        placed = [(f, f.partition_key or fallback) for f in files if (f.partition_key or fallback) in keys]
        for first, last in _contiguous_ranges(sorted({k for _, k in placed}, key=keys.index), keys):
            span = set(keys[keys.index(first): keys.index(last) + 1])
            requests.append(IngestRequest(kind, first, last, tuple(f for f, k in placed if k in span)))
    return requests


def out_of_range_files(con, landing: Path) -> list[NewFile]:
    """New files dated outside every partition (e.g. a future quarter): never requested."""
    outside = []
    for f in new_files(con, landing):
        keys = BY_KIND[contracts.load_contract(f.source_id).period_kind].get_partition_keys()
        if f.partition_key is not None and f.partition_key not in keys:
            outside.append(f)
    return outside


def _contiguous_ranges(wanted: list[str], keys: list[str]) -> list[tuple[str, str]]:
    ranges: list[tuple[str, str]] = []
    for key in wanted:
        if ranges and keys.index(key) == keys.index(ranges[-1][1]) + 1:
            ranges[-1] = (ranges[-1][0], key)
        else:
            ranges.append((key, key))
    return ranges
