"""Why did it change? Year-on-year change of a district's headline rate, split into parts that
add up to it exactly (pack-methods §6), from marts.change_inputs (sql/commentary/).

Each window is compared with the window ending twelve months earlier, so two rolling years do
not share a quarter (pack-methods §6.3).

* ethnic_group (ASH 0–4): Kitagawa — per ethnic group, the part due to its rate changing
  ("rate: Pacific") and the part due to its share of children changing ("population mix:
  Pacific"); rate parts + mix parts = change in the crude rate.
* condition_group (ASH 0–4): per chapter, (admissions now − admissions then) / children now ×
  multiplier, plus one "population change" part, admissions then × (1/children now − 1/children
  then) × multiplier; the parts add up to the change.
* cause_group (amenable mortality): per cause group, the change in its part of the DSR (the DSR
  is linear in deaths, so the parts' changes add up to the DSR's change).
* admissions_los (acute bed days, crude): rate = stays per person × bed days per stay; the two
  factors' effects by Kitagawa's symmetric formula (the average of the other factor), which add
  up to the change.

The arithmetic is pipelines.stats' (Kitagawa, additive split); this module pairs the windows,
labels the parts and suppresses parts resting on small counts.

Suppression (the measure's own threshold: 5 events, 10 deaths for a DSR, 5 stays for bed
days): a part is flagged suppressed (and published_decomposition blanks it) when the events
behind it (its stratum's count in either year) number 1 to threshold − 1; a change whose
headline count is that small is suppressed whole, values included. When exactly one part of a
change is hidden, the smallest remaining part is hidden too, so the total cannot give it away.
Withheld windows give no decomposition.
"""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl

from pipelines import stats
from pipelines.commentary.facts import year_earlier
from pipelines.stats.decomposition import POPULATION_EFFECT

DECOMPOSITION_COLUMNS = {
    "measure_id": pl.String, "decomposition": pl.String, "district_code": pl.String,
    "period_end": pl.Date, "previous_period_end": pl.Date, "component": pl.String,
    "label": pl.String, "contribution": pl.Float64, "total_change": pl.Float64,
    "value_previous": pl.Float64, "value_latest": pl.Float64, "suppressed": pl.Boolean,
    "total_suppressed": pl.Boolean,
}
GROUP_LABELS = {"maori": "Māori", "pacific": "Pacific", "asian": "Asian",
                "european_other": "European/Other"}
KEYS = ["measure_id", "decomposition", "district_code", "period_end"]


def year_on_year(inputs: pl.DataFrame) -> pl.DataFrame:
    """Each window beside the window ending a year earlier, in long form for pipelines.stats:
    the rows of both windows, `side` = "before" | "after", keyed by the later window's end
    (period_end) and the earlier one's (previous_period_end). Withheld windows are dropped, and
    a district × decomposition is kept only where both windows are there."""
    usable = inputs.filter(~pl.col("withheld").fill_null(False)).drop("withheld")
    ends = set(usable.get_column("period_end").unique().to_list())
    later = [d for d in sorted(ends) if year_earlier(d) in ends]
    pairs = pl.DataFrame({"period_end": later, "previous_period_end": [year_earlier(d) for d in later]},
                         schema={"period_end": pl.Date, "previous_period_end": pl.Date})
    after = usable.join(pairs, on="period_end").with_columns(pl.lit("after").alias("side"))
    before = (usable.rename({"period_end": "previous_period_end"})
              .join(pairs, on="previous_period_end").with_columns(pl.lit("before").alias("side")))
    both = pl.concat([before.select(after.columns), after])
    complete = both.group_by(KEYS).agg(pl.col("side").n_unique().alias("sides")).filter(pl.col("sides") == 2)
    return both.join(complete.drop("sides"), on=KEYS, how="semi").sort(*KEYS, "side", "stratum")


def decompose(inputs: pl.DataFrame, multipliers: Mapping[str, float],
              min_counts: Mapping[str, int] | None = None) -> pl.DataFrame:
    """marts.change_decomposition: every part of every year-on-year change in change_inputs.
    min_counts: the measure's suppression threshold (events a published value needs; 5 if
    not given)."""
    pairs = year_on_year(inputs)
    parts = []
    for (kind,), rows in pairs.partition_by("decomposition", as_dict=True).items():
        for (measure_id,), one in rows.partition_by("measure_id", as_dict=True).items():
            split = _SPLITS[kind](one, float(multipliers.get(measure_id, 1.0)))
            previous = one.select("district_code", "period_end", "previous_period_end").unique()
            count = "stays" if kind == "admissions_los" else "numerator"
            totals = (one.group_by("district_code", "period_end", "side").agg(pl.col(count).sum())
                      .group_by("district_code", "period_end")
                      .agg(pl.col(count).filter(pl.col(count) > 0).min().alias("total_min")))
            threshold = (min_counts or {}).get(measure_id, 5)
            parts.append(split.join(previous, on=["district_code", "period_end"])
                         .join(totals, on=["district_code", "period_end"], how="left")
                         .with_columns(pl.lit(threshold).alias("min_count")))
    if not parts:
        return pl.DataFrame(schema=DECOMPOSITION_COLUMNS)
    out = _not_adding_up_hidden(pl.concat(parts, how="diagonal_relaxed"))
    return _suppress(out).select(list(DECOMPOSITION_COLUMNS)).cast(DECOMPOSITION_COLUMNS).sort(
        "measure_id", "decomposition", "district_code", "period_end", "component")


def _events_min(one: pl.DataFrame, by: str, column: str = "numerator") -> pl.DataFrame:
    """The smallest non-zero count of a stratum in the two years (the events a part rests on)."""
    return one.group_by("district_code", "period_end", by).agg(
        pl.col(column).filter(pl.col(column) > 0).min().alias("events_min"))


def _kitagawa_ethnic(one: pl.DataFrame, multiplier: float) -> pl.DataFrame:
    k = stats.kitagawa(one, "stratum", "numerator", "denominator", "side", "before", "after",
                       group_by=["district_code", "period_end"], multiplier=multiplier)
    k = k.join(_events_min(one, "stratum"), on=["district_code", "period_end", "stratum"], how="left")
    common = [pl.col("change").alias("total_change"), pl.col("crude_before").alias("value_previous"),
              pl.col("crude_after").alias("value_latest"), "events_min", "district_code", "period_end"]
    # A group with no children in either year has no rate and no share: it adds nothing.
    k = k.with_columns(pl.col("rate_effect", "composition_effect").fill_null(0.0))
    label = pl.col("stratum").replace_strict(GROUP_LABELS, default=pl.col("stratum"))
    rates = k.select(pl.concat_str(pl.lit("rate:"), "stratum").alias("component"),
                     pl.concat_str(pl.lit("the rate for "), label).alias("label"),
                     pl.col("rate_effect").alias("contribution"), *common)
    mix = k.select(pl.concat_str(pl.lit("mix:"), "stratum").alias("component"),
                   pl.concat_str(pl.lit("the population share of "), label).alias("label"),
                   pl.col("composition_effect").alias("contribution"), *common)
    return pl.concat([rates, mix]).with_columns(pl.lit("ethnic_group").alias("decomposition"),
                                                pl.lit(one.item(0, "measure_id")).alias("measure_id"))


def _additive_condition(one: pl.DataFrame, multiplier: float) -> pl.DataFrame:
    c = stats.cause_contributions(one, "stratum", "numerator", "side", "before", "after",
                                  population="denominator", group_by=["district_code", "period_end"],
                                  multiplier=multiplier)
    return _causes(c, one, "condition_group")


def _cause_parts(one: pl.DataFrame, multiplier: float) -> pl.DataFrame:
    # Each part is already a rate (its share of the DSR): its change is the contribution.
    c = stats.cause_contributions(one, "stratum", "rate_part", "side", "before", "after",
                                  group_by=["district_code", "period_end"])
    return _causes(c, one, "cause_group")


def _causes(c: pl.DataFrame, one: pl.DataFrame, kind: str) -> pl.DataFrame:
    c = c.join(_events_min(one, "stratum"), on=["district_code", "period_end", "stratum"], how="left")
    label = pl.col("stratum").str.replace_all("_", " ").str.to_lowercase()
    return c.select(
        pl.col("stratum").alias("component"),
        pl.when(pl.col("stratum") == POPULATION_EFFECT).then(pl.lit("the change in population"))
        .otherwise(pl.concat_str(label, pl.lit(" admissions" if kind == "condition_group" else " deaths")))
        .alias("label"),
        "contribution", pl.col("change").alias("total_change"), pl.col("total_before").alias("value_previous"),
        pl.col("total_after").alias("value_latest"), "events_min", "district_code", "period_end",
        pl.lit(kind).alias("decomposition"), pl.lit(one.item(0, "measure_id")).alias("measure_id"))


def _admissions_los(one: pl.DataFrame, multiplier: float) -> pl.DataFrame:
    factors = one.with_columns(
        (pl.col("stays") / pl.col("denominator") * multiplier).alias("admissions"),
        (pl.col("numerator") / pl.col("stays")).alias("length_of_stay"))
    p = stats.product_change(factors, "admissions", "length_of_stay", "side", "before", "after",
                             group_by=["district_code", "period_end"])
    p = p.join(_events_min(one, "stratum", "stays").drop("stratum"), on=["district_code", "period_end"],
               how="left")
    common = [pl.col("change").alias("total_change"), pl.col("value_before").alias("value_previous"),
              pl.col("value_after").alias("value_latest"), "events_min", "district_code", "period_end"]
    return pl.concat([
        p.select(pl.lit("admissions").alias("component"), pl.lit("admissions per person").alias("label"),
                 pl.col("admissions_effect").alias("contribution"), *common),
        p.select(pl.lit("length_of_stay").alias("component"), pl.lit("length of stay").alias("label"),
                 pl.col("length_of_stay_effect").alias("contribution"), *common),
    ]).with_columns(pl.lit("admissions_los").alias("decomposition"),
                    pl.lit(one.item(0, "measure_id")).alias("measure_id"))


def _not_adding_up_hidden(parts: pl.DataFrame) -> pl.DataFrame:
    """A change whose parts do not add up (1e-9 relative) would be an arithmetic bug: it is not
    published (total_min = 1 marks it too small to show); the asset check reports it."""
    keys = ["measure_id", "decomposition", "district_code", "period_end"]
    scale = pl.max_horizontal(pl.col("value_latest").abs(), pl.col("value_previous").abs(), pl.lit(1.0))
    gap = (pl.col("contribution").sum().over(keys) - pl.col("total_change")).abs()
    return parts.with_columns(pl.when(gap > 1e-9 * scale).then(1).otherwise(pl.col("total_min"))
                              .alias("total_min"))


def _suppress(parts: pl.DataFrame) -> pl.DataFrame:
    keys = ["measure_id", "decomposition", "district_code", "period_end"]
    small = pl.col("events_min").is_between(1, pl.col("min_count") - 1).fill_null(False)
    # A change whose headline rests on too few events is not published at all, parts included.
    total_small = pl.col("total_min").is_between(1, pl.col("min_count") - 1).fill_null(False)
    parts = parts.with_columns((small | total_small).alias("suppressed"), total_small.alias("total_suppressed"))
    # Exactly one hidden part in a change: hide the smallest other part too (the line rule).
    lone = pl.col("suppressed").sum().over(keys) == 1
    rank = pl.when(~pl.col("suppressed")).then(pl.col("contribution").abs()).otherwise(None) \
        .rank("ordinal").over(keys)
    return parts.with_columns((pl.col("suppressed") | (lone & (rank == 1))).alias("suppressed"))


def published_decomposition(decomposition: pl.DataFrame) -> pl.DataFrame:
    """What leaves the warehouse: suppressed parts keep their row and lose their number, and a
    change resting on too few events loses its values too (the warehouse keeps them for
    analysts, as marts.measures does)."""
    hide_total = pl.col("total_suppressed")
    return decomposition.with_columns(
        pl.when(pl.col("suppressed")).then(None).otherwise(pl.col("contribution")).alias("contribution"),
        *[pl.when(hide_total).then(None).otherwise(pl.col(c)).alias(c)
          for c in ("total_change", "value_previous", "value_latest")])


_SPLITS = {
    "ethnic_group": _kitagawa_ethnic,
    "condition_group": _additive_condition,
    "cause_group": _cause_parts,
    "admissions_los": _admissions_los,
}


