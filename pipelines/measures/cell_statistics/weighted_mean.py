"""Survey-weighted mean score (patient experience domain scores out of 10).

Cells carry, per window × district × ethnic group × breakdown, the additive sums of respondent
domain scores s with survey weights w:
    numerator = Σ w·s   ("sum of weighted scores", HQMNZ)   denominator = respondents (n)
    sum_weight = Σ w    sum_weight_sq = Σ w²                 sum_weighted_score_sq = Σ w·s²
Sums are what survive pipelines.measures.tidy_rows summing cells into reporting groups and New
Zealand; respondent-level rows would be copied into every window × group × district they
belong to (tens of millions of rows for the national surveys).

compute: value = Σ w·s / Σ w, with the limits of pipelines.stats.weighted_mean written in these
sums (docs/statistics.md): Kish n_eff = (Σw)²/Σw²; weighted variance
s_w² = Σ w(s − value)² / (Σw − Σw²/Σw), where Σ w(s − value)² = Σ w·s² − (Σ w·s)²/Σw;
limits value ∓ t⁻¹(1 − (1−c)/2; n_eff − 1)·s_w/√n_eff. The tests check it against
stats.weighted_mean on respondent rows. The published numerator and denominator are Σ w·s and
respondents (HQMNZ wording), so value ≠ numerator/denominator unless the weights average 1: the
rows also carry weight_sum = Σ w (value = numerator / weight_sum) and effective_n = Kish n_eff.

compare: difference from the comparator (nMnP) d = m₁ − m₀, SE = √(v₁ + v₀) with
v = s_w²/n_eff, limits d ∓ t⁻¹(1 − (1−c)/2; ν)·SE with Welch–Satterthwaite
ν = (v₁ + v₀)² / (v₁²/(n_eff₁ − 1) + v₀²/(n_eff₀ − 1)). [I: no NZ or PHE method found]
No ratio: a score out of 10 is a rating, not a count or a rate — "Māori score 0.95 × nMnP's"
means nothing on a 0–10 scale whose zero is just its lowest label, so ratio columns are null.
"""

from __future__ import annotations

import numpy as np
import polars as pl
from scipy.stats import t as student_t

from pipelines.measures.cell_statistics import EQUITY_KEYS, KEYS, ROW_COLUMNS

SUMS = ["numerator", "denominator", "sum_weight", "sum_weight_sq", "sum_weighted_score_sq"]
METHOD = "weighted mean, Student's t on Kish effective sample size"
COMPARE_METHOD = (
    "difference of weighted means, Welch t on Kish effective sample sizes; "
    "no ratio (a ratio of scores out of 10 is not meaningful)"
)
EQUITY_GROUPS = ["maori", "pacific", "asian", "european_other"]


def _summed(cells: pl.DataFrame) -> pl.DataFrame:
    missing = [c for c in SUMS if c not in cells.columns]
    if missing:
        raise ValueError(f"weighted_mean cells need columns {missing} (see this module's docstring)")
    return cells.group_by(KEYS, maintain_order=True).agg(
        *[pl.col(c).cast(pl.Float64).sum() for c in SUMS],
        pl.col("withheld").any(),
        pl.col("blocking_rules").first(),
    )


def _moments(rows: pl.DataFrame) -> pl.DataFrame:
    """value, Kish n_eff, weighted sd and the variance of the mean (null where undefined)."""
    sw, sw2 = pl.col("sum_weight"), pl.col("sum_weight_sq")
    has = (pl.col("denominator") > 0) & (sw > 0)
    value = pl.col("numerator") / sw
    # Σ w(s − m)² = Σ w·s² − (Σ w·s)²/Σw. When every score is equal the difference is rounding
    # noise (~1e-16 of Σ w·s²) that a small-df t quantile would blow up into a visible interval;
    # below 1e-12 of Σ w·s² it is taken as exactly 0. Scores on a 0–10 grid never differ so little.
    sum_sq = pl.col("sum_weighted_score_sq")
    raw_squares = sum_sq - pl.col("numerator") ** 2 / sw
    squares = pl.when(raw_squares <= 1e-12 * sum_sq).then(0.0).otherwise(raw_squares)
    spread = sw - sw2 / sw  # 0 with a single respondent: no variance
    sd = (squares / spread).sqrt()
    n_eff = sw**2 / sw2
    return rows.with_columns(
        pl.when(has).then(value).alias("value"),
        pl.when(has).then(n_eff).alias("n_eff"),
        pl.when(has & (spread > 0)).then(sd).alias("stdev"),
    ).with_columns((pl.col("stdev") ** 2 / pl.col("n_eff")).alias("var_mean"))


def _t(confidence: float, df: pl.Series) -> np.ndarray:
    d = df.to_numpy(allow_copy=True).astype(float)
    with np.errstate(invalid="ignore"):
        q = student_t.ppf(1 - (1 - confidence) / 2, np.where(d > 0, d, np.nan))
    return np.where(np.isfinite(q), q, np.nan)


def compute(cells: pl.DataFrame, measure, confidence: float) -> pl.DataFrame:
    rows = _moments(_summed(cells))
    quantile = pl.Series(_t(confidence, rows["n_eff"] - 1), nan_to_null=True)
    half = pl.lit(quantile) * pl.col("stdev") / pl.col("n_eff").sqrt()
    return rows.with_columns(
        (pl.col("value") - half).alias("lower_ci"),
        (pl.col("value") + half).alias("upper_ci"),
        pl.when(pl.col("value").is_null())
        .then(pl.lit("no respondents"))
        .otherwise(pl.lit(METHOD))
        .alias("method"),
        # value = numerator / weight_sum; effective_n gives the interval's degrees of freedom
        pl.col("sum_weight").alias("weight_sum"),
        pl.col("n_eff").alias("effective_n"),
    ).select(*ROW_COLUMNS, "weight_sum", "effective_n")


def compare(cells: pl.DataFrame, measure, comparator: str, confidence: float) -> pl.DataFrame:
    rows = _moments(_summed(cells)).filter(pl.col("value").is_not_null())
    groups = rows.filter(pl.col("group_id").is_in(EQUITY_GROUPS) & (pl.col("group_id") != comparator))
    base = rows.filter(pl.col("group_id") == comparator).select(
        *EQUITY_KEYS, *[pl.col(c).alias(f"comparator_{c}") for c in ("value", "n_eff", "var_mean")]
    )
    if groups.is_empty():
        return pl.DataFrame()
    paired = groups.join(base, on=EQUITY_KEYS, how="left")
    v1, v0 = pl.col("var_mean"), pl.col("comparator_var_mean")
    welch_df = (v1 + v0) ** 2 / (v1**2 / (pl.col("n_eff") - 1) + v0**2 / (pl.col("comparator_n_eff") - 1))
    paired = paired.with_columns(
        (pl.col("value") - pl.col("comparator_value")).alias("difference"),
        (v1 + v0).sqrt().alias("se"),
        welch_df.alias("welch_df"),
    )
    quantile = pl.Series(_t(confidence, paired["welch_df"].fill_null(np.nan)), nan_to_null=True)
    half = pl.lit(quantile) * pl.col("se")
    return paired.with_columns(
        (pl.col("difference") - half).alias("difference_lowercl"),
        (pl.col("difference") + half).alias("difference_uppercl"),
        *[pl.lit(None, pl.Float64).alias(c) for c in ("ratio", "ratio_lowercl", "ratio_uppercl")],
        pl.lit(COMPARE_METHOD).alias("method"),
    ).select(
        *EQUITY_KEYS,
        "group_id",
        "value",
        "comparator_value",
        "ratio",
        "ratio_lowercl",
        "ratio_uppercl",
        "difference",
        "difference_lowercl",
        "difference_uppercl",
        "method",
    )
