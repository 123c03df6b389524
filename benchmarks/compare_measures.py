"""Compare two measures tables cell by cell: has an optimisation changed any published figure?

    python -m benchmarks.compare_measures BEFORE AFTER

BEFORE and AFTER are warehouse files (their marts.measures) or Parquet exports of it. Rows are
matched on district, measure, window end, group and breakdown; floats must agree to 1e-9
relative, every other column exactly. Prints the differences by column and measure and exits 1
if there are any.
"""

from __future__ import annotations

import sys
from pathlib import Path

import duckdb
import polars as pl

KEYS = ["district_code", "measure_id", "period_end", "group_id", "breakdown"]
RELATIVE = 1e-9


def measures(path: Path) -> pl.DataFrame:
    if path.suffix == ".parquet":
        return pl.read_parquet(path)
    with duckdb.connect(str(path), read_only=True) as con:
        return con.sql("SELECT * FROM marts.measures").pl()


def differences(before: pl.DataFrame, after: pl.DataFrame) -> list[str]:
    found = []
    if set(before.columns) != set(after.columns):
        found.append(f"columns: only before {sorted(set(before.columns) - set(after.columns))}, "
                     f"only after {sorted(set(after.columns) - set(before.columns))}")
    for name, a, b in (("only before", before, after), ("only after", after, before)):
        extra = a.join(b, on=KEYS, how="anti", nulls_equal=True)
        if extra.height:
            found.append(f"rows {name}: {extra.group_by('measure_id').len().sort('measure_id').rows()}")
    both = before.join(after, on=KEYS, how="inner", suffix="_after", nulls_equal=True)
    for column in [c for c in before.columns if c in after.columns and c not in KEYS]:
        x, y = pl.col(column), pl.col(f"{column}_after")
        if before.schema[column] in (pl.Float32, pl.Float64):
            same = ((x - y).abs() <= RELATIVE * (x.abs() + 1)) | (x.is_null() & y.is_null()) | (x.is_nan() & y.is_nan())
        else:
            same = x.eq_missing(y)
        differ = both.filter(~same.fill_null(False))
        if differ.height:
            found.append(f"{column}: {differ.height} cells {differ.group_by('measure_id').len().sort('measure_id').rows()}")
    return found


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__)
        return 2
    before, after = (measures(Path(p)) for p in argv)
    found = differences(before, after)
    print(f"{before.height:,} rows before, {after.height:,} after: "
          + ("identical, cell by cell" if not found else f"{len(found)} kinds of difference"))
    for line in found:
        print("  " + line)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
