"""Spiegelhalter overdispersion (FunnelPlotR's method): hand-computed small funnels."""

from __future__ import annotations

import math

import polars as pl
import pytest

from pipelines.stats import overdispersed_limits, overdispersion

Z95, Z998 = 1.959963984540054, 3.090232306167813
OBSERVED = [80, 90, 95, 100, 100, 105, 110, 120, 60, 200]


def test_truncated_ratio_funnel_by_hand():
    frame = pl.DataFrame({"o": OBSERVED, "e": [100.0] * 10})
    out = overdispersion(frame, "o", "e")
    z = [10 * math.log(o / 100) for o in OBSERVED]  # sqrt(E) ln(O/E)
    assert out["z_score"].to_list() == pytest.approx(z, rel=1e-14)
    # n = 10: group floor(rank * 10 / 11) drops rank 1 (O = 60) and rank 10 (O = 200).
    kept = [v for o, v in zip(OBSERVED, z, strict=True) if o not in (60, 200)]
    phi = sum(v * v for v in kept) / 8
    assert out["phi"][0] == pytest.approx(phi, rel=1e-14)
    # w = E = 100 for the 8 kept areas: sum w - sum w^2 / sum w = 800 - 100 = 700.
    tau2 = max(0.0, (8 * phi - 7) / 700) if 8 * phi >= 7 else 0.0
    assert out["tau2"][0] == pytest.approx(tau2, rel=1e-14)
    assert tau2 > 0
    adjusted = [v / 10 / math.sqrt(1 / 100 + tau2) for v in z]
    assert out["z_adjusted"].to_list() == pytest.approx(adjusted, rel=1e-13)
    limits = overdispersed_limits([100.0], tau2).row(0, named=True)
    assert limits["upper_2s_limit"] == pytest.approx(math.exp(Z95 * math.sqrt(0.01 + tau2)), rel=1e-14)
    assert limits["lower_3s_limit"] == pytest.approx(math.exp(-Z998 * math.sqrt(0.01 + tau2)), rel=1e-14)


def test_no_dispersion_gives_no_adjustment():
    frame = pl.DataFrame({"o": [50, 100, 200, 400] * 3, "e": [50.0, 100.0, 200.0, 400.0] * 3})
    out = overdispersion(frame, "o", "e", method="winsorise")
    assert out["phi"][0] == 0.0 and out["tau2"][0] == 0.0
    limits = overdispersed_limits([100.0], 0.0).row(0, named=True)
    assert limits["upper_2s_limit"] == pytest.approx(math.exp(Z95 / 10), rel=1e-14)


def test_proportion_scale_and_validation():
    frame = pl.DataFrame({"x": [30, 45, 50, 55, 70], "n": [100] * 5})
    out = overdispersion(frame, "x", "n", statistic="proportion", method="winsorise")
    target = math.asin(math.sqrt(250 / 500))
    assert out["target"][0] == pytest.approx(target, rel=1e-15)
    assert out["z_score"][0] == pytest.approx((math.asin(math.sqrt(0.3)) - target) * 20, rel=1e-13)
    limits = overdispersed_limits([100.0], 0.0, statistic="proportion", target=target, multiplier=100).row(
        0, named=True
    )
    assert limits["lower_2s_limit"] == pytest.approx(100 * math.sin(target - Z95 / 20) ** 2, rel=1e-13)
    with pytest.raises(ValueError, match="0 observed"):
        overdispersion(pl.DataFrame({"o": [0, 3], "e": [1.0, 2.0]}), "o", "e")
    with pytest.raises(ValueError, match="truncate"):
        overdispersion(frame, "x", "n", statistic="proportion", method="trim")
