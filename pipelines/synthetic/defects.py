"""Defect mode: break one source file on purpose and record exactly what was broken.

`kind@source@period` (e.g. `bad_date@nmds_events@2025Q1`) rewrites that period's file of that
source. Replacing defects change a few cells of existing rows (row count unchanged);
duplicate_key appends copies of existing rows; missing_district and volume_drop remove rows.
Every touched row goes to <truth-out>/defects.json: file, 1-based data row number, column, kind.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from .writers import WrittenFile, write_csv, write_parquet

N_ROWS = 5  # cells broken per replacing defect
VOLUME_DROP_SHARE = 0.6

_DATES = {"nmds_events": "discharge_date", "mortality": "date_of_death", "smokefree": "contact_date",
          "nnpac_ed": "presentation_date", "moh_release": "period_end"}
_NUMBERS = {"population": "population", "pho_enrolment": "enrolled", "moh_release": "numerator",
            "mortality": "age_at_death", "pes_inpatient": "weight", "pes_primary_care": "weight",
            "esr_chlamydia": "people_tested", "oral_health": "adolescents_examined",
            "youth_survey": "age"}
_REQUIRED = {"nmds_events": "principal_diagnosis", "population": "ethnic_group",
             "pho_enrolment": "practice_id", "moh_release": "dhb_code",
             "mortality": "underlying_cause", "pes_inpatient": "survey_quarter",
             "pes_primary_care": "survey_quarter", "smokefree": "dhb_of_domicile",
             "esr_chlamydia": "sex", "nnpac_ed": "presentation_date", "oral_health": "ethnic_group",
             "youth_survey": "dhb_code"}
_DISTRICT = {"nmds_events": "dhb_of_domicile", "mortality": "dhb_of_domicile",
             "smokefree": "dhb_of_domicile", "nnpac_ed": "dhb_of_service"}  # others: dhb_code
_ETHNICITY_CODE = {"nmds_events", "mortality", "smokefree", "nnpac_ed"}  # others: ethnic_group
_CODES = {"nmds_events": ("admission_type", ["XX"]), "mortality": ("underlying_cause", ["12AB"]),
          "nnpac_ed": ("attendance_code", ["XX"]), "smokefree": ("source", ["XX"]),
          "population": ("sex", ["X"]), "pho_enrolment": ("age_band", ["XX"]),
          "esr_chlamydia": ("age_group", ["10-14"]), "pes_inpatient": ("age_group", ["99+"]),
          "pes_primary_care": ("age_group", ["99+"]), "moh_release": ("age_group", ["99-99"]),
          "youth_survey": ("service", [""])}
_KEYS = {"nmds_events": "event_id", "mortality": "death_id", "smokefree": "record_id",
         "nnpac_ed": "event_id", "pes_inpatient": "respondent_id",
         "pes_primary_care": "respondent_id", "youth_survey": "respondent_id"}
_RANGE = {"pes_inpatient": ("weight", "-1"), "pes_primary_care": ("q01", "9"),
          "youth_survey": ("q_safe_supported", "9"), "mortality": ("age_at_death", "130"),
          "esr_chlamydia": ("people_positive", None), "oral_health": ("age", "19")}
KINDS = ("bad_date", "bad_number", "missing_required", "unknown_district", "unknown_ethnicity",
         "unknown_code", "discharge_before_admission", "event_before_birth", "age_inconsistent",
         "duplicate_key", "negative_count", "out_of_range", "missing_district", "volume_drop")
_APPLIES = {
    "bad_date": set(_DATES), "bad_number": set(_NUMBERS), "missing_required": set(_REQUIRED),
    "unknown_district": set(_REQUIRED), "unknown_ethnicity": set(_REQUIRED),
    "unknown_code": set(_CODES) - {"youth_survey"}, "discharge_before_admission": {"nmds_events"},
    "event_before_birth": {"nmds_events", "nnpac_ed", "smokefree"},
    "age_inconsistent": {"population", "smokefree"}, "duplicate_key": set(_REQUIRED),
    "negative_count": {"population", "pho_enrolment", "esr_chlamydia", "oral_health", "moh_release"},
    "out_of_range": set(_RANGE), "missing_district": set(_REQUIRED), "volume_drop": set(_REQUIRED),
}


@dataclass(frozen=True)
class DefectSpec:
    kind: str
    source: str
    period: str


def parse_defects(specs: list[str], sources: list[str]) -> list[DefectSpec]:
    out = []
    for s in specs:
        try:
            kind, source, period = s.split("@")
        except ValueError:
            raise ValueError(f"defect {s!r}: expected kind@source@period") from None
        if kind not in KINDS:
            raise ValueError(f"defect {s!r}: unknown kind; choose from {', '.join(KINDS)}")
        if source not in _APPLIES[kind]:
            raise ValueError(f"defect {s!r}: {kind} applies to {', '.join(sorted(_APPLIES[kind]))}")
        if source not in sources:
            raise ValueError(f"defect {s!r}: source {source} is not being generated")
        out.append(DefectSpec(kind, source, period))
    return out


def _read(path: Path) -> dict[str, pl.DataFrame]:
    """Sheets (one, named '' for CSV/Parquet) as all-text frames, so untouched cells keep their
    exact text when written back."""
    if path.suffix == ".csv":
        return {"": pl.read_csv(path, infer_schema=False)}
    if path.suffix == ".parquet":
        return {"": pl.read_parquet(path)}
    import fastexcel

    book = fastexcel.read_excel(str(path))
    return {name: book.load_sheet(name).to_polars() for name in book.sheet_names}


def _write(path: Path, sheets: dict[str, pl.DataFrame]) -> WrittenFile:
    if path.suffix == ".csv":
        return write_csv(sheets[""], path)
    if path.suffix == ".parquet":
        return write_parquet(sheets[""], path)
    from .writers import write_xlsx

    return write_xlsx(sheets, path)


def _set(df: pl.DataFrame, column: str, rows: list[int], values: list) -> pl.DataFrame:
    """Put values into `column` at 0-based `rows`. Numbers stay numbers in a typed column (an
    out-of-range 9 is still an integer); text that is not a number turns the column into text."""
    dtype = df.schema[column]
    if dtype != pl.String:
        try:
            values = pl.Series(values, dtype=pl.String).cast(dtype, strict=True).to_list()
        except (pl.exceptions.InvalidOperationError, pl.exceptions.ComputeError):
            col = df.get_column(column)
            text = col.dt.strftime("%Y-%m-%d") if dtype in (pl.Date, pl.Datetime) or isinstance(
                dtype, pl.Datetime) else col.cast(pl.String)
            df = df.with_columns(text.alias(column))
            dtype = pl.String
    items = df.get_column(column).to_list()
    for r, v in zip(rows, values, strict=True):
        items[r] = v
    return df.with_columns(pl.Series(column, items, dtype=dtype))


def _date_text(v) -> dt.date:
    return v if isinstance(v, dt.date) else dt.date.fromisoformat(str(v)[:10])


def _inject(spec: DefectSpec, df: pl.DataFrame, rng) -> tuple[pl.DataFrame, list[dict]]:
    k, src = spec.kind, spec.source
    rows = sorted(rng.choice(df.height, size=min(N_ROWS, df.height), replace=False).tolist())
    district = _DISTRICT.get(src, "dhb_code")

    def put(column, values):
        return _set(df, column, rows, values), [
            {"row": r + 1, "column": column, "value": v} for r, v in zip(rows, values, strict=True)]

    if k == "bad_date":
        return put(_DATES[src], ["2024-02-30", "12/03/2024", "2024-13-01", "yesterday", "20240101"][
            : len(rows)])
    if k == "bad_number":
        return put(_NUMBERS[src], ["n/a", "1,234", "12abc", "—", "NaN?"][: len(rows)])
    if k == "missing_required":
        return put(_REQUIRED[src], [None] * len(rows))
    if k == "unknown_district":
        return put(district, ["999"] * len(rows))
    if k == "unknown_ethnicity":
        return put("ethnic_code_1" if src in _ETHNICITY_CODE else "ethnic_group",
                   ["77"] * len(rows) if src in _ETHNICITY_CODE else ["Martian"] * len(rows))
    if k == "unknown_code":
        column, values = _CODES[src]
        if src == "nmds_events":  # half bad admission types, half malformed ICD codes
            df2, a = _set(df, "admission_type", rows[::2], ["XX"] * len(rows[::2])), rows[::2]
            b = rows[1::2]
            df2 = _set(df2, "principal_diagnosis", b, ["J45.9", "XYZ", "9J45"][: len(b)] +
                       ["J4"] * max(0, len(b) - 3))
            return df2, ([{"row": r + 1, "column": "admission_type", "value": "XX"} for r in a]
                         + [{"row": r + 1, "column": "principal_diagnosis",
                             "value": df2["principal_diagnosis"][r]} for r in b])
        return put(column, values * len(rows))
    if k == "discharge_before_admission":
        adm = df["admission_date"].to_list()
        return put("discharge_date",
                   [(_date_text(adm[r]) - dt.timedelta(days=3)).isoformat() for r in rows])
    if k in ("event_before_birth", "age_inconsistent") and src in ("nmds_events", "nnpac_ed", "smokefree"):
        event = {"nmds_events": "admission_date", "nnpac_ed": "presentation_date",
                 "smokefree": "contact_date"}[src]
        ev = df[event].to_list()
        return put("date_of_birth", [(_date_text(ev[r]) + dt.timedelta(days=10)).isoformat()
                                     for r in rows])
    if k == "age_inconsistent":  # population: an inverted age band
        upper = df["age_upper"].to_list()
        return put("age_lower", [str(int(upper[r]) + 5) for r in rows])
    if k == "negative_count":
        column = _NUMBERS[src]
        return put(column, [str(-1 - i) for i in range(len(rows))])
    if k == "out_of_range":
        column, value = _RANGE[src]
        if value is None:  # more positives than people tested
            tested = df["people_tested"].to_list()
            return put(column, [str(int(tested[r]) + 3) for r in rows])
        return put(column, [value] * len(rows))
    if k == "duplicate_key":
        dup = df[rows]
        key = _KEYS.get(src, district)
        start = df.height
        return pl.concat([df, dup]), [{"row": start + i + 1, "column": key,
                                       "value": str(dup[key][i]), "duplicates_row": r + 1}
                                      for i, r in enumerate(rows)]
    if k == "missing_district":
        codes = sorted(set(df[district].drop_nulls().to_list()))
        gone = codes[int(rng.integers(len(codes)))]
        keep = df[district] != gone
        return df.filter(keep), [{"row": None, "column": district, "value": gone,
                                  "rows_removed": int((~keep).sum())}]
    if k == "volume_drop":
        keep = rng.random(df.height) >= VOLUME_DROP_SHARE
        return df.filter(pl.Series(keep)), [{"row": None, "column": None, "value": None,
                                             "rows_removed": int((~keep).sum())}]
    raise AssertionError(k)


def apply_defects(specs: list[DefectSpec], landing: list[WrittenFile], out: Path, ctx) -> list[dict]:
    """Rewrite the targeted files in place (and in `landing`); return the defect records."""
    records = []
    for spec in specs:
        matches = [i for i, f in enumerate(landing)
                   if f.path.parent.name == spec.source and f.path.stem.endswith("_" + spec.period)]
        if len(matches) != 1:
            raise ValueError(f"defect {spec}: no {spec.source} file for period {spec.period}")
        i = matches[0]
        path = landing[i].path
        sheets = _read(path)
        sheet = next(iter(sheets))
        rng = ctx.rng("defect", spec.kind, spec.source, spec.period)
        sheets[sheet], rows = _inject(spec, sheets[sheet], rng)
        landing[i] = _write(path, sheets)
        if sheet and path.suffix == ".xlsx":
            landing[i] = WrittenFile(path, sum(s.height for s in sheets.values()))
        for r in rows:
            records.append({"file": path.relative_to(out).as_posix(),
                            **({"sheet": sheet} if sheet else {}), **r, "kind": spec.kind})
    return records
