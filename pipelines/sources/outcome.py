"""What a run leaves unloaded, for its closing line and exit status: files in the landing folder
that were rejected (now or in an earlier run: they stay rejected while they are there) and
landing entries that belong to no source."""

from __future__ import annotations

from dataclasses import dataclass, field

from pipelines.config import Settings
from pipelines.contracts.loader import contract_ids
from pipelines.sources.landing import discover, unrecognised
from pipelines.sources.rejections import Rejection, rejected_files
from pipelines.warehouse import connect

EXIT_REJECTED = 2  # completed, but some files were not loaded


@dataclass
class LandingOutcome:
    rejections: list[Rejection] = field(default_factory=list)
    unrecognised: list[str] = field(default_factory=list)
    # files no job looked at: a period kind whose every file lacks a usable period runs no job
    pending: list[str] = field(default_factory=list)

    @property
    def lines(self) -> list[str]:
        return [r.line for r in self.rejections] + self.unrecognised + self.pending

    @property
    def exit_status(self) -> int:
        return EXIT_REJECTED if self.rejections or self.unrecognised or self.pending else 0

    def closing(self, ok: bool = True) -> str:
        if not ok:
            return "FAILED: a job failed (see above)"
        n = len(self.rejections)
        not_read = len(self.unrecognised) + len(self.pending)
        extra = f", {not_read} landing entries not read" if not_read else ""
        if not n and not extra:
            return "completed: every landing file loaded"
        return f"completed with {n} rejected file{'' if n == 1 else 's'}{extra}"


def landing_outcome(settings: Settings) -> LandingOutcome:
    sources = contract_ids()
    files = [f for s in sources for f in discover(settings.landing, s)]
    with connect(settings.warehouse) as con:
        rejections = rejected_files(con, {f.sha256 for f in files})
        seen = {(s, h) for s, h in con.sql("SELECT DISTINCT source_id, file_hash FROM "
                                           "meta.provenance").fetchall()}
    pending = [f"{f.source_id}/{f.name} not read by any job: no usable period in it; land a "
               "readable extract" for f in files if (f.source_id, f.sha256) not in seen]
    return LandingOutcome(rejections, unrecognised(settings.landing, sources), pending)
