"""End to end with the generator's defect mode: every planted defect is caught by the rule meant
for it, through the real ingestion (pipelines.sources), and the clean periods beside it pass."""

from __future__ import annotations

import pytest

from pipelines.periods import parse_label
from pipelines.reference import load_reference
from pipelines.sources import ingest_source
from pipelines.synthetic import generate
from pipelines.warehouse import connect

# defect spec → (rule expected to fail, rows it must count at least; 0 = a dataset rule)
EXPECTED = {
    "discharge_before_admission@nmds_events@2025Q3": ("nmds_events.discharge_on_or_after_admission", 5),
    "unknown_code@nmds_events@2025Q2": ("nmds_events.admission_type_known", 3),
    "volume_drop@nmds_events@2025Q4": ("nmds_events.volume_within_band", 0),
    "age_inconsistent@population@2024": ("population.age_band_ordered", 5),
    "duplicate_key@pho_enrolment@2025Q3": ("pho_enrolment.cells_unique", 10),
    "out_of_range@mortality@2024": ("mortality.age_at_death_range", 5),
    "missing_required@mortality@2025": ("mortality.underlying_cause_required", 5),
    "out_of_range@pes_inpatient@2025Q3": ("pes_inpatient.weight_positive", 5),
    "out_of_range@pes_primary_care@2025Q3": ("pes_primary_care.q01_answer_known", 5),
    "event_before_birth@smokefree@2025H1": ("smokefree.contact_on_or_after_birth", 5),
    "out_of_range@esr_chlamydia@2025Q3": ("esr_chlamydia.positives_not_more_than_tested", 5),
    "unknown_district@nnpac_ed@2025Q3": ("nnpac_ed.dhb_of_service_known", 5),
    "bad_date@nnpac_ed@2025Q2": ("nnpac_ed.presentation_date_required", 5),
    "out_of_range@oral_health@2025": ("oral_health.age_range", 5),
    "missing_district@youth_survey@2025": ("youth_survey.all_districts_present", 0),
    # A two-sheet spreadsheet: rows are numbered per file, so a quarantined row is matched once.
    "negative_count@moh_release@2025Q3": ("moh_release.numerator_range", 5),
}


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    root = tmp_path_factory.mktemp("defect_run")
    generate("small", root / "landing", root / "truth", years=2, end_quarter="2025Q4",
             seed=20260101, defects=list(EXPECTED))
    wanted: dict[str, set[str]] = {}
    for spec in EXPECTED:
        _, source, period = spec.split("@")
        wanted.setdefault(source, set()).update({period, parse_label(period).previous().label})
    with connect(root / "warehouse.duckdb") as con:
        load_reference(con)
        for source, periods in sorted(wanted.items()):
            ingest_source(con, source, root / "landing", periods=periods)
        yield con, wanted


@pytest.mark.slow
@pytest.mark.parametrize("spec", list(EXPECTED))
def test_planted_defect_is_caught_by_its_rule(warehouse, gx_ready, spec):
    con, _ = warehouse
    _, source, period = spec.split("@")
    rule_id, at_least = EXPECTED[spec]
    if source == "moh_release":
        # A release restates many periods: its defect rows sit in the windows they belong to.
        found = con.execute("SELECT bool_and(passed), sum(unexpected_count) FROM meta.dq_rule_results "
                            "WHERE source_id = ? AND rule_id = ? HAVING count(*) > 0",
                            [source, rule_id]).fetchall()
    else:
        found = con.execute("SELECT passed, unexpected_count FROM meta.dq_rule_results "
                            "WHERE source_id = ? AND period = ? AND rule_id = ?",
                            [source, period, rule_id]).fetchall()
    assert found, f"{rule_id} has no result for {period}"
    passed, count = found[0]
    if at_least:
        assert count >= at_least
    else:
        assert passed is False


@pytest.mark.slow
def test_clean_periods_beside_the_defects_are_not_blocked(warehouse, gx_ready):
    con, wanted = warehouse
    defect_periods = {(s.split("@")[1], s.split("@")[2]) for s in EXPECTED}
    rows = con.execute("SELECT source_id, period, status, blocking_rules FROM meta.period_status").fetchall()
    # A release restates many periods, so its defect rows block whichever periods they belong to:
    # it has no clean neighbour to check.
    clean = [(s, p, st, b) for s, p, st, b in rows
             if (s, p) not in defect_periods and p in wanted[s] and s != "moh_release"]
    assert len(clean) >= 10
    assert [r for r in clean if r[2] == "blocked"] == []
