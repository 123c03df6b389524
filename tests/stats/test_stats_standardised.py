"""dsr (calculate_dsr) and isratio/israte (calculate_ISRatio/ISRate): hand-computed cases."""

from __future__ import annotations

import math

import polars as pl
import pytest

from pipelines.stats import dsr, israte, isratio
from tests.stats._helpers import close

Z95 = 1.959963984540054


def _byars(o: float, sign: int) -> float:
    if sign < 0:
        return o * (1 - 1 / (9 * o) - Z95 / (3 * math.sqrt(o))) ** 3
    return (o + 1) * (1 - 1 / (9 * (o + 1)) + Z95 / (3 * math.sqrt(o + 1))) ** 3


# Two age bands: events 10 and 30, populations 1000 and 2000, standard populations 6000 and 4000.
TWO_BANDS = pl.DataFrame({"x": [10, 30], "n": [1000, 2000], "w": [6000, 4000]})


def test_dsr_by_hand():
    out = dsr(TWO_BANDS, "x", "n", "w").row(0, named=True)
    # DSR = (10*6000/1000 + 30*4000/2000) / 10000 = (60 + 60) / 10000 = 0.012 -> 1200 per 100,000
    assert close(out["value"], 1200.0)
    # var = (10 * 6^2 + 30 * 2^2) / 10000^2 = (360 + 120) / 1e8 = 4.8e-6
    assert close(out["variance"], 4.8e-6)
    # Dobson: DSR + sqrt(var / 40) * (Byar(40) - 40) * 100,000
    spread = math.sqrt(4.8e-6 / 40) * 100_000
    assert close(out["lowercl"], 1200 + spread * (_byars(40, -1) - 40))
    assert close(out["uppercl"], 1200 + spread * (_byars(40, 1) - 40))
    assert (out["total_count"], out["total_pop"]) == (40, 3000)
    assert (out["statistic"], out["method"], out["confidence"]) == (
        "dsr per 100000",
        "Dobson",
        "95%",
    )


def test_dsr_standard_population_joined_by_age_band():
    bands = TWO_BANDS.with_columns(age=pl.Series(["0-44", "45+"]))
    by_key = dsr(bands, "x", "n", {"0-44": 6000, "45+": 4000}, ageband="age")
    by_column = dsr(bands, "x", "n", "w")
    assert by_key.equals(by_column)
    # A reordered frame gives the same answer: the weights follow the band, not the row.
    assert dsr(bands.reverse(), "x", "n", {"0-44": 6000, "45+": 4000}, ageband="age").equals(by_column)
    with pytest.raises(ValueError, match="row position"):
        dsr(TWO_BANDS, "x", "n", [6000, 4000])
    with pytest.raises(ValueError, match="ageband"):
        dsr(bands, "x", "n", {"0-44": 6000, "45+": 4000})
    with pytest.raises(ValueError, match=r"no value for age \['45\+'\]"):
        dsr(bands, "x", "n", {"0-44": 6000}, ageband="age")


def test_dsr_suppressed_under_ten_events():
    frame = pl.DataFrame({"area": ["a", "a", "b", "b"], "x": [4, 5, 5, 5], "n": [100] * 4, "w": [1, 1] * 2})
    out = dsr(frame, "x", "n", "w", group_by=["area"], confidence=(0.95, 0.998))
    small, ten = out.row(0, named=True), out.row(1, named=True)
    assert small["total_count"] == 9 and small["total_pop"] == 200
    for column in ("value", "lower95_0cl", "upper95_0cl", "lower99_8cl", "upper99_8cl"):
        assert small[column] is None
        assert ten[column] is not None
    assert small["statistic"] == "dsr NA for total count < 10"
    assert ten["statistic"] == "dsr per 100000"


def test_dsr_missing_events_count_as_zero():
    with_null = pl.DataFrame({"x": [None, 30], "n": [1000, 2000], "w": [6000, 4000]})
    with_zero = pl.DataFrame({"x": [0, 30], "n": [1000, 2000], "w": [6000, 4000]})
    assert dsr(with_null, "x", "n", "w").equals(dsr(with_zero, "x", "n", "w"))


@pytest.mark.parametrize(
    ("frame", "message"),
    [
        (pl.DataFrame({"x": [-1, 30], "n": [1, 2], "w": [1, 1]}), "numerators"),
        (pl.DataFrame({"x": [1, 30], "n": [0, 2], "w": [1, 1]}), "denominators"),
        (pl.DataFrame({"x": [1, 30], "n": [None, 2.0], "w": [1, 1]}), "missing"),
        (pl.DataFrame({"x": [1, 30], "n": [1, 2], "w": [-1, 1]}), "stdpop"),
        (pl.DataFrame({"x": [1, 30], "n": [1, 2], "w": [None, 1.0]}), "stdpop"),
    ],
)
def test_dsr_validation(frame, message):
    with pytest.raises(ValueError, match=message):
        dsr(frame, "x", "n", "w")


# Indirect standardisation. Reference rates 0.01 and 0.02 per person in two bands.
LOCAL = pl.DataFrame(
    {
        "area": ["a", "a", "b", "b"],
        "x": [3, 4, 20, 25],
        "n": [100, 200, 1000, 1000],
        "x_ref": [10, 40, 10, 40],
        "n_ref": [1000, 2000, 1000, 2000],
    }
)


def test_isratio_by_hand():
    out = isratio(LOCAL, "x", "n", "x_ref", "n_ref", group_by=["area"])
    a, b = out.row(0, named=True), out.row(1, named=True)
    # a: E = 0.01*100 + 0.02*200 = 5, O = 7 (< 10: exact); b: E = 10 + 20 = 30, O = 45 (Byar)
    assert close(a["expected"], 5.0) and a["observed"] == 7
    assert close(a["value"], 7 / 5)
    assert a["method"] == "Exact" and b["method"] == "Byars"
    assert close(b["lowercl"], _byars(45, -1) / 30)
    assert close(b["uppercl"], _byars(45, 1) / 30)
    assert a["statistic"] == "indirectly standardised ratio x 1"
    scaled = isratio(LOCAL, "x", "n", "x_ref", "n_ref", group_by=["area"], refvalue=100)
    assert close(scaled["value"][1], 150.0)
    assert scaled["statistic"][0] == "indirectly standardised ratio x 100"


def test_isratio_exact_limits_for_small_counts():
    # O = 7: exact limits are the Poisson tail solutions; check U via P(X <= 7 | U) = 0.025.
    out = isratio(LOCAL, "x", "n", "x_ref", "n_ref", group_by=["area"]).row(0, named=True)
    upper_count = out["uppercl"] * 5
    tail = math.fsum(math.exp(-upper_count) * upper_count**k / math.factorial(k) for k in range(8))
    assert close(tail, 0.025, rel=1e-9)


def test_israte_is_the_ratio_times_the_reference_rate():
    ratio = isratio(LOCAL, "x", "n", "x_ref", "n_ref", group_by=["area"])
    rate = israte(LOCAL, "x", "n", "x_ref", "n_ref", group_by=["area"])
    # ref rate per group = (10 + 40) / (1000 + 2000) * 100,000
    ref = 50 / 3000 * 100_000
    assert all(close(r, ref) for r in rate["ref_rate"])
    for column in ("value", "lowercl", "uppercl"):
        for a, b in zip(ratio[column], rate[column], strict=True):
            assert close(b, a * ref)
    assert rate["statistic"][0] == "indirectly standardised rate per 100000"


def test_isr_reference_joined_by_age_band_and_missing_values():
    fields = isratio(LOCAL, "x", "n", "x_ref", "n_ref", group_by=["area"])
    keyed = LOCAL.with_columns(band=pl.Series(["young", "old"] * 2))
    reference = ({"young": 10, "old": 40}, {"young": 1000, "old": 2000})
    assert (
        isratio(keyed, "x", "n", *reference, group_by=["area"], ageband="band")
        .drop("band", strict=False)
        .equals(fields)
    )
    shuffled = keyed.sample(fraction=1.0, shuffle=True, seed=5)
    assert (
        isratio(shuffled, "x", "n", *reference, group_by=["area"], ageband="band").sort("area").equals(fields)
    )
    with pytest.raises(ValueError, match="row position"):
        isratio(LOCAL, "x", "n", [10, 40], [1000, 2000], group_by=["area"])
    # NA reference events and NA local population contribute 0 expected; NA events are ignored.
    gaps = LOCAL.with_columns(
        pl.when(pl.int_range(pl.len()) == 0).then(None).otherwise(pl.col("x_ref")).alias("x_ref"),
        pl.when(pl.int_range(pl.len()) == 1).then(None).otherwise(pl.col("n")).alias("n"),
        pl.when(pl.int_range(pl.len()) == 2).then(None).otherwise(pl.col("x")).alias("x"),
    )
    out = isratio(gaps, "x", "n", "x_ref", "n_ref", group_by=["area"])
    assert out["expected"][0] == 0.0  # band 1 has no reference events, band 2 no population
    assert out["observed"][1] == 25


def test_isr_validation():
    with pytest.raises(ValueError, match="numerators"):
        isratio(LOCAL.with_columns(x=pl.lit(-1)), "x", "n", "x_ref", "n_ref")
