"""From a measure's cells to the tidy published rows: statistics, suppression, withholding.

Cells (marts.<measure>_cells) hold numerator and denominator per window × district × prioritised
ethnic group (× breakdown × stratum). Here they are summed into the reporting groups, the
measure's statistic is applied with pipelines.stats, and every row is labelled with what a
reader needs: method, confidence, suppression and why, withheld and why, definition version.
"""

from __future__ import annotations

import duckdb
import polars as pl

from pipelines.config import SQL_DIR
from pipelines.measures.annotations import ANNOTATION_COLUMNS, annotate
from pipelines.measures.cell_statistics import KEYS
from pipelines.measures.cell_statistics._overdispersed import module_for
from pipelines.measures.measure_config import Measure, MeasureConfig
from pipelines.measures.suppression import SECONDARY_REASON, complementary
from pipelines.sources.column_gaps import withhold_for_missing_columns
from pipelines.warehouse import execute, read_sql, table_exists

MEASURE_COLUMNS = [
    "district_code", "district_name", "measure_id", "measure_name", "period_start", "period_end",
    "period_label", "group_id", "breakdown", "numerator", "denominator", "value", "lower_ci",
    "upper_ci", "confidence", "unit", "multiplier", "method", "suppressed", "suppression_reason",
    "status", "status_reason", "definition_version", "definition_status", "direction",
    *ANNOTATION_COLUMNS,
]


def group_sets(con: duckdb.DuckDBPyConnection, measure: Measure) -> pl.DataFrame:
    cells = f"marts.{measure.measure_id}_cells"
    # Extra additive columns a statistic needs beyond numerator/denominator are named sum_*.
    extras = [c for c in con.sql(f"SELECT * FROM {cells} LIMIT 0").columns if c.startswith("sum_")]
    sql = read_sql(SQL_DIR / "measures" / "_group_sets.sql").format(
        cells=cells, extra_sums="".join(f", sum({c}) AS {c}" for c in extras))
    return con.sql(sql).pl()


def publish(con: duckdb.DuckDBPyConnection, measure: Measure, config: MeasureConfig,
            cells: pl.DataFrame | None = None) -> pl.DataFrame:
    cells = group_sets(con, measure) if cells is None else cells
    confidence = float(config.defaults.get("confidence", 0.95))
    rows = module_for(measure).compute(cells, measure, confidence)
    rows = _suppress(rows, measure, config, cells)
    rows = _withhold(withhold_for_missing_columns(con, measure.measure_id, rows))
    return _derived_definition(con, measure, _label(con, annotate(rows, measure, config), measure, confidence))


def _suppress(rows: pl.DataFrame, measure: Measure, config: MeasureConfig,
              cells: pl.DataFrame) -> pl.DataFrame:
    """One rule for every published output (measures.yaml → suppression; docs/suppression.md).
    Primary: too few events (or respondents, for survey means) to publish — under this
    measure's rule or, for a cell whose count a sibling measure also publishes (also_publish,
    the same numerator), under the sibling's. Secondary: enough other cells that no primary one
    can be recovered by subtraction (suppression.py). Values stay in the warehouse for
    analysts; exports and dashboards never show a suppressed one."""
    rows, primary, reason = _primary(rows, measure, config, cells)
    confidence = float(config.defaults.get("confidence", 0.95))
    for sibling in numerator_siblings(measure, config):
        theirs, their_primary, their_reason = _primary(
            module_for(sibling).compute(cells, sibling, confidence), sibling, config, cells)
        theirs = theirs.with_columns(their_primary.alias("their_primary"), their_reason.alias("their_reason"))
        same = (rows.select([*KEYS, "numerator"])
                .join(theirs.select([*KEYS, "their_primary", "their_reason"])
                      .with_columns(theirs["numerator"].alias("their_numerator")),
                      on=KEYS, how="left", nulls_equal=True, maintain_order="left")
                .select((pl.col("their_primary") & (pl.col("numerator") == pl.col("their_numerator")))
                        .fill_null(False).cast(pl.Boolean).alias("p"),
                        pl.concat_str(pl.col("their_reason"), pl.lit(f" ({sibling.measure_id} publishes "
                                                                    "the same count)")).alias("r")))
        reason = rows.select(pl.when(primary).then(reason).otherwise(same["r"])).to_series()
        primary = primary | same["p"]
    secondary = complementary(rows, primary, "numerator")
    rows = rows.with_columns(
        (primary | secondary).alias("suppressed"),
        pl.when(primary).then(reason).when(secondary).then(pl.lit(SECONDARY_REASON)).otherwise(None)
        .alias("suppression_reason"),
    )
    if measure.settings.get("suppression_hides_denominator"):
        # Its numerator is its denominator minus another measure's (unknown = all − known):
        # a published denominator would give the suppressed count away.
        rows = rows.with_columns(pl.when(pl.col("suppressed")).then(None).otherwise(pl.col("denominator"))
                                 .alias("denominator"))
    return rows


def _primary(rows: pl.DataFrame, measure: Measure, config: MeasureConfig,
             cells: pl.DataFrame) -> tuple[pl.DataFrame, pl.Series, pl.Series]:
    """(rows with the rule's count column, too-few mask, reason) under the measure's own rule."""
    column, threshold, what = suppression_rule(measure, config)
    if column not in rows.columns:      # a cells column the statistic did not carry: all strata
        rows = rows.join(cells.group_by(KEYS).agg(pl.col(column).sum()), on=KEYS, how="left",
                         nulls_equal=True)
    primary = rows.select((pl.col(column) < threshold).fill_null(False).cast(pl.Boolean)).to_series()
    reason = rows.select(pl.when(primary).then(pl.lit(f"fewer than {threshold} {what}"))).to_series()
    return rows, primary, reason


def numerator_siblings(measure: Measure, config: MeasureConfig) -> list[Measure]:
    """Measures published from the same numerator (linked by also_publish, either way): a cell
    one of them suppresses must not be published by another. Where a sibling's count differs
    (e.g. it counts fewer strata), the cell is not the same count and its rule does not apply."""
    links: dict[str, set[str]] = {}
    for m in config.measures.values():
        for other in m.settings.get("also_publish") or []:
            links.setdefault(m.measure_id, set()).add(other)
            links.setdefault(other, set()).add(m.measure_id)
    family, todo = set(), [measure.measure_id]
    while todo:
        m = todo.pop()
        if m not in family:
            family.add(m)
            todo += links.get(m, [])
    return [config.measures[m] for m in sorted(family - {measure.measure_id}) if m in config.measures]


def suppression_rule(measure: Measure, config: MeasureConfig) -> tuple[str, int, str]:
    """(column, threshold, what it counts) for a measure's statistic. `suppression_count: sum_x`
    counts the cells' additive sum_x instead of the numerator (bed days: stays, since one stay
    brings many days); the statistic's threshold stays."""
    s = config.suppression
    if measure.statistic == "weighted_mean" or measure.settings.get("suppression_basis") == "respondents":
        return "denominator", int(s.get("min_survey_respondents", 30)), "respondents"
    column = measure.settings.get("suppression_count", "numerator")
    what = "events" if column == "numerator" else column.removeprefix("sum_")
    if measure.statistic in ("direct_who", "dsr"):
        return column, int(s.get("min_dsr_events", 10)), what
    return column, int(s.get("min_numerator_count", 5)), what


def _derived_definition(con, measure: Measure, rows: pl.DataFrame) -> pl.DataFrame:
    """A measure whose completeness follows from its data (amenable mortality: a code list with
    MISSING rows) has its SQL write marts.<id>_definition (definition_status, definition_note);
    every row then carries that status, and the note is appended to status_reason."""
    table = f"{measure.measure_id}_definition"
    if not table_exists(con, "marts", table):
        return rows
    status, note = execute(con, f"SELECT definition_status, definition_note FROM marts.{table}")[0]
    rows = rows.with_columns(pl.lit(status).alias("definition_status"))
    if note is None:
        return rows
    return rows.with_columns(pl.concat_str([pl.col("status_reason"), pl.lit(note)], separator="; ",
                                           ignore_nulls=True).alias("status_reason"))


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
