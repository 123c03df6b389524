"""Quarters, years and rolling windows used by the generator (calendar quarters, Q1 = Jan–Mar)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

_QUARTER = re.compile(r"^(\d{4})Q([1-4])$")


@dataclass(frozen=True, order=True)
class Quarter:
    year: int
    q: int

    @classmethod
    def parse(cls, label: str) -> Quarter:
        m = _QUARTER.match(label.strip())
        if not m:
            raise ValueError(f"not a quarter label (expected e.g. 2025Q4): {label!r}")
        return cls(int(m.group(1)), int(m.group(2)))

    @property
    def label(self) -> str:
        return f"{self.year}Q{self.q}"

    @property
    def start(self) -> date:
        return date(self.year, 3 * self.q - 2, 1)

    @property
    def end(self) -> date:
        return self.next().start - timedelta(days=1)

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def index(self) -> int:
        """Months-free ordinal: consecutive quarters differ by 1."""
        return self.year * 4 + self.q - 1

    @classmethod
    def from_index(cls, i: int) -> Quarter:
        return cls(i // 4, i % 4 + 1)

    def next(self) -> Quarter:
        return Quarter.from_index(self.index + 1)

    def shift(self, n: int) -> Quarter:
        return Quarter.from_index(self.index + n)

    @property
    def half_label(self) -> str:
        return f"{self.year}H{1 if self.q <= 2 else 2}"


def quarter_range(end: Quarter, years: int) -> list[Quarter]:
    """The 4 × years consecutive quarters ending with `end`."""
    return [end.shift(-k) for k in range(4 * years - 1, -1, -1)]


@dataclass(frozen=True)
class Window:
    """A rolling 12-month window of four quarters; its denominator is the 30 June inside it."""

    quarters: tuple[Quarter, ...]

    @property
    def start(self) -> date:
        return self.quarters[0].start

    @property
    def end(self) -> date:
        return self.quarters[-1].end

    @property
    def label(self) -> str:
        return f"12 months to {self.quarters[-1].label}"

    @property
    def population_year(self) -> int:
        # Exactly one 30 June falls in any 12 consecutive months.
        for y in (self.start.year, self.end.year):
            if self.start <= date(y, 6, 30) <= self.end:
                return y
        raise AssertionError("a 12-month window always contains one 30 June")


def rolling_windows(quarters: list[Quarter]) -> list[Window]:
    """Every 12-month window ending at a quarter end that the quarters fully cover."""
    return [Window(tuple(quarters[i - 3 : i + 1])) for i in range(3, len(quarters))]
