"""Known-truth check: plant a change with the synthetic generator, estimate it, repeat over seeds.

Each seed draws the quarterly counts of one measure for every district × group from the
generator's planted model (pipelines.synthetic.quarterly_counts: Poisson around the planted
expected numerators, the same model the event files are drawn from), with the planted changes
given, and fits ITS, difference-in-differences and the synthetic control for the treated
district × group. Used by tests/evaluation (few seeds) and scripts/evaluation_coverage.py (many).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pipelines.synthetic.calendar import Quarter, quarter_range
from pipelines.synthetic.plants import PlantedChange
from pipelines.synthetic.quarterly_counts import planted_quarterly_counts
from pipelines.synthetic.reference import GROUP_IDS
from pipelines.synthetic.truth import GROUP_SETS

from .did import difference_in_differences
from .its import interrupted_time_series
from .synthetic_control import synthetic_control

METHODS = ("its", "did", "synthetic_control")


@dataclass(frozen=True)
class Scenario:
    measure_id: str
    district_code: str
    group_id: str
    start: str
    plants: tuple[PlantedChange, ...]
    true_level: float  # log-scale truth the local estimate should recover
    true_slope: float
    end: str = "2025Q4"
    years: int = 5


def seed_estimates(scenario: Scenario, seed: int, methods=METHODS) -> dict[str, tuple]:
    """method → (level (lo, hi), slope (lo, hi), level estimate) on the log scale."""
    quarters = quarter_range(Quarter.parse(scenario.end), scenario.years)
    counts = planted_quarterly_counts(seed, quarters, scenario.measure_id, plants=scenario.plants)
    groups = [GROUP_IDS.index(g) for g in GROUP_IDS if GROUP_IDS.index(g) in
              GROUP_SETS[scenario.group_id]]
    # rows come quarter-major, then district × the four planted groups
    ev = counts["events"].to_numpy().reshape(len(quarters), -1, 4)[:, :, groups].sum(axis=2).T
    pop = counts["population"].to_numpy().reshape(len(quarters), -1, 4)[:, :, groups].sum(axis=2).T
    codes = counts["district_code"].to_numpy().reshape(len(quarters), -1, 4)[0, :, 0].tolist()
    order = [codes.index(scenario.district_code)] + [
        i for i, c in enumerate(codes) if c != scenario.district_code]
    ev, pop = ev[order], pop[order]
    qi = np.array([q.index for q in quarters])
    start = Quarter.parse(scenario.start).index
    run = {
        "its": lambda: interrupted_time_series(ev[0], pop[0], qi, start),
        "did": lambda: difference_in_differences(ev, pop, qi, start).result,
        "synthetic_control": lambda: synthetic_control(ev, pop, qi, start).result,
    }
    fits = {m: run[m]() for m in methods}
    return {m: (r.level.interval(), r.slope.interval(), r.level.estimate) for m, r in fits.items()}


def coverage(scenario: Scenario, seeds: range, methods=METHODS) -> dict[str, dict[str, float]]:
    """Share of seeds whose 95% intervals contain the planted level and slope, per method."""
    hits = {m: {"level": 0, "slope": 0, "level_excludes_zero": 0} for m in methods}
    for seed in seeds:
        for m, ((lo, hi), (slo, shi), _) in seed_estimates(scenario, seed, methods).items():
            hits[m]["level"] += lo <= scenario.true_level <= hi
            hits[m]["slope"] += slo <= scenario.true_slope <= shi
            hits[m]["level_excludes_zero"] += not (lo <= 0 <= hi)
    n = len(seeds)
    return {m: {k: v / n for k, v in h.items()} for m, h in hits.items()}


def local_scenario(level=-0.15, slope=-0.01, district="023", group="total", start="2024Q1",
                   national_level=0.0) -> Scenario:
    """A local change in one district × group, optionally with a national change at the same time."""
    q = Quarter.parse(start)
    plants = [PlantedChange("ash_0_4", q, level, slope, district, group)] if (level or slope) else []
    if national_level:
        plants.append(PlantedChange("ash_0_4", q, national_level, 0.0, "000", "total"))
    return Scenario("ash_0_4", district, group, start, tuple(plants),
                    float(np.log1p(level)), float(np.log1p(slope)))
