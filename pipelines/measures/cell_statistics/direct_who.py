"""Directly age-standardised rate with Dobson limits (PHE calculate_dsr, statistical-methods §7).

Strata are age bands: the part of a cell's stratum label before '|' ('0-4', …, '85+'); other
parts (sex, for bed days) are summed, the WHO standard having one sex. Weights are the column
`<standard_population>_pct` of reference/standard_population.csv (measures.yaml
standard_population, e.g. who_2000_2025), matched by band label.

  DSR = Σ xᵢ wᵢ / nᵢ / Σ wᵢ × multiplier;  Dobson limits from Byar's limits on O = Σ xᵢ.

* Σ wᵢ runs over the measure's bands only, so amenable mortality (0–4 … 70–74) renormalises
  the WHO weights over ages 0–74 (96.97 %) — PHE's formula does this by itself.
  renormalise_weights: false divides by the whole standard instead (the bands 0-4 … 80-84 and
  85+): DSR and both Dobson limits are linear in 1/Σw, so they are rescaled by Σw_used/Σw_all.
* A band with no population and no events contributes 0 and keeps its weight (PHE refuses
  nᵢ = 0; dropping the band would renormalise over the others and overstate the rate). It is
  given nᵢ = 1 for the arithmetic only: xᵢ = 0, so xᵢwᵢ/nᵢ and its variance term are 0 either way.
* Events in a band with no population, or a missing population, leave the rate undefined.
* Age 'unknown' strata cannot be standardised: left out (the crude variant counts them).
* O < 10 → value and limits null (PHE); publish then suppresses the row (min_dsr_events).
compare: standardised rate ratio (log scale) and difference (linear) with the DSR variances,
stats.dsr_ratio_difference (statistical-methods §9; null where either side has < 10 events).
"""

from __future__ import annotations

from functools import cache

import polars as pl

from pipelines import stats
from pipelines.config import REFERENCE_DIR
from pipelines.measures.cell_statistics import EQUITY_KEYS, KEYS, ROW_COLUMNS
from pipelines.measures.cell_statistics._strata import UNKNOWN, age_band, empty_rows, no_value, strict_sum

MIN_EVENTS = 10          # PHE: no DSR, ratio or difference from fewer than 10 events
# measures.yaml `standard_population` ids in words; column <id>_pct of
# reference/standard_population.csv holds each one's weights.
STANDARD_NAMES = {"who_2000_2025": "WHO World Standard Population 2000–2025",
                  "segi": "Segi world standard population",
                  "maori_2001_census": "2001 Census Māori population"}


def has_standard(standard: str) -> bool:
    """Whether reference/standard_population.csv has weights for `standard`."""
    header = (REFERENCE_DIR / "standard_population.csv").read_text(encoding="utf-8").splitlines()[0]
    return f"{standard}_pct" in header.split(",")
EQUITY_GROUPS = ["maori", "pacific", "asian", "european_other"]


@cache
def standard_weights(standard: str) -> pl.DataFrame:
    """age_band, weight (percent of the standard population) for one standard."""
    table = pl.read_csv(REFERENCE_DIR / "standard_population.csv", infer_schema=False)
    column = f"{standard}_pct"
    if column not in table.columns:
        raise ValueError(f"standard population {standard!r}: no column {column} in standard_population.csv")
    return table.select(pl.col("age_group").alias("age_band"),
                        pl.col(column).cast(pl.Float64).alias("weight")).drop_nulls()


def whole_standard(weights: pl.DataFrame) -> float:
    """Σ weights over one partition of all ages: the lowest open band ('85+') replaces every
    band above its start (the file also lists 85-89 … 100+; never use both)."""
    def lower(band: str) -> int:
        return int(band.rstrip("+").split("-")[0])
    bands = dict(weights.iter_rows())
    opens = [b for b in bands if b.endswith("+")]
    if not opens:
        return sum(bands.values())
    top = min(opens, key=lower)
    return bands[top] + sum(w for b, w in bands.items() if not b.endswith("+") and lower(b) < lower(top))


def _strata(cells: pl.DataFrame, measure) -> pl.DataFrame:
    """One row per KEYS × age band with events x, population n and standard weight."""
    standard = measure.settings.get("standard_population", "who_2000_2025")
    weights = standard_weights(standard)
    bands = (
        cells.with_columns(age_band()).filter(pl.col("age_band") != UNKNOWN)
        .group_by([*KEYS, "age_band"], maintain_order=True)
        .agg(pl.col("numerator").cast(pl.Float64).sum(), strict_sum("denominator"),
             pl.col("withheld").any(), pl.col("blocking_rules").first())
    )
    unmatched = set(bands["age_band"]) - set(weights["age_band"])
    if unmatched:
        raise ValueError(f"{measure.measure_id}: age bands {sorted(unmatched)} are not in the "
                         f"{standard} standard population")
    return bands.join(weights, on="age_band", how="left")


def _keys(strata: pl.DataFrame) -> pl.DataFrame:
    """Per KEYS: events, population and whether a DSR can be calculated."""
    return strata.group_by(KEYS, maintain_order=True).agg(
        pl.col("numerator").sum(), strict_sum("denominator"),
        pl.col("withheld").any(), pl.col("blocking_rules").first(),
        ((pl.col("numerator") > 0) & (pl.col("denominator") <= 0)).any().alias("events_without_people"),
        pl.col("weight").sum().alias("weight_used"),
    )


def _calculable(strata: pl.DataFrame, keys: pl.DataFrame) -> pl.DataFrame:
    ok = keys.filter((pl.col("denominator") > 0) & ~pl.col("events_without_people")).select(KEYS)
    return strata.join(ok, on=KEYS, how="semi").with_columns(
        pl.when((pl.col("numerator") == 0) & (pl.col("denominator") == 0)).then(1.0)
        .otherwise(pl.col("denominator")).alias("n_for_rate"))


def _scale(measure) -> pl.Expr:
    """1, or Σw_used / Σw_all when the whole standard divides (renormalise_weights: false)."""
    if measure.settings.get("renormalise_weights", True):
        return pl.lit(1.0)
    standard = measure.settings.get("standard_population", "who_2000_2025")
    return pl.col("weight_used") / whole_standard(standard_weights(standard))


def compute(cells: pl.DataFrame, measure, confidence: float) -> pl.DataFrame:
    if cells.is_empty():
        return empty_rows()
    strata = _strata(cells, measure)
    keys = _keys(strata)
    usable = _calculable(strata, keys)
    scored = stats.dsr(usable, "numerator", "n_for_rate", "weight", group_by=KEYS,
                       confidence=confidence, multiplier=measure.multiplier)
    factor = _scale(measure)
    rows = (
        keys.join(scored.select(*KEYS, "value", "lowercl", "uppercl", "method"), on=KEYS, how="inner")
        .with_columns((pl.col("value") * factor).alias("value"),
                      (pl.col("lowercl") * factor).alias("lower_ci"),
                      (pl.col("uppercl") * factor).alias("upper_ci"))
        .select(ROW_COLUMNS)
    )
    undefined = keys.join(usable.select(KEYS).unique(), on=KEYS, how="anti")
    why = (pl.when(pl.col("events_without_people")).then(pl.lit("events in an age band with no population"))
           .otherwise(pl.lit("no denominator")))
    return pl.concat([rows, no_value(undefined, why)], how="vertical_relaxed")


def compare(cells: pl.DataFrame, measure, comparator: str, confidence: float) -> pl.DataFrame:
    if cells.is_empty():
        return pl.DataFrame()
    strata = _strata(cells.filter(pl.col("group_id").is_in([*EQUITY_GROUPS, comparator])), measure)
    keys = _keys(strata)
    usable = _calculable(strata, keys)
    if usable.filter(pl.col("group_id") == comparator).is_empty():
        return pl.DataFrame()
    out = stats.dsr_ratio_difference(usable, "group_id", comparator, "numerator", "n_for_rate", "weight",
                                     group_by=EQUITY_KEYS, confidence=confidence,
                                     multiplier=measure.multiplier, min_count=MIN_EVENTS)
    if measure.settings.get("renormalise_weights", True):
        return out
    factor = _scale(measure)
    scale = keys.select(*KEYS, factor.alias("_factor"))
    return (out.join(scale, on=[*EQUITY_KEYS, "group_id"], how="left")
            .with_columns(*[(pl.col(c) * pl.col("_factor")).alias(c)
                            for c in ("difference", "difference_lowercl", "difference_uppercl")])
            .drop("_factor"))
