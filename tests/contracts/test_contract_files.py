"""Every contract file is a valid ODCS document and follows the project's conventions."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import open_data_contract_standard
import pytest
import yaml
from open_data_contract_standard.model import OpenDataContractStandard

from pipelines.config import CONTRACTS_DIR, PROJECT_ROOT
from tests.contracts.conftest import ALL_RULES, CONTRACTS

SCHEMA = json.loads(
    (Path(open_data_contract_standard.__file__).parent / "schema.json").read_text(encoding="utf-8"))
FILES = sorted(CONTRACTS_DIR.glob("*.odcs.yaml"))


def test_one_contract_per_source_in_docs():
    documented = set(re.findall(r"^\| `(\w+)` \|", (PROJECT_ROOT / "docs" / "sources.md")
                                .read_text(encoding="utf-8"), flags=re.M))
    assert len(documented) == 12
    assert set(CONTRACTS) == documented


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_valid_against_odcs_model_and_json_schema(path: Path):
    text = path.read_text(encoding="utf-8")
    OpenDataContractStandard.from_string(text)  # the pydantic model the brief names
    errors = list(jsonschema.Draft201909Validator(SCHEMA).iter_errors(yaml.safe_load(text)))
    assert not errors, [f"{list(e.path)}: {e.message[:200]}" for e in errors]


@pytest.mark.parametrize("source_id", sorted(CONTRACTS))
def test_contract_conventions(source_id: str):
    c = CONTRACTS[source_id]
    assert re.fullmatch(r"\d+\.\d+\.\d+", c.version), "semver version"
    assert c.status == "active"
    # required: true and a nullValues rule say the same thing, so they must not drift apart
    not_null = {r.columns[0] for r in c.rules if r.kind == "not_null"}
    assert not_null == {col.name for col in c.columns if col.required}
    # only identifiers are restricted, and every identifier is
    identifiers = {col.name for col in c.columns if "nhi" in col.name or col.name == "date_of_birth"}
    assert set(c.restricted_columns) == identifiers
    assert {r.kind for r in c.dataset_rules} == {"values_present", "volume"}


def test_code_sets_point_at_reference_tables():
    for path in FILES:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        for obj in doc["schema"]:
            for q in [q for p in obj["properties"] for q in p.get("quality", [])] + obj.get("quality", []):
                args = q.get("arguments") or {}
                assert "validValues" not in args, f"{path.name} {q['id']}: copy of a code list"


@pytest.mark.parametrize("rule", ALL_RULES, ids=lambda r: r.id)
def test_rule_is_documented(rule):
    assert re.fullmatch(r"[a-z_]+\.[a-z0-9_]+", rule.id)
    assert rule.severity in ("error", "warning")
    assert rule.dimension and len(rule.description) > 15 and len(rule.remediation) > 15
    assert rule.level in ("row", "dataset")
