"""ASH 0–4 rules pinned on hand-made events: each case says why it is or is not counted.

The measure SQL (sql/measures/ash_0_4.sql) runs on a real DuckDB file with the default
definition in measures.yaml; nothing here comes from the synthetic generator.
"""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from pipelines.measures.measure_config import Measure, default_config
from pipelines.measures.run_sql import run_measure_sql
from pipelines.measures.tidy_rows import publish
from pipelines.warehouse import run_staging_sql
from tests.measures.nmds_builder import event, load_nmds, load_population

QUARTERS = ["2024Q1", "2024Q2", "2024Q3", "2024Q4"]

# (case, event overrides, counted?)
CASES = [
    ("pneumonia J18 principal, acute, age 2", dict(), True),
    ("3-character entry matches the whole category (J181)", dict(principal_diagnosis="J181"), True),
    ("4-character entry K590 matches K590 and its extensions", dict(principal_diagnosis="K5900"), True),
    ("4-character entry K590 does not match K591", dict(principal_diagnosis="K591"), False),
    ("ASH code only as another diagnosis", dict(principal_diagnosis="S0600", other_diagnosis_1="J189"), False),
    ("bronchiolitis J21 is not on the national list", dict(principal_diagnosis="J210"), False),
    ("age 4 years 11 months counts", dict(age_months=59), True),
    ("age 5 years does not", dict(age_months=60), False),
    ("MMR code B05 under 15 months does not count", dict(principal_diagnosis="B059", age_months=14), False),
    ("MMR code B05 from 15 months counts", dict(principal_diagnosis="B059", age_months=15), True),
    ("A40.3 under 6 months does not count", dict(principal_diagnosis="A403", age_months=5), False),
    ("A40.3 from 6 months counts", dict(principal_diagnosis="A403", age_months=6), True),
    ("wheeze R06.2 at age 3 counts", dict(principal_diagnosis="R062", age_months=40), True),
    ("arranged admission AA counts", dict(admission_type="AA"), True),
    ("elective WN pneumonia does not count", dict(admission_type="WN"), False),
    ("elective WN dental caries counts (dental exception)", dict(admission_type="WN", principal_diagnosis="K021"), True),
    ("private elective AP dental counts", dict(admission_type="AP", principal_diagnosis="K051"), True),
    ("psychiatric return from leave RL does not", dict(admission_type="RL"), False),
    ("birth event BT does not", dict(event_type="BT"), False),
    ("day case ID counts", dict(event_type="ID", los_days=0), True),
    ("transfer in does not (one count per stay)", dict(admission_source="T"), False),
    ("privately funded does not", dict(purchaser_code="20"), False),
    ("short-stay ED event still counts (exclude_ssed: false)", dict(health_specialty="M05", los_days=0), True),
]


@pytest.fixture
def ash(con):
    def run(events, **settings):
        load_nmds(con, events, QUARTERS)
        load_population(con, [(2024, "011", age, "F", "Māori", 1000) for age in range(5)])
        for name in ("nmds_events", "population"):
            run_staging_sql(con, name)
        config = default_config()
        measure = Measure("ash_0_4", {**config.measure("ash_0_4").settings, **settings})
        run_measure_sql(con, measure)
        return publish(con, measure, config)
    return run


@pytest.mark.parametrize("case, overrides, counted", CASES, ids=[c[0] for c in CASES])
def test_each_rule(con, ash, case, overrides, counted):
    ash([event(**overrides)])
    n = con.sql("SELECT count(*) FROM marts.ash_0_4_events").fetchall()[0][0]
    assert n == (1 if counted else 0), case


def test_with_every_diagnosis_considered_an_event_counts_once_under_its_first_code(con, ash):
    """diagnosis_position other than principal: other diagnoses count too; an event matching
    several codes is one event, under the condition of the lowest matching code."""
    events = [event(event_id="both", principal_diagnosis="S0600", other_diagnosis_1="J189",
                    other_diagnosis_2="H669"),
              event(event_id="other", principal_diagnosis="S0600", other_diagnosis_1="K5900"),
              event(event_id="none", principal_diagnosis="S0600", other_diagnosis_1="K591")]
    ash(events, diagnosis_position="any")
    found = con.sql("SELECT event_id, condition FROM marts.ash_0_4_events ORDER BY 1").fetchall()
    codes = dict(con.sql("SELECT icd10am_code, condition FROM ref.ash_conditions").fetchall())
    assert found == [("both", codes["H66"]), ("other", codes["K590"])]


def test_all_cases_together_give_the_hand_count(ash):
    events = [event(**overrides) for _, overrides, _ in CASES]
    expected = sum(counted for *_, counted in CASES)
    rows = ash(events)
    total = rows.filter((pl.col("district_code") == "011") & (pl.col("group_id") == "maori"))
    assert total["numerator"].to_list() == [expected]
    assert total["denominator"].to_list() == [5000]          # ages 0..4 × 1000
    assert total["value"].item() == pytest.approx(expected / 5000 * 100_000, rel=1e-12)


def test_rate_and_exact_ci_for_three_events(ash):
    # 3 events in 5,000 children: 60 per 100,000; exact Poisson 95% limits for 3 events are
    # 0.6186721 and 8.7672731 (Garwood's table), i.e. 12.373 and 175.345 per 100,000.
    rows = ash([event(), event(principal_diagnosis="L031"), event(principal_diagnosis="H669")])
    maori = rows.filter((pl.col("district_code") == "011") & (pl.col("group_id") == "maori")).row(0, named=True)
    assert maori["value"] == pytest.approx(60.0)
    assert maori["lower_ci"] == pytest.approx(0.6186721 / 5000 * 100_000, rel=1e-6)
    assert maori["upper_ci"] == pytest.approx(8.7672731 / 5000 * 100_000, rel=1e-6)
    assert maori["method"] == "Exact"
    assert maori["suppressed"] is True          # fewer than 5 events: never published


def test_groups_and_national_rows(ash):
    rows = ash([event(), event(ethnic_code_1="31"), event(ethnic_code_1="11", ethnic_code_2="43")])
    national = {r["group_id"]: r["numerator"] for r in rows.filter(pl.col("district_code") == "000").iter_rows(named=True)}
    # Prioritised ethnicity: 11 (European) + 43 (Indian) → Asian, which is nMnP.
    assert national == {"maori": 1, "pacific": 1, "nmnp": 1, "total": 3, "asian": 1, "european_other": 0}
    assert rows.filter(pl.col("district_code") != "000")["district_code"].n_unique() == 20
    assert "000" in set(rows["district_code"])


def test_events_belong_to_the_discharge_quarter(ash):
    # Admitted in 2023Q4 (outside every loaded window), discharged in 2024Q1 (inside).
    rows = ash([event(admitted=date(2023, 12, 30), los_days=5)])
    assert rows.filter((pl.col("district_code") == "000") & (pl.col("group_id") == "total"))["numerator"].item() == 1


def test_a_blocked_quarter_withholds_its_windows(con, ash):
    rows = ash([event()])
    assert rows["status"].unique().to_list() == ["published"]
    con.execute("UPDATE meta.period_status SET status = 'blocked', "
                "blocking_rules = ['nmds_events.discharge_on_or_after_admission'] WHERE period = '2024Q3'")
    config = default_config()
    run_measure_sql(con, config.measure("ash_0_4"))
    rows = publish(con, config.measure("ash_0_4"), config)
    assert rows["status"].unique().to_list() == ["withheld"]
    assert rows["value"].null_count() == rows.height
    assert "nmds_events.discharge_on_or_after_admission" in rows["status_reason"][0]


def test_rate_ratio_against_nmnp_by_hand(con, ash):
    from pipelines.measures.equity import equity_rows
    from pipelines.measures.tidy_rows import group_sets

    maori = [event() for _ in range(10)]                                  # 10 events / 5,000
    european = [event(ethnic_code_1="11") for _ in range(5)]               # 5 events / 10,000
    # 5 Pacific events: with Pacific suppressed, nMnP would be its complementary suppression.
    pacific = [event(ethnic_code_1="31") for _ in range(5)]
    ash(maori + european + pacific)
    load_population(con, [(2024, "011", age, "F", "Māori", 1000) for age in range(5)]
                    + [(2024, "011", age, "F", "European or Other", 2000) for age in range(5)])
    run_staging_sql(con, "population")
    config = default_config()
    measure = config.measure("ash_0_4")
    run_measure_sql(con, measure)
    cells = group_sets(con, measure)
    rows = publish(con, measure, config, cells)
    eq = equity_rows(cells, rows, measure, "nmnp", 0.95)
    r = eq.filter((pl.col("district_code") == "011") & (pl.col("group_id") == "maori")).row(0, named=True)
    # RR = (10/5000)/(5/10000) = 4; SE(ln RR) = sqrt(1/10 + 1/5); z = 1.959964.
    assert r["rate_ratio"] == pytest.approx(4.0)
    assert r["rr_lower"] == pytest.approx(4 * 0.3418045, rel=1e-6)
    assert r["rr_upper"] == pytest.approx(4 * 2.9256494, rel=1e-6)
    # RD = 200 − 50 per 100,000; SE = sqrt(10/5000² + 5/10000²) × 100,000
    assert r["rate_difference"] == pytest.approx(150.0)
    assert r["rd_lower"] == pytest.approx(150 - 1.959964 * 67.0820393, rel=1e-6)
    assert r["suppressed"] is False
