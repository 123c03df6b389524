"""Read an extract exactly as delivered: every cell as text, with its row number.

Nothing is inferred here. CSV type inference turns district '011' into 11 and drops the zero;
typing is done afterwards, from the contract, so a bad cell becomes a quarantined row that names
its file, row and column instead of a failed read.

A file that cannot be read at all raises `UnreadableFile` with a reason that says what the file
is and what to do (docs/file-rejection.md); the caller rejects that file and carries on. The
format is sniffed from the bytes, not trusted from the name: a text file named .xlsx, a zip, a
password-protected workbook and a truncated Parquet file each get their own reason.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import polars as pl

from pipelines.sources.encoding import UndecodableText, decode_text

ROW_NUMBER = "_row_number"  # 1-based data row in the file (the header is row 0); unique per file
SHEET = "_sheet"
SHEET_ROW = "_sheet_row"  # spreadsheets: the data row within its sheet

ZIP_MAGIC = b"PK\x03\x04"
PARQUET_MAGIC = b"PAR1"
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy .xls, and every encrypted .xlsx
EXPECTED = ".csv, .parquet or .xlsx"


class UnreadableFile(Exception):
    """The file cannot be read as an extract; the message names the problem and the remedy and
    never quotes a cell (cells may hold identifiers)."""


def sniff(path: Path) -> str:
    """What the bytes say the file is: csv (text) | parquet | xlsx. Raises UnreadableFile."""
    size = path.stat().st_size
    if size == 0:
        raise UnreadableFile("empty file (0 bytes): ask the supplier to send the extract again")
    with path.open("rb") as fh:
        head = fh.read(8)
    suffix = path.suffix.lower()
    if head.startswith(PARQUET_MAGIC):
        kind = "parquet"
    elif head.startswith(ZIP_MAGIC):
        kind = "xlsx" if _is_workbook(path) else "zip"
    elif head.startswith(OLE2_MAGIC):
        raise UnreadableFile(
            "a password-protected workbook or a legacy .xls file (OLE2 container): save it as an "
            "unprotected .xlsx (or CSV) and land it again")
    else:
        kind = "csv"
    if kind == "zip":
        raise UnreadableFile("a zip archive, not an extract: unzip it and land the file inside")
    wanted = {".csv": "csv", ".parquet": "parquet", ".xlsx": "xlsx"}.get(suffix)
    if wanted is None:
        raise UnreadableFile(f"unsupported file type {suffix or '(none)'!r}: land it as {EXPECTED}")
    if kind != wanted:
        what = {"csv": "a text file", "parquet": "a Parquet file", "xlsx": "an Excel workbook"}[kind]
        raise UnreadableFile(f"{what} named {suffix}: save it in the format its name says, "
                             f"or rename it to .{kind}")
    return kind


def _is_workbook(path: Path) -> bool:
    import zipfile

    try:
        with zipfile.ZipFile(path) as z:
            return "xl/workbook.xml" in z.namelist()
    except zipfile.BadZipFile:  # a truncated workbook no longer has its central directory
        return True


def read_as_text(path: Path) -> pl.DataFrame:
    kind = sniff(path)
    try:
        if kind == "csv":
            return _number_rows(_read_csv(path))
        if kind == "parquet":
            frame = pl.read_parquet(path)
            return _number_rows(frame.select(pl.all().cast(pl.String)))
        return _read_xlsx(path)
    except UnreadableFile:
        raise
    except Exception as exc:  # the library's message may quote cells: keep its type only
        raise UnreadableFile(_failure(kind, exc)) from None


def _failure(kind: str, exc: Exception) -> str:
    what = type(exc).__name__
    if kind == "parquet":
        return (f"truncated or corrupt Parquet file ({what}): ask the supplier to send it again "
                "(compare its size with the supplier's)")
    if kind == "xlsx":
        return (f"truncated or corrupt Excel workbook ({what}): open it in Excel to check, "
                "then save it again as .xlsx")
    return f"could not be parsed as CSV ({what}): check quoting and the number of fields per line"


def _read_csv(path: Path) -> pl.DataFrame:
    try:
        text = decode_text(path.read_bytes())
    except UndecodableText as exc:
        raise UnreadableFile(str(exc)) from None
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        raise UnreadableFile(f"NUL byte on line {line}: the file is damaged or not plain text; "
                             "ask the supplier to export it again as CSV")
    header = text.split("\n", 1)[0]
    if "," not in header:
        for sep, name in ((";", "semicolons"), ("\t", "tabs"), ("|", "pipes")):
            if header.count(sep) >= 2:
                raise UnreadableFile(
                    f"fields are separated by {name}, not commas: export it again as "
                    "comma-separated CSV")
    try:
        return pl.read_csv(io.BytesIO(text.encode("utf-8")), infer_schema=False)  # empty → null
    except pl.exceptions.PolarsError:
        _check_field_counts(text)  # name the line if it is a ragged record
        raise


def _check_field_counts(text: str) -> None:
    """Every record has as many fields as the header; say which line does not (cheap: C csv)."""
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise UnreadableFile("no header line: the file holds no extract") from None
    width = len(header)
    for record in reader:
        if record and len(record) != width:
            raise UnreadableFile(
                f"line {reader.line_num} has {len(record)} fields where the header has {width}: "
                "check quoting of commas and line breaks in that record")


def _read_xlsx(path: Path) -> pl.DataFrame:
    sheets = pl.read_excel(path, sheet_id=0, infer_schema_length=0, drop_empty_rows=True)
    # Each row keeps its sheet and row within the sheet (what an analyst looks up), and
    # gets a row number unique in the file, which is what every join uses.
    frames = [
        _number_rows(sheet.select(pl.all().cast(pl.String)))
        .rename({ROW_NUMBER: SHEET_ROW}).with_columns(pl.lit(name).alias(SHEET))
        for name, sheet in sheets.items()
    ]
    return _number_rows(pl.concat(frames, how="diagonal")) if frames else pl.DataFrame()


def _number_rows(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.with_row_index(ROW_NUMBER, offset=1).with_columns(pl.col(ROW_NUMBER).cast(pl.Int64))


def read_column_as_text(path: Path, column: str) -> pl.DataFrame:
    """One column of an extract, as text: enough to learn which periods a file covers. A clean
    UTF-8 CSV or Parquet file is scanned for that column only; anything else is read whole."""
    kind = sniff(path)
    try:
        if kind == "csv":
            return pl.scan_csv(path, infer_schema=False).select(column).collect()
        if kind == "parquet":
            return pl.scan_parquet(path).select(pl.col(column).cast(pl.String)).collect()
    except pl.exceptions.ColumnNotFoundError:
        raise
    except Exception:
        pass  # not plain UTF-8, ragged, …: the full read says why, or reads it
    return read_as_text(path).select(column)
