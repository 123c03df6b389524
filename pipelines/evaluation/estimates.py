"""Every initiative × measure × group: ITS, difference-in-differences and synthetic control,
power, caveats and suppression, as the estimates table and the chart series.

Controls are the districts that ran no initiative on the same measure (any group), so one
initiative's district never serves as another's comparator.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from .did import difference_in_differences
from .glm import NotEstimable
from .its import SegmentedResult, interrupted_time_series
from .power import quarters_needed
from .register import Initiative
from .synthetic_control import synthetic_control

METHOD_VERSION = "evaluation-v1"
MIN_PRE_RECOMMENDED = 8  # two years: seasonality and trend each need several quarters
MIN_POST_RECOMMENDED = 4
SMALL_NUMBERS_PER_QUARTER = 20
METHODS = ("its", "did", "synthetic_control")
POWER = 0.8

ESTIMATE_SCHEMA = {
    "initiative_id": pl.String, "initiative_name": pl.String, "district_codes": pl.String,
    "measure_id": pl.String, "group_id": pl.String, "method": pl.String,
    "start_quarter": pl.String, "end_quarter": pl.String, "last_quarter": pl.String,
    "pre_quarters": pl.Int64, "post_quarters": pl.Int64,
    "observed_events_post": pl.Float64, "expected_events_post": pl.Float64,
    "events_difference": pl.Float64, "events_difference_lower": pl.Float64,
    "events_difference_upper": pl.Float64,
    "level_change_pct": pl.Float64, "level_lower_pct": pl.Float64, "level_upper_pct": pl.Float64,
    "slope_change_pct": pl.Float64, "slope_lower_pct": pl.Float64, "slope_upper_pct": pl.Float64,
    "level_p_value": pl.Float64, "dispersion": pl.Float64, "pre_fit_rmse": pl.Float64,
    "parallel_trends_p": pl.Float64, "trend_adjusted": pl.Boolean, "comparator": pl.String,
    "preferred_comparator": pl.Boolean, "expected_direction": pl.String,
    "expected_change_pct": pl.Float64, "quarters_needed_80": pl.Int64, "power_target": pl.Float64,
    "confidence": pl.Float64, "status": pl.String, "status_reason": pl.String,
    "caveats": pl.String, "method_version": pl.String,
}
SERIES_SCHEMA = {
    "initiative_id": pl.String, "measure_id": pl.String, "group_id": pl.String,
    "quarter": pl.String, "quarter_start": pl.Date, "post": pl.Boolean,
    "observed_events": pl.Float64, "population": pl.Float64, "observed_rate": pl.Float64,
    "its_fitted_rate": pl.Float64, "its_counterfactual_rate": pl.Float64,
    "comparator_rate": pl.Float64, "comparator_method": pl.String, "multiplier": pl.Float64,
}


def quarter_index(label: str) -> int:
    return int(label[:4]) * 4 + int(label[-1]) - 1


@dataclass(frozen=True)
class Panel:
    quarters: list[str]
    quarter_start: list
    index: np.ndarray
    events: np.ndarray  # (units, quarters): row 0 the initiative's districts summed
    population: np.ndarray
    controls: list[str]


def build_panel(counts: pl.DataFrame, group_id: str, treated: tuple[str, ...],
                excluded: set[str], end_quarter: str | None) -> Panel:
    """counts: quarter, quarter_start, district_code, group_id, events, population."""
    rows = counts.filter(pl.col("group_id") == group_id)
    if end_quarter:
        rows = rows.filter(pl.col("quarter").map_elements(quarter_index, return_dtype=pl.Int64)
                           <= quarter_index(end_quarter))
    quarters = rows.select("quarter", "quarter_start").unique().sort("quarter_start")
    labels = quarters["quarter"].to_list()
    wide = {}
    for column in ("events", "population"):
        w = rows.pivot(on="quarter", index="district_code", values=column).sort("district_code")
        wide[column] = w
    codes = wide["events"]["district_code"].to_list()
    controls = [c for c in codes if c not in excluded and c not in treated]
    ev = wide["events"].select(labels).to_numpy().astype(float)
    pop = wide["population"].select(labels).to_numpy().astype(float)
    is_treated = np.array([c in treated for c in codes])
    ctrl = np.array([codes.index(c) for c in controls], dtype=int)
    events = np.vstack([ev[is_treated].sum(axis=0), ev[ctrl]])
    population = np.vstack([pop[is_treated].sum(axis=0), pop[ctrl]])
    return Panel(labels, quarters["quarter_start"].to_list(),
                 np.array([quarter_index(q) for q in labels]), events,
                 np.nan_to_num(population, nan=0.0), controls)


def evaluate(initiatives: list[Initiative], counts: dict[str, pl.DataFrame],
             multipliers: dict[str, float], min_count: int = 5,
             confidence: float = 0.95) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(estimates, series) for every initiative target; counts by measure_id."""
    running: dict[str, set[str]] = {}
    for ini in initiatives:
        for measure_id, *_ in ini.targets:
            running.setdefault(measure_id, set()).update(ini.districts)
    estimates, series = [], []
    for ini in initiatives:
        for measure_id, group_id, change_pct, direction in ini.targets:
            panel = build_panel(counts[measure_id], group_id, ini.districts,
                                running[measure_id], ini.end_quarter)
            rows, chart = _evaluate_target(ini, measure_id, group_id, change_pct, direction,
                                           panel, multipliers[measure_id], min_count, confidence)
            estimates += rows
            series.append(chart)
    est = pl.DataFrame(estimates, schema=ESTIMATE_SCHEMA, orient="row") if estimates else \
        pl.DataFrame(schema=ESTIMATE_SCHEMA)
    ser = pl.concat(series) if series else pl.DataFrame(schema=SERIES_SCHEMA)
    return est, ser


def _evaluate_target(ini, measure_id, group_id, change_pct, direction, panel: Panel,
                     multiplier, min_count, confidence):
    start = quarter_index(ini.start_quarter)
    pre = panel.index < start
    n_pre, n_post = int(pre.sum()), int((~pre).sum())
    treated_events, treated_pop = panel.events[0], panel.population[0]
    base = {
        "initiative_id": ini.initiative_id, "initiative_name": ini.name,
        "district_codes": "|".join(ini.districts), "measure_id": measure_id, "group_id": group_id,
        "start_quarter": ini.start_quarter, "end_quarter": ini.end_quarter,
        "last_quarter": panel.quarters[-1] if panel.quarters else None,
        "pre_quarters": n_pre, "post_quarters": n_post, "expected_direction": direction,
        "expected_change_pct": change_pct, "confidence": confidence, "power_target": POWER,
        "method_version": METHOD_VERSION,
    }
    # Too few quarters is "not estimable" (said by the models); enough quarters but too few
    # events is "suppressed".
    small = n_pre >= 4 and n_post >= 2 and (treated_events[pre].sum() < min_count
                                            or treated_events[~pre].sum() < min_count)
    try:
        needed = quarters_needed(treated_events[pre], treated_pop[pre], panel.index[pre],
                                 change_pct / 100, power=POWER) if pre.sum() >= 4 else None
    except NotEstimable:
        needed = None
    base["quarters_needed_80"] = needed
    fits: dict[str, object] = {}
    reasons: dict[str, str] = {}
    runners = {
        "its": lambda: interrupted_time_series(treated_events, treated_pop, panel.index, start,
                                               confidence),
        "did": lambda: difference_in_differences(panel.events, panel.population, panel.index,
                                                 start, confidence),
        "synthetic_control": lambda: synthetic_control(panel.events, panel.population,
                                                       panel.index, start, confidence),
    }
    for method, run in runners.items():
        if small:
            reasons[method] = f"fewer than {min_count} events before or after the start"
            continue
        try:
            fits[method] = run()
        except NotEstimable as exc:
            reasons[method] = str(exc)
    caveats = _caveats(n_pre, n_post, treated_events, pre, needed, fits, panel, start, confidence)
    preferred = _preferred(fits)
    rows = []
    for method in METHODS:
        row = dict(base, method=method, caveats="; ".join(caveats) or None)
        fit = fits.get(method)
        if fit is None:
            status = "suppressed" if small else "not_estimable"
            rows.append(_row(row, None, status=status, reason=reasons[method]))
            continue
        res: SegmentedResult = fit if method == "its" else fit.result
        row["dispersion"] = res.phi
        row["pre_fit_rmse"] = res.pre_fit_rmse
        if method == "did":
            row["parallel_trends_p"] = fit.parallel_trends_p
            row["trend_adjusted"] = fit.trend_adjusted
            row["comparator"] = f"{fit.controls_used} districts without the initiative"
        elif method == "synthetic_control":
            top = sorted(zip(fit.weights, panel.controls, strict=True), reverse=True)
            row["comparator"] = ", ".join(f"{c} {w:.2f}" for w, c in top if w >= 0.01)
        if method != "its":
            row["preferred_comparator"] = method == preferred
        rows.append(_row(row, res, confidence=confidence))
    return rows, _series(ini, measure_id, group_id, panel, start, fits, preferred, multiplier,
                         min_count)


def _row(row: dict, res: SegmentedResult | None, status: str = "estimated",
         reason: str | None = None, confidence: float = 0.95) -> tuple:
    if res is not None:
        row["level_change_pct"], row["level_lower_pct"], row["level_upper_pct"] = \
            res.level.percent(confidence)
        row["slope_change_pct"], row["slope_lower_pct"], row["slope_upper_pct"] = \
            res.slope.percent(confidence)
        row["level_p_value"] = res.level.p_value()
        row["observed_events_post"] = res.events.observed
        row["expected_events_post"] = res.events.counterfactual
        row["events_difference"] = res.events.difference
        row["events_difference_lower"] = res.events.lower
        row["events_difference_upper"] = res.events.upper
    row["status"], row["status_reason"] = status, reason
    return tuple(row.get(c) for c in ESTIMATE_SCHEMA)


def _preferred(fits: dict) -> str | None:
    """The comparator that tracked the treated unit better before the start (log-scale RMSE)."""
    scored = [(fits[m].result.pre_fit_rmse, m) for m in ("did", "synthetic_control") if m in fits]
    return min(scored)[1] if scored else None


def _caveats(n_pre, n_post, events, pre, needed, fits, panel: Panel, start, confidence):
    out = []
    if n_pre < MIN_PRE_RECOMMENDED:
        out.append(f"short pre-period: {n_pre} quarters before the start "
                   f"({MIN_PRE_RECOMMENDED} or more recommended)")
    if n_post < MIN_POST_RECOMMENDED:
        out.append(f"early days: {n_post} quarters since the start")
    per_quarter = float(events.mean()) if len(events) else 0.0
    if per_quarter < SMALL_NUMBERS_PER_QUARTER:
        out.append(f"small numbers: about {per_quarter:.0f} events a quarter, so intervals are wide")
    if needed is None and pre.sum() >= 4:
        out.append("the expected change cannot be detected at 80% power within 10 years "
                   "from this pre-period and these numbers")
    elif needed is not None and needed > n_post:
        out.append(f"too soon to judge: the expected change needs {needed} quarters to detect "
                   f"at 80% power")
    did = fits.get("did")
    if did is not None and did.trend_adjusted:
        out.append("the district was already diverging from the comparison districts before "
                   "the start; the comparison allows for its own trend")
    if panel.events.shape[0] > 1 and len(panel.controls):
        try:
            controls = interrupted_time_series(panel.events[1:].sum(axis=0),
                                               panel.population[1:].sum(axis=0), panel.index,
                                               start, confidence)
            lo, hi = controls.level.interval(confidence)
            if lo > 0 or hi < 0:
                out.append("concurrent change: the comparison districts changed at the same "
                           "time, so the before-and-after change alone is not all local")
        except NotEstimable:
            pass
    return out


def _series(ini, measure_id, group_id, panel: Panel, start, fits, preferred, multiplier,
            min_count) -> pl.DataFrame:
    pop = panel.population[0]
    safe = np.where(pop > 0, pop, np.nan)
    observed = panel.events[0]
    shown = np.where(observed >= min_count, observed, np.nan)  # small counts are not shown

    def rate(x):
        return x / safe * multiplier

    its = fits.get("its")
    comparator = fits.get(preferred) if preferred else None
    n = len(panel.quarters)
    none = np.full(n, np.nan)
    return pl.DataFrame({
        "initiative_id": [ini.initiative_id] * n, "measure_id": [measure_id] * n,
        "group_id": [group_id] * n, "quarter": panel.quarters,
        "quarter_start": panel.quarter_start, "post": panel.index >= start,
        "observed_events": shown, "population": pop, "observed_rate": rate(shown),
        "its_fitted_rate": rate(its.fitted) if its else none,
        "its_counterfactual_rate": rate(its.counterfactual) if its else none,
        "comparator_rate": rate(comparator.result.counterfactual) if comparator else none,
        "comparator_method": [preferred] * n, "multiplier": [float(multiplier)] * n,
    }, schema=SERIES_SCHEMA, nan_to_null=True)
