"""load_contract: what the rest of the pipeline sees, and loud failures for broken contracts."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from pipelines.config import CONTRACTS_DIR
from pipelines.contracts import ContractError, load_contract
from pipelines.contracts.codesets import parse_reference, resolve


def test_public_shape_used_by_ingestion():
    c = load_contract("nmds_events")
    assert (c.source_id, c.version, c.period_column, c.period_kind) == (
        "nmds_events", "1.0.0", "discharge_date", "quarter")
    dob = c.column("date_of_birth")
    assert (dob.physical_type, dob.required, dob.restricted) == ("DATE", True, True)
    assert c.column("event_id").physical_type == "VARCHAR" and not c.column("event_id").restricted
    rule = c.rule("nmds_events.discharge_on_or_after_admission")
    assert (rule.severity, rule.dimension, rule.level) == ("error", "consistency", "row")
    assert c.rule("all_districts_present").level == "dataset"
    assert load_contract("moh_release").many_periods_per_file
    assert not c.many_periods_per_file
    assert load_contract("smokefree").period_kind == "half_year"


def _edited(tmp_path: Path, source_id: str, edit) -> Path:
    doc = yaml.safe_load((CONTRACTS_DIR / f"{source_id}.odcs.yaml").read_text(encoding="utf-8"))
    edit(doc)
    (tmp_path / f"{source_id}.odcs.yaml").write_text(yaml.safe_dump(doc, allow_unicode=True),
                                                      encoding="utf-8")
    return tmp_path


def _first_rule(doc):
    return doc["schema"][0]["properties"][0]["quality"][0]


@pytest.mark.parametrize(("edit", "message"), [
    (lambda d: _first_rule(d).pop("customProperties"), "missing remediation"),
    (lambda d: _first_rule(d).update(severity="fatal"), "severity must be one of"),
    (lambda d: _first_rule(d).update(metric="rowCountish"), "unsupported library rule"),
    (lambda d: _first_rule(d).update(mustBe=None, mustBeLessThan=3), "use mustBe: 0"),
    (lambda d: d.update(id="other"), "does not match the file name"),
    (lambda d: d["customProperties"][0].update(value="nope"), "periodColumn"),
    (lambda d: d["schema"][0]["properties"][1]["quality"].append(
        dict(_first_rule(d))), "used twice"),
    (lambda d: d["schema"][0]["properties"][1]["quality"][1].update(
        arguments={"validValuesFrom": "ref.districts.code9"}), "no column"),
    (lambda d: d["schema"][0]["properties"][1]["quality"][1].update(
        arguments={"validValuesFrom": "ref.contract_code_sets.code[code_set=typo]"}), "no values"),
    (lambda d: d["schema"][0]["quality"][0]["implementation"].update(
        expectation="expect_column_to_exist"), "unsupported Great Expectations rule"),
])
def test_broken_contracts_fail_loudly(tmp_path, edit, message):
    folder = _edited(tmp_path, "population", edit)
    with pytest.raises(ContractError, match=message):
        load_contract("population", contracts_dir=folder)


def test_unknown_source(tmp_path):
    with pytest.raises(ContractError, match="no contract"):
        load_contract("nope", contracts_dir=tmp_path)


def test_an_edited_contract_is_reloaded(tmp_path):
    shutil.copy(CONTRACTS_DIR / "youth_survey.odcs.yaml", tmp_path)
    before = load_contract("youth_survey", contracts_dir=tmp_path)
    _edited(tmp_path, "youth_survey", lambda d: d.update(version="1.1.0"))
    after = load_contract("youth_survey", contracts_dir=tmp_path)
    assert (before.version, after.version) == ("1.0.0", "1.1.0")
    assert before.fingerprint != after.fingerprint


def test_reference_syntax():
    assert parse_reference("ref.nmds_codes.code[table=admission_type]") == (
        "nmds_codes", "code", {"table": "admission_type"})
    assert parse_reference("ref.districts.code3") == ("districts", "code3", {})
    with pytest.raises(ValueError):
        parse_reference("districts.code3")
    assert resolve("ref.nmds_codes.code[table=admission_source]") == ("R", "T")
    assert resolve("ref.contract_code_sets.code[code_set=esr_age_group]") == ("15-19", "20-24")
