"""Funnel limits against PHEindicatormethods' published CSV test expectations."""

from __future__ import annotations

import math

import polars as pl
import pytest
from scipy.stats import poisson

from pipelines.stats import funnels
from pipelines.stats.funnel_rates import funnel_axis, funnel_rate_limits, funnel_rate_points
from pipelines.stats.funnel_significance import funnel_significance
from pipelines.stats.funnels import (
    funnel_proportion_limits,
    funnel_ratio_limits,
    poisson_cis,
    poisson_funnel,
    poisson_funnels,
)
from tests.stats._helpers import agrees_to_printed, agrees_to_text, read_fixture


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


def test_poisson_funnel_full_precision_hand_point():
    # pack-methods.md 1.4 quotes PHE's bisection at O = 1, p = 0.025, "high" to 17 digits
    # (5.5716445854321845, against the exact root 5.571643390938898): reproduced bit for bit.
    assert poisson_funnel(1, 0.025, "high") == 5.5716445854321845


def test_poisson_funnel_approximates_exact_limits():
    # For O = 1 the "low" solution is the exact lower limit -ln(0.975), to bisection precision.
    assert poisson_funnel(1, 0.025, "low") == pytest.approx(0.0253178, abs=2e-7)
    with pytest.raises(ValueError):
        poisson_funnel(1, 0.025, "middle")


def test_ratio_funnel_uses_phe_series_not_scipy_tails():
    # Issue 9: at O = 328 SciPy's exact Poisson tail inside the same bisection moves the 99.8%
    # limits by ~3e-6 relative; PHE's series sum reproduces the published value to its 10 digits.
    row = funnel_ratio_limits([328]).row(0, named=True)
    assert agrees_to_text(row["lower_3s_exp_events"], "387.9125576")
    assert agrees_to_text(row["upper_3s_exp_events"], "274.8700809")


# 154, 215, 328 and 441: counts whose 99.8% "low" bisection meets a near tie (SciPy's tail alone
# would take the other branch at one step there).
COUNTS = [*range(1, 121), 154, 200, 215, 328, 441, 1000, 2500, 6000]


@pytest.mark.parametrize("p", [0.025, 0.001])
@pytest.mark.parametrize("side", ["low", "high"])
def test_side_by_side_bisections_give_the_same_floats(p, side):
    # poisson_funnels (every count at once, SciPy's tail away from ties) against the one-count
    # bisection with PHE's series sum at every step: equal, bit for bit.
    assert poisson_funnels(COUNTS, p, side).tolist() == [poisson_funnel(o, p, side) for o in COUNTS]


def test_side_by_side_bisections_need_the_series_sum_at_near_ties(monkeypatch):
    # Without the near-tie margin SciPy's tail decides every step, and at these counts the 99.8%
    # upper limit moves (O = 328 is the case above): the margin is what keeps PHE's branch.
    monkeypatch.setattr(funnels, "_near_tie", lambda mu: 0 * mu)
    for o in (154, 215, 328, 441):
        assert poisson_funnels([o], 0.001, "low")[0] != poisson_funnel(o, 0.001, "low")


def test_poisson_cis_hand_cases():
    # The series stops once a term is below 1e-10 of the running total and is normalised by that
    # total, so it is close to, but not exactly, the true probability (pack-methods.md 1.4).
    # P(K = 0 | z = 1) = e^-1; P(K <= 2 | z = 2) = 5 e^-2.
    assert poisson_cis(1.0, 0, 0) == pytest.approx(math.exp(-1), rel=1e-9)
    assert poisson_cis(1.0, 0, 0) != math.exp(-1)
    assert poisson_cis(2.0, 0, 2) == pytest.approx(5 * math.exp(-2), rel=1e-9)
    assert poisson_cis(50.5, 0, 1e10) == 1.0
    # Large z exercises the 1e30 rescaling (terms reach e^5000); P(K >= 5000 | z = 5000).
    assert poisson_cis(5000.0, 5000, 1e10) == pytest.approx(poisson.sf(4999, 5000.0), rel=1e-8)


# Events column of PHE's testdata_funnel_rate_outputs.csv (100 rows; 16 full rows are in the fixture).
PHE_RATE_GRID = [
    *range(1, 29), 30, 32, 34, 36, 38, 40, 42, 44, 46, 49, 52, 55, 58, 61, 64, 68, 72, 76, 80, 84, 89, 94,
    99, 104, 110, 116, 122, 129, 136, 143, 151, 159, 168, 177, 187, 197, 208, 219, 231, 244, 257, 271, 286,
    302, 319, 337, 356, 376, 397, 419, 442, 466, 492, 519, 548, 578, 610, 643, 678, 715, 754, 796, 840, 886,
    935, 986, 1040, 1097, 1158, 1222, 1289, 1360,
]  # fmt: skip


def _rate_inputs() -> pl.DataFrame:
    return read_fixture("phe_funnel_rate_inputs.csv", null_values="NA")


def test_dsr_funnel_limits_match_phe_fixture():
    expected = read_fixture("phe_funnel_rate_dsr_outputs.csv", infer_schema=False)
    ours = funnel_rate_limits(_rate_inputs(), "ev", "rate", "dsr", multiplier=100_000, years_of_data=3)
    assert ours.height == 100
    # The whole grid, as the fixture's Events column lists it (all 100 rows).
    assert ours["events"].to_list() == PHE_RATE_GRID
    by_events = {row["events"]: row for row in ours.iter_rows(named=True)}
    numeric = [c for c in expected.columns if c not in ("Events", "statistic")]
    for want in expected.iter_rows(named=True):
        got = by_events[int(want["Events"])]
        for column in numeric:
            assert agrees_to_text(got[column], want[column]), (want["Events"], column)
        assert got["statistic"] == want["statistic"] == "rate (dsr per 100,000)"
        assert got["method"] == "Poisson"


def test_crude_funnel_label_and_zero_event_denominator():
    data = _rate_inputs().with_columns(
        pl.when(pl.col("ev") == 988).then(0).otherwise(pl.col("ev")).alias("ev")
    )
    ours = funnel_rate_limits(data, "ev", "rate", "crude", multiplier=100, denominator="pop")
    assert ours["statistic"][0] == "rate (crude per 100)"
    # The zero-event area contributes its own population to the average: av = sum x / sum d.
    x, r, pop = (data[c].cast(pl.Float64).to_numpy() for c in ("ev", "rate", "pop"))
    d = [p if xi == 0 else 100 * xi / ri for xi, ri, p in zip(x, r, pop, strict=True)]
    assert ours["baseline"][0] == pytest.approx(x.sum() / sum(d) * 100, rel=1e-14)
    with pytest.raises(ValueError, match="0 events"):
        funnel_rate_limits(data, "ev", "rate", "crude", multiplier=100)


def test_funnel_points_match_phe_fixture():
    data = _rate_inputs().with_columns(
        pl.when(pl.col("ev") == 988).then(5).otherwise(pl.col("ev")).alias("ev")
    )
    points = funnel_rate_points(data, "ev", "rate", "dsr", multiplier=100_000, years_of_data=3)
    for row in points.iter_rows(named=True):
        if row["rate_chart"] is None:
            assert row["ev"] == 5 and row["denominator_derived"] is None
            continue
        assert row["rate_chart"] == row["rate"]
        assert agrees_to_printed(row["denominator_derived"], row["ev"] * 1e5 / row["rate"] / 3, 10)


def test_axis_rounds_and_steps_as_phe():
    # Each point is the geometric step from the previous one, never less than one more.
    grid = funnel_axis(0, 1360)
    assert grid[0] == 1 and grid[-1] == 1360 and len(grid) == 100
    assert all(b > a for a, b in zip(grid, grid[1:], strict=False))


SIGNIFICANCE_CASES = [
    # (rate_type, multiplier, with the zero-count area, fixture column)
    ("dsr", 100_000, True, "dsr_per_100000_with_0"),
    ("dsr", 100, True, "dsr_per_100_with_0"),
    ("dsr", 100_000, False, "dsr_per_100000_without_0"),
    ("dsr", 100, False, "dsr_per_100_without_0"),
    ("crude", 100_000, True, "crude_per_100000_with_0"),
    ("crude", 100, True, "crude_per_100_with_0"),
    ("crude", 100_000, False, "crude_per_100000_without_0"),
    ("crude", 100, False, "crude_per_100_without_0"),
]


@pytest.mark.parametrize(("rate_type", "multiplier", "with_zero", "column"), SIGNIFICANCE_CASES)
def test_rate_significance_matches_phe_fixture(rate_type, multiplier, with_zero, column):
    data = read_fixture("phe_funnel_rate_significance.csv", null_values="NA")
    if not with_zero:
        data = data.filter(pl.col("count") != 0)
    if rate_type == "dsr":
        # PHE's DSR fixture rates are per 100,000; the per-100 test rescales the multiplier only
        # (the derived denominator x/rate*multiplier then changes scale with it).
        rate = "rate_dsr"
    else:
        rate = "rate_crude_per_100000" if multiplier == 100_000 else "rate_crude_per_100"
    got = funnel_significance(
        data, "count", "pop", "rate", rate=rate, rate_type=rate_type, multiplier=multiplier
    )
    assert got["significance"].to_list() == data[column].to_list()


def test_ratio_and_proportion_significance_hand_cases():
    # Ratio: O = 30 against E = 15 -> Byar 99.8% lower limit of 30 is 17.17..., above 15: High (0.001).
    # O = 5 against E = 5 is not significant; O = 0 against E = 5: exact upper 95% 3.689 < 5 but the
    # 99.8% upper 6.908 > 5 -> Low (0.025).
    ratio = pl.DataFrame({"obs": [30, 5, 0], "exp": [15.0, 5.0, 5.0]})
    labels = funnel_significance(ratio, "obs", "exp", "ratio")["significance"].to_list()
    assert labels == ["High (0.001)", "Not significant", "Low (0.025)"]
    # Proportion: av = 150/300 = 0.5; 90/100 is far above, 30/100 far below, 30/100... n = 100.
    prop = pl.DataFrame({"x": [90, 10, 50], "n": [100, 100, 100]})
    labels = funnel_significance(prop, "x", "n", "proportion")["significance"].to_list()
    assert labels == ["High (0.001)", "Low (0.001)", "Not significant"]
    with pytest.raises(ValueError, match="statistic"):
        funnel_significance(prop, "x", "n", "mean")
