"""Non-overlapping points for SPC, and the XmR chart over them.

The headline line stays the rolling 12-month series; SPC runs on points that share no data
(pack-methods §3.4): quarterly rates for measures whose counted events are dated (SQL in
sql/pack/quarterly_rates.sql), or the published series itself when its windows already do not
overlap (six-monthly smokefree, calendar-year oral health). Other measures get no SPC, and the
pack says why rather than flagging overlapping windows.
"""

from __future__ import annotations

from collections.abc import Mapping

import duckdb
import polars as pl

from pipelines import stats
from pipelines.config import SQL_DIR
from pipelines.contracts.sql import literal
from pipelines.dashboards.frames import NATIONAL_CODE
from pipelines.measures.trend import MIN_POINTS
from pipelines.warehouse import execute, read_sql

QUARTERLY_SQL = SQL_DIR / "pack" / "quarterly_rates.sql"

# Measures whose counted events are one row per event with an event_date, over population cells
# (population_rate_cells): their quarters can be counted without overlap.
QUARTERLY_EVENT_MEASURES: dict[str, tuple[str, str, str]] = {
    "ash_0_4": ("marts.ash_0_4_events", "marts.ash_0_4_cells", "nmds_events"),
    "youth_self_harm": ("marts.youth_self_harm_events", "marts.youth_self_harm_cells", "nmds_events"),
}

POINT_COLUMNS = {
    "district_code": pl.String, "measure_id": pl.String, "period_end": pl.Date,
    "period_label": pl.String, "numerator": pl.Float64, "population": pl.Float64, "value": pl.Float64,
    "suppressed": pl.Boolean, "withheld": pl.Boolean, "kind": pl.String,
}


def empty_points() -> pl.DataFrame:
    return pl.DataFrame(schema=POINT_COLUMNS)


def _table_exists(con: duckdb.DuckDBPyConnection, qualified: str) -> bool:
    schema, name = qualified.split(".")
    return bool(execute(con, "SELECT 1 FROM duckdb_tables() WHERE schema_name = ? AND table_name = ? "
                             "UNION ALL SELECT 1 FROM duckdb_views() WHERE schema_name = ? AND view_name = ?",
                        [schema, name, schema, name]))


def quarterly_points(
    con: duckdb.DuckDBPyConnection, multipliers: Mapping[str, float], min_count: int = 5,
) -> pl.DataFrame:
    """Quarterly total rates per district (and 000) for every measure that allows them.

    multipliers: measure_id → multiplier (measures.yaml). A quarter with 1 to min_count − 1
    events is suppressed exactly as a published rate would be: never drawn, never charted.
    """
    execute(con, read_sql(QUARTERLY_SQL))
    frames = []
    for measure_id, (events, cells, source) in QUARTERLY_EVENT_MEASURES.items():
        if measure_id not in multipliers or not (_table_exists(con, events) and _table_exists(con, cells)):
            continue
        args = ", ".join(literal(a) for a in (events, cells, source))
        q = con.sql(f"SELECT * FROM pack_quarterly_rates({args})").pl()
        if q.is_empty():
            continue
        suppressed = (pl.col("numerator") > 0) & (pl.col("numerator") < min_count)
        frames.append(q.select(
            "district_code", pl.lit(measure_id).alias("measure_id"), "period_end",
            pl.col("quarter").alias("period_label"), pl.col("numerator").cast(pl.Float64),
            pl.col("population").cast(pl.Float64),
            pl.when(suppressed | pl.col("withheld") | ~(pl.col("population") > 0)).then(None)
            .otherwise(pl.col("numerator") / (pl.col("population") / 4) * multipliers[measure_id])
            .alias("value"),
            suppressed.alias("suppressed"), "withheld", pl.lit("quarter").alias("kind"),
        ).pipe(_hide_recoverable_series))
    return pl.concat(frames).cast(POINT_COLUMNS) if frames else empty_points()


def _hide_recoverable_series(points: pl.DataFrame) -> pl.DataFrame:
    """Complementary suppression for quarterly points (docs/suppression.md). Four quarters add up
    to a published rolling 12-month window, and the districts' quarters add up to New Zealand's,
    so one suppressed quarter could be recovered by subtraction. A district series with any
    suppressed quarter is therefore not shown at all, and New Zealand's quarterly series is not
    shown when any district's is hidden (its rolling 12-month series still is)."""
    national = pl.col("district_code") == NATIONAL_CODE
    hidden = points.filter(~national).group_by("district_code").agg(pl.col("suppressed").any())
    hidden = set(hidden.filter(pl.col("suppressed"))["district_code"].to_list())
    hide = pl.col("district_code").is_in(list(hidden)) | (national & pl.lit(bool(hidden)))
    return points.with_columns(
        pl.when(hide).then(None).otherwise(pl.col("value")).alias("value"),
        (pl.col("suppressed") | hide).alias("suppressed"),
    )


def non_overlapping(rows: pl.DataFrame) -> bool:
    """True when the series' windows share no days (each starts after the previous one ends)."""
    ordered = rows.select("period_start", "period_end").unique().sort("period_end")
    if ordered.height < 2:
        return False
    starts = ordered.get_column("period_start").to_list()[1:]
    ends = ordered.get_column("period_end").to_list()[:-1]
    return all(s > e for s, e in zip(starts, ends, strict=True))


def published_points(rows: pl.DataFrame) -> pl.DataFrame:
    """A published (normalised) total series as SPC points, when its windows do not overlap."""
    total = rows.filter(pl.col("group_id") == "total")
    if total.is_empty() or not non_overlapping(total):
        return empty_points()
    return total.select(
        "district_code", "measure_id", "period_end", "period_label", "numerator",
        pl.col("denominator").alias("population"), "value", "suppressed",
        (pl.col("status") != "published").alias("withheld"),
        pl.lit("period").alias("kind"),
    ).cast(POINT_COLUMNS).sort("period_end")


def improvement_direction(direction: str | None) -> str:
    return {"lower_is_better": "decrease", "higher_is_better": "increase"}.get(direction or "", "neutral")


def usable_run(points: pl.DataFrame, counts: bool = False) -> pl.DataFrame:
    """The unbroken run of usable points ending at the latest one: SPC and the projection need
    consecutive points. For SPC a point is usable when its value is shown (withheld or suppressed
    points break the series); with counts=True (the projection, which fits counts and shows only
    the fitted trend, never a quarter's count) a suppressed quarter's count is used and only a
    withheld quarter breaks the series."""
    pts = points.sort("period_end")
    usable = (pts.select(pl.col("numerator").is_not_null() & ~pl.col("withheld")).to_series().to_list()
              if counts else pts.get_column("value").is_not_null().to_list())
    run = 0
    for ok in reversed(usable):
        if not ok:
            break
        run += 1
    return pts.tail(run) if run else pts.clear()


def spc_over(points: pl.DataFrame, direction: str | None, target: float | None = None) -> pl.DataFrame | None:
    """XmR (pipelines.stats.spc, with the milestone as target) over one series' usable run of
    points, or None when it has fewer than MIN_POINTS points."""
    run = usable_run(points)
    if run.height < MIN_POINTS:
        return None
    return stats.spc(run, "value", "period_end", improvement_direction=improvement_direction(direction),
                     target=target)


def special_cause_share(points: pl.DataFrame, directions: Mapping[str, str | None],
                        series: pl.DataFrame | None = None) -> tuple[int, int]:
    """(points flagged special cause, points charted) over every district series in `points`.

    series: optional (district_code, measure_id) pairs to restrict to (e.g. no planted change).
    """
    flagged = charted = 0
    pts = points.filter(pl.col("district_code") != "000")
    if series is not None:
        pts = pts.join(series.select("district_code", "measure_id").unique(),
                       on=["district_code", "measure_id"], how="semi")
    for (_, measure_id), one in pts.group_by(["district_code", "measure_id"], maintain_order=True):
        chart = spc_over(one, directions.get(measure_id))
        if chart is None:
            continue
        charted += chart.height
        flagged += chart.filter(pl.col("point_type") != "common_cause").height
    return flagged, charted
