"""Orchestration: write the landing files, the planted truth and the manifest."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import polars as pl

from . import (
    moh_release,
    mortality,
    nmds,
    nnpac,
    pes,
    pho_enrolment,
    smokefree,
    youth_sources,
)
from .calendar import Quarter, quarter_range, rolling_windows
from .context import Context
from .defects import apply_defects, parse_defects
from .planted_change import PlantedChange
from .plants import PlantedChange as PlantedLevelSlope
from .population import AGES, SEXES
from .presets import preset as get_preset
from .reference import GROUP_IDS, GROUPS, districts
from .streams import build_streams, calibrated_model
from .truth import group_frame, rolling_rate_truth
from .writers import WrittenFile, write_csv, write_parquet

SOURCES = (
    "population", "nmds_events", "pho_enrolment", "moh_release", "mortality", "pes_inpatient",
    "pes_primary_care", "smokefree", "esr_chlamydia", "nnpac_ed", "oral_health", "youth_survey",
)


@dataclass
class GenerationSummary:
    preset: str
    seed: int
    years: int
    end_quarter: str
    quarters: list[str]
    sources: list[str]
    files: list[dict] = field(default_factory=list)  # landing files: file, rows, bytes, sha256
    truth_files: list[dict] = field(default_factory=list)
    defects: list[dict] = field(default_factory=list)
    seconds: float = 0.0

    def rows(self, source: str) -> int:
        return sum(f["rows"] for f in self.files if f["file"].startswith(source + "/"))


def _population_frame(year: int, pop: np.ndarray) -> pl.DataFrame:
    d, g, a, s = np.indices(pop.shape).reshape(4, -1)
    code3 = np.array([x.code3 for x in districts()], dtype=object)
    return pl.DataFrame({
        "year": np.full(d.size, year, dtype=np.int32),
        "dhb_code": code3[d],
        "age_lower": AGES[a].astype(np.int32),
        "age_upper": AGES[a].astype(np.int32),
        "sex": np.array(SEXES, dtype=object)[s],
        "ethnic_group": np.array(GROUPS, dtype=object)[g],
        "population": pop.ravel().astype(np.int64),
    }, schema_overrides={"dhb_code": pl.String, "sex": pl.String, "ethnic_group": pl.String})


def _age_mask(lo: int, hi: int) -> np.ndarray:
    return ((lo <= AGES) & (hi >= AGES))[None, None, :, None]


def generate(
    preset: str,
    out_dir: str | Path,
    truth_dir: str | Path,
    years: int | None = None,
    end_quarter: str = "2025Q4",
    seed: int = 20260101,
    sources: list[str] | None = None,
    defects: list[str] | None = None,
    ash_change: str | None = None,
    plants: list[str] | None = None,
) -> GenerationSummary:
    """Write landing files under out_dir/<source>/ and the planted truth under truth_dir.

    `ash_change` (opt-in, e.g. "group=pacific:x2@2025Q1") plants a step change in ASH 0–4
    (planted_change.py); without it the output is the same, byte for byte.
    `plants` (opt-in, plants.PlantedChange.parse specs) plant level/slope changes in NMDS measures
    for the initiative evaluation (pipelines/evaluation)."""
    t0 = time.perf_counter()
    p = get_preset(preset)
    years = years or p.default_years
    sources = list(SOURCES if sources is None else sources)
    unknown = set(sources) - set(SOURCES)
    if unknown:
        raise ValueError(f"unknown sources {sorted(unknown)}; known: {', '.join(SOURCES)}")
    defect_specs = parse_defects(defects or [], sources)
    change = PlantedChange.parse(ash_change) if ash_change else None
    planted = parse_plants(plants or [])
    out, truth_out = Path(out_dir), Path(truth_dir)
    quarters = quarter_range(Quarter.parse(end_quarter), years)
    if years < 1:
        raise ValueError("years must be at least 1")
    ctx = Context(seed, p.scale, quarters, out, truth_out)
    summary = GenerationSummary(preset, seed, years, quarters[-1].label,
                                [q.label for q in quarters], sources)
    landing: list[WrittenFile] = []
    truth_files: list[WrittenFile] = []
    truth_frames: list[pl.DataFrame] = []

    if "nmds_events" in sources or "moh_release" in sources:
        files, frames, realised, extra = _nmds(ctx, write_events="nmds_events" in sources,
                                               ash_change=change, plants=planted)
        landing += files
        truth_files += extra
        if "nmds_events" in sources:
            truth_frames += frames
        if "moh_release" in sources:
            files, _ = moh_release.generate(ctx, realised)
            landing += files
    simple = {
        "pho_enrolment": pho_enrolment.generate,
        "mortality": mortality.generate,
        "pes_inpatient": lambda c: pes.generate(c, "inpatient"),
        "pes_primary_care": lambda c: pes.generate(c, "primary_care"),
        "smokefree": smokefree.generate,
        "esr_chlamydia": youth_sources.chlamydia,
        "nnpac_ed": nnpac.generate,
        "oral_health": youth_sources.oral_health,
        "youth_survey": youth_sources.youth_survey,
    }
    for source, make in simple.items():
        if source in sources:
            files, frames = make(ctx)
            landing += files
            truth_frames += frames
    if "population" in sources:
        for y in population_years(ctx):
            landing.append(write_csv(_population_frame(y, ctx.population(y)),
                                     out / "population" / f"population_erp_{y}.csv"))

    injected = apply_defects(defect_specs, landing, out, ctx)
    if truth_frames:
        truth = pl.concat(truth_frames).sort("measure_id", "period_end", "breakdown",
                                             "district_code", "group_id", nulls_last=True)
        truth_files.append(write_parquet(truth, truth_out / "truth.parquet"))
        truth_files.append(write_csv(truth, truth_out / "truth.csv"))
    if defect_specs:
        truth_out.mkdir(parents=True, exist_ok=True)
        (truth_out / "defects.json").write_text(
            json.dumps(injected, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    summary.defects = injected

    summary.files = [f.describe(out) for f in landing]
    summary.truth_files = [f.describe(truth_out) for f in truth_files]
    manifest = {
        "preset": preset, "seed": seed, "years": years, "end_quarter": summary.end_quarter,
        "quarters": summary.quarters, "sources": sources, "defects": defects or [],
        "files": summary.files, "truth_files": summary.truth_files,
    }
    if ash_change:
        manifest["ash_change"] = ash_change
    if planted:  # only when asked for, so a default run's manifest is unchanged
        manifest["plants"] = [p.describe() for p in planted]
    truth_out.mkdir(parents=True, exist_ok=True)
    (truth_out / "manifest.json").write_text(
        json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    summary.seconds = time.perf_counter() - t0
    return summary


def population_years(ctx: Context) -> list[int]:
    """Every year a source needs a denominator for: the run's years and the mortality years."""
    first = mortality.registration_years(ctx)[0] - len(mortality.REGISTRATION_LAG) + 1
    return sorted(set(ctx.years) | set(range(first, ctx.quarters[-1].year + 1)))


def parse_plants(specs: list[str]) -> tuple[PlantedLevelSlope, ...]:
    planted = tuple(PlantedLevelSlope.parse(s) for s in specs)
    for p in planted:
        if p.measure_id not in nmds.MEASURES:
            raise ValueError(f"planted change: {p.measure_id!r} is not a planted NMDS measure "
                             f"({', '.join(nmds.MEASURES)})")
    return planted


def _nmds(ctx: Context, write_events: bool, ash_change: PlantedChange | None = None,
          plants: tuple[PlantedLevelSlope, ...] = ()):
    """NMDS quarters, streamed one at a time; returns files, truth frames, realised numerators."""
    # Changes are planted after calibration, so every other stream stays as without them.
    model = replace(calibrated_model(ctx.seed), ash_change=ash_change, plants=plants)
    streams = build_streams(model)
    expected, realised, planted, rate_frames = {}, {}, [], []
    files, extra = [], []
    for q in ctx.quarters:
        pop = ctx.population(q.year)
        res = nmds.generate_quarter(model, streams, pop, q, ctx.seed)
        realised[q] = res.realised
        if write_events:
            files.append(write_csv(res.events,
                                   ctx.out / "nmds_events" / f"nmds_events_{q.label}.csv"))
            extra.append(write_parquet(
                res.labels, ctx.truth_out / "nmds_labels" / f"nmds_labels_{q.label}.parquet"))
        rates = nmds.planted_rates(model, streams, q)
        expected[q] = nmds.expected_numerators(rates, pop)
        for measure in nmds.MEASURES:
            planted.append(group_frame(
                {"expected_numerator": expected[q][measure],
                 "realised_numerator": res.realised[measure]},
                measure_id=measure, period_label=q.label))
            rate_frames.append(_rate_frame(measure, q, rates[measure]))
        del res
    frames = []
    windows = rolling_windows(ctx.quarters)
    for measure in nmds.MEASURES:
        lo, hi = nmds.MEASURE_AGES[measure]
        dens = {w.population_year: (ctx.population(w.population_year) * _age_mask(lo, hi)).sum(
            axis=(2, 3)) for w in windows}
        frames.append(rolling_rate_truth(
            measure, windows, {q: e[measure] for q, e in expected.items()}, dens))
    extra.append(write_parquet(pl.concat(planted), ctx.truth_out / "planted_numerators.parquet"))
    extra.append(write_parquet(pl.concat(rate_frames), ctx.truth_out / "planted_rates.parquet"))
    return files, frames, realised, extra


def _rate_frame(measure: str, q: Quarter, rate: np.ndarray) -> pl.DataFrame:
    """Non-zero planted rates (numerator per person-year) by district, group, age and sex."""
    d, g, a, s = np.nonzero(rate)
    code3 = np.array([x.code3 for x in districts()], dtype=object)
    return pl.DataFrame({
        "measure_id": np.full(len(d), measure, dtype=object),
        "period_label": np.full(len(d), q.label, dtype=object),
        "district_code": code3[d],
        "group_id": np.array(GROUP_IDS, dtype=object)[g],
        "age": a.astype(np.int32),
        "sex": np.array(SEXES, dtype=object)[s],
        "numerator_per_person_year": rate[d, g, a, s],
    }, schema_overrides={"district_code": pl.String})
