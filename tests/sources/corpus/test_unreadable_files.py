"""Files that cannot be loaded at all: each is rejected with a reason naming the file and what to
do, and none stops the others (one clean file lands beside them and loads).

One landing folder holds every case; it is ingested once and each case asserts its own file."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import polars as pl
import pytest

from pipelines.periods import parse_label
from pipelines.sources import ingest_source
from pipelines.sources.landing import unrecognised
from pipelines.sources.outcome import LandingOutcome
from pipelines.sources.readers import OLE2_MAGIC
from pipelines.sources.rejections import rejected_files
from tests.sources.corpus import damage
from tests.sources.corpus.conftest import AS_OF, copy_files

GOOD = "nmds_events_2025Q3.csv"
CLEAN_Q4 = "nmds_events_2025Q4.csv"


def _shift_year(rows, years: int):
    """Every date of the extract moved by whole years (a file for another period)."""
    out = [rows[0]]
    dated = [i for i, c in enumerate(rows[0]) if c.endswith("_date") or c == "date_of_birth"]
    for r in rows[1:]:
        r = list(r)
        for i in dated:
            if r[i]:
                r[i] = f"{int(r[i][:4]) + years}{r[i][4:]}"
        out.append(r)
    return out


def build(clean: Path, landing: Path) -> None:
    nmds = landing / "nmds_events"
    copy_files(clean, landing, "nmds_events", [GOOD])
    q4 = clean / "nmds_events" / CLEAN_Q4
    rows = damage.read_rows(q4)
    (nmds / "nmds_events_2025Q4_empty.csv").write_bytes(b"")
    damage.write_rows(nmds / "nmds_events_2025Q4_header_only.csv", rows[:1])
    cyrillic = [list(r) for r in rows[:50]]
    damage.set_cell(cyrillic, 3, "facility_code", "Привет мир больница")
    damage.write_rows(nmds / "nmds_events_2025Q4_cp1251.csv", cyrillic, encoding="cp1251")
    text = q4.read_text(encoding="utf-8")
    (nmds / "nmds_events_2025Q4_nul.csv").write_text(text[:5000] + "\x00" + text[5000:])
    damage.write_rows(nmds / "nmds_events_2025Q3_correction.csv", damage.read_rows(
        clean / "nmds_events" / GOOD), delimiter=";")
    damage.write_rows(nmds / "nmds_events_2025Q4_tabs.csv", rows, delimiter="\t")
    ragged = [list(r) for r in rows]
    ragged[7] = ragged[7] + ["extra"]
    damage.write_rows(nmds / "nmds_events_2025Q4_ragged.csv", ragged)
    damage.xlsx_of_csv(q4, nmds / "nmds_events_2025Q4_excel.csv")
    damage.zip_of(q4, nmds / "nmds_events_2025Q4_zipped.csv")
    damage.zip_of(q4, nmds / "nmds_events_2025Q4.zip")
    shutil.copy(q4, nmds / "nmds_events_2025Q4.txt")
    (nmds / "nmds_events_2025Q4_protected.xlsx").write_bytes(OLE2_MAGIC + b"\x00" * 4000)
    shutil.copy(q4, nmds / "nmds_events_2025Q4_text.xlsx")
    shutil.copy(q4, nmds / "nmds_events_2025Q4_csv.parquet")
    damage.write_rows(nmds / "nmds_events_2025Q4_renamed.csv",
                      damage.rename_column([list(r) for r in rows], "admission_date", "admision_date"))
    damage.write_rows(nmds / "nmds_events_2025Q4_case.csv",
                      damage.rename_column([list(r) for r in rows], "event_id", "Event_ID "))
    damage.xlsx_of_csv(q4, nmds / "nmds_events_2025Q4_titled.xlsx",
                       title="NMDS extract for Te Whatu Ora, run 3 Jan 2026")
    damage.write_rows(nmds / "nmds_events_2030Q4.csv", _shift_year(rows, 5))
    damage.write_rows(nmds / "nmds_events_2010Q4.csv", _shift_year(rows, -15))

    # A Parquet file and a workbook, cut in half in transfer (built from the NMDS extract: the
    # reader fails before it looks at a column).
    whole = landing.parent / "whole"
    whole.mkdir()
    pl.read_csv(q4, infer_schema=False).write_parquet(whole / "nnpac_ed_2025Q4.parquet")
    damage.xlsx_of_csv(q4, whole / "oral_health_2025.xlsx")
    (landing / "nnpac_ed").mkdir()
    damage.truncate(whole / "nnpac_ed_2025Q4.parquet", landing / "nnpac_ed" / "nnpac_ed_2025Q4.parquet")
    (landing / "oral_health").mkdir()
    damage.truncate(whole / "oral_health_2025.xlsx", landing / "oral_health" / "oral_health_2025.xlsx")
    (landing / "nmds_event").mkdir()  # a typo
    (landing / "unknown_source").mkdir()


# file → words its rejection reason must contain
CASES = {
    "nmds_events_2025Q4_empty.csv": "empty file (0 bytes)",
    "nmds_events_2025Q4_header_only.csv": "no row has a valid discharge_date",
    "nmds_events_2025Q4_cp1251.csv": "not UTF-8",
    "nmds_events_2025Q4_nul.csv": "NUL byte on line",
    "nmds_events_2025Q3_correction.csv": "separated by semicolons",
    "nmds_events_2025Q4_tabs.csv": "separated by tabs",
    "nmds_events_2025Q4_ragged.csv": "line 8 has 25 fields where the header has 24",
    "nmds_events_2025Q4_excel.csv": "an Excel workbook named .csv",
    "nmds_events_2025Q4_zipped.csv": "a zip archive",
    "nmds_events_2025Q4.zip": "a zip archive",
    "nmds_events_2025Q4.txt": "unsupported file type '.txt'",
    "nmds_events_2025Q4_protected.xlsx": "password-protected workbook",
    "nmds_events_2025Q4_text.xlsx": "a text file named .xlsx",
    "nmds_events_2025Q4_csv.parquet": "a text file named .parquet",
    "nmds_events_2025Q4_renamed.csv": "required column admission_date is missing (the file has "
                                      "'admision_date': renamed?)",
    "nmds_events_2025Q4_case.csv": "required column event_id is missing (the file has 'Event_ID ':",
    "nmds_events_2025Q4_titled.xlsx": "required column event_id is missing",
    "nmds_events_2030Q4.csv": "period 2030Q4 is after the last quarter that has ended (2025Q4, "
                              "as of 2026-03-01)",
    "nmds_events_2010Q4.csv": "period 2010Q4 is before the first quarter the pipeline holds (2015Q1)",
    "nnpac_ed_2025Q4.parquet": "truncated or corrupt Parquet file",
    "oral_health_2025.xlsx": "truncated or corrupt Excel workbook",
}


@pytest.fixture(scope="module")
def ingested(clean_extracts, tmp_path_factory):
    from pipelines.reference import load_reference
    from pipelines.warehouse import connect

    root = tmp_path_factory.mktemp("unreadable")
    landing = root / "landing"
    build(clean_extracts, landing)
    with connect(root / "warehouse.duckdb") as con:
        load_reference(con)
        results = {}
        for source_id in ("nmds_events", "nnpac_ed", "oral_health"):
            for f in ingest_source(con, source_id, landing, as_of=AS_OF).files:
                results[f.file_name] = f
        yield {"con": con, "results": results, "landing": landing}


@pytest.mark.parametrize("file_name", sorted(CASES))
def test_file_is_rejected_with_its_reason(ingested, file_name):
    result = ingested["results"][file_name]
    assert result.status == "rejected"
    assert result.message.startswith(f"{file_name}: ")
    assert CASES[file_name] in result.message
    provenance = ingested["con"].execute(
        "SELECT status, rows_read, rows_loaded, rows_quarantined, period FROM meta.provenance "
        "WHERE file_name = ?", [file_name]).fetchall()
    assert [(s, p) for s, _, _, _, p in provenance] == [("rejected", None)]
    _, read, loaded, quarantined, _ = provenance[0]
    assert read == loaded + quarantined and loaded == 0


def test_the_good_file_beside_them_loads(ingested):
    good = ingested["results"][GOOD]
    assert good.status == "loaded" and good.periods == ["2025Q3"]
    assert good.rows_loaded > 4000 and good.rows_read == good.rows_loaded + good.rows_quarantined


def test_no_rejected_file_creates_a_period(ingested):
    periods = {p for (p,) in ingested["con"].sql("SELECT DISTINCT period FROM meta.period_status").fetchall()}
    assert periods == {"2025Q3"}
    assert all(parse_label(p).start <= AS_OF for p in periods)


def test_a_rejected_correction_says_which_file_the_figures_use(ingested):
    lines = {r.file_name: r.line for r in rejected_files(ingested["con"])}
    line = lines["nmds_events_2025Q3_correction.csv"]
    assert line.startswith("nmds_events 2025Q3 correction rejected (nmds_events_2025Q3_correction"
                           ".csv: fields are separated by semicolons")
    assert re.search(rf"; figures use the file loaded on \d{{4}}-\d\d-\d\d \({GOOD}\)$", line)


def test_a_second_run_still_reports_them_rejected(ingested):
    again = ingest_source(ingested["con"], "nmds_events", ingested["landing"], as_of=AS_OF)
    statuses = {f.file_name: f.status for f in again.files}
    assert statuses[GOOD] == "skipped"
    assert all(statuses[name] == "rejected" for name in CASES if name.startswith("nmds_events"))


def test_the_closing_line_counts_them(ingested):
    outcome = LandingOutcome(rejected_files(ingested["con"]),
                             unrecognised(ingested["landing"], ["nmds_events", "nnpac_ed",
                                                                "oral_health", "population"]))
    assert outcome.closing() == f"completed with {len(CASES)} rejected files, 2 landing entries not read"
    assert outcome.exit_status == 2


def test_unknown_landing_folders_are_reported_with_the_nearest_source(ingested):
    lines = unrecognised(ingested["landing"], ["nmds_events", "nnpac_ed", "oral_health"])
    assert "landing folder 'nmds_event' not read: no data contract has this id; did you mean nmds_events/?" in lines
    assert any(line.startswith("landing folder 'unknown_source' not read") for line in lines)


def test_the_report_lists_every_rejected_file(ingested):
    from pipelines.contracts.report import render_dq_report

    report = render_dq_report(ingested["con"], "2025Q3")
    assert f"## Rejected files ({len(CASES)})" in report
    assert "- nmds_events 2025Q3 correction rejected (nmds_events_2025Q3_correction.csv: fields are " \
           "separated by semicolons" in report


def test_the_dashboards_data_quality_panel_lists_them(ingested):
    from pipelines.config import SQL_DIR
    from pipelines.warehouse import read_sql

    dq = ingested["con"].sql(read_sql(SQL_DIR / "publish" / "dq_summary.sql")).pl()
    rejected = dq.filter(dq["status"] == "rejected")
    assert rejected.height == len(CASES)
    correction = rejected.filter(rejected["failed_rules"].str.contains("2025Q3_correction"))
    assert correction["period"].to_list() == ["2025Q3"]
    assert "; figures use the file loaded on " in correction["failed_rules"][0]
