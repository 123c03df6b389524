"""Edge cases of the statistic modules that publish() dispatches to."""

from __future__ import annotations

import datetime as dt

import polars as pl

from pipelines import stats
from pipelines.measures.cell_statistics import _crude


def cells(groups: dict[str, tuple[int, int]], district: str = "011") -> pl.DataFrame:
    n = len(groups)
    return pl.DataFrame({
        "period_start": [dt.date(2024, 1, 1)] * n, "period_end": [dt.date(2024, 12, 31)] * n,
        "district_code": [district] * n, "group_id": list(groups), "breakdown": [""] * n,
        "stratum": [""] * n, "numerator": [g[0] for g in groups.values()],
        "denominator": [g[1] for g in groups.values()], "withheld": [False] * n,
        "blocking_rules": [[] for _ in range(n)],
    })


def test_no_comparison_where_the_comparator_has_no_population():
    both = pl.concat([cells({"maori": (3, 100), "nmnp": (0, 0)}, "011"),
                      cells({"maori": (4, 100), "nmnp": (2, 400)}, "022")])
    out = _crude.compare(both, stats.rate_ratio_difference, "nmnp", 0.95, 100_000)
    assert out["district_code"].to_list() == ["022"]
    assert out["ratio"].item() == 4 / 100 / (2 / 400)
