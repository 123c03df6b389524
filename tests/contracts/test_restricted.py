"""Restricted values (encrypted NHI, date of birth) never appear in reasons or results."""

from __future__ import annotations

import json
from dataclasses import asdict

import pytest

from pipelines.contracts import row_violations_sql, validate_batch
from pipelines.contracts.validate import ENGINE_FLAGS, ENGINE_GX
from tests.contracts.batches import N_CLEAN, clean_rows, defect_row, load_batch
from tests.contracts.conftest import CONTRACTS

WITH_RESTRICTED = sorted(s for s, c in CONTRACTS.items() if c.restricted_columns)


def restricted_values(contract, rows) -> set[str]:
    """Restricted cells as text, minus any that also occur in an open column (a breaker may set
    an admission date to someone's birth date; showing the admission date is fine)."""
    secret = {str(r[c]) for r in rows for c in contract.restricted_columns if r[c] is not None}
    open_cols = [c.name for c in contract.columns if not c.restricted]
    return secret - {str(r[c]) for r in rows for c in open_cols}


def test_the_restricted_columns_are_the_identifiers():
    assert WITH_RESTRICTED == ["mortality", "nmds_events", "nnpac_ed", "smokefree"]


@pytest.mark.parametrize("source_id", WITH_RESTRICTED)
def test_reasons_and_results_withhold_restricted_values(mem, gx_ready, source_id):
    c = CONTRACTS[source_id]
    clean = clean_rows(c)
    rows = clean + [defect_row(c, r, clean, N_CLEAN + k) for k, r in enumerate(c.row_rules)]
    load_batch(mem, c, rows)
    secrets = restricted_values(c, rows)
    assert len(secrets) > 20

    reasons = [reason for *_, reason in mem.sql(row_violations_sql(c)).fetchall()]
    on_restricted = [r for r in c.row_rules if set(r.columns) & set(c.restricted_columns)
                     and r.kind in ("in_set", "regex", "unique", "compound_unique")]
    assert on_restricted, "the contract has rules that would show a restricted value"
    text = "\n".join(reasons)
    assert "value withheld" in text
    for engine in (ENGINE_GX, ENGINE_FLAGS):
        result = validate_batch(mem, c, "batch", engine=engine)
        text += json.dumps([asdict(r) for r in result.rules]) + json.dumps(result.summary) + repr(result)
    leaked = [s for s in secrets if s in text]
    assert not leaked
