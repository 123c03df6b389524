"""SPC: NHSRplotthedots' published expectations plus hand-built rule cases."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import polars as pl
import pytest

from pipelines.stats import spc, spc_icons
from pipelines.stats.spc import _runs_flag, _trend, _two_in_three
from tests.stats._helpers import agrees_to_printed, read_fixture


def _series(values, start=date(2020, 1, 1)) -> pl.DataFrame:
    return pl.DataFrame({"x": [start + timedelta(days=i) for i in range(len(values))], "y": list(values)})


@pytest.fixture(scope="module")
def ptd_inputs() -> pl.DataFrame:
    return read_fixture("ptd_spc_standard_inputs.csv", try_parse_dates=True)


@pytest.fixture(scope="module")
def ptd_expected() -> dict:
    rows = read_fixture("ptd_spc_standard_expected.csv").iter_rows(named=True)
    return {row["case"]: row for row in rows}


def _check(result: pl.DataFrame, expected: dict) -> None:
    first = result.row(0, named=True)
    for column in ("mean", "lpl", "upl"):
        assert agrees_to_printed(first[column], expected[column], expected["digits"]), column


def test_limits_match_ptd_snapshot(ptd_inputs, ptd_expected):
    _check(spc(ptd_inputs, "y", "x"), ptd_expected["r1"])


def test_outlier_screening_matches_ptd_snapshot(ptd_inputs, ptd_expected):
    # PTD's test sets y[15] (1-based) to 10 and compares screened and unscreened limits.
    spiked = ptd_inputs.with_columns(
        pl.when(pl.int_range(pl.len()) == 14).then(10.0).otherwise(pl.col("y")).alias("y")
    )
    _check(spc(spiked, "y", "x"), ptd_expected["r2"])
    _check(spc(spiked, "y", "x", screen_outliers=False), ptd_expected["r3"])


def test_facets_match_ptd_snapshot(ptd_inputs, ptd_expected):
    faceted = ptd_inputs.with_columns(facet=pl.int_range(pl.len()) // 10)
    result = spc(faceted, "y", "x", group_by=["facet"])
    _check(result.filter(pl.col("facet") == 0), ptd_expected["facet0"])
    _check(result.filter(pl.col("facet") == 1), ptd_expected["facet1"])
    assert result.get_column("short_group_warning").all()  # 10 points < 13


def test_rows_are_sorted_by_date_within_group(ptd_inputs):
    shuffled = ptd_inputs.reverse()
    assert spc(shuffled, "y", "x").get_column("x").to_list() == ptd_inputs["x"].to_list()


def test_two_in_three_on_opposite_sides_is_common_cause():
    # From PTD test-ptd_spc_standard.R: symmetric data, then two successive points near opposite
    # limits must not be flagged.
    values = [1.0, -1.0] * 8
    values[14], values[15] = 5.5, -5.5
    result = spc(_series(values), "y", "x")
    assert result.get_column("point_type").tail(2).to_list() == ["common_cause"] * 2


# Rule helpers against the vectors in PTD tests/testthat/test-ptd_calculate_point_type.R.
# PTD marks the *end* of a run and then flags the 7 points ending there (part_of_*); these
# helpers return the flags directly, so each expected vector is the union of those windows.


def test_shift_rule_vectors_from_ptd():
    assert not _runs_flag(np.ones(6), 7).any()
    assert not _runs_flag(np.array([1] * 6 + [-1]), 7).any()
    assert _runs_flag(np.array([1] * 8 + [-1]), 7).tolist() == [True] * 8 + [False]
    assert _runs_flag(np.array([-1] * 8 + [1]), 7).tolist() == [True] * 8 + [False]
    assert not _runs_flag(np.zeros(9), 7).any()  # points on the mean never make a shift


def test_trend_rule_vectors_from_ptd():
    assert not _trend(np.arange(1.0, 7.0))[0].any()  # 1:6, too short
    assert not _trend(np.array([1, 2, 3, 3, 4, 5, 6.0]))[0].any()  # a tie breaks the trend
    flags, direction = _trend(np.arange(1.0, 8.0))  # 1:7
    assert flags.all() and (direction == 1).all()
    flags, _ = _trend(np.array([2, 1, 2, 3, 4, 5, 6, 7, 3.0]))  # c(2, 1:7, 3)
    assert flags.tolist() == [False] + [True] * 7 + [False]
    flags, direction = _trend(np.arange(7.0, 0.0, -1))  # 7:1
    assert flags.all() and (direction == -1).all()


def test_two_in_three_vectors_from_ptd():
    same_side = np.ones(7)
    assert _two_in_three(np.array([1, 0, 1]), np.ones(3)).tolist() == [True, False, True]
    assert _two_in_three(np.array([0, 0, 1, 0, 1, 0, 0]), same_side).tolist() == [
        False,
        False,
        True,
        False,
        True,
        False,
        False,
    ]
    assert _two_in_three(np.array([1, 0, 0, 1]), np.ones(4)).tolist() == [False] * 4
    assert _two_in_three(np.array([1, 0, 0, 1, 1]), np.ones(5)).tolist() == [
        False,
        False,
        False,
        True,
        True,
    ]


# Hand-built cases. A flat-ish base series gives known limits: alternating 10/12 has mean 11,
# every moving range 2, AMR 2, so limits 11 -/+ 5.32 = (5.68, 16.32), near limits 11 -/+ 3.5467.
BASE = [10.0, 12.0] * 10


def test_hand_limits():
    row = spc(_series(BASE), "y", "x").row(0, named=True)
    assert row["mean"] == pytest.approx(11.0, rel=1e-12)
    assert row["amr"] == pytest.approx(2.0, rel=1e-12)
    assert row["lpl"] == pytest.approx(11 - 2.66 * 2, rel=1e-12)
    assert row["upl"] == pytest.approx(11 + 2.66 * 2, rel=1e-12)
    assert row["near_upl"] == pytest.approx(11 + 2 / 3 * 2.66 * 2, rel=1e-12)
    assert not row["short_group_warning"]


def test_outside_limit_and_direction():
    values = BASE + [30.0]
    result = spc(_series(values), "y", "x", fix_after_n_points=20)
    last = result.row(-1, named=True)
    assert last["special_cause_rule"] == "Above UCL"
    assert last["point_type"] == "special_cause_improvement"
    worse = spc(_series(values), "y", "x", improvement_direction="decrease", fix_after_n_points=20)
    assert worse.row(-1, named=True)["point_type"] == "special_cause_concern"
    neutral = spc(_series(values), "y", "x", improvement_direction="neutral", fix_after_n_points=20)
    assert neutral.row(-1, named=True)["point_type"] == "special_cause_neutral_high"


def test_fixed_limits_use_only_the_first_points():
    values = BASE + [100.0] * 5
    result = spc(_series(values), "y", "x", fix_after_n_points=20).row(0, named=True)
    assert result["mean"] == pytest.approx(11.0)
    assert result["amr"] == pytest.approx(2.0)


def test_shift_after_fixed_period_is_flagged_below():
    # Seven points at 10.5 (below the mean 11, inside the near limits): a shift only.
    values = BASE + [10.5] * 7
    result = spc(_series(values), "y", "x", fix_after_n_points=20)
    tail = result.tail(7)
    assert tail.get_column("special_cause_rule").to_list() == ["7 Points Below CL"] * 7
    assert tail.get_column("point_type").to_list() == ["special_cause_concern"] * 7


def test_trend_outranks_two_in_three_and_shift():
    # Seven rising points after the fixed period; the last two lie between near and process
    # limits above the mean (two-in-three) and all seven are above the mean from the 3rd on.
    values = BASE + [11.2, 11.4, 11.6, 11.8, 12.0, 14.8, 15.0]
    result = spc(_series(values), "y", "x", fix_after_n_points=20)
    assert result.tail(7).get_column("special_cause_rule").to_list() == ["7 Point Trend (Increasing)"] * 7


def test_two_in_three_flags_only_the_close_points():
    values = BASE[:-1] + [14.8, 11.5, 15.0]  # 14.8 and 15.0 are close to the upper limit
    result = spc(_series(values), "y", "x", fix_after_n_points=19)
    rules = result.tail(3).get_column("special_cause_rule").to_list()
    assert rules == ["2 in 3 Above CL", "Common cause", "2 in 3 Above CL"]


def test_outside_outranks_trend():
    values = BASE + [11.2, 11.4, 11.6, 11.8, 12.0, 12.2, 30.0]
    result = spc(_series(values), "y", "x", fix_after_n_points=20)
    rules = result.tail(7).get_column("special_cause_rule").to_list()
    assert rules[-1] == "Above UCL"
    assert rules[:-1] == ["7 Point Trend (Increasing)"] * 6


def test_validation():
    with pytest.raises(ValueError, match="at least 12"):
        spc(_series(BASE), "y", "x", fix_after_n_points=11)
    with pytest.raises(ValueError, match="improvement_direction"):
        spc(_series(BASE), "y", "x", improvement_direction="up")
    with pytest.raises(ValueError, match="missing"):
        spc(_series([1.0, None, 2.0]), "y", "x")


# Plain ordered series, icons and assurance (Making Data Count, pack-methods.md 3.1-3.2), on
# hand-built quarterly series: 12 quarters alternating 10/12 (mean 11, limits 5.68 and 16.32).
QUARTERS = [10.0, 12.0] * 6


def _quarterly(values) -> pl.DataFrame:
    return pl.DataFrame({"quarter": [f"Q{i}" for i in range(len(values))], "rate": list(values)})


def test_plain_ordered_series_without_a_date_keeps_row_order():
    frame = _quarterly(QUARTERS + [30.0])
    result = spc(frame, "rate", fix_after_n_points=12)
    assert result["quarter"].to_list() == frame["quarter"].to_list()
    assert result["special_cause_rule"].to_list() == ["Common cause"] * 12 + ["Above UCL"]
    # Same numbers as with a date column in the same order.
    dated = spc(_series(QUARTERS + [30.0]), "y", "x", fix_after_n_points=12)
    assert result["upl"][0] == dated["upl"][0]
    # Groups without dates: each keeps its own order.
    two = pl.concat([frame.with_columns(g=pl.lit("a")), frame.reverse().with_columns(g=pl.lit("b"))])
    grouped = spc(two, "rate", group_by=["g"], fix_after_n_points=12)
    assert grouped.filter(pl.col("g") == "b")["rate"].to_list() == frame.reverse()["rate"].to_list()


def test_common_cause_points_are_labelled_not_null():
    result = spc(_quarterly(QUARTERS), "rate")
    assert result["special_cause_rule"].null_count() == 0
    assert set(result["special_cause_rule"]) == {"Common cause"}
    assert set(result["point_type"]) == {"common_cause"}
    assert result["variation_icon"].to_list() == ["common_cause"] * 12


@pytest.mark.parametrize(
    ("tail", "direction", "icon", "rule"),
    [
        ([11.0], "increase", "common_cause", "Common cause"),
        ([30.0], "increase", "improvement_high", "Above UCL"),
        ([30.0], "decrease", "concern_high", "Above UCL"),
        ([0.0], "increase", "concern_low", "Below LCL"),
        ([0.0], "decrease", "improvement_low", "Below LCL"),
        ([30.0], "neutral", "neutral_high", "Above UCL"),
        ([0.0], "neutral", "neutral_low", "Below LCL"),
        # Shift: seven quarters at 11.5 (above the mean, inside the near limits).
        ([11.5] * 7, "increase", "improvement_high", "7 Points Above CL"),
        # Trend: seven falling quarters inside the limits.
        (
            [12.5, 12.0, 11.5, 11.0, 10.5, 10.0, 9.5],
            "decrease",
            "improvement_low",
            "7 Point Trend (Decreasing)",
        ),
        # Two of three beyond the near limit (15.0, 15.2 > 14.55) on the same side.
        ([15.0, 12.0, 15.2], "increase", "improvement_high", "2 in 3 Above CL"),
    ],
)
def test_every_rule_gives_its_variation_icon(tail, direction, icon, rule):
    result = spc(_quarterly(QUARTERS + tail), "rate", improvement_direction=direction, fix_after_n_points=12)
    last = result.row(-1, named=True)
    assert last["special_cause_rule"] == rule
    assert last["variation_icon"] == icon
    assert result["variation_icon"].n_unique() == 1  # one icon per series, from its last point


@pytest.mark.parametrize(
    ("target", "direction", "assurance"),
    [
        (20.0, "increase", "consistently_fail"),  # target above the upper limit 16.32
        (3.0, "increase", "consistently_pass"),  # below the lower limit 5.68
        (11.0, "increase", "hit_and_miss"),
        (20.0, "decrease", "consistently_pass"),
        (3.0, "decrease", "consistently_fail"),
        (11.0, "decrease", "hit_and_miss"),
        (20.0, "neutral", None),
    ],
)
def test_assurance_icon_against_a_target(target, direction, assurance):
    result = spc(_quarterly(QUARTERS), "rate", improvement_direction=direction, target=target)
    assert result["assurance"].to_list() == [assurance] * 12
    assert result["target"].to_list() == [target] * 12


def test_target_exactly_on_a_limit_and_per_group_targets():
    upl = 11 + 2.66 * 2
    on_limit = spc(_quarterly(QUARTERS), "rate", target=upl)
    assert on_limit["assurance"][0] == "hit_and_miss"  # PTD's strict inequality
    mdc = spc(_quarterly(QUARTERS), "rate", target=upl, target_on_limit="pass_or_fail")
    assert mdc["assurance"][0] == "consistently_fail"
    frame = pl.concat(
        [
            _quarterly(QUARTERS).with_columns(d=pl.lit("a"), milestone=pl.lit(3.0)),
            _quarterly(QUARTERS).with_columns(d=pl.lit("b"), milestone=pl.lit(None, pl.Float64)),
        ]
    )
    charted = spc(frame, "rate", group_by=["d"], improvement_direction="decrease", target="milestone")
    icons = spc_icons(charted, "rate", group_by=["d"])
    assert icons["d"].to_list() == ["a", "b"]
    assert icons["assurance"].to_list() == ["consistently_fail", None]
    assert icons["points"].to_list() == [12, 12]
    assert icons["variation_icon"].to_list() == ["common_cause", "common_cause"]
    assert icons["rate"].to_list() == [12.0, 12.0]
    with pytest.raises(ValueError, match="target_on_limit"):
        spc(frame, "rate", target=3.0, target_on_limit="maybe")
