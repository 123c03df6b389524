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

    @property
    def lines(self) -> list[str]:
        return [r.line for r in self.rejections] + self.unrecognised

    @property
    def exit_status(self) -> int:
        return EXIT_REJECTED if self.rejections or self.unrecognised else 0

    def closing(self, ok: bool = True) -> str:
        if not ok:
            return "FAILED: a job failed (see above)"
        n = len(self.rejections)
        extra = f", {len(self.unrecognised)} landing entries not read" if self.unrecognised else ""
        if not n and not extra:
            return "completed: every landing file loaded"
        return f"completed with {n} rejected file{'' if n == 1 else 's'}{extra}"


def landing_outcome(settings: Settings) -> LandingOutcome:
    sources = contract_ids()
    hashes = {f.sha256 for s in sources for f in discover(settings.landing, s)}
    with connect(settings.warehouse) as con:
        rejections = rejected_files(con, hashes)
    return LandingOutcome(rejections, unrecognised(settings.landing, sources))
