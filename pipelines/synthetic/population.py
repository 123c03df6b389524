"""Estimated resident population (30 June): district × group × single year of age × sex.

Smooth age structures: a stable-population shape exp(-growth·age) × Gompertz survival, with a
migrant bulge for Asian and a baby-boom bulge for European or Other. Māori and Pacific are younger.
"""

from __future__ import annotations

from functools import cache

import numpy as np

from .presets import DISTRICT_SHAPE, GROUP_GROWTH, REFERENCE_YEAR
from .reference import districts

AGES = np.arange(91)  # 0–89 single years; 90 = 90+
N_AGES = len(AGES)
SEXES = ("M", "F")

# (natural growth that shapes the age pyramid, Gompertz modal age at death, bulge centre, height)
_AGE_SHAPE = {
    0: (0.016, 81.0, None, 0.0),  # Māori
    1: (0.020, 80.0, None, 0.0),  # Pacific
    2: (0.018, 90.0, 30.0, 1.5),  # Asian: working-age migrants
    3: (0.004, 89.0, 62.0, 0.2),  # European or Other: older, baby boomers
}


@cache
def age_shares(group: int) -> np.ndarray:
    """Share of the group's population at each age 0–89 and 90+ (sums to 1)."""
    growth, mode, bulge_at, bulge = _AGE_SHAPE[group]
    a = np.arange(111, dtype=float)
    b = 0.095
    hazard0 = b * np.exp(-b * mode)
    survival = np.exp(-(hazard0 / b) * (np.exp(b * a) - 1.0))
    # Falling fertility: recent birth cohorts are smaller than the stable shape implies.
    shape = np.exp(-growth * a) * survival * np.minimum(1.0, 0.80 + 0.01 * a)
    if bulge_at is not None:
        shape *= 1.0 + bulge * np.exp(-0.5 * ((a - bulge_at) / 9.0) ** 2)
    shares = np.concatenate([shape[:90], [shape[90:].sum()]])
    return shares / shares.sum()


@cache
def male_share() -> np.ndarray:
    """Male share by age: 51.3 % at birth, parity by 50, women outnumber men among the old."""
    a = AGES.astype(float)
    return np.clip(0.513 - 0.00026 * a - 0.00006 * np.maximum(a - 50.0, 0.0) ** 2, 0.36, 0.52)


def expected_population(year: int, scale: float) -> np.ndarray:
    """Expected population, shape (district, group, age, sex)."""
    out = np.zeros((len(districts()), 4, N_AGES, 2))
    ms = male_share()
    for d, dist in enumerate(districts()):
        total, mix = DISTRICT_SHAPE[dist.code3]
        for g in range(4):
            size = total * scale * mix[g] * (1.0 + GROUP_GROWTH[g]) ** (year - REFERENCE_YEAR)
            by_age = size * age_shares(g)
            out[d, g, :, 0] = by_age * ms
            out[d, g, :, 1] = by_age * (1.0 - ms)
    return out


def draw_population(year: int, scale: float, rng: np.random.Generator) -> np.ndarray:
    """Integer population: unbiased stochastic rounding of the expected counts."""
    x = expected_population(year, scale)
    base = np.floor(x)
    return (base + (rng.random(x.shape) < (x - base))).astype(np.int64)
