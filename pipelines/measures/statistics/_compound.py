"""Compound Poisson limits for a count whose events carry many units (bed days of stays).

measures.yaml `interval: compound_poisson` (acute bed days). Stays are Poisson and their lengths
independent of how many there are, so the bed days O = Σ dⱼ of a row are compound Poisson with
Var(O) = E[N]·E[d²], estimated by S2 = Σ dⱼ² over the row's stays (cells: sum_bed_days_sq). The
Poisson limits (exact/Byar/Dobson) assume Var(O) = O, too small by S2/O (≈ mean days per stay
weighted by days). [I: no NZ method found]

  crude, indirect   se = value · √S2 / O   (E fixed for the indirect rate, as PHE does)
  direct (WHO)      var = Σᵢ (wᵢ/nᵢ)² S2ᵢ / (Σw)², se = √var × multiplier (× Σw_used/Σw_all when
                    renormalise_weights is false): stats.dsr's unscaled variance with x = S2
  limits            value ∓ z·se, the lower clipped at 0 (normal approximation)
  compare           ratio v₁/v₀ on the log scale, se_log = √((se₁/v₁)² + (se₀/v₀)²);
                    difference v₁ − v₀, se = √(se₁² + se₀²)

The value is the statistic's own (crude_rate, indirect_age_sex, direct_who), so are its rules on
which strata count and when there is no value; only the limits and `method` change. S2 is summed
over the same strata as the row's numerator. A row of 0 bed days (e.g. only same-day stays) would
get se 0, a zero-width interval; it keeps the statistic's own limits (exact Poisson 0 – 3.69 bed
days) instead.
"""

from __future__ import annotations

import sys
from types import ModuleType

import polars as pl

from pipelines import stats
from pipelines.measures.statistics import (
    EQUITY_KEYS,
    KEYS,
    ROW_COLUMNS,
    direct_who,
    indirect_age_sex,
    statistic_module,
)
from pipelines.measures.statistics._strata import UNKNOWN, age_band

SETTING = "compound_poisson"
METHOD = "compound Poisson (normal approximation)"
SQUARES = "sum_bed_days_sq"
EQUITY_GROUPS = ["maori", "pacific", "asian", "european_other"]


def module_for(measure) -> ModuleType:
    """The module publish and equity call: this one when the measure asks for compound Poisson
    limits, otherwise the measure's statistic."""
    if measure.settings.get("interval") == SETTING:
        return sys.modules[__name__]
    return statistic_module(measure.statistic)


def compute(cells: pl.DataFrame, measure, confidence: float) -> pl.DataFrame:
    """The statistic's rows with compound Poisson limits; also the `sum_*` columns summed over
    the row's strata (publish suppresses on sum_stays)."""
    rows = _scored(cells, measure, confidence)
    return rows.select(*ROW_COLUMNS, *[c for c in rows.columns if c.startswith("sum_")])


def compare(cells: pl.DataFrame, measure, comparator: str, confidence: float) -> pl.DataFrame:
    # All groups go in: the indirect rate's reference is New Zealand's 'total' group.
    rows = _scored(cells, measure, confidence).filter(pl.col("denominator") > 0)
    base = rows.filter(pl.col("group_id") == comparator).select(
        *EQUITY_KEYS, pl.col("value").alias("v0"), pl.col("se").alias("se0"))
    if base.is_empty():
        return pl.DataFrame()
    z = stats.z_for(confidence)
    v1, se1, v0, se0 = pl.col("value"), pl.col("se"), pl.col("v0"), pl.col("se0")
    positive = (v1 > 0) & (v0 > 0)           # a log ratio needs both rates above 0
    ratio = pl.when(v0 > 0).then(v1 / v0)
    se_log = pl.when(positive).then(((se1 / v1) ** 2 + (se0 / v0) ** 2).sqrt())
    difference = v1 - v0
    se_diff = (se1 ** 2 + se0 ** 2).sqrt()
    return (
        rows.filter(pl.col("group_id").is_in(EQUITY_GROUPS))
        .join(base, on=EQUITY_KEYS, how="inner")
        .select(
            *EQUITY_KEYS, "group_id",
            ratio.alias("ratio"),
            (ratio.log() - z * se_log).exp().alias("ratio_lowercl"),
            (ratio.log() + z * se_log).exp().alias("ratio_uppercl"),
            difference.alias("difference"),
            (difference - z * se_diff).alias("difference_lowercl"),
            (difference + z * se_diff).alias("difference_uppercl"),
            pl.lit(METHOD).alias("method"),
        )
    )


def _scored(cells: pl.DataFrame, measure, confidence: float) -> pl.DataFrame:
    """The statistic's rows + `se` + the row sums, limits replaced where there is an se."""
    rows = statistic_module(measure.statistic).compute(cells, measure, confidence)
    if rows.is_empty():
        return rows.with_columns(pl.lit(None, pl.Float64).alias("se"))
    sums = _row_sums(cells, measure)
    rows = rows.join(sums, on=KEYS, how="left", nulls_equal=True)
    if measure.statistic == "direct_who":
        rows = rows.join(_dsr_se(cells, measure), on=KEYS, how="left", nulls_equal=True)
    else:
        # se = value·√S2/O; none for O = 0 (see the module docstring) or no value.
        rows = rows.with_columns(
            pl.when(pl.col("numerator") > 0)
            .then(pl.col("value") * pl.col(SQUARES).sqrt() / pl.col("numerator")).alias("se"))
    z = stats.z_for(confidence)
    # No se: the statistic's reason for no value stays. A DSR from < 10 bed days has an se but
    # no value (PHE): its limits stay null too.
    has_se = pl.col("se").is_not_null()
    limits = has_se & pl.col("value").is_not_null()
    return rows.with_columns(
        pl.when(limits).then(pl.max_horizontal(pl.col("value") - z * pl.col("se"), pl.lit(0.0)))
        .otherwise(pl.col("lower_ci")).alias("lower_ci"),
        pl.when(limits).then(pl.col("value") + z * pl.col("se")).otherwise(pl.col("upper_ci")).alias("upper_ci"),
        pl.when(has_se).then(pl.lit(METHOD)).otherwise(pl.col("method")).alias("method"),
    )


def _row_sums(cells: pl.DataFrame, measure) -> pl.DataFrame:
    """Per KEYS, every `sum_*` column over the strata the statistic's numerator counts."""
    extras = [c for c in cells.columns if c.startswith("sum_")]
    if SQUARES not in extras:
        raise ValueError(f"{measure.measure_id}: interval {SETTING} needs a {SQUARES} column in its cells")
    if measure.statistic == "crude_rate":
        counted = cells
    elif measure.statistic == "indirect_age_sex":
        counted = indirect_age_sex._standardisable(cells)        # strata with a national rate
    elif measure.statistic == "direct_who":
        counted = cells.with_columns(age_band()).filter(pl.col("age_band") != UNKNOWN)
    else:
        raise NotImplementedError(f"{measure.measure_id}: interval {SETTING} is not implemented "
                                  f"for statistic {measure.statistic}")
    return counted.group_by(KEYS).agg(pl.col(c).cast(pl.Float64).sum() for c in extras)


def _dsr_se(cells: pl.DataFrame, measure) -> pl.DataFrame:
    """KEYS, se of the DSR: direct_who's strata and weights with S2ᵢ in place of xᵢ, so that
    stats.dsr's unscaled variance Σ xᵢ(wᵢ/nᵢ)²/(Σw)² is Σ S2ᵢ(wᵢ/nᵢ)²/(Σw)². S2ᵢ > 0 exactly when
    xᵢ > 0, so the same bands are calculable as for the value."""
    squares = cells.with_columns(pl.col(SQUARES).alias("numerator"))
    strata = direct_who._strata(squares, measure)
    keys = direct_who._keys(strata)
    usable = direct_who._calculable(strata, keys)
    if usable.is_empty():
        return keys.select(*KEYS, pl.lit(None, pl.Float64).alias("se"))
    variance = stats.dsr(usable, "numerator", "n_for_rate", "weight", group_by=KEYS, multiplier=1)
    return (
        variance.select(*KEYS, "variance")
        .join(keys.select(*KEYS, direct_who._scale(measure).alias("factor")), on=KEYS, how="left",
              nulls_equal=True)
        .select(*KEYS, (pl.col("variance").sqrt() * measure.multiplier * pl.col("factor")).alias("se"))
    )
