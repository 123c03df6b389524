"""Figures of the ALT pack: the Fingertips spine chart and the SPC chart with its milestone.

Pure builders (frames in, FigureSpec out), on the same template as figures.py.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import polars as pl

from pipelines.dashboards import palette as pal
from pipelines.dashboards.comparisons import COMPARISON_LABELS, FINGERTIPS, compare_with_benchmark
from pipelines.dashboards.figure_spec import FigureSpec
from pipelines.dashboards.figures import BASE_TEMPLATE, _axis_title, _iso
from pipelines.dashboards.frames import NATIONAL_CODE, fmt_number, is_number, value_decimals

SPINE_LIGHT, SPINE_DARK = "#C9C9C9", "#8B8B8B"
# One marker shape per comparison, so the spine reads in greyscale and without colour vision.
SYMBOLS = {"better": "circle", "similar": "diamond", "worse": "square", "lower": "triangle-down",
           "higher": "triangle-up", "not_compared": "x"}


def percentile_type7(values: Sequence[float], p: float) -> float:
    """Fingertips/Excel PERCENTILE.INC (R type 7), pack-methods §5.2."""
    return float(np.percentile(np.asarray(values, dtype=float), 100 * p, method="linear"))


def spine_rows(latest: pl.DataFrame, code: str) -> list[dict]:
    """Per headline measure, the spine geometry for district `code` (pack-methods §5.2).

    latest: normalised total rows at each measure's latest period, all districts and 000, with
    a `label` column (the row's name). Scaled to 0…1 with New Zealand at 0.5 and best on the right.
    """
    rows = []
    for label, one in latest.group_by("label", maintain_order=True):
        nat = one.filter(pl.col("district_code") == NATIONAL_CODE)
        areas = one.filter((pl.col("district_code") != NATIONAL_CODE) & pl.col("value").is_not_null())
        me = one.filter(pl.col("district_code") == code)
        meta = one.row(0, named=True)
        if nat.is_empty() or not is_number(nat.item(0, "value")) or areas.height <= 3:
            continue
        e = nat.item(0, "value")
        vals = areas.get_column("value").to_list()
        h = max(abs(e - min(vals)), abs(e - max(vals))) or 1.0
        flip = meta["direction"] == "lower_is_better"

        def pos(v: float, e=e, h=h, flip=flip) -> float:
            x = (v - (e - h)) / (2 * h)
            return 1 - x if flip else x

        p25, p75 = percentile_type7(vals, 0.25), percentile_type7(vals, 0.75)
        worst = max(vals) if flip else min(vals)
        best = min(vals) if flip else max(vals)
        r = me.row(0, named=True) if me.height else None
        key = compare_with_benchmark(r["value"], r["lower_ci"], r["upper_ci"], e, meta["direction"]) \
            if r else "not_compared"
        decimals = value_decimals(meta["unit"])
        rows.append({
            "label": label[0] if isinstance(label, tuple) else label,
            "segments": sorted([pos(worst), pos(p25), pos(p75), pos(best)]),
            "x": pos(r["value"]) if r and is_number(r["value"]) else None,
            "key": key, "value": fmt_number(r["value"], decimals) if r else "—",
            "nz": fmt_number(e, decimals), "worst": fmt_number(worst, decimals),
            "best": fmt_number(best, decimals), "n": len(vals),
        })
    return rows


def spine_figure(rows: list[dict], district_name: str) -> FigureSpec:
    """Fingertips area-profile spine chart: one bar per measure, New Zealand at the centre."""
    fig = FigureSpec()
    labels = [r["label"] for r in rows]
    for i, r in enumerate(rows):
        a, b, c, d = r["segments"]
        for x0, x1, colour in ((a, b, SPINE_LIGHT), (b, c, SPINE_DARK), (c, d, SPINE_LIGHT)):
            fig.add_shape(type="rect", x0=x0, x1=x1, y0=i - 0.32, y1=i + 0.32, line=dict(width=0),
                          fillcolor=colour, layer="below")
    fig.add_shape(type="line", x0=0.5, x1=0.5, y0=-0.6, y1=len(rows) - 0.4,
                  line=dict(color="#8A1C1C", width=2))
    for key in FINGERTIPS:
        pts = [(i, r) for i, r in enumerate(rows) if r["key"] == key and r["x"] is not None]
        if not pts:
            continue
        fig.add_trace(
            x=[r["x"] for _, r in pts], y=[i for i, _ in pts], mode="markers",
            name=f"{COMPARISON_LABELS[key]} (vs New Zealand)",
            marker=dict(symbol=SYMBOLS[key], size=15, color=FINGERTIPS[key][0],
                        line=dict(color="#1F2933", width=1.5)),
            customdata=[[r["label"], r["value"], r["nz"], r["worst"], r["best"], r["n"]] for _, r in pts],
            hovertemplate=("<b>%{customdata[0]}</b><br>" + district_name + ": %{customdata[1]}<br>"
                           "New Zealand: %{customdata[2]}<br>worst district %{customdata[3]}, best "
                           "%{customdata[4]} (of %{customdata[5]})<extra></extra>"),
        )
    fig.update_layout(
        template=BASE_TEMPLATE, height=90 + 44 * max(len(rows), 1),
        margin=dict(l=20, r=20, t=30, b=70), showlegend=True,
        legend=dict(orientation="h", yref="container", yanchor="bottom", y=0.0, x=0),
        hovermode="closest",
        yaxis=dict(tickmode="array", tickvals=list(range(len(rows))), ticktext=labels,
                   range=[len(rows) - 0.5, -0.5], showgrid=False, zeroline=False, automargin=True),
        xaxis=dict(range=[-0.02, 1.02], tickmode="array", tickvals=[0, 0.5, 1],
                   ticktext=["Worst", "New Zealand", "Best"], showgrid=False),
    )
    return fig


SPC_POINT_COLOURS = {
    "common_cause": "#6B6B6B",
    **{k: v for k, v in pal.SPC_COLOURS.items()},
}


def _quarter_end(label: str) -> str:
    year, q = int(label[:4]), int(label[-1])
    return {1: f"{year}-03-31", 2: f"{year}-06-30", 3: f"{year}-09-30", 4: f"{year}-12-31"}[q]


def spc_figure(
    headline: pl.DataFrame, chart: pl.DataFrame | None, milestones: Sequence[dict],
    title: str, point_kind: str, projection: dict | None = None,
) -> FigureSpec:
    """The rolling headline line, the SPC chart over non-overlapping points, and milestones.

    headline: normalised total rows of one district's headline series. chart: pipelines.stats.spc
    output over the non-overlapping points (None: no SPC). milestones: summary.milestone_status
    entries for the total group.
    """
    h = headline.filter(pl.col("group_id") == "total").sort("period_end")
    unit = h.get_column("unit").drop_nulls().first()
    decimals = value_decimals(unit)
    fig = FigureSpec()
    fig.add_trace(
        x=[_iso(d) for d in h.get_column("period_end")], y=h.get_column("value").to_list(),
        name="Rolling value (headline)", mode="lines+markers", connectgaps=False,
        line=dict(color=pal.GROUP_COLOURS["total"], width=2.5), marker=dict(size=5),
        customdata=h.get_column("period_label").to_list(),
        hovertemplate=f"%{{customdata}}<br>%{{y:,.{decimals}f}}<extra>headline</extra>",
    )
    if chart is not None and not chart.is_empty():
        xs = [_iso(d) for d in chart.get_column("period_end")]
        for col, name, dash in (("mean", "SPC mean", "solid"), ("upl", "Process limits", "dash"),
                                ("lpl", "Process limits", "dash")):
            fig.add_trace(
                x=xs, y=chart.get_column(col).to_list(), mode="lines", name=name,
                showlegend=col != "lpl", legendgroup=name, hoverinfo="skip",
                line=dict(color="#4A5560", width=1.3, dash=dash),
            )
        types = chart.get_column("point_type").to_list()
        fig.add_trace(
            x=xs, y=chart.get_column("value").to_list(), mode="lines+markers",
            name=f"{point_kind} value (SPC)", line=dict(color="#9AA5B1", width=1),
            marker=dict(size=9, color=[SPC_POINT_COLOURS.get(t, "#7B3294") for t in types],
                        symbol=["circle" if t == "common_cause" else "diamond" for t in types],
                        line=dict(color="#1F2933", width=0.8)),
            customdata=[[chart["period_label"][i], pal.SPC_LABELS.get(t, "common cause"),
                         chart["special_cause_rule"][i] or ""] for i, t in enumerate(types)],
            hovertemplate=(f"%{{customdata[0]}}: %{{y:,.{decimals}f}}<br>%{{customdata[1]}} "
                           "%{customdata[2]}<extra></extra>"),
        )
    if projection is not None:
        p = projection["frame"].filter(pl.col("quarters_ahead") >= 1)
        # quarter labels 'YYYY Qn' → the quarter's last day, on the same date axis
        ends = [_quarter_end(q) for q in p.get_column("quarter")]
        lo, hi = p.get_column("projected_lowercl").to_list(), p.get_column("projected_uppercl").to_list()
        fig.add_trace(
            x=ends + ends[::-1], y=hi + lo[::-1], fill="toself", fillcolor="rgba(31,41,51,0.10)",
            line=dict(width=0), hoverinfo="skip", name="Projection 95% interval", mode="lines",
        )
        fig.add_trace(
            x=ends, y=p.get_column("projected").to_list(), mode="lines", name="Projected trend",
            line=dict(color=pal.GROUP_COLOURS["total"], width=2, dash="dot"),
            customdata=p.get_column("quarter").to_list(),
            hovertemplate=f"%{{customdata}} projected %{{y:,.{decimals}f}}<extra></extra>",
        )
    for ms in milestones:
        if ms["group"] != "total" or not is_number(ms["milestone"]):
            continue
        x = _iso(ms["period_end"])
        fig.add_trace(
            x=[x], y=[ms["milestone"]], mode="markers+text", name=f"Milestone {ms['year']}",
            marker=dict(symbol="star", size=16, color="#B8860B", line=dict(color="#1F2933", width=1)),
            text=[f"Milestone {ms['year']}"], textposition="top center",
            hovertemplate=f"Milestone {ms['year']}: {ms['target']}<extra></extra>",
        )
    fig.update_layout(
        template=BASE_TEMPLATE, title=dict(text=title, x=0, xanchor="left", font=dict(size=15)),
        height=420, margin=dict(t=50, b=120, l=70, r=20),
        # legend at the foot: at the top it runs into the title
        legend=dict(orientation="h", yref="container", yanchor="bottom", y=0.0, x=0),
        hovermode="closest",
    )
    fig.update_layout(xaxis=dict(type="date", title=dict(text="Period ending")),
                      yaxis=dict(title=dict(text=_axis_title(unit)), tickformat=","))
    return fig
