"""Opt-in planted changes: a level or slope change in one measure from a given quarter.

An initiative's effect (one district, one or more planted groups) or a national change (every
district) multiplies the planted rate of every stream that counts towards the measure by

    (1 + level) × (1 + slope) ** k,   k = quarters since `start` (0 in the start quarter),

and leaves earlier quarters untouched. This is exactly the segmented log-linear model the
evaluation fits (pipelines/evaluation), so its estimates can be checked against known truth:
level change = `level`, slope change per quarter = `slope`. With no plants (the default) the
generator's output is byte-identical to a run without this module.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .calendar import Quarter
from .reference import districts
from .truth import GROUP_SETS, NATIONAL


@dataclass(frozen=True)
class PlantedChange:
    measure_id: str  # a planted NMDS measure: ash_0_4, acute_bed_days, youth_self_harm
    start: Quarter
    level: float = 0.0  # relative change from `start`, e.g. -0.15 = 15 % fewer events
    slope: float = 0.0  # relative change per quarter after `start`
    district_code: str = NATIONAL  # '000' = every district (a national change)
    group_id: str = "total"  # a reported group (truth.GROUP_SETS): maori, nmnp, total, …

    def __post_init__(self):
        if self.group_id not in GROUP_SETS:
            raise ValueError(f"planted change: unknown group {self.group_id!r}; "
                             f"choose from {sorted(GROUP_SETS)}")
        codes = [d.code3 for d in districts()]
        if self.district_code != NATIONAL and self.district_code not in codes:
            raise ValueError(f"planted change: unknown district {self.district_code!r}")
        if self.level <= -1 or self.slope <= -1:
            raise ValueError("planted change: level and slope must be above -1 (-100 %)")

    @classmethod
    def parse(cls, spec: str) -> PlantedChange:
        """measure@district@group@start@level[@slope], e.g. ash_0_4@011@maori@2024Q1@-0.15@0."""
        parts = spec.split("@")
        if len(parts) not in (5, 6):
            raise ValueError(f"planted change {spec!r}: expected "
                             "measure@district@group@start@level[@slope] (district 000 = national)")
        measure, district, group, start, level = parts[:5]
        slope = float(parts[5]) if len(parts) == 6 else 0.0
        return cls(measure, Quarter.parse(start), float(level), slope, district, group)

    def factor(self, quarter: Quarter) -> np.ndarray:
        """(district, group) multiplier of the planted rate in `quarter`."""
        out = np.ones((len(districts()), 4))
        k = quarter.index - self.start.index
        if k < 0:
            return out
        rows = (slice(None) if self.district_code == NATIONAL
                else [d.code3 for d in districts()].index(self.district_code))
        out[rows, GROUP_SETS[self.group_id]] = (1.0 + self.level) * (1.0 + self.slope) ** k
        return out

    def describe(self) -> dict:
        return {"measure_id": self.measure_id, "district_code": self.district_code,
                "group_id": self.group_id, "start": self.start.label, "level": self.level,
                "slope": self.slope}
