"""What would it take? The change in events that would bring the current rate to a milestone.

For a rate R = X / N × multiplier over a window of P periods, reaching the target T with the same
population needs X − X' = (R − T) × N / multiplier events fewer (more, when higher is better)
over the window, i.e. (R − T) × N / multiplier / P a period. A rolling 12-month window counts
four quarters, so the change is stated per quarter ("about 9 fewer admissions a quarter"); a
five-year window per year. For a directly standardised rate the same arithmetic gives the events
at the district's own age mix (an approximation, said so in docs/commentary.md); a proportion's
"events" are people. The target comes from the milestones file when there is one; here it is
an input.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class Gap:
    met: bool
    events_per_period: float  # ≥ 0; fewer (lower is better) or more (higher is better)
    per: str  # "a quarter", "a year" or "over the window"
    change: str  # "fewer" or "more"

    @property
    def text(self) -> str:
        """The count as a sentence prints it: whole events, at least 1 when any are needed."""
        return f"{max(1, math.floor(self.events_per_period + 0.5)):,d}"


def window_months(period_start: date, period_end: date) -> int:
    return (period_end.year - period_start.year) * 12 + period_end.month - period_start.month + 1


def periods_in_window(period_start: date, period_end: date) -> tuple[int, str]:
    months = window_months(period_start, period_end)
    if months == 12:
        return 4, "a quarter"
    if months % 12 == 0:
        return months // 12, "a year"
    return 1, "over the window"


def events_to_reach(value: float, target: float, denominator: float, multiplier: float,
                    period_start: date, period_end: date, direction: str) -> Gap:
    """The events a period needed to move `value` to `target`, population unchanged."""
    if multiplier is None or denominator is None or denominator <= 0:
        raise ValueError("a milestone gap needs a rate with a multiplier and a population")
    lower_better = direction == "lower_is_better"
    met = value <= target if lower_better else value >= target
    periods, per = periods_in_window(period_start, period_end)
    events = 0.0 if met else abs(value - target) * denominator / multiplier / periods
    return Gap(met, events, per, "fewer" if lower_better else "more")
