"""Presets and the national shape the generator is calibrated to.

District sizes are rounded 2023 estimated resident populations; ethnic mixes are rounded
prioritised shares (Māori, Pacific, Asian, European or Other). Both are plausible, not official.
"""

from __future__ import annotations

from dataclasses import dataclass

REFERENCE_YEAR = 2023  # the year the sizes, mixes and planted rates refer to

# code3: (population in REFERENCE_YEAR, (Māori, Pacific, Asian, European or Other) shares)
DISTRICT_SHAPE: dict[str, tuple[int, tuple[float, float, float, float]]] = {
    "011": (203_000, (0.37, 0.03, 0.04, 0.56)),  # Northland: high Māori
    "021": (655_000, (0.10, 0.07, 0.26, 0.57)),  # Waitematā
    "022": (495_000, (0.08, 0.10, 0.35, 0.47)),  # Auckland: high Asian
    "023": (595_000, (0.16, 0.23, 0.30, 0.31)),  # Counties Manukau: high Pacific
    "031": (440_000, (0.24, 0.03, 0.11, 0.62)),
    "042": (118_000, (0.37, 0.03, 0.08, 0.52)),
    "047": (265_000, (0.28, 0.02, 0.07, 0.63)),
    "051": (52_000, (0.53, 0.03, 0.03, 0.41)),  # Tairāwhiti: highest Māori share
    "071": (128_000, (0.20, 0.02, 0.05, 0.73)),
    "061": (182_000, (0.29, 0.04, 0.05, 0.62)),
    "081": (188_000, (0.21, 0.03, 0.08, 0.68)),
    "082": (69_000, (0.29, 0.03, 0.04, 0.64)),
    "091": (323_000, (0.09, 0.06, 0.16, 0.69)),
    "092": (160_000, (0.18, 0.09, 0.12, 0.61)),
    "093": (49_000, (0.18, 0.02, 0.04, 0.76)),
    "101": (164_000, (0.11, 0.02, 0.05, 0.82)),
    "111": (33_000, (0.13, 0.01, 0.03, 0.83)),
    "121": (580_000, (0.10, 0.03, 0.12, 0.75)),
    "123": (62_000, (0.09, 0.02, 0.06, 0.83)),
    "160": (346_000, (0.11, 0.02, 0.08, 0.79)),
}

# Annual growth of each group's population (Asian fastest, European or Other slowest).
GROUP_GROWTH = (0.015, 0.018, 0.030, 0.003)


@dataclass(frozen=True)
class Preset:
    name: str
    scale: float  # share of the national population
    default_years: int


PRESETS = {
    "small": Preset("small", 0.015, 2),
    "national": Preset("national", 1.0, 5),
}


def preset(name: str) -> Preset:
    try:
        return PRESETS[name]
    except KeyError:
        raise ValueError(f"unknown preset {name!r}; choose from {sorted(PRESETS)}") from None
