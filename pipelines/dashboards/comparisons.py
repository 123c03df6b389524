"""The judgements the pack's first page prints: against New Zealand, against a year earlier,
and the direction of an equity gap. Each is a small pure function with its method in its
docstring; the page's method notes repeat them in words.
"""

from __future__ import annotations

import math

from pipelines.dashboards.frames import is_number
from pipelines.stats.confidence import z_for

Z95 = z_for(0.95)

# Fingertips benchmark colours (pack-methods §5.1, FTO shared.ts), except "better": Fingertips'
# #92D050 is ΔE 4.7 (CAM02-UCS) from "similar" amber for protanopes, so a mid green #78B478
# (ΔE ≥ 18 from the others under every simulated vision; text 6.0:1, and 5.4:1 once printed in
# greyscale). Text colour chosen per fill for ≥ 4.5:1 contrast in colour and in greyscale; every
# cell also carries its word or letter (COMPARISON_MARKS), so colour is never the only cue.
FINGERTIPS = {
    "better": ("#78B478", "#1F2933"),
    "similar": ("#FFC000", "#1F2933"),
    "worse": ("#C00000", "#FFFFFF"),
    "lower": ("#5555E6", "#FFFFFF"),
    "higher": ("#BED2FF", "#1F2933"),
    "not_compared": ("#C9C9C9", "#1F2933"),
}
COMPARISON_MARKS = {  # the letter a tartan-rug cell prints beside its value (legend: "B Better")
    "better": "B", "similar": "S", "worse": "W", "lower": "L", "higher": "H", "not_compared": "",
}
COMPARISON_LABELS = {
    "better": "Better", "similar": "Similar", "worse": "Worse", "lower": "Lower",
    "higher": "Higher", "not_compared": "Not compared",
}


def compare_with_benchmark(value: object, lower: object, upper: object, benchmark: object,
                           direction: str | None) -> str:
    """Fingertips' default comparison (SingleOverlappingCIsForOneCILevelComparer, pack-methods
    §5.1): similar when the benchmark value lies inside the area's 95% CI (inclusive), else
    better/worse by polarity; lower/higher when the measure has no polarity."""
    if not all(is_number(x) for x in (value, lower, upper, benchmark)):
        return "not_compared"
    if lower <= benchmark <= upper:
        return "similar"
    above = value > benchmark
    if direction == "lower_is_better":
        return "worse" if above else "better"
    if direction == "higher_is_better":
        return "better" if above else "worse"
    return "higher" if above else "lower"


def _se_from_ci(lower: float, upper: float, log: bool) -> float:
    if log:
        return (math.log(upper) - math.log(lower)) / (2 * Z95)
    return (upper - lower) / (2 * Z95)


def change_since(now: tuple, before: tuple, direction: str | None) -> dict | None:
    """Change between two independent estimates (value, lower, upper) at 95%.

    z = (v₁ − v₀) / √(se₁² + se₀²) with each se recovered from its 95% CI as (U − L)/(2·1.96):
    an approximation (the published intervals are exact/Byar/Wilson, not symmetric), stated on
    the page. Significant when |z| > 1.96. Returns None when either estimate is missing.
    """
    (v1, l1, u1), (v0, l0, u0) = now, before
    if not all(is_number(x) for x in (v1, l1, u1, v0, l0, u0)):
        return None
    se = math.hypot(_se_from_ci(l1, u1, False), _se_from_ci(l0, u0, False))
    diff = v1 - v0
    significant = se > 0 and abs(diff) / se > Z95
    if not significant:
        verdict = "no_change"
    elif direction in ("lower_is_better", "higher_is_better"):
        better = (diff < 0) == (direction == "lower_is_better")
        verdict = "improved" if better else "worsened"
    else:
        verdict = "increased" if diff > 0 else "decreased"
    return {"difference": diff, "significant": significant, "verdict": verdict,
            "relative": diff / v0 if v0 else None}


def gap_direction(now: tuple, before: tuple) -> dict | None:
    """Direction of an equity gap between two rate ratios (rr, lower, upper) a year apart.

    Compared on the log scale, where the ratio's CI is symmetric: d = |ln rr₁| − |ln rr₀|;
    significant when |ln rr₁ − ln rr₀| > 1.96·√(se₁² + se₀²). Narrowing means moving towards 1.
    """
    (r1, l1, u1), (r0, l0, u0) = now, before
    if not all(is_number(x) and x > 0 for x in (r1, l1, u1, r0, l0, u0)):
        return None
    se = math.hypot(_se_from_ci(l1, u1, True), _se_from_ci(l0, u0, True))
    shift = math.log(r1) - math.log(r0)
    significant = se > 0 and abs(shift) / se > Z95
    closer = abs(math.log(r1)) < abs(math.log(r0))
    verdict = ("narrowing" if closer else "widening") if significant else "no_clear_change"
    return {"verdict": verdict, "significant": significant, "ratio_change": r1 / r0}


def meets(value: object, milestone: object, direction: str | None) -> bool | None:
    """Whether a value meets a milestone, by the measure's polarity (on the milestone = met)."""
    if not (is_number(value) and is_number(milestone)):
        return None
    if direction == "lower_is_better":
        return value <= milestone
    if direction == "higher_is_better":
        return value >= milestone
    return None


def gap_meets(ratio: object, milestone: object) -> bool | None:
    """An equity-gap milestone is a rate ratio: met when the ratio is at least as close to 1."""
    if not (is_number(ratio) and is_number(milestone) and ratio > 0 and milestone > 0):
        return None
    return abs(math.log(ratio)) <= abs(math.log(milestone))
