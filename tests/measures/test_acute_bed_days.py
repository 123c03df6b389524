"""Acute bed days pinned on hand-made stays: each inclusion rule, the bed-day arithmetic, and the
three published statistics (crude, indirectly standardised, WHO-standardised) by hand.

sql/measures/acute_bed_days.sql runs on a real DuckDB file with the measures.yaml definition
(or a copy with one setting changed); nothing comes from the synthetic generator. Expected
numbers are worked out in the comments from statistical-methods.md (§7 DSR, §8 ISRate) and the
quasi-Poisson limits of measures.yaml (interval: quasi_poisson: φ = national Σ bed days² / Σ bed
days, limits φ × the PHE limits on bed days / φ), never read back from the code under test.
"""

from __future__ import annotations

from datetime import date
from math import exp, log, sqrt

import duckdb
import polars as pl
import pytest

from pipelines.measures.equity import equity_rows
from pipelines.measures.measure_config import Measure, default_config
from pipelines.measures.run_sql import run_measure_sql
from pipelines.measures.tidy_rows import group_sets, publish
from pipelines.warehouse import run_staging_sql
from tests.measures.nmds_builder import event, load_nmds, load_population

QUARTERS = ["2024Q1", "2024Q2", "2024Q3", "2024Q4"]      # one window: Jan–Dec 2024, ERP 2024
Z = 1.959963984540054                                   # Φ⁻¹(0.975), statistical-methods §1
VARIANTS = ["acute_bed_days", "acute_bed_days_crude", "acute_bed_days_who"]


def stay(age_years: int = 50, los_days: int = 3, **overrides) -> dict:
    """A counted acute stay unless overridden: adult, AC, inpatient, general medicine, public."""
    return event(age_months=12 * age_years, los_days=los_days,
                 **{"health_specialty": "M00", "principal_diagnosis": "I219", **overrides})


@pytest.fixture
def bed_days(con):
    """Load stays and population, run the measure SQL; returns published rows of one variant."""
    def run(stays, population=None, measure_id="acute_bed_days", **settings):
        load_nmds(con, stays, QUARTERS)
        load_population(con, population or [(2024, "011", 50, "F", "Māori", 1000)])
        for name in ("nmds_events", "population"):
            run_staging_sql(con, name)
        config = default_config()
        base = config.measure(measure_id)
        measure = Measure(measure_id, {**base.settings, **settings})
        run_measure_sql(con, measure)
        return publish(con, measure, config)
    return run


def counted(con) -> dict[str, int]:
    return dict(con.sql("SELECT event_id, bed_days FROM marts.acute_bed_days_events").fetchall())


def row(rows: pl.DataFrame, district: str = "011", group: str = "maori") -> dict:
    return rows.filter((pl.col("district_code") == district) & (pl.col("group_id") == group)).row(0, named=True)


# (case, stay overrides, bed days counted or None when the stay is excluded)
CASES = [
    ("acute inpatient stay: discharge − admission = 3 bed days", dict(), 3),
    ("same-day acute stay is kept with 0 bed days", dict(los_days=0), 0),
    ("acute day case (ID) is kept with 0 bed days", dict(event_type="ID", los_days=0), 0),
    ("ZC, acute ACC-covered (pre-July 2004 code), counts", dict(admission_type="ZC"), 3),
    ("arranged admission AA is not acute", dict(admission_type="AA"), None),
    ("waiting-list admission WN is not acute", dict(admission_type="WN"), None),
    ("private elective AP is not acute", dict(admission_type="AP"), None),
    ("psychiatric return from leave RL is not acute", dict(admission_type="RL"), None),
    ("birth event BT is excluded", dict(event_type="BT"), None),
    ("short-stay ED: M05 discharged after 1 day", dict(health_specialty="M05", los_days=1), None),
    ("short-stay ED: M08 same day", dict(health_specialty="M08", los_days=0), None),
    ("ED specialty after 2 days is not short-stay: counts", dict(health_specialty="M06", los_days=2), 2),
    ("maternity W00 is excluded", dict(health_specialty="W00"), None),
    ("neonatal P60 is excluded", dict(health_specialty="P60"), None),
    ("psychiatry Y00 counts (mental health not excluded)", dict(health_specialty="Y00"), 3),
    ("paediatrics P10 counts", dict(health_specialty="P10", age_years=3), 3),
    ("a specialty missing from the mapping is kept", dict(health_specialty="Q99"), 3),
    ("privately funded (purchaser 20) is excluded", dict(purchaser_code="20"), None),
    ("ACC-funded (A0) counts", dict(purchaser_code="A0"), 3),
    ("Ministry-funded (34) counts", dict(purchaser_code="34"), 3),
    ("transfer in: its own segment of the stay counts", dict(admission_source="T"), 3),
    ("a 400-day stay counts in full (no truncation)",
     dict(admitted=date(2023, 11, 1), los_days=400), 400),                  # discharged 4 Dec 2024
    ("age 95 counts (all ages)", dict(age_years=95), 3),
]


@pytest.mark.parametrize("case, overrides, expected", CASES, ids=[c[0] for c in CASES])
def test_each_inclusion_rule(con, bed_days, case, overrides, expected):
    s = stay(**overrides)
    bed_days([s])
    assert counted(con).get(s["event_id"]) == expected, case


def test_all_cases_together_give_the_hand_total(bed_days):
    stays = [stay(**overrides) for _, overrides, _ in CASES]
    expected = sum(e for *_, e in CASES if e is not None)       # 3+0+0+3+2+3+3+3+3+3+3+400+3 = 429
    assert expected == 429
    r = row(bed_days(stays, measure_id="acute_bed_days_crude"))
    assert r["numerator"] == 429
    assert r["denominator"] == 1000
    assert r["value"] == pytest.approx(429.0)                      # 429 / 1,000 × 1,000


def test_a_stay_belongs_to_its_discharge_quarter_with_all_its_bed_days(con, bed_days):
    # Admitted 20 Dec 2023 (before the window), discharged 9 Jan 2024: 20 bed days, all in 2024Q1.
    s = stay(admitted=date(2023, 12, 20), los_days=20)
    rows = bed_days([s], measure_id="acute_bed_days_crude")
    assert counted(con) == {s["event_id"]: 20}
    assert row(rows)["numerator"] == 20


@pytest.mark.parametrize("settings, overrides, expected", [
    (dict(los_truncation_days=30), dict(los_days=45), 30),            # capped at 30
    (dict(los_truncation_days=30), dict(los_days=10), 10),            # under the cap: unchanged
    (dict(bed_day_rule="same_day_as_one"), dict(los_days=0), 1),
    (dict(bed_day_rule="same_day_as_one"), dict(los_days=3), 3),
    (dict(exclude_same_day=True), dict(los_days=0), None),
    (dict(exclude_ssed=False), dict(health_specialty="M05", los_days=1), 1),
    (dict(exclude_specialty_groups=[]), dict(health_specialty="W00"), 3),
    (dict(exclude_specialty_groups=["maternity", "neonatal", "mental_health"]),
     dict(health_specialty="Y00"), None),
    (dict(publicly_funded_only=False), dict(purchaser_code="20"), 3),
    (dict(admission_types=["AC", "ZC", "AA"]), dict(admission_type="AA"), 3),
], ids=str)
def test_each_setting_changes_what_it_says(con, bed_days, settings, overrides, expected):
    s = stay(**overrides)
    bed_days([s], **settings)
    assert counted(con).get(s["event_id"]) == expected


@pytest.mark.parametrize("settings, message", [
    (dict(bed_day_rule="apportioned"), "unknown bed_day_rule"),
    (dict(period_date="admission_date"), "period_date"),
    (dict(exclude_specialty_groups=["maternaty"]), "not in reference/specialty_groups.csv"),
])
def test_settings_the_sql_does_not_implement_stop_the_run(bed_days, settings, message):
    with pytest.raises(duckdb.Error, match=message):
        bed_days([stay()], **settings)


def test_crude_rate_and_quasi_poisson_limits_by_hand(bed_days):
    # 3 stays × 10 days = 30 bed days among 1,000 people: 30 per 1,000.
    rows = bed_days([stay(los_days=10) for _ in range(3)], measure_id="acute_bed_days_crude")
    r = row(rows)
    assert (r["numerator"], r["denominator"], r["value"]) == (30, 1000, pytest.approx(30.0))
    # (Was Byar on 30 bed days: 20.237–42.828.) National φ = Σ days² / Σ days = 300 / 30 = 10;
    # O/φ = 3 → exact: χ²₀.₀₂₅(6)/2 = 0.618672, χ²₀.₉₇₅(8)/2 = 8.767273; × 10 → 6.1867 – 87.6727.
    assert r["lower_ci"] == pytest.approx(6.186721, abs=1e-6)
    assert r["upper_ci"] == pytest.approx(87.672731, abs=1e-6)
    assert r["method"] == "quasi-Poisson (national dispersion φ = 10.0), Exact on O/φ"
    # 3 stays (< 5) are suppressed although they make 30 bed days.
    assert r["suppressed"] is True and r["suppression_reason"] == "fewer than 5 stays"


# Two districts, two strata (0–4 F and 85+ F), for the standardised statistics:
#   district 011: 0–4 F: 600 people, 40 bed days (4 stays × 10)  85+ F: 200 people, 300 bed days (10 × 30)
#   district 021: 0–4 F: 400 people, 60 bed days (6 × 10)        85+ F: 800 people, 600 bed days (20 × 30)
def two_strata_stays():
    def at(district, age, los, n):
        return [stay(age_years=age, los_days=los, dhb_of_domicile=district, domicile_code="1" + district)
                for _ in range(n)]
    return at("011", 2, 10, 4) + at("011", 86, 30, 10) + at("021", 2, 10, 6) + at("021", 86, 30, 20)


TWO_STRATA_POPULATION = (
    [(2024, "011", a, "F", "Māori", 120) for a in range(5)] + [(2024, "011", 86, "F", "Māori", 200)]
    + [(2024, "021", a, "F", "Māori", 80) for a in range(5)] + [(2024, "021", 86, "F", "Māori", 800)]
)


def test_indirectly_standardised_rate_by_hand(bed_days):
    rows = bed_days(two_strata_stays(), TWO_STRATA_POPULATION)
    # National stratum rates: 0–4 F (40+60)/(600+400) = 0.1; 85+ F (300+600)/(200+800) = 0.9.
    # National crude rate: 1,000 / 2,000 × 1,000 = 500 per 1,000.
    # 011: O = 340, E = 0.1·600 + 0.9·200 = 240 → 340/240 × 500 = 708.333 (crude: 340/800 → 425)
    # 021: O = 660, E = 0.1·400 + 0.9·800 = 760 → 660/760 × 500 = 434.211 (crude: 660/1200 → 550)
    r = row(rows, "011")
    assert r["numerator"] == 340 and r["denominator"] == 800
    assert r["value"] == pytest.approx(708.3333333, rel=1e-9)
    # (Was Byar on O = 340: 635.03 lower.) National Σ days² = 4·10² + 10·30² + 6·10² + 20·30² =
    # 28,000 over 1,000 bed days: φ = 28. O/φ = 12.142857 → Byar: 6.295920, 21.144754;
    # × 28 / 240 × 500 → 367.2620 – 1,233.4440.
    o = 340 / 28
    lo = o * (1 - 1 / (9 * o) - Z / (3 * sqrt(o))) ** 3
    hi = (o + 1) * (1 - 1 / (9 * (o + 1)) + Z / (3 * sqrt(o + 1))) ** 3
    assert r["lower_ci"] == pytest.approx(28 * lo / 240 * 500, rel=1e-9)
    assert r["upper_ci"] == pytest.approx(28 * hi / 240 * 500, rel=1e-9)
    assert r["lower_ci"] == pytest.approx(367.2620, abs=1e-4)
    assert r["upper_ci"] == pytest.approx(1233.4440, abs=1e-4)
    assert r["method"] == "quasi-Poisson (national dispersion φ = 28.0), Byars on O/φ"
    assert row(rows, "021")["value"] == pytest.approx(434.2105263, rel=1e-9)
    # New Zealand: O = E = 1,000, so the standardised rate is the national crude rate.
    assert row(rows, "000", "total")["value"] == pytest.approx(500.0, rel=1e-12)


def test_directly_standardised_rate_by_hand(bed_days):
    rows = bed_days(two_strata_stays(), TWO_STRATA_POPULATION, measure_id="acute_bed_days_who")
    # WHO 2000–2025 weights: 0–4 8.86, 85+ 0.63. Bands with no people and no bed days keep their
    # weight, so Σw is the whole standard with 85+ collapsed: 0–4 … 80–84 = 99.40, + 0.63 = 100.03.
    # 011: DSR = (40/600·8.86 + 300/200·0.63) / 100.03 × 1,000 = 1.5356667/100.03 × 1,000 = 15.35206
    w = 100.03
    dsr = (40 / 600 * 8.86 + 300 / 200 * 0.63) / w
    r = row(rows, "011")
    assert r["numerator"] == 340 and r["denominator"] == 800
    assert r["value"] == pytest.approx(15.35206, abs=1e-5)
    assert r["value"] == pytest.approx(dsr * 1000, rel=1e-12)
    # (Was Dobson on O = 340.) φ = 28,000 / 1,000 = 28 (every age known): Dobson on the counts
    # / 28, × 28 = DSR + √(var/O)·(28·Byar(340/28) − 340), var = Σ xᵢ(wᵢ/nᵢ)²/Σw² on the bed days;
    # Byar(12.142857) = 6.295920, 21.144754 → 5.75165 – 30.13277 per 1,000.
    var = (40 * (8.86 / 600) ** 2 + 300 * (0.63 / 200) ** 2) / w ** 2
    o = 340 / 28
    lo = o * (1 - 1 / (9 * o) - Z / (3 * sqrt(o))) ** 3
    hi = (o + 1) * (1 - 1 / (9 * (o + 1)) + Z / (3 * sqrt(o + 1))) ** 3
    assert r["lower_ci"] == pytest.approx((dsr + sqrt(var / 340) * (28 * lo - 340)) * 1000, rel=1e-9)
    assert r["upper_ci"] == pytest.approx((dsr + sqrt(var / 340) * (28 * hi - 340)) * 1000, rel=1e-9)
    assert (r["lower_ci"], r["upper_ci"]) == (pytest.approx(5.75165, abs=1e-5), pytest.approx(30.13277, abs=1e-5))
    assert r["method"] == "quasi-Poisson (national dispersion φ = 28.0), Dobson on O/φ"


def test_unknown_sex_counts_in_crude_and_who_but_not_the_indirect_rate(bed_days, con):
    stays = [stay(los_days=10), stay(los_days=4, sex="U")]
    population = [(2024, "011", 50, s, "Māori", 500) for s in "MF"]
    crude = row(bed_days(stays, population, measure_id="acute_bed_days_crude"))
    who = row(bed_days(stays, population, measure_id="acute_bed_days_who"))
    indirect = row(bed_days(stays, population))
    assert (crude["numerator"], who["numerator"], indirect["numerator"]) == (14, 14, 10)
    assert crude["denominator"] == who["denominator"] == indirect["denominator"] == 1000


def test_each_stay_falls_in_the_band_of_its_age(bed_days, con):
    """Standardisation bands at their edges: whole years, the open 85+ band, no age → unknown."""
    ages = {"a4": 4, "a5": 5, "a84": 84, "a85": 85, "a107": 107}
    stays = [stay(age_years=a, event_id=e) for e, a in ages.items()]
    stays.append(stay(event_id="none", date_of_birth=None))
    bed_days(stays)
    bands = dict(con.sql("SELECT event_id, age_band FROM marts.acute_bed_days_events").fetchall())
    assert bands == {"a4": "0-4", "a5": "5-9", "a84": "80-84", "a85": "85+", "a107": "85+",
                     "none": "unknown"}


def test_isr_ratio_against_nmnp_by_hand(con, bed_days):
    # One district, strata 0–4 F and 85+ F.
    #   Māori:    0–4: 500 people, 50 bed days (5 × 10)   85+: 100 people, 150 (5 × 30)
    #   European: 0–4: 500 people, 20 bed days (2 × 10)   85+: 300 people, 270 (9 × 30)
    # National rates 70/1000 = 0.07 and 420/400 = 1.05; national crude 490/1400 → 350 per 1,000.
    # Māori O = 200, E = 0.07·500 + 1.05·100 = 140;  European (= nMnP) O = 290, E = 35 + 315 = 350.
    stays = ([stay(age_years=2, los_days=10) for _ in range(5)] + [stay(age_years=86, los_days=30) for _ in range(5)]
             + [stay(age_years=2, los_days=10, ethnic_code_1="11") for _ in range(2)]
             + [stay(age_years=86, los_days=30, ethnic_code_1="11") for _ in range(9)])
    population = ([(2024, "011", a, "F", "Māori", 100) for a in range(5)] + [(2024, "011", 86, "F", "Māori", 100)]
                  + [(2024, "011", a, "F", "European or Other", 100) for a in range(5)]
                  + [(2024, "011", 86, "F", "European or Other", 300)])
    bed_days(stays, population)
    config = default_config()
    measure = config.measure("acute_bed_days")
    cells = group_sets(con, measure)
    rows = publish(con, measure, config, cells)
    assert row(rows)["value"] == pytest.approx(200 / 140 * 350)           # 500 per 1,000
    assert row(rows, group="nmnp")["value"] == pytest.approx(290 / 350 * 350)   # 290 per 1,000
    eq = equity_rows(cells, rows, measure, "nmnp", 0.95)
    r = eq.filter((pl.col("district_code") == "011") & (pl.col("group_id") == "maori")).row(0, named=True)
    ratio = (200 / 140) / (290 / 350)                                         # 1.724138
    # (Was Wald with √(1/200 + 1/290).) Quasi-Poisson, E fixed: national Σ days² = 5·10² + 5·30²
    # + 2·10² + 9·30² = 13,300 over 490 bed days, φ = 27.142857; SE(ln) = √(φ/200 + φ/290).
    phi = 13300 / 490
    se = sqrt(phi / 200 + phi / 290)                                        # 0.478864
    assert r["rate_ratio"] == pytest.approx(1.7241379, rel=1e-7)
    assert r["rr_lower"] == pytest.approx(exp(log(ratio) - Z * se), rel=1e-9)
    assert r["rr_upper"] == pytest.approx(exp(log(ratio) + Z * se), rel=1e-9)
    assert (r["rr_lower"], r["rr_upper"]) == (pytest.approx(0.674470, abs=1e-6), pytest.approx(4.407390, abs=1e-6))
    # Difference 500 − 290 = 210 per 1,000; SE = 350·√(φ·(200/140² + 290/350²)) = 204.4505
    se_d = 350 * sqrt(phi * (200 / 140 ** 2 + 290 / 350 ** 2))
    assert r["rate_difference"] == pytest.approx(210.0)
    assert r["rd_lower"] == pytest.approx(210 - Z * se_d, rel=1e-9)
    assert r["rd_upper"] == pytest.approx(610.7156, abs=1e-4)
    assert r["method"] == ("quasi-Poisson (national dispersion φ = 27.14), ratio of indirectly "
                           "standardised rates, Wald on log scale (E fixed) on O/φ")
    # Published hidden, computed all the same: Pacific has no stays (primary suppression), and
    # Māori, the smaller part of Total = Māori + Pacific + nMnP, is its complementary cell.
    assert r["suppressed"] is True
    assert row(rows)["suppression_reason"].startswith("complementary suppression")


def test_the_three_variants_share_one_definition():
    config = default_config()
    headline = config.measure("acute_bed_days").sql_variables()
    for variant in VARIANTS[1:]:
        settings = config.measure(variant).sql_variables()
        assert {k: v for k, v in settings.items() if k != "statistic"} == \
               {k: v for k, v in headline.items() if k != "statistic"}
        assert config.measure(variant).sql_file.resolve() == config.measure("acute_bed_days").sql_file.resolve()
    assert [config.measure(m).statistic for m in VARIANTS] == ["indirect_age_sex", "crude_rate", "direct_who"]


def test_each_variant_publishes_its_own_rows_with_unique_keys(con, bed_days):
    published = []
    for measure_id in VARIANTS:
        rows = bed_days(two_strata_stays(), TWO_STRATA_POPULATION, measure_id=measure_id)
        assert rows["measure_id"].unique().to_list() == [measure_id]
        published.append(rows)
    everything = pl.concat(published)
    keys = ["district_code", "measure_id", "period_end", "group_id", "breakdown"]
    assert everything.select(keys).is_duplicated().sum() == 0
    # φ = 28,000 / 1,000 = 28 for all three (every stay is of known age and sex).
    assert set(everything["method"].drop_nulls()) >= {
        f"quasi-Poisson (national dispersion φ = 28.0), {m} on O/φ" for m in ("Byars", "Dobson")}


def test_no_population_year_gives_no_value_not_an_error(con, bed_days):
    rows = bed_days([stay()], [(2023, "011", 50, "F", "Māori", 1000)])   # ERP 2024 not loaded
    r = row(rows)
    assert r["value"] is None and r["method"] == "no denominator"
