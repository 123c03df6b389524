"""Assemble pages: figures → HTML fragments → Jinja templates → one self-contained file each.

plotly.js is inlined once per file (engineering-notes §5); each figure is a fragment with a fixed
div id, so two runs over the same data write byte-identical files.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import plotly.graph_objects as go
import polars as pl
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from pipelines.dashboards import palette as pal
from pipelines.dashboards.figure_spec import FigureSpec
from pipelines.dashboards.figures import equity_figure, forest_figure, trend_figure
from pipelines.dashboards.frames import (
    DQ_COLUMNS,
    NATIONAL_CODE,
    breakdown_label,
    confidence_label,
    district_file_name,
    humanise,
    normalise_equity,
    normalise_measures,
    normalise_trend,
    require_columns,
    slugify,
)
from pipelines.dashboards.pack import district_pack, national_pack
from pipelines.dashboards.page_workers import render_in_workers
from pipelines.dashboards.pdf import board_paper
from pipelines.dashboards.tables import dq_rows, dq_summary, headline_value, latest_table, withheld_periods
from pipelines.dashboards.targets import empty_targets
from pipelines.output_files import write_text_atomic

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
PAGE_WORKERS_ENV = "SLM_PAGE_WORKERS"

# What the data cannot say about an incomplete definition (measures.yaml comments, addendum §1).

PLOTLY_CONFIG = {
    "displaylogo": False,
    "responsive": True,
    "modeBarButtonsToRemove": ["select2d", "lasso2d", "autoScale2d"],
}


@cache
def _plotlyjs() -> Markup:
    from plotly.offline import get_plotlyjs

    return Markup(get_plotlyjs())


@cache
def _env(templates_dir: Path) -> Environment:
    return Environment(
        loader=FileSystemLoader(str(templates_dir)),
        autoescape=select_autoescape(["html", "j2"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def figure_html(fig: go.Figure | FigureSpec, div_id: str) -> Markup:
    """A figure fragment without plotly.js; the page inlines the library once."""
    config = {**PLOTLY_CONFIG, "toImageButtonOptions": {"filename": div_id, "scale": 2}}
    return Markup(
        fig.to_html(full_html=False, include_plotlyjs=False, div_id=div_id, config=config,
                    default_width="100%")
    )


def _series_id(*parts: str) -> str:
    return "-".join(slugify(p) for p in parts if p)


def _direction_text(direction: str | None) -> str:
    return {"lower_is_better": "lower is better", "higher_is_better": "higher is better"}.get(
        direction or "", humanise(direction) or "not stated"
    )


def _measure_meta(rows: pl.DataFrame, notes: Mapping[str, str]) -> dict:
    """Definition line for a measure, from its most recent row (definitions can be re-versioned)."""
    r = rows.sort("period_end", "district_code", "group_id").row(-1, named=True)
    statuses = set(rows.get_column("definition_status").drop_nulls().to_list())
    return {
        "measure_id": r["measure_id"],
        "name": r["measure_name"],
        "definition_version": r["definition_version"] or "—",
        "method": humanise(r["method"]) or "—",
        "unit": r["unit"] or "—",
        "direction": _direction_text(r["direction"]),
        "incomplete": "incomplete" in statuses,
        "incomplete_note": notes.get(r["measure_id"], ""),
    }


def _dq_context(dq: pl.DataFrame | None) -> dict | None:
    if dq is None:
        return None
    require_columns(dq, DQ_COLUMNS, "dq")
    rows = dq_rows(dq)
    return {"rows": rows, "summary": dq_summary(rows)}


def ordered_measures(ids: list[str], order: Sequence[str]) -> list[str]:
    """Measures in the caller's order (measures.yaml: ASH first), any others after, by id."""
    rank = {m: i for i, m in enumerate(order)}
    return sorted(ids, key=lambda m: (rank.get(m, len(rank)), m))


def _by_series(df: pl.DataFrame) -> dict[tuple[str, str], pl.DataFrame]:
    """Rows per (measure_id, breakdown), each in the frame's order (as a filter would give)."""
    return df.partition_by("measure_id", "breakdown", as_dict=True, maintain_order=True)


def district_context(
    code: str, m: pl.DataFrame, e: pl.DataFrame, t: pl.DataFrame, notes: Mapping[str, str],
    order: Sequence[str] = (), commentary: pl.DataFrame | None = None,
    decomposition: pl.DataFrame | None = None,
) -> dict:
    """Template context for one district. m/e/t are the normalised marts (all districts)."""
    # Imported here: pipelines.commentary itself uses pipelines.dashboards.frames.
    from pipelines.commentary.page import commentary_block, waterfall_figures

    dm = m.filter(pl.col("district_code") == code)
    # The district's rows split by series once, not filtered per series (26 series a district).
    series_of = _by_series(dm)
    trend_of = _by_series(t.filter(pl.col("district_code") == code))
    equity_of = _by_series(e.filter(pl.col("district_code") == code))
    national_of = _by_series(m.filter((pl.col("district_code") == NATIONAL_CODE) & (pl.col("group_id") == "total")))
    sections = []
    for measure_id in ordered_measures(dm.get_column("measure_id").unique().to_list(), order):
        mm = dm.filter(pl.col("measure_id") == measure_id)
        series = []
        for bd in sorted(b for mid, b in series_of if mid == measure_id):
            key = (measure_id, bd)
            rows = series_of[key]
            trend, eq = trend_of.get(key, t.clear()), equity_of.get(key, e.clear())
            fig = trend_figure(rows, trend, national_of.get(key, m.clear()))
            plotted = {tr["legendgroup"] for tr in fig.data if tr.get("legendgroup")}
            has_group_trace = bool(plotted)
            groups = sorted(rows.get_column("group_id").unique().to_list(), key=pal.group_sort_key)
            series.append({
                "label": breakdown_label(bd),
                "figure_html": figure_html(fig, _series_id("trend", code, measure_id, bd))
                if has_group_trace else None,
                "not_plotted": [pal.group_label(g) for g in groups if g not in plotted],
                "withheld": withheld_periods(rows),
                "table": latest_table(rows, eq),
            })
        meta = _measure_meta(mm, notes)
        labels = dict(mm.select("period_end", "period_label").unique().iter_rows())
        waterfalls = waterfall_figures(decomposition, code, measure_id, meta["unit"],
                                       meta["direction"] != "higher is better", labels)
        sections.append({**meta, "series": series,
                         "commentary": commentary_block(commentary, code, measure_id),
                         "waterfalls": [figure_html(fig, _series_id("waterfall", code, measure_id, kind))
                                        for kind, fig in waterfalls]})
    return {
        "district_code": code,
        "district_name": dm.get_column("district_name").first(),
        "sections": sections,
    }


def index_context(
    m: pl.DataFrame, e: pl.DataFrame, districts: list[tuple[str, str]], notes: Mapping[str, str],
    order: Sequence[str] = (),
) -> dict:
    names = dict(districts)
    sections, columns = [], []
    for measure_id in ordered_measures(m.get_column("measure_id").unique().to_list(), order):
        mm = m.filter(pl.col("measure_id") == measure_id)
        meta = _measure_meta(mm, notes)
        series = []
        for bd in sorted(mm.get_column("breakdown").unique().to_list()):
            rows = mm.filter(pl.col("breakdown") == bd)
            latest_end = rows.get_column("period_end").max()
            latest = rows.filter(pl.col("period_end") == latest_end)
            if latest.filter(pl.col("group_id") == "total").is_empty():
                continue
            forest = forest_figure(latest)
            eq = e.filter(
                (pl.col("measure_id") == measure_id) & (pl.col("breakdown") == bd)
                & (pl.col("period_end") == latest_end) & (pl.col("district_code") != NATIONAL_CODE)
            )
            label = latest.get_column("period_label").first()
            eq_html = None
            if not eq.is_empty():
                fig = equity_figure(eq, names, meta["name"], label)
                if fig.data:
                    eq_html = figure_html(fig, _series_id("equity", measure_id, bd))
            series.append({
                "label": breakdown_label(bd),
                "ci_label": confidence_label(latest.get_column("confidence").drop_nulls().first()),
                "forest_html": figure_html(forest, _series_id("forest", measure_id, bd)),
                "equity_html": eq_html,
            })
            if bd == "":
                columns.append({**meta, "period_label": label})
        if series:
            sections.append({**meta, "series": series})

    glance_rows = []
    has_nat = not m.filter(pl.col("district_code") == NATIONAL_CODE).is_empty()
    entries = [(c, n, district_file_name(c, n)) for c, n in districts]
    if has_nat:
        entries.append((NATIONAL_CODE, "New Zealand", None))
    for code, name, href in entries:
        values = [headline_value(m.filter(pl.col("measure_id") == c["measure_id"]), code)
                  for c in columns]
        glance_rows.append({"name": name, "href": href, "cells": values,
                            "national": code == NATIONAL_CODE})
    glance = {
        "columns": columns,
        "rows": glance_rows,
        "has_suppressed": any("s" in r["cells"] for r in glance_rows),
    }
    return {"sections": sections, "glance": glance}


def build_dashboards(
    measures: pl.DataFrame,
    equity: pl.DataFrame,
    trend: pl.DataFrame,
    dq: pl.DataFrame | None,
    out_dir: Path,
    as_of_label: str,
    *,
    templates_dir: Path | None = None,
    definition_notes: Mapping[str, str] | None = None,
    measure_order: Sequence[str] = (),
    targets: pl.DataFrame | None = None,
    points: pl.DataFrame | None = None,
    commentary: pl.DataFrame | None = None,
    decomposition: pl.DataFrame | None = None,
    initiative_panels: Mapping[str, Sequence[Markup]] | None = None,
    workers: int | None = None,
) -> list[Path]:
    """Write one HTML page per district plus index.html into out_dir; return the paths written.

    District pages come first (sorted by district code), index.html last. Each opens with the
    ALT pack's first page (pack.py): targets are the validated milestones (targets.py), points
    the non-overlapping quarterly values for SPC (quarterly.py); both optional. A page whose
    text changed loses the board paper printed from it (see _write). District pages render in
    `workers` processes (default: page_workers); the pages are the same whatever the number.
    """
    targets = empty_targets() if targets is None else targets
    m, e, t = normalise_measures(measures), normalise_equity(equity), normalise_trend(trend)
    tdir = Path(templates_dir) if templates_dir else TEMPLATES_DIR
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    inputs = _PageInputs(
        base={
            "as_of_label": as_of_label,
            "css": Markup((tdir / "dashboard.css").read_text(encoding="utf-8")),
            "dq": _dq_context(dq),
            "colours": {g: pal.group_colour(g) for g in m.get_column("group_id").unique().to_list()},
        },
        templates_dir=tdir, out_dir=out_dir, m=m, e=e, t=t,
        notes=dict(definition_notes or {}),  # measures.yaml → definition_note, from the caller
        measure_order=tuple(measure_order), targets=targets, points=points,
        commentary=commentary, decomposition=decomposition, panels=dict(initiative_panels or {}),
    )
    districts = sorted(
        m.filter(pl.col("district_code") != NATIONAL_CODE)
        .select("district_code", "district_name")
        .unique()
        .iter_rows()
    )
    workers = page_workers(len(districts)) if workers is None else max(1, min(workers, len(districts)))
    if workers == 1:
        written = [inputs.district_page(code, name) for code, name in districts]
        return [*written, inputs.index_page(districts)]
    # District pages are independent: worker processes render them (page_workers.py) while
    # this one renders the national page.
    return render_in_workers(inputs, districts, workers, lambda: inputs.index_page(districts))


def page_workers(pages: int) -> int:
    """SLM_PAGE_WORKERS (default 2: this machine's cores), never more than there are pages."""
    wanted = int(os.environ.get(PAGE_WORKERS_ENV, "2"))
    return max(1, min(wanted, os.cpu_count() or 1, pages))


@dataclass(frozen=True)
class _PageInputs:
    """What the pages are rendered from; handed once to each page worker (plotly.js is not in
    `base`: every process reads its own copy instead of receiving 4.8 MB)."""
    base: dict
    templates_dir: Path
    out_dir: Path
    m: pl.DataFrame
    e: pl.DataFrame
    t: pl.DataFrame
    notes: Mapping[str, str]
    measure_order: tuple[str, ...]
    targets: pl.DataFrame
    points: pl.DataFrame | None
    commentary: pl.DataFrame | None
    decomposition: pl.DataFrame | None
    panels: Mapping[str, Sequence[Markup]]

    def district_page(self, code: str, name: str) -> Path:
        path = self.out_dir / district_file_name(code, name)
        ctx = district_context(code, self.m, self.e, self.t, self.notes, self.measure_order,
                               self.commentary, self.decomposition)
        ctx["pack"] = _with_commentary(
            district_pack(code, name, self.m, self.e, self.points, self.targets, figure_html),
            self.commentary, code)
        _write(path, self._template("district.html.j2").render(
            **self.base, plotlyjs=_plotlyjs(), **ctx, initiative_panels=self.panels.get(code, [])))
        return path

    def index_page(self, districts: list[tuple[str, str]]) -> Path:
        path = self.out_dir / "index.html"
        ctx = index_context(self.m, self.e, districts, self.notes, self.measure_order)
        ctx["pack"] = _with_commentary(
            national_pack(self.m, self.e, self.points, self.targets, districts, figure_html),
            self.commentary, NATIONAL_CODE)
        _write(path, self._template("index.html.j2").render(**self.base, plotlyjs=_plotlyjs(), **ctx))
        return path

    def _template(self, name: str):
        return _env(self.templates_dir).get_template(name)


def _write(path: Path, html: str) -> None:
    """Write the page. When its text changed, the board paper printed from the old text is
    deleted with it, so no PDF beside a page ever shows other figures than the page
    (`alt_board_papers` prints the missing ones). An unchanged page keeps its PDF and is only
    touched: this run wrote it."""
    if path.is_file() and path.read_text(encoding="utf-8") == html:
        os.utime(path)
        return
    board_paper(path).unlink(missing_ok=True)
    write_text_atomic(path, html)


def _with_commentary(pack: dict, commentary: pl.DataFrame | None, code: str) -> dict:
    """Each first-page row carries its measure's drafted paragraph (or the analyst's override)."""
    from pipelines.commentary.page import commentary_block  # pipelines.commentary imports dashboards

    for row in pack.get("summary", []):
        row["commentary"] = commentary_block(commentary, code, row["measure_id"])
    return pack
