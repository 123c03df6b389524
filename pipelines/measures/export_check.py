"""Recompute every published value of the measures export from its own row, as an analyst with
a spreadsheet would: by the row's value_formula (pipelines/measures/annotations.py).

    numerator / denominator × multiplier          crude rates, proportions, coverage
    numerator / weight_sum                        weighted means (patient experience)
    numerator / expected × reference_rate         indirectly standardised rates
A directly standardised rate needs its age bands, which the export leaves out (band counts would
show numbers under the suppression threshold): its row names the standard population instead, and
the value is checked against the warehouse's cells (tests/integration/test_export_reproducible.py).

    python -m pipelines.measures.export_check data/exports/slm_measures.csv
prints, per measure and formula, how many published values reproduce.
"""

from __future__ import annotations

import sys
from pathlib import Path

import polars as pl

RELATIVE_TOLERANCE = 1e-9      # CSV floats round-trip; only arithmetic order differs

CRUDE = pl.col("value_formula").str.starts_with("numerator / denominator")
WEIGHTED = pl.col("value_formula").str.starts_with("numerator / weight_sum")
INDIRECT = pl.col("value_formula").str.starts_with("numerator / expected")


def recomputed() -> pl.Expr:
    """The value from the row's own columns; null where the formula needs columns it lacks."""
    return (pl.when(CRUDE).then(pl.col("numerator") / pl.col("denominator") * pl.col("multiplier"))
            .when(WEIGHTED).then(pl.col("numerator") / pl.col("weight_sum"))
            .when(INDIRECT).then(pl.col("numerator") / pl.col("expected") * pl.col("reference_rate"))
            .otherwise(None).alias("recomputed"))


def check(measures: pl.DataFrame) -> pl.DataFrame:
    """Published rows with a value, with `recomputed` and `reproduces` (within 1e-9 relative)."""
    rows = measures.filter(pl.col("value").is_not_null()).with_columns(recomputed())
    close = (pl.col("recomputed") - pl.col("value")).abs() <= RELATIVE_TOLERANCE * pl.col("value").abs()
    return rows.with_columns(close.fill_null(False).alias("reproduces"))


def summary(checked: pl.DataFrame) -> pl.DataFrame:
    return (checked.group_by("measure_id", "value_formula")
            .agg(pl.len().alias("values"), pl.col("reproduces").sum().alias("reproduced"),
                 pl.col("recomputed").is_null().sum().alias("not_from_row"))
            .sort("measure_id"))


def read_export(path: Path) -> pl.DataFrame:
    # Codes stay text: district 011 is not the number 11.
    return pl.read_csv(path, infer_schema_length=None,
                       schema_overrides={"district_code": pl.String, "breakdown": pl.String})


def main(argv: list[str]) -> int:
    path = Path(argv[0]) if argv else Path("data/exports/slm_measures.csv")
    checked = check(read_export(path))
    with pl.Config(tbl_rows=100, fmt_str_lengths=60, tbl_width_chars=200):
        print(summary(checked))
    failed = checked.filter(~pl.col("reproduces") & pl.col("recomputed").is_not_null())
    print(f"{checked.height} published values; {checked['reproduces'].sum()} reproduce from their row; "
          f"{failed.height} disagree; {checked['recomputed'].is_null().sum()} need strata (DSR)")
    return 1 if failed.height else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
