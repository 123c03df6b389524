"""mean (phe_mean) and weighted_mean: hand-computed cases."""

from __future__ import annotations

import math

import polars as pl
import pytest

from pipelines.stats import mean, weighted_mean
from tests.stats._helpers import close

# Student's t 97.5% quantile with 3 df, as printed in standard t tables (to 10 significant digits).
T_975_3 = 3.182446305


def test_mean_of_phe_example_by_hand():
    # PHE's roxygen example (R/Means.R): values 30, 40, 50, 60.
    out = mean(pl.DataFrame({"values": [30, 40, 50, 60]}), "values").row(0, named=True)
    sd = math.sqrt((15**2 + 5**2 + 5**2 + 15**2) / 3)  # 12.9099...
    assert out["value_sum"] == 180 and out["value_count"] == 4
    assert close(out["stdev"], sd)
    assert close(out["value"], 45.0)
    assert out["lowercl"] == pytest.approx(45 - T_975_3 * sd / 2, rel=1e-9)
    assert out["uppercl"] == pytest.approx(45 + T_975_3 * sd / 2, rel=1e-9)
    assert (out["statistic"], out["method"]) == ("mean", "Student's t-distribution")


def test_grouped_mean_and_two_levels():
    df = pl.DataFrame({"area": ["A1"] * 3 + ["A2"] * 3, "v": [20, 30, 40, 200, 300, 400]})
    out = mean(df, "v", group_by=["area"], confidence=(0.95, 0.998))
    assert out["value"].to_list() == [30.0, 300.0]
    assert out["confidence"][0] == "95%, 99.8%"
    assert out["lower99_8cl"][0] < out["lower95_0cl"][0] < 30 < out["upper95_0cl"][0]


def test_missing_value_makes_the_mean_missing():
    out = mean(pl.DataFrame({"v": [1.0, None, 3.0]}), "v").row(0, named=True)
    assert out["value_count"] == 3
    assert out["value"] is None and out["lowercl"] is None


def test_weighted_mean_by_hand():
    # x = 1, 2, 3 with weights 1, 1, 2:
    #   mean = (1 + 2 + 6) / 4 = 2.25; n_eff = 4^2 / 6 = 8/3
    #   sum w (x - m)^2 = 1.5625 + 0.0625 + 2 * 0.5625 = 2.75; divisor 4 - 6/4 = 2.5; s^2 = 1.1
    from scipy.stats import t

    df = pl.DataFrame({"x": [1.0, 2.0, 3.0], "w": [1.0, 1.0, 2.0]})
    out = weighted_mean(df, "x", "w").row(0, named=True)
    assert close(out["value"], 2.25)
    assert close(out["n_eff"], 8 / 3)
    assert close(out["stdev"], math.sqrt(1.1))
    half = t.ppf(0.975, 8 / 3 - 1) * math.sqrt(1.1) / math.sqrt(8 / 3)
    assert close(out["lowercl"], 2.25 - half)
    assert close(out["uppercl"], 2.25 + half)


def test_weighted_mean_with_equal_weights_equals_mean():
    df = pl.DataFrame({"g": ["a"] * 4 + ["b"] * 3, "x": [3.0, 7, 8, 10, 1, 5, 6], "w": [2.5] * 7})
    plain = mean(df, "x", group_by=["g"])
    weighted = weighted_mean(df, "x", "w", group_by=["g"])
    for column in ("value", "stdev", "lowercl", "uppercl"):
        for a, b in zip(plain[column], weighted[column], strict=True):
            assert close(a, b, rel=1e-12)


def test_weighted_mean_skips_unanswered_and_rejects_negative_weights():
    df = pl.DataFrame({"x": [1.0, None, 3.0], "w": [1.0, 5.0, 1.0]})
    assert weighted_mean(df, "x", "w")["value"][0] == 2.0
    with pytest.raises(ValueError, match="weights"):
        weighted_mean(pl.DataFrame({"x": [1.0], "w": [-1.0]}), "x", "w")
