"""Template context of the ALT pack: the first page of each district and the national overview.

render.build_dashboards calls district_pack / national_pack and the templates lay them out; the
judgements are in summary.py and comparisons.py, the figures in pack_figures.py.
"""

from __future__ import annotations

from collections.abc import Callable

import polars as pl
from markupsafe import Markup

from pipelines import stats
from pipelines.dashboards.comparisons import (
    COMPARISON_LABELS,
    COMPARISON_MARKS,
    FINGERTIPS,
    compare_with_benchmark,
)
from pipelines.dashboards.frames import (
    NATIONAL_CODE,
    district_file_name,
    fmt_number,
    slugify,
    value_decimals,
)
from pipelines.dashboards.funnels import funnel
from pipelines.dashboards.icons import assurance_badge, variation_badge
from pipelines.dashboards.pack_figures import spc_figure, spine_figure, spine_rows
from pipelines.dashboards.quarterly import (
    improvement_direction,
    published_points,
    spc_over,
    usable_run,
)
from pipelines.dashboards.summary import available_headlines, headline_rows, measure_summary
from pipelines.measures.measure_config import default_config
from pipelines.measures.trend import MIN_POINTS

FigureHtml = Callable[..., Markup]

SPC_KIND = {"quarter": "Quarterly", "period": "Per period"}
PROJECTION_MIN_QUARTERS = 8  # pack-methods §7.2: 8–12 quarters advisable


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


def next_milestone(targets: pl.DataFrame, code: str, measure_id: str, after) -> dict | None:
    """The total-population milestone the SPC assurance and the projection aim at: the first
    one due on or after `after` (the latest point), else the last one set."""
    mine = targets.filter((pl.col("district_code") == code) & (pl.col("measure_id") == measure_id)
                          & (pl.col("group") == "total")).sort("period_end")
    if mine.is_empty():
        return None
    ahead = mine.filter(pl.col("period_end") >= after) if after is not None else mine
    return (ahead if ahead.height else mine.tail(1)).row(0, named=True)


def spc_result(code: str, measure_id: str, rows: pl.DataFrame, points: pl.DataFrame | None,
               direction: str | None, targets: pl.DataFrame) -> dict:
    """SPC over the series' non-overlapping points (milestone as target), its MDC icons, and the
    projected trajectory towards the milestone."""
    pts = series_points(points, rows, code, measure_id)
    if pts.is_empty():
        return {"chart": None, "kind": None, "icons": None, "projection": None,
                "note": "No SPC: the published windows overlap and no non-overlapping values exist."}
    kind = pts.get_column("kind").first()
    ms = next_milestone(targets, code, measure_id, pts.get_column("period_end").max())
    target = ms["milestone"] if ms else None
    chart = spc_over(pts, direction, target)
    projection = project(pts, rows, direction, ms) if kind == "quarter" else None
    if chart is None:
        return {"chart": None, "kind": kind, "icons": None, "projection": projection,
                "note": f"No SPC: fewer than {MIN_POINTS} consecutive usable non-overlapping points."}
    icons = stats.spc_icons(chart, "value").row(0, named=True)
    badges = [b for b in (variation_badge(icons["variation_icon"]),
                          assurance_badge(icons.get("assurance"))) if b]
    flagged = chart.filter(pl.col("point_type") != "common_cause").height
    target_note = f" Assurance against the {ms['year']} milestone." if ms and icons.get("assurance") else ""
    return {"chart": chart, "kind": kind, "projection": projection,
            "icons": {"variation": icons["variation_icon"], "assurance": icons.get("assurance"),
                      "html": Markup("".join(badges))},
            "note": f"{SPC_KIND[kind]} XmR over {chart.height} points; {flagged} special cause.{target_note}"}


def project(points: pl.DataFrame, rows: pl.DataFrame, direction: str | None, ms: dict | None) -> dict | None:
    """pipelines.stats.trend_projection on the quarterly counts (quasi-Poisson log-linear trend with
    a population offset), far enough ahead to pass the milestone; None without enough quarters."""
    run = usable_run(points, counts=True).filter(pl.col("population") > 0)
    if run.height < PROJECTION_MIN_QUARTERS or direction not in ("lower_is_better", "higher_is_better"):
        return None
    last = run.get_column("period_end").max()
    horizon = 12
    if ms is not None:
        months = (ms["period_end"].year - last.year) * 12 + ms["period_end"].month - last.month
        horizon = min(40, max(8, months // 3 + 8))
    multiplier = rows.get_column("multiplier").drop_nulls().first()
    proj, summary = stats.trend_projection(
        run, "period_end", "numerator", "population", horizon=horizon,
        target=ms["milestone"] if ms else None, direction=improvement_direction(direction),
        multiplier=multiplier,
    )
    s = summary.row(0, named=True)
    s.setdefault("target", None)  # stats adds the milestone outlook only when there is a target
    s["milestone_year"] = ms["year"] if ms else None
    s["text"] = projection_text(s, rows)
    return {"summary": s, "frame": proj, "last": last}


def projection_text(s: dict, rows: pl.DataFrame) -> str:
    fitted = (f"fitted on {s['points']} quarters to {s['last_period']:%b %Y}; annual change "
              f"{100 * s['annual_change']:+.1f}% (95% CI {100 * s['annual_change_lowercl']:+.1f}% to "
              f"{100 * s['annual_change_uppercl']:+.1f}%)")
    if s.get("target") is None:
        return f"Trend {fitted}. No milestone set."
    year = s["milestone_year"]
    if s["already_met"]:
        head = f"The fitted trend already meets the {year} milestone"
    elif s["reached_quarters_ahead"] is not None:
        head = f"On the current trend the {year} milestone is reached by {s['reached']}"
        if not s["trend_significant"]:
            head += " (trend not significant: date not estimable)"
        elif s["reached_confidently_quarters_ahead"] is not None:
            head += f" (confidently by {s['reached_confidently']})"
    else:
        head = f"On the current trend the {year} milestone is reached {s['reached']}"
    return f"{head}; {fitted}."


def district_pack(code: str, name: str, m: pl.DataFrame, e: pl.DataFrame, points: pl.DataFrame | None,
                  targets: pl.DataFrame, figure_html: FigureHtml) -> dict:
    summary, charts = [], []
    for measure_id, breakdown in available_headlines(m):
        rows = headline_rows(m, measure_id, breakdown)
        direction = rows.get_column("direction").drop_nulls().first()
        spc = spc_result(code, measure_id, rows, points, direction, targets)
        row = measure_summary(code, rows, e, targets, spc)
        summary.append(row)
        mine = rows.filter(pl.col("district_code") == code)
        if mine.get_column("value").drop_nulls().is_empty():
            continue
        kind = SPC_KIND.get(spc["kind"] or "", "")
        fig = spc_figure(mine, spc["chart"], row["milestones"], f"{row['name']}: {name}", kind,
                         spc["projection"])
        charts.append({"measure_id": measure_id, "name": row["name"], "note": spc["note"],
                       "projection": spc["projection"]["summary"]["text"] if spc["projection"] else None,
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
        frames.append(latest.with_columns(pl.lit(label).alias("label")).sort("district_code"))
    return pl.concat(frames) if frames else pl.DataFrame()


def national_pack(m: pl.DataFrame, e: pl.DataFrame, points: pl.DataFrame | None,
                  targets: pl.DataFrame, districts: list[tuple[str, str]],
                  figure_html: FigureHtml) -> dict:
    """The NZ summary (same rows as a district's, without the NZ comparison), the tartan rug and
    one funnel plot per headline measure."""
    summary, funnels = [], []
    for measure_id, breakdown in available_headlines(m):
        rows = headline_rows(m, measure_id, breakdown)
        direction = rows.get_column("direction").drop_nulls().first()
        summary.append(measure_summary(NATIONAL_CODE, rows, e, targets,
                                       spc_result(NATIONAL_CODE, measure_id, rows, points, direction,
                                                  targets)))
        latest = rows.filter(pl.col("period_end") == rows.get_column("period_end").max()).sort(
            "district_code", "group_id")
        measure = default_config().measures.get(measure_id)
        f = funnel(latest, measure.statistic if measure else None)
        funnels.append({"measure_id": measure_id, "name": _short_name(latest.item(0, "measure_name")),
                        "note": f["note"], "method": f["method"], "html": figure_html(f["figure"], f"pack-funnel-{slugify(measure_id)}")
                        if f["figure"] is not None else None})
    return {"summary": summary, "rug": tartan_rug(m, districts), "funnels": funnels}


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
                          "ink": ink, "mark": COMPARISON_MARKS[key] if r and r["value"] is not None else ""})
        rows.append({"measure_id": measure_id, "name": _short_name(meta["measure_name"]),
                     "period_label": meta["period_label"], "unit": meta["unit"],
                     "nz": fmt_number(nz, decimals), "cells": cells})
    return {"districts": [{"code": c, "name": n, "href": district_file_name(c, n)} for c, n in districts], "rows": rows,
            "legend": [{"label": COMPARISON_LABELS[k], "fill": FINGERTIPS[k][0], "ink": FINGERTIPS[k][1],
                        "mark": COMPARISON_MARKS[k]}
                       for k in ("better", "similar", "worse", "lower", "higher", "not_compared")]}
