"""Quasi-Poisson regression on quarterly counts (statsmodels GLM), and what every model reports.

Counts are Poisson with a log link and log(population) as offset. The dispersion φ is Pearson's
χ²/(n − p) (statsmodels scale='X2'), floored at 1 so an interval is never narrower than the
Poisson one; covariances are the Poisson ones × φ, and intervals use t with n − p degrees of
freedom, as quasi-likelihood inference does (McCullagh & Nelder 1989, §4.5).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from scipy import stats


class NotEstimable(ValueError):
    """The data cannot support the model (too few quarters, no events): said in plain words."""


@dataclass(frozen=True)
class Fit:
    params: np.ndarray
    cov: np.ndarray  # already × φ
    phi: float
    df_resid: float
    names: tuple[str, ...]

    def index(self, name: str) -> int:
        return self.names.index(name)

    def coefficient(self, name: str) -> Coefficient:
        i = self.index(name)
        return Coefficient(float(self.params[i]), float(np.sqrt(self.cov[i, i])), self.df_resid)

    def linear_predictor(self, X: np.ndarray, offset: np.ndarray) -> np.ndarray:
        return X @ self.params + offset

    def draws(self, n: int, seed: int = 0) -> np.ndarray:
        """Parameter draws from the estimated sampling distribution (for sums of predictions)."""
        rng = np.random.default_rng(seed)
        return rng.multivariate_normal(self.params, self.cov, size=n, method="cholesky")


@dataclass(frozen=True)
class Coefficient:
    """A log-scale coefficient: exp(estimate) − 1 is the relative change."""

    estimate: float
    se: float
    df: float

    def interval(self, confidence: float = 0.95) -> tuple[float, float]:
        t = stats.t.ppf(0.5 + confidence / 2, self.df)
        return self.estimate - t * self.se, self.estimate + t * self.se

    def p_value(self) -> float:
        return float(2 * stats.t.sf(abs(self.estimate / self.se), self.df))

    def percent(self, confidence: float = 0.95) -> tuple[float, float, float]:
        """(relative change, lower, upper) in percent."""
        lo, hi = self.interval(confidence)
        return tuple(100 * float(np.expm1(x)) for x in (self.estimate, lo, hi))


def fit_quasi_poisson(y: np.ndarray, X: np.ndarray, offset: np.ndarray,
                      names: tuple[str, ...], used_df: int = 0) -> Fit:
    """`used_df`: degrees of freedom already spent on the same data outside the design (e.g.
    synthetic-control weights fitted to the pre-period); they are taken off n − p for φ and t."""
    y = np.asarray(y, dtype=float)
    if len(y) <= X.shape[1] + used_df:
        raise NotEstimable(f"{len(y)} observations for {X.shape[1]} parameters")
    if np.linalg.matrix_rank(X.T @ X) < X.shape[1]:
        raise NotEstimable("the design cannot separate the effects (too few quarters)")
    if y.sum() <= 0:
        raise NotEstimable("no events")
    import statsmodels.api as sm  # here: 1.6 s of import that ingestion runs and the code server never use

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # perfect-fit warnings on tiny series: handled below
        # hasconst: every design has a constant or unit dummies summing to one (and statsmodels'
        # own check costs more than the fit)
        res = sm.GLM(y, X, family=sm.families.Poisson(), offset=offset, hasconst=True).fit(
            scale="X2", wls_method="qr")
    if not np.all(np.isfinite(res.params)):
        raise NotEstimable("the model did not converge")
    df_resid = float(res.df_resid) - used_df
    x2 = float(res.pearson_chi2) / df_resid
    phi = max(1.0, x2) if np.isfinite(x2) else 1.0
    return Fit(np.asarray(res.params), np.asarray(res.normalized_cov_params) * phi, phi,
               df_resid, names)


def seasonal_dummies(quarter_index: np.ndarray) -> np.ndarray:
    """Quarter-of-year indicators Q2, Q3, Q4 (Q1 is the reference); index = year × 4 + q − 1."""
    q = np.asarray(quarter_index) % 4
    return np.column_stack([(q == k).astype(float) for k in (1, 2, 3)])


SEASON_NAMES = ("q2", "q3", "q4")


def log_rmse(y: np.ndarray, mu: np.ndarray) -> float:
    """Root mean squared error of log counts (0.5 added so an empty quarter stays finite)."""
    return float(np.sqrt(np.mean((np.log(np.asarray(y) + 0.5) - np.log(np.asarray(mu) + 0.5)) ** 2)))
