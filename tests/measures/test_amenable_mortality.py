"""Amenable mortality pinned on hand-made deaths: window completeness and the registration lag,
code-list matching (prefix, per-row age and sex), the WHO-standardised rate with Dobson limits by
hand, suppression, withholding, and the derived definition_status.

The code list here is a small fixture written in this file (same long format as
reference/code_lists/amenable_mortality_v1.csv), so every expected number can be checked by eye.
Expected numbers come from statistical-methods.md §2 and §7, never from the code under test.
"""

from __future__ import annotations

from datetime import date
from itertools import count
from math import sqrt

import polars as pl
import pytest

from pipelines.measures.measure_config import Measure, default_config
from pipelines.measures.run_sql import run_measure_sql
from pipelines.measures.tidy_rows import publish
from pipelines.reference import load_reference
from pipelines.warehouse import execute, run_staging_sql
from tests.measures.nmds_builder import load_population

Z = 1.959963984540054
MORTALITY_COLUMNS = {
    "death_id": pl.String, "nhi_encrypted": pl.String, "sex": pl.String, "ethnic_code_1": pl.String,
    "ethnic_code_2": pl.String, "ethnic_code_3": pl.String, "domicile_code": pl.String,
    "dhb_of_domicile": pl.String, "date_of_death": pl.Date, "age_at_death": pl.Int32,
    "registration_year": pl.Int32, "underlying_cause": pl.String,
}
CODE_LIST_COLUMNS = ["code_list_version", "group", "condition", "icd10am_code", "age_min", "age_max",
                     "sex", "row_status", "source_tag"]
# Six coded conditions in four groups, and one MISSING row (as the real list has).
FIXTURE = [
    ("v-test", "cvd_diabetes", "Coronary disease", "I20", 0, 74, None, "confirmed"),
    ("v-test", "cvd_diabetes", "Coronary disease", "I21", 0, 74, None, "confirmed"),
    ("v-test", "cancers", "Female breast", "C50", 0, 74, "F", "confirmed"),
    ("v-test", "cancers", "Prostate", "C61", 0, 74, "M", "confirmed"),
    ("v-test", "cancers", "Acute lymphoblastic leukaemia", "C910", 0, 44, None, "confirmed_code_age_inferred"),
    ("v-test", "infections", "Pneumococcal disease", "A403", 0, 74, None, "confirmed"),
    ("v-test", "infections", "Pneumococcal disease", "J13", 0, 74, None, "confirmed"),
    ("v-test", "maternal_infant", "Complications of the perinatal period", "P07", 0, 74, None, "confirmed"),
    ("v-test", "other_chronic", "Ch… (name truncated in source)", None, 0, 74, None, "MISSING"),
]
_ids = count(1)


def death(age: int = 60, sex: str = "M", cause: str = "I219", year: int = 2018,
          registered: int | None = None, district: str = "011", ethnic: str = "21") -> dict:
    """A counted death unless overridden: coronary disease (I21), age 60, registered next year."""
    return {
        "death_id": f"D{next(_ids):08d}", "nhi_encrypted": "b" * 64, "sex": sex, "ethnic_code_1": ethnic,
        "ethnic_code_2": None, "ethnic_code_3": None, "domicile_code": "1" + district,
        "dhb_of_domicile": district, "date_of_death": date(year, 6, 15), "age_at_death": age,
        "registration_year": registered or year + 1, "underlying_cause": cause,
    }


def load_mortality(con, deaths: list[dict], registration_years, blocked: tuple[int, ...] = ()) -> None:
    frame = pl.DataFrame(deaths, schema=MORTALITY_COLUMNS)
    con.register("_deaths", frame)
    execute(con, "CREATE OR REPLACE TABLE raw.mortality AS "
                 "SELECT *, CAST(registration_year AS VARCHAR) AS _period FROM _deaths")
    con.unregister("_deaths")
    execute(con, "DELETE FROM meta.period_status WHERE source_id = 'mortality'")
    for y in registration_years:
        rules = ["mortality.cause_is_icd10am"] if y in blocked else []
        execute(con, "INSERT INTO meta.period_status VALUES ('mortality', ?, ?, ?, now())",
                [str(y), "blocked" if y in blocked else "pass", rules])


def load_code_list(con, rows=FIXTURE) -> None:
    frame = pl.DataFrame([(*r, "test fixture") for r in rows], schema=CODE_LIST_COLUMNS, orient="row")
    con.register("_codes", frame)
    execute(con, "CREATE OR REPLACE TABLE ref.amenable_mortality AS "
                 "SELECT * REPLACE (CAST(age_min AS INTEGER) AS age_min, CAST(age_max AS INTEGER) AS age_max) FROM _codes")
    con.unregister("_codes")


# Person-years for the hand DSR: each year 2016–2020, ages 0–4 200 each, 45–49 400 each,
# 70–74 300 each (district 011, Māori) → 5,000, 10,000 and 7,500 person-years over five years.
HAND_POPULATION = [(y, "011", a, "F", "Māori", n) for y in range(2016, 2021)
                   for ages, n in ((range(0, 5), 200), (range(45, 50), 400), (range(70, 75), 300)) for a in ages]


@pytest.fixture
def amenable(con):
    def run(deaths, registration_years=range(2016, 2023), population=None, code_list=FIXTURE,
            blocked=(), **settings):
        load_code_list(con, code_list)
        load_mortality(con, deaths, registration_years, blocked)
        load_population(con, HAND_POPULATION if population is None else population)
        for name in ("mortality", "population"):
            run_staging_sql(con, name)
        config = default_config()
        measure = Measure("amenable_mortality", {**config.measure("amenable_mortality").settings, **settings})
        run_measure_sql(con, measure)
        return publish(con, measure, config)
    return run


def windows(con) -> list[tuple[date, date]]:
    return con.sql("SELECT DISTINCT period_start, period_end FROM marts.amenable_mortality_cells "
                   "ORDER BY period_end").fetchall()


def counted(con) -> set[str]:
    return {r[0] for r in con.sql("SELECT death_id FROM marts.amenable_mortality_events").fetchall()}


def row(rows, district="011", group="maori", breakdown="") -> dict:
    return rows.filter((pl.col("district_code") == district) & (pl.col("group_id") == group)
                       & (pl.col("breakdown") == breakdown)).row(0, named=True)


# --- windows: five complete years of death, given a two-year registration lag -----------------

@pytest.mark.parametrize("registrations, settings, expected_ends", [
    # 2016–2022 loaded: 2020 is complete (needs registrations to 2022); 2016–2020 is the only window.
    (range(2016, 2023), {}, [2020]),
    # 2015–2023: death years up to 2021 complete → windows ending 2019, 2020, 2021.
    (range(2015, 2024), {}, [2019, 2020, 2021]),
    # 2018 missing: every window needs it (2019 needs 2015–2021, 2021 needs 2017–2023).
    ([2015, 2016, 2017, 2019, 2020, 2021, 2022, 2023], {}, []),
    # A three-year lag with 2016–2022: 2019 would need 2015–2022 → nothing yet.
    (range(2016, 2023), {"registration_lag_years": 3}, []),
    (range(2015, 2023), {"registration_lag_years": 3}, [2019]),
    # Three-year windows, lag 2, 2016–2022: ends 2018 (2016–2020) … 2020 (2018–2022).
    (range(2016, 2023), {"window_years": 3}, [2018, 2019, 2020]),
], ids=str)
def test_windows_are_complete_years_of_death(con, amenable, registrations, settings, expected_ends):
    amenable([death()], registrations, **settings)
    width = settings.get("window_years", 5)
    assert windows(con) == [(date(e - width + 1, 1, 1), date(e, 12, 31)) for e in expected_ends]


def test_a_year_is_published_only_once_its_lag_has_passed(con, amenable):
    late = death(year=2021, registered=2022)        # 2021 not complete until 2023 is loaded
    rows = amenable([death(year=2020, registered=2021), late])
    assert rows["period_end"].unique().to_list() == [date(2020, 12, 31)]
    assert row(rows)["numerator"] == 1
    # Deaths registered after the lag still count once loaded: 2020 death registered 2023.
    rows = amenable([death(year=2020, registered=2021), death(year=2020, registered=2023), late],
                    range(2016, 2024))
    by_end = {r["period_end"]: r["numerator"] for r in rows.filter(
        (pl.col("district_code") == "011") & (pl.col("group_id") == "maori") & (pl.col("breakdown") == "")
    ).iter_rows(named=True)}
    assert by_end == {date(2020, 12, 31): 2, date(2021, 12, 31): 3}


# --- code list: prefix matching, per-row age and sex limits ---------------------------------

CASES = [
    ("I21.9: the 3-character entry I21 covers I219", dict(cause="I219"), True),
    ("a dot in the cause is dropped in staging (I21.9)", dict(cause="I21.9"), True),
    ("I22 is not listed", dict(cause="I229"), False),
    ("female breast C50 in a woman", dict(cause="C509", sex="F"), True),
    ("female breast C50 in a man does not count", dict(cause="C509", sex="M"), False),
    ("prostate C61 in a man", dict(cause="C61", sex="M"), True),
    ("prostate C61 in a woman does not count", dict(cause="C61", sex="F"), False),
    ("ALL C91.0 at 40", dict(cause="C910", age=40), True),
    ("ALL: the 4-character entry C910 covers its extension C9100", dict(cause="C9100", age=40), True),
    ("ALL C91.0 at 44 (row limit 0–44)", dict(cause="C910", age=44), True),
    ("ALL C91.0 at 45 is past the row's age limit", dict(cause="C910", age=45), False),
    ("C91.1 is not C91.0", dict(cause="C911", age=30), False),
    ("pneumococcal sepsis A40.3", dict(cause="A403"), True),
    ("A40.9 is not A40.3", dict(cause="A409"), False),
    ("perinatal P07 at age 0", dict(cause="P073", age=0), True),
    ("age 74 counts", dict(age=74), True),
    ("age 75 is past the measure's 0–74", dict(age=75), False),
    ("a cause on no row", dict(cause="X599"), False),
]


@pytest.mark.parametrize("case, overrides, is_counted", CASES, ids=[c[0] for c in CASES])
def test_each_code_list_rule(con, amenable, case, overrides, is_counted):
    d = death(**overrides)
    amenable([d])
    assert (d["death_id"] in counted(con)) is is_counted, case


def test_condition_groups_are_breakdowns_and_total_is_every_group(amenable):
    deaths = [death(cause="C509", sex="F"), death(cause="C61"), death(cause="I219"), death(cause="P071", age=0)]
    rows = amenable(deaths)
    numerators = {r["breakdown"]: r["numerator"] for r in rows.filter(
        (pl.col("district_code") == "011") & (pl.col("group_id") == "maori")).iter_rows(named=True)}
    # Groups with codes only; injuries and other_chronic have none, so no rows (see the note).
    assert numerators == {"": 4, "cancers": 2, "cvd_diabetes": 1, "infections": 0, "maternal_infant": 1}


# --- the statistic: WHO-standardised over 0–74, Dobson limits ------------------------------

def hand_deaths():
    """12 deaths in 2016–2020: 2 at 0–4, 4 at 45–49, 6 at 70–74 (district 011, Māori)."""
    return ([death(cause="P071", age=0, year=2017) for _ in range(2)]
            + [death(cause="C509", sex="F", age=47, year=2018) for _ in range(2)]
            + [death(cause="I219", age=46, year=2019) for _ in range(2)]
            + [death(cause="I219", age=72, year=2020) for _ in range(6)])


def test_dsr_with_dobson_limits_by_hand(amenable):
    rows = amenable(hand_deaths())
    r = row(rows)
    # WHO 2000–2025: 0–4 8.86, 45–49 6.04, 70–74 2.21; the 15 bands 0–4 … 70–74 sum to 96.97
    # (bands with no people and no deaths keep their weight), so the weights renormalise over 0–74.
    # DSR = (2/5000·8.86 + 4/10000·6.04 + 6/7500·2.21) / 96.97 × 100,000
    #     = (0.003544 + 0.002416 + 0.001768) / 96.97 × 100,000 = 7.969475
    w = 96.97
    dsr = (2 / 5000 * 8.86 + 4 / 10000 * 6.04 + 6 / 7500 * 2.21) / w
    var = (2 * (8.86 / 5000) ** 2 + 4 * (6.04 / 10000) ** 2 + 6 * (2.21 / 7500) ** 2) / w ** 2
    # Byar for O = 12 (§2): lower 6.193510, upper 20.962858
    lower_12 = 12 * (1 - 1 / 108 - Z / (3 * sqrt(12))) ** 3
    upper_12 = 13 * (1 - 1 / 117 + Z / (3 * sqrt(13))) ** 3
    assert (lower_12, upper_12) == (pytest.approx(6.193510, abs=1e-6), pytest.approx(20.962858, abs=1e-6))
    assert r["numerator"] == 12
    assert r["denominator"] == 22_500                          # person-years 5,000 + 10,000 + 7,500
    assert r["value"] == pytest.approx(7.969475, abs=1e-6)
    assert r["value"] == pytest.approx(dsr * 1e5, rel=1e-12)
    # Dobson (§7): DSR + √(var/O)·(Byar(O) − O) → 3.001482 to 15.638036
    assert r["lower_ci"] == pytest.approx((dsr + sqrt(var / 12) * (lower_12 - 12)) * 1e5, rel=1e-9)
    assert r["upper_ci"] == pytest.approx((dsr + sqrt(var / 12) * (upper_12 - 12)) * 1e5, rel=1e-9)
    assert (r["lower_ci"], r["upper_ci"]) == (pytest.approx(3.001482, abs=1e-6), pytest.approx(15.638036, abs=1e-6))
    assert r["period_label"] == "Five years to Dec 2020"
    assert r["suppressed"] is False and r["status"] == "published"


def test_without_renormalising_the_whole_standard_divides(amenable):
    # renormalise_weights: false divides by the whole standard, 0–4 … 80–84 plus 85+ = 100.03:
    # 7.969475 × 96.97 / 100.03 = 7.725682
    r = row(amenable(hand_deaths(), renormalise_weights=False))
    assert r["value"] == pytest.approx(7.725682, abs=1e-6)


def test_fewer_than_ten_deaths_are_suppressed(amenable):
    r = row(amenable(hand_deaths()[:9]))
    assert r["numerator"] == 9
    assert r["value"] is None                                  # PHE: no DSR under 10 events
    assert r["suppressed"] is True and r["suppression_reason"] == "fewer than 10 events"


def test_a_missing_population_year_gives_no_denominator(amenable):
    population = [p for p in HAND_POPULATION if p[0] != 2018]   # four of the five 30 Junes
    r = row(amenable(hand_deaths(), population=population))
    assert r["denominator"] is None and r["value"] is None and r["method"] == "no denominator"


def test_a_blocked_registration_year_withholds_the_windows_that_need_it(amenable):
    rows = amenable(hand_deaths(), blocked=(2021,))
    r = row(rows)
    assert r["status"] == "withheld" and r["value"] is None
    assert "mortality.cause_is_icd10am" in r["status_reason"]


# --- definition status, derived from the code list -----------------------------------------

def test_a_missing_code_list_row_makes_every_row_incomplete_and_says_why(amenable):
    rows = amenable(hand_deaths())
    assert rows["definition_status"].unique().to_list() == ["incomplete"]
    # 6 coded conditions (Coronary, Female breast, Prostate, ALL, Pneumococcal, Perinatal);
    # groups injuries and other_chronic have no codes; one MISSING row.
    note = ("incomplete definition: 6 of 35 conditions coded; no codes for injuries, other_chronic; "
            "MISSING in v-test: Ch… (name truncated in source)")
    assert rows["status_reason"].unique().to_list() == [note]


def test_a_withheld_row_keeps_both_reasons(amenable):
    r = row(amenable(hand_deaths(), blocked=(2021,)))
    assert r["status_reason"].startswith("contract rule failed: mortality.cause_is_icd10am; incomplete definition: 6 of 35")


def test_a_full_code_list_is_complete(amenable):
    rows = amenable(hand_deaths(), code_list=[r for r in FIXTURE if r[-1] != "MISSING"],
                    expected_conditions=6, condition_groups=["infections", "maternal_infant", "cancers", "cvd_diabetes"])
    assert rows["definition_status"].unique().to_list() == ["complete"]
    assert rows["status_reason"].null_count() == rows.height


def test_fewer_conditions_than_expected_is_incomplete_even_without_missing_rows(amenable):
    rows = amenable(hand_deaths(), code_list=[r for r in FIXTURE if r[-1] != "MISSING"],
                    condition_groups=["infections", "maternal_infant", "cancers", "cvd_diabetes"])
    assert rows["definition_status"].unique().to_list() == ["incomplete"]
    assert rows["status_reason"][0] == "incomplete definition: 6 of 35 conditions coded"


def test_the_shipped_code_list_is_marked_incomplete(con):
    """The real reference/code_lists/amenable_mortality_v1.csv (27 of 35 conditions, no injuries)."""
    load_reference(con)
    load_mortality(con, [death()], range(2016, 2023))
    load_population(con, HAND_POPULATION)
    for name in ("mortality", "population"):
        run_staging_sql(con, name)
    config = default_config()
    run_measure_sql(con, config.measure("amenable_mortality"))
    rows = publish(con, config.measure("amenable_mortality"), config)
    assert rows["definition_status"].unique().to_list() == ["incomplete"]
    assert "no codes for injuries" in rows["status_reason"][0]
    assert "of 35 conditions coded" in rows["status_reason"][0]


def test_the_dashboard_note_in_measures_yaml_matches_the_derived_note(con):
    """measures.yaml → definition_note (the dashboards' banner) must say what the code list says."""
    load_reference(con)
    config = default_config()
    measure = config.measure("amenable_mortality")
    load_mortality(con, [], [])
    load_population(con, HAND_POPULATION)
    for name in ("mortality", "population"):
        run_staging_sql(con, name)
    run_measure_sql(con, measure)
    derived = con.sql("SELECT definition_note FROM marts.amenable_mortality_definition").fetchall()[0][0]
    summary = derived.removeprefix("incomplete definition: ").split("; MISSING in")[0]
    assert summary == measure.settings["definition_note"]
