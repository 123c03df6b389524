"""The attacker: which suppressed cells of a published measures table can be recovered exactly?

    python -m pipelines.measures.attack data/exports/slm_measures.parquet

Reads the export alone and solves every linear relation between its published counts.

Model (pack-methods §4.2 step 3). Each count is a sum of *leaf* counts: district (not New
Zealand) × prioritised ethnic group (Māori, Pacific, Asian, European/Other) × breakdown leaf ×
time segment (the pieces that the published windows' boundaries cut the calendar into). So
  New Zealand = Σ districts;  Total = Māori + Pacific + Asian + European/Other;
  nMnP = Asian + European/Other (reference/report_groups.csv);  a window = Σ its segments
  (overlapping windows share segments, so W_t − W_{t−1} is published too);
  headline breakdown '' = Σ the other breakdowns, where the published counts show it holds.
A suppressed cell with leaf vector s is recoverable iff s lies in the row space of the published
cells' vectors: rank(P) = rank([P; s]), decided by Gauss-Jordan elimination of P. Published counts' values never enter the test, only which
cells are published, so the answer holds for every table with the same pattern.

Blocks. If the windows of a measure are linearly independent as vectors of segments (rolling
windows of one length are), a cell of window t is recoverable from all windows only if it is
from window t's cells alone: a dual vector picking out window t maps any combination onto one of
window t's. Each window is then its own block; otherwise the measure's windows are one block.
Breakdowns that do not add up to a headline are independent the same way.

Across measures (also from the export alone): measures whose numerators agree on every cell both
publish are one count, so a cell hidden in one and published in the other is recovered; and a
numerator that equals its denominator minus another measure's denominator on every cell where
all three are published (the unknown share: unknown = all babies − known) is recovered wherever
the two denominators are published.
"""

from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import polars as pl

from pipelines.config import REFERENCE_DIR

NATIONAL = "000"
HEADLINE = ""
CELL = ["district_code", "period_start", "period_end", "group_id", "breakdown"]
MIN_EVIDENCE = 20          # cells a cross-measure relation must hold on before it is believed
TOLERANCE = 1e-9


@cache
def group_members() -> dict[str, frozenset[str]]:
    groups = pl.read_csv(REFERENCE_DIR / "report_groups.csv")
    return {r["group_id"]: frozenset(r["members"].split("|")) for r in groups.iter_rows(named=True)}


@dataclass(frozen=True)
class Finding:
    measure_id: str
    district_code: str
    period_end: object
    group_id: str
    breakdown: str
    how: str


# ---------------------------------------------------------------------------------------------
# One measure: which hidden cells are determined by the published ones (structure only)
# ---------------------------------------------------------------------------------------------

def recoverable(cells: pl.DataFrame, breakdowns_add_up: bool) -> list[int]:
    """Row positions of `cells` (CELL columns + `hidden`) whose count is determined by the
    non-hidden cells' counts through the leaf model above."""
    cells = cells.with_row_index("_row")
    windows = cells.select("period_start", "period_end").unique().sort("period_start", "period_end")
    if windows_independent(windows):
        blocks = [cells.filter((pl.col("period_start") == s) & (pl.col("period_end") == e))
                  for s, e in windows.iter_rows()]
    else:
        blocks = [cells]
    found: list[int] = []
    for block in blocks:
        if breakdowns_add_up:
            parts = [block]
        else:
            parts = [p for _, p in block.group_by("breakdown", maintain_order=True)]
        for part in parts:
            if part["hidden"].any():
                found += _determined(part, breakdowns_add_up)
    return sorted(found)


def windows_independent(windows: pl.DataFrame) -> bool:
    segments = _segments(windows)
    if len(windows) <= 1:
        return True
    matrix = np.array([[float(s <= a and b <= e) for a, b in segments] for s, e in windows.iter_rows()])
    return np.linalg.matrix_rank(matrix) == len(windows)


def _segments(windows: pl.DataFrame) -> list[tuple]:
    """The calendar cut at every window boundary: consecutive (first day, last day) pieces."""
    import datetime as dt
    starts = sorted(set(windows["period_start"].to_list())
                    | {e + dt.timedelta(days=1) for e in windows["period_end"].to_list()})
    return [(a, b - dt.timedelta(days=1)) for a, b in zip(starts, starts[1:], strict=False)]


def _determined(block: pl.DataFrame, breakdowns_add_up: bool) -> list[int]:
    members = group_members()
    districts = sorted(set(block["district_code"].to_list()) - {NATIONAL})
    groups4 = sorted(set().union(*members.values()))
    breakdowns = sorted(set(block["breakdown"].to_list()) - ({HEADLINE} if breakdowns_add_up else set()))
    if not breakdowns:
        breakdowns = [HEADLINE]
    windows = block.select("period_start", "period_end").unique()
    segments = _segments(windows)
    index = {key: i for i, key in enumerate(
        (d, g, b, s) for d in districts for g in groups4 for b in breakdowns for s in range(len(segments)))}

    def vector(row: dict) -> np.ndarray:
        v = np.zeros(len(index))
        ds = districts if row["district_code"] == NATIONAL else [row["district_code"]]
        bs = breakdowns if (breakdowns_add_up and row["breakdown"] == HEADLINE) else [row["breakdown"]]
        ss = [i for i, (a, b) in enumerate(segments) if row["period_start"] <= a and b <= row["period_end"]]
        for d in ds:
            for g in members[row["group_id"]]:
                for b in bs:
                    for s in ss:
                        v[index[(d, g, b, s)]] = 1.0
        return v

    rows = block.to_dicts()
    published = [vector(r) for r in rows if not r["hidden"]]
    echelon, pivots = _reduced_echelon(np.array(published)) if published else (np.zeros((0, len(index))), [])
    found = []
    for r in rows:
        if r["hidden"]:
            v = vector(r)
            # In reduced echelon form each pivot column holds one 1: v is in the row space iff
            # subtracting v[pivot] × each echelon row leaves nothing.
            residual = v - (echelon * v[pivots][:, None]).sum(axis=0)
            if np.abs(residual).max(initial=0) < EPS:
                found.append(r["_row"])
    return found


EPS = 1e-9


def _reduced_echelon(matrix: np.ndarray) -> tuple[np.ndarray, list[int]]:
    """Gauss-Jordan elimination with partial pivoting: (nonzero rows of the reduced row echelon
    form, pivot columns); the rank is their number. Element-wise numpy on 0/1 matrices, whose
    pivots stay small rationals; no BLAS, whose threads crawl on a busy machine."""
    a = matrix.astype(float)
    pivots: list[int] = []
    r = 0
    for c in range(a.shape[1]):
        if r == a.shape[0]:
            break
        p = r + int(np.argmax(np.abs(a[r:, c])))
        if abs(a[p, c]) < EPS:
            continue
        a[[r, p]] = a[[p, r]]
        a[r] /= a[r, c]
        factors = a[:, c].copy()
        factors[r] = 0.0
        nonzero = np.nonzero(np.abs(factors) > EPS)[0]
        if nonzero.size:
            a[nonzero] -= np.multiply.outer(factors[nonzero], a[r])
        a[np.abs(a) < EPS] = 0.0
        pivots.append(c)
        r += 1
    return a[:r], pivots


# ---------------------------------------------------------------------------------------------
# A published export: every measure, and the relations between measures
# ---------------------------------------------------------------------------------------------

def attack(export: pl.DataFrame) -> list[Finding]:
    """Every suppressed cell of the export whose numerator (or hidden denominator) can be
    recovered exactly from the export's published cells."""
    export = export.with_columns(pl.col("breakdown").fill_null(HEADLINE))
    findings: list[Finding] = []
    by_measure = {m: f for (m,), f in export.group_by("measure_id", maintain_order=True)}
    # Cross-measure: equal numerators, and numerator = own denominator − another's.
    known: dict[str, set[tuple]] = defaultdict(set)      # measure → cells recovered so far
    for a, b in same_numerator_pairs(by_measure):
        for m, other in ((a, b), (b, a)):
            for key in _hidden_published_elsewhere(by_measure[m], by_measure[other]):
                known[m].add(key)
                findings.append(_finding(m, key, f"numerator published as {other}'s"))
    for a, b in denominator_difference_pairs(by_measure):
        for key in _recovered_by_difference(by_measure[a], by_measure[b]) - known[a]:
            known[a].add(key)
            findings.append(_finding(a, key, f"= its denominator − {b}'s denominator"))
    for m, frame in by_measure.items():
        add_up = breakdowns_add_up(frame)
        for column in ("numerator", "denominator"):
            hidden = pl.col(column).is_null() & pl.col("suppressed").fill_null(False)
            cells = frame.select(*CELL, hidden.alias("hidden"))
            if not cells["hidden"].any():
                continue
            if column == "numerator" and known[m]:
                # Cells recovered another way above count as published for the linear solve.
                recovered = pl.DataFrame(sorted(known[m]), schema=frame.select(CELL).schema, orient="row")
                cells = cells.join(recovered.with_columns(pl.lit(True).alias("_known")), on=CELL,
                                   how="left", nulls_equal=True, maintain_order="left")
                cells = cells.with_columns(pl.col("hidden") & pl.col("_known").is_null()).drop("_known")
            for i in recoverable(cells, add_up):
                findings.append(_finding(m, _key(cells.row(i, named=True)), f"{column} by linear relations"))
    return findings


def breakdowns_add_up(frame: pl.DataFrame) -> bool:
    """True when the measure has a headline breakdown '' and other breakdowns whose published
    numerators sum to it exactly wherever all are published (at least one such cell)."""
    breakdowns = set(frame["breakdown"].fill_null(HEADLINE).to_list())
    if HEADLINE not in breakdowns or len(breakdowns) == 1:
        return False
    keys = ["district_code", "period_start", "period_end", "group_id"]
    sums = (frame.with_columns(pl.col("breakdown").fill_null(HEADLINE))
            .group_by(keys).agg(
                pl.col("numerator").filter(pl.col("breakdown") == HEADLINE).first().alias("headline"),
                pl.col("numerator").filter(pl.col("breakdown") != HEADLINE).sum().alias("parts"),
                pl.col("numerator").filter(pl.col("breakdown") != HEADLINE).is_null().any().alias("gap"))
            .filter(pl.col("headline").is_not_null() & ~pl.col("gap")))
    if sums.is_empty():
        return True           # nothing to refute it: assume the worst
    return bool(((sums["headline"] - sums["parts"]).abs() <= TOLERANCE * sums["headline"].abs().max()).all())


def same_numerator_pairs(by_measure: dict[str, pl.DataFrame]) -> list[tuple[str, str]]:
    pairs = []
    ids = sorted(by_measure)
    for i, a in enumerate(ids):
        for b in ids[i + 1:]:
            both = _joined(by_measure[a], by_measure[b]).filter(
                pl.col("numerator").is_not_null() & pl.col("numerator_b").is_not_null())
            if both.height >= MIN_EVIDENCE and _equal(both["numerator"], both["numerator_b"]):
                pairs.append((a, b))
    return pairs


def denominator_difference_pairs(by_measure: dict[str, pl.DataFrame]) -> list[tuple[str, str]]:
    """(a, b) where a's numerator = a's denominator − b's denominator on every cell checkable."""
    pairs = []
    for a in sorted(by_measure):
        for b in sorted(by_measure):
            if a == b:
                continue
            both = _joined(by_measure[a], by_measure[b]).filter(
                pl.col("numerator").is_not_null() & pl.col("denominator").is_not_null()
                & pl.col("denominator_b").is_not_null())
            if both.height >= MIN_EVIDENCE and _equal(both["numerator"], both["denominator"] - both["denominator_b"]):
                pairs.append((a, b))
    return pairs


def _joined(a: pl.DataFrame, b: pl.DataFrame) -> pl.DataFrame:
    return a.select(*CELL, "numerator", "denominator", "suppressed").join(
        b.select(*CELL, pl.col("numerator").alias("numerator_b"), pl.col("denominator").alias("denominator_b"),
                 pl.col("suppressed").alias("suppressed_b")),
        on=CELL, how="inner", nulls_equal=True)


def _equal(x: pl.Series, y: pl.Series) -> bool:
    scale = max(1.0, float(x.abs().max() or 0))
    return bool(((x - y).abs() <= TOLERANCE * scale).all())


def _hidden_published_elsewhere(frame: pl.DataFrame, other: pl.DataFrame) -> set[tuple]:
    both = _joined(frame, other).filter(pl.col("numerator").is_null() & pl.col("suppressed")
                                        & pl.col("numerator_b").is_not_null())
    return {_key(r) for r in both.iter_rows(named=True)}


def _recovered_by_difference(frame: pl.DataFrame, other: pl.DataFrame) -> set[tuple]:
    both = _joined(frame, other).filter(pl.col("numerator").is_null() & pl.col("suppressed")
                                        & pl.col("denominator").is_not_null()
                                        & pl.col("denominator_b").is_not_null())
    return {_key(r) for r in both.iter_rows(named=True)}


def _key(row: dict) -> tuple:
    return tuple(row[c] for c in CELL)


def _finding(measure_id: str, key: tuple, how: str) -> Finding:
    cell = dict(zip(CELL, key, strict=True))
    return Finding(measure_id, cell["district_code"], cell["period_end"], cell["group_id"],
                   cell["breakdown"], how)


def summary(export: pl.DataFrame, findings: Iterable[Finding]) -> str:
    findings = list(findings)
    suppressed = export.filter(pl.col("suppressed").fill_null(False))
    lines = [f"{export.height} published rows, {suppressed.height} suppressed, "
             f"{len(findings)} recoverable"]
    for f in findings[:50]:
        lines.append(f"  RECOVERABLE {f.measure_id} district {f.district_code} {f.period_end} "
                     f"{f.group_id} {f.breakdown or '(headline)'}: {f.how}")
    if len(findings) > 50:
        lines.append(f"  … and {len(findings) - 50} more")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipelines.measures.attack", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("export", type=Path, help="slm_measures.parquet (or .csv)")
    args = parser.parse_args(argv)
    export = read_export(args.export)
    findings = attack(export)
    print(summary(export, findings))
    return 1 if findings else 0


def read_export(path: Path) -> pl.DataFrame:
    """The Parquet export, or the CSV one (codes such as district '011' kept as text; cells the
    CSV writer neutralised with a leading apostrophe do not matter here: no count is text)."""
    if path.suffix != ".csv":
        return pl.read_parquet(path)
    raw = pl.read_csv(path, infer_schema=False)
    return raw.with_columns(
        pl.col("numerator", "denominator").cast(pl.Float64),
        pl.col("period_start", "period_end").str.to_date(),
        (pl.col("suppressed") == "true").alias("suppressed"),
        pl.col("breakdown").fill_null(HEADLINE),
    )


if __name__ == "__main__":
    sys.exit(main())
