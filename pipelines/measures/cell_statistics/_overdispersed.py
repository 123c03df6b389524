"""Quasi-Poisson (overdispersed Poisson) limits for a count whose events carry many units (bed days
of stays). measures.yaml `interval: quasi_poisson` (acute bed days). [I: no NZ method found]

Bed days O = Σ dⱼ over a row's stays are overdispersed: Var(O) = φ·E[O] with φ ≈ E[d²]/E[d],
not the Poisson φ = 1 that exact/Byar/Dobson limits assume. φ is estimated once per window ×
breakdown from the largest cell, where it is stable, and applied to every row of that window:

  φ = max(1, Σ dⱼ² / Σ dⱼ)   over the counted stays of New Zealand (district '000', group
                              'total'): cells' sum_bed_days_sq / numerator, the strata the
                              statistic counts; 1 when the nation has no bed days.

A row's own Σ d² is not used: a small cell without a long stay would get a small spread (the
compound Poisson limits this replaced covered the planted truth in only 62–77% of small cells).

Every statistic s is scale-equivariant in the counts, so the limits are φ·s(x/φ): the cells'
numerators are divided by φ, the statistic's own PHE method runs on them, and value, limits and
differences are multiplied back by φ.
  crude, indirect   exact (O/φ < 10) or Byar limits on O/φ, × φ (indirect: / E × national rate
                    as usual; E and the national rate scale with the counts, O/E does not)
  direct (WHO)      Dobson limits from stratum counts xᵢ/φ, × φ. Where O/φ < 10, PHE's rule on
                    the effective count withholds the DSR itself, value and limits, as
                    calculate_dsr does for fewer than 10 events.
  compare           the statistic's comparison on the scaled counts: ratio unchanged, SE(ln) =
                    √(φ/O₁ + φ/O₀) (DSR: √(φ·v₁/D₁² + φ·v₀/D₀²)); difference × φ, so its SE is
                    √φ × the Poisson one. DSR ratios need O/φ ≥ 10 on both sides (PHE).
The value, numerator and which rows have a value are the statistic's own, from the unscaled
cells; only limits and `method` change (and `sum_*` columns are added, see compute).
"""

from __future__ import annotations

import sys
from types import ModuleType

import polars as pl

from pipelines.measures.cell_statistics import (
    EQUITY_KEYS,
    KEYS,
    REPRODUCE_COLUMNS,
    ROW_COLUMNS,
    indirect_age_sex,
    statistic_module,
)
from pipelines.measures.cell_statistics._strata import UNKNOWN, age_band

SETTING = "quasi_poisson"
SQUARES = "sum_bed_days_sq"
WINDOW = ["period_start", "period_end", "breakdown"]          # φ is one number per window × breakdown
NATIONAL = (pl.col("district_code") == "000") & (pl.col("group_id") == "total")
COMPARE_COLUMNS = [*EQUITY_KEYS, "group_id", "ratio", "ratio_lowercl", "ratio_uppercl", "difference",
                   "difference_lowercl", "difference_uppercl", "method"]
DIFFERENCES = ["difference", "difference_lowercl", "difference_uppercl"]


def module_for(measure) -> ModuleType:
    """The module publish and equity call: this one when the measure asks for quasi-Poisson
    limits, otherwise the measure's statistic."""
    if measure.settings.get("interval") == SETTING:
        return sys.modules[__name__]
    return statistic_module(measure.statistic)


def compute(cells: pl.DataFrame, measure, confidence: float) -> pl.DataFrame:
    """The statistic's rows with quasi-Poisson limits; also the `sum_*` columns summed over the
    row's strata (publish suppresses on sum_stays, which must leave out uncounted strata)."""
    statistic = statistic_module(measure.statistic)
    rows = statistic.compute(cells, measure, confidence)
    phi = dispersion(cells, measure)
    scaled = (statistic.compute(_scaled(cells, phi), measure, confidence)
              .select(*KEYS, pl.col("lower_ci").alias("lo"), pl.col("upper_ci").alias("hi"),
                      pl.col("method").alias("scaled_method"))
              .join(phi, on=WINDOW, how="inner", nulls_equal=True))
    rows = (rows.join(scaled, on=KEYS, how="left", nulls_equal=True)
            .join(_counted(cells, measure).group_by(KEYS).agg(pl.col(c).cast(pl.Float64).sum()
                                                              for c in _extras(cells)),
                  on=KEYS, how="left", nulls_equal=True))
    has_value = pl.col("value").is_not_null()
    limits = has_value & pl.col("lo").is_not_null()
    label = _label(pl.col("scaled_method"))
    too_few = has_value & ~limits & pl.col("phi").is_not_null()
    return rows.with_columns(
        pl.when(too_few).then(None).otherwise(pl.col("value")).alias("value"),
        pl.when(limits).then(pl.col("lo") * pl.col("phi")).alias("lower_ci"),
        pl.when(limits).then(pl.col("hi") * pl.col("phi")).alias("upper_ci"),
        # A row without a value keeps the statistic's reason; one with a value but no limits is
        # a DSR with O/φ < 10, or (never from publish.group_sets) a window with no national row.
        pl.when(limits).then(label)
        .when(too_few)
        .then(pl.format("dsr NA: effective count O/φ < 10 (quasi-Poisson, φ = {})", _phi_text()))
        .when(has_value).then(pl.lit("quasi-Poisson: no national row to estimate φ"))
        .otherwise(pl.col("method")).alias("method"),
    ).select(*ROW_COLUMNS, *[c for c in REPRODUCE_COLUMNS if c in rows.columns], *_extras(cells))


def compare(cells: pl.DataFrame, measure, comparator: str, confidence: float) -> pl.DataFrame:
    """The statistic's own comparison on counts / φ; differences (and their limits) × φ."""
    phi = dispersion(cells, measure)
    out = statistic_module(measure.statistic).compare(_scaled(cells, phi), measure, comparator, confidence)
    if out.is_empty():
        return out
    return (out.join(phi, on=WINDOW, how="inner", nulls_equal=True)
            .with_columns(*[(pl.col(c) * pl.col("phi")).alias(c) for c in DIFFERENCES],
                          _label(pl.col("method")).alias("method"))
            .select(COMPARE_COLUMNS))


def dispersion(cells: pl.DataFrame, measure) -> pl.DataFrame:
    """WINDOW + phi: New Zealand's Σ days² / Σ days over the strata the statistic counts, ≥ 1."""
    national = _counted(cells.filter(NATIONAL), measure).group_by(WINDOW).agg(
        pl.col(SQUARES).cast(pl.Float64).sum().alias("squares"),
        pl.col("numerator").cast(pl.Float64).sum().alias("days"))
    # No bed days nationally (only same-day stays): no evidence of overdispersion, Poisson.
    ratio = pl.when(pl.col("days") > 0).then(pl.col("squares") / pl.col("days")).otherwise(1.0)
    return national.select(*WINDOW, pl.max_horizontal(ratio, pl.lit(1.0)).alias("phi"))


def _scaled(cells: pl.DataFrame, phi: pl.DataFrame) -> pl.DataFrame:
    """Cells with numerator / φ of their window; windows without a φ are dropped (no limits)."""
    return (cells.join(phi, on=WINDOW, how="inner", nulls_equal=True)
            .with_columns((pl.col("numerator").cast(pl.Float64) / pl.col("phi")).alias("numerator"))
            .drop("phi"))


def _counted(cells: pl.DataFrame, measure) -> pl.DataFrame:
    """The strata the statistic's numerator counts."""
    if SQUARES not in cells.columns:
        raise ValueError(f"{measure.measure_id}: interval {SETTING} needs a {SQUARES} column in its cells")
    if measure.statistic == "crude_rate":
        return cells
    if measure.statistic == "indirect_age_sex":
        return indirect_age_sex._standardisable(cells)         # strata with a national rate
    if measure.statistic == "direct_who":
        return cells.with_columns(age_band()).filter(pl.col("age_band") != UNKNOWN)
    raise NotImplementedError(f"{measure.measure_id}: interval {SETTING} is not implemented "
                              f"for statistic {measure.statistic}")


def _extras(cells: pl.DataFrame) -> list[str]:
    return [c for c in cells.columns if c.startswith("sum_")]


def _phi_text() -> pl.Expr:
    return pl.col("phi").round(2).cast(pl.String)


def _label(method: pl.Expr) -> pl.Expr:
    """e.g. 'quasi-Poisson (national dispersion φ = 16.23), Byars on O/φ'."""
    return pl.format("quasi-Poisson (national dispersion φ = {}), {} on O/φ", _phi_text(), method)
