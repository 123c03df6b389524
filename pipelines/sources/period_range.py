"""Which periods a file may hold: from the first partition to the last period that has ended.

A period that has not ended cannot be complete (and has no Dagster partition yet), and one
before the first partition has nowhere to go. Rows or files dated outside the range are
rejected with a message; they never create a partition or become the report's default period.

"As of" is today unless SLM_AS_OF (YYYY-MM-DD) says otherwise; tests pass it explicitly.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date

from pipelines.periods import parse_label, period_of

FIRST_PERIOD_START = date(2015, 1, 1)  # pipelines/defs/partitions.py FIRST_PERIOD
KIND_WORD = {"quarter": "quarter", "half_year": "half-year", "year": "year"}


def as_of_date(as_of: date | None = None) -> date:
    if as_of is not None:
        return as_of
    configured = os.environ.get("SLM_AS_OF")
    return date.fromisoformat(configured) if configured else date.today()


@dataclass(frozen=True)
class PeriodRange:
    kind: str
    first: str
    last: str
    as_of: date

    def contains(self, label: str | None) -> bool:
        if label is None:
            return False
        try:
            start = parse_label(label).start
        except ValueError:
            return False
        return parse_label(self.first).start <= start <= parse_label(self.last).start

    def why_not(self, label: str) -> str:
        word = KIND_WORD[self.kind]
        if label > self.last:
            return (f"period {label} is after the last {word} that has ended ({self.last}, as of "
                    f"{self.as_of.isoformat()})")
        return f"period {label} is before the first {word} the pipeline holds ({self.first})"


def period_range(kind: str, as_of: date | None = None) -> PeriodRange:
    today = as_of_date(as_of)
    last = period_of(today, kind).previous()
    return PeriodRange(kind, period_of(FIRST_PERIOD_START, kind).label, last.label, today)
