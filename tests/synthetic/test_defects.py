"""Stage 3: defect mode injects exactly what defects.json says, and nothing else."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from pipelines.synthetic import generate

DEFECTS = [
    "bad_date@nmds_events@2025Q1", "unknown_code@nmds_events@2025Q2",
    "discharge_before_admission@nmds_events@2025Q3", "duplicate_key@nmds_events@2025Q4",
    "missing_required@mortality@2025", "bad_number@moh_release@2025Q4",
    "volume_drop@nnpac_ed@2025Q3", "event_before_birth@nnpac_ed@2025Q4",
    "age_inconsistent@population@2024", "negative_count@esr_chlamydia@2025Q1",
    "out_of_range@pes_primary_care@2025Q1", "out_of_range@pes_inpatient@2025Q2",
    "unknown_district@smokefree@2025H1", "unknown_ethnicity@youth_survey@2025",
    "missing_district@pho_enrolment@2025Q2",
]


@pytest.fixture(scope="module")
def defective(tmp_path_factory):
    root = tmp_path_factory.mktemp("defects")
    summary = generate("small", root / "landing", root / "truth", years=2, end_quarter="2025Q4",
                       seed=20260101, defects=DEFECTS)
    records = json.loads((root / "truth/defects.json").read_text(encoding="utf-8"))
    return root / "landing", records, summary


def _text(path: Path, sheet: str | None) -> pl.DataFrame:
    if path.suffix == ".csv":
        return pl.read_csv(path, infer_schema=False)
    if path.suffix == ".parquet":
        return pl.read_parquet(path)
    return pl.read_excel(path, sheet_name=sheet, engine="calamine")


def test_every_recorded_row_holds_its_defect(defective):
    landing, records, _ = defective
    assert {r["kind"] for r in records} == {d.split("@")[0] for d in DEFECTS}
    for r in records:
        if r["row"] is None:
            continue
        df = _text(landing / r["file"], r.get("sheet"))
        got = df[r["column"]][r["row"] - 1]
        want = r["value"]
        if isinstance(got, (int, float)) and want is not None:
            want = type(got)(want)
        elif got is not None and not isinstance(got, str):
            got = str(got)[:10]
        assert got == want, r
        row = df.row(r["row"] - 1, named=True)
        kind = r["kind"]
        if kind == "discharge_before_admission":
            assert str(row["discharge_date"]) < str(row["admission_date"])
        if kind == "event_before_birth":
            assert str(row["presentation_date"]) < str(row["date_of_birth"])
        if kind == "age_inconsistent":
            assert int(row["age_lower"]) > int(row["age_upper"])
        if kind == "negative_count":
            assert int(got) < 0
        if kind == "duplicate_key":
            assert df.row(r["duplicates_row"] - 1) == df.row(r["row"] - 1)
        if kind == "unknown_code" and r["column"] == "principal_diagnosis":
            assert not pl.Series([got]).str.contains(r"^[A-Z][0-9]{2,3}$").item()


def test_row_counts_change_only_as_the_kind_says(defective, small_run):
    landing, records, summary = defective
    clean_landing, _, clean = small_run
    rows = {f["file"]: f["rows"] for f in summary.files}
    clean_rows = {f["file"]: f["rows"] for f in clean.files}
    touched = {r["file"] for r in records}
    for f, n in rows.items():
        kinds = {r["kind"] for r in records if r["file"] == f}
        if kinds & {"volume_drop", "missing_district"}:
            removed = sum(r["rows_removed"] for r in records if r["file"] == f)
            assert n == clean_rows[f] - removed and removed > 0
            if "volume_drop" in kinds:
                assert 0.5 < removed / clean_rows[f] < 0.7
        elif "duplicate_key" in kinds:
            assert n == clean_rows[f] + sum(r["kind"] == "duplicate_key" for r in records
                                            if r["file"] == f)
        else:
            assert n == clean_rows[f], f
        if f not in touched:  # untouched files are byte-identical to the clean run
            assert (landing / f).read_bytes() == (clean_landing / f).read_bytes(), f


def test_replacing_defects_keep_every_other_cell(defective, small_run):
    landing, records, _ = defective
    clean_landing = small_run[0]
    f = "nmds_events/nmds_events_2025Q1.csv"
    a = pl.read_csv(landing / f, infer_schema=False)
    b = pl.read_csv(clean_landing / f, infer_schema=False)
    changed = {(r["row"], r["column"]) for r in records if r["file"] == f}
    a, b = a.fill_null("<empty>"), b.fill_null("<empty>")
    cells = {(i + 1, c) for c in a.columns for i in (a[c] != b[c]).arg_true().to_list()}
    assert cells == changed


def test_a_defect_that_does_not_fit_its_source_is_refused(tmp_path):
    with pytest.raises(ValueError, match="applies to"):
        generate("small", tmp_path / "l", tmp_path / "t", years=1,
                 defects=["discharge_before_admission@mortality@2025"])
    with pytest.raises(ValueError, match="no nmds_events file"):
        generate("small", tmp_path / "l", tmp_path / "t", years=1, sources=["nmds_events"],
                 defects=["bad_date@nmds_events@2019Q1"])
