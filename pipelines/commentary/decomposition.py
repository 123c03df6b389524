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

Suppression: a part is flagged suppressed (and published_decomposition blanks it) when the events behind it (its stratum's numerator in
either year) number 1 to min_count − 1; when that leaves exactly one part of a change hidden, the
smallest remaining part is hidden too, so the total cannot give it away. Withheld windows give
no decomposition.
"""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl

from pipelines import stats
from pipelines.commentary.facts import year_earlier

DECOMPOSITION_COLUMNS = {
    "measure_id": pl.String, "decomposition": pl.String, "district_code": pl.String,
    "period_end": pl.Date, "previous_period_end": pl.Date, "component": pl.String,
    "label": pl.String, "contribution": pl.Float64, "total_change": pl.Float64,
    "value_previous": pl.Float64, "value_latest": pl.Float64, "suppressed": pl.Boolean,
}
GROUP_LABELS = {"maori": "Māori", "pacific": "Pacific", "asian": "Asian",
                "european_other": "European/Other"}
KEYS = ["measure_id", "decomposition", "district_code", "period_end"]


def year_on_year(inputs: pl.DataFrame) -> pl.DataFrame:
    """Each window beside the window ending a year earlier, per stratum: columns <x>_1 (then) and
    <x>_2 (now). Withheld windows (either side) are dropped; a stratum missing on one side is 0."""
    usable = inputs.filter(~pl.col("withheld").fill_null(False))
    ends = usable.select("period_end").unique().to_series().to_list()
    previous = pl.DataFrame({"period_end": ends,
                             "previous_period_end": [year_earlier(d) for d in ends]},
                            schema={"period_end": pl.Date, "previous_period_end": pl.Date})
    now = usable.join(previous, on="period_end")
    then = usable.rename({"period_end": "previous_period_end"}).drop("period_start", "withheld")
    values = ["numerator", "denominator", "stays", "rate_part"]
    pairs = now.join(then, on=["measure_id", "decomposition", "district_code", "previous_period_end",
                               "stratum"], how="inner", suffix="_1")
    return pairs.rename({v: f"{v}_2" for v in values}).select(
        *KEYS, "previous_period_end", "stratum", *[f"{v}_1" for v in values],
        *[f"{v}_2" for v in values])


def decompose(inputs: pl.DataFrame, multipliers: Mapping[str, float], min_count: int = 5) -> pl.DataFrame:
    """marts.change_decomposition: every part of every year-on-year change in change_inputs."""
    pairs = year_on_year(inputs)
    parts = []
    for (kind,), rows in pairs.partition_by("decomposition", as_dict=True).items():
        mult = rows["measure_id"].replace_strict(dict(multipliers), return_dtype=pl.Float64)
        rows = rows.with_columns(mult.alias("multiplier"))
        parts.append(_SPLITS[kind](rows))
    if not parts:
        return pl.DataFrame(schema=DECOMPOSITION_COLUMNS)
    out = pl.concat(parts, how="diagonal_relaxed")
    return _suppress(out, min_count).select(list(DECOMPOSITION_COLUMNS)).cast(DECOMPOSITION_COLUMNS).sort(
        "measure_id", "decomposition", "district_code", "period_end", "component")


def _suppress(parts: pl.DataFrame, min_count: int) -> pl.DataFrame:
    keys = ["measure_id", "decomposition", "district_code", "period_end"]
    small = pl.col("events_min").is_between(1, min_count - 1)
    parts = parts.with_columns(small.fill_null(False).alias("suppressed"))
    # Exactly one hidden part in a change: hide the smallest other part too (the line rule).
    lone = pl.col("suppressed").sum().over(keys) == 1
    rank = pl.when(~pl.col("suppressed")).then(pl.col("contribution").abs()).otherwise(None) \
        .rank("ordinal").over(keys)
    return parts.with_columns((pl.col("suppressed") | (lone & (rank == 1))).alias("suppressed"))


def published_decomposition(decomposition: pl.DataFrame) -> pl.DataFrame:
    """What leaves the warehouse: suppressed parts keep their row and lose their number (the
    warehouse keeps it for analysts, as marts.measures does)."""
    return decomposition.with_columns(
        pl.when(pl.col("suppressed")).then(None).otherwise(pl.col("contribution")).alias("contribution"))


def _kitagawa_ethnic(rows: pl.DataFrame) -> pl.DataFrame:
    raise NotImplementedError("waiting for pipelines.stats.kitagawa (branch stats)")


def _additive_condition(rows: pl.DataFrame) -> pl.DataFrame:
    raise NotImplementedError("waiting for pipelines.stats additive split (branch stats)")


def _cause_parts(rows: pl.DataFrame) -> pl.DataFrame:
    raise NotImplementedError("waiting for pipelines.stats additive split (branch stats)")


def _admissions_los(rows: pl.DataFrame) -> pl.DataFrame:
    raise NotImplementedError("waiting for pipelines.stats.kitagawa (branch stats)")


_SPLITS = {
    "ethnic_group": _kitagawa_ethnic,
    "condition_group": _additive_condition,
    "cause_group": _cause_parts,
    "admissions_los": _admissions_los,
}


