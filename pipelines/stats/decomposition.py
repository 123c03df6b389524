"""Why did a rate change? Exact additive decompositions of a change between two periods
(pack-methods.md 6). Pure functions on polars frames in long form: one row per group x period x
stratum (or cause), with the two periods named by ``before`` and ``after``. Strata and causes are
joined between periods on their key, never on row order.

* ``kitagawa``: crude rate R = sum_i c_i r_i, c_i = n_i / N (population share of stratum i),
  r_i = x_i / n_i. Between the periods (Kitagawa 1955; Das Gupta 1993 eq. 5.1):
    composition_effect_i = (c_i2 - c_i1) (r_i1 + r_i2) / 2
    rate_effect_i        = (r_i2 - r_i1) (c_i1 + c_i2) / 2
  and sum_i (composition_effect_i + rate_effect_i) = R_2 - R_1 exactly (algebraically; to
  rounding in floating point). The rate effect is the change of a DSR standardised to the average
  of the two compositions. A stratum with no population in one period has no rate there; its
  rate is taken from the other period (a zero rate effect), which leaves the identity exact.
  Per-stratum composition terms are not unique (adding k to every rate moves k (c_i2 - c_i1)
  between strata and leaves their sum unchanged), so read them together.
* ``cause_contributions``: events by cause g with one population per period:
    contribution_g = (X_g2 - X_g1) / N_2 x multiplier,
    population effect = X_1 (1 / N_2 - 1 / N_1) x multiplier,
  summing to R_2 - R_1 (without a population, the counts' changes sum to the total change).
* ``product_change``: a value that is the product of two factors (acute bed-day rate = admission
  rate x mean length of stay): effect_a = (a_2 - a_1)(b_1 + b_2)/2, effect_b = (b_2 - b_1)(a_1 + a_2)/2,
  summing to a_2 b_2 - a_1 b_1.
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from pipelines.stats._frames import group_keys, require_columns

__all__ = ["kitagawa", "cause_contributions", "product_change", "POPULATION_EFFECT"]

POPULATION_EFFECT = "population change"


def _two_periods(
    df: pl.DataFrame, period: str, before: object, after: object, keys: list[str], key: str, values: list[str]
) -> pl.DataFrame:
    """One row per (keys, key) with ``<value>_before`` and ``<value>_after``, outer-joined on the key."""
    require_columns(df, period, key, *keys, *values)
    if df.select([*keys, period, key]).is_duplicated().any():
        raise ValueError(f"{key!r} repeats within a group and period")
    found = set(df.get_column(period).unique().to_list())
    missing = [p for p in (before, after) if p not in found]
    if missing:
        raise ValueError(f"period(s) {missing} not in column {period!r}")

    def side(label: object, suffix: str) -> pl.DataFrame:
        rows = df.filter(pl.col(period) == label).select([*keys, key, *values])
        return rows.rename({v: f"{v}_{suffix}" for v in values})

    joined = side(before, "before").join(
        side(after, "after"),
        on=[*keys, key],
        how="full",
        coalesce=True,
        nulls_equal=True,
        maintain_order="left_right",
    )
    return joined.with_columns(
        [pl.col(f"{v}_{s}").cast(pl.Float64).fill_null(0.0) for v in values for s in ("before", "after")]
    )


def kitagawa(
    df: pl.DataFrame,
    stratum: str,
    events: str,
    population: str,
    period: str,
    before: object,
    after: object,
    group_by: Sequence[str] | None = None,
    multiplier: float = 100_000,
) -> pl.DataFrame:
    """Kitagawa's split of the change in a crude rate per stratum (see the module docstring).

    Returns one row per group x stratum: share_before/after, rate_before/after (x multiplier),
    composition_effect, rate_effect, total_effect (their sum), and per group crude_before,
    crude_after and change (= crude_after - crude_before = the group's sum of total_effect).
    ``group_by=None`` = the whole frame is one group.
    """
    keys = group_keys(group_by)
    wide = _two_periods(df, period, before, after, keys, stratum, [events, population])
    pops = [f"{population}_before", f"{population}_after"]
    if wide.select((pl.col(p) < 0).any() for p in pops).row(0) != (False, False) or (
        wide.select((pl.col(f"{events}_{s}") < 0).any() for s in ("before", "after")).row(0) != (False, False)
    ):
        raise ValueError("events and populations must be >= 0")

    def over(expr: pl.Expr) -> pl.Expr:
        return expr.over(keys) if keys else expr

    out = wide
    for s in ("before", "after"):
        x, n = pl.col(f"{events}_{s}"), pl.col(f"{population}_{s}")
        total = over(n.sum())
        out = out.with_columns(
            (n / total).alias(f"share_{s}"),
            pl.when(n > 0).then(x / n * multiplier).otherwise(None).alias(f"rate_{s}"),
            (over(x.sum()) / total * multiplier).alias(f"crude_{s}"),
        )
    if out.select(pl.col("crude_before").is_nan().any() | pl.col("crude_after").is_nan().any()).item():
        raise ValueError("a group has no population in one of the periods")
    # A stratum empty in one period borrows the other period's rate (its share there is 0).
    r1 = pl.coalesce("rate_before", "rate_after")
    r2 = pl.coalesce("rate_after", "rate_before")
    c1, c2 = pl.col("share_before"), pl.col("share_after")
    out = out.with_columns(
        ((c2 - c1) * (r1 + r2) / 2).alias("composition_effect"),
        ((r2 - r1) * (c1 + c2) / 2).alias("rate_effect"),
    ).with_columns(
        (pl.col("composition_effect") + pl.col("rate_effect")).alias("total_effect"),
        (pl.col("crude_after") - pl.col("crude_before")).alias("change"),
    )
    return out.select(
        *keys,
        stratum,
        "share_before",
        "share_after",
        "rate_before",
        "rate_after",
        "composition_effect",
        "rate_effect",
        "total_effect",
        "crude_before",
        "crude_after",
        "change",
    )


def cause_contributions(
    df: pl.DataFrame,
    cause: str,
    events: str,
    period: str,
    before: object,
    after: object,
    population: str | None = None,
    group_by: Sequence[str] | None = None,
    multiplier: float = 100_000,
) -> pl.DataFrame:
    """Additive contribution of each cause to the change of a count or a rate.

    Without ``population``: contribution = events_after - events_before per cause, summing to the
    change of the total count. With ``population`` (one value per group and period, repeated on
    each cause row; differing values raise): contribution = (X_g2 - X_g1) / N_2 x multiplier, plus
    one row per group with ``cause`` = "population change" carrying X_1 (1/N_2 - 1/N_1) x
    multiplier; the contributions then sum to the change of the rate. Returns the group keys,
    cause, events_before, events_after, contribution, and per group total_before, total_after and
    change.
    """
    keys = group_keys(group_by)
    wide = _two_periods(df, period, before, after, keys, cause, [events])
    wide = wide.rename({f"{events}_before": "events_before", f"{events}_after": "events_after"})

    def over(expr: pl.Expr) -> pl.Expr:
        return expr.over(keys) if keys else expr

    if population is None:
        out = wide.with_columns((pl.col("events_after") - pl.col("events_before")).alias("contribution"))
        out = out.with_columns(
            over(pl.col("events_before").sum()).alias("total_before"),
            over(pl.col("events_after").sum()).alias("total_after"),
        )
        return out.with_columns((pl.col("total_after") - pl.col("total_before")).alias("change"))

    require_columns(df, population)
    pops = df.group_by([*keys, period], maintain_order=True).agg(
        pl.col(population).cast(pl.Float64).n_unique().alias("distinct"),
        pl.col(population).cast(pl.Float64).first().alias("pop"),
    )
    if (pops.get_column("distinct") > 1).any():
        raise ValueError(f"{population!r} must be one value per group and period")
    if (pops.get_column("pop") <= 0).any():
        raise ValueError(f"{population!r} must be greater than zero")

    def pop_of(label: object, name: str) -> pl.DataFrame:
        return pops.filter(pl.col(period) == label).select(*keys, pl.col("pop").alias(name))

    if keys:
        populations = pop_of(before, "n_before").join(
            pop_of(after, "n_after"), on=keys, how="full", coalesce=True, nulls_equal=True
        )
        joined = wide.join(populations, on=keys, how="left", nulls_equal=True, maintain_order="left")
    else:
        populations = pop_of(before, "n_before").hstack(pop_of(after, "n_after"))
        joined = wide.join(populations, how="cross")
    if joined.select(pl.col("n_before").is_null().any() | pl.col("n_after").is_null().any()).item():
        raise ValueError("every group needs a population in both periods")
    n1, n2 = pl.col("n_before"), pl.col("n_after")
    joined = joined.with_columns(
        ((pl.col("events_after") - pl.col("events_before")) / n2 * multiplier).alias("contribution"),
        (over(pl.col("events_before").sum()) / n1 * multiplier).alias("total_before"),
        (over(pl.col("events_after").sum()) / n2 * multiplier).alias("total_after"),
        over(pl.col("events_before").sum()).alias("__x1"),
    )
    # The pure denominator effect: last period's events over the new population minus the old.
    growth = joined.unique(subset=keys or None, keep="first", maintain_order=True) if keys else joined.head(1)
    growth = growth.with_columns(
        pl.lit(POPULATION_EFFECT).alias(cause),
        pl.lit(None, pl.Float64).alias("events_before"),
        pl.lit(None, pl.Float64).alias("events_after"),
        (pl.col("__x1") * (1 / n2 - 1 / n1) * multiplier).alias("contribution"),
    )
    columns = [*keys, cause, "events_before", "events_after", "contribution", "total_before", "total_after"]
    body = joined.with_columns(pl.col(cause).cast(pl.String)).select(columns)
    out = pl.concat([body, growth.select(columns)], how="vertical_relaxed")
    if keys:  # keep each group's causes together, its population row last
        out = (
            out.with_columns(pl.int_range(pl.len()).alias("__i"))
            .sort(pl.col("__i").min().over(keys), "__i")
            .drop("__i")
        )
    return out.with_columns((pl.col("total_after") - pl.col("total_before")).alias("change"))


def product_change(
    df: pl.DataFrame,
    factor_a: str,
    factor_b: str,
    period: str,
    before: object,
    after: object,
    group_by: Sequence[str] | None = None,
) -> pl.DataFrame:
    """Split the change of a product a x b (e.g. admission rate x mean length of stay) into
    effect_a = (a_2 - a_1)(b_1 + b_2)/2 and effect_b = (b_2 - b_1)(a_1 + a_2)/2, which sum to
    a_2 b_2 - a_1 b_1. One row per group and period in ``df``; returns the group keys, the factors
    before/after, value_before/after, effect_a (named ``<factor_a>_effect``), effect_b and change."""
    keys = group_keys(group_by)
    require_columns(df, factor_a, factor_b, period, *keys)
    marker = "__one"
    data = df.with_columns(pl.lit(1).alias(marker))
    wide = _two_periods(data, period, before, after, keys, marker, [factor_a, factor_b])
    a1, a2 = pl.col(f"{factor_a}_before"), pl.col(f"{factor_a}_after")
    b1, b2 = pl.col(f"{factor_b}_before"), pl.col(f"{factor_b}_after")
    return wide.drop(marker).with_columns(
        (a1 * b1).alias("value_before"),
        (a2 * b2).alias("value_after"),
        ((a2 - a1) * (b1 + b2) / 2).alias(f"{factor_a}_effect"),
        ((b2 - b1) * (a1 + a2) / 2).alias(f"{factor_b}_effect"),
        (a2 * b2 - a1 * b1).alias("change"),
    )
