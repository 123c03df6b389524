"""Issue 9's definition points pinned on hand-built rows: the Canterbury December 2020 series
break and the setting that removes it, the standard population said on amenable mortality rows,
and the columns that let a reader recompute a weighted mean or an indirectly standardised rate
from its own row. (The youth alcohol share and oral health ages are in test_youth_rules.py.)"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest
import yaml

from pipelines.config import CONTRACTS_DIR, MEASURES_FILE
from pipelines.measures.annotations import annotate
from pipelines.measures.cell_statistics import indirect_age_sex, weighted_mean
from pipelines.measures.measure_config import Measure, default_config, load_config
from pipelines.measures.run_sql import run_measure_sql
from pipelines.measures.tidy_rows import publish
from pipelines.warehouse import run_staging_sql
from tests.measures.nmds_builder import event, load_nmds, load_population

CANTERBURY, NORTHLAND, NZ = "121", "011", "000"
# Rolling 12-month windows around the break on 1 December 2020.
WINDOWS = [(date(2019, 10, 1), date(2020, 9, 30)),    # wholly before
           (date(2020, 1, 1), date(2020, 12, 31)),    # holds December 2020: the break
           (date(2020, 10, 1), date(2021, 9, 30)),    # holds both sides
           (date(2021, 1, 1), date(2021, 12, 31))]    # wholly after


def window_rows(districts=(CANTERBURY, NORTHLAND, NZ)) -> pl.DataFrame:
    return pl.DataFrame([{"period_start": s, "period_end": e, "district_code": d, "group_id": "total"}
                         for d in districts for s, e in WINDOWS])


def breaks_of(rows: pl.DataFrame, district: str) -> list[tuple[bool, bool]]:
    part = rows.filter(pl.col("district_code") == district).sort("period_end")
    return list(zip(part["series_break"], part["series_note"].is_not_null(), strict=True))


def test_canterbury_series_break_on_ash_rows():
    config = default_config()
    rows = annotate(window_rows(), config.measure("ash_0_4"), config)
    flagged = [(False, False), (True, True), (True, True), (False, True)]
    assert breaks_of(rows, CANTERBURY) == flagged
    assert breaks_of(rows, NZ) == flagged                   # Canterbury is part of New Zealand
    assert breaks_of(rows, NORTHLAND) == [(False, False)] * 4
    note = rows.filter(pl.col("series_note").is_not_null())["series_note"].unique().item()
    assert "NNPAC" in note and "December 2020" in note


def test_no_break_where_short_stay_ed_events_are_excluded():
    config = default_config()
    for measure in (Measure("ash_0_4", {**config.measure("ash_0_4").settings, "exclude_ssed": True}),
                    config.measure("acute_bed_days"), config.measure("acute_bed_days_who")):
        rows = annotate(window_rows(), measure, config)
        assert not rows["series_break"].any() and rows["series_note"].is_null().all(), measure.measure_id
    assert annotate(window_rows(), config.measure("youth_self_harm"), config)["series_break"].any()


def test_exclude_ssed_everywhere_is_one_setting(tmp_path: Path):
    raw = yaml.safe_load(MEASURES_FILE.read_text(encoding="utf-8"))
    assert raw["defaults"]["exclude_ssed_everywhere"] is False      # headline figures unchanged
    default = load_config()
    assert [default.measure(m).settings["exclude_ssed"] for m in ("ash_0_4", "youth_self_harm", "acute_bed_days")] \
        == [False, False, True]
    raw["defaults"]["exclude_ssed_everywhere"] = True
    changed = tmp_path / "measures.yaml"
    changed.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    everywhere = load_config(changed)
    having = [m for m in everywhere.measures.values() if "exclude_ssed" in m.settings]
    assert {m.measure_id for m in having} >= {"ash_0_4", "youth_self_harm", "acute_bed_days",
                                              "acute_bed_days_crude", "acute_bed_days_who"}
    assert all(m.settings["exclude_ssed"] for m in having)
    assert "exclude_ssed" not in everywhere.measure("youth_alcohol_ed").settings


def test_short_stay_ed_event_in_canterbury_counts_unless_excluded_everywhere(con):
    """A Canterbury ASH admission under ED specialty M05 for 0 days in January 2021: counted by
    default, with the break flagged on the windows around it; excluded, and no break, when
    short-stay ED events are excluded everywhere."""
    quarters = [f"{y}Q{q}" for y in (2020, 2021) for q in (1, 2, 3, 4)]
    load_nmds(con, [event(dhb_of_domicile="121", dhb_of_service="121", health_specialty="M05", los_days=0, admitted=date(2021, 1, 15))],
              quarters)
    load_population(con, [(y, "121", age, "F", "Māori", 1000) for y in (2020, 2021) for age in range(5)])
    for name in ("nmds_events", "population"):
        run_staging_sql(con, name)
    config = default_config()

    def canterbury(settings) -> pl.DataFrame:
        measure = Measure("ash_0_4", {**config.measure("ash_0_4").settings, **settings})
        run_measure_sql(con, measure)
        rows = publish(con, measure, config)
        return rows.filter((pl.col("district_code") == "121") & (pl.col("group_id") == "total")).sort("period_end")

    kept = canterbury({})
    assert kept["period_end"].to_list() == [date(2020, 12, 31), date(2021, 3, 31), date(2021, 6, 30),
                                            date(2021, 9, 30), date(2021, 12, 31)]
    assert kept["numerator"].to_list() == [0, 1, 1, 1, 1]
    assert kept["series_break"].to_list() == [True, True, True, True, False]
    assert kept["series_note"].is_not_null().all()
    excluded = canterbury({"exclude_ssed": True})            # what exclude_ssed_everywhere sets
    assert excluded["numerator"].to_list() == [0] * 5
    assert not excluded["series_break"].any() and excluded["series_note"].is_null().all()


def test_amenable_mortality_says_which_standard_population_it_uses():
    config = default_config()
    measure = config.measure("amenable_mortality")
    assert (measure.settings["standard_population"], measure.settings["standard_population_wanted"]) \
        == ("who_2000_2025", "maori_2001_census")
    row = annotate(window_rows([NZ]), measure, config).row(0, named=True)
    assert row["definition_note"].startswith(measure.settings["definition_note"] + "; ")
    assert ("age-standardised to the WHO World Standard Population 2000–2025 instead of the 2001 Census "
            "Māori population") in row["definition_note"]
    assert "not in reference/standard_population.csv" in row["definition_note"]
    assert row["standard_population"] == ("WHO World Standard Population 2000–2025 (who_2000_2025), "
                                          "age bands 0–74, weights renormalised over these bands")
    # Once the standard used is the one wanted, nothing is said.
    same = Measure("amenable_mortality", {**measure.settings, "standard_population_wanted": "who_2000_2025"})
    assert annotate(window_rows([NZ]), same, config)["definition_note"].unique().to_list() == [measure.settings["definition_note"]]


def test_oral_health_ages_follow_the_extract():
    """The measure uses 13–17 because the extract's contract admits ages 13–17 only; if the
    contract ever admits 12, the stated 12–17 population becomes possible and this fails."""
    contract = yaml.safe_load((CONTRACTS_DIR / "oral_health.odcs.yaml").read_text(encoding="utf-8"))
    age = next(p for p in contract["schema"][0]["properties"] if p["name"] == "age")
    rule = next(q for q in age["quality"] if q["id"] == "age_range")
    assert rule["implementation"]["kwargs"]["min_value"] == default_config().measure("youth_oral_health").settings["age_min_years"] == 13


KEYS = {"period_start": date(2024, 1, 1), "period_end": date(2024, 12, 31), "breakdown": "",
        "withheld": False, "blocking_rules": []}


def test_weighted_mean_row_carries_weight_sum_and_effective_n():
    # Three respondents, scores 8, 6, 10 with weights 2, 1, 1: value = (16 + 6 + 10) / 4 = 8,
    # while numerator / respondents = 32 / 3 — the export's old puzzle.
    cells = pl.DataFrame([{**KEYS, "district_code": NZ, "group_id": "total", "stratum": "",
                           "numerator": 32.0, "denominator": 3, "sum_weight": 4.0, "sum_weight_sq": 6.0,
                           "sum_weighted_score_sq": 2 * 64 + 36 + 100.0}])
    row = weighted_mean.compute(cells, default_config().measure("patient_experience"), 0.95).row(0, named=True)
    assert row["value"] == pytest.approx(8.0)
    assert (row["weight_sum"], row["effective_n"]) == (4.0, pytest.approx(16 / 6))
    assert row["numerator"] / row["weight_sum"] == pytest.approx(row["value"], rel=1e-15)


def test_indirectly_standardised_row_carries_expected_and_reference_rate():
    # National: 10/1000 (0-4 M) and 30/1000 (5-9 M), rate 40/2000 = 20 per 1,000.
    # Northland: 6 of 500 and 6 of 100 → E = 0.01·500 + 0.03·100 = 8, O = 12, value = 12/8 × 20 = 30.
    strata = [(NZ, "0-4|M", 10, 1000), (NZ, "5-9|M", 30, 1000), (NORTHLAND, "0-4|M", 6, 500),
              (NORTHLAND, "5-9|M", 6, 100)]
    cells = pl.DataFrame([{**KEYS, "district_code": d, "group_id": "total", "stratum": s,
                           "numerator": x, "denominator": n} for d, s, x, n in strata])
    rows = indirect_age_sex.compute(cells, default_config().measure("acute_bed_days"), 0.95)
    row = rows.filter(pl.col("district_code") == NORTHLAND).row(0, named=True)
    assert (row["numerator"], row["expected"], row["reference_rate"]) == (12, pytest.approx(8.0), pytest.approx(20.0))
    assert row["value"] == pytest.approx(30.0, rel=1e-12)
    national = rows.filter(pl.col("district_code") == NZ).row(0, named=True)
    assert national["value"] == pytest.approx(national["reference_rate"], rel=1e-12)   # O = E nationally
