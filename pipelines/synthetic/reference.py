"""Reference tables the generator plants against (read as strings: codes keep leading zeros)."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path

REFERENCE_DIR = Path(__file__).resolve().parents[2] / "reference"

# Group order used in every array the generator builds (axis "g").
GROUPS = ("Māori", "Pacific", "Asian", "European or Other")
GROUP_IDS = ("maori", "pacific", "asian", "european_other")


def _rows(name: str) -> list[dict[str, str]]:
    with open(REFERENCE_DIR / name, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


@dataclass(frozen=True)
class District:
    name: str
    code3: str
    code4: str
    region: str


@cache
def districts() -> tuple[District, ...]:
    return tuple(
        District(r["dhb_name"], r["code3"], r["code4"], r["twor_region"])
        for r in _rows("districts.csv")
    )


@dataclass(frozen=True)
class EthnicCode:
    level2: str
    group4: str
    prio_rank: int


@cache
def ethnic_codes() -> tuple[EthnicCode, ...]:
    return tuple(
        EthnicCode(r["level2"], r["group4"], int(r["prio_rank_l1"]))
        for r in _rows("ethnicity_level2.csv")
    )


def prioritised_group(codes: list[str]) -> str:
    """The group4 of the highest-priority code (lowest prio_rank_l1) among `codes`."""
    by_code = {c.level2: c for c in ethnic_codes()}
    best = min((by_code[c] for c in codes if c), key=lambda c: c.prio_rank)
    return best.group4


@dataclass(frozen=True)
class AshCode:
    code: str
    condition: str
    age_min_months: int
    age_max_months: int | None
    includes_elective: bool


@cache
def ash_codes() -> tuple[AshCode, ...]:
    return tuple(
        AshCode(
            r["icd10am_code"],
            r["condition"],
            int(r["age_min_months"] or 0),
            int(r["age_max_months"]) if r["age_max_months"] else None,
            r["includes_elective"] == "yes",
        )
        for r in _rows("code_lists/ash_conditions_v1.csv")
    )


def ash_entry(diagnosis: str) -> AshCode | None:
    """The ASH list entry a diagnosis matches: 3-char entries as prefixes, 4-char exactly."""
    for e in ash_codes():
        if (len(e.code) == 3 and diagnosis[:3] == e.code) or diagnosis == e.code:
            return e
    return None
