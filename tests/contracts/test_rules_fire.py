"""Every rule of every contract fails on a batch made to break it, and only that rule fails.

Row rules are checked through the compiled SQL (row_violations_sql), dataset rules through the
DuckDB dataset evaluation; test_engines.py shows Great Expectations reaches the same counts.
"""

from __future__ import annotations

import pytest

from pipelines.contracts import row_violations_sql
from pipelines.contracts.validate import dataset_results
from tests.contracts.batches import DISTRICTS, N_CLEAN, clean_rows, defect_row, load_batch
from tests.contracts.conftest import ALL_RULES, CONTRACTS, contract_of

ROW_RULES = [r for r in ALL_RULES if r.level == "row"]
DATASET_RULES = [r for r in ALL_RULES if r.level == "dataset"]


@pytest.mark.parametrize("source_id", sorted(CONTRACTS))
def test_clean_batch_breaks_nothing(mem, source_id):
    c = CONTRACTS[source_id]
    load_batch(mem, c, clean_rows(c))
    assert mem.sql(row_violations_sql(c)).fetchall() == []
    results, skipped = dataset_results(mem, c, "batch", {"2024Q1": N_CLEAN, "2024H1": N_CLEAN,
                                                         "2024": N_CLEAN})
    assert [r.rule_id for r in results if not r.passed] == []
    assert skipped == []


@pytest.mark.parametrize("rule", ROW_RULES, ids=lambda r: r.id)
def test_row_rule_fires_alone(mem, rule):
    c = contract_of(rule)
    clean = clean_rows(c)
    load_batch(mem, c, clean + [defect_row(c, rule, clean, N_CLEAN)])
    found = mem.sql(row_violations_sql(c)).fetchall()
    assert {rule_id for _, rule_id, _, _ in found} == {rule.id}
    assert N_CLEAN + 1 in {row for row, *_ in found}  # the defect row itself
    assert all(sev == rule.severity for _, _, sev, _ in found)
    named = rule.param("derived_reason") or rule.param("derived_label") or rule.columns[0]
    assert all(reason.startswith(named) or reason.startswith(f"({rule.columns[0]}")
               for *_, reason in found), found


@pytest.mark.parametrize("rule", DATASET_RULES, ids=lambda r: r.id)
def test_dataset_rule_fires_alone(mem, rule):
    c = contract_of(rule)
    rows = clean_rows(c)
    previous = None
    if rule.kind == "values_present":
        rows = [r for r in rows if r[rule.param("column")] != DISTRICTS[-1]]
    else:  # volume: a quarter of the previous period's rows (every band is narrower than -75 %)
        previous = {p: 4 * len(rows) for p in ("2024Q1", "2024H1", "2024")}
    load_batch(mem, c, rows)
    results, _ = dataset_results(mem, c, "batch", previous)
    failed = [r for r in results if not r.passed]
    assert [r.rule_id for r in failed] == [rule.id]
    if rule.kind == "values_present":
        assert failed[0].districts_affected == [DISTRICTS[-1]]
        assert failed[0].unexpected_count == 1
    else:
        assert "-75.0 %" in failed[0].note
