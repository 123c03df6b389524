"""The marts built from the published measures: equity comparisons and trends, each an asset of
its own, and the checks on the measures table.

marts.equity   every ethnic group against non-Māori non-Pacific, per district × window
               (pipelines/measures/equity.py), from each measure's cells and published rows.
marts.trend    Making Data Count XmR charts over each published series (pipelines/measures/trend.py).

Checks on every measure asset (SQL in sql/checks/, each returning the offending rows):
value within its interval, numerator ≤ denominator for proportions, withheld and suppressed rows
carry no value where they are published, and every district × group present in every window.
A failure is an error in the UI; it does not stop the run (the exports of other measures still go
out), and the offending rows are listed in the check's metadata.
"""

from __future__ import annotations

import dagster as dg
import polars as pl

from pipelines.config import SQL_DIR
from pipelines.defs.automation_conditions import REFRESH_WHEN_UPSTREAM_CHANGES
from pipelines.defs.markdown import counts_table, rows_table
from pipelines.defs.resources import Warehouse
from pipelines.defs.transform import measures_with_sql, periods_covered
from pipelines.measures.equity import equity_rows
from pipelines.measures.measure_config import Measure, default_config
from pipelines.measures.tidy_rows import group_sets
from pipelines.measures.trend import trend_rows
from pipelines.warehouse import read_sql, replace_rows

GROUP = "marts"


def measure_keys() -> list[dg.AssetKey]:
    return [dg.AssetKey(f"measure_{m.measure_id}") for m in measures_with_sql()]


def published_rows(con, measure: Measure) -> pl.DataFrame:
    return con.sql("SELECT * FROM marts.measures WHERE measure_id = ?", params=[measure.measure_id]).pl()


@dg.asset(group_name=GROUP, deps=measure_keys(), kinds={"duckdb", "polars"},
          automation_condition=REFRESH_WHEN_UPSTREAM_CHANGES,
          description="marts.equity: each ethnic group against the comparator group (measures.yaml "
          "defaults.comparator_group), ratio and difference with confidence limits, per measure, "
          "district, window and breakdown; suppressed when either side is.")
def marts_equity(warehouse: Warehouse) -> dg.MaterializeResult:
    config = default_config()
    confidence = float(config.defaults.get("confidence", 0.95))
    comparator = config.defaults.get("comparator_group", "nmnp")
    counts = {}
    with warehouse.connect() as con:
        for measure in measures_with_sql():
            rows = published_rows(con, measure)
            equity = equity_rows(group_sets(con, measure), rows, measure, comparator, confidence)
            replace_rows(con, "marts.equity", equity, "measure_id", measure.measure_id)
            counts[measure.measure_id] = equity.height
        table = con.sql("SELECT * FROM marts.equity").pl()
    return dg.MaterializeResult(metadata=_mart_metadata(table, counts, _equity_preview(table)))


@dg.asset(group_name=GROUP, deps=measure_keys(), kinds={"duckdb", "polars"},
          automation_condition=REFRESH_WHEN_UPSTREAM_CHANGES,
          description="marts.trend: NHS Making Data Count XmR chart of every published series "
          "(district × group × breakdown of a measure) with at least 12 windows.")
def marts_trend(warehouse: Warehouse) -> dg.MaterializeResult:
    counts = {}
    with warehouse.connect() as con:
        for measure in measures_with_sql():
            trend = trend_rows(published_rows(con, measure), measure)
            replace_rows(con, "marts.trend", trend, "measure_id", measure.measure_id)
            counts[measure.measure_id] = trend.height
        table = con.sql("SELECT * FROM marts.trend").pl()
    return dg.MaterializeResult(metadata=_mart_metadata(table, counts, _trend_preview(table)))


def _mart_metadata(table: pl.DataFrame, counts: dict[str, int], preview: str) -> dict:
    versions = ", ".join(f"{m.measure_id} {m.definition_version}" for m in measures_with_sql())
    return {
        "rows": table.height,
        "periods_covered": periods_covered(table),
        "definition_version": versions,
        "rows_by_measure": dg.MetadataValue.md("\n".join(
            ["| measure | rows |", "|---|---|"] + [f"| {m} | {n} |" for m, n in counts.items()])),
        "preview": dg.MetadataValue.md(preview),
    }


def _equity_preview(table: pl.DataFrame) -> str:
    national = table.filter((pl.col("district_code") == "000") & (pl.col("breakdown") == "total")
                            & ~pl.col("suppressed").cast(pl.Boolean))
    if national.is_empty():
        return "no published comparison"
    latest = national.filter(pl.col("period_end") == pl.col("period_end").max().over("measure_id"))
    lines = ["| measure | window end | group | ratio (CI) |", "|---|---|---|---|"]
    for r in latest.sort("measure_id", "group_id").head(30).iter_rows(named=True):
        lines.append(f"| {r['measure_id']} | {r['period_end']} | {r['group_id']} vs {r['comparator_group']} | "
                     f"{_fmt(r['rate_ratio'])} ({_fmt(r['rr_lower'])}–{_fmt(r['rr_upper'])}) |")
    return "\n".join(lines)


def _trend_preview(table: pl.DataFrame) -> str:
    if table.is_empty():
        return "no series long enough to chart (12 windows)"
    flagged = table.filter(pl.col("special_cause_rule").is_not_null() & (pl.col("district_code") == "000"))
    return counts_table(flagged, ["measure_id", "point_type"], ["measure (New Zealand)", "special cause", "points"],
                        empty="no special-cause variation nationally")


def _fmt(x) -> str:
    return "–" if x is None else f"{x:,.2f}"


# --- Checks on the measures --------------------------------------------------------------------

CHECKS = {
    "value_within_interval": "lower_ci ≤ value ≤ upper_ci on every row with an interval.",
    "numerator_within_denominator": "Proportions: numerator ≤ denominator.",
    "hidden_rows_carry_no_value": "Withheld windows carry no value; suppressed rows carry no "
    "numerator, value or limit in the published table.",
    "every_district_and_group": "Every window has every district and New Zealand × every reporting group.",
}


def applies(check: str, measure: Measure) -> bool:
    return check != "numerator_within_denominator" or measure.statistic == "proportion"


def offending_rows(con, check: str, measure_id: str) -> pl.DataFrame:
    sql = read_sql(SQL_DIR / "checks" / f"{check}.sql").replace(
        "{published}", read_sql(SQL_DIR / "publish" / "measures_export.sql"))
    return con.sql(sql, params={"measure_id": measure_id}).pl()


def check_specs() -> list[dg.AssetCheckSpec]:
    return [dg.AssetCheckSpec(check, asset=f"measure_{m.measure_id}", description=CHECKS[check], blocking=False)
            for m in measures_with_sql() for check in CHECKS if applies(check, m)]


def check_results(con, keys) -> list[dg.AssetCheckResult]:
    """The result of each check asked for (AssetCheckKeys), from its offending rows."""
    results = []
    for key in sorted(keys, key=lambda k: (k.asset_key.to_user_string(), k.name)):
        bad = offending_rows(con, key.name, key.asset_key.path[-1].removeprefix("measure_"))
        results.append(dg.AssetCheckResult(
            asset_key=key.asset_key, check_name=key.name,
            passed=bad.is_empty(), severity=dg.AssetCheckSeverity.ERROR,
            description=f"{bad.height} offending rows" if bad.height else "no offending row",
            metadata={"offending_rows": bad.height, "first_offending": dg.MetadataValue.md(rows_table(bad, n=10))}))
    return results


# Every measure's checks in one step: each is a query of a few milliseconds, and one step per
# check (46) cost about 0.26 s of Dagster step overhead each, 12 s of every refresh.
@dg.multi_asset_check(specs=check_specs(), can_subset=True, name="measure_checks",
                      description="The checks on every measure asset (sql/checks/), one query each.")
def measure_checks(context, warehouse: Warehouse):
    with warehouse.connect() as con:
        yield from check_results(con, context.selected_asset_check_keys)


@dg.definitions
def defs() -> dg.Definitions:
    return dg.Definitions(assets=[marts_equity, marts_trend], asset_checks=[measure_checks])
