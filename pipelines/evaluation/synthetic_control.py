"""A synthetic-control style comparator: a weighted mix of control districts.

Weights w_j ≥ 0, Σ w_j = 1 minimise the pre-period squared distance between the treated unit's
rate and the weighted control rates, each rate divided by its own pre-period mean (so a district
is matched on its course over time, not its level; the "demeaned" synthetic control of Ferman &
Pinto 2021, after Abadie, Diamond & Hainmueller 2010). The comparator rate is

    c_t = mean_pre(rate_treated) × Σ_j w_j · rate_jt / mean_pre(rate_j)

and the treated unit is compared with it by the two-unit difference-in-differences of did.py
(unit and quarter effects, level and slope change), the comparator entering as pseudo-counts
whose Poisson variance equals the variance of its weighted index, so the intervals carry the
comparator's own noise; the weights, fitted to the same pre-period, are counted as degrees of
freedom spent.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import nnls

from .did import difference_in_differences
from .glm import NotEstimable
from .its import SegmentedResult, check_periods


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
    # The comparator as a second unit of a two-unit difference-in-differences, so its own noise
    # enters the intervals: its quarterly index I_t = Σ w_j z_jt has Poisson variance
    # Σ w_j² y_jt / (pop_jt · mean_j)², and n_t = I_t² / var(I_t) pseudo-events at rate I_t carry
    # exactly that relative variance.
    z_var = (weights[:, None] ** 2 * events[1:] / (population[1:] * np.where(
        pre_mean[1:] > 0, pre_mean[1:], 1.0)[:, None]) ** 2).sum(axis=0)
    index_t = w @ index[usable]
    n_eff = index_t ** 2 / np.maximum(z_var, 1e-12)
    pseudo_events = np.vstack([events[0], n_eff])
    pseudo_pop = np.vstack([population[0], n_eff / index_t])
    did = difference_in_differences(pseudo_events, pseudo_pop, qi, start_index, confidence,
                                    used_df=max(0, int((weights > 0).sum()) - 1))
    result = did.result
    return SyntheticResult(result, weights, comparator)
