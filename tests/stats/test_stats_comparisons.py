"""Rate/DSR/proportion ratios and differences against a comparator: hand-computed cases."""

from __future__ import annotations

import math

import polars as pl
import pytest

from pipelines.stats import (
    dsr,
    dsr_ratio_difference,
    proportion_ratio_difference,
    rate_ratio_difference,
)
from tests.stats._helpers import close

Z95 = 1.959963984540054

# 41 events in 28,010 person-years vs 15 in 19,017 (a textbook incidence-rate-ratio example).
RATES = pl.DataFrame({"ethnicity": ["Maori", "nMnP"], "events": [41, 15], "person_years": [28010, 19017]})


def test_rate_ratio_and_difference_by_hand():
    out = rate_ratio_difference(RATES, "ethnicity", "nMnP", "events", "person_years")
    row = out.row(0, named=True)
    assert out.height == 1 and row["ethnicity"] == "Maori"
    rr = (41 / 28010) / (15 / 19017)  # 1.8557
    se = math.sqrt(1 / 41 + 1 / 15)
    assert close(row["ratio"], rr)
    assert close(row["ratio_lowercl"], math.exp(math.log(rr) - Z95 * se))  # 1.027
    assert close(row["ratio_uppercl"], math.exp(math.log(rr) + Z95 * se))  # 3.353
    rd = 41 / 28010 - 15 / 19017
    se_d = math.sqrt(41 / 28010**2 + 15 / 19017**2)
    assert close(row["difference"], rd * 100_000)
    assert close(row["difference_lowercl"], (rd - Z95 * se_d) * 100_000)
    assert close(row["rate"], 41 / 28010 * 100_000)
    assert close(row["comparator_rate"], 15 / 19017 * 100_000)
    assert row["ratio_lowercl"] == pytest.approx(1.03, abs=0.005)
    assert row["ratio_uppercl"] == pytest.approx(3.35, abs=0.005)


def test_comparisons_within_group_by_cells():
    frame = pl.concat(
        [
            RATES.with_columns(district=pl.lit("A")),
            RATES.with_columns(district=pl.lit("B"), events=pl.col("events") * 2),
        ]
    )
    out = rate_ratio_difference(frame, "ethnicity", "nMnP", "events", "person_years", group_by=["district"])
    assert out["district"].to_list() == ["A", "B"]
    assert close(out["ratio"][0], out["ratio"][1])  # doubling both groups keeps the ratio


def test_zero_events_give_no_ratio_limits():
    frame = pl.DataFrame({"g": ["x", "ref"], "a": [0, 12], "t": [1000, 1000]})
    row = rate_ratio_difference(frame, "g", "ref", "a", "t").row(0, named=True)
    assert row["ratio"] == 0.0
    assert row["ratio_lowercl"] is None and row["ratio_uppercl"] is None
    assert row["difference_lowercl"] is not None


def test_missing_comparator_is_an_error():
    with pytest.raises(ValueError, match="comparator"):
        rate_ratio_difference(RATES, "ethnicity", "Pacific", "events", "person_years")


STANDARD = pl.DataFrame(
    {
        "ethnicity": ["Maori", "Maori", "nMnP", "nMnP"],
        "x": [40, 60, 30, 20],
        "n": [10000, 5000, 20000, 10000],
        "w": [7000, 3000, 7000, 3000],
    }
)


def test_dsr_ratio_and_difference_by_hand():
    out = dsr_ratio_difference(STANDARD, "ethnicity", "nMnP", "x", "n", "w").row(0, named=True)
    # Maori: DSR = (40*0.7/10000 + 60*0.3/5000) = 0.0028 + 0.0036 = 0.0064
    #        var = 40*(0.7/10000)^2 + 60*(0.3/5000)^2 = 1.96e-7 + 2.16e-7 = 4.12e-7
    # nMnP:  DSR = 30*0.7/20000 + 20*0.3/10000 = 0.00105 + 0.0006 = 0.00165
    #        var = 30*(0.7/20000)^2 + 20*(0.3/10000)^2 = 3.675e-8 + 1.8e-8 = 5.475e-8
    d1, v1, d0, v0 = 0.0064, 4.12e-7, 0.00165, 5.475e-8
    srr = d1 / d0
    se = math.sqrt(v1 / d1**2 + v0 / d0**2)
    assert close(out["ratio"], srr)
    assert close(out["ratio_lowercl"], math.exp(math.log(srr) - Z95 * se))
    assert close(out["ratio_uppercl"], math.exp(math.log(srr) + Z95 * se))
    assert close(out["difference"], (d1 - d0) * 100_000)
    assert close(out["difference_uppercl"], (d1 - d0 + Z95 * math.sqrt(v1 + v0)) * 100_000)
    assert close(out["value"], 640.0) and close(out["comparator_value"], 165.0)


def test_dsr_comparison_uses_the_dsr_variances():
    per_group = dsr(STANDARD, "x", "n", "w", group_by=["ethnicity"])
    assert close(per_group["variance"][0], 4.12e-7)
    assert close(per_group["variance"][1], 5.475e-8)


def test_dsr_comparison_suppressed_under_ten_events():
    few = STANDARD.with_columns(x=pl.Series([40, 60, 3, 2]))
    row = dsr_ratio_difference(few, "ethnicity", "nMnP", "x", "n", "w").row(0, named=True)
    assert row["ratio"] is None and row["difference"] is None and row["ratio_lowercl"] is None
    kept = dsr_ratio_difference(few, "ethnicity", "nMnP", "x", "n", "w", min_count=None)
    assert kept["ratio"][0] is not None


def test_proportion_ratio_and_difference_by_hand():
    frame = pl.DataFrame({"g": ["a", "b"], "x": [30, 20], "n": [100, 100]})
    row = proportion_ratio_difference(frame, "g", "b", "x", "n").row(0, named=True)
    se_d = math.sqrt(0.3 * 0.7 / 100 + 0.2 * 0.8 / 100)
    assert close(row["difference"], 0.1)
    assert close(row["difference_lowercl"], 0.1 - Z95 * se_d)
    se_log = math.sqrt(1 / 30 - 1 / 100 + 1 / 20 - 1 / 100)
    assert close(row["ratio"], 1.5)
    assert close(row["ratio_uppercl"], math.exp(math.log(1.5) + Z95 * se_log))
