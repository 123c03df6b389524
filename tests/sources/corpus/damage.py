"""Ways real extracts arrive broken, as functions of a clean generated file.

Each takes the clean file's path and a destination and writes the damaged file there, so the
corpus never commits a binary file: everything is built from the generator's small extracts.
"""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path


def read_rows(path: Path) -> list[list[str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.reader(fh))


def write_rows(path: Path, rows: list[list[str]], delimiter: str = ",",
               encoding: str = "utf-8", lineterminator: str = "\n") -> None:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator=lineterminator).writerows(rows)
    path.write_bytes(buffer.getvalue().encode(encoding))


def set_cell(rows: list[list[str]], data_row: int, column: str, value: str) -> None:
    """data_row is 1-based, as the pipeline numbers rows (the header is row 0)."""
    rows[data_row][rows[0].index(column)] = value


def rename_column(rows: list[list[str]], old: str, new: str) -> list[list[str]]:
    rows[0][rows[0].index(old)] = new
    return rows


def drop_columns(rows: list[list[str]], *names: str) -> list[list[str]]:
    keep = [i for i, c in enumerate(rows[0]) if c not in names]
    return [[r[i] for i in keep] for r in rows]


def truncate(src: Path, dest: Path, keep: float = 0.5) -> None:
    data = src.read_bytes()
    dest.write_bytes(data[: int(len(data) * keep)])


def zip_of(src: Path, dest: Path) -> None:
    with zipfile.ZipFile(dest, "w") as z:
        z.write(src, src.name)


def xlsx_of_csv(src: Path, dest: Path, title: str | None = None) -> None:
    """An Excel workbook holding a CSV's cells as text, optionally under a title line and a
    blank row (what a report exported from a BI tool looks like)."""
    import xlsxwriter

    rows = read_rows(src)
    wb = xlsxwriter.Workbook(str(dest), {"strings_to_numbers": False, "strings_to_formulas": False})
    ws = wb.add_worksheet("Sheet1")
    offset = 0
    if title:
        ws.write_string(0, 0, title)
        offset = 2
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            ws.write_string(r + offset, c, value)
    wb.close()
