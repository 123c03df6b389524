"""What a district page shows of the commentary for one measure: the paragraph (override or draft,
labelled as such) and the waterfall chart of each decomposition of the latest change. The page
templates only lay these out (pipelines/dashboards/templates/district.html.j2)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

import plotly.graph_objects as go
import polars as pl

from pipelines.commentary.decomposition import published_decomposition
from pipelines.commentary.facts import year_earlier
from pipelines.commentary.waterfall import DECOMPOSITION_TITLES, waterfall_figure
from pipelines.dashboards.frames import value_decimals


def commentary_tables(con) -> tuple[pl.DataFrame | None, pl.DataFrame | None]:
    """marts.commentary and marts.change_decomposition when the commentary assets have run."""
    from pipelines.warehouse import table_exists

    return tuple(con.sql(f"SELECT * FROM marts.{t}").pl() if table_exists(con, "marts", t) else None
                 for t in ("commentary", "change_decomposition"))


def commentary_block(commentary: pl.DataFrame | None, district_code: str, measure_id: str) -> dict | None:
    """{label, paragraphs, status, stale} for the template, or None when there is no commentary."""
    if commentary is None or commentary.is_empty():
        return None
    hit = commentary.filter((pl.col("district_code") == district_code) & (pl.col("measure_id") == measure_id))
    if hit.is_empty():
        return None
    r = hit.row(0, named=True)
    if r["status"] == "override":
        label = f"Analyst commentary, {r['override_date']:%d %B %Y}".replace(" 0", " ")
        if r["stale"]:
            label += " (written before the latest data: check it still holds)"
    else:
        label = "Draft commentary, generated from the statistics: check before use"
    return {"label": label, "status": r["status"], "stale": bool(r["stale"]),
            "paragraphs": [p for p in (r["text"] or "").split("\n\n") if p]}


def waterfall_figures(decomposition: pl.DataFrame | None, district_code: str, measure_id: str,
                      unit: str, lower_is_better: bool = True,
                      period_labels: Mapping[date, str] | None = None) -> list[tuple[str, go.Figure]]:
    """(slug, figure) for each decomposition of the measure's latest published change;
    period_labels: period_end → the measure's own label ("Five years to Dec 2024")."""
    if decomposition is None or decomposition.is_empty():
        return []
    mine = published_decomposition(decomposition).filter(
        (pl.col("district_code") == district_code) & (pl.col("measure_id") == measure_id)
        & ~pl.col("total_suppressed"))
    if mine.is_empty():
        return []
    latest = mine.get_column("period_end").max()
    out = []
    for kind, title in DECOMPOSITION_TITLES.items():
        parts = mine.filter((pl.col("decomposition") == kind) & (pl.col("period_end") == latest))
        if parts.is_empty():
            continue
        fig = waterfall_figure(parts, title=f"Why it changed: {title}", unit=unit,
                               period_label=_label(latest, period_labels),
                               previous_label=_label(year_earlier(latest), period_labels),
                               decimals=value_decimals(unit), lower_is_better=lower_is_better)
        out.append((kind, fig))
    return out


def _label(end: date, labels: Mapping[date, str] | None) -> str:
    return (labels or {}).get(end) or f"Year to {end:%b %Y}"
