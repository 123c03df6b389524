"""The pack panel for one initiative × measure × group: a chart and plain-words sentences.

Every number in a sentence is a value of the estimates table (marts.initiative_estimates /
slm_initiative_estimates.*), rounded: percentages and event counts to whole numbers, confidence
and power as percentages. Nothing is recomputed here. The chart plots marts.initiative_series.
"""

from __future__ import annotations

from collections.abc import Mapping

import plotly.graph_objects as go
import polars as pl
from markupsafe import Markup, escape

from pipelines.dashboards import palette as pal

METHOD_WORDS = {"did": "difference-in-differences against the districts without the initiative",
                "synthetic_control": "a weighted mix of districts without the initiative"}
MARKER_COLOUR = "#5B2A86"


def _pct(x: float) -> str:
    return f"{abs(x):.0f}%"


def _count(x: float) -> str:
    return f"{abs(x):,.0f}"


def _change(row: Mapping, what: str) -> str:
    """'fell by 14% (95% CI 3% to 24%)', or an unclear change with its signed interval."""
    v, lo, hi = row[f"{what}_change_pct"], row[f"{what}_lower_pct"], row[f"{what}_upper_pct"]
    ci = f"{row['confidence'] * 100:.0f}% CI"
    if hi < 0:
        return f"fell by {_pct(v)} ({ci} {_pct(hi)} to {_pct(lo)})"
    if lo > 0:
        return f"rose by {_pct(v)} ({ci} {_pct(lo)} to {_pct(hi)})"
    return (f"changed by {'-' if v < 0 else '+'}{_pct(v)} ({ci} {'-' if lo < 0 else '+'}{_pct(lo)} "
            f"to {'-' if hi < 0 else '+'}{_pct(hi)}), which chance alone could produce")


def initiative_sentences(rows: pl.DataFrame, measure_name: str, group_label: str,
                         district_names: str) -> list[str]:
    """Plain-words summary of one initiative × measure × group from its estimates rows."""
    by = {r["method"]: r for r in rows.iter_rows(named=True)}
    its = by.get("its")
    if its is None:
        return []
    who = f"{measure_name} ({group_label}) in {district_names}"
    if its["status"] != "estimated":
        out = [f"{who}: not estimated ({its['status_reason']})."]
    else:
        out = [f"{who}: after {its['initiative_name']} started in {its['start_quarter']}, the "
               f"level {_change(its, 'level')}, against its own trend before."]
        comp = next((r for r in by.values() if r.get("preferred_comparator")), None)
        if comp is not None and comp["status"] == "estimated":
            lo, hi = comp["level_lower_pct"], comp["level_upper_pct"]
            verdict = ("a larger fall than in comparable districts" if hi < 0 else
                       "a larger rise than in comparable districts" if lo > 0 else
                       "not clearly different from comparable districts")
            out.append(f"Compared with {METHOD_WORDS[comp['method']]}, the level "
                       f"{_change(comp, 'level')}: {verdict}.")
            d = comp["events_difference"]
            word = "fewer" if d < 0 else "more"
            out.append(f"That is about {_count(d)} {word} events than expected over "
                       f"{comp['post_quarters']} quarters to {comp['last_quarter']} "
                       f"({comp['confidence'] * 100:.0f}% CI {_count(comp['events_difference_lower'])} "
                       f"{'fewer' if comp['events_difference_lower'] < 0 else 'more'} to "
                       f"{_count(comp['events_difference_upper'])} "
                       f"{'fewer' if comp['events_difference_upper'] < 0 else 'more'}).")
    needed = its["quarters_needed_80"]
    planned = f"The planned change of {_pct(its['expected_change_pct'])}"
    power = f"{its['power_target'] * 100:.0f}% power"
    if needed is not None:
        out.append(f"{planned} needs {needed} quarters to detect at {power}; "
                   f"{its['post_quarters']} have passed.")
    elif its["expected_change_pct"] is not None and its["pre_quarters"] >= 4:
        out.append(f"{planned} cannot be told from chance at {power} within 10 years with these "
                   "numbers.")
    if its["caveats"]:
        out.append("Caveats: " + its["caveats"] + ".")
    return out


def initiative_figure(series: pl.DataFrame, rows: pl.DataFrame, title: str,
                      unit: str = "") -> go.Figure:
    """Quarterly rate with the ITS fit, its counterfactual, the comparator, and start/end markers."""
    s = series.sort("quarter_start")
    x = [d.isoformat() for d in s["quarter_start"]]
    post = s["post"].to_list()
    fig = go.Figure()
    fig.add_scatter(x=x, y=s["observed_rate"].to_list(), mode="markers", name="Observed (quarter)",
                    marker=dict(color=pal.TEXT_COLOUR, size=7))
    fig.add_scatter(x=x, y=s["its_fitted_rate"].to_list(), mode="lines", name="Fitted trend",
                    line=dict(color=MARKER_COLOUR))
    cf = [v if p else None for v, p in zip(s["its_counterfactual_rate"], post, strict=True)]
    fig.add_scatter(x=x, y=cf, mode="lines", name="Expected without the initiative (own trend)",
                    line=dict(color=MARKER_COLOUR, dash="dash"))
    method = s["comparator_method"].drop_nulls()
    if len(method):
        fig.add_scatter(x=x, y=s["comparator_rate"].to_list(), mode="lines",
                        name="Expected from comparison districts", line=dict(color="#7B8794",
                                                                              dash="dot"))
    first = rows.row(0, named=True)
    add_initiative_markers(fig, [(first["initiative_name"], first["start_quarter"],
                                  first["end_quarter"])])
    fig.update_layout(title=title, yaxis_title=unit, xaxis_title="Quarter",
                      legend=dict(orientation="h", y=-0.2), margin=dict(l=70, r=30, t=70, b=90))
    return fig


def quarter_start_iso(label: str) -> str:
    return f"{label[:4]}-{3 * int(label[-1]) - 2:02d}-01"


def add_initiative_markers(fig: go.Figure, initiatives: list[tuple[str, str, str | None]]) -> go.Figure:
    """Vertical markers at each initiative's start (solid) and end (dotted) quarter, on any
    chart with a date x-axis (the pack's trend charts too): (name, start_quarter, end_quarter)."""
    for name, start, end in initiatives:
        fig.add_vline(x=quarter_start_iso(start), line=dict(color=MARKER_COLOUR, width=1.5))
        fig.add_annotation(x=quarter_start_iso(start), y=1, yref="paper", yanchor="bottom",
                           text=f"{name} starts", showarrow=False,
                           font=dict(color=MARKER_COLOUR, size=11))
        if end:  # the end of the last quarter it ran = the start of the next
            nxt = int(end[:4]) * 4 + int(end[-1])
            fig.add_vline(x=quarter_start_iso(f"{nxt // 4}Q{nxt % 4 + 1}"),
                          line=dict(color=MARKER_COLOUR, dash="dot"))
    return fig


def district_panels(estimates: pl.DataFrame, series: pl.DataFrame, measure_names: Mapping[str, str],
                    district_names: Mapping[str, str], units: Mapping[str, str] | None = None
                    ) -> dict[str, list[Markup]]:
    """district_code → HTML panels (chart + sentences), one per initiative × measure × group,
    for the district pages (render.build_dashboards(initiative_panels=...))."""
    from pipelines.dashboards.render import figure_html  # the pages' own embedding

    out: dict[str, list[Markup]] = {}
    keys = estimates.select("initiative_id", "measure_id", "group_id").unique(maintain_order=True)
    for ini, measure, group in keys.iter_rows():
        rows = estimates.filter((pl.col("initiative_id") == ini) & (pl.col("measure_id") == measure)
                                & (pl.col("group_id") == group))
        first = rows.row(0, named=True)
        codes = first["district_codes"].split("|")
        names = " and ".join(district_names.get(c, c) for c in codes)
        label = pal.group_label(group)
        sentences = initiative_sentences(rows, measure_names.get(measure, measure), label, names)
        part = series.filter((pl.col("initiative_id") == ini) & (pl.col("measure_id") == measure)
                             & (pl.col("group_id") == group))
        title = f"{first['initiative_name']}: {measure_names.get(measure, measure)}, {label}"
        chart = (figure_html(initiative_figure(part, rows, title, (units or {}).get(measure, "")),
                             f"initiative-{ini}-{measure}-{group}")
                 if part.height else Markup(""))
        body = "".join(f"<p>{escape(t)}</p>" for t in sentences)
        panel = Markup(f'<div class="initiative-panel"><h3>{escape(title)}</h3>{chart}{body}</div>')
        for c in codes:
            out.setdefault(c, []).append(panel)
    return out


def initiative_panels(con, measures: pl.DataFrame) -> dict[str, list[Markup]]:
    """The district pages' initiative panels from the warehouse (none before the evaluation ran)."""
    from pipelines.evaluation.publish import ESTIMATES_TABLE, SERIES_TABLE
    from pipelines.warehouse import table_exists

    if not all(table_exists(con, *t.split(".")) for t in (ESTIMATES_TABLE, SERIES_TABLE)):
        return {}
    estimates = con.sql(f"SELECT * FROM {ESTIMATES_TABLE}").pl()
    if not estimates.height:
        return {}
    series = con.sql(f"SELECT * FROM {SERIES_TABLE}").pl()
    names = measures.select("measure_id", "measure_name").unique()
    districts = measures.select("district_code", "district_name").unique()
    units = measures.select("measure_id", "unit").unique()
    return district_panels(estimates, series, dict(names.iter_rows()), dict(districts.iter_rows()),
                           dict(units.iter_rows()))
