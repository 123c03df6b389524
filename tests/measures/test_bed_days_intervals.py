"""Quasi-Poisson limits and stay-based suppression for acute bed days (measures.yaml
interval: quasi_poisson, suppression_count: sum_stays), pinned on hand-worked cases.

φ = max(1, Σ days² / Σ days) over New Zealand's (district 000, group total) counted stays of the
window; limits = φ × the statistic's PHE limits on counts / φ. Every expected number is worked
out in the comments from those formulas (exact: χ²-quantiles/2; Byar: O(1 − 1/9O ∓ z/3√O)³;
Dobson), not read back from the code.
"""

from __future__ import annotations

import datetime as dt
from math import exp, log, sqrt

import polars as pl
import pytest

from pipelines.measures.cell_statistics import _overdispersed
from pipelines.measures.measure_config import Measure, default_config
from pipelines.measures.run_sql import run_measure_sql
from pipelines.measures.tidy_rows import publish, suppression_rule
from pipelines.warehouse import run_staging_sql
from tests.measures.nmds_builder import load_nmds, load_population
from tests.measures.test_acute_bed_days import QUARTERS, Z, row, stay


def label(phi: str, method: str) -> str:
    return f"quasi-Poisson (national dispersion φ = {phi}), {method} on O/φ"


def byar(o: float) -> tuple[float, float]:
    """Byar's 95% limits, written out here so the tests do not lean on pipelines.stats."""
    return (o * (1 - 1 / (9 * o) - Z / (3 * sqrt(o))) ** 3,
            (o + 1) * (1 - 1 / (9 * (o + 1)) + Z / (3 * sqrt(o + 1))) ** 3)


@pytest.fixture
def published(con):
    """Load stays (population 1,000 Māori women aged 50 in district 011 unless given), run the
    bed-days SQL; returns publish()'s rows for one variant."""
    def run(stays, measure_id="acute_bed_days_crude", population=None, **settings):
        load_nmds(con, stays, QUARTERS)
        load_population(con, population or [(2024, "011", 50, "F", "Māori", 1000)])
        for name in ("nmds_events", "population"):
            run_staging_sql(con, name)
        config = default_config()
        measure = Measure(measure_id, {**config.measure(measure_id).settings, **settings})
        run_measure_sql(con, measure)
        return publish(con, measure, config)
    return run


def cells(rows: list[tuple], year: int = 2024) -> pl.DataFrame:
    """One window; rows (district, group, stratum, bed days, population, stays, Σ days²)."""
    n = len(rows)
    return pl.DataFrame({
        "period_start": [dt.date(year, 1, 1)] * n, "period_end": [dt.date(year, 12, 31)] * n,
        "district_code": [r[0] for r in rows], "group_id": [r[1] for r in rows], "breakdown": [""] * n,
        "stratum": [r[2] for r in rows], "numerator": [r[3] for r in rows],
        "denominator": [r[4] for r in rows], "withheld": [False] * n,
        "blocking_rules": [[] for _ in range(n)],
        "sum_stays": [r[5] for r in rows], "sum_bed_days_sq": [r[6] for r in rows],
    })


def measure(measure_id: str, **settings) -> Measure:
    base = default_config().measure(measure_id)
    return Measure(measure_id, {**base.settings, **settings})


def by_group(rows: pl.DataFrame, district: str, group: str) -> dict:
    return rows.filter((pl.col("district_code") == district) & (pl.col("group_id") == group)).row(0, named=True)


def test_the_cells_carry_stays_and_squared_bed_days(con, published):
    published([stay(los_days=4), stay(los_days=8), stay(los_days=0)])
    # 3 stays; 4 + 8 + 0 = 12 bed days; 4² + 8² + 0² = 80
    total = con.sql("SELECT sum(numerator), sum(sum_stays), sum(sum_bed_days_sq) "
                    "FROM marts.acute_bed_days_cells").fetchall()
    assert total == [(12, 3, 80)]


def test_dispersion_is_national_squares_over_days_of_the_counted_stays():
    # New Zealand total: 50–54 F 120 bed days, Σd² 960; age unknown (no population) 10, Σd² 100.
    # Rows of other districts or groups (Māori 011, Māori 000) do not enter φ.
    #   crude counts every stratum:            φ = (960 + 100) / (120 + 10) = 8.153846
    #   indirect (strata with a national rate) and WHO (known age): φ = 960 / 120 = 8
    data = cells([("011", "maori", "50-54|F", 12, 100, 2, 80),
                  ("000", "maori", "50-54|F", 12, 100, 2, 8000),
                  ("000", "total", "50-54|F", 120, 2000, 20, 960),
                  ("000", "total", "unknown|F", 10, 0, 1, 100)])
    phi = {m: _overdispersed.dispersion(data, measure(m))["phi"].to_list()
           for m in ("acute_bed_days_crude", "acute_bed_days", "acute_bed_days_who")}
    assert phi["acute_bed_days_crude"] == [pytest.approx(1060 / 130, rel=1e-12)]
    assert phi["acute_bed_days"] == [pytest.approx(8.0, rel=1e-12)]
    assert phi["acute_bed_days_who"] == [pytest.approx(8.0, rel=1e-12)]


def test_dispersion_is_per_window_and_at_least_one():
    # 2023: no bed days nationally (same-day stays only) → 1. 2024: Σd² 5 < Σd 10 (not possible
    # for whole days, d² ≥ d, but the floor holds) → 1. 2025: 90 / 10 = 9.
    data = pl.concat([cells([("000", "total", "", 0, 100, 5, 0)], 2023),
                      cells([("000", "total", "", 10, 100, 5, 5)], 2024),
                      cells([("000", "total", "", 10, 100, 5, 90)], 2025)])
    phi = _overdispersed.dispersion(data, measure("acute_bed_days_crude")).sort("period_end")
    assert phi["phi"].to_list() == [1.0, 1.0, 9.0]


def test_crude_limits_by_hand():
    # φ = 960 / 120 = 8 (New Zealand total).
    # Māori 011: O = 12, 100 people. O/φ = 1.5 < 10 → exact on 1.5 (χ² with 3 and 5 df):
    #   χ²₀.₀₂₅(3)/2 = 0.107898, χ²₀.₉₇₅(5)/2 = 6.416251; × φ = 0.863181, 51.330008 bed days;
    #   / 100 × 1,000 → 8.631811 – 513.300080 per 1,000 (value 120).
    # New Zealand: O = 120, 2,000 people. O/φ = 15 → Byar on 15: 8.389264, 24.741631;
    #   × 8 / 2,000 × 1,000 → 33.557056 – 98.966525 (value 60).
    data = cells([("011", "maori", "50-54|F", 12, 100, 2, 80),
                  ("000", "total", "50-54|F", 120, 2000, 20, 960)])
    out = _overdispersed.compute(data, measure("acute_bed_days_crude"), 0.95)
    m, nz = by_group(out, "011", "maori"), by_group(out, "000", "total")
    assert m["value"] == pytest.approx(120.0, rel=1e-12)
    assert (m["lower_ci"], m["upper_ci"]) == (pytest.approx(8.631811, abs=1e-6),
                                              pytest.approx(513.300080, abs=1e-6))
    assert m["method"] == label("8.0", "Exact")
    assert nz["value"] == pytest.approx(60.0, rel=1e-12)
    lo, hi = byar(15)
    assert (nz["lower_ci"], nz["upper_ci"]) == (pytest.approx(8 * lo / 2, rel=1e-12),
                                                pytest.approx(8 * hi / 2, rel=1e-12))
    assert (nz["lower_ci"], nz["upper_ci"]) == (pytest.approx(33.557056, abs=1e-6),
                                                pytest.approx(98.966525, abs=1e-6))
    assert nz["method"] == label("8.0", "Byars")


@pytest.mark.parametrize("measure_id", ["acute_bed_days_crude", "acute_bed_days"])
def test_two_stays_by_hand(published, measure_id):
    # Stays of 4 and 8 days among 100 people, the nation's only stays: O = 12, Σd² = 80,
    # φ = 80/12 = 6.6667, O/φ = 1.8: exact limits with non-integer degrees of freedom,
    # χ²₀.₀₂₅(3.6)/2 = 0.183145, χ²₀.₉₇₅(5.6)/2 = 6.904947; × φ / 100 × 1,000 → 12.209650 – 460.329793.
    # Indirect: the only population is the nation's, so E = O, the rate is the national 120 and
    # the limits are the crude ones.
    rows = published([stay(los_days=4), stay(los_days=8)], measure_id,
                     population=[(2024, "011", 50, "F", "Māori", 100)])
    r = row(rows)
    assert (r["numerator"], r["denominator"]) == (12, 100)
    assert r["value"] == pytest.approx(120.0, rel=1e-12)
    assert r["lower_ci"] == pytest.approx(12.209650, abs=1e-6)
    assert r["upper_ci"] == pytest.approx(460.329793, abs=1e-6)
    assert r["method"] == label("6.67", "Exact")


def test_two_stays_at_90_percent():
    # The same two stays at 90%: χ²₀.₀₅(3.6)/2 = 0.278268, χ²₀.₉₅(5.6)/2 = 5.994671;
    # × 6.6667 × 10 → 18.551198 – 399.644758.
    data = cells([("011", "maori", "50-54|F", 12, 100, 2, 80), ("000", "total", "50-54|F", 12, 100, 2, 80)])
    r = by_group(_overdispersed.compute(data, measure("acute_bed_days_crude"), 0.90), "011", "maori")
    assert (r["lower_ci"], r["upper_ci"]) == (pytest.approx(18.551198, abs=1e-6),
                                              pytest.approx(399.644758, abs=1e-6))


# Two age bands for the WHO DSR (weights 0–4 8.86, 85+ 0.63; Σw = 9.49 over the bands present):
#   New Zealand  0–4 F 200 bed days / 10,000, Σd² 1,000;  85+ F 800 / 2,000, Σd² 4,000;
#                age unknown 7 bed days, Σd² 49 (not standardisable: not in φ)
#                → φ = 5,000 / 1,000 = 5
#   Māori 011    0–4 F 40 / 1,000 (20 stays), 85+ F 60 / 200 (6 stays), age unknown 7 (1 stay)
TWO_BANDS = [
    ("011", "maori", "0-4|F", 40, 1000, 20, 80),
    ("011", "maori", "85+|F", 60, 200, 6, 600),
    ("011", "maori", "unknown|F", 7, 0, 1, 49),
    ("000", "total", "0-4|F", 200, 10000, 100, 1000),
    ("000", "total", "85+|F", 800, 2000, 80, 4000),
    ("000", "total", "unknown|F", 7, 0, 1, 49),
]
W = 8.86 + 0.63
DSR = (40 / 1000 * 8.86 + 60 / 200 * 0.63) / W                    # 0.5434 / 9.49 = 0.0572603
VAR = (40 * (8.86 / 1000) ** 2 + 60 * (0.63 / 200) ** 2) / W ** 2   # 4.147601e-5


def test_two_band_dsr_is_phi_times_dobson_on_counts_over_phi():
    r = by_group(_overdispersed.compute(cells(TWO_BANDS), measure("acute_bed_days_who"), 0.95), "011", "maori")
    assert r["numerator"] == 100                            # 40 + 60: the unknown age is out
    assert r["sum_stays"] == 26                             # 20 + 6, likewise
    assert r["value"] == pytest.approx(DSR * 1000, rel=1e-12)
    assert r["value"] == pytest.approx(57.260274, abs=1e-6)
    # Dobson on the scaled counts xᵢ/5 (8 and 12): DSR/5, var/5, O = 20, Byar(20) = 12.211429,
    # 30.889880; limit = DSR/5 + √((var/5)/20)·(Byar(20) − 20), then × 5. DSR and var are linear
    # in the counts, so that is DSR + √(var/100)·(5·Byar(20) − 100):
    scaled = [(DSR / 5 + sqrt(VAR / 5 / 20) * (b - 20)) * 5 * 1000 for b in byar(20)]
    unscaled = [(DSR + sqrt(VAR / 100) * (5 * b - 100)) * 1000 for b in byar(20)]
    assert scaled == pytest.approx(unscaled, rel=1e-12)
    assert (r["lower_ci"], r["upper_ci"]) == (pytest.approx(scaled[0], rel=1e-12),
                                              pytest.approx(scaled[1], rel=1e-12))
    # 32.180345 – 92.326709, against Poisson Dobson on O = 100: 45.257 – 71.189.
    assert (r["lower_ci"], r["upper_ci"]) == (pytest.approx(32.180345, abs=1e-6),
                                              pytest.approx(92.326709, abs=1e-6))
    assert r["method"] == label("5.0", "Dobson")


def test_two_band_dsr_over_the_whole_standard():
    # renormalise_weights: false divides by the whole WHO standard (100.03): value and both
    # limits scale by 9.49 / 100.03.
    r = by_group(_overdispersed.compute(cells(TWO_BANDS), measure("acute_bed_days_who", renormalise_weights=False),
                                        0.95), "011", "maori")
    factor = W / 100.03
    assert r["value"] == pytest.approx(DSR * 1000 * factor, rel=1e-12)
    assert r["lower_ci"] == pytest.approx(32.180345 * factor, abs=1e-6)
    assert r["upper_ci"] == pytest.approx(92.326709 * factor, abs=1e-6)


def test_dsr_with_fewer_than_ten_effective_events_is_withheld_as_phe_does():
    # Māori 12 + 18 = 30 bed days (≥ 10), but O/φ = 30 / 5 = 6 < 10 effective events: PHE's
    # calculate_dsr gives no DSR from fewer than 10 events, so neither value nor limits here.
    data = cells([("011", "maori", "0-4|F", 12, 1000, 6, 24), ("011", "maori", "85+|F", 18, 200, 2, 162),
                  *TWO_BANDS[3:5]])
    r = by_group(_overdispersed.compute(data, measure("acute_bed_days_who"), 0.95), "011", "maori")
    assert r["value"] is None
    assert r["lower_ci"] is None and r["upper_ci"] is None
    assert r["method"] == "dsr NA: effective count O/φ < 10 (quasi-Poisson, φ = 5.0)"


def test_only_same_day_stays_have_phi_one_and_exact_poisson_limits(published):
    # 10 same-day stays: 0 bed days nationally, so φ = 1 and the limits are exact on 0:
    # 0 and 3.6889 bed days (χ²₀.₉₇₅(2)/2) per 1,000 people. (10, not 5: under 10 stays the
    # WHO variant suppresses the cell, and with it every variant publishing the same count.)
    r = row(published([stay(los_days=0) for _ in range(10)]))
    assert (r["value"], r["lower_ci"]) == (0.0, 0.0)
    assert r["upper_ci"] == pytest.approx(3.6889, abs=1e-4)
    assert r["method"] == label("1.0", "Exact")
    assert r["suppressed"] is False                         # 10 stays, though 0 bed days


@pytest.mark.parametrize("measure_id, stays, reason", [
    ("acute_bed_days_crude", 4, "fewer than 5 stays"),        # 4 × 10 = 40 bed days, 4 stays
    ("acute_bed_days", 4, "fewer than 5 stays"),
    ("acute_bed_days_who", 9, "fewer than 10 stays"),         # the DSR threshold, counted in stays
    # 5 stays pass the crude rule, but the WHO variant hides its (equal) count under 10 stays.
    ("acute_bed_days_crude", 5, "fewer than 10 stays (acute_bed_days_who publishes the same count)"),
    ("acute_bed_days_crude", 10, None),
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
    # New Zealand total 400 bed days, Σd² 1,600 → φ = 4. Crude, per 1,000:
    #   Māori    O₁ = 60, 1,000 people: 60        nMnP  O₀ = 40, 2,000 people: 20
    #   Pacific  0 bed days (3 same-day stays), 500 people: 0
    # Ratio 3, SE(ln) = √(φ/60 + φ/40) = √(0.066667 + 0.1) = 0.408248
    #   → 3·exp(∓1.959964 × 0.408248) = 1.347782 and 6.677637
    # Difference 40, SE = √(φ·60/1,000² + φ·40/2,000²) × 1,000 = √(2.4e-4 + 4e-5) × 1,000 = 16.733201
    #   → 40 ∓ 32.796470 = 7.203530 and 72.796470
    data = cells([("011", "maori", "", 60, 1000, 6, 600), ("011", "nmnp", "", 40, 2000, 8, 200),
                  ("011", "pacific", "", 0, 500, 3, 0), ("000", "total", "", 400, 10000, 40, 1600)])
    out = _overdispersed.compare(data, measure("acute_bed_days_crude"), "nmnp", 0.95)
    r = out.filter(pl.col("group_id") == "maori").row(0, named=True)
    se_log = sqrt(4 / 60 + 4 / 40)
    assert r["ratio"] == pytest.approx(3.0, rel=1e-12)
    assert r["ratio_lowercl"] == pytest.approx(exp(log(3) - Z * se_log), rel=1e-12)
    assert r["ratio_uppercl"] == pytest.approx(exp(log(3) + Z * se_log), rel=1e-12)
    assert (r["ratio_lowercl"], r["ratio_uppercl"]) == (pytest.approx(1.347782, abs=1e-6),
                                                        pytest.approx(6.677637, abs=1e-6))
    assert r["difference"] == pytest.approx(40.0, rel=1e-12)
    assert r["difference_lowercl"] == pytest.approx(40 - Z * sqrt(2.8e-4) * 1000, rel=1e-12)
    assert (r["difference_lowercl"], r["difference_uppercl"]) == (pytest.approx(7.203530, abs=1e-6),
                                                                  pytest.approx(72.796470, abs=1e-6))
    assert r["method"] == label("4.0", "Wald (ratio on log scale)")
    # A zero rate has a ratio of 0 but no log-scale limits (SE(ln) infinite); the difference
    # −20 has SE √(φ·40/2,000²) × 1,000 = 6.324555 from the comparator alone.
    p = out.filter(pl.col("group_id") == "pacific").row(0, named=True)
    assert p["ratio"] == 0.0 and p["ratio_lowercl"] is None
    assert p["difference"] == pytest.approx(-20.0)
    assert p["difference_lowercl"] == pytest.approx(-20 - Z * sqrt(4e-5) * 1000, rel=1e-12)
