"""Funnel limits against PHEindicatormethods' published CSV test expectations."""

from __future__ import annotations

import pytest

from pipelines.stats.funnels import funnel_proportion_limits, funnel_ratio_limits, poisson_funnel
from tests.stats._helpers import agrees_to_text, read_fixture


def test_proportion_funnel_matches_phe_fixture():
    expected = read_fixture("phe_funnel_prop_outputs.csv")
    # The fixture's baseline (6 dp, in percent) is the inputs' average; an average known to
    # 5e-9 moves the limits by at most ~5e-7 percentage points, below the 6 dp storage.
    average = expected["Baseline"][0] / 100
    ours = funnel_proportion_limits(average, expected["Population"].to_list(), multiplier=100)
    pairs = {
        "lower_2s_limit": "Lower2s0025limit",
        "upper_2s_limit": "Upper2s0025limit",
        "lower_3s_limit": "Lower3s0001limit",
        "upper_3s_limit": "Upper3s0001limit",
    }
    for ours_column, phe_column in pairs.items():
        for got, want in zip(ours[ours_column], expected[phe_column], strict=True):
            assert got == pytest.approx(want, abs=1.5e-6), (ours_column, want)


def test_ratio_funnel_matches_phe_fixture():
    # Values are stored to about 10 significant digits; each is compared at its last written
    # digit (read as text), i.e. our bisection reproduces PHE's to the stored precision.
    expected = read_fixture("phe_funnel_ratio_outputs.csv", infer_schema=False)
    ours = funnel_ratio_limits([int(o) for o in expected["Observed_events"]])
    for level in ("2s", "3s"):
        for side in ("lower", "upper"):
            for got, want in zip(
                ours[f"{side}_{level}_exp_events"], expected[f"{side}_{level}_exp_events"], strict=True
            ):
                assert agrees_to_text(got, want), (side, level, want)
            ratio = ours[f"{side}_{level}_ratio"]
            for got, want in zip(ratio * 100, expected[f"{side}_{level}_isr"], strict=True):
                assert agrees_to_text(got, want), (side, level, want)
            for got, want in zip(ratio - 1, expected[f"{side}_{level}_count"], strict=True):
                assert agrees_to_text(got, want), (side, level, want)


def test_poisson_funnel_approximates_exact_limits():
    # For O = 1 the "low" solution is the exact lower limit -ln(0.975), to bisection precision.
    assert poisson_funnel(1, 0.025, "low") == pytest.approx(0.0253178, abs=2e-7)
    with pytest.raises(ValueError):
        poisson_funnel(1, 0.025, "middle")
