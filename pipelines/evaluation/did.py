"""Difference-in-differences against the districts that did not run the initiative.

One quasi-Poisson model over the treated unit (the initiative's districts, summed) and each
control district:

    log E[y_ut] = log(pop_ut) + α_u + γ_t + δ·D_u·post_t + θ·D_u·post_t·(t − t0)

α_u are unit effects, γ_t one effect per quarter shared by all units, so anything that moves
every district at once (a national change, a coding change, seasonality) is absorbed by γ_t and
not credited to the initiative. exp(δ) − 1 is the level change relative to the controls, exp(θ)
− 1 the change in quarterly trend.

Parallel trends, checked before the start: on pre-period data only, the same model with a
treated-specific linear trend D_u·t; its Wald test (t, quasi-Poisson) is `parallel_trends_p`.
When p < 0.05 the treated unit is already diverging, and the model is refitted with that trend
(a comparative interrupted time series), which is flagged (Angrist & Pischke 2009, §5.2;
Lopez Bernal et al. 2018).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .glm import Fit, NotEstimable, fit_quasi_poisson
from .its import SegmentedResult, check_periods, summarise

PARALLEL_TRENDS_ALPHA = 0.05


@dataclass(frozen=True)
class DidResult:
    result: SegmentedResult  # fitted / counterfactual are the treated unit's
    parallel_trends_p: float | None
    trend_adjusted: bool
    controls_used: int


def _design(n_units: int, quarter_index: np.ndarray, start_index: int, effects: bool,
            treated_trend: bool):
    T = len(quarter_index)
    unit = np.repeat(np.arange(n_units), T)
    t = np.tile(np.asarray(quarter_index, dtype=float), n_units)
    treated = (unit == 0).astype(float)
    cols = [(unit == u).astype(float) for u in range(n_units)]
    names = [f"unit_{u}" for u in range(n_units)]
    for k, q in enumerate(quarter_index[1:], start=1):
        cols.append((t == q).astype(float))
        names.append(f"quarter_{k}")
    if treated_trend:
        cols.append(treated * (t - start_index))
        names.append("treated_trend")
    if effects:
        post = (t >= start_index).astype(float)
        cols += [treated * post, treated * post * (t - start_index)]
        names += ["level_change", "slope_change"]
    return np.column_stack(cols), tuple(names)


def parallel_trends_p(events: np.ndarray, population: np.ndarray, quarter_index: np.ndarray,
                      start_index: int) -> float | None:
    """p-value of a treated-specific linear trend before the start (None: too few quarters)."""
    pre = np.asarray(quarter_index) < start_index
    if pre.sum() < 3:
        return None
    X, names = _design(events.shape[0], quarter_index[pre], start_index, effects=False,
                       treated_trend=True)
    try:
        fit = fit_quasi_poisson(events[:, pre].ravel(), X, np.log(population[:, pre]).ravel(), names)
    except NotEstimable:
        return None
    return fit.coefficient("treated_trend").p_value()


def difference_in_differences(events, population, quarter_index, start_index: int,
                              confidence: float = 0.95, used_df: int = 0) -> DidResult:
    """events, population: (units, quarters) arrays, row 0 the treated unit, the rest controls.
    `used_df`: degrees of freedom spent on the data elsewhere (glm.fit_quasi_poisson)."""
    events = np.asarray(events, dtype=float)
    population = np.asarray(population, dtype=float)
    qi = np.asarray(quarter_index)
    check_periods(qi, start_index)
    keep = np.r_[True, (events[1:].sum(axis=1) > 0) & (population[1:] > 0).all(axis=1)]
    events, population = events[keep], population[keep]
    if events.shape[0] < 2:
        raise NotEstimable("no comparison district has events")
    if np.any(population[0] <= 0) or events[0, qi < start_index].sum() <= 0:
        raise NotEstimable("no events or population before the start")
    p = parallel_trends_p(events, population, qi, start_index)
    adjusted = p is not None and p < PARALLEL_TRENDS_ALPHA
    X, names = _design(events.shape[0], qi, start_index, effects=True, treated_trend=adjusted)
    offset = np.log(population).ravel()
    fit: Fit = fit_quasi_poisson(events.ravel(), X, offset, names, used_df=used_df)
    T = len(qi)
    rows = slice(0, T)  # the treated unit
    effect_cols = [names.index("level_change"), names.index("slope_change")]
    result = summarise(fit, events[0], X[rows], offset[rows], qi >= start_index, effect_cols,
                       confidence)
    return DidResult(result, p, adjusted, events.shape[0] - 1)
