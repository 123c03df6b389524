"""An independent reading of the measure rules (measures.yaml defaults) over landing files.

Deliberately written apart from the generator: if both agree, the planted events really do
satisfy (or, for decoys, really do fail) the documented definitions.
"""

from __future__ import annotations

import csv
from pathlib import Path

import polars as pl
import yaml

ROOT = Path(__file__).resolve().parents[2]
MEASURES = yaml.safe_load((ROOT / "measures.yaml").read_text(encoding="utf-8"))["measures"]


def read_nmds(landing: Path) -> pl.DataFrame:
    files = sorted((landing / "nmds_events").glob("*.csv"))
    df = pl.concat([pl.read_csv(f, infer_schema=False) for f in files])
    return df.with_columns(
        pl.col("date_of_birth", "admission_date", "discharge_date").str.to_date("%Y-%m-%d")
    )


def _ethnicity() -> pl.DataFrame:
    with open(ROOT / "reference/ethnicity_level2.csv", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    return pl.DataFrame({
        "code": [r["level2"] for r in rows],
        "rank": [int(r["prio_rank_l1"]) for r in rows],
        "group4": [r["group4"] for r in rows],
    })


GROUP_ID = {"Māori": "maori", "Pacific": "pacific", "Asian": "asian",
            "European or Other": "european_other"}


def with_derived(df: pl.DataFrame) -> pl.DataFrame:
    """Adds age_years / age_months at admission (completed), prioritised group_id, quarter, los."""
    eth = _ethnicity()
    ranks = []
    for i in (1, 2, 3):
        ranks.append(
            df.select(pl.col(f"ethnic_code_{i}").alias("code"))
            .join(eth, on="code", how="left", maintain_order="left")
            .get_column("rank")
            .alias(f"r{i}")
        )
    best = pl.DataFrame(ranks).select(pl.min_horizontal(pl.all()).alias("rank"))
    rank_group = eth.group_by("rank").agg(pl.col("group4").first())
    group = best.join(rank_group, on="rank", how="left", maintain_order="left")["group4"]
    a, b = pl.col("admission_date"), pl.col("date_of_birth")

    def ymd(d):  # Int32 parts: dt.month()/dt.day() are Int8 and would overflow below
        return (d.dt.year().cast(pl.Int32), d.dt.month().cast(pl.Int32), d.dt.day().cast(pl.Int32))

    (ay, am, ad), (by, bm, bd) = ymd(a), ymd(b)
    before_birthday = (am * 100 + ad) < (bm * 100 + bd)
    return df.with_columns(
        group_id=group.replace_strict(GROUP_ID),
        age_years=ay - by - before_birthday.cast(pl.Int32),
        age_months=(ay - by) * 12 + am - bm - (ad < bd).cast(pl.Int32),
        quarter=pl.col("discharge_date").dt.year().cast(pl.String) + "Q"
        + pl.col("discharge_date").dt.quarter().cast(pl.String),
        los=(pl.col("discharge_date") - pl.col("admission_date")).dt.total_days(),
    )


def ash_list() -> pl.DataFrame:
    return pl.read_csv(ROOT / MEASURES["ash_0_4"]["code_list"], infer_schema=False).select(
        "icd10am_code", "condition",
        pl.col("age_min_months").cast(pl.Int64).fill_null(0),
        pl.col("age_max_months").cast(pl.Int64),
        (pl.col("includes_elective") == "yes").alias("includes_elective"),
    )


def ash_counting(df: pl.DataFrame) -> pl.DataFrame:
    m = MEASURES["ash_0_4"]
    codes = ash_list()
    four = codes.filter(pl.col("icd10am_code").str.len_chars() == 4)
    three = codes.filter(pl.col("icd10am_code").str.len_chars() == 3)
    x = df.join(four, left_on="principal_diagnosis", right_on="icd10am_code", how="left")
    x = x.join(three, left_on=pl.col("principal_diagnosis").str.slice(0, 3),
               right_on="icd10am_code", how="left", suffix="_3")
    for c in ("condition", "age_min_months", "age_max_months", "includes_elective"):
        x = x.with_columns(pl.coalesce(c, f"{c}_3").alias(c))
    return x.filter(
        pl.col("condition").is_not_null()
        & pl.col("age_years").is_between(m["age_min_years"], m["age_max_years"])
        & (pl.col("age_months") >= pl.col("age_min_months"))
        & (pl.col("age_max_months").is_null() | (pl.col("age_months") <= pl.col("age_max_months")))
        & (pl.col("admission_type").is_in(m["admission_types"])
           | (pl.col("admission_type").is_in(m["elective_admission_types"])
              & pl.col("includes_elective")))
        & pl.col("event_type").is_in(m["event_types"])
        & (pl.col("admission_source") != "T")
        & pl.col("purchaser_code").is_in(m["public_purchaser_codes"])
    )


def acute_bed_day_events(df: pl.DataFrame) -> pl.DataFrame:
    m = MEASURES["acute_bed_days"]
    ssed = pl.col("health_specialty").is_in(m["ssed_specialties"]) & (
        pl.col("los") <= m["ssed_max_los_days"])
    return df.filter(
        pl.col("admission_type").is_in(m["admission_types"])
        & pl.col("event_type").is_in(m["event_types"])
        & ~ssed
        & ~pl.col("health_specialty").is_in(["W00", "P60"])  # maternity, neonatal
        & pl.col("purchaser_code").is_in(m["public_purchaser_codes"])
    )


def youth_self_harm_events(df: pl.DataFrame) -> pl.DataFrame:
    m = MEASURES["youth_self_harm"]
    cause = pl.col("external_cause_code").fill_null("")
    return df.filter(
        pl.any_horizontal([cause.str.starts_with(p) for p in m["external_cause_prefixes"]])
        & pl.col("age_years").is_between(m["age_min_years"], m["age_max_years"])
        & pl.col("event_type").is_in(m["event_types"])
        & (pl.col("admission_source") != "T")
        & pl.col("purchaser_code").is_in(m["public_purchaser_codes"])
    )
