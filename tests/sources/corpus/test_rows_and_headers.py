"""Files that load, with damage inside: bad cells quarantined naming file, row and column, a
period blocked only beyond its source's tolerance, header differences reported, encodings
decoded with their macrons. Each case damages its own period, so one ingestion serves all."""

from __future__ import annotations

import shutil

import pytest

from pipelines.sources import ingest_source
from tests.sources.corpus import damage
from tests.sources.corpus.conftest import AS_OF

QUARTERS = ["2024Q1", "2024Q2", "2024Q3", "2024Q4", "2025Q1", "2025Q2", "2025Q3", "2025Q4"]
YEARS = ["2022", "2023", "2024", "2025"]


def nmds(q: str) -> str:
    return f"nmds_events_{q}.csv"


def population(y: str) -> str:
    return f"population_erp_{y}.csv"


def build(clean, landing) -> dict:
    (landing / "nmds_events").mkdir(parents=True)
    (landing / "population").mkdir()
    out = landing / "nmds_events"
    clean_rows = {q: damage.read_rows(clean / "nmds_events" / nmds(q)) for q in QUARTERS}
    rows = {q: [list(r) for r in clean_rows[q]] for q in QUARTERS}

    damage.set_cell(rows["2024Q1"], 5, "admission_date", "not-a-date")
    date_col = rows["2024Q2"][0].index("admission_date")
    for r in rows["2024Q2"][1::10]:  # every tenth event in d/m/Y: 10 % of the quarter
        y, m, d = r[date_col].split("-")
        r[date_col] = f"{d}/{m}/{y}"
    rows["2024Q3"] = damage.rename_column(rows["2024Q3"], "external_cause_code", "external_cause")
    rows["2024Q4"] = damage.drop_columns(rows["2024Q4"], "ethnic_code_2", "ethnic_code_3")
    domicile, admission = (rows["2025Q1"][0].index(c) for c in ("dhb_of_domicile", "admission_type"))
    for r in rows["2025Q1"][1:]:  # codes padded with spaces, as fixed-width exports do
        r[domicile] += "  "
        r[admission] = " " + r[admission]
    rows["2025Q2"][0].append("comments")
    for r in rows["2025Q2"][1:]:
        r.append("")
    damage.set_cell(rows["2025Q2"], 3, "principal_diagnosis", "J18\n1")  # a quoted line break
    damage.set_cell(rows["2025Q2"], 4, "principal_diagnosis", "J" * 100_000)  # a very long line
    damage.set_cell(rows["2025Q3"], 2, "discharge_date", "2031-01-15")
    damage.set_cell(rows["2025Q3"], 3, "discharge_date", "2031-02-15")
    rows["2025Q3"] = damage.drop_columns(rows["2025Q3"], "other_diagnosis_3")
    rows["2025Q4"] = rows["2025Q4"] + clean_rows["2025Q3"][1:]  # one file, two quarters

    for q in QUARTERS:
        if q == "2025Q1":
            damage.write_rows(out / nmds(q), rows[q], encoding="utf-8-sig", lineterminator="\r\n")
        else:
            damage.write_rows(out / nmds(q), rows[q])
    shutil.copy(out / nmds("2025Q1"), out / "nmds_events_2025Q1_copy.csv")  # the same bytes again
    damage.write_rows(out / "nmds_events_2025Q4_resend.csv", clean_rows["2025Q4"],
                      lineterminator="\r\n")  # the same events again, in another file

    pop = {y: damage.read_rows(clean / "population" / population(y)) for y in YEARS}
    damage.set_cell(pop["2022"], 10, "population", "1.5")
    damage.write_rows(landing / "population" / population("2022"), pop["2022"])
    damage.write_rows(landing / "population" / population("2023"), pop["2023"], encoding="utf-16")
    damage.write_rows(landing / "population" / population("2024"), pop["2024"],
                      encoding="iso8859_13")
    for i in (2, 3, 4):
        damage.set_cell(pop["2025"], i, "population", "1,234")
    damage.write_rows(landing / "population" / population("2025"), pop["2025"])
    return {"clean_rows": clean_rows, "population_rows": pop}


@pytest.fixture(scope="module")
def run(clean_extracts, tmp_path_factory):
    from pipelines.reference import load_reference
    from pipelines.warehouse import connect

    root = tmp_path_factory.mktemp("rows")
    built = build(clean_extracts, root / "landing")
    with connect(root / "warehouse.duckdb") as con:
        load_reference(con)
        files = {}
        for source_id in ("nmds_events", "population"):
            for f in ingest_source(con, source_id, root / "landing", as_of=AS_OF).files:
                files[f.file_name] = f
        yield {"con": con, "files": files, **built}


def status(run, source_id: str, period: str) -> tuple[str, list[str]]:
    return run["con"].execute("SELECT status, blocking_rules FROM meta.period_status WHERE "
                              "source_id = ? AND period = ?", [source_id, period]).fetchone()


def quarantined(run, file_name: str) -> list[tuple[int, str, str]]:
    return run["con"].execute("SELECT row_number, rule_id, reason FROM meta.quarantine WHERE "
                              "file_name = ? ORDER BY 1, 2", [file_name]).fetchall()


def findings(run, file_name: str) -> set[tuple[str, str, str | None]]:
    return set(run["con"].execute("SELECT kind, column_name, suggestion FROM meta.file_findings "
                                  "WHERE file_name = ?", [file_name]).fetchall())


def test_every_file_balances(run):
    unbalanced = run["con"].sql("SELECT file_name, period FROM meta.provenance WHERE rows_read <> "
                                "rows_loaded + rows_quarantined").fetchall()
    assert unbalanced == []
    for f in run["files"].values():
        assert f.rows_read == f.rows_loaded + f.rows_quarantined


def type_result(run, source_id: str, period: str, column: str) -> tuple[bool, int]:
    return run["con"].execute("SELECT passed, unexpected_count FROM meta.dq_rule_results WHERE "
                              "source_id = ? AND period = ? AND rule_id = ?",
                              [source_id, period, f"{source_id}.schema.{column}.type"]).fetchone()


def test_one_bad_date_is_quarantined_and_tolerated(run):
    # The cell that will not type is also a missing admission date: both reasons are given.
    [(row, _, reason)] = quarantined(run, nmds("2024Q1"))
    assert row == 5 and "column admission_date: 'not-a-date' is not a valid DATE" in reason
    assert type_result(run, "nmds_events", "2024Q1", "admission_date") == (True, 1)
    assert status(run, "nmds_events", "2024Q1")[0] != "blocked"


def test_mixed_date_formats_beyond_tolerance_block_the_quarter(run):
    rows = quarantined(run, nmds("2024Q2"))
    assert len(rows) == len(run["clean_rows"]["2024Q2"][1::10])
    assert all("column admission_date: '" in r[2] and "is not a valid DATE" in r[2] for r in rows)
    assert type_result(run, "nmds_events", "2024Q2", "admission_date") == (False, len(rows))
    verdict, rules = status(run, "nmds_events", "2024Q2")
    assert verdict == "blocked" and "nmds_events.schema.admission_date.type" in rules


def test_a_renamed_column_is_reported_with_its_contract_name_and_withholds_its_measure(run):
    assert findings(run, nmds("2024Q3")) == {
        ("missing_column", "external_cause_code", "external_cause"),
        ("unknown_column", "external_cause", "external_cause_code")}
    gaps = run["con"].sql("SELECT source_id, period, column_name, read_by FROM meta.column_gaps "
                         "ORDER BY ALL").fetchall()
    assert gaps == [("nmds_events", "2024Q3", "external_cause_code", ["youth_self_harm"]),
                    ("nmds_events", "2024Q4", "ethnic_code_2", ["all"]),
                    ("nmds_events", "2024Q4", "ethnic_code_3", ["all"])]
    assert status(run, "nmds_events", "2024Q3")[0] != "blocked"  # the other measures publish


def test_dropped_ethnic_codes_block_the_quarter(run):
    verdict, rules = status(run, "nmds_events", "2024Q4")
    assert verdict == "blocked"
    assert rules == ["nmds_events.schema.ethnic_code_2.missing", "nmds_events.schema.ethnic_code_3.missing"]


def test_bom_crlf_and_padded_codes_load_as_if_clean(run):
    f = run["files"][nmds("2025Q1")]
    assert f.status == "loaded" and f.rows_quarantined == 0
    assert f.rows_loaded == len(run["clean_rows"]["2025Q1"]) - 1
    padded = run["con"].execute("SELECT count(*) FROM raw.nmds_events WHERE _period = '2025Q1' AND "
                            "(dhb_of_domicile <> trim(dhb_of_domicile) OR length(dhb_of_domicile) <> 3 "
                            "OR admission_type <> trim(admission_type))").fetchone()[0]
    assert padded == 0
    assert findings(run, nmds("2025Q1")) == set()  # the BOM did not rename the first column


def test_the_same_bytes_under_another_name_are_skipped(run):
    copy = run["files"]["nmds_events_2025Q1_copy.csv"]
    assert copy.status == "skipped" and copy.message == "content hash already loaded"


def test_quoted_line_breaks_and_very_long_cells_are_quarantined_by_row(run):
    rows = quarantined(run, nmds("2025Q2"))
    assert [(r[0], r[1]) for r in rows] == [
        (3, "nmds_events.principal_diagnosis_format"), (4, "nmds_events.principal_diagnosis_format")]
    f = run["files"][nmds("2025Q2")]
    assert f.rows_read == len(run["clean_rows"]["2025Q2"]) - 1  # records, not physical lines
    assert findings(run, nmds("2025Q2")) == {("unknown_column", "comments", None)}


def test_rows_dated_in_the_future_are_quarantined_and_make_no_period(run):
    rows = quarantined(run, nmds("2025Q3"))
    assert {r[0] for r in rows} == {2, 3}
    assert any("period 2031Q1 is outside 2015Q1–2025Q4 (as of 2026-03-01)" in r[2] for r in rows)
    periods = {p for (p,) in run["con"].sql("SELECT period FROM meta.period_status").fetchall()}
    assert max(p for p in periods if "Q" in p) == "2025Q4"
    assert findings(run, nmds("2025Q3")) == {("missing_column", "other_diagnosis_3", None)}


def test_one_file_with_two_quarters_then_a_resend_replaces_it(run):
    first = run["files"][nmds("2025Q4")]
    assert first.rows_quarantined == len(run["clean_rows"]["2025Q3"]) - 1  # the other quarter's rows
    resend = run["files"]["nmds_events_2025Q4_resend.csv"]
    assert resend.status == "loaded" and resend.rows_quarantined == 0
    loaded = run["con"].execute("SELECT count(*) FROM raw.nmds_events WHERE _period = '2025Q4'").fetchone()[0]
    assert loaded == len(run["clean_rows"]["2025Q4"]) - 1  # once, not twice
    assert status(run, "nmds_events", "2025Q4")[0] != "blocked"
    superseded = run["con"].execute("SELECT status FROM meta.provenance WHERE file_name = ?",
                                    [nmds("2025Q4")]).fetchall()
    assert superseded == [("superseded",)]


def test_a_decimal_population_blocks_a_strict_source(run):
    [(row, _, reason)] = quarantined(run, population("2022"))
    assert row == 10 and "column population: '1.5' is not a valid INTEGER" in reason
    assert type_result(run, "population", "2022", "population") == (False, 1)
    assert status(run, "population", "2022")[0] == "blocked"  # aggregate tables are strict


def test_thousands_separators_are_quarantined(run):
    rows = quarantined(run, population("2025"))
    assert [r[0] for r in rows] == [2, 3, 4]
    assert all("'1,234' is not a valid INTEGER" in r[2] for r in rows)


@pytest.mark.parametrize("year", ["2023", "2024"])  # UTF-16 with BOM; ISO-8859-13
def test_other_encodings_decode_with_their_macrons(run, year):
    f = run["files"][population(year)]
    assert f.status == "loaded" and f.rows_quarantined == 0
    maori = run["con"].execute("SELECT count(*) FROM raw.population WHERE _period = ? AND "
                               "ethnic_group = 'Māori'", [year]).fetchone()[0]
    expected = sum(r[5] == "Māori" for r in run["population_rows"][year][1:])
    assert maori == expected > 0
