"""The targets file: its own contract, the shipped example, and refusals that name row and column."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import jsonschema
import open_data_contract_standard
import polars as pl
import pytest
import yaml
from open_data_contract_standard.model import OpenDataContractStandard

from pipelines.dashboards.summary import HEADLINES
from pipelines.dashboards.targets import (
    EXAMPLE_TARGETS,
    TARGETS_CONTRACTS_DIR,
    TargetsError,
    load_targets,
    milestone_period_end,
)

CONTRACT = TARGETS_CONTRACTS_DIR / "targets.odcs.yaml"
HEADER = "district_code,measure_id,year,group,milestone,note\n"
MEASURES = [m for m, _ in HEADLINES]


def test_contract_is_valid_odcs():
    text = CONTRACT.read_text(encoding="utf-8")
    OpenDataContractStandard.from_string(text)
    schema = json.loads((Path(open_data_contract_standard.__file__).parent / "schema.json")
                        .read_text(encoding="utf-8"))
    errors = list(jsonschema.Draft201909Validator(schema).iter_errors(yaml.safe_load(text)))
    assert not errors, [e.message[:200] for e in errors]


def test_example_file_loads_with_every_headline_and_district():
    t = load_targets(EXAMPLE_TARGETS, MEASURES)
    assert t.height == t.select("district_code", "measure_id", "year", "group").unique().height
    assert set(t.get_column("measure_id")) == set(MEASURES)
    assert t.get_column("district_code").n_unique() == 20
    assert {"total", "maori", "maori_gap"} <= set(t.get_column("group"))
    r = t.filter(pl.col("year") == 2026).row(0, named=True)
    assert r["period_end"] == date(2026, 6, 30) == milestone_period_end(2026)


def _write(tmp_path: Path, body: str) -> Path:
    p = tmp_path / "targets.csv"
    p.write_text(HEADER + body, encoding="utf-8")
    return p


BAD_ROWS = [  # (row as written, the column its message must name)
    ("11,ash_0_4,2026,total,5000,", "district_code"),      # lost its leading zero
    ("011,ash_0_4,2026,Maori,5000,", "group"),             # not a group id
    ("011,ash_0_4,twenty26,total,5000,", "year"),          # does not type
    ("011,ash_0_4,2061,total,5000,", "year"),              # out of range
    ("011,ash_0_4,2026,total,-3,", "milestone"),           # negative
    ("011,ash_0_4,2027,total,,", "milestone"),             # missing
    ("011,ASH 0-4,2026,total,5000,", "measure_id"),        # not an id
]


def test_bad_rows_are_refused_naming_file_row_and_column(tmp_path):
    """One file, one good row then one bad row per rule (one GX run keeps the test quick)."""
    path = _write(tmp_path, "021,ash_0_4,2026,total,5000,plan p.4\n"
                  + "".join(row + "\n" for row, _ in BAD_ROWS))
    with pytest.raises(TargetsError) as err:
        load_targets(path, MEASURES)
    lines = str(err.value).splitlines()[1:]
    assert not [ln for ln in lines if ln.startswith("targets.csv, row 1:")]  # the good row
    for i, (_, column) in enumerate(BAD_ROWS, start=2):
        mine = [ln for ln in lines if ln.startswith(f"targets.csv, row {i}:")]
        assert mine and any(column in ln for ln in mine), (i, column, lines)


def test_duplicate_milestone_is_refused(tmp_path):
    path = _write(tmp_path, "011,ash_0_4,2026,total,5000,\n011,ash_0_4,2026,total,4900,\n")
    with pytest.raises(TargetsError, match=r"row 1: .*\n.*row 2"):
        load_targets(path, MEASURES)


def test_unknown_measure_is_refused(tmp_path):
    path = _write(tmp_path, "011,ash_0_5,2026,total,5000,\n")
    with pytest.raises(TargetsError, match="row 1: column measure_id: 'ash_0_5' is not a published measure"):
        load_targets(path, MEASURES)


def test_missing_column_is_refused(tmp_path):
    path = tmp_path / "targets.csv"
    path.write_text("district_code,measure_id,year,milestone\n011,ash_0_4,2026,5000\n", encoding="utf-8")
    with pytest.raises(TargetsError, match="missing required column"):
        load_targets(path, MEASURES)


def test_gx_verdict_is_recorded_once_per_file_content(con, tmp_path, monkeypatch):
    """With the warehouse at hand, GX's verdict on the milestones file is recorded and reused
    for the same bytes (a refresh's run worker need not import GX to repeat it); an edited file
    is validated again. The SQL row checks run every time either way."""
    from pipelines.contracts import validate

    path = tmp_path / "targets.csv"
    path.write_bytes(EXAMPLE_TARGETS.read_bytes())
    first = load_targets(path, MEASURES, verdicts=con)
    recorded = con.sql("SELECT file_name, blocking_rules FROM meta.hand_kept_verdicts").fetchall()
    assert recorded == [("targets.csv", [])]

    calls = []
    real = validate.validate_batch
    monkeypatch.setattr(validate, "validate_batch", lambda *a, **k: calls.append(a) or real(*a, **k))
    assert load_targets(path, MEASURES, verdicts=con).equals(first)
    assert calls == []                                  # the same bytes: the recorded verdict

    path.write_text(path.read_text(encoding="utf-8").replace("\n", "\r\n"), encoding="utf-8")
    assert load_targets(path, MEASURES, verdicts=con).equals(first)
    assert len(calls) == 1                              # other bytes: GX again, and recorded
    assert con.sql("SELECT count(*) FROM meta.hand_kept_verdicts").fetchall() == [(2,)]

    # The recorded verdict is what decides: a failed rule on record refuses the file.
    con.execute("UPDATE meta.hand_kept_verdicts SET blocking_rules = ['targets.milestone_positive']")
    with pytest.raises(TargetsError, match="contract rules failed: targets.milestone_positive"):
        load_targets(path, MEASURES, verdicts=con)
    # A row the SQL checks refuse is refused whatever the record says.
    path.write_text(HEADER + "011,ash_0_4,2027,total,-5,\n", encoding="utf-8")
    with pytest.raises(TargetsError, match="targets.csv, row 1: milestone -5.0"):
        load_targets(path, MEASURES, verdicts=con)
