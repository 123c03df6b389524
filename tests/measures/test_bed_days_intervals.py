"""Compound Poisson limits and stay-based suppression for acute bed days (measures.yaml
interval: compound_poisson, suppression_count: sum_stays), pinned on hand-worked cases.

Var(Σ bed days) = Σ bed days² over the stays; limits value ∓ z·se, the lower clipped at 0. Every
expected number is worked out in the comments from that formula, not read back from the code.
"""

from __future__ import annotations

import datetime as dt
from math import exp, log, sqrt

import polars as pl
import pytest

from pipelines.config import SQL_DIR
from pipelines.measures.definitions import Measure, default_config
from pipelines.measures.publish import publish, suppression_rule
from pipelines.measures.run_sql import run_measure_sql
from pipelines.measures.statistics import _compound
from pipelines.warehouse import run_sql_file
from tests.measures.nmds_builder import load_nmds, load_population
from tests.measures.test_acute_bed_days import QUARTERS, Z, row, stay

METHOD = "compound Poisson (normal approximation)"
Z90 = 1.6448536269514722                               # Φ⁻¹(0.95), for a 90% interval


@pytest.fixture
def published(con):
    """Load stays (population 1,000 Māori women aged 50 in district 011 unless given), run the
    bed-days SQL; returns publish()'s rows for one variant."""
    def run(stays, measure_id="acute_bed_days_crude", population=None, **settings):
        load_nmds(con, stays, QUARTERS)
        load_population(con, population or [(2024, "011", 50, "F", "Māori", 1000)])
        for name in ("nmds_events", "population"):
            run_sql_file(con, SQL_DIR / "staging" / f"{name}.sql")
        config = default_config()
        measure = Measure(measure_id, {**config.measure(measure_id).settings, **settings})
        run_measure_sql(con, measure)
        return publish(con, measure, config)
    return run


def cells(rows: list[tuple]) -> pl.DataFrame:
    """One window, one district; rows (group, stratum, bed days, population, stays, Σ days²)."""
    n = len(rows)
    return pl.DataFrame({
        "period_start": [dt.date(2024, 1, 1)] * n, "period_end": [dt.date(2024, 12, 31)] * n,
        "district_code": ["011"] * n, "group_id": [r[0] for r in rows], "breakdown": [""] * n,
        "stratum": [r[1] for r in rows], "numerator": [r[2] for r in rows],
        "denominator": [r[3] for r in rows], "withheld": [False] * n,
        "blocking_rules": [[] for _ in range(n)],
        "sum_stays": [r[4] for r in rows], "sum_bed_days_sq": [r[5] for r in rows],
    })


def measure(measure_id: str, **settings) -> Measure:
    base = default_config().measure(measure_id)
    return Measure(measure_id, {**base.settings, **settings})


def test_the_cells_carry_stays_and_squared_bed_days(con, published):
    published([stay(los_days=4), stay(los_days=8), stay(los_days=0)])
    # 3 stays; 4 + 8 + 0 = 12 bed days; 4² + 8² + 0² = 80
    total = con.sql("SELECT sum(numerator), sum(sum_stays), sum(sum_bed_days_sq) "
                    "FROM marts.acute_bed_days_cells").fetchall()
    assert total == [(12, 3, 80)]


@pytest.mark.parametrize("measure_id", ["acute_bed_days_crude", "acute_bed_days"])
def test_two_stays_by_hand(published, measure_id):
    # Stays of 4 and 8 days among 100 people: O = 12, Σ days² = 16 + 64 = 80.
    # Crude: 12 / 100 × 1,000 = 120. Indirect: the only population is the nation's, so E = O and
    # the rate is the national 120; E is fixed, so se is the same: 120 · √80 / 12 = 10√80 = 89.4427.
    # Lower 120 − 1.959964 × 89.4427 = −55.3 → 0; upper 120 + 175.3045 = 295.3045.
    rows = published([stay(los_days=4), stay(los_days=8)], measure_id,
                     population=[(2024, "011", 50, "F", "Māori", 100)])
    r = row(rows)
    assert (r["numerator"], r["denominator"]) == (12, 100)
    assert r["value"] == pytest.approx(120.0, rel=1e-12)
    assert r["lower_ci"] == 0.0
    assert r["upper_ci"] == pytest.approx(120 + Z * 10 * sqrt(80), rel=1e-12)
    assert r["upper_ci"] == pytest.approx(295.3045, abs=1e-3)
    assert r["method"] == METHOD


def test_two_stays_at_90_percent():
    # The same two stays, z = Φ⁻¹(0.95) = 1.644854: 120 + 1.644854 × 89.4427 = 267.1202. Two stays
    # always clip the lower limit at 90% or more: se/value = √(d₁² + d₂²)/(d₁ + d₂) ≥ 1/√2.
    rows = _compound.compute(cells([("maori", "50-54|F", 12, 100, 2, 80)]),
                             measure("acute_bed_days_crude"), 0.90)
    r = rows.row(0, named=True)
    assert r["lower_ci"] == 0.0
    assert r["upper_ci"] == pytest.approx(120 + Z90 * 10 * sqrt(80), rel=1e-12)
    assert r["upper_ci"] == pytest.approx(267.1202, abs=1e-3)


# Three age bands for the WHO DSR (weights 0–4 8.86, 40–44 6.59, 85+ 0.63; Σw = 16.08):
#   0–4 F     1,000 people  3 stays × 2 days           x = 6,  Σd² = 12
#   40–44 F   2,000 people  stays of 1, 2, 3, 4, 10    x = 20, Σd² = 1 + 4 + 9 + 16 + 100 = 130
#   40–44 sex unknown (no population): one 5-day stay  x = 5,  Σd² = 25  → band 40–44: 25, 155
#   85+ F       500 people  4 × 10 days + 1 × 20       x = 60, Σd² = 400 + 400 = 800
#   age unknown: one 7-day stay (x 7, Σd² 49) — not standardisable, in neither sum
THREE_BANDS = [
    ("maori", "0-4|F", 6, 1000, 3, 12),
    ("maori", "40-44|F", 20, 2000, 5, 130),
    ("maori", "40-44|unknown", 5, 0, 1, 25),
    ("maori", "85+|F", 60, 500, 5, 800),
    ("maori", "unknown|F", 7, 0, 1, 49),
]
W = 8.86 + 6.59 + 0.63
DSR = (6 / 1000 * 8.86 + 25 / 2000 * 6.59 + 60 / 500 * 0.63) / W            # 0.211135 / 16.08
VAR = (12 * (8.86 / 1000) ** 2 + 155 * (6.59 / 2000) ** 2 + 800 * (0.63 / 500) ** 2) / W ** 2


def test_three_band_dsr_by_hand():
    r = _compound.compute(cells(THREE_BANDS), measure("acute_bed_days_who"), 0.95).row(0, named=True)
    assert r["numerator"] == 91                             # 6 + 25 + 60
    assert r["sum_stays"] == 14                             # 3 + 6 + 5: the unknown age is out
    assert r["value"] == pytest.approx(DSR * 1000, rel=1e-12)
    assert r["value"] == pytest.approx(13.1303, abs=1e-4)
    # var = (9.41995e-4 + 1.68286e-3 + 1.27008e-3) / 16.08² = 1.50636e-5; se = 3.88119 per 1,000
    assert r["lower_ci"] == pytest.approx((DSR - Z * sqrt(VAR)) * 1000, rel=1e-9)
    assert r["upper_ci"] == pytest.approx((DSR + Z * sqrt(VAR)) * 1000, rel=1e-9)
    assert (r["lower_ci"], r["upper_ci"]) == (pytest.approx(5.5233, abs=1e-3), pytest.approx(20.7373, abs=1e-3))
    assert r["method"] == METHOD


def test_three_band_dsr_over_the_whole_standard():
    # renormalise_weights: false divides by the whole WHO standard (100.03): value, se and both
    # limits scale by 16.08 / 100.03.
    r = _compound.compute(cells(THREE_BANDS), measure("acute_bed_days_who", renormalise_weights=False),
                          0.95).row(0, named=True)
    factor = W / 100.03
    assert r["value"] == pytest.approx(DSR * 1000 * factor, rel=1e-12)
    assert r["lower_ci"] == pytest.approx((DSR - Z * sqrt(VAR)) * 1000 * factor, rel=1e-9)
    assert r["upper_ci"] == pytest.approx((DSR + Z * sqrt(VAR)) * 1000 * factor, rel=1e-9)


def test_only_same_day_stays_keep_the_exact_poisson_limits(published):
    # 5 same-day stays: 0 bed days, Σd² = 0 → se 0 would be a zero-width interval. The crude
    # rate's own exact limits stay: 0 and 3.6889 bed days (χ²₀.₉₇₅(2)/2) per 1,000 people.
    r = row(published([stay(los_days=0) for _ in range(5)]))
    assert (r["value"], r["lower_ci"]) == (0.0, 0.0)
    assert r["upper_ci"] == pytest.approx(3.6889, abs=1e-4)
    assert r["method"] == "Exact"
    assert r["suppressed"] is False                         # 5 stays, though 0 bed days


@pytest.mark.parametrize("measure_id, stays, reason", [
    ("acute_bed_days_crude", 4, "fewer than 5 stays"),        # 4 × 10 = 40 bed days, 4 stays
    ("acute_bed_days", 4, "fewer than 5 stays"),
    ("acute_bed_days_who", 9, "fewer than 10 stays"),         # the DSR threshold, counted in stays
    ("acute_bed_days_crude", 5, None),
    ("acute_bed_days_who", 10, None),
])
def test_suppression_counts_stays_not_bed_days(published, measure_id, stays, reason):
    r = row(published([stay(los_days=10) for _ in range(stays)], measure_id))
    assert r["numerator"] == 10 * stays
    assert r["suppressed"] is (reason is not None)
    assert r["suppression_reason"] == reason


def test_other_measures_still_suppress_on_events():
    config = default_config()
    assert suppression_rule(config.measure("ash_0_4"), config) == ("numerator", 5, "events")
    assert suppression_rule(config.measure("amenable_mortality"), config) == ("numerator", 10, "events")
    assert suppression_rule(config.measure("acute_bed_days"), config) == ("sum_stays", 5, "stays")


def test_equity_ratio_and_difference_by_hand():
    # Crude, per 1,000:
    #   Māori    60 bed days (6 stays × 10), 1,000 people: v₁ = 60, se₁ = 60·√600/60 = √600 = 24.495
    #   nMnP     40 bed days (8 stays × 5),  2,000 people: v₀ = 20, se₀ = 20·√200/40 = 7.0711
    #   Pacific  0 bed days (3 same-day stays), 500 people: rate 0, no se
    # Ratio 3, se_log = √((√600/60)² + (7.0711/20)²) = √(0.166667 + 0.125) = 0.540062
    #   → 3·exp(∓1.959964 × 0.540062) = 3·exp(∓1.058502) = 1.0409 and 8.6461
    # Difference 40, se = √(600 + 50) = 25.495 → 40 ∓ 49.969 = −9.969 and 89.969
    data = cells([("maori", "", 60, 1000, 6, 600), ("nmnp", "", 40, 2000, 8, 200),
                  ("pacific", "", 0, 500, 3, 0)])
    out = _compound.compare(data, measure("acute_bed_days_crude"), "nmnp", 0.95)
    r = out.filter(pl.col("group_id") == "maori").row(0, named=True)
    se_log = sqrt(600 / 60 ** 2 + 200 / 40 ** 2)
    assert r["ratio"] == pytest.approx(3.0, rel=1e-12)
    assert r["ratio_lowercl"] == pytest.approx(exp(log(3) - Z * se_log), rel=1e-12)
    assert r["ratio_uppercl"] == pytest.approx(exp(log(3) + Z * se_log), rel=1e-12)
    assert (r["ratio_lowercl"], r["ratio_uppercl"]) == (pytest.approx(1.0409, abs=1e-4),
                                                        pytest.approx(8.6461, abs=1e-4))
    assert r["difference"] == pytest.approx(40.0, rel=1e-12)
    assert r["difference_lowercl"] == pytest.approx(40 - Z * sqrt(650), rel=1e-12)
    assert r["difference_uppercl"] == pytest.approx(89.969, abs=1e-3)
    assert r["method"] == METHOD
    # A zero rate has a ratio of 0 but no log-scale limits, and no se for the difference.
    p = out.filter(pl.col("group_id") == "pacific").row(0, named=True)
    assert p["ratio"] == 0.0 and p["ratio_lowercl"] is None and p["difference_lowercl"] is None
    assert p["difference"] == pytest.approx(-20.0)
