"""First-page judgements on hand-computed cases (comparisons.py)."""

from __future__ import annotations

import math

import pytest

from pipelines.dashboards.comparisons import (
    FINGERTIPS,
    change_since,
    compare_with_benchmark,
    gap_direction,
    gap_meets,
    meets,
)


@pytest.mark.parametrize(("ci", "benchmark", "direction", "expected"), [
    ((100, 90, 110), 110, "lower_is_better", "similar"),   # on the upper bound: inclusive
    ((100, 90, 110), 90, "lower_is_better", "similar"),    # on the lower bound
    ((100, 90, 110), 111, "lower_is_better", "better"),    # whole CI below NZ, low is good
    ((100, 90, 110), 111, "higher_is_better", "worse"),
    ((100, 90, 110), 89, "lower_is_better", "worse"),
    ((100, 90, 110), 89, "higher_is_better", "better"),
    ((100, 90, 110), 89, None, "higher"),                   # no polarity: BOB wording
    ((100, 90, 110), 111, None, "lower"),
    ((None, None, None), 100, "lower_is_better", "not_compared"),
])
def test_fingertips_comparison(ci, benchmark, direction, expected):
    assert compare_with_benchmark(*ci, benchmark, direction) == expected


def test_fingertips_colours_have_readable_text():
    def luminance(hex_colour):
        rgb = [int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
        lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
        return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]

    for key, (fill, ink) in FINGERTIPS.items():
        hi, lo = sorted((luminance(fill), luminance(ink)), reverse=True)
        assert (hi + 0.05) / (lo + 0.05) >= 4.5, key


def test_change_since_hand_computed():
    # se1 = (120-80)/3.92 = 10.204, se0 = (170-130)/3.92 = 10.204, se = 14.43; diff -50: z = 3.46
    c = change_since((100, 80, 120), (150, 130, 170), "lower_is_better")
    assert c["verdict"] == "improved" and c["significant"]
    assert c["difference"] == -50 and c["relative"] == pytest.approx(-1 / 3)
    assert change_since((100, 80, 120), (150, 130, 170), "higher_is_better")["verdict"] == "worsened"
    assert change_since((100, 80, 120), (150, 130, 170), None)["verdict"] == "decreased"
    # diff -20: z = 1.386 < 1.96
    assert change_since((100, 80, 120), (120, 100, 140), "lower_is_better")["verdict"] == "no_change"
    assert change_since((100, 80, 120), (None, None, None), "lower_is_better") is None


def test_gap_direction_on_log_scale():
    # ratio 2.0 → 1.5, each CI ×/÷ 1.2: se_log = ln(1.44)/3.92 = 0.0930; shift ln(0.75) = -0.2877
    # z = 0.2877 / (0.0930·√2) = 2.19 > 1.96, towards 1: narrowing
    g = gap_direction((1.5, 1.5 / 1.2, 1.5 * 1.2), (2.0, 2.0 / 1.2, 2.0 * 1.2))
    assert g["verdict"] == "narrowing" and g["ratio_change"] == pytest.approx(0.75)
    assert gap_direction((2.0, 2.0 / 1.2, 2.4), (1.5, 1.25, 1.8))["verdict"] == "widening"
    # crossing 1 but ending closer to it (0.8 vs 1.5): |ln 0.8| < |ln 1.5|
    assert gap_direction((0.8, 0.8 / 1.2, 0.96), (1.5, 1.25, 1.8))["verdict"] == "narrowing"
    assert gap_direction((1.6, 1.3, 1.9), (1.5, 1.25, 1.8))["verdict"] == "no_clear_change"
    assert gap_direction((None, None, None), (1.5, 1.25, 1.8)) is None
    assert math.isclose(math.log(1.44) / 3.92, 0.0930, abs_tol=1e-4)


def test_milestone_met_by_polarity():
    assert meets(95, 100, "lower_is_better") and not meets(105, 100, "lower_is_better")
    assert meets(100, 100, "lower_is_better")  # on the milestone = met
    assert meets(0.82, 0.80, "higher_is_better") and not meets(0.79, 0.80, "higher_is_better")
    assert meets(1, 2, None) is None and meets(None, 2, "lower_is_better") is None
    assert gap_meets(1.15, 1.2) and not gap_meets(1.3, 1.2) and gap_meets(0.9, 1.2)
