"""Reference data → staging → measures.

Staging and measure assets are made from the SQL files themselves: every `sql/staging/<name>.sql`
is an asset `stg_<name>`, every measure in measures.yaml with `sql/measures/<id>.sql` is an asset
`measure_<id>`, and each asset's upstream assets are read off the tables its SQL names
(raw.x → raw_x, staging.x → stg_x). Adding a contributory measure is SQL plus a measures.yaml
entry; no Python changes.
"""


import re
from pathlib import Path

import dagster as dg
import polars as pl
from dagster import AssetExecutionContext

from pipelines.config import SQL_DIR
from pipelines.defs.resources import Warehouse
from pipelines.measures.definitions import Measure, default_config
from pipelines.measures.equity import equity_rows
from pipelines.measures.publish import group_sets, publish
from pipelines.measures.run_sql import run_measure_sql
from pipelines.measures.trend import trend_rows
from pipelines.reference import load_reference
from pipelines.warehouse import read_sql, replace_rows, run_sql_file

REFERENCE = dg.AssetKey("reference_data")
_TABLE = re.compile(r"\b(raw|staging)\.([a-z0-9_]+)", re.IGNORECASE)


def upstream_of(sql: str) -> list[dg.AssetKey]:
    keys = {REFERENCE}
    for schema, table in _TABLE.findall(sql):
        keys.add(dg.AssetKey(f"raw_{table}" if schema.lower() == "raw" else f"stg_{table}"))
    return sorted(keys, key=lambda k: k.to_user_string())


@dg.asset(group_name="reference", kinds={"duckdb"},
          description="Versioned reference CSVs (reference/) loaded into the ref schema.")
def reference_data(warehouse: Warehouse) -> dg.MaterializeResult:
    with warehouse.connect() as con:
        counts = load_reference(con)
    return dg.MaterializeResult(metadata={f"ref.{k}": v for k, v in counts.items()})


def staging_asset(sql_file: Path) -> dg.AssetsDefinition:
    name = sql_file.stem
    sql = read_sql(sql_file)

    @dg.asset(name=f"stg_{name}", group_name="staging", kinds={"duckdb"},
              deps=[k for k in upstream_of(sql) if k != dg.AssetKey(f"stg_{name}")],
              description=_first_comment(sql))
    def _staging(warehouse: Warehouse) -> dg.MaterializeResult:
        with warehouse.connect() as con:
            run_sql_file(con, sql_file)
            rows = con.sql(f"SELECT count(*) FROM staging.{name}").fetchall()[0][0]
        return dg.MaterializeResult(metadata={"rows": rows})

    return _staging


def measure_asset(measure: Measure) -> dg.AssetsDefinition:
    # Every measure runs _common.sql first (its macros read staging.population), so that file's
    # tables are upstream of every measure too.
    sql = read_sql(SQL_DIR / "measures" / "_common.sql") + read_sql(measure.sql_file)

    @dg.asset(name=f"measure_{measure.measure_id}", group_name="measures", kinds={"duckdb", "polars"},
              deps=upstream_of(sql), description=f"{measure.name} ({measure.definition_version}). "
              f"Definition beside its SQL in sql/measures/{measure.sql_file.name}.")
    def _measure(context: AssetExecutionContext, warehouse: Warehouse) -> dg.MaterializeResult:
        config = default_config()
        with warehouse.connect() as con:
            run_measure_sql(con, measure)
            cells = group_sets(con, measure)
            rows = publish(con, measure, config, cells)
            confidence = float(config.defaults.get("confidence", 0.95))
            comparator = config.defaults.get("comparator_group", "nmnp")
            replace_rows(con, "marts.measures", rows, "measure_id", measure.measure_id)
            replace_rows(con, "marts.equity", equity_rows(cells, rows, measure, comparator, confidence),
                         "measure_id", measure.measure_id)
            replace_rows(con, "marts.trend", trend_rows(rows, measure), "measure_id", measure.measure_id)
        withheld = rows.filter(pl.col("status") == "withheld")
        return dg.MaterializeResult(metadata={
            "rows": rows.height,
            "windows": rows.select("period_end").n_unique(),
            "withheld_windows": dg.MetadataValue.md(_withheld_table(withheld)),
            "latest_national": dg.MetadataValue.md(_latest_national(rows)),
            "definition_version": measure.definition_version,
        })

    return _measure


def _first_comment(sql: str) -> str:
    lines = [ln[2:].strip() for ln in sql.splitlines() if ln.startswith("--")]
    return " ".join(lines[:3])


def _withheld_table(withheld: pl.DataFrame) -> str:
    if withheld.is_empty():
        return "none"
    reasons = withheld.group_by("period_label", "status_reason").len().sort("period_label")
    return "\n".join(["| window | why |", "|---|---|"] + [
        f"| {r['period_label']} | {r['status_reason']} |" for r in reasons.iter_rows(named=True)])


def _latest_national(rows: pl.DataFrame) -> str:
    national = rows.filter((pl.col("district_code") == "000") & (pl.col("status") == "published"))
    if national.is_empty():
        return "no published window"
    latest = national.filter(pl.col("period_end") == national["period_end"].max())
    lines = ["| group | breakdown | numerator | denominator | value | 95% CI |", "|---|---|---|---|---|---|"]
    for r in latest.sort("group_id").iter_rows(named=True):
        lines.append(f"| {r['group_id']} | {r['breakdown']} | {r['numerator']:.0f} | {r['denominator']:.0f} | "
                     f"{_fmt(r['value'])} | {_fmt(r['lower_ci'])}–{_fmt(r['upper_ci'])} |")
    return "\n".join(lines)


def _fmt(x) -> str:
    return "–" if x is None else f"{x:,.1f}"


def measures_with_sql() -> list[Measure]:
    return [m for m in default_config().measures.values() if m.sql_file.exists()]


@dg.definitions
def defs() -> dg.Definitions:
    staging = [staging_asset(p) for p in sorted((SQL_DIR / "staging").glob("*.sql"))]
    measures = [measure_asset(m) for m in measures_with_sql()]
    return dg.Definitions(assets=[reference_data, *staging, *measures])
