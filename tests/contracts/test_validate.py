"""validate_batch behaviour: tolerance, volume, verdicts, engine choice."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from pipelines.contracts import clean_row_rules, row_violations_sql, validate_batch, validate_groups
from pipelines.contracts import validate as validate_module
from pipelines.contracts.validate import ENGINE_FLAGS, ENGINE_GX, _raised, dataset_results
from tests.contracts.batches import DISTRICTS, N_CLEAN, clean_rows, defect_row, load_batch
from tests.contracts.conftest import CONTRACTS

NMDS = CONTRACTS["nmds_events"]
PREVIOUS = {"2024Q1": N_CLEAN}


def _nmds_with_bad_dates(mem, n_rows: int, n_bad: int):
    rows = clean_rows(NMDS, n_rows)
    for r in rows[:n_bad]:
        r["discharge_date"] = r["admission_date"] - timedelta(days=1)
    load_batch(mem, NMDS, rows)


@pytest.mark.parametrize("engine", [ENGINE_GX, ENGINE_FLAGS])
def test_tolerance_rows_are_listed_but_do_not_block(mem, gx_ready, engine):
    """mustBeLessOrEqualTo 0.1 percent: 2 bad rows in 2,000 are quarantined, the period passes."""
    _nmds_with_bad_dates(mem, 2000, 2)
    result = validate_batch(mem, NMDS, "batch", engine=engine)
    rule = {r.rule_id: r for r in result.rules}["nmds_events.discharge_on_or_after_admission"]
    assert rule.passed and rule.unexpected_count == 2
    assert not result.blocking
    flagged = mem.sql(f"SELECT count(*) FROM ({row_violations_sql(NMDS)})").fetchall()[0][0]
    assert flagged == 2


@pytest.mark.parametrize("engine", [ENGINE_GX, ENGINE_FLAGS])
def test_beyond_tolerance_blocks(mem, gx_ready, engine):
    _nmds_with_bad_dates(mem, 2000, 3)  # 0.15 % > 0.1 %
    result = validate_batch(mem, NMDS, "batch", previous_counts={"2024Q1": 2000}, engine=engine)
    assert result.blocking and result.status == "blocked"
    assert result.blocking_rules == ["nmds_events.discharge_on_or_after_admission"]
    assert result.summary["rules_failed"] == 1 and result.summary["engine"] == engine


def test_warning_only_failures_warn(mem, gx_ready):
    clean = clean_rows(NMDS)
    load_batch(mem, NMDS, clean + [defect_row(NMDS, NMDS.rule("day_case_same_day"), clean, N_CLEAN)])
    result = validate_batch(mem, NMDS, "batch", previous_counts=PREVIOUS)
    assert result.status == "warn" and not result.blocking
    assert result.summary["warning_rules"] == ["nmds_events.day_case_same_day"]


@pytest.mark.parametrize(("previous", "passed"), [(20, True), (16, True), (15, False), (26, True),
                                                  (27, False)])
def test_volume_band_is_inclusive(mem, previous, passed):
    """20 rows now: +25 % on 16 passes (the band is inclusive), +33 % on 15 and -26 % on 27 fail."""
    load_batch(mem, NMDS, clean_rows(NMDS))
    results, _ = dataset_results(mem, NMDS, "batch", {"2024Q1": previous})
    volume = {r.rule_id: r for r in results}["nmds_events.volume_within_band"]
    assert volume.passed is passed
    assert volume.unexpected_count == abs(20 - previous) and volume.engine == "duckdb"


def test_volume_without_previous_count_is_skipped_not_passed(mem):
    load_batch(mem, NMDS, clean_rows(NMDS))
    results, skipped = dataset_results(mem, NMDS, "batch", None)
    assert "nmds_events.volume_within_band" not in {r.rule_id for r in results}
    assert skipped == [("nmds_events.volume_within_band", "no row count for the previous period")]


def test_main_period_is_the_most_common(mem):
    rows = clean_rows(NMDS)
    rows[0]["discharge_date"] = rows[0]["admission_date"] = rows[0]["discharge_date"] + timedelta(days=90)
    load_batch(mem, NMDS, rows)
    assert validate_module._size_and_period(mem, "batch") == (20, "2024Q1")


def test_auto_engine_switches_on_batch_size(mem, gx_ready, monkeypatch):
    load_batch(mem, NMDS, clean_rows(NMDS))
    assert validate_batch(mem, NMDS).engine == ENGINE_GX
    monkeypatch.setattr(validate_module, "GX_CELL_BUDGET", 10)
    assert validate_batch(mem, NMDS).engine == ENGINE_FLAGS
    with pytest.raises(ValueError):
        validate_batch(mem, NMDS, engine="spark")


def test_records_fit_dq_rule_results(mem, gx_ready):
    load_batch(mem, NMDS, clean_rows(NMDS))
    record = validate_batch(mem, NMDS, previous_counts=PREVIOUS).to_records()[0]
    assert set(record) >= {"rule_id", "severity", "dimension", "description", "passed",
                           "unexpected_count", "rows_evaluated", "districts_affected", "engine"}


def test_gx_errors_are_reported_by_type_only():
    info = {"raised_exception": True, "exception_message": "bad value '1957-03-14'",
            "exception_traceback": "Traceback ...\nTypeError: cannot compare '1957-03-14'"}
    assert _raised(info) == "TypeError"
    assert _raised({"m": info}) == "TypeError"
    assert _raised({"raised_exception": False}) is None


class _FakeRuntime:
    """Stands in for GX to exercise what validate_batch does with odd GX answers."""

    def __init__(self, answer):
        self.answer = answer

    def run(self, suite, frame):
        from types import SimpleNamespace as NS

        return NS(results=[NS(expectation_config=NS(meta=e.meta), **self.answer(e.meta["rule_id"]))
                           for e in suite.expectations])


def test_gx_error_and_engine_disagreement_are_reported(mem, gx_ready, monkeypatch):
    clean = clean_rows(NMDS)
    rule = NMDS.rule("discharge_on_or_after_admission")
    load_batch(mem, NMDS, clean + [defect_row(NMDS, rule, clean, N_CLEAN)])
    boom = {"raised_exception": True, "exception_traceback": "…\nTypeError: '1957-03-14' < 3"}

    def answer(rule_id):
        if rule_id == rule.id:
            return {"success": False, "result": {}, "exception_info": boom}
        if rule_id == "nmds_events.sex_known":
            return {"success": False, "result": {"unexpected_count": 4}, "exception_info": {}}
        return {"success": True, "result": {"unexpected_count": 0}, "exception_info": {}}

    monkeypatch.setattr(validate_module, "_runtime", lambda: _FakeRuntime(answer))
    by_rule = {r.rule_id: r for r in validate_batch(mem, NMDS, engine=ENGINE_GX).rules}
    errored = by_rule[rule.id]
    assert not errored.passed and errored.unexpected_count is None
    assert errored.note == "GX could not evaluate the rule (TypeError); SQL counted 1"
    assert by_rule["nmds_events.sex_known"].note == "engine disagreement: GX counted 4, SQL 0"


# --- A file restating many periods: one GX run (clean_row_rules) -------------------------------

MOH = CONTRACTS["moh_release"]


def _per_period(mem, clean=None) -> dict[str, list[tuple]]:
    out = {}
    for (period,) in mem.sql("SELECT DISTINCT _period FROM batch ORDER BY 1").fetchall():
        mem.execute(f"CREATE OR REPLACE TEMP VIEW one_period AS SELECT * FROM batch WHERE _period = '{period}'")
        result = validate_batch(mem, MOH, "one_period", clean_in=clean)
        out[period] = [(r.rule_id, r.passed, r.unexpected_count, r.rows_evaluated, r.districts_affected)
                       for r in result.rules]
    return out


def test_a_clean_file_of_many_periods_is_checked_once_with_the_same_results(mem, gx_ready, monkeypatch):
    load_batch(mem, MOH, clean_rows(MOH, 80))
    each_on_its_own = _per_period(mem)
    assert list(each_on_its_own) == ["2024Q1", "2024Q2", "2024Q3", "2024Q4"]
    clean = clean_row_rules(mem, MOH, "batch", "the whole file")
    assert clean is not None and "80 rows" in clean.note
    gx_runs = []
    real = validate_module._row_results
    monkeypatch.setattr(validate_module, "_row_results", lambda *a: gx_runs.append(1) or real(*a))
    assert _per_period(mem, clean) == each_on_its_own
    assert gx_runs == []


def test_a_clean_file_s_periods_validated_together_match_one_by_one(mem, gx_ready):
    """validate_groups (grouped queries, what ingestion uses for a clean release) gives each
    period the result validate_batch gives it alone: a district missing from one period, a
    volume outside the band in another, no previous count for the first."""
    rows = clean_rows(MOH, 80)
    for i, row in enumerate(rows):  # quarter i // 20, every district once in each
        row["period_end"] = (date(2024, 4, 1), date(2024, 7, 1), date(2024, 10, 1), date(2025, 1, 1))[i // 20] \
            - timedelta(days=1)
        row["dhb_code"] = DISTRICTS[i % 20]
    load_batch(mem, MOH, rows[:25] + rows[26:])   # 2024Q2 lacks one district
    previous = {"2024Q2": 20, "2024Q3": 30, "2024Q4": 19}  # 2024Q3: 20 rows vs 30, -33 %
    clean = clean_row_rules(mem, MOH, "batch", "the whole file")
    assert clean is not None

    def key(result):
        return (result.period, result.rows, result.engine, result.skipped,
                [(r.rule_id, r.passed, r.unexpected_count, r.rows_evaluated, r.districts_affected,
                  r.engine, r.note) for r in result.rules])

    one_by_one = {}
    for (period,) in mem.sql("SELECT DISTINCT _period FROM batch ORDER BY 1").fetchall():
        mem.execute(f"CREATE OR REPLACE TEMP VIEW one_period AS SELECT * FROM batch WHERE _period = '{period}'")
        one_by_one[period] = key(validate_batch(mem, MOH, "one_period", previous, clean_in=clean))
    together = {p: key(r) for p, r in validate_groups(mem, MOH, "batch", "_period", previous, clean).items()}
    assert together == one_by_one
    verdicts = {p: sorted(r[0] for r in k[4] if not r[1]) for p, k in together.items()}
    assert verdicts == {"2024Q1": [], "2024Q2": ["moh_release.all_districts_present"],
                        "2024Q3": ["moh_release.volume_within_band"], "2024Q4": []}


@pytest.mark.parametrize("rule_id", ["moh_release.rate_given_where_population",
                                     "moh_release.period_end_is_quarter_end"])
def test_one_unexpected_row_sends_every_period_to_its_own_check(mem, gx_ready, rule_id):
    rows = clean_rows(MOH, 80)
    rule = next(r for r in MOH.row_rules if r.id == rule_id)
    load_batch(mem, MOH, [*rows, defect_row(MOH, rule, rows, 80)])
    assert clean_row_rules(mem, MOH, "batch", "the whole file") is None
