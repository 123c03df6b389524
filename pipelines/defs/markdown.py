"""Markdown tables for asset and check metadata (what the UI shows beside each materialisation)."""

import polars as pl


def counts_table(frame: pl.DataFrame, by: list[str], headers: list[str], empty: str = "none") -> str:
    """Rows of `frame` counted by `by`, one line per combination; `headers` names the columns."""
    if frame.is_empty():
        return empty
    counts = frame.group_by(*by).len().sort(*by)
    return rows_table(counts, headers)


def rows_table(frame: pl.DataFrame, headers: list[str] | None = None, n: int = 20, empty: str = "none") -> str:
    if frame.is_empty():
        return empty
    head = frame.head(n)
    headers = headers or head.columns
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join("–" if v is None else str(v) for v in row) + " |" for row in head.iter_rows()]
    return "\n".join(lines)
