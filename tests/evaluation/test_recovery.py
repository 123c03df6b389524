"""Known truth from the synthetic generator, over repeated seeds.

What is sampled: for each seed, ASH 0–4 quarterly counts for 2021Q1–2025Q4, all 20 districts ×
four planted groups, drawn as Poisson around the generator's planted expected numerators
(pipelines.synthetic.quarterly_counts, the same model and population files the event extracts
come from; national scale, about 6,000 ASH admissions a quarter), with the planted changes below.
The 200-seed run is scripts/evaluation_coverage.py; here 30 seeds per scenario keep it fast.
"""

from __future__ import annotations

import numpy as np
import pytest

from pipelines.evaluation.recovery import coverage, local_scenario

SEEDS = range(30)


@pytest.fixture(scope="module")
def local():
    # Counties Manukau, total: level −15 % and −1 % a quarter from 2024Q1
    return coverage(local_scenario(level=-0.15, slope=-0.01), SEEDS)


@pytest.fixture(scope="module")
def national_only():
    # Every district −20 % from 2024Q1; nothing local
    return coverage(local_scenario(level=0.0, slope=0.0, national_level=-0.2), SEEDS)


@pytest.mark.parametrize("method", ["its", "did", "synthetic_control"])
def test_planted_local_change_is_inside_the_intervals_in_at_least_90_percent_of_seeds(local, method):
    assert local[method]["level"] >= 0.9
    assert local[method]["slope"] >= 0.9


@pytest.mark.parametrize("method", ["did", "synthetic_control"])
def test_a_national_change_is_not_credited_to_the_local_initiative(national_only, method):
    assert national_only[method]["level"] >= 0.9  # the interval holds zero: no local effect
    assert national_only[method]["level_excludes_zero"] <= 0.1


def test_its_alone_would_credit_the_national_change(national_only):
    """Why the comparison matters: the district's own before/after sees the national fall."""
    assert national_only["its"]["level_excludes_zero"] >= 0.5
    assert national_only["its"]["level"] < 0.5


def test_the_scenario_plants_what_it_says():
    s = local_scenario(level=-0.15, slope=-0.01, national_level=-0.2)
    assert s.true_level == pytest.approx(np.log(0.85))
    assert [p.district_code for p in s.plants] == ["023", "000"]
