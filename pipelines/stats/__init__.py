"""Public statistics for indicator production: PHEindicatormethods-compatible rates, proportions,
means, DSRs and indirect standardisation; equity ratios/differences; funnel limits; Making Data
Count SPC.

Every frame-level function takes and returns a polars DataFrame. See docs/statistics.md.
"""

from pipelines.stats.comparisons import (
    dsr_ratio_difference,
    proportion_ratio_difference,
    rate_ratio_difference,
)
from pipelines.stats.confidence import z_for
from pipelines.stats.decomposition import cause_contributions, kitagawa, product_change
from pipelines.stats.dsr import dsr
from pipelines.stats.funnel_rates import funnel_rate_limits, funnel_rate_points
from pipelines.stats.funnel_significance import SIGNIFICANCE_LABELS, funnel_significance
from pipelines.stats.funnels import funnel_proportion_limits, funnel_ratio_limits, poisson_cis, poisson_funnel
from pipelines.stats.indirect import israte, isratio
from pipelines.stats.intervals import (
    byars_lower,
    byars_upper,
    exact_poisson_lower,
    exact_poisson_upper,
    wilson_lower,
    wilson_upper,
)
from pipelines.stats.means import mean, weighted_mean
from pipelines.stats.projection import fit_loglinear_trend, trend_projection
from pipelines.stats.proportions import proportion
from pipelines.stats.rates import crude_rate
from pipelines.stats.spc import spc, spc_icons

__all__ = [
    "SIGNIFICANCE_LABELS",
    "byars_lower",
    "byars_upper",
    "cause_contributions",
    "crude_rate",
    "dsr",
    "dsr_ratio_difference",
    "exact_poisson_lower",
    "exact_poisson_upper",
    "fit_loglinear_trend",
    "funnel_proportion_limits",
    "funnel_rate_limits",
    "funnel_rate_points",
    "funnel_ratio_limits",
    "funnel_significance",
    "israte",
    "isratio",
    "kitagawa",
    "mean",
    "poisson_cis",
    "poisson_funnel",
    "product_change",
    "proportion",
    "proportion_ratio_difference",
    "rate_ratio_difference",
    "spc",
    "spc_icons",
    "trend_projection",
    "weighted_mean",
    "wilson_lower",
    "wilson_upper",
    "z_for",
]
