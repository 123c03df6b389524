"""Low-level limits against published constants and hand computation."""

from __future__ import annotations

import math

import numpy as np
import pytest

from pipelines.stats import (
    byars_lower,
    byars_upper,
    exact_poisson_lower,
    exact_poisson_upper,
    wilson_lower,
    wilson_upper,
    z_for,
)
from tests.stats._helpers import close

# Published normal quantiles quoted in statistical-methods.md §1 (PHE's qnorm values).
Z95 = 1.959963984540054
Z998 = 3.090232306167813


@pytest.mark.parametrize(("level", "z"), [(0.95, Z95), (95, Z95), (0.998, Z998), (99.8, Z998)])
def test_z_for(level, z):
    assert close(z_for(level), z, rel=1e-12)


@pytest.mark.parametrize("bad", [0.7, 14, 125, 1000])
def test_confidence_outside_phe_range_is_rejected(bad):
    with pytest.raises(ValueError, match="between 90 and 100"):
        z_for(bad)


def test_exact_limits_for_zero_events():
    # O = 0: lower is 0 (R's qchisq(p, 0) = 0); upper = chi2(0.975; 2)/2 = -ln(0.025) = ln 40,
    # because a chi-squared with 2 df is exponential: F(q) = 1 - exp(-q/2).
    assert exact_poisson_lower([0])[0] == 0.0
    assert close(exact_poisson_upper([0])[0], math.log(40), rel=1e-12)
    assert close(exact_poisson_upper([0])[0], 3.6888794541139354, rel=1e-12)
    # 99.8%: -ln(0.001)
    assert close(exact_poisson_upper([0], 0.998)[0], math.log(1000), rel=1e-12)


def test_exact_lower_for_one_event():
    # O = 1: chi2(0.025; 2)/2 = -ln(1 - 0.025)
    assert close(exact_poisson_lower([1])[0], -math.log(0.975), rel=1e-12)


def _poisson_cdf(k: int, mu: float) -> float:
    return math.fsum(math.exp(-mu) * mu**i / math.factorial(i) for i in range(k + 1))


@pytest.mark.parametrize("o", [1, 2, 5, 9, 25])
def test_exact_limits_are_the_garwood_tail_solutions(o):
    # Independent characterisation: U solves P(X <= O | U) = 0.025, L solves P(X >= O | L) = 0.025.
    lower, upper = exact_poisson_lower([o])[0], exact_poisson_upper([o])[0]
    assert close(_poisson_cdf(o, upper), 0.025, rel=1e-9)
    assert close(1 - _poisson_cdf(o - 1, lower), 0.025, rel=1e-9)


@pytest.mark.parametrize(
    ("o", "low", "high"),
    # Classic published exact 95% limits for a Poisson count (Garwood 1936 tables, 4 dp).
    [(1, 0.0253, 5.5716), (5, 1.6235, 11.6683), (10, 4.7954, 18.3904)],
)
def test_exact_limits_match_published_table(o, low, high):
    assert exact_poisson_lower([o])[0] == pytest.approx(low, abs=5e-5)
    assert exact_poisson_upper([o])[0] == pytest.approx(high, abs=5e-5)


def test_byars_by_hand():
    # O = 65 at 95%: 65 (1 - 1/585 - z/(3 sqrt 65))^3 and 66 (1 - 1/594 + z/(3 sqrt 66))^3
    lower = 65 * (1 - 1 / 585 - Z95 / (3 * math.sqrt(65))) ** 3
    upper = 66 * (1 - 1 / 594 + Z95 / (3 * math.sqrt(66))) ** 3
    assert close(byars_lower([65])[0], lower)
    assert close(byars_upper([65])[0], upper)
    assert close(byars_upper([10], 99.8)[0], 11 * (1 - 1 / 99 + Z998 / (3 * math.sqrt(11))) ** 3)


def test_byars_negative_lower_is_missing():
    # O = 1 at 99.8%: 1 - 1/9 - 3.0902/3 < 0, so the cube is negative and PHE returns NA.
    assert 1 - 1 / 9 - Z998 / 3 < 0
    assert np.isnan(byars_lower([1], 0.998)[0])
    assert np.isnan(byars_lower([0])[0])


def test_missing_counts_propagate():
    assert np.isnan(byars_upper([np.nan])[0])
    assert np.isnan(exact_poisson_lower([np.nan])[0])


def test_negative_counts_are_rejected():
    with pytest.raises(ValueError, match="greater than or equal to zero"):
        byars_lower([65, 0, -4])
    with pytest.raises(ValueError, match="greater than or equal to zero"):
        exact_poisson_upper([-1])


def test_wilson_by_hand():
    # 65/100 at 95%: (2x + z^2 -/+ z sqrt(z^2 + 4x(1 - x/n))) / (2(n + z^2))
    root = Z95 * math.sqrt(Z95**2 + 4 * 65 * (1 - 65 / 100))
    assert close(wilson_lower([65], [100])[0], (130 + Z95**2 - root) / (2 * (100 + Z95**2)))
    assert close(wilson_upper([65], [100])[0], (130 + Z95**2 + root) / (2 * (100 + Z95**2)))


@pytest.mark.parametrize(
    ("x", "n", "low", "high"),
    # Newcombe (1998) Stat Med 17:857, score method without continuity correction, 4 dp.
    [(81, 263, 0.2553, 0.3662), (15, 148, 0.0624, 0.1605), (0, 20, 0.0, 0.1611), (1, 29, 0.0061, 0.1718)],
)
def test_wilson_matches_newcombe_examples(x, n, low, high):
    assert wilson_lower([x], [n])[0] == pytest.approx(low, abs=5e-5)
    assert wilson_upper([x], [n])[0] == pytest.approx(high, abs=5e-5)


def test_wilson_limits_solve_the_score_equation():
    # The limits are the roots p of (x/n - p)^2 = z^2 p (1 - p) / n.
    x, n = 1045.0, 5000.0
    for p in (wilson_lower([x], [n])[0], wilson_upper([x], [n])[0]):
        assert close((x / n - p) ** 2, Z95**2 * p * (1 - p) / n, rel=1e-9)


def test_wilson_edges():
    assert wilson_lower([0], [50])[0] == 0.0
    assert wilson_upper([50], [50])[0] == 1.0
    assert wilson_lower([65], [100], confidence=1)[0] == 0.0
    assert wilson_upper([65], [100], confidence=1)[0] == 1.0
    # Non-integer numerators are allowed (PHE fixture 0.445/1).
    assert 0 < wilson_lower([0.445], [1])[0] < 0.445 < wilson_upper([0.445], [1])[0] < 1


@pytest.mark.parametrize(
    ("x", "n", "message"),
    [
        ([-4], [100], "greater than or equal to zero"),
        ([6], [-6], "greater than zero"),
        ([80], [50], "less than or equal to denominator"),
    ],
)
def test_wilson_validation(x, n, message):
    with pytest.raises(ValueError, match=message):
        wilson_lower(x, n)
