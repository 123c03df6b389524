"""Youth self-harm hospitalisations (10–24) pinned on hand-made NMDS events: each case says why
it is or is not counted. Built like test_ash_0_4_rules.py, on tests/measures/nmds_builder.py."""

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
POPULATION = [(2024, "011", age, "F", "Māori", 1000) for age in range(10, 25)]   # 15,000 aged 10–24
OUTSIDE_AGES = [(2024, "011", age, "F", "Māori", 5000) for age in (9, 25)]        # must not count


def harm(age_years: int = 16, **overrides) -> dict:
    """A counted self-harm event unless overridden: intentional poisoning X61, acute, public."""
    row = dict(age_months=age_years * 12 + 6, principal_diagnosis="T391", external_cause_code="X61",
               health_specialty="M00")
    row.update(overrides)
    return event(**row)


# (case, event overrides, counted?)
CASES = [
    ("X61 intentional self-poisoning", dict(), True),
    ("X60 is the first code of the range", dict(external_cause_code="X60"), True),
    ("X84 is the last code of the range", dict(external_cause_code="X84"), True),
    ("a 4-character code under X78 matches its prefix", dict(external_cause_code="X780"), True),
    ("Y87.0 sequelae of self-harm", dict(external_cause_code="Y870"), True),
    ("Y87.1 (sequelae of assault) is not Y87.0", dict(external_cause_code="Y871"), False),
    ("X59 accidental exposure is not self-harm", dict(external_cause_code="X59"), False),
    ("X85 assault is not self-harm", dict(external_cause_code="X85"), False),
    ("no external cause code", dict(external_cause_code=None), False),
    ("self-harm code only as a diagnosis does not count", dict(external_cause_code=None, principal_diagnosis="X61"), False),
    ("age 9 years 11 months does not count", dict(age_months=9 * 12 + 11), False),
    ("age 10 exactly counts", dict(age_months=10 * 12), True),
    ("age 24 years 11 months counts", dict(age_months=24 * 12 + 11), True),
    ("age 25 does not", dict(age_months=25 * 12), False),
    ("short-stay ED event counts (the youth SLM names them)", dict(health_specialty="M05", los_days=0), True),
    ("day case counts", dict(event_type="ID", los_days=0), True),
    ("birth event does not", dict(event_type="BT"), False),
    ("transfer in does not (one count per stay)", dict(admission_source="T"), False),
    ("privately funded does not", dict(purchaser_code="20"), False),
    ("ACC-funded counts", dict(purchaser_code="A0"), True),
    ("a non-injury principal diagnosis still counts by default", dict(principal_diagnosis="F329"), True),
]


@pytest.fixture
def self_harm(con):
    config = default_config()

    def run(events, **overrides):
        load_nmds(con, events, QUARTERS)
        load_population(con, POPULATION + OUTSIDE_AGES)
        for name in ("nmds_events", "population"):
            run_staging_sql(con, name)
        base = config.measure("youth_self_harm")
        measure = Measure("youth_self_harm", {**base.settings, **overrides})
        run_measure_sql(con, measure)
        return publish(con, measure, config)

    return run


def maori_011(rows):
    sel = rows.filter((pl.col("district_code") == "011") & (pl.col("group_id") == "maori"))
    assert sel.height == 1
    return sel.row(0, named=True)


@pytest.mark.parametrize("case, overrides, counted", CASES, ids=[c[0] for c in CASES])
def test_each_rule(con, self_harm, case, overrides, counted):
    self_harm([harm(**overrides)])
    n = con.sql("SELECT count(*) FROM marts.youth_self_harm_events").fetchall()[0][0]
    assert n == (1 if counted else 0), case


def test_all_cases_together_give_the_hand_count(self_harm):
    # Counted: X61, X60, X84, X780, Y870, age 10, age 24y11m, SSED, day case, ACC, F32.9 = 11
    assert sum(counted for *_, counted in CASES) == 11
    r = maori_011(self_harm([harm(**o) for _, o, _ in CASES]))
    assert (r["numerator"], r["denominator"]) == (11, 15_000)  # ages 9 and 25 not in the denominator
    assert r["value"] == pytest.approx(11 / 15_000 * 100_000)


def test_rate_and_byar_limits_for_twelve_events(self_harm):
    # 12 events / 15,000 = 80 per 100,000. Byar (O ≥ 10), z = 1.959964:
    #   lower = 12·(1 − 1/108 − z/(3√12))³ = 12·0.802144³ = 6.193510
    #   upper = 13·(1 − 1/117 + z/(3√13))³ = 13·1.172652³ = 20.962858
    r = maori_011(self_harm([harm() for _ in range(12)]))
    assert r["value"] == pytest.approx(80.0)
    assert r["lower_ci"] == pytest.approx(6.193510 / 15_000 * 100_000, rel=1e-6)
    assert r["upper_ci"] == pytest.approx(20.962858 / 15_000 * 100_000, rel=1e-6)
    assert r["method"] == "Byars"
    assert r["suppressed"] is False


def test_injury_principal_rule_when_switched_on(con, self_harm):
    events = [harm(), harm(principal_diagnosis="S518"), harm(principal_diagnosis="F329")]
    r = maori_011(self_harm(events, principal_diagnosis_prefixes=["S", "T"]))
    assert r["numerator"] == 2                                   # F32.9 has no injury diagnosis


def test_ssed_exclusion_when_switched_on(self_harm):
    events = [harm(), harm(health_specialty="M05", los_days=1), harm(health_specialty="M05", los_days=2)]
    assert maori_011(self_harm(events, exclude_ssed=True))["numerator"] == 2   # LOS 2 is not short-stay


def test_events_belong_to_the_discharge_quarter_and_domicile(self_harm):
    rows = self_harm([harm(admitted=date(2023, 12, 30), los_days=5),          # discharged 2024Q1
                      harm(dhb_of_domicile="021", dhb_of_service="011")])
    assert maori_011(rows)["numerator"] == 1
    waitemata = rows.filter((pl.col("district_code") == "021") & (pl.col("group_id") == "maori"))
    assert waitemata["numerator"].item() == 1
    assert waitemata["value"].item() is None                     # no population row for 021
