"""The contract → GX compiler: a snapshot of one compiled suite, and its invariants for all."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from pipelines.contracts import compile_suite
from pipelines.contracts.gx_suite import compile_flag_suite, flag_suite_spec, suite_spec
from tests.contracts.conftest import CONTRACTS

SNAPSHOT = Path(__file__).parent / "snapshots" / "nmds_events.suite.json"


def _canonical(suite) -> str:
    data = suite.to_json_dict()
    data.pop("id", None)
    data["meta"].pop("contract_fingerprint", None)  # changes with comments and whitespace too
    for e in data["expectations"]:
        e.pop("id", None)
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def test_nmds_events_suite_matches_snapshot(gx_ready):
    """A contract edit shows up here as a diff. Accept it with UPDATE_SNAPSHOTS=1 pytest …"""
    text = _canonical(compile_suite(CONTRACTS["nmds_events"]))
    if os.environ.get("UPDATE_SNAPSHOTS") == "1" or not SNAPSHOT.exists():
        SNAPSHOT.write_text(text, encoding="utf-8")
    assert text == SNAPSHOT.read_text(encoding="utf-8")


@pytest.mark.parametrize("source_id", sorted(CONTRACTS))
def test_one_expectation_per_row_rule_with_rule_meta(source_id):
    c = CONTRACTS[source_id]
    for spec in (suite_spec(c), flag_suite_spec(c)):
        metas = [e["meta"] for e in spec["expectations"]]
        assert [m["rule_id"] for m in metas] == [r.id for r in c.row_rules]
        assert [m["severity"] for m in metas] == [r.severity for r in c.row_rules]
        sev = {"error": "critical", "warning": "warning"}
        assert [e["severity"] for e in spec["expectations"]] == [sev[r.severity] for r in c.row_rules]
        mostly = [e["kwargs"].get("mostly") for e in spec["expectations"]]
        assert mostly == [r.mostly for r in c.row_rules]


def test_suites_are_cached_per_contract_text(gx_ready):
    c = CONTRACTS["population"]
    assert compile_suite(c) is compile_suite(c)
    assert compile_flag_suite(c) is compile_flag_suite(c)
    assert compile_suite(c) is not compile_flag_suite(c)


def test_code_sets_are_resolved_from_reference_tables():
    spec = suite_spec(CONTRACTS["nmds_events"])
    sets = {e["meta"]["rule_id"]: e["kwargs"]["value_set"] for e in spec["expectations"]
            if e["type"] == "expect_column_values_to_be_in_set"}
    assert len(sets["nmds_events.dhb_of_service_known"]) == 20
    assert "ZA" in sets["nmds_events.admission_type_known"]  # from reference/nmds_codes.csv
    assert sets["nmds_events.event_type_known"] == ["BT", "ID", "IP"]
