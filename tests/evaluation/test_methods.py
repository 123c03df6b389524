"""The models on hand-built series with known answers: noise-free counts recover the planted
parameters exactly; a treated pre-trend is caught; synthetic weights are recovered; power matches
simulation."""

from __future__ import annotations

import numpy as np
import pytest

from pipelines.evaluation import (
    NotEstimable,
    difference_in_differences,
    interrupted_time_series,
    quarters_needed,
    synthetic_control,
)
from pipelines.evaluation.synthetic_control import control_weights

QI = np.arange(2021 * 4, 2026 * 4)  # 2021Q1 … 2025Q4
START = 2024 * 4  # 2024Q1
POST = QI >= START
K = np.where(POST, QI - START, 0)
SEASON = np.array([0.0, 0.05, -0.04, 0.02])[QI % 4]  # quarter-of-year effects


def expected(base_rate, pop, trend=0.0, level=0.0, slope=0.0, shocks=0.0):
    t = QI - START
    return pop * base_rate * np.exp(trend * t + SEASON + shocks
                                    + POST * (np.log1p(level) + np.log1p(slope) * K))


def test_its_recovers_level_slope_and_events_exactly_on_noise_free_counts():
    pop = np.full(len(QI), 50_000.0)
    y = expected(0.002, pop, trend=-0.01, level=-0.14, slope=-0.02)
    r = interrupted_time_series(y, pop, QI, START)
    assert r.level.percent()[0] == pytest.approx(-14.0, abs=1e-6)
    assert r.slope.percent()[0] == pytest.approx(-2.0, abs=1e-6)
    assert r.phi == 1.0  # Pearson χ² is 0 here; the dispersion is floored at Poisson's
    # Events averted, by hand: Σ_post observed − Σ_post expected without the change.
    no_change = expected(0.002, pop, trend=-0.01)
    assert r.events.counterfactual == pytest.approx(no_change[POST].sum(), rel=1e-9)
    assert r.events.difference == pytest.approx((y - no_change)[POST].sum(), rel=1e-6)
    assert r.events.lower < r.events.difference < r.events.upper
    assert r.pre_fit_rmse == pytest.approx(0.0, abs=1e-6)


def test_its_interval_is_the_wald_interval_with_t_quantiles():
    rng = np.random.default_rng(3)
    pop = np.full(len(QI), 20_000.0)
    y = rng.poisson(expected(0.003, pop, level=-0.1)).astype(float)
    r = interrupted_time_series(y, pop, QI, START)
    lo, hi = r.level.interval()
    from scipy import stats
    t = stats.t.ppf(0.975, len(QI) - 7)  # 7 parameters: const, trend, 3 seasons, level, slope
    assert (lo, hi) == pytest.approx((r.level.estimate - t * r.level.se, r.level.estimate + t * r.level.se))


def test_its_refuses_a_short_pre_period_or_an_empty_series():
    pop = np.full(len(QI), 1000.0)
    with pytest.raises(NotEstimable, match="quarters before the start"):
        interrupted_time_series(np.ones(len(QI)), pop, QI, QI[2])
    with pytest.raises(NotEstimable, match="since the start"):
        interrupted_time_series(np.ones(len(QI)), pop, QI, QI[-1])
    with pytest.raises(NotEstimable):
        interrupted_time_series(np.zeros(len(QI)), pop, QI, START)


def panel(local_level=0.0, national_level=0.0, treated_trend=0.0):
    """Treated unit 0 and four controls sharing quarter shocks and a national change."""
    shocks = np.array([0.03, -0.02, 0.01, 0.0, 0.04] * 4)
    national = POST * np.log1p(national_level)
    pops = [30_000, 80_000, 50_000, 20_000, 60_000]
    rates = [0.004, 0.003, 0.005, 0.0035, 0.0025]
    ev, pop = [], []
    for u, (p, r) in enumerate(zip(pops, rates, strict=True)):
        pp = np.full(len(QI), float(p))
        mu = expected(r, pp, trend=-0.005, shocks=shocks + national,
                      level=local_level if u == 0 else 0.0)
        if u == 0:
            mu = mu * np.exp(treated_trend * (QI - START))
        ev.append(mu)
        pop.append(pp)
    return np.array(ev), np.array(pop)


def test_did_credits_only_the_local_change_when_a_national_change_happens_too():
    ev, pop = panel(local_level=-0.12, national_level=-0.2)
    d = difference_in_differences(ev, pop, QI, START)
    assert d.result.level.percent()[0] == pytest.approx(-12.0, abs=1e-6)
    assert d.result.slope.percent()[0] == pytest.approx(0.0, abs=1e-6)
    assert d.parallel_trends_p == pytest.approx(1.0, abs=1e-3)
    assert not d.trend_adjusted
    assert d.controls_used == 4
    # ITS alone sees local and national together: (1 − 0.12)(1 − 0.2) − 1 = −29.6 %.
    its = interrupted_time_series(ev[0], pop[0], QI, START)
    assert its.level.percent()[0] == pytest.approx(-29.6, abs=0.5)


def test_did_flags_a_treated_pre_trend_and_allows_for_it():
    rng = np.random.default_rng(11)
    ev, pop = panel(local_level=-0.12, treated_trend=0.03)
    noisy = rng.poisson(ev * 20).astype(float)  # large counts: the pre-trend is unmistakable
    d = difference_in_differences(noisy, pop * 20, QI, START)
    assert d.parallel_trends_p < 0.05 and d.trend_adjusted
    lo, hi = d.result.level.interval()
    assert lo < np.log1p(-0.12) < hi
    exact = difference_in_differences(ev, pop, QI, START)  # noise-free: the trend-adjusted fit
    assert exact.result.level.percent()[0] == pytest.approx(-12.0, abs=1e-4)


def test_synthetic_control_weights_recover_a_known_mix():
    rng = np.random.default_rng(5)
    controls = rng.uniform(0.5, 1.5, size=(4, 12))
    target = 0.3 * controls[1] + 0.7 * controls[3]
    w = control_weights(target, controls)
    assert w == pytest.approx([0.0, 0.3, 0.0, 0.7], abs=1e-5)
    assert w.sum() == pytest.approx(1.0)


def test_synthetic_control_recovers_a_local_change_despite_a_national_one():
    ev, pop = panel(local_level=-0.12, national_level=-0.2)
    s = synthetic_control(ev, pop, QI, START)
    assert s.result.level.percent()[0] == pytest.approx(-12.0, abs=0.5)
    assert s.weights.sum() == pytest.approx(1.0)


def test_power_from_the_formula_matches_simulated_rejection_rates():
    """Simulate the planned design at the quarters the formula asks for: ~80% of the simulated
    ITS fits detect the change (300 simulations: ±5 points at 2 standard errors)."""
    rng = np.random.default_rng(2026)
    pre = QI[QI < START]
    pop_pre = np.full(len(pre), 40_000.0)
    change = -0.25
    mu = 0.003 * pop_pre * np.exp(np.array([0.0, 0.05, -0.04, 0.02])[pre % 4])
    n = quarters_needed(mu, pop_pre, pre, change)  # noise-free history: φ = 1
    assert n == 8  # 120 events a quarter, 12 quarters before, a 25 % fall
    qi = np.r_[pre, np.arange(START, START + n)]
    pop = np.full(len(qi), 40_000.0)
    mean = 0.003 * pop * np.exp(np.array([0.0, 0.05, -0.04, 0.02])[qi % 4]) * np.where(
        qi >= START, 1 + change, 1.0)
    hits = 0
    for _ in range(300):
        r = interrupted_time_series(rng.poisson(mean).astype(float), pop, qi, START)
        lo, hi = r.level.interval()
        hits += hi < 0
    assert 0.72 <= hits / 300 <= 0.90
    # A larger planned change needs fewer quarters; a tiny one cannot be detected in 10 years.
    assert quarters_needed(mu, pop_pre, pre, -0.4) < n
    assert quarters_needed(mu * 0.001, pop_pre, pre, -0.05) is None
