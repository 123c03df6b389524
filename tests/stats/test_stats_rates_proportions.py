"""crude_rate (phe_rate) and proportion (phe_proportion): hand-computed values and PHE edge cases."""

from __future__ import annotations

import math

import polars as pl
import pytest

from pipelines.stats import crude_rate, proportion
from tests.stats._helpers import close

Z95 = 1.959963984540054

# The data frame of PHE's own roxygen examples (R/Rates.R, R/Proportions.R @ 093fd28).
PHE_EXAMPLE = pl.DataFrame(
    {
        "area": [a for a in ("Area1", "Area2", "Area3", "Area4") for _ in range(3)],
        "obs": [None, 82, 9, 48, 6500, 8200, 10000, 10000, 8, 7, 750, 900],
        "pop": [p for p in (100, 10000, 10000, 10000) for _ in range(3)],
    }
)


def test_zero_events_rate_uses_exact_upper():
    out = crude_rate(pl.DataFrame({"x": [0], "n": [1000]}), "x", "n").row(0, named=True)
    assert out["value"] == 0.0
    assert out["lowercl"] == 0.0
    # ln 40 events (the exact 95% upper count for O = 0) per 1000 per 100,000
    assert close(out["uppercl"], math.log(40) / 1000 * 100_000, rel=1e-12)
    assert close(out["uppercl"], 368.88794541139354, rel=1e-12)
    assert out["method"] == "Exact"
    assert out["statistic"] == "rate per 100000"
    assert out["confidence"] == "95%"


def test_method_switches_at_ten_events():
    out = crude_rate(pl.DataFrame({"id": [1, 2], "x": [9, 10], "n": [500, 500]}), "x", "n", group_by=["id"])
    assert out.get_column("method").to_list() == ["Exact", "Byars"]
    byar_low = 10 * (1 - 1 / 90 - Z95 / (3 * math.sqrt(10))) ** 3
    byar_high = 11 * (1 - 1 / 99 + Z95 / (3 * math.sqrt(11))) ** 3
    assert close(out["lowercl"][1], byar_low / 500 * 100_000)
    assert close(out["uppercl"][1], byar_high / 500 * 100_000)


# One result per row = group by the columns that identify a row (group_by=None is the whole frame).
PHE_ROWS = PHE_EXAMPLE.with_row_index("row")


def test_rows_are_computed_separately_when_grouped_by_row():
    out = crude_rate(PHE_ROWS, "obs", "pop", group_by=["area", "row"])
    assert out.columns[:4] == ["area", "row", "obs", "pop"]
    assert out.height == 12
    first = out.row(0, named=True)
    assert first["value"] is None and first["lowercl"] is None and first["method"] is None
    assert close(out["value"][1], 82 / 100 * 100_000)
    assert out["method"].to_list()[1:4] == ["Byars", "Exact", "Byars"]


def test_rate_allows_more_events_than_population():
    out = crude_rate(pl.DataFrame({"x": [150], "n": [100]}), "x", "n", multiplier=1)
    assert close(out["value"][0], 1.5)


def test_missing_denominator_keeps_byars_label():
    out = crude_rate(
        pl.DataFrame({"x": [10], "n": [None]}, schema={"x": pl.Int64, "n": pl.Float64}), "x", "n"
    )
    assert out.row(0, named=True)["method"] == "Byars"
    assert out.row(0, named=True)["value"] is None


def test_grouping_sums_and_propagates_missing():
    out = crude_rate(PHE_EXAMPLE, "obs", "pop", group_by=["area"])
    assert out.get_column("area").to_list() == ["Area1", "Area2", "Area3", "Area4"]
    area1 = out.row(0, named=True)
    assert area1["obs"] is None and area1["value"] is None  # NA in the group, no na.rm
    area4 = out.row(3, named=True)
    assert area4["obs"] == 7 + 750 + 900 and area4["pop"] == 30000
    assert close(area4["value"], 1657 / 30000 * 100_000)


def test_whole_frame_with_empty_group_by():
    data = PHE_EXAMPLE.drop_nulls()
    out = crude_rate(data, "obs", "pop", group_by=[])
    assert out.height == 1
    assert out["obs"][0] == sum(data["obs"])


def test_two_confidence_levels_use_phe_names():
    out = crude_rate(
        PHE_ROWS, "obs", "pop", group_by=["area", "row"], confidence=(0.95, 0.998), multiplier=100
    )
    assert out.columns[4:] == [
        "value",
        "lower95_0cl",
        "upper95_0cl",
        "lower99_8cl",
        "upper99_8cl",
        "confidence",
        "statistic",
        "method",
    ]
    assert out["confidence"][0] == "95%, 99.8%"
    assert out["statistic"][0] == "rate per 100"
    single = crude_rate(PHE_ROWS, "obs", "pop", group_by=["area", "row"], confidence=99.8, multiplier=100)
    assert single["uppercl"].to_list()[1:] == out["upper99_8cl"].to_list()[1:]
    assert single["confidence"][0] == "99.8%"


@pytest.mark.parametrize(
    ("frame", "message"),
    [
        (pl.DataFrame({"x": [-65], "n": [100]}), "numerators must be greater than or equal"),
        (pl.DataFrame({"x": [65], "n": [0]}), "denominators must be greater than zero"),
    ],
)
def test_rate_validation(frame, message):
    with pytest.raises(ValueError, match=message):
        crude_rate(frame, "x", "n")


def test_rate_confidence_validation():
    with pytest.raises(ValueError, match="between 90 and 100"):
        crude_rate(PHE_EXAMPLE, "obs", "pop", confidence=20)
    with pytest.raises(ValueError, match="0.95 and 0.998"):
        crude_rate(PHE_EXAMPLE, "obs", "pop", confidence=(0.95, 0.99))


def test_proportion_by_hand_and_labels():
    frame = pl.DataFrame({"x": [65], "n": [100]})
    root = Z95 * math.sqrt(Z95**2 + 4 * 65 * 0.35)
    out = proportion(frame, "x", "n", multiplier=100).row(0, named=True)
    assert close(out["value"], 65.0)
    assert close(out["lowercl"], 100 * (130 + Z95**2 - root) / (2 * (100 + Z95**2)))
    assert out["statistic"] == "percentage" and out["method"] == "Wilson"
    assert proportion(frame, "x", "n")["statistic"][0] == "proportion of 1"


def test_proportion_all_events_reaches_the_multiplier_exactly():
    out = proportion(pl.DataFrame({"x": [40], "n": [40]}), "x", "n", multiplier=100)
    assert out["uppercl"][0] == 100.0
    assert proportion(pl.DataFrame({"x": [0], "n": [40]}), "x", "n")["lowercl"][0] == 0.0


def test_proportion_without_confidence_has_no_limits():
    out = proportion(pl.DataFrame({"x": [4], "n": [40]}), "x", "n", confidence=None)
    assert out.columns == ["x", "n", "value", "statistic"]


def test_proportion_grouped_two_levels():
    data = PHE_EXAMPLE.filter(pl.col("area") != "Area1").with_columns(pop=pl.lit(20000))
    out = proportion(data, "obs", "pop", group_by=["area"], confidence=(95, 99.8))
    assert out.height == 3
    assert (out["lower99_8cl"] <= out["lower95_0cl"]).all()
    assert (out["upper99_8cl"] >= out["upper95_0cl"]).all()


def test_proportion_rejects_x_above_n():
    with pytest.raises(ValueError, match="less than or equal to denominator"):
        proportion(pl.DataFrame({"x": [6500], "n": [100]}), "x", "n")
