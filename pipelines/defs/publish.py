"""What leaves the warehouse: exports for analysts and the ALT dashboards.

Both read the published views in sql/publish/, where suppression is applied once, so no output
can show a suppressed value. Nothing here carries an identifier: staging drops NHI and date of
birth before any measure is computed.
"""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import polars as pl

from pipelines.config import SQL_DIR
from pipelines.dashboards import build_dashboards
from pipelines.defs.resources import Warehouse
from pipelines.defs.transform import measures_with_sql
from pipelines.measures import export_dictionary
from pipelines.warehouse import read_sql

MEASURE_ASSETS = [dg.AssetKey(f"measure_{m.measure_id}") for m in measures_with_sql()]


def published(con, name: str) -> pl.DataFrame:
    return con.sql(read_sql(SQL_DIR / "publish" / f"{name}.sql")).pl()


@dg.asset(group_name="publish", deps=MEASURE_ASSETS, kinds={"parquet", "csv"},
          description="The tidy measures and equity tables, suppression applied, as Parquet and CSV.")
def measures_export(warehouse: Warehouse) -> dg.MaterializeResult:
    out = Path(warehouse.exports)
    out.mkdir(parents=True, exist_ok=True)
    with warehouse.connect() as con:
        tables = {"slm_measures": published(con, "measures_export"),
                  "slm_equity": published(con, "equity_export")}
    for name, frame in tables.items():
        frame.write_parquet(out / f"{name}.parquet")
        frame.write_csv(out / f"{name}.csv")
    export_dictionary.write(tables, out)
    return dg.MaterializeResult(metadata={
        "path": dg.MetadataValue.path(str(out)),
        **{f"{name}_rows": frame.height for name, frame in tables.items()},
    })


@dg.asset(group_name="publish", deps=MEASURE_ASSETS, kinds={"plotly", "html"},
          description="One offline HTML dashboard per district plus a national overview.")
def alt_dashboards(warehouse: Warehouse) -> dg.MaterializeResult:
    with warehouse.connect() as con:
        measures = published(con, "measures_export")
        equity = published(con, "equity_export")
        trend = con.sql("SELECT * FROM marts.trend").pl()
        dq = published(con, "dq_summary")
    as_of = _latest_label(measures) or "no data"
    # The rows' definition_note: measures.yaml's note plus what the pipeline derives (e.g. the
    # standard population used instead of the published one).
    notes = dict(measures.filter(pl.col("definition_note").is_not_null())
                 .group_by("measure_id").agg(pl.col("definition_note").last()).iter_rows())
    pages = build_dashboards(measures, equity, trend, dq, Path(warehouse.dashboards), as_of,
                             definition_notes=notes,
                             measure_order=[m.measure_id for m in measures_with_sql()])
    index = next((p for p in pages if p.name == "index.html"), None)
    return dg.MaterializeResult(metadata={
        "pages": len(pages),
        "index": dg.MetadataValue.path(str(index)) if index else "none",
        "data_as_of": as_of,
    })


def _latest_label(measures: pl.DataFrame) -> str | None:
    published_rows = measures.filter(pl.col("status") == "published")
    if published_rows.is_empty():
        return None
    latest = published_rows.sort("period_end").tail(1)
    return latest["period_end"].dt.strftime("%B %Y").item()


@dg.definitions
def defs() -> dg.Definitions:
    return dg.Definitions(assets=[measures_export, alt_dashboards])
