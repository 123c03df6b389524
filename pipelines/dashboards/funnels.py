"""Funnel plots of districts against New Zealand, one per headline measure.

Rates and proportions use PHE's methods from pipelines.stats (PHEindicatormethods 2.1.0:
funnel_rate_limits / funnel_rate_points / funnel_proportion_limits / funnel_significance):

* crude rates (ASH 0–4, youth self-harm): Poisson rate funnel, rate_type "crude";
* directly standardised rates (amenable mortality): rate_type "dsr", years_of_data from the window;
* proportions (smokefree): Wilson proportion funnel.

Two headlines need more than PHE has:

* acute bed days (indirectly standardised, O/E × New Zealand's crude rate): bed days are
  overdispersed (one stay brings many days), so Poisson limits would flag nearly every district.
  Spiegelhalter's random-effects adjustment as FunnelPlotR computes it for standardised ratios
  (statistical-methods.md §10b, `stats.overdispersion` / `stats.overdispersed_limits`, SHMI
  method): z = √E·ln(O/E), φ = Σz²/n over the districts left after truncating 10% at each end,
  τ² = max(0, (nφ − (n − 1))/(Σw − Σw²/Σw)), w = E; limits New Zealand × exp(±z_p·√(1/E + τ²)).
  FunnelPlotR draws adjusted limits only when τ² > 0; with τ² = 0 the same formula gives the
  unadjusted limits (a log-normal approximation to the Poisson ones), and the chart says so.
* patient experience (a survey-weighted mean score): PHE defines no funnel for a mean and
  neither methods document gives one (statistical-methods.md §12). A normal-approximation funnel
  on the mean: New Zealand's mean ± z_p·σ/√n_eff, n_eff the district's Kish effective sample size
  (`effective_n`) and σ the respondent-level standard deviation recovered from New Zealand's
  published 95% t interval (σ = half-width·√n_eff/t₀.₉₇₅,n_eff−1). No overdispersion adjustment.

Both label districts as PHE does: outside the 99.8% limits "High/Low (0.001)", else outside the
95% limits "High/Low (0.025)", else "Not significant" (strict inequalities).
Suppressed or withheld districts are left out of the funnel, and out of its average.
"""

from __future__ import annotations

import math

import numpy as np
import polars as pl
from scipy.stats import t as student_t

from pipelines import stats
from pipelines.dashboards.figure_spec import FigureSpec
from pipelines.dashboards.figures import BASE_TEMPLATE, _axis_title
from pipelines.dashboards.frames import NATIONAL_CODE, value_decimals
from pipelines.stats.confidence import z_for

RATE_TYPES = {"crude_rate": "crude", "direct_who": "dsr", "direct_esp": "dsr", "dsr": "dsr"}
PROPORTION_METHODS = {"proportion"}
OVERDISPERSED_RATIO = {"indirect_age_sex"}
SURVEY_MEAN = {"weighted_mean"}
# PHE label → (colour, symbol); orange above, blue below, grey inside. ≥ 3:1 on white and
# ≥ 10 ΔE apart for colour-blind readers (tests/dashboards/test_accessibility.py); shapes differ too.
LABEL_STYLE = {
    "High (0.001)": ("#A35200", "triangle-up"),
    "High (0.025)": ("#CF7A2E", "triangle-up-open"),
    "Not significant": ("#6B6B6B", "circle"),
    "Low (0.025)": ("#4A86C8", "triangle-down-open"),
    "Low (0.001)": ("#1F4E99", "triangle-down"),
    "Not applicable for events less than 10 for dsrs": ("#8A8F99", "x"),
}
BANDS = (("2s", "dash"), ("3s", "solid"))  # 95% dashed, 99.8% solid


def years_of_data(rows: pl.DataFrame) -> float:
    r = rows.row(0, named=True)
    return max(1.0, round((r["period_end"] - r["period_start"]).days / 365.25))


def funnel(latest: pl.DataFrame, statistic: str | None = None) -> dict:
    """Funnel for one measure's latest total rows (normalised, all districts):
    {"figure" | None, "note": why there is none, "method": what the limits are, in words}.

    statistic: the measure's statistic from measures.yaml (the marts' `method` column holds the
    CI method); None falls back to `method`.
    """
    areas = latest.filter((pl.col("district_code") != NATIONAL_CODE) & (pl.col("group_id") == "total")
                          & pl.col("value").is_not_null() & pl.col("numerator").is_not_null()
                          ).sort("district_code")  # input order must not change the page
    meta = latest.sort("district_code").row(0, named=True)
    method = statistic or meta["method"] or ""
    if areas.height < 3:
        return _none("Fewer than three districts with a published value.")
    if method in RATE_TYPES:
        return {"figure": _rate_funnel(areas, RATE_TYPES[method], meta), "note": None, "method": None}
    if method in PROPORTION_METHODS:
        return {"figure": _proportion_funnel(areas, meta), "note": None, "method": None}
    if method in OVERDISPERSED_RATIO:
        return _overdispersed_funnel(areas, meta)
    if method in SURVEY_MEAN:
        nz = latest.filter((pl.col("district_code") == NATIONAL_CODE) & (pl.col("group_id") == "total"))
        return _mean_funnel(areas, nz, meta)
    return _none(f"No funnel method for the statistic {method!r}.")


def _none(note: str) -> dict:
    return {"figure": None, "note": note, "method": None}


def significance(value: float, limits: dict) -> str:
    """PHE's labels from a district's value and the limits at its own denominator."""
    if value < limits["lower_3s_limit"]:
        return "Low (0.001)"
    if value < limits["lower_2s_limit"]:
        return "Low (0.025)"
    if value > limits["upper_3s_limit"]:
        return "High (0.001)"
    if value > limits["upper_2s_limit"]:
        return "High (0.025)"
    return "Not significant"


def _labelled(areas: pl.DataFrame, x: str, at_own: pl.DataFrame) -> pl.DataFrame:
    labels = [significance(v, lim) for v, lim in
              zip(areas.get_column("value").to_list(), at_own.iter_rows(named=True), strict=True)]
    return areas.with_columns(pl.col(x).alias("x"), pl.col("value").alias("y"),
                              pl.Series("significance", labels, dtype=pl.String))


def _grid(x: np.ndarray) -> np.ndarray:
    return np.geomspace(max(1.0, float(x.min()) * 0.8), float(x.max()) * 1.1, 100)


def _lines(xs, limits: pl.DataFrame) -> list:
    return [(list(xs), limits.get_column(f"{side}_{band}_limit").to_list(), band, side, dash)
            for band, dash in BANDS for side in ("lower", "upper")]


def _overdispersed_funnel(areas: pl.DataFrame, meta: dict) -> dict:
    """Acute bed days: indirectly standardised, O against E, Spiegelhalter-adjusted limits."""
    if "expected" not in areas.columns or "reference_rate" not in areas.columns:
        return _none("The expected bed days (column expected) are not in the published table.")
    areas = areas.filter(pl.col("expected").is_not_null() & (pl.col("expected") > 0)
                         & (pl.col("numerator") > 0) & pl.col("reference_rate").is_not_null())
    if areas.height < 3:
        return _none("Fewer than three districts with bed days and expected bed days.")
    od = stats.overdispersion(areas, "numerator", "expected", statistic="ratio", method="truncate")
    phi, tau2 = od.item(0, "phi"), od.item(0, "tau2")
    reference = float(areas.item(0, "reference_rate"))
    e = areas.get_column("expected").to_numpy()
    grid = _grid(e)
    limits = stats.overdispersed_limits(grid, tau2, multiplier=reference)
    pts = _labelled(areas, "expected", stats.overdispersed_limits(e, tau2, multiplier=reference))
    kept, scored = int(od.get_column("retained").sum()), od.height
    adjusted = tau2 > 0
    what = (f"φ = {phi:.3g}, τ² = {tau2:.3g}: limits adjusted for overdispersion" if adjusted else
            f"φ = {phi:.3g}, τ² = 0: no overdispersion found, limits unadjusted")
    method = (
        f"Limits {'adjusted for overdispersion' if adjusted else 'not adjusted (no overdispersion found)'}"
        f" (Spiegelhalter 2005, FunnelPlotR's method for standardised ratios): each district's "
        f"z = √E·ln(O/E), O its bed days and E those expected from New Zealand's age × sex rates; "
        f"φ = Σz²/n = {phi:.3g} over the {kept} of {scored} districts left after setting aside the "
        f"10% with the highest and lowest z; between-district variance τ² = (nφ − (n − 1))/(Σw − "
        f"Σw²/Σw), w = E, = {tau2:.3g} on the log scale; limits New Zealand × exp(±z·√(1/E + τ²)), "
        f"z = 1.96 (95%) and 3.09 (99.8%).")
    fig = _figure(pts, _lines(grid, limits), reference, meta,
                  "Expected bed days (New Zealand's age × sex rates)", what)
    return {"figure": fig, "note": None, "method": method}


def _mean_funnel(areas: pl.DataFrame, nz: pl.DataFrame, meta: dict) -> dict:
    """Patient experience: a normal-approximation funnel on the weighted mean (no PHE method)."""
    if "effective_n" not in areas.columns:
        return _none("The survey's effective sample sizes (column effective_n) are not in the published table.")
    areas = areas.filter(pl.col("effective_n").is_not_null() & (pl.col("effective_n") > 1))
    nz_ok = nz.filter(pl.col("value").is_not_null() & pl.col("lower_ci").is_not_null()
                      & (pl.col("effective_n") > 1)) if "effective_n" in nz.columns else nz.clear()
    if nz_ok.is_empty():
        return _none("New Zealand's mean, interval or effective sample size is not published.")
    if areas.height < 3:
        return _none("Fewer than three districts with a published mean score.")
    r = nz_ok.row(0, named=True)
    target, sd = r["value"], mean_sd(r["lower_ci"], r["upper_ci"], r["effective_n"])
    n = areas.get_column("effective_n").to_numpy()
    grid = _grid(n)
    limits = mean_funnel_limits(target, sd, grid)
    pts = _labelled(areas, "effective_n", mean_funnel_limits(target, sd, n))
    method = (
        "PHE has no funnel for a survey mean, so this is a normal approximation: limits New Zealand's "
        f"mean {target:.2f} ± z·σ/√n_eff, z = 1.96 (95%) and 3.09 (99.8%), n_eff each district's Kish "
        f"effective sample size (Σw)²/Σw² of its survey weights, σ = {sd:.2f} the respondent-level "
        "standard deviation recovered from New Zealand's published 95% t interval "
        "(half-width × √n_eff / t). No overdispersion adjustment.")
    fig = _figure(pts, _lines(grid, limits), target, meta,
                  "Effective number of respondents (Kish)", f"normal approximation, σ = {sd:.2f}")
    return {"figure": fig, "note": None, "method": method}


def mean_sd(lower: float, upper: float, effective_n: float, confidence: float = 0.95) -> float:
    """Respondent-level SD from a t interval on a mean: half-width·√n / t(1 − α/2, n − 1)."""
    t = float(student_t.ppf(0.5 + confidence / 2, effective_n - 1))
    return (upper - lower) / 2 * math.sqrt(effective_n) / t


def mean_funnel_limits(target: float, sd: float, effective_n) -> pl.DataFrame:
    """target ± z·sd/√n at each n, 95% ("2s") and 99.8% ("3s"), in the funnel columns' names."""
    n = np.asarray(effective_n, dtype=np.float64)
    cols: dict = {"denominator": n}
    for band, level in (("2s", 0.95), ("3s", 0.998)):
        half = z_for(level) * sd / np.sqrt(n)
        cols[f"lower_{band}_limit"], cols[f"upper_{band}_limit"] = target - half, target + half
    return pl.DataFrame(cols)


def _rate_funnel(areas: pl.DataFrame, rate_type: str, meta: dict) -> FigureSpec:
    mult, years = float(meta["multiplier"]), years_of_data(areas)
    args = dict(numerator="numerator", rate="value", rate_type=rate_type, multiplier=mult,
                years_of_data=years, denominator="denominator")
    limits = stats.funnel_rate_limits(areas, **args)
    pts = stats.funnel_rate_points(areas, **args)
    labels = stats.funnel_significance(areas, "numerator", "denominator", "rate", rate="value",
                                       rate_type=rate_type, multiplier=mult).get_column("significance")
    pts = pts.with_columns(labels.alias("significance"))
    lines = []
    for band, dash in BANDS:
        for side in ("lower", "upper"):
            lines.append((limits.get_column(f"{side}_{band}_population_1_year").to_list(),
                          limits.get_column(f"{side}_{band}_limit").to_list(), band, side, dash))
    baseline = limits.get_column("baseline").first()
    return _figure(pts.rename({"value_chart": "y", "denominator_derived": "x"}), lines, baseline, meta,
                   "Population (person-years per year)" if rate_type == "crude" else
                   "Equivalent population per year (multiplier × events ÷ DSR)")


def _proportion_funnel(areas: pl.DataFrame, meta: dict) -> FigureSpec:
    mult = float(meta["multiplier"] or 100)
    n = areas.get_column("denominator").to_numpy()
    average = float(areas.get_column("numerator").sum() / n.sum())
    grid = np.unique(_grid(n).round())
    limits = stats.funnel_proportion_limits(average, grid, multiplier=mult)
    labels = stats.funnel_significance(areas, "numerator", "denominator", "proportion")
    pts = labels.with_columns(pl.col("denominator").alias("x"), pl.col("value").alias("y"))
    lines = _lines(limits.get_column("population").to_list(), limits)
    return _figure(pts, lines, limits.get_column("baseline").first(), meta, "Denominator")


def _sf(values: list, digits: int = 3) -> list:
    """Limit-line coordinates to a few significant figures: a drawn curve needs no more, and
    the page then carries no long numbers that are not a published value."""
    return [float(f"{v:.{digits}g}") if v is not None and np.isfinite(v) else None for v in values]


def _figure(pts: pl.DataFrame, lines: list, baseline: float, meta: dict, x_title: str,
            limits_note: str | None = None) -> FigureSpec:
    decimals = value_decimals(meta["unit"])
    fig = FigureSpec()
    for xs, ys, band, side, dash in lines:
        fig.add_trace(
            x=_sf(xs), y=_sf(ys), mode="lines", line=dict(color="#4A5560", width=1.2, dash=dash),
            name="95% limits (2 SD)" if band == "2s" else "99.8% limits (3 SD)",
            legendgroup=band, showlegend=side == "lower", hoverinfo="skip",
        )
    xmax = max(x for x in pts.get_column("x").to_list() if x is not None)
    fig.add_trace(x=[0, xmax * 1.1], y=[baseline, baseline], mode="lines",
                  name="New Zealand (average)", line=dict(color="#8A1C1C", width=1.5),
                  hoverinfo="skip")
    for label, (colour, symbol) in LABEL_STYLE.items():
        one = pts.filter((pl.col("significance") == label) & pl.col("y").is_not_null())
        if one.is_empty():
            continue
        fig.add_trace(
            x=one.get_column("x").to_list(), y=one.get_column("y").to_list(), mode="markers",
            name=label, marker=dict(color=colour, symbol=symbol, size=11, line=dict(width=1.5, color=colour)),
            customdata=one.get_column("district_name").to_list(),
            hovertemplate=f"<b>%{{customdata}}</b><br>%{{y:,.{decimals}f}}<br>{label}<extra></extra>",
        )
    ys = [y for y in pts.get_column("y").to_list() if y is not None]
    lo, hi = min(ys + [baseline]), max(ys + [baseline])
    pad = (hi - lo) * 0.35 or abs(baseline) * 0.2
    fig.update_layout(
        template=BASE_TEMPLATE, height=420, hovermode="closest",
        title=dict(text=f"{meta['measure_name']}<br><sup>{meta['period_label']}, districts against "
                        f"New Zealand{'; ' + limits_note if limits_note else ''}</sup>",
                   x=0, xanchor="left", font=dict(size=15)),
        legend=dict(orientation="h", yref="container", yanchor="bottom", y=0.0, x=0),
        margin=dict(t=80, b=110, l=70, r=20),
        xaxis=dict(title=dict(text=x_title), tickformat=",", rangemode="tozero", range=[0, xmax * 1.1]),
        yaxis=dict(title=dict(text=_axis_title(meta["unit"])), tickformat=",", range=[lo - pad, hi + pad]),
    )
    return fig
