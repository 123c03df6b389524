"""Complementary (secondary) suppression: no suppressed count can be recovered by arithmetic.

Primary suppression (publish.suppression_rule) hides a cell with too few events. Published
counts are sums of one another, so a hidden cell could be recovered by subtraction:
  Total = Māori + Pacific + nMnP,  nMnP = Asian + European/Other   (reference/report_groups.csv)
  New Zealand = Σ districts                                       (sql/measures/_group_sets.sql)
  headline '' = Σ breakdowns, where they partition it (amenable mortality's condition groups)
  a window = Σ the consecutive shorter windows that tile it, if any are published
The rule (pack-methods §4.2, docs/suppression.md), per measure, to a fixed point:
  1. Line rule: a relation (margin = Σ parts) with exactly one hidden member gets a second one:
     the part with the smallest `count` (publish passes the numerator, so measures sharing one
     agree; then district and group order), or the margin if every part is hidden.
  2. Audit: pipelines.measures.attack solves every published relation, overlapping windows
     included; a cell it can still recover gets a complement in one of its relations; back to 1.
The choice depends only on the counts, so two measures publishing the same numerator (youth
alcohol ED rate and share) suppress the same cells.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

import polars as pl

from pipelines.measures.attack import CELL, HEADLINE, NATIONAL, breakdowns_add_up, group_members, recoverable

SECONDARY_REASON = "complementary suppression: would reveal a suppressed cell by subtraction"
GROUP_ORDER = ["maori", "pacific", "nmnp", "asian", "european_other", "total"]


def complementary(rows: pl.DataFrame, primary: pl.Series, count: str) -> pl.Series:
    """Boolean Series, aligned with `rows` (CELL columns, `numerator` and `count`): the cells
    to suppress besides the `primary` ones so that none of them can be recovered.

    The rows are put in cell order first: the relations are walked in row order, so rows that
    arrive in another order (a DuckDB or polars group-by gives no order) could otherwise get
    other complements, and a published figure would change between two runs of the same data."""
    position = rows.select(pl.int_range(pl.len()).alias("_row"), *CELL).sort(CELL, nulls_last=True)["_row"]
    in_cell_order = _complementary(rows[position], primary[position], count)
    return pl.Series("secondary", [False] * rows.height, dtype=pl.Boolean).scatter(position, in_cell_order)


def _complementary(rows: pl.DataFrame, primary: pl.Series, count: str) -> pl.Series:
    cells = rows.select(*CELL, pl.col(count).cast(pl.Float64).alias("_count"),
                        pl.col("numerator").cast(pl.Float64).alias("_numerator"))
    hidden = primary.fill_null(False).to_list()
    if not any(hidden):
        return pl.Series("secondary", [False] * rows.height, dtype=pl.Boolean)
    add_up = breakdowns_add_up(rows.select(*CELL, "numerator"))
    relations = list(_relations(cells, add_up))
    order = _preference(cells)
    by_cell = _relations_of(relations, len(hidden))
    while True:
        _line_rule(relations, hidden, order)
        exposed = recoverable(cells.select(CELL).with_columns(pl.Series("hidden", hidden)), add_up)
        if not exposed:
            break
        # One complement per window per round (windows are audited apart; within one, a single
        # complement often protects several exposed cells, so the rest wait for the next audit).
        windows = cells.select("period_start", "period_end").rows()
        first = {}
        for i in exposed:
            first.setdefault(windows[i], i)
        for i in first.values():
            _protect(i, relations, by_cell, hidden, order, cells)
    return pl.Series("secondary", [h and not p for h, p in zip(hidden, primary.fill_null(False), strict=True)],
                     dtype=pl.Boolean)


def _relations(cells: pl.DataFrame, add_up: bool) -> Iterable[tuple[int, list[int]]]:
    """(margin row, part rows) for every additive relation between the cells."""
    index = {tuple(r): i for i, r in enumerate(cells.select(CELL).iter_rows())}
    districts: dict[tuple, list[int]] = {}      # (start, end, group, breakdown) → district rows
    breakdowns: dict[tuple, list[int]] = {}     # (district, start, end, group) → breakdown rows
    for (d, start, end, g, b), i in index.items():
        if d != NATIONAL:
            districts.setdefault((start, end, g, b), []).append(i)
        if b != HEADLINE:
            breakdowns.setdefault((d, start, end, g), []).append(i)
    children = _group_children()
    for (d, start, end, g, b), i in index.items():
        if g in children:                                        # groups within a district
            parts = [index.get((d, start, end, child, b)) for child in children[g]]
            if all(p is not None for p in parts):
                yield i, parts
        if d == NATIONAL and districts.get((start, end, g, b)):  # districts within New Zealand
            yield i, districts[(start, end, g, b)]
        if add_up and b == HEADLINE and breakdowns.get((d, start, end, g)):   # breakdowns in the headline
            yield i, breakdowns[(d, start, end, g)]
    for window, pieces in _window_partitions(cells).items():    # a window = Σ shorter ones
        for (d, start, end, g, b), i in index.items():
            if (start, end) == window:
                parts = [index.get((d, s, e, g, b)) for s, e in pieces]
                if all(p is not None for p in parts):
                    yield i, parts


def _window_partitions(cells: pl.DataFrame) -> dict[tuple, list[tuple]]:
    """Windows that are exactly a run of other, consecutive published windows (a year and its
    two halves). Rolling windows of one length have none; the audit covers any other overlap."""
    windows = sorted(set(cells.select("period_start", "period_end").iter_rows()))
    out = {}
    for start, end in windows:
        run, at = [], start
        while at <= end:
            step = max((w for w in windows if w[0] == at and w[1] <= end and w != (start, end)),
                       key=lambda w: w[1], default=None)
            if step is None:
                break
            run.append(step)
            at = step[1] + timedelta(days=1)
        if run and run[-1][1] == end:
            out[(start, end)] = run
    return out


def _group_children() -> dict[str, list[str]]:
    """Each reporting group made of others: its largest proper subgroups, when they partition it
    (total → Māori, Pacific, nMnP; nMnP → Asian, European/Other)."""
    members = group_members()
    out = {}
    for g, m in members.items():
        inside = [h for h, n in members.items() if h != g and n < m]
        largest = [h for h in inside if not any(members[h] < members[k] for k in inside)]
        covered = [x for h in largest for x in members[h]]
        if largest and sorted(covered) == sorted(m):
            out[g] = sorted(largest, key=GROUP_ORDER.index)
    return out


def _preference(cells: pl.DataFrame) -> list[tuple]:
    """Sort key per row: smallest count first, then numerator, then a fixed cell order."""
    return [(c if c is not None else float("inf"), n if n is not None else float("inf"),
             d, str(s), str(e), GROUP_ORDER.index(g) if g in GROUP_ORDER else 99, b)
            for d, s, e, g, b, c, n in cells.iter_rows()]


def _relations_of(relations: list[tuple[int, list[int]]], n: int) -> list[list[int]]:
    out: list[list[int]] = [[] for _ in range(n)]
    for k, (margin, parts) in enumerate(relations):
        for i in (margin, *parts):
            out[i].append(k)
    return out


def _line_rule(relations: list[tuple[int, list[int]]], hidden: list[bool], order: list[tuple]) -> None:
    changed = True
    while changed:
        changed = False
        for margin, parts in relations:
            if sum(hidden[i] for i in (margin, *parts)) == 1:
                _hide_one(margin, parts, hidden, order)
                changed = True


def _hide_one(margin: int, parts: list[int], hidden: list[bool], order: list[tuple]) -> bool:
    """Hide the smallest published part of a relation, else its margin; False if all hidden."""
    open_parts = [i for i in parts if not hidden[i]]
    if open_parts:
        hidden[min(open_parts, key=order.__getitem__)] = True
        return True
    if not hidden[margin]:
        hidden[margin] = True
        return True
    return False


def _protect(row: int, relations, by_cell, hidden: list[bool], order: list[tuple],
             cells: pl.DataFrame) -> None:
    """A cell the audit can still recover: hide one more member of its relation with the fewest
    hidden members; if all its relations are hidden, the smallest published cell of its window."""
    for k in sorted(by_cell[row], key=lambda k: sum(hidden[i] for i in (relations[k][0], *relations[k][1]))):
        if _hide_one(*relations[k], hidden, order):
            return
    window = cells.select("period_start", "period_end").row(row)
    same = [i for i, w in enumerate(cells.select("period_start", "period_end").iter_rows())
            if w == window and not hidden[i]]
    if not same:
        raise RuntimeError(f"suppression: cell {cells.row(row)} stays recoverable with every cell hidden")
    hidden[min(same, key=order.__getitem__)] = True
