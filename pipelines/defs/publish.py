"""What leaves the warehouse: exports for analysts, the ALT dashboards and their board papers.

All read the published views in sql/publish/, where suppression is applied once, so no output
can show a suppressed value. Nothing here carries an identifier: staging drops NHI and date of
birth before any measure is computed.

The board papers (PDFs) are their own asset: printing costs ~10 s of Chromium per national
page, so a refresh renders the pages in seconds and the papers are printed when they are wanted
(`slm run --papers`, `slm papers`, the UI) or each morning by the daemon, never beside a page
they no longer match (render._write deletes them when the page changes).
"""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import polars as pl

from pipelines.commentary.page import commentary_tables
from pipelines.config import SQL_DIR
from pipelines.dashboards import build_dashboards
from pipelines.dashboards.pack_inputs import pack_points, pack_targets
from pipelines.dashboards.pdf import board_paper, print_pdfs
from pipelines.defs.automation_conditions import PRINT_EACH_MORNING, REFRESH_WHEN_UPSTREAM_CHANGES
from pipelines.defs.markdown import counts_table
from pipelines.defs.resources import Warehouse
from pipelines.defs.transform import measures_with_sql, periods_covered
from pipelines.evaluation.pack import initiative_panels
from pipelines.measures import export_dictionary
from pipelines.measures.measure_config import default_config
from pipelines.output_files import atomic_outputs, write_csv_safe
from pipelines.warehouse import read_sql

MART_ASSETS = [*(dg.AssetKey(f"measure_{m.measure_id}") for m in measures_with_sql()),
               dg.AssetKey("marts_equity"), dg.AssetKey("marts_trend")]


def published(con, name: str) -> pl.DataFrame:
    return con.sql(read_sql(SQL_DIR / "publish" / f"{name}.sql")).pl()


@dg.asset(group_name="publish", deps=MART_ASSETS, kinds={"parquet", "csv"},
          automation_condition=REFRESH_WHEN_UPSTREAM_CHANGES,
          description="The tidy measures and equity tables, suppression applied, as Parquet and CSV.")
def measures_export(warehouse: Warehouse) -> dg.MaterializeResult:
    out = Path(warehouse.exports)
    out.mkdir(parents=True, exist_ok=True)
    with warehouse.connect() as con:
        tables = {"slm_measures": published(con, "measures_export"),
                  "slm_equity": published(con, "equity_export")}
    with atomic_outputs() as staged:        # all five files or none, never a partial one
        for name, frame in tables.items():
            frame.write_parquet(staged(out / f"{name}.parquet"))
            write_csv_safe(frame, staged(out / f"{name}.csv"))
        write_csv_safe(export_dictionary.dictionary(tables), staged(out / export_dictionary.FILE_NAME))
    measures = tables["slm_measures"]
    return dg.MaterializeResult(metadata={
        "path": dg.MetadataValue.path(str(out)),
        "rows": sum(frame.height for frame in tables.values()),
        "periods_covered": periods_covered(measures),
        "definition_version": _versions(measures),
        "preview": dg.MetadataValue.md(_status_counts(measures)),
        **{f"{name}_rows": frame.height for name, frame in tables.items()},
        "rejected_measures": dg.MetadataValue.md(
            "\n".join(f"- {why}" for why in default_config().rejected.values()) or "none"),
    })


@dg.asset(group_name="publish", deps=[*MART_ASSETS, dg.AssetKey("commentary"), dg.AssetKey("initiative_estimates")], kinds={"plotly", "html"},
          automation_condition=REFRESH_WHEN_UPSTREAM_CHANGES,
          description="One offline HTML dashboard per district plus a national overview.")
def alt_dashboards(warehouse: Warehouse) -> dg.MaterializeResult:
    with warehouse.connect() as con:
        measures = published(con, "measures_export")
        equity = published(con, "equity_export")
        trend = con.sql("SELECT * FROM marts.trend").pl()
        dq = published(con, "dq_summary")
        points = pack_points(con)  # non-overlapping quarterly values for SPC (docs/pack.md)
        commentary, decomposition = commentary_tables(con)
        panels = initiative_panels(con, measures)
        targets = pack_targets(con=con)  # GX's verdict on the file recorded in the warehouse
    as_of = _latest_label(measures) or "no data"
    # The rows' definition_note: measures.yaml's note plus what the pipeline derives (e.g. the
    # standard population used instead of the published one).
    notes = dict(measures.filter(pl.col("definition_note").is_not_null())
                 .group_by("measure_id").agg(pl.col("definition_note").last()).iter_rows())
    pages = build_dashboards(measures, equity, trend, dq, Path(warehouse.dashboards), as_of,
                             definition_notes=notes,
                             measure_order=[m.measure_id for m in measures_with_sql()],
                             targets=targets, points=points,
                             commentary=commentary, decomposition=decomposition,
                             initiative_panels=panels)
    index = next((p for p in pages if p.name == "index.html"), None)
    return dg.MaterializeResult(metadata={
        "rows": measures.height,
        "periods_covered": periods_covered(measures),
        "definition_version": _versions(measures),
        "preview": dg.MetadataValue.md("\n".join(["| page |", "|---|"] + [f"| {p.name} |" for p in pages[:20]])),
        "pages": len(pages),
        "board_papers_to_print": sum(not board_paper(p).is_file() for p in pages),
        "index": dg.MetadataValue.path(str(index)) if index else "none",
        "data_as_of": as_of,
    })


PAGES = dg.AssetKey("alt_dashboards")


@dg.asset(group_name="publish", deps=[PAGES], kinds={"pdf"},
          automation_condition=PRINT_EACH_MORNING,
          description="Board papers: an A4 PDF of every ALT page, printed by headless Chromium "
          "beside it. Only pages without a current PDF are printed (a changed page loses its old one).")
def alt_board_papers(context, warehouse: Warehouse) -> dg.MaterializeResult:
    pages = sorted(Path(warehouse.dashboards).glob("*.html"))
    due = [page for page in pages if not board_paper(page).is_file()]
    context.log.info(f"printing {len(due)} of {len(pages)} pages ({len(pages) - len(due)} already current)")
    printed = print_pdfs(due)
    return dg.MaterializeResult(metadata={
        "path": dg.MetadataValue.path(str(warehouse.dashboards)),
        "pages": len(pages),
        "printed": len(printed),
        "already_current": len(pages) - len(printed),
        "preview": dg.MetadataValue.md("\n".join(["| printed |", "|---|"] + [f"| {p.name} |" for p in printed[:25]])),
    })


PAPERS = alt_board_papers.key


def _versions(measures: pl.DataFrame) -> str:
    if measures.is_empty():
        return "none"
    pairs = measures.select("measure_id", "definition_version").unique().sort("measure_id")
    return ", ".join(f"{m} {v}" for m, v in pairs.iter_rows())


def _status_counts(measures: pl.DataFrame) -> str:
    return counts_table(measures, ["measure_id", "status"], ["measure", "status", "rows"], empty="no rows")


def _latest_label(measures: pl.DataFrame) -> str | None:
    published_rows = measures.filter(pl.col("status") == "published")
    if published_rows.is_empty():
        return None
    latest = published_rows.sort("period_end").tail(1)
    return latest["period_end"].dt.strftime("%B %Y").item()


@dg.definitions
def defs() -> dg.Definitions:
    return dg.Definitions(assets=[measures_export, alt_dashboards, alt_board_papers])
