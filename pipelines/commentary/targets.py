"""Milestones for "what would it take?", in the shape of the pack's targets file (issue 12:
district_code, measure_id, year, group, milestone, period_end — a milestone for year Y is judged
on the window ending 30 June Y).

The targets file, its contract and its loader belong to the ALT pack (pipelines/dashboards/
targets.py and pack_inputs.py on branch `pack`). Until that is merged, load_targets() finds no
loader and returns None, and the drafts carry no milestone sentence; the gap arithmetic
(milestones.py) takes the target as an input and is tested on hand-built targets. Once merged,
the commentary reads the same milestones as the first page, with no further wiring.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl

GROUPS = ("total", "maori", "pacific")  # the pack's *_gap milestones are rate ratios: not events


def load_targets(path: Path | None = None, con=None) -> pl.DataFrame | None:
    """The pack's validated milestones (pack_inputs.pack_targets: `path`, else SLM_TARGETS, else
    the example file it ships), or None while the pack's loader is not in this tree."""
    try:
        from pipelines.dashboards.pack_inputs import pack_targets
    except ImportError:
        return None
    return pack_targets(path, con)


def next_milestones(targets: pl.DataFrame, district_code: str, measure_id: str, latest_end: date) -> pl.DataFrame:
    """Per group, the first milestone judged on a window ending at or after the latest data:
    group_id, target_value, target_label ("year to Jun 2027")."""
    mine = targets.filter((pl.col("district_code") == district_code) & (pl.col("measure_id") == measure_id)
                          & pl.col("group").is_in(GROUPS) & (pl.col("period_end") >= latest_end))
    return (mine.sort("period_end").group_by("group", maintain_order=True).first()
            .select(pl.col("group").alias("group_id"), pl.col("milestone").alias("target_value"),
                    pl.concat_str(pl.lit("year to "), pl.col("period_end").dt.strftime("%b %Y"))
                    .alias("target_label")))
