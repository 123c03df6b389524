"""Pure figure builders: polars frames in, FigureSpec out (`.build()` is the validated go.Figure).
No I/O, no randomness.

Every builder normalises its input first (frames.normalise_*), so suppressed or withheld values
are blanked before any trace is made, even if a caller passes raw mart rows.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import date

import plotly.graph_objects as go
import polars as pl

from pipelines.dashboards import palette as pal
from pipelines.dashboards.comparisons import compare_with_benchmark
from pipelines.dashboards.figure_spec import FigureSpec
from pipelines.dashboards.frames import (
    NATIONAL_CODE,
    breakdown_label,
    confidence_label,
    first_present,
    fmt_ci,
    fmt_count,
    fmt_number,
    is_number,
    normalise_equity,
    normalise_measures,
    normalise_trend,
    nulls_first_key,
    sorted_nulls_first,
    value_decimals,
)

BASE_TEMPLATE = go.layout.Template(
    layout=go.Layout(
        font=dict(family=pal.FONT_FAMILY, size=13, color=pal.TEXT_COLOUR),
        paper_bgcolor="white",
        plot_bgcolor="white",
        hoverlabel=dict(font=dict(family=pal.FONT_FAMILY, size=13)),
        xaxis=dict(gridcolor=pal.GRID_COLOUR, linecolor="#9AA5B1", zeroline=False, ticks="outside"),
        yaxis=dict(gridcolor=pal.GRID_COLOUR, linecolor="#9AA5B1", zeroline=False),
        margin=dict(l=70, r=30, t=70, b=60),
    )
)


def _iso(d: object) -> str:
    return d.isoformat() if isinstance(d, date) else str(d)


def _axis_title(unit: str | None) -> str:
    """'per 100,000 population (age-standardised, …)' → 'Per 100,000 population'.

    The qualifier is on the page's definition line; on the axis it overflows the plot height.
    """
    unit = (unit or "").split(" (")[0].strip()
    return unit[:1].upper() + unit[1:]


def _one(df: pl.DataFrame, column: str, what: str) -> object:
    return _only(df.select(column).rows(named=True), column, what)


def _band_xy(xs: list[str], lo: list[object], hi: list[object]) -> tuple[list, list]:
    """Closed polygons for each run of periods with both CI bounds; None separates runs.

    With fill="toself" plotly closes each segment on its own, so a suppressed period leaves a
    gap in the band instead of a band bridged across it.
    """
    runs: list[list[int]] = []
    for i, (a, b) in enumerate(zip(lo, hi, strict=True)):
        if is_number(a) and is_number(b):
            if runs and runs[-1][-1] == i - 1:
                runs[-1].append(i)
            else:
                runs.append([i])
    bx: list = []
    by: list = []
    for run in runs:
        if bx:
            bx.append(None)
            by.append(None)
        bx += [xs[i] for i in run] + [xs[i] for i in reversed(run)]
        by += [hi[i] for i in run] + [lo[i] for i in reversed(run)]
    return bx, by


# Characters of a 16 px chart title that fit the width of a printed A4 page (about 640 px).
TITLE_LINE_CHARS = 70


def trend_figure(
    measures: pl.DataFrame,
    trend: pl.DataFrame | None = None,
    national: pl.DataFrame | None = None,
) -> FigureSpec:
    """Trend by equity group for one district × measure × breakdown.

    measures: marts.measures rows for that series (all groups, all periods).
    trend: marts.trend rows for the same series; special-cause points get a coloured ring.
    national: optional marts.measures rows for New Zealand (district 000), total group only drawn.

    The frames are normalised once and then read as plain rows: a series is a few hundred rows,
    and a polars operation per group and period costs more than the Python that replaces it
    (the national pack draws 546 of these charts).
    """
    m = normalise_measures(measures).rows(named=True)
    if not m:
        raise ValueError("trend_figure: no measure rows")
    district = _only(m, "district_name", "trend_figure")
    measure_name = _only(m, "measure_name", "trend_figure")
    breakdown = _only(m, "breakdown", "trend_figure")
    unit = first_present(m, "unit")
    decimals = value_decimals(unit)
    ci_label = confidence_label(first_present(m, "confidence"))

    spc: dict[tuple[str, str], tuple[str, str]] = {}
    if trend is not None and not trend.is_empty():
        for r in normalise_trend(trend).iter_rows(named=True):
            if (r["point_type"] or "").startswith("special_cause"):
                spc[(r["group_id"], _iso(r["period_end"]))] = (r["point_type"], r["special_cause_rule"])

    fig = FigureSpec()
    by_group: dict[str, list[dict]] = {}
    for r in m:
        by_group.setdefault(r["group_id"], []).append(r)
    for g in sorted(by_group, key=pal.group_sort_key):
        rows = _by_period(by_group[g])
        ys = [r["value"] for r in rows]
        if all(y is None for y in ys):
            continue  # nothing publishable: no trace (the table says why)
        label, colour = pal.group_label(g), pal.group_colour(g)
        visible = True if g in pal.DEFAULT_VISIBLE_GROUPS else "legendonly"
        xs = [_iso(r["period_end"]) for r in rows]
        lo, hi = [r["lower_ci"] for r in rows], [r["upper_ci"] for r in rows]

        bx, by = _band_xy(xs, lo, hi)
        if bx:
            alpha = 0.1 if g == "total" else 0.14  # the total's dark band would dominate
            fig.add_trace(
                x=bx, y=by, name=f"{label} {ci_label}", legendgroup=g, showlegend=False,
                fill="toself", fillcolor=pal.rgba(colour, alpha), line=dict(width=0),
                hoverinfo="skip", visible=visible, mode="lines",
            )
        # Hidden points carry no hover data at all, not even their denominator.
        custom = [
            [r["period_label"], fmt_ci(r["lower_ci"], r["upper_ci"], decimals),
             fmt_count(r["numerator"]), fmt_count(r["denominator"])]
            if is_number(r["value"]) else ["", "", "", ""]
            for r in rows
        ]
        fig.add_trace(
            x=xs, y=ys, name=label, legendgroup=g, mode="lines+markers", visible=visible,
            line=dict(color=colour, width=2.5 if g == "total" else 2),
            marker=dict(color=colour, size=7), connectgaps=False, customdata=custom,
            hovertemplate=(
                f"<b>{label}</b> %{{customdata[0]}}<br>%{{y:,.{decimals}f}} "
                f"({ci_label} %{{customdata[1]}})<br>"
                "%{customdata[2]} / %{customdata[3]}<extra></extra>"
            ),
        )
        pts = [(x, y, *spc[(g, x)]) for x, y in zip(xs, ys, strict=True) if is_number(y) and (g, x) in spc]
        if pts:
            fig.add_trace(
                x=[p[0] for p in pts], y=[p[1] for p in pts], name=f"{label} special cause",
                legendgroup=g, showlegend=False, mode="markers", visible=visible,
                marker=dict(symbol="circle-open", size=17, line=dict(width=3),
                            color=[pal.SPC_COLOURS.get(p[2], "#7B3294") for p in pts]),
                customdata=[[pal.SPC_LABELS.get(p[2], p[2]), p[3] or ""] for p in pts],
                hovertemplate=(f"<b>{label}</b>: %{{customdata[0]}}<br>rule: "
                               "%{customdata[1]}<extra></extra>"),
            )

    if national is not None and not national.is_empty():
        n = _by_period([r for r in normalise_measures(national).iter_rows(named=True)
                        if r["group_id"] == "total" and r["district_code"] == NATIONAL_CODE])
        if any(r["value"] is not None for r in n):
            fig.add_trace(
                x=[_iso(r["period_end"]) for r in n], y=[r["value"] for r in n],
                name="New Zealand (total)", mode="lines", connectgaps=False,
                line=dict(color=pal.NATIONAL_COLOUR, width=2, dash="dash"),
                customdata=[r["period_label"] for r in n],
                hovertemplate=(f"<b>New Zealand</b> %{{customdata}}<br>%{{y:,.{decimals}f}}"
                               "<extra></extra>"),
            )

    _mark_withheld(fig, m)
    _mark_series_break(fig, m)
    subtitle = breakdown_label(breakdown)
    # Plotly does not wrap titles: a long one ran off the printed A4 chart, so the district goes
    # on its own line.
    heading = f"{measure_name}: {district}"
    wrapped = len(heading) > TITLE_LINE_CHARS
    if wrapped:
        heading = f"{measure_name}:<br>{district}"
    title = heading + (f"<br><sup>{subtitle}</sup>" if subtitle else "")
    fig.update_layout(
        template=BASE_TEMPLATE,
        title=dict(text=title, x=0, xanchor="left", font=dict(size=16)),
        height=520 if wrapped else 500,
        # Legend at the foot, as on the SPC and forest charts: above the plot it wrapped onto a
        # second row on the printed page and ran into the title.
        legend=dict(orientation="h", yref="container", yanchor="bottom", y=0.0, x=0, title=dict(text="")),
        hovermode="closest",
        margin=dict(t=100 if wrapped else 80, b=130),
    )
    # Ticks exactly at period ends ("Sep 2024"): automatic date ticks would put "Oct 2024" on a
    # window ending 30 Sep 2024. At most 12 ticks, always including the latest period.
    ends = sorted_nulls_first({r["period_end"] for r in m})
    step = max(1, -(-len(ends) // 12))
    ticks = ends[(len(ends) - 1) % step :: step]
    fig.update_layout(xaxis=dict(
        # On the printed page the tick labels turn 45°; automargin makes room for them below
        # the axis, so the title does not run over them.
        title=dict(text="Period ending", standoff=8),
        automargin=True,
        type="date",
        tickmode="array",
        tickvals=[_iso(d) for d in ticks],
        ticktext=[d.strftime("%b %Y") if isinstance(d, date) else str(d) for d in ticks],
    ))
    unit_lower = (unit or "").lower()
    fig.update_layout(yaxis=dict(
        title=dict(text=_axis_title(unit)),
        rangemode="normal" if "score" in unit_lower else "tozero",
        tickformat=",",
    ))
    return fig


def _only(rows: list[dict], column: str, what: str) -> object:
    """The one value of `column` in `rows`, or an error naming them all (a NULL is a value of
    its own). `_one` is the same check on a frame."""
    values = {r[column] for r in rows}
    if len(values) != 1:
        raise ValueError(f"{what}: expected exactly one {column}, got {sorted(map(str, values))}")
    return next(iter(values))


def _by_period(rows: list[dict]) -> list[dict]:
    return sorted(rows, key=lambda r: nulls_first_key(r["period_end"]))


def _mark_withheld(fig: FigureSpec, m: list[dict]) -> None:
    """A dotted line and label at each period where every row is withheld (a blocked source)."""
    statuses: dict[object, list[bool]] = {}
    for r in m:
        flags = statuses.setdefault(r["period_end"], [])
        if r["status"] is not None:  # as polars' all(): NULLs are skipped
            flags.append(r["status"] == "withheld")
    for period_end in sorted_nulls_first(p for p, flags in statuses.items() if all(flags)):
        x = _iso(period_end)
        fig.add_shape(type="line", x0=x, x1=x, y0=0, y1=1, yref="paper",
                      line=dict(color="#9AA5B1", width=1.5, dash="dot"))
        # Inside the plot area: above it, the label would collide with the legend row.
        fig.add_annotation(x=x, y=1, yref="paper", text="withheld", showarrow=False,
                           yanchor="top", bgcolor="white",
                           font=dict(size=11, color=pal.MUTED_TEXT_COLOUR))


def _mark_series_break(fig: FigureSpec, m: list[dict]) -> None:
    """A dashed line at the first window holding both sides of a known break in the source
    (marts.measures series_break, e.g. Canterbury short-stay ED cases leaving the NMDS), with the
    series_note on hover."""
    breaks = _by_period([r for r in m if r.get("series_break")])
    if not breaks:
        return
    first = breaks[0]
    x = _iso(first["period_end"])
    fig.add_shape(type="line", x0=x, x1=x, y0=0, y1=1, yref="paper",
                  line=dict(color=pal.MUTED_TEXT_COLOUR, width=1.5, dash="dash"))
    fig.add_annotation(x=x, y=0, yref="paper", text="series break", showarrow=False,
                       yanchor="bottom", bgcolor="white", hovertext=first.get("series_note") or "",
                       font=dict(size=11, color=pal.MUTED_TEXT_COLOUR))


def _district_axis_label(name: str, row: Mapping) -> str:
    if row["status"] != "published":
        return f"{name} (withheld)"
    if row["suppressed"]:
        return f"{name} (s)"
    return name


# The forest plot's legend for compare_with_benchmark's keys (the rug and first page say the same
# judgement in Fingertips' words: Better / Similar / Worse, Lower / Higher without polarity).
FOREST_NAMES = {"better": "Better than New Zealand", "similar": "Not different from New Zealand",
                "worse": "Worse than New Zealand", "lower": "Lower than New Zealand",
                "higher": "Higher than New Zealand", "not_compared": "Not compared"}
FOREST_SYMBOLS = {"better": "circle", "similar": "circle-open", "worse": "square", "not_compared": "diamond",
                  "lower": "triangle-down", "higher": "triangle-up"}  # shape as well as colour


def forest_figure(latest: pl.DataFrame) -> FigureSpec:
    """Latest total value by district with CIs, against the national value (district 000).

    latest: marts.measures rows for one measure × breakdown × period_end; only group "total" is
    used. Suppressed or withheld districts keep their row on the axis, labelled "(s)"/"(withheld)",
    with nothing drawn.
    """
    m = normalise_measures(latest).filter(pl.col("group_id") == "total")
    if m.is_empty():
        raise ValueError("forest_figure: no total rows")
    measure_name = _one(m, "measure_name", "forest_figure")
    _one(m, "period_end", "forest_figure")
    period_label = m.get_column("period_label").first()
    breakdown = _one(m, "breakdown", "forest_figure")
    unit = m.get_column("unit").drop_nulls().first()
    direction = m.get_column("direction").drop_nulls().first()
    decimals = value_decimals(unit)
    ci_label = confidence_label(m.get_column("confidence").drop_nulls().first())

    nat = m.filter(pl.col("district_code") == NATIONAL_CODE)
    national = nat.get_column("value").first() if not nat.is_empty() else None
    districts = m.filter(pl.col("district_code") != NATIONAL_CODE).sort("district_code")
    rows = list(districts.iter_rows(named=True))
    labels = [_district_axis_label(r["district_name"], r) for r in rows]

    by_cat: dict[str, list[tuple[str, dict]]] = {}
    for label, r in zip(labels, rows, strict=True):
        if is_number(r["value"]):
            key = compare_with_benchmark(r["value"], r["lower_ci"], r["upper_ci"], national, direction)
            by_cat.setdefault(key, []).append((label, r))

    fig = FigureSpec()
    for cat in FOREST_NAMES:
        pts = by_cat.get(cat)
        if not pts:
            continue
        vals = [r["value"] for _, r in pts]
        up = [r["upper_ci"] - r["value"] if is_number(r["upper_ci"]) else 0 for _, r in pts]
        dn = [r["value"] - r["lower_ci"] if is_number(r["lower_ci"]) else 0 for _, r in pts]
        fig.add_trace(
            x=vals, y=[lab for lab, _ in pts], name=FOREST_NAMES[cat], mode="markers",
            marker=dict(color=pal.COMPARISON_COLOURS[cat], size=10, symbol=FOREST_SYMBOLS.get(cat, "circle")),
            error_x=dict(type="data", array=up, arrayminus=dn, symmetric=False,
                         color=pal.COMPARISON_COLOURS[cat], thickness=1.6, width=4),
            customdata=[[fmt_ci(r["lower_ci"], r["upper_ci"], decimals)] for _, r in pts],
            hovertemplate=(f"<b>%{{y}}</b><br>%{{x:,.{decimals}f}} ({ci_label} "
                           "%{customdata[0]})<extra></extra>"),
        )
    if is_number(national):
        fig.add_shape(type="line", x0=national, x1=national, y0=0, y1=1, yref="paper",
                      line=dict(color=pal.NATIONAL_COLOUR, width=2, dash="dash"))
        fig.add_annotation(x=national, y=1, yref="paper", yanchor="bottom", showarrow=False,
                           text=f"New Zealand {fmt_number(national, decimals)}",
                           font=dict(size=12, color=pal.MUTED_TEXT_COLOUR))
    subtitle = " · ".join(s for s in (breakdown_label(breakdown), f"latest period {period_label}") if s)
    fig.update_layout(
        template=BASE_TEMPLATE,
        title=dict(text=f"{measure_name}<br><sup>{subtitle}</sup>", x=0, xanchor="left",
                   font=dict(size=16)),
        height=150 + 26 * max(len(rows), 1),
        # Legend at the foot of the figure: at the top it collides with the national label.
        legend=dict(orientation="h", yref="container", yanchor="bottom", y=0.005, x=0),
        margin=dict(l=190, t=90, b=100),
        hovermode="closest",
        yaxis=dict(type="category", categoryorder="array", categoryarray=labels[::-1],
                   range=[-0.6, len(labels) - 0.4], showgrid=True, ticklabelstandoff=6),
        xaxis=dict(title=dict(text=_axis_title(unit)), tickformat=","),
    )
    return fig


EQUITY_GROUPS = ("maori", "pacific")


def _equity_axis_label(code: str, name: str, e: pl.DataFrame) -> str:
    """'Waikato (Pacific s)': say which ratio is suppressed, since a missing marker is ambiguous."""
    rows = e.filter((pl.col("district_code") == code) & pl.col("group_id").is_in(EQUITY_GROUPS))
    sup = [g for g in EQUITY_GROUPS if g in set(rows.filter(pl.col("suppressed")).get_column("group_id"))]
    if not sup:
        return name
    if len(sup) == len(EQUITY_GROUPS):
        return f"{name} (s)"
    return f"{name} ({', '.join(pal.group_label(g) for g in sup)} s)"


def equity_figure(
    equity: pl.DataFrame,
    district_names: Mapping[str, str],
    measure_name: str = "",
    period_label: str = "",
) -> FigureSpec:
    """Māori and Pacific rate ratios (vs non-Māori non-Pacific) by district, log axis, line at 1.

    equity: marts.equity rows for one measure × breakdown × period_end. Suppressed ratios are
    not drawn; districts keep their row so a gap is visible.
    """
    e = normalise_equity(equity).filter(pl.col("district_code") != NATIONAL_CODE)
    if e.is_empty():
        raise ValueError("equity_figure: no equity rows")
    _one(e, "measure_id", "equity_figure")
    _one(e, "period_end", "equity_figure")
    codes = sorted((set(e.get_column("district_code").to_list()) | set(district_names)) - {NATIONAL_CODE})
    labels = {c: _equity_axis_label(c, district_names.get(c, c), e) for c in codes}
    comparator = e.get_column("comparator_group").drop_nulls().first() or "nmnp"

    subtitle = f"Rate ratio vs {pal.group_label(comparator)}" + (
        f" · latest period {period_label}" if period_label else ""
    )
    fig = FigureSpec()
    xs = [1.0]  # every value and whisker end, for the axis range
    for g in EQUITY_GROUPS:
        rows = e.filter((pl.col("group_id") == g) & pl.col("rate_ratio").is_not_null()).sort("district_code")
        rows = rows.filter(pl.col("rate_ratio") > 0)  # log axis
        if rows.is_empty():
            continue
        rr = rows.get_column("rate_ratio").to_list()
        lo, hi = rows.get_column("rr_lower").to_list(), rows.get_column("rr_upper").to_list()
        up = [h - r if is_number(h) else 0 for r, h in zip(rr, hi, strict=True)]
        down = [r - lw if is_number(lw) else 0 for r, lw in zip(rr, lo, strict=True)]
        xs += rr + [r + d for r, d in zip(rr, up, strict=True)] + [r - d for r, d in zip(rr, down, strict=True)]
        fig.add_trace(
            x=rr, y=[labels[c] for c in rows.get_column("district_code")],
            name=pal.group_label(g), mode="markers", orientation="h", offsetgroup=g,
            marker=dict(color=pal.group_colour(g), size=10),
            error_x=dict(type="data", symmetric=False, thickness=1.6, width=4,
                         color=pal.group_colour(g), array=up, arrayminus=down),
            customdata=[[fmt_ci(a, b, 2)] for a, b in zip(lo, hi, strict=True)],
            hovertemplate=(f"<b>%{{y}}</b> {pal.group_label(g)}<br>rate ratio %{{x:.2f}} "
                           "(95% CI %{customdata[0]})<extra></extra>"),
        )
    fig.add_shape(type="line", x0=1, x1=1, y0=0, y1=1, yref="paper",
                  line=dict(color=pal.NATIONAL_COLOUR, width=2, dash="dash"))
    fig.update_layout(
        template=BASE_TEMPLATE,
        title=dict(text=f"{measure_name}<br><sup>{subtitle}</sup>" if measure_name else subtitle,
                   x=0, xanchor="left", font=dict(size=16)),
        height=150 + 30 * max(len(codes), 1),
        scattermode="group",
        scattergap=0.5,
        legend=dict(orientation="h", yref="container", yanchor="bottom", y=0.005, x=0),
        margin=dict(l=190, t=90, b=100),
        hovermode="closest",
        yaxis=dict(type="category", categoryorder="array",
                   categoryarray=[labels[c] for c in reversed(codes)],
                   range=[-0.6, len(codes) - 0.4], ticklabelstandoff=6),
    )
    # Keep the reference line at 1 inside the plot with some air on both sides (log units).
    xs = [v for v in xs if v > 0]
    lo_x, hi_x = math.log10(min(xs)) - 0.05, math.log10(max(xs)) + 0.05
    fig.update_layout(xaxis=dict(type="log", range=[lo_x, hi_x],
                                 title=dict(text="Rate ratio (log scale; 1 = no difference)")))
    return fig
