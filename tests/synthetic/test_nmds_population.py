"""Stage 1: population and nmds_events files, their planted truth and decoys (small preset)."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from pipelines.synthetic import diagnoses as dx
from pipelines.synthetic import generate
from pipelines.synthetic.calendar import Quarter
from pipelines.synthetic.nmds import generate_quarter
from pipelines.synthetic.population import draw_population
from pipelines.synthetic.presets import PRESETS
from pipelines.synthetic.reference import ash_entry
from pipelines.synthetic.rng import rng_for
from pipelines.synthetic.streams import build_streams, calibrated_model

from . import rules

# Transcribed from docs/sources.md.
NMDS_COLUMNS = [
    "event_id", "nhi_encrypted", "date_of_birth", "sex", "ethnic_code_1", "ethnic_code_2",
    "ethnic_code_3", "domicile_code", "dhb_of_domicile", "facility_code", "dhb_of_service",
    "admission_date", "discharge_date", "event_type", "admission_source", "admission_type",
    "health_specialty", "principal_diagnosis", "other_diagnosis_1", "other_diagnosis_2",
    "other_diagnosis_3", "external_cause_code", "purchaser_code", "end_type",
]
POPULATION_COLUMNS = ["year", "dhb_code", "age_lower", "age_upper", "sex", "ethnic_group",
                      "population"]
ICD = re.compile(r"^[A-Z][0-9]{2,3}$")


@pytest.fixture(scope="module")
def events(small_run):
    landing, truth, _ = small_run
    df = rules.with_derived(rules.read_nmds(landing))
    labels = pl.concat([pl.read_parquet(f) for f in sorted((truth / "nmds_labels").glob("*"))])
    return df.join(labels, on="event_id", how="left")


def _all_files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file()}


def test_same_seed_gives_identical_bytes_and_another_seed_does_not(small_run, tmp_path):
    landing, truth, _ = small_run
    generate("small", tmp_path / "a", tmp_path / "ta", years=2, end_quarter="2025Q4",
             seed=20260101)
    assert _all_files(tmp_path / "a") == _all_files(landing)
    assert _all_files(tmp_path / "ta") == _all_files(truth)
    generate("small", tmp_path / "b", tmp_path / "tb", years=2, end_quarter="2025Q4", seed=7,
             sources=["nmds_events"])
    assert (tmp_path / "b/nmds_events/nmds_events_2025Q4.csv").read_bytes() != (
        landing / "nmds_events/nmds_events_2025Q4.csv").read_bytes()


def test_a_source_file_does_not_depend_on_which_other_sources_are_generated(small_run, tmp_path):
    landing, _, _ = small_run
    generate("small", tmp_path / "a", tmp_path / "t", years=1, end_quarter="2025Q4",
             seed=20260101, sources=["nmds_events"])
    name = "nmds_events/nmds_events_2025Q2.csv"
    assert (tmp_path / "a" / name).read_bytes() == (landing / name).read_bytes()


def test_file_names_and_columns_follow_sources_doc(small_run):
    landing, _, summary = small_run
    names = sorted(f["file"] for f in summary.files
                   if f["file"].startswith(("nmds_events/", "population/")))
    quarters = [f"{y}Q{q}" for y in (2024, 2025) for q in (1, 2, 3, 4)]
    # Population covers the run's years and the years behind the mortality windows.
    assert names == sorted([f"nmds_events/nmds_events_{q}.csv" for q in quarters]
                           + [f"population/population_erp_{y}.csv" for y in range(2016, 2026)])
    for f in (landing / "nmds_events").glob("*.csv"):
        assert f.read_text(encoding="utf-8").split("\n", 1)[0].split(",") == NMDS_COLUMNS
    for f in (landing / "population").glob("*.csv"):
        assert f.read_text(encoding="utf-8").split("\n", 1)[0].split(",") == POPULATION_COLUMNS


def test_codes_stay_strings_with_leading_zeros(small_run):
    landing, _, _ = small_run
    text = (landing / "nmds_events/nmds_events_2024Q1.csv").read_text(encoding="utf-8")
    assert ",011," in text and ",F01011," in text  # Northland domicile district and hospital
    pop = pl.read_csv(landing / "population/population_erp_2024.csv", infer_schema=False)
    assert set(pop["dhb_code"]) >= {"011", "021", "022", "023", "160"}
    assert pop["dhb_code"].str.len_chars().eq(3).all()


def test_population_is_complete_and_plausible(small_run):
    landing, _, _ = small_run
    pop = pl.read_csv(landing / "population/population_erp_2025.csv",
                      schema_overrides={"dhb_code": pl.String})
    assert pop.height == 20 * 91 * 2 * 4
    assert (pop["age_lower"] == pop["age_upper"]).all() and pop["age_upper"].max() == 90
    assert (pop["population"] >= 0).all()
    total = pop["population"].sum()
    assert 0.01 * 5.1e6 < total < 0.02 * 5.1e6
    def median_age(group):
        g = pop.filter(pl.col("ethnic_group") == group).group_by("age_lower").agg(
            pl.col("population").sum()).sort("age_lower")
        cum = np.cumsum(g["population"].to_numpy())
        return int(np.searchsorted(cum, cum[-1] / 2))
    assert median_age("Māori") < median_age("European or Other") - 8
    assert median_age("Pacific") < median_age("Asian")
    share = pop.group_by("dhb_code", "ethnic_group").agg(pl.col("population").sum()).with_columns(
        share=pl.col("population") / pl.col("population").sum().over("dhb_code"))
    def s(code, group):
        return share.filter((pl.col("dhb_code") == code) & (pl.col("ethnic_group") == group))[
            "share"].item()
    assert s("051", "Māori") > 0.4 and s("011", "Māori") > 0.3  # Tairāwhiti, Northland
    assert s("023", "Pacific") > 0.18 and s("022", "Asian") > 0.3


def test_event_fields_are_valid_and_consistent(events):
    e = events
    assert e["event_id"].is_unique().all()
    assert e["nhi_encrypted"].str.contains(r"^[0-9a-f]{64}$").all()
    assert (e["discharge_date"] >= e["admission_date"]).all()
    assert (e["date_of_birth"] <= e["admission_date"]).all()
    assert e.filter(pl.col("event_type") == "ID")["los"].eq(0).all()
    births = e.filter(pl.col("event_type") == "BT")
    assert births.height > 0 and (births["date_of_birth"] == births["admission_date"]).all()
    assert (e["domicile_code"].str.slice(1) == e["dhb_of_domicile"]).all()
    assert e["facility_code"].str.contains(r"^F\d{5}$").all()
    assert (e["facility_code"].str.slice(3) == e["dhb_of_service"]).all()
    assert (e["dhb_of_service"] == e["dhb_of_domicile"]).mean() > 0.8
    assert e["ethnic_code_1"].is_not_null().all()
    assert (e["ethnic_code_2"].is_not_null() | e["ethnic_code_3"].is_null()).all()
    for c in ("principal_diagnosis", "other_diagnosis_1", "other_diagnosis_2", "other_diagnosis_3",
              "external_cause_code"):
        assert e[c].drop_nulls().str.contains(ICD.pattern).all(), c
    assert set(e["sex"]) <= {"M", "F", "U", "I"}
    assert set(e["purchaser_code"]) == {"35", "34", "A0", "20"}
    # One synthetic person: one birth date, sex and set of ethnic codes.
    per_person = e.group_by("nhi_encrypted").agg(
        pl.col("date_of_birth").n_unique().alias("dobs"),
        pl.concat_str("ethnic_code_1", "ethnic_code_2", "ethnic_code_3", ignore_nulls=True)
        .n_unique().alias("eth"))
    assert per_person["dobs"].max() == 1 and per_person["eth"].max() == 1
    assert per_person.height < e.height  # some people have more than one event


def test_special_events_are_present(events):
    e = events
    ed = e.filter(pl.col("health_specialty").is_in(["M05", "M06", "M07", "M08"]))
    assert (ed["los"] < 2).sum() > 100 and (ed["los"] >= 2).sum() > 10
    transfers = e.filter(pl.col("admission_source") == "T")
    originals = e.filter(pl.col("end_type") == "DT").select(
        "nhi_encrypted", pl.col("discharge_date").alias("admission_date"))
    assert transfers.height > 20
    assert transfers.join(originals, on=["nhi_encrypted", "admission_date"]).height == transfers.height
    assert set(e["admission_type"]) >= {"AC", "AA", "WN", "AP", "RL"}
    assert set(e["health_specialty"]) >= {"W00", "P60", "Y00", "S60", "P10", "M00", "S00"}
    spanning = e.filter(pl.col("admission_date").dt.quarter() != pl.col("discharge_date").dt.quarter())
    assert spanning.height > 100
    harm = e.filter(pl.col("external_cause_code").str.contains(r"^X(6\d|7\d|8[0-4])$"))
    assert harm["principal_diagnosis"].str.contains(r"^[ST]").all()
    assert harm.filter(pl.col("age_years").is_between(10, 24)).height > 20
    youth = e.filter(pl.col("age_years").is_between(10, 24))
    alcohol = youth.filter(pl.col("principal_diagnosis").str.contains(r"^(F10|K70|T51)")
                           | pl.col("external_cause_code").str.contains(r"^(X45|X65|Y15)"))
    assert alcohol.height > 5


def test_counting_events_by_the_documented_rules_equal_the_planted_numerators(small_run, events):
    _, truth, _ = small_run
    planted = pl.read_parquet(truth / "planted_numerators.parquet")
    for measure, selected, weight in [
        ("ash_0_4", rules.ash_counting(events), None),
        ("acute_bed_days", rules.acute_bed_day_events(events), "los"),
        ("youth_self_harm", rules.youth_self_harm_events(events), None),
    ]:
        observed = selected.group_by(
            pl.col("dhb_of_domicile").alias("district_code"), "group_id",
            pl.col("quarter").alias("period_label"),
        ).agg((pl.col(weight).sum() if weight else pl.len()).cast(pl.Float64).alias("observed"))
        j = planted.filter(pl.col("measure_id") == measure).join(
            observed, on=["district_code", "group_id", "period_label"], how="full", coalesce=True
        ).with_columns(pl.col("observed", "realised_numerator").fill_null(0.0))
        assert j["realised_numerator"].sum() > 0
        assert (j["observed"] == j["realised_numerator"]).all(), measure


DECOYS = {
    "ash_code_in_other_diagnosis_only", "ash_age_5_9", "ash_condition_age_rule",
    "mmr_under_15_months", "ash_elective_non_dental", "ash_privately_funded",
    "birth_event_ash_code", "ash_transfer_in", "self_harm_transfer_in", "self_harm_age_25_plus",
}


def test_every_decoy_kind_is_present_and_excluded_by_the_rules(events):
    counted_ash = set(rules.ash_counting(events)["event_id"])
    counted_harm = set(rules.youth_self_harm_events(events)["event_id"])
    decoys = events.filter(pl.col("decoy").is_not_null())
    kinds = decoys.group_by("decoy").len()
    assert set(kinds["decoy"]) == DECOYS
    assert kinds["len"].min() >= 3
    assert not (set(decoys["event_id"]) & (counted_ash | counted_harm))
    # Transfer-in decoys duplicate a counted stay; elective dental events do count.
    assert events.filter(pl.col("event_id").is_in(list(counted_ash))
                         & pl.col("admission_type").is_in(["WN", "AP"])).height > 5


def test_under_five_background_pools_hold_no_ash_codes():
    for name in ("CHILD_ACUTE_NON_ASH", "CHILD_COMORBIDITY_NON_ASH", "CHILD_ELECTIVE_NON_ASH",
                 "ED_SHORT_STAY_UNDER_5", "NEONATAL", "BIRTH"):
        assert all(ash_entry(c) is None for c, _ in getattr(dx, name)), name
    for name, pool in dx.all_pools().items():
        assert all(ICD.match(c) for c, _ in pool), name


def test_truth_is_recomputable_from_planted_rates_and_written_population(small_run):
    landing, truth_dir, _ = small_run
    truth = pl.read_parquet(truth_dir / "truth.parquet").filter(
        pl.col("measure_id").is_in(["ash_0_4", "acute_bed_days", "youth_self_harm"]))
    rates = pl.read_parquet(truth_dir / "planted_rates.parquet")
    pop = pl.concat([pl.read_csv(f, schema_overrides={"dhb_code": pl.String})
                     for f in (landing / "population").glob("*.csv")])
    group_id = {"Māori": "maori", "Pacific": "pacific", "Asian": "asian",
                "European or Other": "european_other"}
    pop = pop.with_columns(pl.col("ethnic_group").replace_strict(group_id).alias("group_id"))
    ages = {"ash_0_4": (0, 4), "acute_bed_days": (0, 90), "youth_self_harm": (10, 24)}
    row = truth.filter((pl.col("district_code") == "023") & (pl.col("group_id") == "pacific")
                       & (pl.col("period_label") == "12 months to 2025Q1"))
    for r in row.iter_rows(named=True):
        quarters = ["2024Q2", "2024Q3", "2024Q4", "2025Q1"]
        num = 0.0
        for q in quarters:
            cells = rates.filter((pl.col("measure_id") == r["measure_id"])
                                 & (pl.col("period_label") == q)
                                 & (pl.col("district_code") == "023")
                                 & (pl.col("group_id") == "pacific")).join(
                pop.filter(pl.col("year") == int(q[:4])).rename({"age_lower": "age"}),
                left_on=["district_code", "group_id", "age", "sex"],
                right_on=["dhb_code", "group_id", "age", "sex"])
            num += (cells["numerator_per_person_year"] * cells["population"]).sum() / 4
        lo, hi = ages[r["measure_id"]]
        den = pop.filter((pl.col("year") == 2024) & (pl.col("dhb_code") == "023")
                         & (pl.col("group_id") == "pacific")
                         & pl.col("age_lower").is_between(lo, hi))["population"].sum()
        assert r["expected_numerator"] == pytest.approx(num, rel=1e-9)
        assert r["denominator"] == den
        assert r["expected_value"] == pytest.approx(num / den * r["multiplier"], rel=1e-9)


def test_truth_layout_and_national_calibration(small_run):
    _, truth_dir, _ = small_run
    truth = pl.read_parquet(truth_dir / "truth.parquet")
    assert truth.columns == [
        "measure_id", "district_code", "group_id", "period_start", "period_end", "period_label",
        "expected_numerator", "denominator", "expected_value", "multiplier", "definition_version",
        "breakdown"]
    assert set(truth["group_id"]) == {"maori", "pacific", "asian", "european_other", "nmnp",
                                      "total"}
    assert truth["district_code"].n_unique() == 21
    assert truth.filter(pl.col("measure_id") == "ash_0_4")["period_label"].n_unique() == 5
    nat = truth.filter((pl.col("district_code") == "000")
                       & (pl.col("period_label") == "12 months to 2024Q4"))
    def value(measure, group):
        return nat.filter((pl.col("measure_id") == measure) & (pl.col("group_id") == group))[
            "expected_value"].item()
    for group, published in {"maori": 8_000, "pacific": 14_000, "asian": 6_100,
                             "european_other": 5_800}.items():
        assert value("ash_0_4", group) == pytest.approx(published, rel=0.08)
    for group, target in {"maori": 650, "pacific": 700, "asian": 250,
                          "european_other": 400}.items():
        assert value("acute_bed_days", group) == pytest.approx(target, rel=0.08)
    assert {"ash-0-4-v1", "acute-bed-days-v1", "youth-self-harm-v1"} <= set(
        truth["definition_version"])


def test_realised_numerators_are_poisson_around_the_expected(small_run):
    _, truth_dir, _ = small_run
    planted = pl.read_parquet(truth_dir / "planted_numerators.parquet")
    for measure in ("ash_0_4", "youth_self_harm"):
        p = planted.filter(pl.col("measure_id") == measure)
        exp, obs = p["expected_numerator"].sum(), p["realised_numerator"].sum()
        assert abs(obs - exp) < 4 * np.sqrt(exp), measure


def test_event_volume_scales_with_the_preset(small_run):
    _, _, summary = small_run
    small_per_quarter = summary.rows("nmds_events") / 8
    m = calibrated_model(20260101)
    pop = draw_population(2025, PRESETS["national"].scale, rng_for(20260101, "population", 2025))
    national = generate_quarter(m, build_streams(m), pop, Quarter(2025, 2), 20260101).events.height
    assert 260_000 < national < 300_000
    assert national / small_per_quarter == pytest.approx(1 / PRESETS["small"].scale, rel=0.08)
