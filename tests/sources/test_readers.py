"""Readers return every cell as text with its row number, whatever the format."""

from __future__ import annotations

from datetime import date

import polars as pl

from pipelines.sources.contract_types import cast_expression
from pipelines.sources.readers import ROW_NUMBER, SHEET, SHEET_ROW, read_as_text


def test_csv_codes_stay_text(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("dhb_code,ethnic_code_1,n\n011,21,5\n160,,7\n", encoding="utf-8")
    frame = read_as_text(path)
    assert frame["dhb_code"].to_list() == ["011", "160"]
    assert frame["ethnic_code_1"].to_list() == ["21", None]
    assert frame[ROW_NUMBER].to_list() == [1, 2]


def test_parquet_is_read_as_text(tmp_path):
    path = tmp_path / "x.parquet"
    pl.DataFrame({"presentation_date": [date(2024, 3, 31)], "dhb_of_service": ["011"], "n": [3]}).write_parquet(path)
    frame = read_as_text(path)
    assert frame.row(0, named=True) == {ROW_NUMBER: 1, "presentation_date": "2024-03-31",
                                        "dhb_of_service": "011", "n": "3"}


def test_every_sheet_of_a_spreadsheet_with_its_name(tmp_path):
    import xlsxwriter

    path = tmp_path / "release.xlsx"
    with xlsxwriter.Workbook(path) as wb:
        for sheet, value in (("ash_0_4", "011"), ("acute_bed_days", "022")):
            ws = wb.add_worksheet(sheet)
            ws.write_row(0, 0, ["dhb_code", "numerator"])
            ws.write_string(1, 0, value)
            ws.write_number(1, 1, 12.5)
    frame = read_as_text(path)
    assert frame.select(SHEET, SHEET_ROW, "dhb_code", "numerator", ROW_NUMBER).rows() == [
        ("ash_0_4", 1, "011", "12.5", 1), ("acute_bed_days", 1, "022", "12.5", 2)]


def test_whole_numbers_must_look_whole():
    import duckdb

    con = duckdb.connect()
    expr = cast_expression("v", "INTEGER")
    got = con.sql(f"SELECT v, {expr} FROM (VALUES ('12'), (' 7 '), ('3.0'), ('1.5'), ('x'), ('')) t(v)").fetchall()
    assert got == [("12", 12), (" 7 ", 7), ("3.0", 3), ("1.5", None), ("x", None), ("", None)]
