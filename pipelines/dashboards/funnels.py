"""Funnel plots of districts against New Zealand, one per headline measure (PHE methods).

Limits, points and significance labels are pipelines.stats' (PHEindicatormethods 2.1.0:
funnel_rate_limits / funnel_rate_points / funnel_proportion_limits / funnel_significance); this
module picks the funnel each measure's statistic calls for and draws it.

* crude rates (ASH 0–4, youth self-harm): Poisson rate funnel, rate_type "crude";
* directly standardised rates (amenable mortality): rate_type "dsr", years_of_data from the window;
* proportions (smokefree): Wilson proportion funnel;
* not drawn: weighted means (patient experience, PHE has no funnel for them) and acute bed days
  (bed days are overdispersed, one stay brings many days; pipelines.stats has no overdispersion
  adjustment yet, and unadjusted Poisson limits would flag nearly every district).
Suppressed or withheld districts are left out of the funnel, and out of its average.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import polars as pl

from pipelines import stats
from pipelines.dashboards.figures import BASE_TEMPLATE, _axis_title
from pipelines.dashboards.frames import NATIONAL_CODE, value_decimals

RATE_TYPES = {"crude_rate": "crude", "direct_who": "dsr", "direct_esp": "dsr", "dsr": "dsr"}
PROPORTION_METHODS = {"proportion"}
NOT_DRAWN = {
    "weighted_mean": "PHE defines no funnel for a survey mean.",
    "indirect_age_sex": ("Bed days are overdispersed (one stay brings many days); Poisson funnel limits "
                         "without an overdispersion adjustment would flag nearly every district."),
}
LABEL_STYLE = {  # PHE label → (colour, symbol); orange above, blue below, grey inside
    "High (0.001)": ("#A35200", "triangle-up"),
    "High (0.025)": ("#E59A4B", "triangle-up-open"),
    "Not significant": ("#6B6B6B", "circle"),
    "Low (0.025)": ("#6FA8DC", "triangle-down-open"),
    "Low (0.001)": ("#1F4E99", "triangle-down"),
    "Not applicable for events less than 10 for dsrs": ("#9AA5B1", "x"),
}


def years_of_data(rows: pl.DataFrame) -> float:
    r = rows.row(0, named=True)
    return max(1.0, round((r["period_end"] - r["period_start"]).days / 365.25))


def funnel(latest: pl.DataFrame, statistic: str | None = None) -> dict:
    """Funnel for one measure's latest total rows (normalised, all districts): {"figure" | "note"}.

    statistic: the measure's statistic from measures.yaml (the marts' `method` column holds the
    CI method); None falls back to `method`.
    """
    areas = latest.filter((pl.col("district_code") != NATIONAL_CODE) & (pl.col("group_id") == "total")
                          & pl.col("value").is_not_null() & pl.col("numerator").is_not_null()
                          ).sort("district_code")  # input order must not change the page
    meta = latest.sort("district_code").row(0, named=True)
    method = statistic or meta["method"] or ""
    if method in NOT_DRAWN:
        return {"figure": None, "note": NOT_DRAWN[method]}
    if areas.height < 3:
        return {"figure": None, "note": "Fewer than three districts with a published value."}
    if method in RATE_TYPES:
        return {"figure": _rate_funnel(areas, RATE_TYPES[method], meta), "note": None}
    if method in PROPORTION_METHODS:
        return {"figure": _proportion_funnel(areas, meta), "note": None}
    return {"figure": None, "note": f"No PHE funnel for the statistic {method!r}."}


def _rate_funnel(areas: pl.DataFrame, rate_type: str, meta: dict) -> go.Figure:
    mult, years = float(meta["multiplier"]), years_of_data(areas)
    args = dict(numerator="numerator", rate="value", rate_type=rate_type, multiplier=mult,
                years_of_data=years, denominator="denominator")
    limits = stats.funnel_rate_limits(areas, **args)
    pts = stats.funnel_rate_points(areas, **args)
    labels = stats.funnel_significance(areas, "numerator", "denominator", "rate", rate="value",
                                       rate_type=rate_type, multiplier=mult).get_column("significance")
    pts = pts.with_columns(labels.alias("significance"))
    lines = []
    for band, dash in (("2s", "dash"), ("3s", "solid")):
        for side in ("lower", "upper"):
            lines.append((limits.get_column(f"{side}_{band}_population_1_year").to_list(),
                          limits.get_column(f"{side}_{band}_limit").to_list(), band, side, dash))
    baseline = limits.get_column("baseline").first()
    return _figure(pts.rename({"value_chart": "y", "denominator_derived": "x"}), lines, baseline, meta,
                   "Population (person-years per year)" if rate_type == "crude" else
                   "Equivalent population per year (multiplier × events ÷ DSR)")


def _proportion_funnel(areas: pl.DataFrame, meta: dict) -> go.Figure:
    mult = float(meta["multiplier"] or 100)
    n = areas.get_column("denominator").to_numpy()
    average = float(areas.get_column("numerator").sum() / n.sum())
    grid = np.unique(np.geomspace(max(1.0, n.min() * 0.8), n.max() * 1.1, 100).round())
    limits = stats.funnel_proportion_limits(average, grid, multiplier=mult)
    labels = stats.funnel_significance(areas, "numerator", "denominator", "proportion")
    pts = labels.with_columns(pl.col("denominator").alias("x"), pl.col("value").alias("y"))
    xs = limits.get_column("population").to_list()
    lines = [(xs, limits.get_column(f"{side}_{band}_limit").to_list(), band, side, dash)
             for band, dash in (("2s", "dash"), ("3s", "solid")) for side in ("lower", "upper")]
    return _figure(pts, lines, limits.get_column("baseline").first(), meta, "Denominator")


def _sf(values: list, digits: int = 3) -> list:
    """Limit-line coordinates to a few significant figures: a drawn curve needs no more, and
    the page then carries no long numbers that are not a published value."""
    return [float(f"{v:.{digits}g}") if v is not None and np.isfinite(v) else None for v in values]


def _figure(pts: pl.DataFrame, lines: list, baseline: float, meta: dict, x_title: str) -> go.Figure:
    decimals = value_decimals(meta["unit"])
    fig = go.Figure()
    for xs, ys, band, side, dash in lines:
        fig.add_trace(go.Scatter(
            x=_sf(xs), y=_sf(ys), mode="lines", line=dict(color="#4A5560", width=1.2, dash=dash),
            name="95% limits (2 SD)" if band == "2s" else "99.8% limits (3 SD)",
            legendgroup=band, showlegend=side == "lower", hoverinfo="skip",
        ))
    xmax = max(x for x in pts.get_column("x").to_list() if x is not None)
    fig.add_trace(go.Scatter(x=[0, xmax * 1.1], y=[baseline, baseline], mode="lines",
                             name="New Zealand (average)", line=dict(color="#8A1C1C", width=1.5),
                             hoverinfo="skip"))
    for label, (colour, symbol) in LABEL_STYLE.items():
        one = pts.filter((pl.col("significance") == label) & pl.col("y").is_not_null())
        if one.is_empty():
            continue
        fig.add_trace(go.Scatter(
            x=one.get_column("x").to_list(), y=one.get_column("y").to_list(), mode="markers",
            name=label, marker=dict(color=colour, symbol=symbol, size=11, line=dict(width=1.5, color=colour)),
            customdata=one.get_column("district_name").to_list(),
            hovertemplate=f"<b>%{{customdata}}</b><br>%{{y:,.{decimals}f}}<br>{label}<extra></extra>",
        ))
    fig.update_layout(
        template=BASE_TEMPLATE, height=420, hovermode="closest",
        title=dict(text=f"{meta['measure_name']}<br><sup>{meta['period_label']}, districts against "
                        "New Zealand</sup>", x=0, xanchor="left", font=dict(size=15)),
        legend=dict(orientation="h", yref="container", yanchor="bottom", y=0.0, x=0),
        margin=dict(t=80, b=110, l=70, r=20),
    )
    fig.update_xaxes(title_text=x_title, tickformat=",", rangemode="tozero",
                     range=[0, xmax * 1.1])
    ys = [y for y in pts.get_column("y").to_list() if y is not None]
    lo, hi = min(ys + [baseline]), max(ys + [baseline])
    pad = (hi - lo) * 0.35 or abs(baseline) * 0.2
    fig.update_yaxes(title_text=_axis_title(meta["unit"]), tickformat=",", range=[lo - pad, hi + pad])
    return fig
