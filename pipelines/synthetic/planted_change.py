"""An opt-in step change planted in ASH 0–4, so a decomposition can be tested to find it.

`group=pacific:x2@2025Q1` multiplies the planted ASH 0–4 rate of Pacific children by 2 from
2025Q1 on, in every district; `condition=dental:x3@2025Q1` does the same for dental admissions
(the Dental chapter of the ASH list) only. Off by default: without it the generator's output is
unchanged, byte for byte. The planted truth (truth.parquet, planted_rates.parquet) includes the
change, because it is computed from the same expected rates.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from .calendar import Quarter
from .reference import GROUP_IDS

# Condition groups that the ASH streams keep apart (streams.build_streams), by the chapter of the
# ASH code list their codes belong to; the other chapters share one diagnosis pool.
CONDITION_STREAMS: dict[str, tuple[str, ...]] = {
    "dental": ("ash_dental_elective", "ash_dental_acute"),
    "vaccine_preventable": ("ash_vaccine_preventable", "ash_mmr_over_15_months"),
}
_SPEC = re.compile(r"^(group|condition)=([a-z_]+):x([0-9]*\.?[0-9]+)@(\d{4}Q[1-4])$")


@dataclass(frozen=True)
class PlantedChange:
    kind: str  # "group" | "condition"
    target: str  # an ethnic group id, or a key of CONDITION_STREAMS
    factor: float
    from_quarter: Quarter

    @classmethod
    def parse(cls, spec: str) -> PlantedChange:
        m = _SPEC.match(spec.strip())
        if not m:
            raise ValueError(f"planted change {spec!r}: expected group=<id>:x<factor>@<quarter> "
                             "or condition=<group>:x<factor>@<quarter>, e.g. group=pacific:x2@2025Q1")
        kind, target, factor, quarter = m.groups()
        known = GROUP_IDS if kind == "group" else tuple(CONDITION_STREAMS)
        if target not in known:
            raise ValueError(f"planted change {spec!r}: unknown {kind} {target!r}; "
                             f"choose from {', '.join(known)}")
        return cls(kind, target, float(factor), Quarter.parse(quarter))

    def group_multiplier(self, stream_name: str, years: float, from_years: float) -> np.ndarray:
        """(group,) multiplier of an ASH counting stream's rate at `years` since the reference."""
        out = np.ones(len(GROUP_IDS))
        if years < from_years:
            return out
        if self.kind == "group":
            out[GROUP_IDS.index(self.target)] = self.factor
        elif stream_name in CONDITION_STREAMS[self.target]:
            out[:] = self.factor
        return out
