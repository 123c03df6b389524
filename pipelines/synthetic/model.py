"""Planted parameters: the rates the synthetic events are drawn from.

Every rate here is "events per person per year" at REFERENCE_YEAR; a quarter's events are
Poisson(rate × that year's written population / 4) per district × group × age × sex cell.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .calendar import Quarter
from .planted_change import PlantedChange
from .population import AGES, age_shares, expected_population
from .presets import REFERENCE_YEAR
from .reference import districts
from .rng import rng_for

# Group order everywhere: Māori, Pacific, Asian, European or Other.
ASH_GROUP_RATE = np.array([8_000.0, 14_000.0, 6_100.0, 5_800.0]) / 100_000  # published ≈ 2023/24
ASH_AGE_SHAPE = np.array([1.45, 1.35, 0.95, 0.70, 0.55])  # relative ASH risk at ages 0…4
ASH_DISTRICT_SD = 0.15  # lognormal sd of district multipliers
ASH_TRENDS = (-0.04, 0.03, -0.03)  # annual relative change in three randomly chosen districts
BED_DAYS_TARGET = np.array([650.0, 700.0, 250.0, 400.0]) / 1000  # acute bed days per person-year
DISCHARGES_PER_QUARTER = 280_000  # national volume the elective streams are scaled to
BACKGROUND_DISTRICT_SD = 0.10


def curve(knots: dict[int, float]) -> np.ndarray:
    """Piecewise-linear age curve over ages 0–90 (constant beyond the outer knots)."""
    xs = sorted(knots)
    return np.interp(AGES, xs, [knots[x] for x in xs])


@dataclass(frozen=True)
class Model:
    seed: int
    ash_rate: np.ndarray  # (district, group): ASH 0–4 admissions per child-year, age-averaged
    ash_age: np.ndarray  # (group, 5): relative risk by age 0–4, averaging 1 over each group
    ash_trend: np.ndarray  # (district,): annual relative change of the ASH rate
    background_district: np.ndarray  # (district, group): multiplier for all other events
    acute_group: np.ndarray  # (group,): calibrated multiplier of general acute admissions
    elective_volume: float  # calibrated multiplier of elective/arranged volumes
    ash_change: PlantedChange | None = None  # opt-in step change (planted_change.py)
    plants: tuple = ()  # opt-in planted changes (plants.PlantedChange); none by default

    @staticmethod
    def years_since_reference(quarter: Quarter) -> float:
        """Mid-quarter time in years since 1 July of REFERENCE_YEAR."""
        return quarter.year + (quarter.q - 0.5) / 4 - (REFERENCE_YEAR + 0.5)

    def ash_trend_factor(self, quarter: Quarter) -> np.ndarray:
        return (1.0 + self.ash_trend) ** self.years_since_reference(quarter)

    def ash_rate_by_age(self) -> np.ndarray:
        """(district, group, age 0–90): ASH 0–4 rate at REFERENCE_YEAR, zero from age 5."""
        out = np.zeros((len(districts()), 4, len(AGES)))
        out[:, :, :5] = self.ash_rate[:, :, None] * self.ash_age[None, :, :]
        return out


def _normalised_district_multipliers(raw: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Per group, scale district multipliers so their population-weighted mean is 1."""
    mean = (raw[:, None] * weights).sum(axis=0) / weights.sum(axis=0)
    return raw[:, None] / mean[None, :]


def base_model(seed: int) -> Model:
    """Planted parameters before calibration of acute volumes (that needs the stream list)."""
    rng = rng_for(seed, "model")
    n_d = len(districts())
    ref = expected_population(REFERENCE_YEAR, 1.0)  # (d, g, a, s)
    under5 = ref[:, :, :5, :].sum(axis=3)  # (d, g, a)
    ash_district = _normalised_district_multipliers(
        rng.lognormal(0.0, ASH_DISTRICT_SD, n_d), under5.sum(axis=2)
    )
    ash_age = np.zeros((4, 5))
    for g in range(4):
        w = age_shares(g)[:5]
        ash_age[g] = ASH_AGE_SHAPE / (ASH_AGE_SHAPE * w).sum() * w.sum()
    trend = np.zeros(n_d)
    trend[rng.choice(n_d, size=len(ASH_TRENDS), replace=False)] = ASH_TRENDS
    background = _normalised_district_multipliers(
        rng.lognormal(0.0, BACKGROUND_DISTRICT_SD, n_d), ref.sum(axis=(2, 3))
    )
    return Model(
        seed=seed,
        ash_rate=ASH_GROUP_RATE[None, :] * ash_district,
        ash_age=ash_age,
        ash_trend=trend,
        background_district=background,
        acute_group=np.ones(4),
        elective_volume=1.0,
    )
