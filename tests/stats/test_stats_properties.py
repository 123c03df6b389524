"""Property-based checks (hypothesis), kept small so the whole stats suite stays fast."""

from __future__ import annotations

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from pipelines.stats import crude_rate, dsr, dsr_ratio_difference, mean, proportion, rate_ratio_difference
from tests.stats._helpers import close

FAST = settings(max_examples=40, deadline=None)

counts = st.integers(min_value=0, max_value=5000)
populations = st.integers(min_value=1, max_value=1_000_000)


@st.composite
def count_frames(draw, min_count=0):
    size = draw(st.integers(min_value=1, max_value=6))
    xs = draw(st.lists(st.integers(min_count, 5000), min_size=size, max_size=size))
    ns = draw(st.lists(populations, min_size=size, max_size=size))
    groups = draw(st.lists(st.sampled_from("abc"), min_size=size, max_size=size))
    return pl.DataFrame({"g": groups, "x": xs, "n": ns})


@st.composite
def proportion_frames(draw):
    size = draw(st.integers(min_value=1, max_value=6))
    ns = draw(st.lists(st.integers(1, 10_000), min_size=size, max_size=size))
    xs = [draw(st.integers(0, n)) for n in ns]
    return pl.DataFrame({"x": xs, "n": ns})


def _ordered(frame: pl.DataFrame, low: str, value: str, high: str) -> bool:
    rows = frame.select(low, value, high).drop_nulls().iter_rows()

    def slack(v: float) -> float:
        return 1e-12 * abs(v)

    return all(lo <= v + slack(v) and v <= hi + slack(hi) for lo, v, hi in rows)


@FAST
@given(count_frames())
def test_rate_limits_bracket_value_and_nest(frame):
    out = crude_rate(frame, "x", "n", confidence=(0.95, 0.998))
    assert _ordered(out, "lower95_0cl", "value", "upper95_0cl")
    assert _ordered(out, "lower99_8cl", "lower95_0cl", "upper95_0cl")
    assert _ordered(out, "lower95_0cl", "upper95_0cl", "upper99_8cl")


@FAST
@given(count_frames(), st.sampled_from([1, 100, 1000, 100_000]))
def test_rate_scales_with_multiplier(frame, multiplier):
    base = crude_rate(frame, "x", "n", multiplier=1)
    scaled = crude_rate(frame, "x", "n", multiplier=multiplier)
    for column in ("value", "lowercl", "uppercl"):
        for a, b in zip(base[column], scaled[column], strict=True):
            assert (a is None and b is None) or close(b, a * multiplier, rel=1e-12)


@FAST
@given(count_frames())
def test_grouped_rate_equals_rate_of_each_group_alone(frame):
    grouped = crude_rate(frame, "x", "n", group_by=["g"])
    for row in grouped.iter_rows(named=True):
        alone = crude_rate(frame.filter(pl.col("g") == row["g"]), "x", "n", group_by=[]).row(0, named=True)
        for column in ("x", "n", "value", "lowercl", "uppercl", "method"):
            assert row[column] == alone[column]


@FAST
@given(proportion_frames(), st.sampled_from([1, 100]))
def test_wilson_stays_in_range(frame, multiplier):
    out = proportion(frame, "x", "n", multiplier=multiplier, confidence=(0.95, 0.998))
    assert (out["lower99_8cl"] >= 0).all() and (out["upper99_8cl"] <= multiplier).all()
    assert _ordered(out, "lower95_0cl", "value", "upper95_0cl")
    assert _ordered(out, "lower99_8cl", "lower95_0cl", "upper95_0cl")


@FAST
@given(st.integers(10, 5000), populations, st.integers(1, 100_000))
def test_single_stratum_dsr_is_the_crude_rate(x, n, weight):
    # One stratum: DSR = x/n and var/O = 1/n^2, so Dobson's limits reduce to Byar's / n.
    frame = pl.DataFrame({"x": [x], "n": [n], "w": [weight]})
    standardised = dsr(frame, "x", "n", "w").row(0, named=True)
    crude = crude_rate(frame, "x", "n").row(0, named=True)
    for column in ("value", "lowercl", "uppercl"):
        assert close(standardised[column], crude[column], rel=1e-9)


@FAST
@given(st.lists(st.tuples(st.sampled_from("ab"), st.integers(0, 300), populations), min_size=2, max_size=8))
def test_grouped_dsr_equals_dsr_of_each_group_alone(rows):
    frame = pl.DataFrame(rows, schema=["g", "x", "n"], orient="row").with_columns(w=pl.lit(1000))
    grouped = dsr(frame, "x", "n", "w", group_by=["g"])
    for row in grouped.iter_rows(named=True):
        alone = dsr(frame.filter(pl.col("g") == row["g"]), "x", "n", "w").row(0, named=True)
        for column, expected in alone.items():
            if isinstance(expected, float):  # sums may be added in another order
                assert close(row[column], expected, rel=1e-12)
            else:
                assert row[column] == expected


@FAST
@given(st.integers(1, 5000), populations)
def test_identical_groups_have_unit_ratio_and_zero_difference(x, n):
    frame = pl.DataFrame({"g": ["a", "b"], "x": [x, x], "n": [n, n]})
    row = rate_ratio_difference(frame, "g", "b", "x", "n").row(0, named=True)
    assert close(row["ratio"], 1.0, rel=1e-12)
    assert row["ratio_lowercl"] <= 1 <= row["ratio_uppercl"]
    assert row["difference"] == 0.0
    assert row["difference_lowercl"] <= 0 <= row["difference_uppercl"]
    std = frame.with_columns(w=pl.lit(1.0), x=pl.lit(x + 10))
    srow = dsr_ratio_difference(std, "g", "b", "x", "n", "w").row(0, named=True)
    assert close(srow["ratio"], 1.0, rel=1e-12)
    assert srow["ratio_lowercl"] <= 1 <= srow["ratio_uppercl"]


@FAST
@given(st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=2, max_size=30))
def test_mean_limits_bracket_value(values):
    out = mean(pl.DataFrame({"v": values}), "v", confidence=(0.95, 0.998))
    assert _ordered(out, "lower95_0cl", "value", "upper95_0cl")
    assert _ordered(out, "lower99_8cl", "lower95_0cl", "upper95_0cl")
