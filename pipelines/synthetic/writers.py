"""Deterministic file writers: same frame → byte-identical file."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from pathlib import Path

import polars as pl


@dataclass(frozen=True)
class WrittenFile:
    path: Path
    rows: int

    def describe(self, root: Path) -> dict:
        data = self.path.read_bytes()
        return {
            "file": self.path.relative_to(root).as_posix(),
            "rows": self.rows,
            "bytes": len(data),
            "sha256": hashlib.sha256(data).hexdigest(),
        }


def _blank_as_null(df: pl.DataFrame) -> pl.DataFrame:
    # Missing values are empty fields; polars would write "" for an empty string.
    return df.with_columns(pl.col(pl.String).replace("", None))


def write_csv(df: pl.DataFrame, path: Path) -> WrittenFile:
    path.parent.mkdir(parents=True, exist_ok=True)
    _blank_as_null(df).write_csv(path, null_value="", date_format="%Y-%m-%d")
    return WrittenFile(path, df.height)


def write_parquet(df: pl.DataFrame, path: Path) -> WrittenFile:
    path.parent.mkdir(parents=True, exist_ok=True)
    _blank_as_null(df).write_parquet(path, compression="zstd", statistics=True)
    return WrittenFile(path, df.height)


FIXED_TIMESTAMP = dt.datetime(2000, 1, 1)


def write_xlsx(sheets: dict[str, pl.DataFrame], path: Path) -> WrittenFile:
    """One sheet per frame, header row first; document properties pinned for reproducibility."""
    import xlsxwriter

    path.parent.mkdir(parents=True, exist_ok=True)
    wb = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False, "strings_to_formulas": False})
    wb.set_properties({"created": FIXED_TIMESTAMP, "author": "pipelines.synthetic"})
    date_fmt = wb.add_format({"num_format": "yyyy-mm-dd"})
    rows = 0
    for name, df in sheets.items():
        ws = wb.add_worksheet(name)
        for j, col in enumerate(df.columns):
            ws.write_string(0, j, col)
        for j, col in enumerate(df.columns):
            for i, v in enumerate(df.get_column(col).to_list(), start=1):
                if v is None or v == "":
                    continue
                if isinstance(v, dt.datetime):
                    ws.write_datetime(i, j, v, date_fmt)
                elif isinstance(v, dt.date):
                    ws.write_datetime(i, j, dt.datetime.combine(v, dt.time()), date_fmt)
                elif isinstance(v, str):  # text stays text, even in a numeric column (defects)
                    ws.write_string(i, j, v)
                else:
                    ws.write_number(i, j, v)
        rows += df.height
    wb.close()
    return WrittenFile(path, rows)
