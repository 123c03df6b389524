"""Stage 2: the other ten sources, their reference files and planted truth (small preset)."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from pipelines.synthetic.mortality import is_amenable

ROOT = Path(__file__).resolve().parents[2]
# Transcribed from docs/sources.md.
COLUMNS = {
    "pho_enrolment": ["quarter", "pho_id", "practice_id", "dhb_code", "age_band", "sex",
                      "ethnic_group", "enrolled"],
    "mortality": ["death_id", "nhi_encrypted", "sex", "ethnic_code_1", "ethnic_code_2",
                  "ethnic_code_3", "domicile_code", "dhb_of_domicile", "date_of_death",
                  "age_at_death", "registration_year", "underlying_cause"],
    "pes_inpatient": ["respondent_id", "survey", "survey_quarter", "dhb_code", "ethnic_group",
                      "age_group", "sex", "weight", *[f"q{i:02d}" for i in range(1, 21)]],
    "pes_primary_care": ["respondent_id", "survey", "survey_quarter", "dhb_code", "ethnic_group",
                         "age_group", "sex", "weight", *[f"q{i:02d}" for i in range(1, 17)]],
    "smokefree": ["record_id", "baby_nhi_encrypted", "date_of_birth", "contact_date",
                  "smokefree_household", "source", "dhb_of_domicile", "ethnic_code_1",
                  "ethnic_code_2", "ethnic_code_3"],
    "esr_chlamydia": ["quarter", "dhb_code", "age_group", "sex", "ethnic_group", "people_tested",
                      "people_positive"],
    "nnpac_ed": ["event_id", "nhi_encrypted", "date_of_birth", "sex", "ethnic_code_1",
                 "ethnic_code_2", "ethnic_code_3", "dhb_of_domicile", "dhb_of_service",
                 "presentation_date", "purchase_unit", "attendance_code", "service_type",
                 "alcohol_related"],
    "oral_health": ["year", "dhb_code", "age", "ethnic_group", "adolescents_examined"],
    "youth_survey": ["respondent_id", "survey_year", "dhb_code", "age", "ethnic_group", "service",
                     "q_safe_supported"],
}
MOH = ["release_id", "period_end", "dhb_code", "ethnic_group", "age_group", "numerator",
       "denominator", "rate"]
FILE_NAMES = {
    "pho_enrolment": "pho_enrolment_2025Q4.csv", "mortality": "mortality_2025.csv",
    "pes_inpatient": "pes_inpatient_2025Q4.csv", "pes_primary_care": "pes_primary_care_2025Q4.parquet",
    "smokefree": "smokefree_6wk_2025H2.csv", "esr_chlamydia": "esr_chlamydia_2025Q4.csv",
    "nnpac_ed": "nnpac_ed_2025Q4.parquet", "oral_health": "oral_health_2025.xlsx",
    "youth_survey": "marama_2025.csv", "moh_release": "moh_slm_release_2025Q4.xlsx",
}


def read(path: Path, sheet: str | None = None) -> pl.DataFrame:
    if path.suffix == ".csv":
        return pl.read_csv(path, infer_schema=False)
    if path.suffix == ".parquet":
        return pl.read_parquet(path)
    return pl.read_excel(path, sheet_name=sheet or "utilisation", engine="calamine",
                         infer_schema_length=0)


def all_of(landing: Path, source: str) -> pl.DataFrame:
    return pl.concat([read(f) for f in sorted((landing / source).iterdir())])


def test_every_source_has_its_documented_file_and_columns(small_run):
    landing, _, _ = small_run
    for source, name in FILE_NAMES.items():
        assert (landing / source / name).exists(), name
    for source, cols in COLUMNS.items():
        for f in (landing / source).iterdir():
            assert read(f).columns == cols, f.name
    for sheet in ("ash_0_4", "acute_bed_days"):
        assert read(landing / "moh_release" / FILE_NAMES["moh_release"], sheet).columns == MOH
    nnpac = read(landing / "nnpac_ed" / FILE_NAMES["nnpac_ed"])
    assert nnpac.schema["dhb_of_service"] == pl.String
    assert nnpac["dhb_of_service"].str.len_chars().eq(3).all()
    oral = read(landing / "oral_health" / FILE_NAMES["oral_health"])
    assert "011" in set(oral["dhb_code"])


def test_newest_moh_release_equals_the_unit_records_and_older_ones_were_provisional(small_run):
    landing, truth, _ = small_run
    planted = pl.read_parquet(truth / "planted_numerators.parquet")
    quarters = ["2025Q1", "2025Q2", "2025Q3", "2025Q4"]
    for sheet in ("ash_0_4", "acute_bed_days"):
        newest = read(landing / "moh_release/moh_slm_release_2025Q4.xlsx", sheet)
        assert newest["period_end"].n_unique() == 5  # restates all history
        row = newest.filter((pl.col("period_end").str.starts_with("2025-12-31"))
                            & (pl.col("dhb_code") == "023") & (pl.col("ethnic_group") == "Pacific"))
        units = planted.filter((pl.col("measure_id") == sheet) & (pl.col("district_code") == "023")
                               & (pl.col("group_id") == "pacific")
                               & pl.col("period_label").is_in(quarters))["realised_numerator"].sum()
        assert float(row["numerator"].item()) == units
        older = read(landing / "moh_release/moh_slm_release_2025Q3.xlsx", sheet)
        total = pl.col("ethnic_group") == "Total"
        latest = pl.col("period_end").str.starts_with("2025-09-30")
        old = older.filter(total & latest)["numerator"].cast(pl.Float64).sum()
        new = newest.filter(total & latest)["numerator"].cast(pl.Float64).sum()
        assert old < new and old > 0.95 * new


def test_amenable_code_list_is_long_expanded_and_keeps_the_gap_visible():
    with open(ROOT / "reference/code_lists/amenable_mortality_v1.csv", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    codes = [r["icd10am_code"] for r in rows if r["icd10am_code"]]
    assert len(codes) == len(set(codes))
    assert {"I20", "I21", "I25", "A403", "G001", "C910", "O96", "O98", "P05", "P94"} <= set(codes)
    assert not {"O97", "P04", "I04", "C18"} & set(codes)
    assert all(len(c) in (3, 4) for c in codes)
    missing = [r for r in rows if r["row_status"] == "MISSING"]
    assert len(missing) == 2 and all(r["icd10am_code"] == "" for r in missing)
    assert {r["row_status"] for r in rows} == {"confirmed", "confirmed_code_age_inferred", "MISSING"}


def test_pes_items_score_best_as_ten_and_evenly_spaced():
    items = pl.read_csv(ROOT / "reference/pes_items.csv", infer_schema=False)
    assert items.group_by("survey").agg(pl.col("item").n_unique()).sort("survey")[
        "item"].to_list() == [20, 16]
    for _, g in items.group_by("survey", "item"):
        scores = g.filter(pl.col("score").is_not_null())["score"].cast(pl.Float64).to_list()
        assert scores[0] == 10 and scores[-1] == 0
        assert np.allclose(np.diff(scores), np.diff(scores)[0])


def test_survey_answers_are_valid_codes_and_weights_positive(small_run):
    landing, _, _ = small_run
    items = pl.read_csv(ROOT / "reference/pes_items.csv", infer_schema=False)
    for source in ("pes_inpatient", "pes_primary_care"):
        df = all_of(landing, source)
        assert (df["weight"].cast(pl.Float64) > 0).all()
        survey = source.removeprefix("pes_")
        for item in [c for c in df.columns if c.startswith("q")]:
            allowed = set(items.filter((pl.col("survey") == survey) & (pl.col("item") == item))[
                "answer_code"].cast(pl.Int64))
            assert set(df[item].cast(pl.Int64).drop_nulls()) <= allowed
    marama = all_of(landing, "youth_survey")
    assert set(marama["q_safe_supported"].drop_nulls().cast(pl.Int64)) <= {1, 2, 3, 4, 5}


def test_mortality_lags_decoys_and_amenable_counts(small_run):
    landing, truth, _ = small_run
    deaths = all_of(landing, "mortality").with_columns(
        pl.col("age_at_death", "registration_year").cast(pl.Int64),
        pl.col("date_of_death").str.to_date())
    lag = deaths["registration_year"] - deaths["date_of_death"].dt.year()
    assert lag.min() >= 0 and lag.max() <= 3
    amenable = [is_amenable(c, a, s) for c, a, s in
                deaths.select("underlying_cause", "age_at_death", "sex").iter_rows()]
    deaths = deaths.with_columns(amenable=pl.Series(amenable))
    decoys = deaths.filter(~pl.col("amenable"))
    assert decoys.filter(pl.col("underlying_cause").str.starts_with("C50")
                         & (pl.col("sex") == "M")).height > 0
    assert decoys.filter(pl.col("underlying_cause") == "C910").height > 0
    assert decoys.filter(pl.col("underlying_cause").str.starts_with("I21")
                         & (pl.col("age_at_death") >= 75)).height > 0
    t = pl.read_parquet(truth / "truth.parquet").filter(
        (pl.col("measure_id") == "amenable_mortality") & (pl.col("district_code") == "000")
        & (pl.col("group_id") == "total"))
    for r in t.iter_rows(named=True):
        window = deaths.filter(pl.col("amenable")
                               & pl.col("date_of_death").is_between(r["period_start"], r["period_end"]))
        assert abs(window.height - r["expected_numerator"]) < 4 * np.sqrt(r["expected_numerator"])
    nat = pl.read_parquet(truth / "truth.parquet").filter(
        (pl.col("measure_id") == "amenable_mortality") & (pl.col("district_code") == "000"))
    v = dict(zip(nat["group_id"], nat["expected_value"], strict=True))
    assert v["maori"] / v["nmnp"] == pytest.approx(2.5, rel=0.15)


def test_smokefree_truth_denominator_is_the_babies_with_a_known_status(small_run):
    landing, truth, _ = small_run
    sf = all_of(landing, "smokefree").with_columns(pl.col("date_of_birth", "contact_date").str.to_date())
    assert (sf["contact_date"] > sf["date_of_birth"]).all()
    assert set(sf["smokefree_household"]) == {"Y", "N", "U"}
    age = (sf["contact_date"] - sf["date_of_birth"]).dt.total_days()
    chosen = (sf.with_columns(age=age, rank=pl.col("source").replace_strict({"WCTO": 0, "LMC": 1}))
              .filter(pl.col("age") <= 56).sort("rank")
              .group_by("baby_nhi_encrypted", "date_of_birth").first())
    chosen = chosen.with_columns(half=pl.col("date_of_birth").dt.year().cast(pl.String) + "H"
                                 + ((pl.col("date_of_birth").dt.month() > 6).cast(pl.Int8) + 1)
                                 .cast(pl.String))
    known = chosen.filter(pl.col("smokefree_household") != "U").group_by("half").len()
    t = pl.read_parquet(truth / "truth.parquet").filter(
        (pl.col("measure_id") == "smokefree_6_weeks") & (pl.col("district_code") == "000")
        & (pl.col("group_id") == "total"))
    got = dict(zip(t["period_label"], t["denominator"], strict=True))
    assert got == {h: float(n) for h, n in known.iter_rows()}
    share_y = chosen.filter(pl.col("smokefree_household") != "U")["smokefree_household"].eq("Y").mean()
    assert share_y == pytest.approx(t["expected_numerator"].sum() / t["denominator"].sum(), abs=0.05)


def test_counts_are_consistent(small_run):
    landing, _, _ = small_run
    esr = all_of(landing, "esr_chlamydia").with_columns(pl.col("people_tested", "people_positive")
                                                       .cast(pl.Int64))
    assert (esr["people_positive"] <= esr["people_tested"]).all()
    pho = all_of(landing, "pho_enrolment")
    assert (pho["enrolled"].cast(pl.Int64) > 0).all()
    assert set(pho["age_band"]) == {f"{lo:02d}-{lo + 4:02d}" for lo in range(0, 85, 5)} | {"85+"}
    ed = all_of(landing, "nnpac_ed")
    assert set(ed["attendance_code"]) == {"ATT", "DNA", "DNW"}
    assert set(ed["alcohol_related"]) == {"Y", "N", "U", "S"}
    assert (ed["dhb_of_service"] == ed["dhb_of_domicile"]).mean() > 0.9
