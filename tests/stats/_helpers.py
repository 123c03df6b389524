"""Shared helpers for the statistics tests."""

from __future__ import annotations

import math
from pathlib import Path

import polars as pl

FIXTURES = Path(__file__).parent / "fixtures"


def read_fixture(name: str, **kwargs) -> pl.DataFrame:
    """Read a CSV fixture whose provenance is written in leading '#' comment lines."""
    return pl.read_csv(FIXTURES / name, comment_prefix="#", **kwargs)


def close(actual: float, expected: float, rel: float = 1e-9) -> bool:
    return math.isclose(actual, expected, rel_tol=rel, abs_tol=0.0)


def agrees_to_printed(actual: float, printed: float, digits: int) -> bool:
    """True if ``actual`` rounds to ``printed`` at ``digits`` significant digits (half a unit in
    the last printed place, plus a little slack for the printed value's own rounding)."""
    if printed == 0:
        return abs(actual) < 10 ** (-digits)
    unit = 10 ** (math.floor(math.log10(abs(printed))) - digits + 1)
    return abs(actual - printed) <= 0.5 * unit * (1 + 1e-9)


def agrees_to_text(actual: float, stored: str) -> bool:
    """True if ``actual`` rounds to the decimal string ``stored`` at its last written digit."""
    decimals = len(stored.split(".")[1]) if "." in stored else 0
    return abs(actual - float(stored)) <= 0.5 * 10**-decimals * (1 + 1e-9)
