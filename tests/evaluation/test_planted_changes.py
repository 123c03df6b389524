"""The generator's opt-in planted changes: exactly the planted factor, only where asked, and the
fast quarterly path draws around the same expected numerators as the full generator."""

from __future__ import annotations

import json

import numpy as np
import polars as pl
import pytest

from pipelines.synthetic import generate
from pipelines.synthetic.calendar import Quarter, quarter_range
from pipelines.synthetic.plants import PlantedChange
from pipelines.synthetic.quarterly_counts import planted_quarterly_counts

SPEC = "ash_0_4@011@maori@2025Q2@-0.2@-0.05"


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    root = tmp_path_factory.mktemp("planted")
    generate("small", root / "landing", root / "truth", years=1, end_quarter="2025Q4", seed=7,
             sources=["population", "nmds_events"], plants=[SPEC])
    return root


def test_the_truth_holds_exactly_the_planted_factor_and_nothing_else(planted):
    truth = pl.read_parquet(planted / "truth" / "planted_numerators.parquet").filter(
        pl.col("measure_id") == "ash_0_4")
    quarters = quarter_range(Quarter.parse("2025Q4"), 1)
    fast = planted_quarterly_counts(7, quarters, "ash_0_4", scale=0.015)
    joined = truth.join(fast.rename({"quarter": "period_label"}),
                        on=["period_label", "district_code", "group_id"])
    assert joined.height == 4 * 20 * 4
    factor = {"2025Q1": 1.0, "2025Q2": 0.8, "2025Q3": 0.8 * 0.95, "2025Q4": 0.8 * 0.95 ** 2}
    target = (pl.col("district_code") == "011") & (pl.col("group_id") == "maori")
    hit = joined.filter(target)
    assert hit["expected_numerator"].to_numpy() == pytest.approx(
        hit["expected"].to_numpy() * np.array([factor[q] for q in hit["period_label"]]), rel=1e-12)
    rest = joined.filter(~target)
    assert rest["expected_numerator"].to_numpy() == pytest.approx(rest["expected"].to_numpy(), rel=1e-12)
    manifest = json.loads((planted / "truth" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["plants"] == [{"measure_id": "ash_0_4", "district_code": "011",
                                   "group_id": "maori", "start": "2025Q2", "level": -0.2,
                                   "slope": -0.05}]


def test_a_national_change_applies_to_every_district():
    q = Quarter.parse("2024Q1")
    p = PlantedChange("ash_0_4", q, -0.2, 0.0)
    assert np.all(p.factor(q) == pytest.approx(0.8))
    assert np.all(p.factor(Quarter.parse("2023Q4")) == 1.0)


@pytest.mark.parametrize(("spec", "message"), [
    ("ash_0_4@999@maori@2024Q1@-0.1", "unknown district"),
    ("ash_0_4@011@kiwi@2024Q1@-0.1", "unknown group"),
    ("ash_0_4@011@maori@2024Q1", "expected measure@district@group@start@level"),
    ("ash_0_4@011@maori@2024Q1@-1.5", "above -1"),
])
def test_bad_plant_specs_say_what_is_wrong(spec, message):
    with pytest.raises(ValueError, match=message):
        PlantedChange.parse(spec)


def test_only_planted_nmds_measures_can_be_planted(tmp_path):
    with pytest.raises(ValueError, match="not a planted NMDS measure"):
        generate("small", tmp_path / "l", tmp_path / "t", years=1, sources=["population"],
                 plants=["amenable_mortality@011@maori@2024Q1@-0.1"])
