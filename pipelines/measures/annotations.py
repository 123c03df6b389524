"""What a reader needs beside each published value, added to a measure's rows after labelling:

* definition_note   why the measure differs from its published definition: the measure's
                    measures.yaml `definition_note`, plus the standard-population note below.
* standard_population  for directly standardised rates, the standard used, in words.
                    A measure naming `standard_population_wanted` (the standard its published
                    definition uses) that is not in reference/standard_population.csv gets a
                    note saying which standard is used instead.
* series_break, series_note  from measures.yaml `series_breaks` (e.g. Canterbury short-stay ED
                    cases leaving the NMDS in December 2020): series_break marks the rows whose
                    window holds data from both sides of the break, where a trend chart draws
                    it; series_note is on every row of the affected districts from that window
                    on. A break does not apply when its `unless` setting is true for the
                    measure (exclude_ssed: the events that moved are excluded everywhere).
* value_formula     how value follows from the row's own columns, for a spreadsheet user.
* weight_sum, effective_n, expected, reference_rate  the columns value_formula needs beyond
                    numerator and denominator (null where the statistic has none).
"""

from __future__ import annotations

from datetime import date

import polars as pl

from pipelines.measures.cell_statistics import REPRODUCE_COLUMNS
from pipelines.measures.cell_statistics.direct_who import STANDARD_NAMES, has_standard
from pipelines.measures.measure_config import Measure, MeasureConfig

ANNOTATION_COLUMNS = ["definition_note", "series_break", "series_note", *REPRODUCE_COLUMNS,
                      "standard_population", "value_formula"]
NATIONAL = "000"


def value_formula(measure: Measure) -> str:
    """The value in terms of the row's columns (and, for a DSR, of strata the export leaves out:
    age-band counts would show numbers under the suppression threshold)."""
    m = f"{measure.multiplier:,.0f}"
    statistic = measure.statistic
    if statistic in ("crude_rate", "proportion", "coverage"):
        return f"numerator / denominator × {m}"
    if statistic == "weighted_mean":
        return "numerator / weight_sum (numerator = Σ weight × score; denominator = respondents)"
    if statistic == "indirect_age_sex":
        return "numerator / expected × reference_rate (observed / expected × New Zealand's crude rate)"
    if statistic in ("direct_who", "dsr"):
        return (f"Σ over age bands of standard weight × band events / band population, / Σ weights × {m}"
                " (standard_population); age bands are not exported")
    return ""


def standard_population_text(measure: Measure) -> str | None:
    if measure.statistic not in ("direct_who", "dsr"):
        return None
    standard = measure.settings.get("standard_population", "who_2000_2025")
    bands = measure.settings.get("standardisation_age_bands") or []
    span = f", age bands {bands[0]}–{bands[-1] + 4}" if bands else ""
    weights = ("weights renormalised over these bands" if measure.settings.get("renormalise_weights", True)
               else "divided by the whole standard")
    return f"{STANDARD_NAMES.get(standard, standard)} ({standard}){span}, {weights}"


def standard_population_note(measure: Measure) -> str | None:
    """Said on every row while the standard the published definition uses is not available."""
    wanted = measure.settings.get("standard_population_wanted")
    used = measure.settings.get("standard_population", "who_2000_2025")
    if not wanted or wanted == used:
        return None
    available = "is not in reference/standard_population.csv" if not has_standard(wanted) else (
        "is in reference/standard_population.csv but not selected (measures.yaml standard_population)")
    return (f"age-standardised to the {STANDARD_NAMES.get(used, used)} instead of the "
            f"{STANDARD_NAMES.get(wanted, wanted)}, which the published definition uses and which {available}")


def applicable_breaks(measure: Measure, config: MeasureConfig) -> list[dict]:
    breaks = config.series_breaks
    out = []
    for break_id in measure.settings.get("series_breaks") or []:
        if break_id not in breaks:
            raise KeyError(f"{measure.measure_id}: series break {break_id!r} is not defined under "
                           "series_breaks in measures.yaml")
        spec = breaks[break_id]
        if spec.get("unless") and measure.settings.get(spec["unless"]):
            continue
        out.append(spec)
    return out


def annotate(rows: pl.DataFrame, measure: Measure, config: MeasureConfig) -> pl.DataFrame:
    notes = [n for n in (measure.settings.get("definition_note"), standard_population_note(measure)) if n]
    rows = rows.with_columns(
        pl.lit("; ".join(notes) if notes else None, pl.String).alias("definition_note"),
        *[pl.lit(None, pl.Float64).alias(c) for c in REPRODUCE_COLUMNS if c not in rows.columns],
        pl.lit(standard_population_text(measure), pl.String).alias("standard_population"),
        pl.lit(value_formula(measure)).alias("value_formula"),
        pl.lit(False).alias("series_break"),
        pl.lit(None, pl.String).alias("series_note"),
    )
    for spec in applicable_breaks(measure, config):
        start = date.fromisoformat(str(spec["from"]))
        affected = pl.col("district_code").is_in([*spec["districts"], NATIONAL])
        after = affected & (pl.col("period_end") >= start)
        rows = rows.with_columns(
            (pl.col("series_break") | (affected & (pl.col("period_start") < start) & after))
            .alias("series_break"),
            pl.when(after).then(pl.concat_str([pl.col("series_note"), pl.lit(spec["note"])],
                                              separator="; ", ignore_nulls=True))
            .otherwise(pl.col("series_note")).alias("series_note"),
        )
    return rows
