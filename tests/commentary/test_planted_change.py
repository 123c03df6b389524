"""The generator's opt-in planted change: off by default, exactly where asked when on."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from pipelines.synthetic.calendar import Quarter
from pipelines.synthetic.nmds import planted_rates
from pipelines.synthetic.planted_change import PlantedChange
from pipelines.synthetic.reference import GROUP_IDS
from pipelines.synthetic.streams import ASH, BED_DAYS, build_streams, calibrated_model, expected_by_cell


@pytest.fixture(scope="module")
def model():
    return calibrated_model(20260101)


def _rates(m, label):
    return planted_rates(m, build_streams(m), Quarter.parse(label))


def test_group_change_multiplies_only_that_groups_ash_rate_from_its_quarter(model):
    planted = replace(model, ash_change=PlantedChange.parse("group=pacific:x3@2025Q1"))
    pac = GROUP_IDS.index("pacific")
    before, after = _rates(model, "2025Q2"), _rates(planted, "2025Q2")
    assert np.allclose(after[ASH][:, pac], 3 * before[ASH][:, pac])
    others = [g for g in range(4) if g != pac]
    assert np.array_equal(after[ASH][:, others], before[ASH][:, others])
    assert np.array_equal(_rates(planted, "2024Q4")[ASH], _rates(model, "2024Q4")[ASH])  # before the step


def test_condition_change_touches_only_dental_streams(model):
    planted = replace(model, ash_change=PlantedChange.parse("condition=dental:x4@2025Q1"))
    q = Quarter.parse("2025Q3")
    years = model.years_since_reference(q)
    ones = np.ones((20, 4, 91, 2))
    for s0, s1 in zip(build_streams(model), build_streams(planted), strict=True):
        a, b = expected_by_cell(s0, model, ones, years), expected_by_cell(s1, planted, ones, years)
        factor = 4.0 if "dental" in s0.name and s0.ash_trend else 1.0
        assert np.allclose(b, factor * a), s0.name
    # bed days of dental admissions rise with them; nothing else does
    assert not np.array_equal(_rates(planted, "2025Q3")[BED_DAYS], _rates(model, "2025Q3")[BED_DAYS])


@pytest.mark.parametrize("spec, message", [
    ("group=pasifika:x2@2025Q1", "unknown group 'pasifika'"),
    ("condition=asthma:x2@2025Q1", "unknown condition 'asthma'"),
    ("pacific x2", "expected group=<id>:x<factor>@<quarter>"),
])
def test_bad_specs_say_what_is_expected(spec, message):
    with pytest.raises(ValueError, match=message):
        PlantedChange.parse(spec)
