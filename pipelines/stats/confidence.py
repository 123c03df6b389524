"""Confidence levels as PHEindicatormethods accepts them, and the column names they produce.

PHE takes a level as 0.9-1 or 90-100 (values >= 90 are divided by 100), or exactly the pair
(0.95, 0.998), which yields the two-level column names ``lower95_0cl, upper95_0cl, lower99_8cl,
upper99_8cl`` instead of ``lowercl, uppercl``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from scipy.stats import norm

ConfidenceArg = float | int | Sequence[float]

_PAIR = (0.95, 0.998)


def _scale(level: float) -> float:
    level = float(level)
    if math.isnan(level) or level < 0.9 or 1 < level < 90 or level > 100:
        raise ValueError("confidence level must be between 90 and 100 or between 0.9 and 1")
    return level / 100 if level >= 90 else level


def normalise_confidence(confidence: ConfidenceArg) -> tuple[float, ...]:
    """Return the confidence level(s) as a tuple of fractions, validated as PHE does."""
    if isinstance(confidence, int | float):
        return (_scale(confidence),)
    levels = tuple(_scale(c) for c in confidence)
    if len(levels) == 1:
        return levels
    if len(levels) > 2:
        raise ValueError("a maximum of two confidence levels can be provided")
    if levels != _PAIR:
        raise ValueError("two confidence levels can only be produced if they are specified as 0.95 and 0.998")
    return levels


def z_for(confidence: float | int) -> float:
    """Two-sided standard normal critical value: Phi^-1(c + (1 - c) / 2)."""
    c = _scale(confidence)
    return float(norm.ppf(c + (1 - c) / 2))


def ci_column_names(levels: tuple[float, ...], prefix: str = "") -> list[tuple[str, str]]:
    """(lower, upper) column names per level: one level -> lowercl/uppercl, the PHE pair ->
    lower95_0cl/upper95_0cl and lower99_8cl/upper99_8cl."""
    if len(levels) == 1:
        return [(f"{prefix}lowercl", f"{prefix}uppercl")]
    return [
        (f"{prefix}lower95_0cl", f"{prefix}upper95_0cl"),
        (f"{prefix}lower99_8cl", f"{prefix}upper99_8cl"),
    ]


def _percent(level: float) -> str:
    # R's paste(0.998 * 100) prints 99.8; 15 significant digits hides the binary noise the same way.
    return f"{float(f'{level * 100:.15g}'):g}"


def confidence_label(levels: tuple[float, ...]) -> str:
    """PHE's confidence column text: '95%', '99.8%' or '95%, 99.8%'."""
    return ", ".join(f"{_percent(c)}%" for c in levels)


def format_number(value: float) -> str:
    """Like R's format(x, scientific = FALSE) for the multipliers used in statistic labels."""
    value = float(value)
    return str(int(value)) if value.is_integer() else f"{value:.15g}"
