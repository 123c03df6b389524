"""What every source generator needs: seed, scale, quarters, output folders and populations."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .calendar import Quarter
from .population import draw_population
from .rng import rng_for


@dataclass
class Context:
    seed: int
    scale: float
    quarters: list[Quarter]
    out: Path
    truth_out: Path
    _population: dict[int, np.ndarray] = field(default_factory=dict)

    def population(self, year: int) -> np.ndarray:
        """Written population (district, group, age, sex) of 30 June `year`; drawn once per year."""
        if year not in self._population:
            self._population[year] = draw_population(
                year, self.scale, rng_for(self.seed, "population", year))
        return self._population[year]

    @property
    def population_years(self) -> list[int]:
        return sorted(self._population)

    @property
    def years(self) -> list[int]:
        return sorted({q.year for q in self.quarters})

    def rng(self, *labels: object) -> np.random.Generator:
        return rng_for(self.seed, *labels)


def draw_cells(expected: np.ndarray, rng: np.random.Generator):
    """Poisson counts per cell of `expected`, returned as one index array per axis."""
    counts = rng.poisson(expected)
    cells = np.repeat(np.arange(expected.size), counts.ravel())
    return np.unravel_index(cells, expected.shape)
