"""The pack explains itself (issue 13): change decomposition, commentary facts, drafted commentary.

change_decomposition → commentary_facts → commentary, each a table in marts and an export
(data/exports/slm_change_decomposition|slm_commentary_facts|slm_commentary.parquet|csv). The
facts and drafts are built from the published tables (sql/publish/), so a suppressed or withheld
number cannot reach a sentence. The commentary asset verifies every paragraph before showing it
and withholds any it cannot verify; the asset checks report the same failures in the UI without
stopping the dashboards; likewise a change whose parts do not add up is suppressed whole by
decompose() and reported by parts_add_up.
"""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import polars as pl

from pipelines.commentary import (
    apply_overrides,
    build_facts,
    draft_paragraphs,
    facts_frame,
    facts_unmatched,
    numbers_untraced,
    read_overrides,
)
from pipelines.commentary.decomposition import decompose, published_decomposition
from pipelines.commentary.facts import fact_sets_from_frame
from pipelines.commentary.inputs import build_change_inputs
from pipelines.commentary.targets import load_targets
from pipelines.commentary.verify import WITHHELD_TEXT, unverified_paragraphs, withhold_unverified
from pipelines.config import PROJECT_ROOT, SQL_DIR
from pipelines.defs.automation_conditions import REFRESH_WHEN_UPSTREAM_CHANGES
from pipelines.defs.resources import Warehouse
from pipelines.measures.measure_config import default_config
from pipelines.measures.tidy_rows import suppression_rule
from pipelines.warehouse import read_sql, table_exists

OVERRIDES_DIR = PROJECT_ROOT / "commentary" / "overrides"
DECOMPOSED = ("ash_0_4", "amenable_mortality", "acute_bed_days_crude")
# Headline series whose breakdown is not "": the pack's choice (summary.HEADLINES on branch pack).
HEADLINE_BREAKDOWNS = {"patient_experience": "inpatient:communication"}


def _measure_keys(ids) -> list[dg.AssetKey]:
    return [dg.AssetKey(f"measure_{m}") for m in ids]


def _all_measure_keys() -> list[dg.AssetKey]:
    config = default_config()
    return _measure_keys(m.measure_id for m in config.measures.values() if m.sql_file.exists())


def _published(con, name: str) -> pl.DataFrame:
    return con.sql(read_sql(SQL_DIR / "publish" / f"{name}.sql")).pl()


def _replace(con, table: str, frame: pl.DataFrame) -> None:
    con.register("_frame", frame)
    try:
        con.execute(f"CREATE OR REPLACE TABLE {table} AS SELECT * FROM _frame")
    finally:
        con.unregister("_frame")


def _export(warehouse: Warehouse, name: str, frame: pl.DataFrame) -> Path:
    out = Path(warehouse.exports)
    out.mkdir(parents=True, exist_ok=True)
    frame.write_parquet(out / f"{name}.parquet")
    # CSV has no list type: fact ids are written joined by "|".
    flat = frame.with_columns(pl.col(c).list.join("|") for c, t in frame.schema.items() if t == pl.List(pl.String))
    flat.write_csv(out / f"{name}.csv")
    return out / f"{name}.parquet"


@dg.asset(group_name="commentary", automation_condition=REFRESH_WHEN_UPSTREAM_CHANGES,
          deps=_measure_keys(DECOMPOSED), kinds={"duckdb", "polars"},
          description="Why did it change? Each year-on-year change of ASH 0–4 (by ethnic group, "
          "Kitagawa; by condition group), amenable mortality (by cause group) and crude acute bed "
          "days (admissions × length of stay), in parts that add up to it. sql/commentary/.")
def change_decomposition(warehouse: Warehouse) -> dg.MaterializeResult:
    config = default_config()
    with warehouse.connect() as con:
        built = build_change_inputs(con, config)
        inputs = con.sql("SELECT * FROM marts.change_inputs").pl()
        multipliers = {m.measure_id: m.multiplier for m in config.measures.values()}
        thresholds = {m.measure_id: suppression_rule(m, config)[1] for m in config.measures.values()}
        parts = decompose(inputs, multipliers, thresholds)
        _replace(con, "marts.change_decomposition", parts)
    path = _export(warehouse, "slm_change_decomposition", published_decomposition(parts))
    return dg.MaterializeResult(metadata={
        "decompositions": ", ".join(built) or "none", "rows": parts.height,
        "suppressed_parts": int(parts["suppressed"].sum() or 0), "export": dg.MetadataValue.path(str(path)),
    })


@dg.asset_check(asset=change_decomposition,
                description="Every change's parts add up to it (1e-9 relative).")
def parts_add_up(warehouse: Warehouse) -> dg.AssetCheckResult:
    with warehouse.connect() as con:
        bad = con.sql("""
            SELECT measure_id, decomposition, district_code, period_end,
                   sum(contribution) AS parts, any_value(total_change) AS total
            FROM marts.change_decomposition GROUP BY ALL
            HAVING abs(sum(contribution) - any_value(total_change))
                   > 1e-9 * greatest(abs(any_value(value_latest)), abs(any_value(value_previous)), 1)
        """).pl()
    return dg.AssetCheckResult(passed=bad.is_empty(), metadata={"changes_not_adding_up": bad.height})


@dg.asset(group_name="commentary", automation_condition=REFRESH_WHEN_UPSTREAM_CHANGES,
          deps=[*_all_measure_keys(), change_decomposition],
          kinds={"duckdb", "polars"},
          description="Every number the drafted commentary may print, formatted, with the "
          "published cell it comes from (marts.measures / marts.equity / marts.trend / "
          "marts.change_decomposition / targets).")
def commentary_facts(warehouse: Warehouse) -> dg.MaterializeResult:
    with warehouse.connect() as con:
        measures, equity = _published(con, "measures_export"), _published(con, "equity_export")
        trend = con.sql("SELECT * FROM marts.trend").pl()
        decomposition = (published_decomposition(con.sql("SELECT * FROM marts.change_decomposition").pl())
                         if table_exists(con, "marts", "change_decomposition") else None)
        facts = facts_frame(build_facts(measures, equity, trend, decomposition, load_targets(con=con),
                                        HEADLINE_BREAKDOWNS))
        _replace(con, "marts.commentary_facts", facts)
    path = _export(warehouse, "slm_commentary_facts", facts)
    return dg.MaterializeResult(metadata={"facts": facts.height, "export": dg.MetadataValue.path(str(path))})


@dg.asset_check(asset=commentary_facts,
                description="Every fact equals its cell in the published measures/equity tables.")
def facts_match_published_cells(warehouse: Warehouse) -> dg.AssetCheckResult:
    with warehouse.connect() as con:
        facts = con.sql("SELECT * FROM marts.commentary_facts").pl()
        problems = facts_unmatched(facts, _published(con, "measures_export"), _published(con, "equity_export"))
    return dg.AssetCheckResult(passed=not problems, metadata={
        "facts_checked": facts.height, "mismatches": len(problems),
        "first_mismatches": dg.MetadataValue.md("\n".join(f"- {p}" for p in problems[:20]) or "none")})


@dg.asset(group_name="commentary", automation_condition=REFRESH_WHEN_UPSTREAM_CHANGES,
          deps=[commentary_facts], kinds={"duckdb", "polars"},
          description="The commentary shown per district × measure: the analyst's dated override "
          "(commentary/overrides/<district>.md) or else the drafted paragraph, marked as a draft.")
def commentary(warehouse: Warehouse) -> dg.MaterializeResult:
    with warehouse.connect() as con:
        facts = con.sql("SELECT * FROM marts.commentary_facts").pl()
        drafts = draft_paragraphs(fact_sets_from_frame(facts))
        # A paragraph is shown only when every number in it is traced and every fact it prints
        # matches its published cell; otherwise it is withheld (and the checks below fail).
        unverified = unverified_paragraphs(drafts, facts, _published(con, "measures_export"),
                                           _published(con, "equity_export"))
        drafts = withhold_unverified(drafts, unverified)
        districts = [r[0] for r in con.sql("SELECT code3 FROM ref.districts").fetchall()] + ["000"]
        overrides = read_overrides(OVERRIDES_DIR, districts, default_config().measures)
        shown = apply_overrides(drafts, overrides)
        _replace(con, "marts.commentary", shown)
    path = _export(warehouse, "slm_commentary", shown)
    return dg.MaterializeResult(metadata={
        "paragraphs": shown.height, "withheld_unverified": len(unverified),
        "overrides": int((shown["status"] == "override").sum()),
        "stale_overrides": int(shown["stale"].sum() or 0), "export": dg.MetadataValue.path(str(path))})


@dg.asset_check(asset=commentary,
                description="Every digit of every drafted paragraph comes from one of its facts.")
def every_number_is_a_fact(warehouse: Warehouse) -> dg.AssetCheckResult:
    with warehouse.connect() as con:
        facts = con.sql("SELECT * FROM marts.commentary_facts").pl()
        shown = con.sql("SELECT * FROM marts.commentary").pl()
    drafts = shown.filter(pl.col("draft").is_not_null() & (pl.col("draft") != WITHHELD_TEXT)).select(
        "district_code", "measure_id", pl.col("draft").alias("paragraph"), "fact_ids")
    problems = numbers_untraced(drafts, facts)
    return dg.AssetCheckResult(passed=not problems, metadata={
        "paragraphs_checked": drafts.height, "untraced": len(problems),
        "first_untraced": dg.MetadataValue.md("\n".join(f"- {p}" for p in problems[:20]) or "none")})


@dg.definitions
def defs() -> dg.Definitions:
    return dg.Definitions(assets=[change_decomposition, commentary_facts, commentary],
                          asset_checks=[parts_add_up, facts_match_published_cells, every_number_is_a_fact])
