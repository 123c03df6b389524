"""render_dq_report: a period's verdicts, failed rules, counts, districts and what to do."""

from __future__ import annotations

from datetime import datetime

from pipelines.contracts import row_violations_sql, validate_batch
from pipelines.contracts.report import periods_in_scope, render_dq_report
from tests.contracts.batches import N_CLEAN, clean_rows, defect_row, load_batch
from tests.contracts.conftest import CONTRACTS
from tests.contracts.test_restricted import restricted_values

NOW = datetime(2026, 11, 22, 9, 30)


def _record(con, contract, rows, period, previous=None):
    """What ingestion does with our results (pipelines/sources/ingest.py), in miniature."""
    load_batch(con, contract, rows)
    result = validate_batch(con, contract, "batch", previous_counts=previous)
    sid = contract.source_id
    con.executemany("INSERT INTO meta.dq_rule_results VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", [
        (sid, period, r.rule_id, r.severity, r.dimension, r.description, r.passed,
         r.unexpected_count, r.rows_evaluated, r.districts_affected, r.engine, NOW)
        for r in result.rules])
    con.execute(
        "INSERT INTO meta.quarantine SELECT ?, 'f.csv', 'h', _row_number, ?, min(rule_id), 'error', "
        f"string_agg(reason, '; '), NULL FROM ({row_violations_sql(contract)}) "
        "WHERE severity = 'error' GROUP BY _row_number", [sid, period]).fetchall()
    quarantined = con.execute("SELECT count(*) FROM meta.quarantine WHERE source_id = ?", [sid]).fetchall()[0][0]
    con.execute("INSERT INTO meta.provenance VALUES (?, 'f.csv', 'h', ?, ?, ?, ?, 'loaded', '', ?)",
                [sid, period, len(rows), len(rows) - quarantined, quarantined, NOW]).fetchall()
    con.execute("INSERT INTO meta.period_status VALUES (?, ?, ?, ?, ?)",
                [sid, period, result.status, result.blocking_rules, NOW]).fetchall()
    return result


def test_periods_in_scope():
    assert periods_in_scope("2024Q1") == {"quarter": ["2024Q1"], "half_year": ["2024H1"], "year": ["2024"]}
    assert periods_in_scope("2024")["quarter"] == ["2024Q1", "2024Q2", "2024Q3", "2024Q4"]
    assert periods_in_scope("2024H2")["quarter"] == ["2024Q3", "2024Q4"]


def test_report_explains_a_blocked_period_without_restricted_values(con, gx_ready):
    nmds = CONTRACTS["nmds_events"]
    clean = clean_rows(nmds)
    rule = nmds.rule("birth_on_or_before_admission")
    bad = [defect_row(nmds, rule, clean, N_CLEAN + k) for k in (0, 1)]
    fmt = defect_row(nmds, nmds.rule("nhi_encrypted_format"), clean, N_CLEAN + 2)
    nmds_rows = clean + bad + [fmt]
    _record(con, nmds, nmds_rows, "2024Q1", {"2024Q1": 23})
    pop = CONTRACTS["population"]
    _record(con, pop, clean_rows(pop), "2024", {"2024": 20})
    sf = CONTRACTS["smokefree"]
    sf_clean = clean_rows(sf)
    sf_rows = sf_clean + [defect_row(sf, sf.rule("contact_age_plausible"), sf_clean, N_CLEAN)]
    _record(con, sf, sf_rows, "2024H1", {"2024H1": 21})

    report = render_dq_report(con, "2024Q1")
    assert "# Data quality — 2024Q1" in report
    assert "**1 blocked, 1 with warnings, 1 passed, 9 not checked.**" in report
    assert "| nmds_events | 2024Q1 | BLOCKED | 23 | 20 | 3 | 2 errors |" in report
    assert "| population | 2024 | passed | 20 | 20 | 0 | — |" in report
    assert "## nmds_events 2024Q1 — BLOCKED" in report
    assert "- **error** `nmds_events.birth_on_or_before_admission` — The patient was born" in report
    assert "2 of 23 rows · districts: Northland (011), Waitematā (021) · 2 rows quarantined" in report
    assert "What to do: Ask the supplier to check the date of birth" in report
    assert "Example: admission_date" in report and "(value withheld)" in report
    assert "## smokefree 2024H1 — warnings" in report
    assert "`smokefree.contact_age_plausible`" in report
    assert "## population" not in report  # nothing to say about a clean period
    for secret in restricted_values(nmds, nmds_rows) | restricted_values(sf, sf_rows):
        assert secret not in report


def test_report_for_an_empty_warehouse(con):
    report = render_dq_report(con, "2025Q4")
    assert "0 blocked, 0 with warnings, 0 passed, 12 not checked" in report


def test_dataset_rules_read_as_districts_and_row_counts(con, gx_ready):
    esr = CONTRACTS["esr_chlamydia"]
    rows = [r for r in clean_rows(esr) if r["dhb_code"] not in ("011", "160")]
    _record(con, esr, rows, "2024Q1", {"2024Q1": 36})
    report = render_dq_report(con, "2024Q1")
    assert "2 districts missing: Northland (011), Southern (160)" in report
    assert "18 rows, 18 away from the previous period" in report
