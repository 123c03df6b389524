"""Writing what leaves the pipeline (exports, dashboard pages): atomically, and CSV-injection safe.

Every output file is written to a hidden temporary file in its own folder and renamed over the
target only when all of the set's files were written: a run that fails half-way leaves the
previous files untouched and no partial file behind (os.replace is atomic within one file
system). A reader opening slm_measures.csv during a run sees the old file or the new one.

CSV cells are neutralised as OWASP recommends for CSV injection: a *text* cell starting with
`=`, `+`, `-`, `@`, tab or carriage return gets a leading apostrophe, so a spreadsheet shows it
as text instead of evaluating it. Numeric columns are never touched: -0.5 in a Float64 column
is a number, written as such (a text cell "-0.5" is neutralised like any other text).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import polars as pl

# OWASP "CSV Injection": characters that make a spreadsheet treat a cell as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
TEXT_TYPES = (pl.String, pl.Categorical, pl.Enum)


@contextmanager
def atomic_outputs() -> Iterator[Callable[[Path | str], Path]]:
    """Yields `staged(target) -> temporary path` to write to. On a clean exit every staged file
    replaces its target; on an error every staged file is deleted and no target changes."""
    staged: list[tuple[Path, Path]] = []

    def staged_path(target: Path | str) -> Path:
        target = Path(target)
        target.parent.mkdir(parents=True, exist_ok=True)
        # hidden, same folder (same file system), same suffix (writers that read it keep working)
        tmp = target.with_name(f".{target.stem}.{uuid.uuid4().hex[:12]}.tmp{target.suffix}")
        staged.append((tmp, target))
        return tmp

    try:
        yield staged_path
        for tmp, _ in staged:           # every file complete before any target changes
            if not tmp.exists():
                raise FileNotFoundError(f"{tmp}: staged for {_} but never written")
            _fsync(tmp)
    except BaseException:
        for tmp, _ in staged:
            tmp.unlink(missing_ok=True)
        raise
    for tmp, target in staged:
        os.replace(tmp, target)


def write_text_atomic(path: Path | str, text: str) -> Path:
    with atomic_outputs() as staged:
        staged(path).write_text(text, encoding="utf-8", newline="\n")
    return Path(path)


def write_csv_safe(frame: pl.DataFrame, path: Path | str) -> None:
    """frame as CSV with every text cell that could start a formula neutralised."""
    neutralise_formulas(frame).write_csv(path)


def neutralise_formulas(frame: pl.DataFrame) -> pl.DataFrame:
    """Text columns: a cell starting with = + - @ tab or CR gets a leading apostrophe."""
    text = [c for c, dtype in frame.schema.items() if isinstance(dtype, TEXT_TYPES)]
    return frame.with_columns(
        pl.when(_starts_with_any(pl.col(c).cast(pl.String)))
        .then(pl.lit("'") + pl.col(c).cast(pl.String))
        .otherwise(pl.col(c).cast(pl.String))
        .alias(c)
        for c in text
    )


def _starts_with_any(col: pl.Expr) -> pl.Expr:
    return pl.any_horizontal(col.str.starts_with(s) for s in FORMULA_STARTS)


def _fsync(path: Path) -> None:
    with open(path, "rb") as f:
        os.fsync(f.fileno())


@dataclass(frozen=True)
class RunOutputs:
    """The output files found after a run, split into those this run wrote and older ones."""
    written: list[Path]
    stale: list[Path]


def outputs_since(started: float, folders: Iterable[Path], pattern: str = "*") -> RunOutputs:
    """Files under `folders` (temporary files excluded) written at or after `started`
    (time.time()) and those left from earlier runs."""
    files = sorted(p for folder in folders if Path(folder).exists()
                   for p in Path(folder).rglob(pattern)
                   if p.is_file() and not p.name.startswith("."))
    # The kernel stamps files from a coarse clock that can trail time.time() by a few ms; a
    # second of slack cannot mistake an earlier run's file (outputs come minutes into a run).
    cutoff = started - 1.0
    return RunOutputs(written=[p for p in files if p.stat().st_mtime >= cutoff],
                      stale=[p for p in files if p.stat().st_mtime < cutoff])
