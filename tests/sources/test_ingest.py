"""Ingestion: idempotent by content hash, period replacement, and nothing lost.

Real DuckDB files; landing files from the generator (one year of the small preset), then edited
by hand to make each situation.
"""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest

from pipelines.sources import ingest_source
from pipelines.synthetic import generate

SOURCES = ["nmds_events"]  # population has its own contract tests; one source keeps these quick
# landing (tests/conftest.py): a copy of one small year of population and admissions


def ingest_all(con, landing: Path):
    return {s: ingest_source(con, s, landing) for s in SOURCES}


def rows_of(path: Path) -> list[list[str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.reader(fh))


def write_rows(path: Path, rows: list[list[str]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh, lineterminator="\n").writerows(rows)


def raw_counts(con) -> dict[str, int]:
    return dict(con.sql("SELECT _period, count(*) FROM raw.nmds_events GROUP BY 1").fetchall())


def test_every_row_read_is_loaded_or_quarantined(con, landing):
    summaries = ingest_all(con, landing)
    for summary in summaries.values():
        for f in summary.files:
            assert f.status == "loaded"
            assert f.rows_read == f.rows_loaded + f.rows_quarantined
    per_file = con.sql("""SELECT file_name, sum(rows_read) - sum(rows_loaded) - sum(rows_quarantined)
                          FROM meta.provenance GROUP BY 1""").fetchall()
    assert all(diff == 0 for _, diff in per_file)
    lines = sum(len(rows_of(p)) - 1 for p in (landing / "nmds_events").glob("*.csv"))
    loaded = con.sql("SELECT count(*) FROM raw.nmds_events").fetchall()[0][0]
    quarantined = con.sql("SELECT count(*) FROM meta.quarantine WHERE source_id = 'nmds_events'").fetchall()[0][0]
    assert loaded + quarantined == lines


def test_codes_keep_their_leading_zeros(con, landing):
    ingest_all(con, landing)
    codes = {r[0] for r in con.sql("SELECT DISTINCT dhb_of_domicile FROM raw.nmds_events").fetchall()}
    assert "011" in codes and all(len(c) == 3 for c in codes)
    types = dict(con.sql("SELECT column_name, data_type FROM information_schema.columns "
                         "WHERE table_name = 'nmds_events' AND table_schema = 'raw'").fetchall())
    assert types["dhb_of_domicile"] == "VARCHAR" and types["discharge_date"] == "DATE"


def test_loading_the_same_files_again_changes_nothing(con, landing):
    ingest_all(con, landing)
    before = (raw_counts(con), con.sql("SELECT count(*) FROM meta.provenance").fetchall())
    again = ingest_all(con, landing)
    assert {f.status for s in again.values() for f in s.files} == {"skipped"}
    assert (raw_counts(con), con.sql("SELECT count(*) FROM meta.provenance").fetchall()) == before


def test_a_corrected_quarter_replaces_exactly_that_quarter(con, landing):
    ingest_all(con, landing)
    before = raw_counts(con)
    path = landing / "nmds_events" / "nmds_events_2025Q2.csv"
    rows = rows_of(path)
    write_rows(path, rows[:-25])                               # the resubmission drops 25 events
    summary = ingest_source(con, "nmds_events", landing)
    assert [f.file_name for f in summary.files if f.status == "loaded"] == [path.name]
    after = raw_counts(con)
    assert after["2025Q2"] == before["2025Q2"] - 25
    assert {k: v for k, v in after.items() if k != "2025Q2"} == {k: v for k, v in before.items() if k != "2025Q2"}
    statuses = con.sql("SELECT status, count(*) FROM meta.provenance WHERE period = '2025Q2' "
                       "AND source_id = 'nmds_events' GROUP BY 1 ORDER BY 1").fetchall()
    assert statuses == [("loaded", 1), ("superseded", 1)]


def test_a_bad_cell_is_quarantined_naming_file_row_and_column(con, landing):
    path = landing / "nmds_events" / "nmds_events_2025Q3.csv"
    rows = rows_of(path)
    header = rows[0]
    rows[5][header.index("discharge_date")] = "2025-13-45"       # data row 5
    rows[9][header.index("dhb_of_domicile")] = "999"             # not a district
    write_rows(path, rows)
    summary = ingest_source(con, "nmds_events", landing)
    f = next(f for f in summary.files if f.file_name == path.name)
    assert f.rows_read == len(rows) - 1 and f.rows_quarantined >= 2
    assert f.rows_read == f.rows_loaded + f.rows_quarantined
    found = dict(con.sql("SELECT row_number, reason FROM meta.quarantine WHERE file_name = ?",
                         params=[path.name]).fetchall())
    assert "discharge_date" in found[5] and "2025-13-45" in found[5]
    assert "dhb_of_domicile" in found[9] or "district" in found[9].lower()
    record = con.sql("SELECT record FROM meta.quarantine WHERE file_name = ? AND row_number = 5",
                     params=[path.name]).fetchall()[0][0]
    assert "2025-13-45" in record                                # the row as read is kept whole


def test_restricted_values_never_appear_in_reasons(con, landing):
    path = landing / "nmds_events" / "nmds_events_2025Q3.csv"
    rows = rows_of(path)
    rows[3][rows[0].index("date_of_birth")] = "not-a-date-1999"
    write_rows(path, rows)
    ingest_source(con, "nmds_events", landing)
    reason = con.sql("SELECT reason FROM meta.quarantine WHERE row_number = 3 AND file_name = ?",
                     params=[path.name]).fetchall()[0][0]
    assert "date_of_birth" in reason and "not-a-date-1999" not in reason


def test_a_file_missing_a_required_column_is_rejected_whole(con, landing):
    path = landing / "nmds_events" / "nmds_events_2025Q1.csv"
    rows = rows_of(path)
    drop = rows[0].index("principal_diagnosis")
    write_rows(path, [r[:drop] + r[drop + 1:] for r in rows])
    summary = ingest_source(con, "nmds_events", landing)
    f = next(f for f in summary.files if f.file_name == path.name)
    assert f.status == "rejected" and "principal_diagnosis" in f.message
    assert f.rows_quarantined == f.rows_read == len(rows) - 1
    assert con.sql("SELECT count(*) FROM raw.nmds_events WHERE _file_name = ?", params=[path.name]).fetchall()[0][0] == 0


def test_a_row_from_another_quarter_is_quarantined_not_moved(con, landing):
    path = landing / "nmds_events" / "nmds_events_2025Q4.csv"
    rows = rows_of(path)
    h = rows[0]
    i = next(i for i, r in enumerate(rows[1:], start=1) if r[h.index("date_of_birth")] < "2020")
    rows[i][h.index("admission_date")] = "2025-01-02"
    rows[i][h.index("discharge_date")] = "2025-01-05"            # belongs to 2025Q1, sent in Q4's file
    write_rows(path, rows)
    ingest_all(con, landing)
    rule, reason = con.sql("SELECT rule_id, reason FROM meta.quarantine WHERE file_name = ? "
                           "AND row_number = ?", params=[path.name, i]).fetchall()[0]
    assert rule == "nmds_events.period.outside_file_period"
    assert "2025Q1" in reason and "2025Q4" in reason


@pytest.fixture(scope="module")
def releases(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("releases")
    generate(preset="small", out_dir=root / "landing", truth_dir=root / "truth", years=2,
             end_quarter="2025Q4", seed=7, sources=["moh_release"])   # five quarterly releases
    return root / "landing"


def test_a_newer_release_supersedes_and_rerunning_keeps_it(con, releases):
    files = sorted(p.name for p in (releases / "moh_release").iterdir())
    assert len(files) >= 2
    ingest_source(con, "moh_release", releases)
    owners = con.sql("SELECT DISTINCT _file_name FROM raw.moh_release").fetchall()
    assert owners == [(files[-1],)]          # every period now comes from the newest release
    before = con.sql("SELECT count(*), sum(numerator) FROM raw.moh_release").fetchall()
    again = ingest_source(con, "moh_release", releases)
    assert {f.status for f in again.files} == {"skipped"}
    assert con.sql("SELECT DISTINCT _file_name FROM raw.moh_release").fetchall() == [(files[-1],)]
    assert con.sql("SELECT count(*), sum(numerator) FROM raw.moh_release").fetchall() == before


def test_an_undatable_file_is_rejected_even_in_a_partitioned_run(con, landing):
    path = landing / "nmds_events" / "nmds_events_2025Q1.csv"
    rows = rows_of(path)
    drop = rows[0].index("discharge_date")                   # the period column itself
    write_rows(path, [r[:drop] + r[drop + 1:] for r in rows])
    summary = ingest_source(con, "nmds_events", landing, periods={"2025Q3"})
    rejected = [f for f in summary.files if f.file_name == path.name]
    assert rejected and rejected[0].status == "rejected"
    assert rejected[0].rows_quarantined == rejected[0].rows_read == len(rows) - 1


def test_bad_rows_in_a_release_are_quarantined_under_their_own_periods(con, releases, tmp_path):
    """A release restating many periods is swapped in with one statement per step, not one per
    period: each bad row still lands in quarantine under its own period, every period balances,
    and the type failure is reported for the period it is in."""
    import polars as pl

    from pipelines.synthetic.writers import write_xlsx

    landing = tmp_path / "landing"
    shutil.copytree(releases, landing)
    newest = sorted((landing / "moh_release").iterdir())[-1]
    sheets = pl.read_excel(newest, sheet_id=0)
    name, frame = next(iter(sheets.items()))
    periods = sorted(set(frame["period_end"].to_list()))
    first, second = (frame["period_end"] == periods[0]).arg_true()[0], (frame["period_end"] == periods[1]).arg_true()[0]
    frame = frame.with_columns(pl.col("numerator").cast(pl.String))
    frame[int(first), "numerator"] = "lots"             # not a number, in the oldest period
    frame[int(second), "dhb_code"] = "999"              # not a district, in the next one
    newest.unlink()
    write_xlsx({name: frame}, newest)

    summary = ingest_source(con, "moh_release", landing)
    f = next(f for f in summary.files if f.file_name == newest.name)
    assert f.status == "loaded" and len(f.periods) == len(periods)
    assert f.rows_read == frame.height == f.rows_loaded + 2 and f.rows_quarantined == 2
    quarantined = con.sql("SELECT period, row_number FROM meta.quarantine WHERE file_name = ? ORDER BY 1",
                          params=[newest.name]).fetchall()
    assert [p for p, _ in quarantined] == f.periods[:2]
    unbalanced = con.sql("SELECT count(*) FROM meta.provenance WHERE file_name = ? AND status = 'loaded' "
                         "AND rows_read <> rows_loaded + rows_quarantined", params=[newest.name]).fetchall()
    assert unbalanced == [(0,)]
    per_period = dict(con.sql("SELECT period, rows_quarantined FROM meta.provenance WHERE file_name = ? "
                              "AND status = 'loaded'", params=[newest.name]).fetchall())
    assert sorted(per_period) == f.periods
    assert {p: n for p, n in per_period.items() if n} == {f.periods[0]: 1, f.periods[1]: 1}
    typed = con.sql("SELECT period FROM meta.dq_rule_results WHERE rule_id LIKE '%.schema.numerator%'"
                    ).fetchall()
    assert typed == [(f.periods[0],)]
    assert con.sql("SELECT count(*) FROM meta.period_status WHERE source_id = 'moh_release'"
                   ).fetchall() == [(len(periods),)]
