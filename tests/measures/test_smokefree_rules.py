"""Babies in smokefree homes at six weeks, and its unknown-status companion, pinned on hand-made
WCTO/LMC records (docs/sources.md shape). Each baby in BABIES says which rule it shows."""

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

Z = 1.959963984540054
BORN = date(2024, 3, 1)
HALVES = ["2024H1", "2024H2"]
SCHEMA = {"record_id": pl.String, "baby_nhi_encrypted": pl.String, "date_of_birth": pl.Date,
          "contact_date": pl.Date, "smokefree_household": pl.String, "source": pl.String,
          "dhb_of_domicile": pl.String, "ethnic_code_1": pl.String, "ethnic_code_2": pl.String,
          "ethnic_code_3": pl.String}
_ids = count(1)


def record(baby: str | None, source: str, status: str | None, age_days: int, born: date = BORN,
           dhb: str = "011", ethnic: tuple = ("21",)) -> dict:
    codes = list(ethnic) + [None] * (3 - len(ethnic))
    return {"record_id": f"R{next(_ids):06d}", "baby_nhi_encrypted": None if baby is None else baby * 8,
            "date_of_birth": born, "contact_date": born + timedelta(days=age_days),
            "smokefree_household": status, "source": source, "dhb_of_domicile": dhb,
            "ethnic_code_1": codes[0], "ethnic_code_2": codes[1], "ethnic_code_3": codes[2]}


# Status each baby is counted with under the default definition (None = not counted at all).
BABIES = [
    ("a: WCTO Y at 42 days", [record("a", "WCTO", "Y", 42)], "Y"),
    ("b: day 56 is still six weeks", [record("b", "WCTO", "Y", 56)], "Y"),
    ("c: day 57 is not", [record("c", "WCTO", "Y", 57)], None),
    ("d: a contact before birth never counts", [record("d", "WCTO", "Y", -1)], None),
    ("e: WCTO wins over LMC", [record("e", "WCTO", "N", 40), record("e", "LMC", "Y", 14)], "N"),
    ("f: WCTO after 56 days gives way to LMC", [record("f", "WCTO", "Y", 60), record("f", "LMC", "N", 30)], "N"),
    ("g: precedence alone: an unknown WCTO status hides a known LMC one", [record("g", "WCTO", "U", 42), record("g", "LMC", "Y", 14)], "U"),
    ("h: unknown", [record("h", "WCTO", "U", 42)], "U"),
    ("i: a blank status is unknown", [record("i", "LMC", None, 20)], "U"),
    ("j: no NHI, a baby of its own", [record(None, "LMC", "Y", 10)], "Y"),
    ("k: no NHI, another baby", [record(None, "LMC", "Y", 12)], "Y"),
]
ALL_RECORDS = [r for _, records, _ in BABIES for r in records]


def load_smokefree(con, records, halves=HALVES, status="pass"):
    con.register("_rows", pl.DataFrame(records, schema=SCHEMA))
    execute(con, "CREATE OR REPLACE TABLE raw.smokefree AS SELECT *, strftime(date_of_birth, '%Y') "
                 "|| 'H' || CASE WHEN month(date_of_birth) <= 6 THEN '1' ELSE '2' END AS _period FROM _rows")
    con.unregister("_rows")
    for h in halves:
        execute(con, "INSERT OR REPLACE INTO meta.period_status VALUES ('smokefree', ?, ?, [], now())",
                [h, status])


@pytest.fixture
def smokefree(con):
    config = default_config()

    def run(records, measure_id="smokefree_6_weeks", **overrides):
        # _common.sql's macros read staging.population; these measures have no population.
        execute(con, "CREATE OR REPLACE TABLE staging.population (year INTEGER, district_code VARCHAR, "
                     "age_lower INTEGER, age_upper INTEGER, sex VARCHAR, group4_id VARCHAR, "
                     "slm3_id VARCHAR, population INTEGER)")
        load_smokefree(con, records)
        run_staging_sql(con, "smokefree")
        base = config.measure(measure_id)
        measure = Measure(measure_id, {**base.settings, **overrides})
        run_measure_sql(con, measure)
        return publish(con, measure, config)

    return run


def cell(rows, group="maori", district="011", end=date(2024, 6, 30)):
    sel = rows.filter((pl.col("district_code") == district) & (pl.col("group_id") == group)
                      & (pl.col("period_end") == end))
    assert sel.height == 1
    return sel.row(0, named=True)


@pytest.mark.parametrize("case, records, status", BABIES, ids=[b[0] for b in BABIES])
def test_each_baby(con, smokefree, case, records, status):
    smokefree(records)
    chosen = con.sql("SELECT smokefree_status FROM marts.smokefree_6_weeks_babies").fetchall()
    assert chosen == ([] if status is None else [(status,)]), case


def test_rate_and_wilson_limits_by_hand(smokefree):
    # Counted: Y = a, b, j, k (4); N = e, f (2); unknown g, h, i (3) left out of the denominator.
    r = cell(smokefree(ALL_RECORDS))
    assert (r["numerator"], r["denominator"]) == (4, 6)
    assert r["value"] == pytest.approx(400 / 6)
    # Wilson, x = 4, n = 6, z² = 3.841459: √(z² + 4·4·(2/6)) = √9.174792 = 3.028992;
    # lower = (11.841459 − 5.936715)/19.682918 = 0.299993; upper = 17.778175/19.682918 = 0.903229
    assert r["lower_ci"] == pytest.approx(29.9993, abs=5e-5)
    assert r["upper_ci"] == pytest.approx(90.3229, abs=5e-5)
    assert r["method"] == "Wilson"
    assert r["period_label"] == "6 months to Jun 2024"


def test_unknown_share_companion(smokefree):
    # Same 9 counted babies; unknown = g, h, i. Wilson for 3/9:
    # √(z² + 12·(6/9)) = √11.841459 = 3.441142; lower = (9.841459 − 6.744515)/25.682918 = 0.120584
    r = cell(smokefree(ALL_RECORDS, "smokefree_6_weeks_unknown"))
    # Suppressed, so its denominator (9) is hidden too: 9 − smokefree's 6 would give the 3 away.
    assert (r["numerator"], r["denominator"]) == (3, None)
    assert r["value"] == pytest.approx(300 / 9)
    assert r["lower_ci"] == pytest.approx(12.0584, abs=5e-5)
    assert r["suppressed"] is True                       # 3 < 5


def test_unknown_plus_known_is_every_counted_baby_in_every_cell(smokefree):
    main = smokefree(ALL_RECORDS)
    unknown = smokefree(ALL_RECORDS, "smokefree_6_weeks_unknown")
    keys = ["district_code", "group_id", "period_end"]
    both = main.join(unknown, on=keys, suffix="_u")
    assert both.height == main.height == unknown.height
    assert (both["denominator"] + both["numerator_u"] == both["denominator_u"]).all()


def test_known_status_first_takes_the_lmcs_known_status(smokefree):
    # g now counts from its LMC record (Y): Y = a, b, g, j, k; N = e, f. h, i stay unknown.
    r = cell(smokefree(ALL_RECORDS, known_status_first=True))
    assert (r["numerator"], r["denominator"]) == (5, 7)
    u = cell(smokefree(ALL_RECORDS, "smokefree_6_weeks_unknown", known_status_first=True))
    assert (u["numerator"], u["denominator"]) == (2, None)     # suppressed: denominator hidden


def test_lmc_first_precedence(smokefree):
    # e and g now count from their LMC records (Y): Y = a, b, e, g, j, k; N = f.
    r = cell(smokefree(ALL_RECORDS, source_precedence=["LMC", "WCTO"]))
    assert (r["numerator"], r["denominator"]) == (6, 7)


def test_district_and_ethnicity_come_from_the_chosen_record(smokefree):
    records = [record("m", "WCTO", "Y", 40, dhb="021", ethnic=("11", "31")),   # European + Samoan → Pacific
               record("m", "LMC", "N", 10, dhb="011", ethnic=("21",))]
    rows = smokefree(records)
    assert cell(rows, "pacific", "021")["numerator"] == 1
    assert cell(rows, "maori", "011")["denominator"] == 0
    assert cell(rows, "total", "000")["denominator"] == 1


def test_half_years_by_date_of_birth(smokefree):
    records = [record("p", "WCTO", "Y", 40, born=date(2024, 6, 30)),
               record("q", "WCTO", "N", 40, born=date(2024, 7, 1))]   # contact in H2 either way
    rows = smokefree(records)
    assert (cell(rows)["numerator"], cell(rows)["denominator"]) == (1, 1)
    h2 = cell(rows, end=date(2024, 12, 31))
    assert (h2["period_start"], h2["numerator"], h2["denominator"]) == (date(2024, 7, 1), 0, 1)


def test_zero_cells_exist_without_a_value(smokefree):
    rows = smokefree(ALL_RECORDS)
    # 2 half-years × (20 districts + New Zealand) × 6 groups
    assert rows.height == 2 * 21 * 6
    empty = cell(rows, "pacific", "160")
    assert (empty["numerator"], empty["denominator"], empty["value"]) == (0, 0, None)


def test_wilson_arithmetic_in_comments_is_right():
    # Guards the hand numbers above against a slip: the Wilson formula written out once more.
    def wilson(x, n):
        a, b = 2 * x + Z * Z, Z * math.sqrt(Z * Z + 4 * x * (1 - x / n))
        return (a - b) / (2 * (n + Z * Z)), (a + b) / (2 * (n + Z * Z))
    assert wilson(4, 6) == pytest.approx((0.299993, 0.903229), abs=5e-7)
    assert wilson(3, 9)[0] == pytest.approx(0.120584, abs=5e-7)
