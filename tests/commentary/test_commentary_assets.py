"""The commentary assets materialised in-process on a real DuckDB file: decomposition, facts,
drafts with overrides, their exports, and the blocking checks passing."""

from __future__ import annotations

import dagster as dg
import polars as pl

from pipelines.defs import commentary as assets
from pipelines.defs.resources import Warehouse
from pipelines.reference import load_reference
from pipelines.warehouse import connect
from tests.commentary.builders import DEC24, DEC25, equity, equity_row, measure_row, measures, trend
from tests.commentary.test_change_inputs import _ash


def _insert(con, table: str, frame: pl.DataFrame) -> None:
    con.register("_rows", frame)
    con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM _rows")
    con.unregister("_rows")


def test_assets_write_tables_exports_and_pass_their_checks(tmp_path, monkeypatch):
    db = tmp_path / "warehouse.duckdb"
    with connect(db) as con:
        load_reference(con)
        _ash(con)   # 011: 15 admissions / 1,500 children → 25 / 1,600 (Māori 10 → 20)
        _insert(con, "marts.measures", measures([
            measure_row("011", DEC24, 1000.0, numerator=15, denominator=1500),
            measure_row("011", DEC25, 1562.5, numerator=25, denominator=1600),
            measure_row("021", DEC25, 2000.0, numerator=2, denominator=100, suppressed=True),
            measure_row("000", DEC24, 1000.0), measure_row("000", DEC25, 1500.0),
        ]))
        _insert(con, "marts.equity", equity([equity_row("011", DEC25, "maori", 1.8)]))
        _insert(con, "marts.trend", trend([("011", DEC25, "special_cause_concern")]))
    overrides = tmp_path / "overrides"
    overrides.mkdir()
    (overrides / "021.md").write_text("## ash_0_4\nDate: 2026-02-14\nToo few admissions to say more.\n",
                                      encoding="utf-8")
    monkeypatch.setattr(assets, "OVERRIDES_DIR", overrides)
    warehouse = Warehouse(database=str(db), landing=str(tmp_path / "landing"),
                          dashboards=str(tmp_path / "dash"), exports=str(tmp_path / "exports"))

    result = dg.materialize(
        [assets.change_decomposition, assets.commentary_facts, assets.commentary, assets.parts_add_up,
         assets.facts_match_published_cells, assets.every_number_is_a_fact],
        resources={"warehouse": warehouse}, instance=dg.DagsterInstance.ephemeral())
    assert result.success
    checks = result.get_asset_check_evaluations()
    assert len(checks) == 3 and all(c.passed for c in checks)

    shown = pl.read_parquet(tmp_path / "exports" / "slm_commentary.parquet")
    northland = shown.filter(pl.col("district_code") == "011").row(0, named=True)
    assert northland["status"] == "draft"
    assert "It is a rise" not in northland["text"]
    assert ("Since the year to Dec 2024 (1,000.0) it is a rise of 562.5; the two years' intervals do not "
            "overlap and the SPC chart of the rolling series shows special-cause variation in the "
            "direction of concern, a signal.") in northland["text"]
    assert ("Split by ethnic group (rates within groups and population mix), the largest part of the change "
            "was the rate for Māori, which moved the rate up by 645.8.") in northland["text"]
    assert ("Split by condition group, the largest part of the change was respiratory admissions, which "
            "moved the rate up by 437.5.") in northland["text"]
    waitemata = shown.filter(pl.col("district_code") == "021").row(0, named=True)
    assert (waitemata["status"], waitemata["text"]) == ("override", "Too few admissions to say more.")
    assert "2,000.0" not in waitemata["draft"]      # suppressed in the mart, never in a sentence

    facts = pl.read_csv(tmp_path / "exports" / "slm_commentary_facts.csv", infer_schema=False)
    assert set(northland["fact_ids"]) <= set(facts["fact_id"])
    parts = pl.read_parquet(tmp_path / "exports" / "slm_change_decomposition.parquet")
    # Waitematā's 1 → 2 admissions are too few: no number of that change leaves the warehouse
    waitemata_parts = parts.filter(pl.col("district_code") == "021")
    assert waitemata_parts.height and waitemata_parts["suppressed"].all()
    for column in ("contribution", "total_change", "value_previous", "value_latest"):
        assert waitemata_parts[column].null_count() == waitemata_parts.height, column
