"""SPC: NHSRplotthedots' published expectations plus hand-built rule cases."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import polars as pl
import pytest

from pipelines.stats import spc
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
    assert rules == ["2 in 3 Above CL", None, "2 in 3 Above CL"]


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
