"""Power before the fact: how many quarters after the start are needed to detect the expected
change in level at 80 % power (two-sided 5 %), given the district's counts and variability.

The pre-period is fitted with the ITS model's baseline (trend + seasons, quasi-Poisson), then
projected forward (population held at its last value). For n post quarters the expected counts
are the projection × (1 + expected change), and the standard error of the level change β2 in the
full segmented model (level and slope) is sqrt(φ · [(XᵀWX)⁻¹]_β2β2) with W = diag(expected
counts): the t test's power is the noncentral t probability beyond ±t_{1−α/2, n−p} with
noncentrality |log(1 + change)|/se. The answer is the smallest n with power ≥ 80 %, or None when even
MAX_QUARTERS would not do (Zhang, Wagner & Ross-Degnan 2011 simulate the same quantity).
"""

from __future__ import annotations

import numpy as np
from scipy import stats

from .glm import SEASON_NAMES, fit_quasi_poisson, seasonal_dummies
from .its import its_design

MAX_QUARTERS = 40


def power_for(n_post: int, mu_pre: np.ndarray, pre_index: np.ndarray, mu_post_base: np.ndarray,
              change: float, phi: float, alpha: float = 0.05) -> float:
    start = int(pre_index[-1]) + 1
    qi = np.r_[pre_index, np.arange(start, start + n_post)]
    mu = np.r_[mu_pre, mu_post_base[:n_post] * (1 + change)]
    X = its_design(qi, start)
    info = X.T @ (X * mu[:, None])
    se = np.sqrt(phi * np.linalg.inv(info)[5, 5])  # column 5: level_change
    # The ITS interval uses t with n − p degrees of freedom, so power is a noncentral t tail.
    df = len(qi) - X.shape[1]
    crit = stats.t.ppf(1 - alpha / 2, df)
    ncp = abs(np.log1p(change)) / se
    return float(stats.nct.sf(crit, df, ncp) + stats.nct.cdf(-crit, df, ncp))


def quarters_needed(events, population, quarter_index, change: float, power: float = 0.8,
                    alpha: float = 0.05, max_quarters: int = MAX_QUARTERS) -> int | None:
    """Quarters after the start needed for `power` to detect a level change of `change`
    (e.g. -0.15), from the pre-period series (arrays in quarter order, all before the start)."""
    y = np.asarray(events, dtype=float)
    qi = np.asarray(quarter_index)
    pop = np.asarray(population, dtype=float)
    if change == 0 or change <= -1:
        return None
    t = qi.astype(float) - qi[-1]
    X = np.column_stack([np.ones_like(t), t, seasonal_dummies(qi)])
    fit = fit_quasi_poisson(y, X, np.log(pop), ("const", "trend", *SEASON_NAMES))
    mu_pre = np.exp(X @ fit.params + np.log(pop))
    future = np.arange(qi[-1] + 1, qi[-1] + 1 + max_quarters)
    tf = (future - qi[-1]).astype(float)
    Xf = np.column_stack([np.ones_like(tf), tf, seasonal_dummies(future)])
    mu_future = np.exp(Xf @ fit.params + np.log(pop[-1]))
    for n in range(2, max_quarters + 1):
        if power_for(n, mu_pre, qi, mu_future, change, fit.phi, alpha) >= power:
            return n
    return None
