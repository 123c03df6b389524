"""A synthetic-control style comparator: a weighted mix of control districts.

Weights w_j ≥ 0, Σ w_j = 1 minimise the pre-period squared distance between the treated unit's
rate and the weighted control rates, each rate divided by its own pre-period mean (so a district
is matched on its course over time, not its level; the "demeaned" synthetic control of Ferman &
Pinto 2021, after Abadie, Diamond & Hainmueller 2010). The comparator rate is

    c_t = mean_pre(rate_treated) × Σ_j w_j · rate_jt / mean_pre(rate_j)

and the treated counts are modelled as quasi-Poisson around it:

    log E[y_t] = log(pop_t · c_t) + β0 + β2·post_t + β3·post_t·(t − t0)

The comparator carries seasonality and shared shocks. Its intervals treat the comparator as known,
which is reasonable when the controls hold many more events than the treated unit; they are too
narrow otherwise (a caveat says so when the controls are small).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import nnls

from .glm import NotEstimable, fit_quasi_poisson
from .its import SegmentedResult, check_periods, summarise

NAMES = ("const", "level_change", "slope_change")


@dataclass(frozen=True)
class SyntheticResult:
    result: SegmentedResult
    weights: np.ndarray  # one per control row given (zeros for controls without events)
    comparator_rate: np.ndarray  # c_t, events per person per quarter


def control_weights(target: np.ndarray, controls: np.ndarray) -> np.ndarray:
    """Non-negative weights summing to one that bring controls (J, T) closest to target (T,)."""
    if controls.shape[0] == 1:
        return np.ones(1)
    # Non-negative least squares with the sum-to-one constraint as one heavily weighted extra
    # equation (Lawson–Hanson NNLS; exact to ~1e-6 at this weight, then renormalised).
    heavy = 1e3 * max(1.0, float(np.abs(controls).max()))
    A = np.vstack([controls.T, np.full(controls.shape[0], heavy)])
    b = np.r_[target, heavy]
    w, _ = nnls(A, b, maxiter=50 * controls.shape[0])
    return w / w.sum()


def synthetic_control(events, population, quarter_index, start_index: int,
                      confidence: float = 0.95) -> SyntheticResult:
    """events, population: (units, quarters), row 0 the treated unit, the rest controls."""
    events = np.asarray(events, dtype=float)
    population = np.asarray(population, dtype=float)
    qi = np.asarray(quarter_index)
    check_periods(qi, start_index)
    pre = qi < start_index
    rate = events / population
    pre_mean = rate[:, pre].mean(axis=1)
    usable = np.flatnonzero(pre_mean[1:] > 0) + 1
    if pre_mean[0] <= 0:
        raise NotEstimable("no events before the start")
    if len(usable) == 0:
        raise NotEstimable("no comparison district has events before the start")
    index = rate / np.where(pre_mean > 0, pre_mean, 1.0)[:, None]
    w = control_weights(index[0, pre], index[usable][:, pre])
    comparator = pre_mean[0] * (w @ index[usable])
    if np.any(comparator <= 0):
        raise NotEstimable("the weighted comparator has an empty quarter")
    weights = np.zeros(events.shape[0] - 1)
    weights[usable - 1] = w
    t = qi.astype(float)
    post = (t >= start_index).astype(float)
    X = np.column_stack([np.ones_like(t), post, post * (t - start_index)])
    offset = np.log(population[0] * comparator)
    fit = fit_quasi_poisson(events[0], X, offset, NAMES)
    result = summarise(fit, events[0], X, offset, qi >= start_index, [1, 2], confidence)
    return SyntheticResult(result, weights, comparator)
