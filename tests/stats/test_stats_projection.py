"""Trend projection for milestones: exact log-linear series (hand-computed), planted trends on
synthetic data, and the milestone wording."""

from __future__ import annotations

import math
from datetime import date

import numpy as np
import polars as pl
import pytest

from pipelines.stats import fit_loglinear_trend, trend_projection

QUARTER_ENDS = [date(2022 + (3 * i + 2) // 12, (3 * i + 2) % 12 + 1, 1) for i in range(12)]  # Mar 2022 ...


def _exact_series(a: float, b: float, population: float = 250_000.0, n: int = 12) -> pl.DataFrame:
    t = np.arange(n)
    exposure = population / 4
    return pl.DataFrame(
        {
            "quarter": QUARTER_ENDS[:n],
            "events": exposure * np.exp(a + b * t),  # expected counts exactly on the trend
            "population": [population] * n,
        }
    )


def test_exact_loglinear_series_is_recovered_and_projected():
    a, b = math.log(400 / 100_000), math.log(0.95)  # 400 per 100,000 a year, -5% a quarter
    projection, summary = trend_projection(_exact_series(a, b), "quarter", "events", "population", horizon=8)
    row = summary.row(0, named=True)
    assert row["slope"] == pytest.approx(b, rel=1e-10)
    assert row["phi"] == 1.0  # Pearson chi2 is 0 on an exact series; phi never goes below 1
    assert row["quarterly_change"] == pytest.approx(-0.05, rel=1e-9)
    assert row["annual_change"] == pytest.approx(0.95**4 - 1, rel=1e-9)
    for k, value in zip(projection["quarters_ahead"], projection["projected"], strict=True):
        assert value == pytest.approx(400 * 0.95 ** (11 + k), rel=1e-9)
    # Labels: the latest quarter ends Dec 2024 (2024 Q4); 8 quarters on is 2026 Q4.
    assert projection["quarter"].to_list()[0] == "2024 Q4"
    assert projection["quarter"].to_list()[-1] == "2026 Q4"
    assert (projection["projected_lowercl"] < projection["projected"]).all()
    assert (projection["projected"] < projection["projected_uppercl"]).all()


def test_milestone_quarter_hand_computed():
    a, b = math.log(400 / 100_000), math.log(0.95)
    # Latest fitted value 400 * 0.95^11 = 227.5; 0.95^k * 227.5 <= 180 first at k = 5 (176.0).
    latest = 400 * 0.95**11
    first = next(k for k in range(1, 13) if latest * 0.95**k <= 180)
    assert first == 5
    _, summary = trend_projection(
        _exact_series(a, b), "quarter", "events", "population", horizon=12, target=180
    )
    row = summary.row(0, named=True)
    assert row["reached_quarters_ahead"] == 5
    assert row["reached"] == "2026 Q1"
    assert not row["already_met"]
    # t* = (ln(180 / 1e5) - a) / b, counted from the latest quarter (t = 11).
    assert row["crossing_quarters_ahead"] == pytest.approx((math.log(180 / 1e5) - a) / b - 11, rel=1e-9)
    assert row["crossing_lowercl"] <= row["crossing_quarters_ahead"] <= row["crossing_uppercl"]
    # Confidently: upper limit at or below the target, never earlier than the point estimate.
    assert row["reached_confidently_quarters_ahead"] >= 5 >= row["reached_possibly_quarters_ahead"]


def test_target_out_of_reach_says_not_before_horizon():
    a, b = math.log(400 / 100_000), math.log(0.99)
    _, summary = trend_projection(
        _exact_series(a, b), "quarter", "events", "population", horizon=4, target=10
    )
    row = summary.row(0, named=True)
    assert row["reached_quarters_ahead"] is None
    assert row["reached"] == "not before 2025 Q4"


def test_flat_noisy_series_has_no_estimable_date():
    frame = pl.DataFrame({"q": list(range(10)), "events": [20, 25, 18, 22, 24, 19, 21, 23, 20, 22]})
    projection, summary = trend_projection(frame, "q", "events", horizon=4, target=5)
    row = summary.row(0, named=True)
    assert not row["trend_significant"]
    assert math.isnan(row["crossing_lowercl"]) and math.isnan(row["crossing_uppercl"])
    assert row["reached"] == "not before 4 quarters ahead"
    assert projection["quarter"].null_count() == projection.height  # integer periods: no labels


def test_overdispersion_widens_the_interval():
    calm = [100, 98, 97, 95, 94, 92, 91, 89, 88, 86, 85, 84]
    wild = [130, 70, 125, 66, 120, 62, 115, 60, 110, 58, 105, 56]
    fit_calm, fit_wild = fit_loglinear_trend(calm), fit_loglinear_trend(wild)
    assert fit_calm.phi == 1.0
    assert fit_wild.phi > 5
    # phi scales the Poisson covariance: se(b) grows by sqrt(phi) against an unscaled fit.
    assert fit_wild.var_b > fit_calm.var_b


def test_planted_trend_is_recovered_within_its_interval():
    # Synthetic truth: 250,000 people, 300 per 100,000 a year, falling 2% a quarter, 12 quarters.
    rng = np.random.default_rng(20261130)
    a, b, pop = math.log(300 / 100_000), math.log(0.98), 250_000
    t = np.arange(12)
    frame = pl.DataFrame(
        {
            "quarter": QUARTER_ENDS,
            "events": rng.poisson(pop / 4 * np.exp(a + b * t)),
            "population": [pop] * 12,
        }
    )
    projection, summary = trend_projection(frame, "quarter", "events", "population", horizon=8, target=240)
    row = summary.row(0, named=True)
    planted_annual = 0.98**4 - 1
    assert row["annual_change_lowercl"] <= planted_annual <= row["annual_change_uppercl"]
    true_k8 = 300 * 0.98 ** (11 + 8)
    last = projection.row(-1, named=True)
    assert last["projected_lowercl"] <= true_k8 <= last["projected_uppercl"]
    true_crossing = (math.log(240 / 300)) / b - 11
    assert row["crossing_lowercl"] <= true_crossing <= row["crossing_uppercl"]


def test_projection_interval_coverage_on_planted_trends():
    # 400 seeded series: the 95% interval for the rate 8 quarters ahead covers the planted value
    # in about 95% of them (binomial sd ~1.1 points).
    rng = np.random.default_rng(7)
    a, b, pop = math.log(300 / 100_000), math.log(0.98), 250_000
    t = np.arange(12)
    truth = 300 * 0.98 ** (11 + 8)
    covered = 0
    runs = 400
    for _ in range(runs):
        counts = rng.poisson(pop / 4 * np.exp(a + b * t))
        fit = fit_loglinear_trend(counts, [pop / 4] * 12)
        eta, se = fit.log_value(np.array([19.0]))
        lo, hi = np.exp(eta - 1.959963984540054 * se)[0] * 1e5, np.exp(eta + 1.959963984540054 * se)[0] * 1e5
        covered += lo <= truth <= hi
    assert 0.91 <= covered / runs <= 0.99


def test_groups_and_validation():
    a, b = math.log(400 / 100_000), math.log(0.95)
    two = pl.concat(
        [_exact_series(a, b).with_columns(d=pl.lit("x")), _exact_series(a, -b).with_columns(d=pl.lit("y"))]
    )
    projection, summary = trend_projection(
        two.reverse(), "quarter", "events", "population", group_by=["d"], horizon=2
    )
    assert summary["d"].to_list() == ["x", "y"]  # series sorted by key, quarters by period
    assert summary.filter(pl.col("d") == "x")["slope"][0] == pytest.approx(b, rel=1e-9)
    assert projection.height == 6 and projection.columns[0] == "d"
    with pytest.raises(ValueError, match="at least 4"):
        trend_projection(_exact_series(a, b, n=3), "quarter", "events", "population")
    with pytest.raises(ValueError, match="repeats"):
        trend_projection(pl.concat([_exact_series(a, b), _exact_series(a, b)]), "quarter", "events")
    with pytest.raises(ValueError, match="direction"):
        trend_projection(_exact_series(a, b), "quarter", "events", direction="down")
