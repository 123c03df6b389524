"""Trend projection for milestones: a log-linear (quasi-)Poisson trend fitted to non-overlapping
quarterly counts, projected forward with its uncertainty (pack-methods.md 7.2).

Model, per series, with quarters t = 0 .. n-1 in order (the latest is t = n-1):
    log E[y_t] = log(exposure_t) + a + b t
where y_t is the quarter's count and exposure_t = population_t / periods_per_year person-years
(no offset when no population is given: the counts themselves are projected). It is fitted by
maximum likelihood (iteratively reweighted least squares). The covariance of (a, b) is the
Poisson information inverse scaled by phi = max(1, Pearson chi2 / (n - 2)) (quasi-Poisson), so
extra-Poisson variation widens the intervals but never narrows them. This is the EAPC model of
IARC's Rcan (``glm(rate ~ year, poisson)``) fitted on counts with an offset, so the standard
error does not depend on the multiplier.

Projection at a future quarter t: value = exp(a + b t) x multiplier (a rate per multiplier
person-years, or a count per quarter) with interval exp(a + b t -/+ z se), se^2 = (1, t) V (1, t)'.
The quarterly change is exp(b) - 1 and the annual change exp(periods_per_year b) - 1 (with their
intervals from b -/+ z se(b)).

Milestone M (``target``), "decrease" meaning lower is better: the first projected quarter whose
value is at or below M is ``reached`` (point projection); ``reached_confidently`` is the first
whose upper limit is at or below M, ``reached_possibly`` the first whose lower limit is (reverse
for "increase"). Where none is within ``horizon`` quarters the answer is "not before <last
quarter>". The crossing time t* = (ln M' - a) / b (M' = M / multiplier) gets a Fieller interval,
the roots of (c - b t)^2 = z^2 (v_a + 2 t c_ab + t^2 v_b), c = ln M' - a; it is finite only when
the trend itself is significant (b^2 / v_b > z^2), otherwise the date is "not estimable".

Uncertainty stated: the interval is for the expected rate if the log-linear trend continues; it
says nothing about breaks in definition, COVID-19 years, population re-basing or a change of
trend, and it does not include the Poisson noise of a single future quarter. Use at least 8-12
quarters and report the fitted window. Do not fit overlapping rolling-year values (their errors
are correlated, so standard errors would be too small).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import polars as pl

from pipelines.stats._frames import as_float, group_keys, require_columns
from pipelines.stats.confidence import z_for

__all__ = ["trend_projection", "fit_loglinear_trend", "TrendFit", "MIN_QUARTERS"]

MIN_QUARTERS = 4
_DIRECTIONS = ("decrease", "increase")


@dataclass(frozen=True)
class TrendFit:
    """(a, b) of log E[y_t] = log(exposure_t) + a + b t, their covariance (already x phi) and phi."""

    a: float
    b: float
    var_a: float
    var_b: float
    cov_ab: float
    phi: float
    points: int

    def log_value(self, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Linear predictor a + b t and its standard error."""
        t = np.asarray(t, dtype=np.float64)
        se = np.sqrt(self.var_a + 2 * t * self.cov_ab + t**2 * self.var_b)
        return self.a + self.b * t, se


def fit_loglinear_trend(counts: Sequence[float], exposure: Sequence[float] | None = None) -> TrendFit:
    """Quasi-Poisson log-linear fit of counts on t = 0..n-1 with log(exposure) offset (IRLS)."""
    y = np.asarray(counts, dtype=np.float64)
    n = y.size
    if n < MIN_QUARTERS:
        raise ValueError(f"a trend needs at least {MIN_QUARTERS} quarters, got {n}")
    if np.isnan(y).any() or (y < 0).any():
        raise ValueError("counts must be non-missing and >= 0")
    offset = np.zeros(n) if exposure is None else np.log(np.asarray(exposure, dtype=np.float64))
    if not np.isfinite(offset).all():
        raise ValueError("exposure (population) must be positive and non-missing")
    if y.sum() == 0:
        raise ValueError("no events in the series: a log-linear trend cannot be fitted")
    design = np.column_stack([np.ones(n), np.arange(n, dtype=np.float64)])
    beta = np.array([math.log(y.sum() / np.exp(offset).sum()), 0.0])
    for _ in range(100):
        mu = np.exp(offset + design @ beta)
        information = design.T @ (design * mu[:, None])
        step = np.linalg.solve(information, design.T @ (y - mu))
        beta = beta + step
        if np.max(np.abs(step)) < 1e-12:
            break
    mu = np.exp(offset + design @ beta)
    information = design.T @ (design * mu[:, None])
    pearson = float(np.sum((y - mu) ** 2 / mu))
    phi = max(1.0, pearson / (n - 2)) if n > 2 else 1.0
    cov = np.linalg.inv(information) * phi
    return TrendFit(float(beta[0]), float(beta[1]), cov[0, 0], cov[1, 1], cov[0, 1], phi, n)


def _fieller(fit: TrendFit, c: float, z: float) -> tuple[float, float]:
    """Roots of (c - b t)^2 = z^2 (v_a + 2 t c_ab + t^2 v_b); NaN unless the slope is significant."""
    qa = fit.b**2 - z**2 * fit.var_b
    if qa <= 0:
        return math.nan, math.nan
    qb = -2 * (c * fit.b - z**2 * fit.cov_ab)
    qc = c**2 - z**2 * fit.var_a
    disc = qb**2 - 4 * qa * qc
    if disc < 0:
        return math.nan, math.nan
    root = math.sqrt(disc)
    return (-qb - root) / (2 * qa), (-qb + root) / (2 * qa)


def _quarter_label(start: object, steps: int) -> str | None:
    """'YYYY Qn' of the quarter ``steps`` after a date, or None when periods are not dates."""
    if not hasattr(start, "year") or not hasattr(start, "month"):
        return None
    months = start.year * 12 + (start.month - 1) + 3 * steps
    return f"{months // 12} Q{(months % 12) // 3 + 1}"


def _one_series(group, period, events, population, horizon, target, direction, multiplier, z, per_year):
    counts = as_float(group, events)
    exposure = None if population is None else as_float(group, population) / per_year
    fit = fit_loglinear_trend(counts, exposure)
    scale = multiplier if population is not None else 1.0
    last = fit.points - 1
    ahead = np.arange(0, horizon + 1)
    eta, se = fit.log_value(last + ahead)
    value, lower, upper = (np.exp(e) * scale for e in (eta, eta - z * se, eta + z * se))
    last_period = group.get_column(period)[-1]
    labels = [_quarter_label(last_period, int(k)) for k in ahead]
    projection = pl.DataFrame(
        {
            "quarters_ahead": ahead,
            "quarter": pl.Series(labels, dtype=pl.String),
            "projected": value,
            "projected_lowercl": lower,
            "projected_uppercl": upper,
        }
    )
    summary: dict = {
        "points": fit.points,
        "first_period": group.get_column(period)[0],
        "last_period": last_period,
        "slope": fit.b,
        "slope_se": math.sqrt(fit.var_b),
        "phi": fit.phi,
        "quarterly_change": math.expm1(fit.b),
        "annual_change": math.expm1(per_year * fit.b),
        "annual_change_lowercl": math.expm1(per_year * (fit.b - z * math.sqrt(fit.var_b))),
        "annual_change_uppercl": math.expm1(per_year * (fit.b + z * math.sqrt(fit.var_b))),
        "trend_significant": fit.b**2 / fit.var_b > z**2,
        "fitted_latest": float(value[0]),
    }
    if target is not None:
        summary.update(_milestone(fit, projection, float(target), direction, scale, z, last, labels))
    return projection, summary


def _milestone(fit, projection, target, direction, scale, z, last, labels) -> dict:
    better = (lambda v: v <= target) if direction == "decrease" else (lambda v: v >= target)
    future = projection.filter(pl.col("quarters_ahead") >= 1)

    def first(column: str) -> tuple[int | None, str]:
        hits = future.filter(better(pl.col(column)))
        if hits.is_empty():
            return None, f"not before {labels[-1] or f'{len(labels) - 1} quarters ahead'}"
        k = int(hits["quarters_ahead"][0])
        return k, labels[k] or f"{k} quarters ahead"

    reached, reached_text = first("projected")
    confident = "projected_uppercl" if direction == "decrease" else "projected_lowercl"
    possible = "projected_lowercl" if direction == "decrease" else "projected_uppercl"
    confidently, confidently_text = first(confident)
    possibly, possibly_text = first(possible)
    c = math.log(target / scale) - fit.a
    crossing = (c / fit.b - last) if fit.b != 0 else math.nan
    lo, hi = _fieller(fit, c, z)
    return {
        "target": target,
        "already_met": bool(better(projection["projected"][0])),
        "reached_quarters_ahead": reached,
        "reached": reached_text,
        "reached_confidently_quarters_ahead": confidently,
        "reached_confidently": confidently_text,
        "reached_possibly_quarters_ahead": possibly,
        "reached_possibly": possibly_text,
        "crossing_quarters_ahead": crossing,
        "crossing_lowercl": lo - last,
        "crossing_uppercl": hi - last,
    }


def trend_projection(
    df: pl.DataFrame,
    period: str,
    events: str,
    population: str | None = None,
    group_by: Sequence[str] | None = None,
    horizon: int = 12,
    target: float | None = None,
    direction: str = "decrease",
    multiplier: float = 100_000,
    confidence: float = 0.95,
    periods_per_year: int = 4,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Project each series' quarterly trend ``horizon`` quarters ahead (see the module docstring).

    ``df`` holds one row per non-overlapping quarter: ``period`` (sortable; a date gives
    "YYYY Qn" labels), ``events`` (count in the quarter) and optionally ``population`` (mid-period
    population; exposure = population / ``periods_per_year`` person-years, so the projected value
    is an annual rate per ``multiplier``). Without ``population`` the quarterly count is projected.
    ``group_by=None`` is one series (the whole frame).

    Returns (projection, summary): projection has the group keys, quarters_ahead (0 = the latest
    quarter's fitted value), quarter, projected and projected_lowercl/uppercl; summary has one row
    per series with the fit (points, first/last period, slope, slope_se, phi, quarterly_change,
    annual_change with limits, trend_significant, fitted_latest) and, with a ``target``, the
    milestone outlook (already_met, reached[_quarters_ahead], reached_confidently[...],
    reached_possibly[...], crossing_quarters_ahead with its Fieller limits).
    """
    if direction not in _DIRECTIONS:
        raise ValueError("direction must be 'decrease' (lower is better) or 'increase'")
    if horizon < 1:
        raise ValueError("horizon must be at least one quarter")
    keys = group_keys(group_by)
    require_columns(df, period, events, population, *keys)
    z = z_for(confidence)
    ordered = df.sort([*keys, period], maintain_order=True)
    groups = ordered.partition_by(keys, maintain_order=True) if keys else [ordered]
    projections, summaries = [], []
    for group in groups:
        if group.get_column(period).is_duplicated().any():
            raise ValueError(f"column {period!r} repeats a quarter within a series")
        projection, summary = _one_series(
            group, period, events, population, horizon, target, direction, multiplier, z, periods_per_year
        )
        key_values = {k: group.get_column(k)[0] for k in keys}
        projections.append(
            projection.select([pl.lit(v).alias(k) for k, v in key_values.items()] + projection.columns)
            if keys
            else projection
        )
        summaries.append({**key_values, **summary})
    return pl.concat(projections), pl.DataFrame(summaries)
