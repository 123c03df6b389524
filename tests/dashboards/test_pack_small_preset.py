"""SPC false alarms and the milestone projection on the generator's small preset (known truth).

The generator plants an ASH 0–4 trend in three districts and no change anywhere else
(pipelines.synthetic.model). Quarterly points are built from its planted truth exactly as
sql/pack/quarterly_rates.sql builds them from the warehouse: the quarter's counted events (the
realised numerators, which tests/integration pins equal to marts.ash_0_4_events quarter by
quarter) over a quarter of the rolling window's population. Only the generator runs here (no
pipeline), to keep the suite fast; `python -m pipelines.dashboards.spc_share` runs the same share
on a real warehouse (the national demo).
"""

from __future__ import annotations

import polars as pl
import pytest

from pipelines.dashboards.pack import project
from pipelines.dashboards.quarterly import POINT_COLUMNS, special_cause_share
from pipelines.dashboards.spc_share import unplanted_series
from pipelines.synthetic import generate
from pipelines.synthetic.model import base_model
from pipelines.synthetic.reference import districts

SEED = 20260101
pytestmark = [pytest.mark.slow]


@pytest.fixture(scope="module")
def ash_points(tmp_path_factory):
    root = tmp_path_factory.mktemp("small")
    generate(preset="small", out_dir=root / "landing", truth_dir=root / "truth", years=4,
             end_quarter="2025Q4", seed=SEED, sources=["population", "nmds_events"])
    counts = (pl.read_parquet(root / "truth" / "planted_numerators.parquet")
              .filter(pl.col("measure_id") == "ash_0_4")
              .group_by("district_code", "period_label").agg(pl.col("realised_numerator").sum()))
    counts = pl.concat([counts, counts.group_by("period_label").agg(pl.col("realised_numerator").sum())
                       .select(pl.lit("000").alias("district_code"), "period_label", "realised_numerator")])
    population = (pl.read_parquet(root / "truth" / "truth.parquet")
                  .filter((pl.col("measure_id") == "ash_0_4") & (pl.col("group_id") == "total"))
                  .select("district_code", "period_end", pl.col("denominator").alias("population")))
    pts = counts.with_columns(
        pl.date(pl.col("period_label").str.slice(0, 4).cast(pl.Int32),
                pl.col("period_label").str.slice(5, 1).cast(pl.Int32) * 3, 1)
        .dt.month_end().alias("period_end"),
    ).join(population, on=["district_code", "period_end"], how="inner")
    suppressed = (pl.col("realised_numerator") > 0) & (pl.col("realised_numerator") < 5)
    return pts.select(
        "district_code", pl.lit("ash_0_4").alias("measure_id"), "period_end",
        pl.col("period_label"), pl.col("realised_numerator").alias("numerator"), "population",
        pl.when(suppressed).then(None).otherwise(
            pl.col("realised_numerator") / (pl.col("population") / 4) * 100_000).alias("value"),
        suppressed.alias("suppressed"), pl.lit(False).alias("withheld"), pl.lit("quarter").alias("kind"),
    ).cast(POINT_COLUMNS).sort("district_code", "period_end")


def test_few_special_cause_points_where_nothing_was_planted(ash_points):
    keep = unplanted_series(ash_points, SEED)
    flagged, charted = special_cause_share(ash_points, {"ash_0_4": "lower_is_better"}, keep)
    print(f"small preset: {flagged} of {charted} quarterly SPC points special cause where no change "
          "was planted")
    assert charted >= 13  # at least one district series is charted (13 quarters with a window)
    assert flagged / charted < 0.20


def test_projection_recovers_the_planted_trend(ash_points):
    """In each district the generator gave an ASH trend, the projection's 95% interval for the
    annual change contains the planted change, wherever the series can be projected."""
    trend = dict(zip((d.code3 for d in districts()), base_model(SEED).ash_trend, strict=True))
    rows = pl.DataFrame({"multiplier": [100_000.0]})
    checked = 0
    for code in sorted(c for c, t in trend.items() if t != 0):
        one = ash_points.filter(pl.col("district_code") == code)
        proj = project(one, rows, "lower_is_better", None)
        if proj is None:  # too few consecutive unsuppressed quarters at small-preset counts
            continue
        s = proj["summary"]
        assert s["annual_change_lowercl"] <= trend[code] <= s["annual_change_uppercl"], (code, s)
        checked += 1
    assert checked >= 1
