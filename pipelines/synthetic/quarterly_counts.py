"""Fast path: one NMDS measure's quarterly counts drawn from the planted model, no event files.

For a count measure (ash_0_4, youth_self_harm) the events the full generator writes in a quarter
and district × group are a sum of independent Poisson draws over streams and ages, so their total
is Poisson with mean = the planted expected numerator (nmds.expected_numerators, the same numbers
`planted_numerators.parquet` holds). This draws that total directly, from its own random stream,
with the same model, population files and planted changes, in milliseconds instead of the
seconds a quarter of events takes. Used where many seeds are needed (tests/evaluation).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import polars as pl

from . import nmds
from .calendar import Quarter
from .model import base_model
from .plants import PlantedChange
from .population import AGES, draw_population
from .reference import GROUP_IDS, districts
from .rng import rng_for
from .streams import build_streams, expected_by_cell


def planted_quarterly_counts(
    seed: int, quarters: list[Quarter], measure_id: str, scale: float = 1.0,
    plants: tuple[PlantedChange, ...] = (),
) -> pl.DataFrame:
    """quarter, district_code, group_id (the four planted groups), population (30 June of the
    quarter's year, the measure's ages, as the population files write it), expected, events."""
    if measure_id not in (nmds.ASH, nmds.SELF_HARM):
        raise ValueError(f"{measure_id!r}: the fast path covers count measures "
                         f"{nmds.ASH}, {nmds.SELF_HARM} only")
    # base_model: the calibration only rescales acute and elective streams, which count towards
    # neither ASH nor self-harm, so the counting streams are identical to the generator's.
    model = replace(base_model(seed), plants=tuple(plants))
    streams = [s for s in build_streams(model) if measure_id in s.counts]
    lo, hi = nmds.MEASURE_AGES[measure_id]
    in_ages = ((lo <= AGES) & (hi >= AGES))[None, None, :, None]
    pops: dict[int, np.ndarray] = {}
    cols: dict[str, list] = {"population": [], "expected": [], "events": []}
    for q in quarters:
        if q.year not in pops:
            pops[q.year] = draw_population(q.year, scale, rng_for(seed, "population", q.year))
        pop = pops[q.year]
        years = model.years_since_reference(q)
        # As nmds.expected_numerators: Σ over counting streams, ages and sexes of λ / 4.
        expected = sum(expected_by_cell(s, model, pop, years, q) for s in streams).sum(axis=(2, 3)) / 4
        cols["population"].append((pop * in_ages).sum(axis=(2, 3)).ravel())
        cols["expected"].append(expected.ravel())
        cols["events"].append(rng_for(seed, "quarterly_counts", measure_id, q.label)
                              .poisson(expected).ravel())
    codes = np.array([d.code3 for d in districts()], dtype=object)
    d, g = np.meshgrid(np.arange(len(codes)), np.arange(4), indexing="ij")
    n = d.size
    return pl.DataFrame({
        "quarter": np.repeat(np.array([q.label for q in quarters], dtype=object), n),
        "district_code": np.tile(codes[d.ravel()], len(quarters)),
        "group_id": np.tile(np.array(GROUP_IDS, dtype=object)[g.ravel()], len(quarters)),
        **{k: np.concatenate(v).astype(float) for k, v in cols.items()},
    }, schema_overrides={"quarter": pl.String, "district_code": pl.String, "group_id": pl.String})
