"""The one grouping rule, non-independent-events DSRs (PHE calculate_dsr) and ESP 2013."""

from __future__ import annotations

import math
from pathlib import Path

import polars as pl
import pytest

from pipelines.stats import crude_rate, dsr, israte, isratio, mean, proportion, weighted_mean
from pipelines.stats.dsr import NON_INDEPENDENT_METHOD
from tests.stats._helpers import close

Z95 = 1.959963984540054
FRAME = pl.DataFrame(
    {
        "g": ["a", "a", "b", "b"],
        "band": ["young", "old", "young", "old"],
        "x": [10, 30, 12, 25],
        "n": [1000, 2000, 1100, 1900],
        "w": [6000.0, 4000.0, 6000.0, 4000.0],
        "x_ref": [22, 55, 22, 55],
        "n_ref": [2100, 3900, 2100, 3900],
    }
)
CALLS = {
    "crude_rate": lambda df, g: crude_rate(df, "x", "n", group_by=g),
    "proportion": lambda df, g: proportion(df, "x", "n", group_by=g),
    "mean": lambda df, g: mean(df, "x", group_by=g),
    "weighted_mean": lambda df, g: weighted_mean(df, "x", "n", group_by=g),
    "dsr": lambda df, g: dsr(df, "x", "n", "w", group_by=g),
    "isratio": lambda df, g: isratio(df, "x", "n", "x_ref", "n_ref", group_by=g),
    "israte": lambda df, g: israte(df, "x", "n", "x_ref", "n_ref", group_by=g),
}


@pytest.mark.parametrize("name", sorted(CALLS))
def test_group_by_none_means_the_whole_frame_for_every_function(name):
    call = CALLS[name]
    whole, empty, grouped = call(FRAME, None), call(FRAME, []), call(FRAME, ["g"])
    assert whole.height == 1
    assert whole.equals(empty)
    assert grouped.height == 2 and grouped["g"].to_list() == ["a", "b"]
    # The whole frame is the same as a one-group frame.
    one = call(FRAME.with_columns(g=pl.lit("all")), ["g"]).drop("g")
    assert whole.equals(one)


def test_group_by_must_be_a_list():
    with pytest.raises(ValueError, match="list of column names"):
        crude_rate(FRAME, "x", "n", group_by="g")


def _events() -> pl.DataFrame:
    # Band A: n 1000, w 6000; 8 people with 1 event, 3 with 2, 1 with 3 (17 events).
    # Band B: n 2000, w 4000; 20 with 1, 2 with 2, 0 with 3 (24 events).
    return pl.DataFrame(
        {
            "band": ["A"] * 3 + ["B"] * 3,
            "freq": [1, 2, 3] * 2,
            "people": [8, 3, 1, 20, 2, 0],
            "n": [1000] * 3 + [2000] * 3,
            "w": [6000] * 3 + [4000] * 3,
        }
    )


def test_non_independent_dsr_by_hand():
    out = dsr(_events(), "people", "n", "w", independent_events=False, eventfreq="freq", ageband="band")
    row = out.row(0, named=True)
    assert row["total_count"] == 41  # events, not people
    assert close(row["value"], (17 * 6 + 24 * 2) / 10_000 * 100_000)  # 1500
    # var_f = sum_i x_if (w_i/n_i)^2 / (sum w)^2: f=1 (8*36 + 20*4), f=2 (3*36 + 2*4), f=3 (1*36);
    # custom = 1*368 + 4*116 + 9*36 = 1156, over 1e8. Same as sum_i (w_i/n_i)^2 sum_f f^2 x_if.
    assert close(row["variance"], 1156e-8, rel=1e-13)
    byar_low = 41 * (1 - 1 / (9 * 41) - Z95 / (3 * math.sqrt(41))) ** 3
    byar_high = 42 * (1 - 1 / (9 * 42) + Z95 / (3 * math.sqrt(42))) ** 3
    spread = math.sqrt(1156e-8 / 41) * 100_000
    assert close(row["lowercl"], 1500 + spread * (byar_low - 41))
    assert close(row["uppercl"], 1500 + spread * (byar_high - 41))
    assert row["method"] == NON_INDEPENDENT_METHOD
    # Wider than treating the 41 events as independent (variance 36*17 + 4*24 = 708).
    independent = dsr(
        _events()
        .group_by("band", maintain_order=True)
        .agg((pl.col("people") * pl.col("freq")).sum(), pl.col("n").first(), pl.col("w").first()),
        "people",
        "n",
        "w",
    ).row(0, named=True)
    assert close(independent["variance"], 708e-8, rel=1e-13)
    assert independent["value"] == pytest.approx(row["value"], rel=1e-15)


def test_non_independent_with_one_event_each_equals_independent_and_joins_by_band():
    single = _events().filter(pl.col("freq") == 1)
    plain = dsr(single, "people", "n", "w")
    adjusted = dsr(single, "people", "n", "w", independent_events=False, eventfreq="freq", ageband="band")
    assert adjusted.drop("method").equals(plain.drop("method"))
    weights = {"A": 6000, "B": 4000}
    keyed = dsr(
        _events().reverse(),
        "people",
        "n",
        weights,
        independent_events=False,
        eventfreq="freq",
        ageband="band",
    )
    assert keyed.equals(
        dsr(_events(), "people", "n", "w", independent_events=False, eventfreq="freq", ageband="band")
    )


def test_non_independent_validation():
    with pytest.raises(ValueError, match="eventfreq and ageband"):
        dsr(_events(), "people", "n", "w", independent_events=False)
    varied = _events().with_columns(pl.when(pl.col("freq") == 2).then(999).otherwise(pl.col("n")).alias("n"))
    with pytest.raises(ValueError, match="same for every event frequency"):
        dsr(varied, "people", "n", "w", independent_events=False, eventfreq="freq", ageband="band")
    with pytest.raises(ValueError, match="numeric"):
        dsr(
            _events().with_columns(pl.col("freq").cast(pl.String)),
            "people",
            "n",
            "w",
            independent_events=False,
            eventfreq="freq",
            ageband="band",
        )


ESP2013 = [
    5000,
    5500,
    5500,
    5500,
    6000,
    6000,
    6500,
    7000,
    7000,
    7000,
    7000,
    6500,
    6000,
    5500,
    5000,
    4000,
    2500,
    1500,
    1000,
]


def test_esp2013_shipped_beside_who_and_segi():
    table = pl.read_csv(
        Path(__file__).parents[2] / "reference" / "standard_population.csv", infer_schema=False
    )
    esp = dict(table.select("age_group", pl.col("esp2013_pct").cast(pl.Float64)).drop_nulls().iter_rows())
    bands = [f"{lo}-{lo + 4}" for lo in range(0, 90, 5)] + ["90+"]
    assert [esp[b] * 1000 for b in bands] == pytest.approx(ESP2013, rel=1e-12)
    assert sum(esp[b] for b in bands) == pytest.approx(100.0, rel=1e-12)
    assert esp["85+"] == pytest.approx(2.5, rel=1e-12)  # 85-89 + 90+
    # The WHO and Segi columns are untouched; the appended 90+ row is ESP-only.
    ninety = table.filter(pl.col("age_group") == "90+").row(0, named=True)
    assert ninety["who_2000_2025_pct"] is None and ninety["segi_pct"] is None
    assert table["age_group"].to_list()[:-1] == [f"{lo}-{lo + 4}" for lo in range(0, 100, 5)] + [
        "100+",
        "85+",
    ]
