"""Indirectly standardised rate by age band × sex against national rates (PHE calculate_ISRate,
statistical-methods §8).

For every window × district × group × breakdown, over its strata ('<age band>|<sex>'):
  E = Σ (national xₛ / national nₛ) × nₛ        expected from the national stratum rates
  value = O / E × national rate                 national rate = Σ national x / Σ national n × multiplier
  limits = exact (O < 10) or Byar limits on O, / E × national rate
Rows carry `expected` (E) and `reference_rate` (the national rate), so value = numerator /
expected × reference_rate reproduces from the row.
"National" is district '000', group 'total' of the same window and breakdown, so the national
total row reproduces the national crude rate. Strata with no national population (the
'unknown' age or sex strata) have no reference rate: their events are in neither O nor E, and
the row's numerator is O, the standardisable count. [I]
The limits treat O as a Poisson count; bed days are not independent events, so they are too
narrow. [U]

compare: ratio of the two indirectly standardised rates = (O₁/E₁)/(O₀/E₀) with
CI exp(ln ratio ∓ z √(1/O₁ + 1/O₀)), E taken as fixed; difference = national rate × (O₁/E₁ −
O₀/E₀), SE national rate × √(O₁/E₁² + O₀/E₀²). That is stats.rate_ratio_difference applied to
observed over expected (Breslow & Day's SMR comparison) [I: no NZ method found]. Each group's
E uses its own age-sex structure, so the ratio compares two SMRs, not two DSRs.
"""

from __future__ import annotations

import polars as pl

from pipelines import stats
from pipelines.measures.cell_statistics import EQUITY_KEYS, KEYS, ROW_COLUMNS
from pipelines.measures.cell_statistics._strata import empty_rows, no_value, strict_sum

REFERENCE = {"district_code": "000", "group_id": "total"}
EQUITY_GROUPS = ["maori", "pacific", "asian", "european_other"]
_REF_ON = ["period_start", "period_end", "breakdown", "stratum"]


def _standardisable(cells: pl.DataFrame) -> pl.DataFrame:
    """Cells beside their national stratum rate, only strata that have one."""
    reference = cells.filter(*[pl.col(k) == v for k, v in REFERENCE.items()]).select(
        *_REF_ON, pl.col("numerator").cast(pl.Float64).alias("x_ref"),
        pl.col("denominator").cast(pl.Float64).alias("n_ref"))
    return cells.join(reference, on=_REF_ON, how="inner").filter(pl.col("n_ref") > 0)


def _observed_expected(cells: pl.DataFrame, confidence: float, multiplier: float):
    """(keys, scored): every KEYS row with its population and whether E is calculable, and
    stats.israte's result for the calculable ones."""
    strata = _standardisable(cells)
    keys = cells.group_by(KEYS, maintain_order=True).agg(
        strict_sum("denominator"), pl.col("withheld").any(), pl.col("blocking_rules").first(),
    ).join(
        strata.group_by(KEYS).agg(pl.col("numerator").cast(pl.Float64).sum().alias("observed"),
                                  pl.col("denominator").is_null().any().alias("population_missing")),
        on=KEYS, how="left",
    )
    ok = keys.filter((pl.col("denominator") > 0) & ~pl.col("population_missing").fill_null(True))
    usable = strata.join(ok.select(KEYS), on=KEYS, how="semi")
    if usable.is_empty():
        return keys, None
    scored = stats.israte(usable, "numerator", "denominator", "x_ref", "n_ref", group_by=KEYS,
                          confidence=confidence, multiplier=multiplier)
    return keys, scored.filter(pl.col("expected") > 0)


def compute(cells: pl.DataFrame, measure, confidence: float) -> pl.DataFrame:
    if cells.is_empty():
        return empty_rows()
    keys, scored = _observed_expected(cells, confidence, measure.multiplier)
    if scored is None:
        scored = pl.DataFrame(schema={**{k: keys.schema[k] for k in KEYS}, "value": pl.Float64,
                                      "lowercl": pl.Float64, "uppercl": pl.Float64,
                                      "method": pl.String, "expected": pl.Float64,
                                      "ref_rate": pl.Float64})
    rows = (
        keys.join(scored.select(*KEYS, "value", "lowercl", "uppercl", "method", "expected",
                                pl.col("ref_rate").alias("reference_rate")), on=KEYS, how="inner")
        .rename({"observed": "numerator", "lowercl": "lower_ci", "uppercl": "upper_ci"})
        .select(*ROW_COLUMNS, "expected", "reference_rate")
    )
    undefined = (keys.join(scored.select(KEYS), on=KEYS, how="anti")
                 .with_columns(pl.col("observed").alias("numerator")))
    return pl.concat([rows, no_value(undefined, pl.lit("no denominator"))], how="diagonal_relaxed")


def compare(cells: pl.DataFrame, measure, comparator: str, confidence: float) -> pl.DataFrame:
    if cells.is_empty():
        return pl.DataFrame()
    _, scored = _observed_expected(cells, confidence, measure.multiplier)
    if scored is None:
        return pl.DataFrame()
    groups = scored.filter(pl.col("group_id").is_in([*EQUITY_GROUPS, comparator]))
    if groups.filter(pl.col("group_id") == comparator).is_empty():
        return pl.DataFrame()
    out = stats.rate_ratio_difference(groups.select(*KEYS, "observed", "expected"), "group_id",
                                      comparator, "observed", "expected", group_by=EQUITY_KEYS,
                                      confidence=confidence, multiplier=1)
    # rate_ratio_difference's "difference" is of O/E; the national rate turns it into a rate.
    national = groups.group_by(EQUITY_KEYS).agg(pl.col("ref_rate").first())
    return (
        out.join(national, on=EQUITY_KEYS, how="left")
        .with_columns(*[(pl.col(c) * pl.col("ref_rate")).alias(c)
                        for c in ("difference", "difference_lowercl", "difference_uppercl")])
        .with_columns(pl.lit("ratio of indirectly standardised rates, Wald on log scale (E fixed)")
                      .alias("method"))
    )
