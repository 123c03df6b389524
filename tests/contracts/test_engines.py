"""Great Expectations and the SQL compiler agree, rule by rule, on every contract.

Each contract gets one batch holding its clean rows plus one defect row per row rule. The
semantic GX suite (typed columns), the flag suite (DuckDB predicates counted by GX) and
row_violations_sql must report the same number of rows for every rule, and every rule fails.
"""

from __future__ import annotations

from collections import Counter

import pytest

from pipelines.contracts import row_violations_sql, validate_batch
from pipelines.contracts.validate import ENGINE_FLAGS, ENGINE_GX
from tests.contracts.batches import N_CLEAN, clean_rows, defect_row, load_batch
from tests.contracts.conftest import CONTRACTS

ENGINES = (ENGINE_GX, ENGINE_FLAGS)


@pytest.mark.parametrize("source_id", sorted(CONTRACTS))
def test_engines_agree_on_every_row_rule(mem, gx_ready, source_id):
    c = CONTRACTS[source_id]
    clean = clean_rows(c)
    defects = [defect_row(c, r, clean, N_CLEAN + k) for k, r in enumerate(c.row_rules)]
    load_batch(mem, c, clean + defects)
    sql_counts = Counter(rule_id for _, rule_id, _, _ in mem.sql(row_violations_sql(c)).fetchall())

    outcomes = {}
    for engine in ENGINES:
        result = validate_batch(mem, c, "batch", engine=engine)
        by_rule = {r.rule_id: r for r in result.rules}
        for rule in c.row_rules:
            got = by_rule[rule.id]
            assert got.unexpected_count == sql_counts[rule.id] >= 1, (engine, rule.id)
            assert got.passed is False and got.note == "", (engine, rule.id, got.note)
            assert got.engine == engine and got.rows_evaluated == len(clean) + len(defects)
        outcomes[engine] = [(r.rule_id, r.passed, r.unexpected_count, r.districts_affected)
                            for r in result.rules]
    assert outcomes[ENGINE_GX] == outcomes[ENGINE_FLAGS]


@pytest.mark.parametrize("source_id", sorted(CONTRACTS))
def test_clean_batch_passes_every_rule(mem, gx_ready, source_id):
    c = CONTRACTS[source_id]
    load_batch(mem, c, clean_rows(c))
    for engine in ENGINES:
        result = validate_batch(mem, c, "batch", previous_counts={"2024Q1": 20, "2024H1": 20,
                                                                     "2024": 20}, engine=engine)
        assert result.status == "pass", [r for r in result.rules if not r.passed]
        assert len(result.rules) == len(c.rules) and result.skipped == []
        assert all(r.unexpected_count == 0 for r in result.rules)


def test_districts_affected_name_the_defect_rows_districts(mem, gx_ready):
    c = CONTRACTS["nmds_events"]
    clean = clean_rows(c)
    rule = c.rule("discharge_on_or_after_admission")
    bad = [defect_row(c, rule, clean, N_CLEAN + k) for k in (0, 3)]  # districts 1st and 4th
    load_batch(mem, c, clean + bad)
    got = {r.rule_id: r for r in validate_batch(mem, c, "batch").rules}[rule.id]
    assert got.districts_affected == [bad[0]["dhb_of_service"], bad[1]["dhb_of_service"]]
    assert got.unexpected_count == 2 and not got.passed


def test_gx_smoke_compiled_suite_runs_in_a_fresh_context(mem, gx_ready):
    """The compiled suite is plain GX 1.x: it runs outside our runtime too (API drift guard)."""
    import great_expectations as gx

    from pipelines.contracts import compile_suite
    from pipelines.contracts.sql import gx_frame_sql

    c = CONTRACTS["esr_chlamydia"]
    clean = clean_rows(c)
    load_batch(mem, c, clean + [defect_row(c, c.rule("positives_not_more_than_tested"), clean, N_CLEAN)])
    suite = compile_suite(c)
    assert isinstance(suite, gx.ExpectationSuite)
    assert [e.meta["rule_id"] for e in suite.expectations] == [r.id for r in c.row_rules]
    ctx = gx.get_context(mode="ephemeral")
    batch = ctx.data_sources.add_pandas("smoke").add_dataframe_asset("a").add_batch_definition_whole_dataframe("b")
    copy = ctx.suites.add(gx.ExpectationSuite(name="smoke", expectations=[
        gx.expectations.__dict__[type(e).__name__](**e.configuration.kwargs, meta=e.meta)
        for e in suite.expectations]))
    run = ctx.validation_definitions.add(gx.ValidationDefinition(name="smoke", data=batch, suite=copy))
    res = run.run(batch_parameters={"dataframe": mem.sql(gx_frame_sql(c, "batch")).df()})
    failed = [r.expectation_config.meta["rule_id"] for r in res.results if not r.success]
    assert failed == ["esr_chlamydia.positives_not_more_than_tested"]
