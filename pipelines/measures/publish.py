"""From a measure's cells to the tidy published rows: statistics, suppression, withholding.

Cells (marts.<measure>_cells) hold numerator and denominator per window × district × prioritised
ethnic group (× breakdown × stratum). Here they are summed into the reporting groups, the
measure's statistic is applied with pipelines.stats, and every row is labelled with what a
reader needs: method, confidence, suppression and why, withheld and why, definition version.
"""

from __future__ import annotations

import duckdb
import polars as pl

from pipelines import stats
from pipelines.config import SQL_DIR
from pipelines.measures.definitions import Measure, MeasureConfig
from pipelines.warehouse import read_sql

MEASURE_COLUMNS = [
    "district_code", "district_name", "measure_id", "measure_name", "period_start", "period_end",
    "period_label", "group_id", "breakdown", "numerator", "denominator", "value", "lower_ci",
    "upper_ci", "confidence", "unit", "multiplier", "method", "suppressed", "suppression_reason",
    "status", "status_reason", "definition_version", "definition_status", "direction",
]


def group_sets(con: duckdb.DuckDBPyConnection, measure: Measure) -> pl.DataFrame:
    sql = read_sql(SQL_DIR / "measures" / "_group_sets.sql").format(
        cells=f"marts.{measure.measure_id}_cells")
    return con.sql(sql).pl()


def publish(con: duckdb.DuckDBPyConnection, measure: Measure, config: MeasureConfig) -> pl.DataFrame:
    cells = group_sets(con, measure)
    confidence = float(config.defaults.get("confidence", 0.95))
    if measure.statistic == "crude_rate":
        rows = _crude(cells, measure, confidence, stats.crude_rate, {"multiplier": measure.multiplier})
    elif measure.statistic == "proportion":
        rows = _crude(cells, measure, confidence, stats.proportion, {"multiplier": measure.multiplier})
    else:
        raise NotImplementedError(f"{measure.measure_id}: statistic {measure.statistic!r}")
    rows = _suppress(rows, config)
    rows = _withhold(rows)
    return _label(con, rows, measure, confidence)


def _crude(cells: pl.DataFrame, measure: Measure, confidence: float, statistic, kwargs) -> pl.DataFrame:
    """Crude rates and proportions: strata are summed, then one statistic per row."""
    keys = ["period_start", "period_end", "district_code", "group_id", "breakdown"]
    summed = cells.group_by(keys, maintain_order=True).agg(
        pl.col("numerator").sum(), pl.col("denominator").sum(),
        pl.col("withheld").any(), pl.col("blocking_rules").first(),
    )
    has_population = summed.filter(pl.col("denominator") > 0)
    scored = statistic(has_population, "numerator", "denominator", group_by=None,
                       confidence=confidence, **kwargs)
    scored = scored.rename({"lowercl": "lower_ci", "uppercl": "upper_ci"})
    no_population = summed.filter(~(pl.col("denominator") > 0) | pl.col("denominator").is_null())
    return pl.concat(
        [scored.select(*keys, "numerator", "denominator", "value", "lower_ci", "upper_ci", "method",
                       "withheld", "blocking_rules"),
         no_population.with_columns(
             pl.lit(None, pl.Float64).alias("value"), pl.lit(None, pl.Float64).alias("lower_ci"),
             pl.lit(None, pl.Float64).alias("upper_ci"), pl.lit("no population").alias("method"),
         ).select(*keys, "numerator", "denominator", "value", "lower_ci", "upper_ci", "method",
                  "withheld", "blocking_rules")],
        how="vertical_relaxed",
    )


def _suppress(rows: pl.DataFrame, config: MeasureConfig) -> pl.DataFrame:
    """One rule for every published output (measures.yaml → suppression). The values stay in the
    warehouse so analysts can see them; exports and dashboards never show a suppressed one."""
    threshold = int(config.suppression.get("min_numerator_count", 5))
    small = pl.col("numerator") < threshold
    return rows.with_columns(
        small.fill_null(False).alias("suppressed"),
        pl.when(small).then(pl.lit(f"fewer than {threshold} events")).otherwise(None)
        .alias("suppression_reason"),
    )


def _withhold(rows: pl.DataFrame) -> pl.DataFrame:
    """A window containing a blocked period publishes nothing: the numbers rest on data that
    broke an error-severity contract rule."""
    withheld = pl.col("withheld").fill_null(False)
    reason = pl.concat_str(
        pl.lit("contract rule failed: "), pl.col("blocking_rules").list.join(", "))
    return rows.with_columns(
        pl.when(withheld).then(pl.lit("withheld")).otherwise(pl.lit("published")).alias("status"),
        pl.when(withheld).then(reason).otherwise(None).alias("status_reason"),
        *[pl.when(withheld).then(None).otherwise(pl.col(c)).alias(c)
          for c in ("value", "lower_ci", "upper_ci")],
    )


def _label(con, rows: pl.DataFrame, measure: Measure, confidence: float) -> pl.DataFrame:
    names = con.sql("SELECT code3 AS district_code, dhb_name AS district_name FROM ref.districts").pl()
    names = pl.concat([names, pl.DataFrame({"district_code": ["000"], "district_name": ["New Zealand"]})])
    return (
        rows.join(names, on="district_code", how="left")
        .with_columns(
            pl.lit(measure.measure_id).alias("measure_id"),
            pl.lit(measure.name).alias("measure_name"),
            period_label_expr().alias("period_label"),
            pl.lit(confidence).alias("confidence"),
            pl.lit(measure.unit).alias("unit"),
            pl.lit(measure.multiplier).alias("multiplier"),
            pl.lit(measure.definition_version).alias("definition_version"),
            pl.lit(measure.definition_status).alias("definition_status"),
            pl.lit(measure.direction).alias("direction"),
            pl.col("numerator").cast(pl.Float64),
            pl.col("denominator").cast(pl.Float64),
        )
        .select(MEASURE_COLUMNS)
        .sort("district_code", "period_end", "group_id", "breakdown")
    )


def period_label_expr() -> pl.Expr:
    months = (
        (pl.col("period_end").dt.year() - pl.col("period_start").dt.year()) * 12
        + pl.col("period_end").dt.month() - pl.col("period_start").dt.month() + 1
    )
    span = (pl.when(months == 12).then(pl.lit("Year to "))
            .when(months == 60).then(pl.lit("Five years to "))
            .otherwise(pl.concat_str(months.cast(pl.String), pl.lit(" months to "))))
    return pl.concat_str(span, pl.col("period_end").dt.strftime("%b %Y"))
