"""Template context of the ALT pack: the first page of each district and the national overview.

render.build_dashboards calls district_pack / national_pack and the templates lay them out; the
judgements are in summary.py and comparisons.py, the figures in pack_figures.py.
"""

from __future__ import annotations

from collections.abc import Callable

import polars as pl
from markupsafe import Markup

from pipelines.dashboards.comparisons import COMPARISON_LABELS, FINGERTIPS, compare_with_benchmark
from pipelines.dashboards.frames import (
    NATIONAL_CODE,
    district_file_name,
    fmt_number,
    slugify,
    value_decimals,
)
from pipelines.dashboards.pack_figures import spc_figure, spine_figure, spine_rows
from pipelines.dashboards.quarterly import published_points, spc_over
from pipelines.dashboards.summary import available_headlines, headline_rows, measure_summary

FigureHtml = Callable[..., Markup]

SPC_KIND = {"quarter": "Quarterly", "period": "Per period"}


def _short_name(name: str) -> str:
    """Row label for charts: the measure name without its trailing qualifier in brackets."""
    return name.split(" (")[0]


def series_points(points: pl.DataFrame | None, rows: pl.DataFrame, code: str, measure_id: str) -> pl.DataFrame:
    """Non-overlapping points of one district's headline: computed quarters when the measure has
    them, else the published series when its own windows do not overlap (else empty)."""
    if points is not None and not points.is_empty():
        mine = points.filter((pl.col("district_code") == code) & (pl.col("measure_id") == measure_id))
        if not mine.is_empty():
            return mine.sort("period_end")
    return published_points(rows.filter(pl.col("district_code") == code))


def spc_result(code: str, measure_id: str, rows: pl.DataFrame, points: pl.DataFrame | None,
               direction: str | None) -> dict:
    pts = series_points(points, rows, code, measure_id)
    if pts.is_empty():
        return {"chart": None, "kind": None, "icons": None,
                "note": "No SPC: the published windows overlap and no non-overlapping values exist."}
    kind = pts.get_column("kind").first()
    chart = spc_over(pts, direction)
    if chart is None:
        return {"chart": None, "kind": kind, "icons": None,
                "note": "No SPC: fewer than 12 consecutive usable non-overlapping points."}
    flagged = chart.filter(pl.col("point_type") != "common_cause").height
    return {"chart": chart, "kind": kind, "icons": None,
            "note": f"{SPC_KIND[kind]} XmR over {chart.height} points; {flagged} special cause."}


def district_pack(code: str, name: str, m: pl.DataFrame, e: pl.DataFrame, points: pl.DataFrame | None,
                  targets: pl.DataFrame, figure_html: FigureHtml) -> dict:
    summary, charts = [], []
    for measure_id, breakdown in available_headlines(m):
        rows = headline_rows(m, measure_id, breakdown)
        direction = rows.get_column("direction").drop_nulls().first()
        spc = spc_result(code, measure_id, rows, points, direction)
        row = measure_summary(code, rows, e, targets, spc)
        summary.append(row)
        mine = rows.filter(pl.col("district_code") == code)
        if mine.get_column("value").drop_nulls().is_empty():
            continue
        kind = SPC_KIND.get(spc["kind"] or "", "")
        fig = spc_figure(mine, spc["chart"], row["milestones"], f"{row['name']}: {name}", kind)
        charts.append({"measure_id": measure_id, "name": row["name"], "note": spc["note"],
                       "html": figure_html(fig, f"pack-spc-{code}-{slugify(measure_id)}")})
    spine = spine_rows(_latest_totals(m), code)
    spine_html = figure_html(spine_figure(spine, name), f"pack-spine-{code}") if spine else None
    return {"summary": summary, "spine_html": spine_html, "charts": charts}


def _latest_totals(m: pl.DataFrame) -> pl.DataFrame:
    """Each headline's total rows at its latest period, labelled for the spine chart."""
    frames = []
    for measure_id, breakdown in available_headlines(m):
        rows = headline_rows(m, measure_id, breakdown).filter(pl.col("group_id") == "total")
        latest = rows.filter(pl.col("period_end") == rows.get_column("period_end").max())
        label = _short_name(latest.get_column("measure_name").first())
        frames.append(latest.with_columns(pl.lit(label).alias("label")))
    return pl.concat(frames) if frames else pl.DataFrame()


def national_pack(m: pl.DataFrame, e: pl.DataFrame, points: pl.DataFrame | None,
                  targets: pl.DataFrame, districts: list[tuple[str, str]]) -> dict:
    """The NZ summary (same rows as a district's, without the NZ comparison) and the tartan rug."""
    summary = []
    for measure_id, breakdown in available_headlines(m):
        rows = headline_rows(m, measure_id, breakdown)
        direction = rows.get_column("direction").drop_nulls().first()
        summary.append(measure_summary(NATIONAL_CODE, rows, e, targets,
                                       spc_result(NATIONAL_CODE, measure_id, rows, points, direction)))
    return {"summary": summary, "rug": tartan_rug(m, districts)}


def tartan_rug(m: pl.DataFrame, districts: list[tuple[str, str]]) -> dict:
    """Measures (rows) × New Zealand then districts (columns), each cell the latest total value
    filled by its Fingertips comparison with New Zealand (pack-methods §5.3)."""
    latest = _latest_totals(m)
    rows = []
    for measure_id, _ in available_headlines(m):
        one = latest.filter(pl.col("measure_id") == measure_id)
        if one.is_empty():
            continue
        meta = one.row(0, named=True)
        decimals = value_decimals(meta["unit"])
        nat = one.filter(pl.col("district_code") == NATIONAL_CODE)
        nz = nat.item(0, "value") if nat.height else None
        cells = []
        for code, _name in districts:
            r = one.filter(pl.col("district_code") == code)
            r = r.row(0, named=True) if r.height else None
            key = compare_with_benchmark(r["value"], r["lower_ci"], r["upper_ci"], nz, meta["direction"]) \
                if r else "not_compared"
            text = fmt_number(r["value"], decimals) if r and r["value"] is not None else (
                "s" if r and r["suppressed"] else "—")
            fill, ink = FINGERTIPS[key]
            cells.append({"text": text, "key": key, "label": COMPARISON_LABELS[key], "fill": fill,
                          "ink": ink})
        rows.append({"measure_id": measure_id, "name": _short_name(meta["measure_name"]),
                     "period_label": meta["period_label"], "unit": meta["unit"],
                     "nz": fmt_number(nz, decimals), "cells": cells})
    return {"districts": [{"code": c, "name": n, "href": district_file_name(c, n)} for c, n in districts], "rows": rows,
            "legend": [{"label": COMPARISON_LABELS[k], "fill": FINGERTIPS[k][0], "ink": FINGERTIPS[k][1]}
                       for k in ("better", "similar", "worse", "lower", "higher", "not_compared")]}
