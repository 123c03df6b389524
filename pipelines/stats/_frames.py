"""Shared polars plumbing: column checks, R-style sums and numpy round trips."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import polars as pl

Floats = np.ndarray


def require_columns(df: pl.DataFrame, *columns: str | None) -> None:
    missing = [c for c in columns if c is not None and c not in df.columns]
    if missing:
        raise ValueError(f"columns not in data: {missing}")


def group_keys(group_by: Sequence[str] | None) -> list[str]:
    """The one grouping rule of pipelines.stats: ``None`` (or ``[]``) = the whole frame is one group;
    a list of columns = one result per combination of their values."""
    if isinstance(group_by, str):
        raise ValueError(f"group_by must be a list of column names, not the string {group_by!r}")
    return [] if group_by is None else list(group_by)


def keyed_column(
    df: pl.DataFrame, values: str | Mapping, key: str | None, name: str, what: str
) -> pl.DataFrame:
    """Attach ``values`` as float column ``name``: a column of ``df``, or a mapping
    {key value: number} joined on column ``key`` (e.g. age band -> standard population).

    Values are matched by key, never by row position, so reordering ``df`` cannot change a result;
    a key value missing from the mapping raises. A plain sequence is refused for that reason.
    """
    if isinstance(values, str):
        require_columns(df, values)
        return df.with_columns(pl.col(values).cast(pl.Float64).alias(name))
    if not isinstance(values, Mapping):
        raise ValueError(
            f"{what} must be a column name or a mapping keyed by age band (with ageband=<column>); "
            "values matched by row position are not accepted"
        )
    if key is None:
        raise ValueError(f"{what} given as a mapping needs ageband=<column> to join on")
    require_columns(df, key)
    labels = df.get_column(key)
    absent = sorted({str(v) for v in labels.unique().to_list()} - {str(k) for k in values})
    if absent:
        raise ValueError(f"{what} has no value for {key} {absent}")
    lookup = {str(k): float(v) for k, v in values.items()}
    column = labels.cast(pl.String).replace_strict(lookup, return_dtype=pl.Float64)
    return df.with_columns(column.alias(name))


def as_float(df: pl.DataFrame, column: str) -> Floats:
    """Column as float64 numpy; nulls (and NaN) become NaN."""
    return df.get_column(column).cast(pl.Float64).to_numpy().astype(np.float64, copy=False)


def float_expr(column: str) -> pl.Expr:
    """The column as Float64 with NaN turned into null, so null checks see both."""
    return pl.col(column).cast(pl.Float64).fill_nan(None)


def strict_sum(column: str) -> pl.Expr:
    """Sum that is null if any value is missing: R's sum() without na.rm, as PHE aggregates."""
    col = float_expr(column)
    return pl.when(col.null_count() > 0).then(None).otherwise(col.sum()).alias(column)


def aggregate(df: pl.DataFrame, keys: list[str], exprs: list[pl.Expr]) -> pl.DataFrame:
    """Aggregate per key combination (first-appearance order), or the whole frame if no keys."""
    if keys:
        return df.group_by(keys, maintain_order=True).agg(exprs)
    return df.select(exprs)


def with_floats(df: pl.DataFrame, columns: dict[str, Floats | list]) -> pl.DataFrame:
    """Attach numpy results as columns; NaN becomes null so downstream null checks work."""
    series = []
    for name, values in columns.items():
        s = pl.Series(name, values)
        if s.dtype == pl.Float64:
            s = s.fill_nan(None)
        series.append(s)
    return df.with_columns(series)


def check_non_negative(values: Floats, message: str) -> None:
    if np.any(values < 0):
        raise ValueError(message)


def check_positive(values: Floats, message: str) -> None:
    if np.any(values <= 0):
        raise ValueError(message)
