"""Reporting periods: calendar quarters (2024Q1), half-years (2024H1) and years (2024).

Labels are what analysts read; Dagster partition keys are the period's first day (2024-01-01).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

_MONTHS = {"quarter": 3, "half_year": 6, "year": 12}
_LABEL = re.compile(r"^(\d{4})(?:Q([1-4])|H([12]))?$")


@dataclass(frozen=True, order=True)
class Period:
    start: date
    kind: str  # quarter | half_year | year

    @property
    def months(self) -> int:
        return _MONTHS[self.kind]

    @property
    def end(self) -> date:
        """Last day of the period (inclusive)."""
        return add_months(self.start, self.months) - timedelta(days=1)

    @property
    def label(self) -> str:
        y, m = self.start.year, self.start.month
        if self.kind == "quarter":
            return f"{y}Q{(m - 1) // 3 + 1}"
        if self.kind == "half_year":
            return f"{y}H{(m - 1) // 6 + 1}"
        return str(y)

    @property
    def partition_key(self) -> str:
        return self.start.isoformat()

    def next(self) -> Period:
        return Period(add_months(self.start, self.months), self.kind)

    def previous(self) -> Period:
        return Period(add_months(self.start, -self.months), self.kind)


def add_months(d: date, months: int) -> date:
    y, m = divmod(d.month - 1 + months, 12)
    return date(d.year + y, m + 1, 1)


def parse_label(label: str) -> Period:
    m = _LABEL.match(label.strip())
    if not m:
        raise ValueError(f"not a period label (expected 2024Q1, 2024H1 or 2024): {label!r}")
    year = int(m.group(1))
    if m.group(2):
        return Period(date(year, 3 * (int(m.group(2)) - 1) + 1, 1), "quarter")
    if m.group(3):
        return Period(date(year, 6 * (int(m.group(3)) - 1) + 1, 1), "half_year")
    return Period(date(year, 1, 1), "year")


def period_of(d: date, kind: str) -> Period:
    step = _MONTHS[kind]
    return Period(date(d.year, (d.month - 1) // step * step + 1, 1), kind)


def from_partition_key(key: str, kind: str) -> Period:
    return period_of(date.fromisoformat(key), kind)


def sql_period_label(expr: str, kind: str) -> str:
    """A DuckDB expression giving the period label of a DATE, INTEGER year or label column."""
    if kind == "quarter":
        return f"(strftime({expr}, '%Y') || 'Q' || quarter({expr}))"
    if kind == "half_year":
        return f"(strftime({expr}, '%Y') || 'H' || CASE WHEN month({expr}) <= 6 THEN 1 ELSE 2 END)"
    return f"strftime({expr}, '%Y')"
