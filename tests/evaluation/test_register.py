"""The initiatives register is checked by its own contract; errors name file, row and column."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipelines.contracts import load_contract
from pipelines.evaluation import RegisterError, initiatives, load_register
from pipelines.evaluation.register import DEFAULT_REGISTER, REGISTER_CONTRACTS

HEADER = ("initiative_id,initiative_name,district_code,measure_id,group_id,start_quarter,"
          "end_quarter,expected_direction,expected_change_pct\n")


def write(tmp_path: Path, body: str, header: str = HEADER) -> Path:
    path = tmp_path / "register.csv"
    path.write_text(header + body, encoding="utf-8")
    return path


def test_the_shipped_register_is_valid_and_groups_rows_into_initiatives():
    register = load_register(DEFAULT_REGISTER, evaluable={"ash_0_4", "youth_self_harm"})
    found = {i.initiative_id: i for i in initiatives(register)}
    assert found["dental_outreach"].districts == ("047", "051")
    assert found["resp_pathway_u5"].targets == (("ash_0_4", "maori", -30.0, "decrease"),
                                                ("ash_0_4", "total", -10.0, "decrease"))
    assert found["rangatahi_wellbeing"].end_quarter == "2025Q4"


def test_the_register_contract_is_not_a_landing_source():
    contract = load_contract("initiatives", REGISTER_CONTRACTS)
    assert contract.period_column == "start_quarter" and contract.district_column == "district_code"
    assert not (REGISTER_CONTRACTS.parent / "initiatives.odcs.yaml").exists()


@pytest.mark.parametrize(("row", "message"), [
    ("a,A,11,ash_0_4,maori,2024Q1,,decrease,-10", "row 1: district_code '11' is not in ref.districts.code3"),
    ("a,A,011,ash_0_4,kiwi,2024Q1,,decrease,-10", "row 1: group_id 'kiwi' is not in ref.report_groups.group_id"),
    ("a,A,011,ash_0_4,maori,2024Q5,,decrease,-10", "row 1: start_quarter '2024Q5' does not match"),
    ("a,A,011,ash_0_4,maori,2024Q3,2024Q1,decrease,-10", "row 1: end_quarter '2024Q1' is less than start_quarter '2024Q3'"),
    ("a,A,011,ash_0_4,maori,2024Q1,,down,-10", "row 1: expected_direction 'down' does not match"),
    ("a,A,011,ash_0_4,maori,2024Q1,,decrease,-150", "row 1: expected_change_pct -150.0 is not between -100 and 1000"),
    ("a,A,011,ash_0_4,maori,2024Q1,,decrease,ten", "row 1: column expected_change_pct: 'ten' is not a valid DOUBLE"),
    ("a,A,011,ash_0_4,maori,2024Q1,,decrease,10", "row 1: expected_change_pct 10 does not match expected_direction 'decrease'"),
    ("a,A,011,amenable_mortality,maori,2024Q1,,decrease,-10", "row 1: measure_id 'amenable_mortality' cannot be evaluated"),
    ("a,A,011,ash_0_4,maori,,,decrease,-10", "row 1: start_quarter is missing"),
])
def test_each_broken_rule_is_named_with_file_row_and_column(tmp_path, row, message):
    with pytest.raises(RegisterError) as err:
        load_register(write(tmp_path, row + "\n"), evaluable={"ash_0_4"})
    assert "register.csv " + message in str(err.value)


def test_rows_of_one_initiative_must_agree_and_targets_are_unique(tmp_path):
    body = ("a,A,011,ash_0_4,maori,2024Q1,,decrease,-10\n"
            "a,A,011,ash_0_4,maori,2024Q1,,decrease,-10\n"
            "a,A,021,ash_0_4,maori,2024Q2,,decrease,-10\n")
    with pytest.raises(RegisterError) as err:
        load_register(write(tmp_path, body), evaluable={"ash_0_4"})
    text = str(err.value)
    assert "row 1: (initiative_id, district_code, measure_id, group_id) ('a', '011', 'ash_0_4', 'maori') appears 2 times" in text
    assert "initiative 'a' has more than one start_quarter" in text


def test_a_missing_column_is_named(tmp_path):
    with pytest.raises(RegisterError, match="register.csv: missing required column.*expected_change_pct"):
        load_register(write(tmp_path, "a,A,011,ash_0_4,maori,2024Q1,,decrease\n",
                            header=HEADER.replace(",expected_change_pct", "")))
