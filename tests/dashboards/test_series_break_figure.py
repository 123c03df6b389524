"""The trend chart marks a series break where marts.measures says one is (series_break), e.g.
Canterbury short-stay ED cases leaving the NMDS in December 2020 (issue 9)."""

from __future__ import annotations

import polars as pl
from conftest import quarter_ends

from pipelines.dashboards.figures import trend_figure

NOTE = "Canterbury short-stay ED cases are reported to NNPAC, not the NMDS, from December 2020"


def test_trend_marks_the_first_window_across_a_series_break(tiny_series):
    ends = quarter_ends(4)
    rows = tiny_series[0].with_columns(
        (pl.col("period_end") >= ends[1]).alias("series_break"),
        pl.when(pl.col("period_end") >= ends[1]).then(pl.lit(NOTE)).alias("series_note"))
    fig = trend_figure(rows).build()
    breaks = [a for a in fig.layout.annotations if a.text == "series break"]
    assert [a.x for a in breaks] == [ends[1].isoformat()] and breaks[0].hovertext == NOTE
    assert ends[1].isoformat() in [s.x0 for s in fig.layout.shapes]


def test_no_mark_without_a_break(tiny_series):
    rows = tiny_series[0].with_columns(pl.lit(False).alias("series_break"))
    assert "series break" not in [a.text for a in trend_figure(rows).build().layout.annotations]
    assert "series break" not in [a.text for a in trend_figure(tiny_series[0]).build().layout.annotations]
