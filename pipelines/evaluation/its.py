"""Interrupted time series: segmented quasi-Poisson regression of one series of quarterly counts.

    log E[y_t] = log(pop_t) + β0 + β1·t + Σ seasons + β2·post_t + β3·post_t·(t − t0)

t counts quarters, t0 is the initiative's first quarter, post_t = 1 from t0 on. exp(β2) − 1 is the
change in level at the start, exp(β3) − 1 the change in the quarterly trend after it. The
counterfactual is the same prediction with β2 = β3 = 0; fitted − counterfactual summed over the
post-period is the events added (negative: averted) to date, with an interval from parameter
draws (Bernal, Cummins & Gasparrini 2017; Wagner et al. 2002).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .glm import SEASON_NAMES, Coefficient, Fit, NotEstimable, fit_quasi_poisson, log_rmse, seasonal_dummies

NAMES = ("const", "trend", *SEASON_NAMES, "level_change", "slope_change")
DRAWS = 2000


@dataclass(frozen=True)
class EventsDifference:
    observed: float  # events in the post-period
    counterfactual: float  # expected without the change
    difference: float  # Σ fitted − counterfactual: events added (negative: averted)
    lower: float
    upper: float


@dataclass(frozen=True)
class SegmentedResult:
    level: Coefficient
    slope: Coefficient
    events: EventsDifference
    fitted: np.ndarray  # expected events per quarter, with the change
    counterfactual: np.ndarray  # expected events per quarter without it
    phi: float
    pre_fit_rmse: float


def its_design(quarter_index: np.ndarray, start_index: int) -> np.ndarray:
    t = np.asarray(quarter_index, dtype=float)
    post = (t >= start_index).astype(float)
    return np.column_stack([np.ones_like(t), t - start_index, seasonal_dummies(quarter_index),
                            post, post * (t - start_index)])


def check_periods(quarter_index: np.ndarray, start_index: int, min_pre: int = 4) -> tuple[int, int]:
    n_pre = int((np.asarray(quarter_index) < start_index).sum())
    n_post = len(quarter_index) - n_pre
    if n_pre < min_pre:
        raise NotEstimable(f"only {n_pre} quarters before the start (at least {min_pre} needed)")
    if n_post < 2:
        raise NotEstimable(f"only {n_post} quarter(s) since the start (at least 2 needed)")
    return n_pre, n_post


def summarise(fit: Fit, y: np.ndarray, X: np.ndarray, offset: np.ndarray, post: np.ndarray,
              effect_columns: list[int], confidence: float) -> SegmentedResult:
    """Level/slope coefficients, fitted and counterfactual series and events to date."""
    X0 = X.copy()
    X0[:, effect_columns] = 0.0
    fitted = np.exp(fit.linear_predictor(X, offset))
    counterfactual = np.exp(fit.linear_predictor(X0, offset))
    # Events added (negative: averted) = Σ over the post-period of fitted − counterfactual
    # expected counts; its interval comes from parameter draws, so it carries the uncertainty of
    # both the change and the counterfactual, consistent with the level and slope intervals.
    draws = fit.draws(DRAWS)
    diff_draws = (np.exp(X[post] @ draws.T + offset[post][:, None])
                  - np.exp(X0[post] @ draws.T + offset[post][:, None])).sum(axis=0)
    observed = float(y[post].sum())
    alpha = (1 - confidence) / 2
    lower, upper = np.quantile(diff_draws, [alpha, 1 - alpha])
    pre = ~post
    return SegmentedResult(
        level=fit.coefficient("level_change"), slope=fit.coefficient("slope_change"),
        events=EventsDifference(observed, float(counterfactual[post].sum()),
                                float((fitted[post] - counterfactual[post]).sum()),
                                float(lower), float(upper)),
        fitted=fitted, counterfactual=counterfactual, phi=fit.phi,
        pre_fit_rmse=log_rmse(y[pre], fitted[pre]),
    )


def interrupted_time_series(events, population, quarter_index, start_index: int,
                            confidence: float = 0.95) -> SegmentedResult:
    """Segmented regression of one unit's quarterly counts (arrays in quarter order)."""
    y = np.asarray(events, dtype=float)
    qi = np.asarray(quarter_index)
    check_periods(qi, start_index)
    if np.any(np.asarray(population) <= 0):
        raise NotEstimable("a quarter has no population")
    X = its_design(qi, start_index)
    offset = np.log(np.asarray(population, dtype=float))
    if y[qi < start_index].sum() <= 0:
        raise NotEstimable("no events before the start")
    fit = fit_quasi_poisson(y, X, offset, NAMES)
    post = qi >= start_index
    return summarise(fit, y, X, offset, post, [NAMES.index("level_change"),
                                                NAMES.index("slope_change")], confidence)
