"""Analyst overrides: one Markdown file per district, kept in the repository (commentary/overrides/),
so they survive every refresh of the warehouse. A dated override is shown instead of the draft.

File `commentary/overrides/<district code>.md` (e.g. `011.md`; `011-northland.md` also works):

    # Northland — anything before the first "## " is ignored (title, notes to colleagues)

    ## ash_0_4
    Date: 2026-02-14

    Free text in plain words. Several lines join into one paragraph; a blank line starts a new one.

    ## amenable_mortality
    Date: 2026-02-20
    ...

Each `## <measure_id>` section needs a `Date: YYYY-MM-DD` line first and some text. A mistake
stops the run with the file, line and what is wrong, so an override is never silently dropped.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date
from pathlib import Path

import polars as pl

OVERRIDE_COLUMNS = {
    "district_code": pl.String, "measure_id": pl.String, "override_text": pl.String,
    "override_date": pl.Date, "override_file": pl.String, "override_line": pl.Int64,
}
COMMENTARY_COLUMNS = {
    "district_code": pl.String, "measure_id": pl.String, "period_end": pl.Date, "text": pl.String,
    "status": pl.String, "override_date": pl.Date, "stale": pl.Boolean, "draft": pl.String,
    "fact_ids": pl.List(pl.String), "override_file": pl.String,
}
_FILE = re.compile(r"^(\d{3})(?:-[a-z0-9-]+)?\.md$")
_SECTION = re.compile(r"^##\s+(\S+)\s*$")
_DATE = re.compile(r"^date:\s*(\S+)\s*$", re.IGNORECASE)


class OverrideError(ValueError):
    pass


def read_overrides(folder: Path, known_districts: Iterable[str] | None = None,
                   known_measures: Iterable[str] | None = None) -> pl.DataFrame:
    """Every override in `folder` (missing folder: none)."""
    rows: list[dict] = []
    folder = Path(folder)
    if not folder.is_dir():
        return pl.DataFrame(schema=OVERRIDE_COLUMNS)
    districts = set(known_districts) if known_districts is not None else None
    measures = set(known_measures) if known_measures is not None else None
    seen_districts: dict[str, Path] = {}
    for path in sorted(folder.glob("*.md")):
        if path.name.upper() == "README.MD":
            continue
        m = _FILE.match(path.name)
        if not m:
            raise OverrideError(f"{path}: file name must be <district code>.md, e.g. 011.md")
        code = m.group(1)
        if districts is not None and code not in districts:
            raise OverrideError(f"{path}: no district with code {code}")
        if code in seen_districts:
            raise OverrideError(f"{path}: district {code} already has overrides in {seen_districts[code].name}")
        seen_districts[code] = path
        rows += parse_override_file(path, code, measures)
    return pl.DataFrame(rows, schema=OVERRIDE_COLUMNS)


def parse_override_file(path: Path, district_code: str, known_measures: set[str] | None = None) -> list[dict]:
    lines = path.read_text(encoding="utf-8").splitlines()
    sections: list[tuple[str, int, list[tuple[int, str]]]] = []
    for number, line in enumerate(lines, start=1):
        head = _SECTION.match(line)
        if head:
            sections.append((head.group(1), number, []))
        elif sections:
            sections[-1][2].append((number, line))
    out, seen = [], set()
    for measure_id, number, body in sections:
        where = f"{path}, line {number}"
        if known_measures is not None and measure_id not in known_measures:
            raise OverrideError(f"{where}: no measure {measure_id!r} (use a measure id, e.g. ash_0_4)")
        if measure_id in seen:
            raise OverrideError(f"{where}: a second override for {measure_id}")
        seen.add(measure_id)
        content = [(n, text) for n, text in body if text.strip()]
        if not content or not _DATE.match(content[0][1].strip()):
            raise OverrideError(f"{where}: the first line under '## {measure_id}' must be "
                                "'Date: YYYY-MM-DD'")
        date_line, date_text = content[0]
        raw = _DATE.match(date_text.strip()).group(1)
        try:
            written = date.fromisoformat(raw)
        except ValueError:
            raise OverrideError(f"{path}, line {date_line}: date {raw!r} is not YYYY-MM-DD") from None
        text = _paragraphs([t for n, t in body if n > date_line])
        if not text:
            raise OverrideError(f"{where}: the override for {measure_id} has no text")
        out.append({"district_code": district_code, "measure_id": measure_id, "override_text": text,
                    "override_date": written, "override_file": path.name, "override_line": number})
    return out


def _paragraphs(lines: list[str]) -> str:
    paras, current = [], []
    for line in lines:
        if line.strip():
            current.append(line.strip())
        elif current:
            paras.append(" ".join(current))
            current = []
    if current:
        paras.append(" ".join(current))
    return "\n\n".join(paras)


def apply_overrides(drafts: pl.DataFrame, overrides: pl.DataFrame) -> pl.DataFrame:
    """The commentary shown: the override where there is one (dated, flagged stale when written
    before the end of the latest period it describes), else the draft."""
    joined = drafts.join(overrides, on=["district_code", "measure_id"], how="full", coalesce=True)
    has_override = pl.col("override_text").is_not_null()
    return joined.select(
        "district_code", "measure_id", "period_end",
        pl.when(has_override).then(pl.col("override_text")).otherwise(pl.col("paragraph")).alias("text"),
        pl.when(has_override).then(pl.lit("override")).otherwise(pl.lit("draft")).alias("status"),
        "override_date",
        (has_override & pl.col("period_end").is_not_null()
         & (pl.col("override_date") < pl.col("period_end"))).alias("stale"),
        pl.col("paragraph").alias("draft"),
        "fact_ids", "override_file",
    ).sort("district_code", "measure_id").cast(COMMENTARY_COLUMNS)
