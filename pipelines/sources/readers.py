"""Read an extract exactly as delivered: every cell as text, with its row number.

Nothing is inferred here. CSV type inference turns district '011' into 11 and drops the zero;
typing is done afterwards, from the contract, so a bad cell becomes a quarantined row that names
its file, row and column instead of a failed read.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

ROW_NUMBER = "_row_number"  # 1-based data row in the file (the header is row 0); unique per file
SHEET = "_sheet"
SHEET_ROW = "_sheet_row"  # spreadsheets: the data row within its sheet


def read_as_text(path: Path) -> pl.DataFrame:
    suffix = path.suffix.lower()
    if suffix == ".csv":
        frame = pl.read_csv(path, infer_schema=False, encoding="utf8")  # empty cell → null
        return _number_rows(frame)
    if suffix == ".parquet":
        frame = pl.read_parquet(path)
        return _number_rows(frame.select(pl.all().cast(pl.String)))
    if suffix == ".xlsx":
        sheets = pl.read_excel(path, sheet_id=0, infer_schema_length=0, drop_empty_rows=True)
        # Each row keeps its sheet and row within the sheet (what an analyst looks up), and
        # gets a row number unique in the file, which is what every join uses.
        frames = [
            _number_rows(sheet.select(pl.all().cast(pl.String)))
            .rename({ROW_NUMBER: SHEET_ROW}).with_columns(pl.lit(name).alias(SHEET))
            for name, sheet in sheets.items()
        ]
        return _number_rows(pl.concat(frames, how="diagonal")) if frames else pl.DataFrame()
    raise ValueError(f"{path}: unsupported file type {suffix!r} (expected .csv, .parquet, .xlsx)")


def _number_rows(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.with_row_index(ROW_NUMBER, offset=1).with_columns(pl.col(ROW_NUMBER).cast(pl.Int64))


def read_column_as_text(path: Path, column: str) -> pl.DataFrame:
    """One column of an extract, as text: enough to learn which periods a file covers."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        frame = pl.scan_csv(path, infer_schema=False).select(column).collect()
    elif suffix == ".parquet":
        frame = pl.scan_parquet(path).select(pl.col(column).cast(pl.String)).collect()
    else:
        frame = read_as_text(path).select(column)
    return frame
