"""Youth SLM indicators from their own sources, pinned on hand-made rows (docs/sources.md shapes):
chlamydia testing coverage (ESR), the alcohol-related share of ED presentations and our companion
rate per resident (NNPAC),
adolescent oral health utilisation, youth experience (Marama survey).
Self-harm, from the NMDS, is in test_youth_self_harm_rules.py."""

from __future__ import annotations

import math
from datetime import date, timedelta
from itertools import count

import polars as pl
import pytest

from pipelines.measures.measure_config import Measure, default_config
from pipelines.measures.run_sql import run_measure_sql
from pipelines.measures.tidy_rows import publish
from pipelines.warehouse import execute, run_staging_sql
from tests.measures.nmds_builder import load_population

Z = 1.959963984540054
QUARTERS = ["2024Q1", "2024Q2", "2024Q3", "2024Q4"]
_ids = count(1)


def wilson(x: float, n: float) -> tuple[float, float]:
    """Wilson score limits written out (statistical-methods.md §5), for the hand numbers."""
    a, b = 2 * x + Z * Z, Z * math.sqrt(Z * Z + 4 * x * (1 - x / n))
    return (a - b) / (2 * (n + Z * Z)), (a + b) / (2 * (n + Z * Z))


def load_raw(con, source: str, rows: list[dict], schema: dict, period_sql: str, periods: list[str]):
    """raw.<source> = rows + _period (period_sql over the row), and every period loaded 'pass'."""
    con.register("_rows", pl.DataFrame(rows, schema=schema))
    execute(con, f"CREATE OR REPLACE TABLE raw.{source} AS SELECT *, {period_sql} AS _period FROM _rows")
    con.unregister("_rows")
    for p in periods:
        execute(con, "INSERT OR REPLACE INTO meta.period_status VALUES (?, ?, 'pass', [], now())", [source, p])


@pytest.fixture
def measure_run(con):
    """run(measure_id, staging, population rows, **setting overrides) → published rows."""
    config = default_config()

    def run(measure_id, staging, population=(), **overrides):
        load_population(con, list(population) or [(2024, "011", 0, "F", "Māori", 0)])
        for name in ("population", staging):
            run_staging_sql(con, name)
        base = config.measure(measure_id)
        measure = Measure(measure_id, {**base.settings, **overrides})
        run_measure_sql(con, measure)
        return publish(con, measure, config)

    return run


def cell(rows, group="maori", district="011", end=None):
    sel = rows.filter((pl.col("district_code") == district) & (pl.col("group_id") == group))
    if end is not None:
        sel = sel.filter(pl.col("period_end") == end)
    assert sel.height == 1
    return sel.row(0, named=True)


def ages(lo, hi, pop, dhb="011", ethnic="Māori", year=2024):
    return [(year, dhb, a, "F", ethnic, pop) for a in range(lo, hi + 1)]


# --- chlamydia testing coverage -----------------------------------------------------------------

ESR_SCHEMA = {"quarter": pl.String, "dhb_code": pl.String, "age_group": pl.String, "sex": pl.String,
              "ethnic_group": pl.String, "people_tested": pl.Int64, "people_positive": pl.Int64}


def esr(quarter, age_group, sex, tested, dhb="011", ethnic="Māori"):
    return {"quarter": quarter, "dhb_code": dhb, "age_group": age_group, "sex": sex,
            "ethnic_group": ethnic, "people_tested": tested, "people_positive": 0}


def test_chlamydia_person_quarters_over_population(con, measure_run):
    rows = ([esr(q, "15-19", "F", n) for q, n in zip(QUARTERS, [10, 12, 8, 10], strict=True)]   # 40
            + [esr(q, "20-24", "M", 5) for q in QUARTERS]                                      # 20
            + [esr(q, "25-29", "F", 99) for q in QUARTERS]                     # outside 15–24
            + [esr("2024Q2", "20-24", "F", 7, ethnic="Pacific")])
    load_raw(con, "esr_chlamydia", rows, ESR_SCHEMA, "quarter", QUARTERS)
    # 15–24 Māori in Northland: 10 ages × 100 = 1,000; ages 14 and 25 are not in the denominator.
    out = measure_run("youth_chlamydia_testing", "esr_chlamydia",
                      ages(15, 24, 100) + ages(14, 14, 900) + ages(25, 25, 900))
    r = cell(out)
    assert (r["numerator"], r["denominator"]) == (60, 1000)
    assert r["value"] == pytest.approx(6.0)
    # Wilson 60/1000: √(z² + 240·0.94) = √229.441459 = 15.147325;
    # lower = (123.841459 − 29.688212)/2007.682918 = 0.046896; upper = 153.529671/2007.682918 = 0.076471
    assert (r["lower_ci"], r["upper_ci"]) == (pytest.approx(4.6896, abs=5e-5), pytest.approx(7.6471, abs=5e-5))
    assert wilson(60, 1000) == pytest.approx((0.046896, 0.076471), abs=5e-7)
    assert r["period_label"] == "Year to Dec 2024"
    pacific = cell(out, "pacific")
    assert (pacific["numerator"], pacific["value"], pacific["method"]) == (7, None, "no denominator")


def test_chlamydia_window_takes_four_quarters(con, measure_run):
    rows = [esr(q, "15-19", "F", 10) for q in QUARTERS + ["2025Q1"]]
    load_raw(con, "esr_chlamydia", rows, ESR_SCHEMA, "quarter", QUARTERS + ["2025Q1"])
    out = measure_run("youth_chlamydia_testing", "esr_chlamydia", ages(15, 24, 100))
    assert cell(out, end=date(2024, 12, 31))["numerator"] == 40
    to_march = cell(out, end=date(2025, 3, 31))
    assert (to_march["numerator"], to_march["denominator"]) == (40, 1000)   # 2024 ERP: 30 June 2024


def test_chlamydia_cell_over_its_population_keeps_value_without_interval(con, measure_run):
    # Pacific: 12 person-quarters against 10 residents. stats.proportion refuses x > n; the run
    # must still publish every other cell, and this one says why it has no interval.
    rows = [esr("2024Q1", "15-19", "F", 12, ethnic="Pacific"), esr("2024Q1", "15-19", "F", 3)]
    load_raw(con, "esr_chlamydia", rows, ESR_SCHEMA, "quarter", QUARTERS)
    out = measure_run("youth_chlamydia_testing", "esr_chlamydia",
                      ages(15, 24, 1, ethnic="Pacific") + ages(15, 24, 10))
    over = cell(out, "pacific")
    assert (over["numerator"], over["denominator"], over["value"]) == (12, 10, pytest.approx(120.0))
    assert (over["lower_ci"], over["upper_ci"]) == (None, None)
    assert over["method"] == "numerator exceeds population: no Wilson interval"
    assert cell(out)["value"] == pytest.approx(3.0) and cell(out)["method"] == "Wilson"   # 3/100
    assert cell(out, "total")["value"] == pytest.approx(15 / 110 * 100)


# --- alcohol-related ED presentations -------------------------------------------------------------

NNPAC_SCHEMA = {"event_id": pl.String, "nhi_encrypted": pl.String, "date_of_birth": pl.Date,
                "sex": pl.String, "ethnic_code_1": pl.String, "ethnic_code_2": pl.String,
                "ethnic_code_3": pl.String, "dhb_of_domicile": pl.String, "dhb_of_service": pl.String,
                "presentation_date": pl.Date, "purchase_unit": pl.String, "attendance_code": pl.String,
                "service_type": pl.String, "alcohol_related": pl.String}
SEEN = date(2024, 5, 15)


def attendance(age_years=16, days_short=0, **overrides):
    """An alcohol-related (Y) ED presentation aged `age_years` (less `days_short` days) unless overridden."""
    row = {"event_id": f"N{next(_ids):07d}", "nhi_encrypted": "b" * 64,
           "date_of_birth": SEEN.replace(year=SEEN.year - age_years) + timedelta(days=days_short),
           "sex": "M", "ethnic_code_1": "21", "ethnic_code_2": None, "ethnic_code_3": None,
           "dhb_of_domicile": "011", "dhb_of_service": "011", "presentation_date": SEEN,
           "purchase_unit": "ED02001", "attendance_code": "ATT", "service_type": None,
           "alcohol_related": "Y"}
    row.update(overrides)
    return row


# (case, overrides, an ED presentation?, alcohol-related?)
ED_CASES = [
    ("Y, attended, ED02001", dict(), True, True),
    ("U counts: HQMNZ says 'yes or unknown'", dict(alcohol_related="U"), True, True),
    ("S secondary is not in the default answer set", dict(alcohol_related="S"), True, False),
    ("N", dict(alcohol_related="N"), True, False),
    ("a blank answer is not 'Unknown'", dict(alcohol_related=None), True, False),
    ("did not attend is not a presentation", dict(attendance_code="DNA"), False, False),
    ("did not wait is not a presentation", dict(attendance_code="DNW"), False, False),
    ("a blank attendance code is not DNA/DNW", dict(attendance_code=None), True, True),
    ("follow-up is not a presentation", dict(service_type="FU"), False, False),
    ("a non-ED purchase unit is not a presentation", dict(purchase_unit="M20006"), False, False),
    ("ED06001A is an ED purchase unit", dict(purchase_unit="ED06001A"), True, True),
    ("one day short of 10", dict(age_years=10, days_short=1), False, False),
    ("10th birthday", dict(age_years=10), True, True),
    ("one day short of 25", dict(age_years=25, days_short=1), True, True),
    ("25th birthday", dict(age_years=25), False, False),
    ("a visitor from Waitematā, seen in Northland", dict(dhb_of_domicile="021"), True, True),
]


def load_ed(con, rows):
    load_raw(con, "nnpac_ed", rows, NNPAC_SCHEMA,
             "strftime(presentation_date, '%Y') || 'Q' || quarter(presentation_date)", QUARTERS)


@pytest.mark.parametrize("case, overrides, presentation, alcohol", ED_CASES, ids=[c[0] for c in ED_CASES])
def test_each_ed_rule(con, measure_run, case, overrides, presentation, alcohol):
    load_ed(con, [attendance(**overrides)])
    measure_run("youth_alcohol_ed", "nnpac_ed")
    got = con.sql("SELECT count(*), count(*) FILTER (WHERE alcohol_counted) "
                  "FROM marts.youth_alcohol_ed_presentations").fetchall()[0]
    assert got == (int(presentation), int(alcohol)), case


def test_alcohol_share_is_the_headline_and_the_rate_its_companion(con, measure_run):
    """HQMNZ's form [C, addendum §6.2] is the headline youth_alcohol_ed: alcohol-related (yes or
    unknown) ÷ all ED presentations of 10–24 year olds by DHB of service. The rate per resident
    is youth_alcohol_ed_rate, labelled as ours on every row."""
    load_ed(con, [attendance(**o) for _, o, _, _ in ED_CASES])
    population = ages(10, 24, 1000)                                  # 15,000 in Northland
    # Presentations: 10 of the 16 cases; alcohol-related: 7 (Y, U, blank attendance, ED06001A,
    # age 10, age 24, the visitor).
    assert sum(p for *_, p, _ in ED_CASES) == 10 and sum(a for *_, a in ED_CASES) == 7
    rate = cell(measure_run("youth_alcohol_ed_rate", "nnpac_ed", population))
    assert "our companion" in rate["measure_name"] and "not an HQMNZ form" in rate["definition_note"]
    assert rate["unit"] == "per 100,000 population"
    assert (rate["numerator"], rate["denominator"]) == (7, 15_000)
    assert rate["value"] == pytest.approx(7 / 15_000 * 100_000)
    # Exact Poisson for 7 (Garwood): 2.814363, 14.422675
    assert rate["lower_ci"] == pytest.approx(2.814363 / 15_000 * 100_000, rel=1e-6)
    assert rate["upper_ci"] == pytest.approx(14.422675 / 15_000 * 100_000, rel=1e-6)

    share = cell(measure_run("youth_alcohol_ed", "nnpac_ed", population))
    assert (share["numerator"], share["denominator"]) == (7, 10)
    assert (share["unit"], share["multiplier"], share["definition_note"]) == ("percent of ED presentations", 100, None)
    assert share["value"] == pytest.approx(70.0)
    # Wilson 7/10: √(z² + 28·0.3) = √12.241459 = 3.498780; lower = (17.841459 − 6.857482)/27.682918
    assert share["lower_ci"] == pytest.approx(39.6778, abs=5e-5)
    assert share["upper_ci"] == pytest.approx(89.2209, abs=5e-5)
    assert wilson(7, 10) == pytest.approx((0.396778, 0.892209), abs=5e-7)


def test_alcohol_by_dhb_of_service_unless_told_otherwise(con, measure_run):
    load_ed(con, [attendance(dhb_of_domicile="021", dhb_of_service="011")])
    by_service = measure_run("youth_alcohol_ed", "nnpac_ed")
    assert (cell(by_service)["numerator"], cell(by_service, district="021")["numerator"]) == (1, 0)
    assert (cell(by_service)["denominator"], cell(by_service, district="021")["denominator"]) == (1, 0)
    by_domicile = measure_run("youth_alcohol_ed", "nnpac_ed", geography="dhb_of_domicile")
    assert (cell(by_domicile)["numerator"], cell(by_domicile, district="021")["numerator"]) == (0, 1)


def test_alcohol_answer_set_is_a_setting(con, measure_run):
    load_ed(con, [attendance(alcohol_related=a) for a in ("Y", "U", "S", "N")])
    share = cell(measure_run("youth_alcohol_ed", "nnpac_ed", alcohol_values=["Y", "S"]))
    assert (share["numerator"], share["denominator"]) == (2, 4)


# --- adolescent oral health utilisation -----------------------------------------------------------

ORAL_SCHEMA = {"year": pl.Int32, "dhb_code": pl.String, "age": pl.Int32, "ethnic_group": pl.String,
               "adolescents_examined": pl.Int64}


def test_oral_health_age_band_13_to_17_and_says_why_not_12(con, measure_run):
    """HQMNZ states 12–17 (school year 9 to age 17) [C]; the extract is by single year of age
    13–17, so 13–17 is used and every row says so (and is marked incomplete for the pack)."""
    rows = [{"year": 2024, "dhb_code": "011", "age": a, "ethnic_group": "Māori",
             "adolescents_examined": 50} for a in range(12, 19)]
    load_raw(con, "oral_health", rows, ORAL_SCHEMA, "CAST(year AS VARCHAR)", ["2024"])
    out = measure_run("youth_oral_health", "oral_health", ages(12, 18, 100))
    r = cell(out)
    # Ages 13–17 only: 5 × 50 examined / 5 × 100 resident.
    assert (r["numerator"], r["denominator"]) == (250, 500)
    assert r["value"] == pytest.approx(50.0)
    # Wilson 250/500: √(z² + 1000·0.5) = √503.841459 = 22.446413; half-width z·22.446413/1007.682918
    assert r["lower_ci"] == pytest.approx(45.6341, abs=5e-5)
    assert r["upper_ci"] == pytest.approx(54.3659, abs=5e-5)
    assert wilson(250, 500) == pytest.approx((0.456341, 0.543659), abs=5e-7)
    assert (r["period_start"], r["period_end"]) == (date(2024, 1, 1), date(2024, 12, 31))
    assert r["definition_status"] == "incomplete"
    assert r["definition_note"].startswith("ages 13–17, not the stated 12–17 (school year 9 to age 17)")
    assert "single year of age 13–17" in r["definition_note"]


# --- youth experience (Marama) ---------------------------------------------------------------------

YOUTH_SCHEMA = {"respondent_id": pl.String, "survey_year": pl.Int32, "dhb_code": pl.String,
                "age": pl.Int32, "ethnic_group": pl.String, "service": pl.String,
                "q_safe_supported": pl.Int32}


def youth(answer, age=17, ethnic="Māori"):
    return {"respondent_id": f"Y{next(_ids):07d}", "survey_year": 2024, "dhb_code": "011", "age": age,
            "ethnic_group": ethnic, "service": "CAMHS", "q_safe_supported": answer}


def load_youth(con, rows):
    load_raw(con, "youth_survey", rows, YOUTH_SCHEMA, "CAST(survey_year AS VARCHAR)", ["2024"])


def test_youth_experience_positive_answers(con, measure_run):
    rows = [youth(5), youth(4), youth(3), youth(2), youth(1),   # 2 positive of 5 answering
            youth(None),                                         # not answered: not a respondent here
            youth(5, age=11), youth(5, age=25),                  # outside 12–24
            youth(5, age=12), youth(4, age=24)]                  # inside: 4 positive of 7
    load_youth(con, rows)
    r = cell(measure_run("youth_experience", "youth_survey"))
    assert (r["numerator"], r["denominator"]) == (4, 7)
    assert r["value"] == pytest.approx(400 / 7)
    lo, hi = wilson(4, 7)
    # Wilson 4/7: √(z² + 16·3/7) = √10.698602 = 3.270872;
    # lower = (11.841459 − 6.410791)/21.682918 = 0.250458; upper = 18.252250/21.682918 = 0.841780
    assert (lo, hi) == (pytest.approx(0.250458, abs=5e-7), pytest.approx(0.841780, abs=5e-7))
    assert (r["lower_ci"], r["upper_ci"]) == (pytest.approx(100 * lo), pytest.approx(100 * hi))


def test_youth_experience_suppressed_by_respondents_not_events(con, measure_run):
    # Māori: 30 respondents, 2 positive (fewer than 5 "events", still published);
    # Pacific: 29 respondents, all positive (suppressed).
    rows = ([youth(5) for _ in range(2)] + [youth(2) for _ in range(28)]
            + [youth(5, ethnic="Pacific") for _ in range(29)])
    load_youth(con, rows)
    out = measure_run("youth_experience", "youth_survey")
    assert cell(out)["suppressed"] is False
    assert cell(out, "pacific")["suppressed"] is True
    assert cell(out, "pacific")["suppression_reason"] == "fewer than 30 respondents"


def test_every_youth_measure_has_zero_cells(con, measure_run):
    load_youth(con, [youth(5)])
    out = measure_run("youth_experience", "youth_survey")
    assert out.height == 21 * 6                      # (20 districts + NZ) × 6 groups, one year
    r = cell(out, "asian", "160")
    assert (r["numerator"], r["denominator"], r["value"]) == (0, 0, None)
