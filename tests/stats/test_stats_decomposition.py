"""Decomposition of a change: hand-built cases (exact fractions) and planted changes."""

from __future__ import annotations

from fractions import Fraction as F

import numpy as np
import polars as pl
import pytest

from pipelines.stats import cause_contributions, kitagawa, product_change

# Two strata. Year 1: A 10/100, B 40/100 (crude 50/200). Year 2: A 30/200, B 40/100 (crude 70/300).
HAND = pl.DataFrame(
    {
        "year": [1, 1, 2, 2],
        "age": ["A", "B", "A", "B"],
        "x": [10, 40, 30, 40],
        "n": [100, 100, 200, 100],
    }
)


def _hand_expected() -> dict:
    c1, c2 = {"A": F(1, 2), "B": F(1, 2)}, {"A": F(2, 3), "B": F(1, 3)}
    r1, r2 = {"A": F(1, 10), "B": F(2, 5)}, {"A": F(3, 20), "B": F(2, 5)}
    return {
        s: ((c2[s] - c1[s]) * (r1[s] + r2[s]) / 2, (r2[s] - r1[s]) * (c1[s] + c2[s]) / 2) for s in ("A", "B")
    }


def test_kitagawa_hand_case_and_exact_sum():
    out = kitagawa(HAND, "age", "x", "n", "year", 1, 2, multiplier=1)
    expected = _hand_expected()
    for row in out.iter_rows(named=True):
        composition, rate = expected[row["age"]]
        assert row["composition_effect"] == pytest.approx(float(composition), rel=1e-14)
        assert row["rate_effect"] == pytest.approx(float(rate), rel=1e-14, abs=0)
    # A = 1/48 composition + 7/240 rate; B = -1/15 composition + 0 rate; total -1/60.
    assert out["rate_effect"].to_list()[1] == 0.0
    change = F(70, 300) - F(50, 200)
    assert change == F(-1, 60)
    assert out["change"][0] == pytest.approx(float(change), rel=1e-14)
    assert out["total_effect"].sum() == pytest.approx(out["change"][0], rel=1e-13)
    assert out["crude_before"][0] == pytest.approx(0.25, rel=1e-15)


def test_kitagawa_joins_strata_on_their_key_not_row_order():
    shuffled = HAND.sample(fraction=1.0, shuffle=True, seed=3)
    a = kitagawa(HAND, "age", "x", "n", "year", 1, 2).sort("age")
    b = kitagawa(shuffled, "age", "x", "n", "year", 1, 2).sort("age")
    assert a.equals(b)


def test_kitagawa_stratum_missing_in_one_period_keeps_the_identity():
    extra = pl.concat([HAND, pl.DataFrame({"year": [2], "age": ["C"], "x": [5], "n": [50]})])
    out = kitagawa(extra, "age", "x", "n", "year", 1, 2)
    c = out.filter(pl.col("age") == "C").row(0, named=True)
    assert c["rate_before"] is None and c["rate_effect"] == 0.0
    assert out["total_effect"].sum() == pytest.approx(out["change"][0], rel=1e-12)
    with pytest.raises(ValueError, match="repeats"):
        kitagawa(pl.concat([HAND, HAND]), "age", "x", "n", "year", 1, 2)
    with pytest.raises(ValueError, match="period"):
        kitagawa(HAND, "age", "x", "n", "year", 1, 3)


def test_kitagawa_finds_a_change_planted_in_one_ethnic_group():
    # Synthetic truth per district: three ethnic groups, populations shifting towards Pacific, and
    # the admission rate changed only for Māori (12 -> 9 per 1,000). Expected counts, no noise, so
    # every other group's rate effect is exactly zero and Māori carry the whole rate effect.
    rows = []
    for district, scale in (("d1", 1.0), ("d2", 2.5)):
        pops = {
            1: {"maori": 20_000, "pacific": 8_000, "nmnp": 72_000},
            2: {"maori": 20_500, "pacific": 9_500, "nmnp": 72_500},
        }
        rates = {
            1: {"maori": 12e-3, "pacific": 15e-3, "nmnp": 6e-3},
            2: {"maori": 9e-3, "pacific": 15e-3, "nmnp": 6e-3},
        }
        for year in (1, 2):
            for group, pop in pops[year].items():
                n = pop * scale
                rows.append(
                    {"district": district, "year": year, "group": group, "x": n * rates[year][group], "n": n}
                )
    out = kitagawa(
        pl.DataFrame(rows), "group", "x", "n", "year", 1, 2, group_by=["district"], multiplier=1000
    )
    for district in ("d1", "d2"):
        part = out.filter(pl.col("district") == district)
        effects = dict(zip(part["group"], part["rate_effect"], strict=True))
        assert effects["pacific"] == 0.0 and effects["nmnp"] == 0.0
        assert effects["maori"] < 0
        assert part["total_effect"].sum() == pytest.approx(part["change"][0], rel=1e-12)


CAUSES = pl.DataFrame(
    {
        "year": [1, 1, 1, 2, 2, 2],
        "cause": ["respiratory", "dental", "gastro", "respiratory", "dental", "gastro"],
        "x": [10, 5, 5, 6, 9, 5],
        "n": [1000, 1000, 1000, 1250, 1250, 1250],
    }
)


def test_cause_contributions_hand_case():
    # Rate per 1,000: 20 -> 16. Respiratory -4/1250*1000 = -3.2, dental +3.2, gastro 0, and the
    # population growth 20 * (1/1250 - 1/1000) * 1000 = -4.
    out = cause_contributions(CAUSES, "cause", "x", "year", 1, 2, population="n", multiplier=1000)
    got = dict(zip(out["cause"], out["contribution"], strict=True))
    assert got["respiratory"] == pytest.approx(-3.2, rel=1e-14)
    assert got["dental"] == pytest.approx(3.2, rel=1e-14)
    assert got["gastro"] == 0.0
    assert got["population change"] == pytest.approx(-4.0, rel=1e-14)
    assert out["change"][0] == pytest.approx(-4.0, rel=1e-14)
    assert sum(got.values()) == pytest.approx(out["change"][0], rel=1e-13)
    counts = cause_contributions(CAUSES, "cause", "x", "year", 1, 2)
    assert counts["contribution"].to_list() == [-4.0, 4.0, 0.0]
    assert counts["change"][0] == 0.0


def test_cause_contributions_find_a_change_planted_in_one_condition_group():
    rng = np.random.default_rng(11)
    rows = []
    for district in ("d1", "d2", "d3"):
        base = {"respiratory": 300, "dental": 120, "gastro": 90, "skin": 60}
        for year in (1, 2):
            for cause, mean in base.items():
                planted = mean * (0.6 if (cause == "dental" and year == 2) else 1.0)
                rows.append(
                    {
                        "d": district,
                        "year": year,
                        "cause": cause,
                        "x": rng.poisson(planted * 50),
                        "n": 400_000,
                    }
                )
    out = cause_contributions(pl.DataFrame(rows), "cause", "x", "year", 1, 2, population="n", group_by=["d"])
    for district in ("d1", "d2", "d3"):
        part = out.filter(pl.col("d") == district)
        assert part["contribution"].sum() == pytest.approx(part["change"][0], rel=1e-12, abs=1e-12)
        ranked = part.filter(pl.col("cause") != "population change").sort("contribution")
        assert ranked["cause"][0] == "dental"  # the planted fall is the largest contribution
        assert part["cause"][-1] == "population change"
    with pytest.raises(ValueError, match="one value per group"):
        bad = CAUSES.with_columns(
            pl.when(pl.col("cause") == "dental").then(999).otherwise(pl.col("n")).alias("n")
        )
        cause_contributions(bad, "cause", "x", "year", 1, 2, population="n")


def test_product_change_admissions_and_length_of_stay():
    frame = pl.DataFrame({"year": [1, 2], "admissions": [1.0, 1.2], "los": [5.0, 4.0]})
    row = product_change(frame, "admissions", "los", "year", 1, 2).row(0, named=True)
    assert row["admissions_effect"] == pytest.approx(0.2 * 4.5, rel=1e-14)
    assert row["los_effect"] == pytest.approx(-1.0 * 1.1, rel=1e-14)
    assert row["change"] == pytest.approx(4.8 - 5.0, rel=1e-13)
    assert row["admissions_effect"] + row["los_effect"] == pytest.approx(row["change"], rel=1e-13)
