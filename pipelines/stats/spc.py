"""XmR statistical process control as NHS England "Making Data Count" via NHSRplotthedots 0.2.2.

Per group, points ordered by date:
* mean of the "fixed" values (the first ``fix_after_n_points`` points, or all);
* moving ranges |y_i - y_{i-1}| over the fixed values, AMR = their mean; with outlier screening
  (default, as ``ptd_spc``) moving ranges >= 3.267 AMR are dropped and AMR recomputed once;
* process limits mean -/+ 2.66 AMR, near limits mean -/+ (2/3) 2.66 AMR;
* every point is tested against the limits, including those after the fixed period.
Rules (priority outside > trend > two-in-three > shift):
1. outside the process limits (strict);
2. 7-point trend: 6 successive strictly increasing (or decreasing) differences, all 7 flagged;
3. 2 of 3 consecutive points between the near and process limits, all 3 on the same side of the
   mean; only the close points are flagged;
4. shift: 7 or more consecutive points on the same side of the mean (a point on the mean breaks
   the run), all flagged.
point_type is special_cause_improvement/concern by the rule's direction times the improvement
direction, special_cause_neutral_high/low when the direction is neutral, else common_cause (whose
rule label is "Common cause", never null).
Groups with fewer than 13 points get ``short_group_warning`` (PTD warns at the same threshold).

Making Data Count icons (pack-methods.md 3.1-3.2), per group from its **last** point:
* variation: common_cause; improvement_high|low, concern_high|low, neutral_high|low, where high/low
  is the side of the last point's signal (so improvement with direction "decrease" is
  improvement_low, concern with direction "increase" is concern_low), as PTD's icons;
* assurance against a target T with the last process limits: direction increase: T > upl ->
  consistently_fail, T < lpl -> consistently_pass, else hit_and_miss; direction decrease: the
  reverse; none without a target or with direction neutral. Strict inequalities as PTD and the
  Power BI SPC visual; ``target_on_limit="pass_or_fail"`` applies MDC's "T >= UPL" wording instead.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import polars as pl

from pipelines.stats._frames import group_keys, require_columns

__all__ = [
    "spc",
    "spc_icons",
    "COMMON_CAUSE",
    "LIMIT",
    "NEAR_LIMIT",
    "SCREEN_FACTOR",
    "SHORT_GROUP_POINTS",
    "ASSURANCE_ICONS",
    "VARIATION_ICONS",
]

LIMIT = 2.66
NEAR_LIMIT = 2 * LIMIT / 3
SCREEN_FACTOR = 3.267
SHORT_GROUP_POINTS = 13
_RUN = 7
_DIRECTIONS = {"increase": 1, "decrease": -1, "neutral": 0}
COMMON_CAUSE = "Common cause"
VARIATION_ICONS = (
    "common_cause",
    "improvement_high",
    "improvement_low",
    "concern_high",
    "concern_low",
    "neutral_high",
    "neutral_low",
)
ASSURANCE_ICONS = ("consistently_pass", "consistently_fail", "hit_and_miss")
_TARGET = "target"


def _limits(y: np.ndarray, fix_after: int | None, screen: bool) -> tuple[float, float]:
    fixed = y if fix_after is None else y[:fix_after]
    centre = float(np.mean(fixed))
    ranges = np.abs(np.diff(fixed))
    if ranges.size == 0:
        return centre, float("nan")
    amr = float(np.mean(ranges))
    if screen:
        kept = ranges[ranges < SCREEN_FACTOR * amr]
        amr = float(np.mean(kept)) if kept.size else float("nan")
    return centre, amr


def _runs_flag(values: np.ndarray, length: int) -> np.ndarray:
    """Flag every member of a run of >= ``length`` equal non-zero values."""
    flags = np.zeros(values.size, dtype=bool)
    start = 0
    for i in range(1, values.size + 1):
        if i == values.size or values[i] != values[start]:
            if values[start] != 0 and i - start >= length:
                flags[start:i] = True
            start = i
    return flags


def _trend(y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Points in any 7-point monotone run, and each flagged point's direction (+1 / -1)."""
    steps = np.sign(np.diff(y))
    flags = np.zeros(y.size, dtype=bool)
    for end in range(_RUN - 1, y.size):
        window = steps[end - _RUN + 1 : end]
        if np.all(window == 1) or np.all(window == -1):
            flags[end - _RUN + 1 : end + 1] = True
    direction = np.zeros(y.size)
    for i in np.flatnonzero(flags):
        # Direction towards the next point while the trend continues, else from the previous one.
        if i + 1 < y.size and flags[i + 1]:
            direction[i] = steps[i]
        else:
            direction[i] = steps[i - 1]
    return flags, direction


def _two_in_three(close: np.ndarray, side: np.ndarray) -> np.ndarray:
    close = close.astype(bool)
    flags = np.zeros(close.size, dtype=bool)
    for start in range(close.size - 2):
        window = slice(start, start + 3)
        if close[window].sum() >= 2 and abs(side[window].sum()) == 3:
            flags[window] |= close[window]
    return flags


def _label_points(y, side, outside, close) -> list[str | None]:
    trend, trend_direction = _trend(y)
    two_of_three = _two_in_three(close, side)
    shift = _runs_flag(side, _RUN)
    labels: list[str | None] = []
    for i in range(y.size):
        above = side[i] == 1
        if outside[i]:
            labels.append("Above UCL" if above else "Below LCL")
        elif trend[i]:
            rising = trend_direction[i] > 0
            labels.append(f"7 Point Trend ({'Increasing' if rising else 'Decreasing'})")
        elif two_of_three[i]:
            labels.append(f"2 in 3 {'Above' if above else 'Below'} CL")
        elif shift[i]:
            labels.append(f"7 Points {'Above' if above else 'Below'} CL")
        else:
            labels.append(COMMON_CAUSE)
    return labels


def _rule_sign(label: str) -> int:
    return 1 if ("Above" in label or "Increasing" in label) else -1


def _point_type(label: str, direction: int) -> str:
    if label == COMMON_CAUSE:
        return "common_cause"
    sign = _rule_sign(label)
    if direction == 0:
        return f"special_cause_neutral_{'high' if sign > 0 else 'low'}"
    return "special_cause_improvement" if sign * direction > 0 else "special_cause_concern"


def _assurance(
    target: float | None, lpl: float, upl: float, direction: int, on_limit_counts: bool
) -> str | None:
    if target is None or direction == 0 or np.isnan(upl):
        return None
    above = target >= upl if on_limit_counts else target > upl
    below = target <= lpl if on_limit_counts else target < lpl
    if above:
        return "consistently_fail" if direction > 0 else "consistently_pass"
    if below:
        return "consistently_pass" if direction > 0 else "consistently_fail"
    return "hit_and_miss"


def _variation_icon(label: str, point_type: str) -> str:
    """PTD's icon for the last point: the kind of signal and the side it is on."""
    if point_type == "common_cause":
        return "common_cause"
    kind = point_type.removeprefix("special_cause_").split("_")[0]
    return f"{kind}_{'high' if _rule_sign(label) > 0 else 'low'}"


def _one_group(y: np.ndarray, fix_after, screen, direction) -> dict:
    """One series' chart: per-point arrays and the series' limits."""
    centre, amr = _limits(y, fix_after, screen)
    lpl, upl = centre - LIMIT * amr, centre + LIMIT * amr
    near_lpl, near_upl = centre - NEAR_LIMIT * amr, centre + NEAR_LIMIT * amr
    outside = (y > upl) | (y < lpl)
    side = np.sign(y - centre)
    close = ~outside & ((y < near_lpl) | (y > near_upl))
    labels = _label_points(y, side, outside, close)
    types = [_point_type(label, direction) for label in labels]
    return {"limits": (centre, amr, lpl, upl, near_lpl, near_upl), "outside": outside, "side": side,
            "close": close, "labels": labels, "types": types,
            "icon": _variation_icon(labels[-1], types[-1])}


def _group_bounds(ordered: pl.DataFrame, keys: list[str]) -> np.ndarray:
    """Start offsets of each group of a frame sorted by `keys` (groups are contiguous), then its length."""
    if not keys:
        return np.array([0, ordered.height])
    firsts = (ordered.select(keys).with_row_index("_i").group_by(keys, maintain_order=True)
              .agg(pl.col("_i").first()).get_column("_i").to_numpy())
    return np.append(np.sort(firsts), ordered.height)


def spc(
    df: pl.DataFrame,
    value: str,
    date: str | None = None,
    group_by: Sequence[str] | None = None,
    improvement_direction: str = "increase",
    fix_after_n_points: int | None = None,
    screen_outliers: bool = True,
    target: float | str | None = None,
    target_on_limit: str = "hit_and_miss",
) -> pl.DataFrame:
    """XmR chart columns per group (None = one series).

    Rows are ordered by group then ``date``; with ``date=None`` the frame is a plain ordered series
    and its row order within each group is kept. ``target`` is a number, a column name (e.g. a
    milestone per district; the group's last non-null value is used) or None.

    Returns the input columns plus mean, amr, lpl, upl, near_lpl, near_upl, outside_limits,
    relative_to_mean (-1/0/1), close_to_limits, special_cause_rule (PTD's label, "Common cause"
    for a point no rule flags), point_type, short_group_warning, variation_icon (the group's
    icon, from its last point) and, when a target is given, ``target`` and ``assurance``
    (consistently_pass / consistently_fail / hit_and_miss; null for direction "neutral").
    ``target_on_limit``: "hit_and_miss" (PTD: a target exactly on a limit) or "pass_or_fail"
    (MDC's written "target >= UPL").
    """
    keys = group_keys(group_by)
    require_columns(df, value, date, *keys)
    if improvement_direction not in _DIRECTIONS:
        raise ValueError("improvement_direction must be 'increase', 'decrease' or 'neutral'")
    if fix_after_n_points is not None and fix_after_n_points < 12:
        raise ValueError("fix_after_n_points must be at least 12")
    if target_on_limit not in ("hit_and_miss", "pass_or_fail"):
        raise ValueError("target_on_limit must be 'hit_and_miss' or 'pass_or_fail'")
    if df.get_column(value).cast(pl.Float64).fill_nan(None).null_count():
        raise ValueError(f"column {value!r} has missing values")
    if df.is_empty():
        raise ValueError("spc needs at least one point")
    data = df
    if isinstance(target, str):
        require_columns(df, target)
        data = df.with_columns(pl.col(target).cast(pl.Float64).alias(_TARGET))
    elif target is not None:
        data = df.with_columns(pl.lit(float(target)).alias(_TARGET))
    order = [*keys, date] if date is not None else keys
    ordered = data.sort(order, maintain_order=True) if order else data
    direction = _DIRECTIONS[improvement_direction]
    on_limit_counts = target_on_limit == "pass_or_fail"
    # Every series charted from slices of one array, and the columns built once: a frame per
    # series cost ~1 ms of polars overhead, seconds for the thousands of series of a pack.
    y_all = ordered.get_column(value).cast(pl.Float64).to_numpy()
    targets = ordered.get_column(_TARGET) if _TARGET in ordered.columns else None
    bounds = _group_bounds(ordered, keys)
    sizes = np.diff(bounds)
    limits, outside, side, close, labels, types, icons, assurance = [], [], [], [], [], [], [], []
    for a, b in zip(bounds[:-1], bounds[1:], strict=True):
        chart = _one_group(y_all[a:b], fix_after_n_points, screen_outliers, direction)
        limits.append(chart["limits"])
        outside.append(chart["outside"])
        side.append(chart["side"])
        close.append(chart["close"])
        labels += chart["labels"]
        types += chart["types"]
        icons.append(chart["icon"])
        if targets is not None:
            given = targets.slice(a, b - a).drop_nulls()
            target_value = None if given.is_empty() else float(given[-1])
            _, _, lpl, upl, _, _ = chart["limits"]
            assurance.append(_assurance(target_value, lpl, upl, direction, on_limit_counts))
    per_point = np.repeat(np.array(limits, dtype=np.float64).reshape(-1, 6), sizes, axis=0)
    columns = [
        pl.Series("mean", per_point[:, 0]),
        *(pl.Series(name, per_point[:, i]).fill_nan(None)
          for i, name in enumerate(("amr", "lpl", "upl", "near_lpl", "near_upl"), start=1)),
        pl.Series("outside_limits", np.concatenate(outside).astype(bool)),
        pl.Series("relative_to_mean", np.concatenate(side).astype(np.int8)),
        pl.Series("close_to_limits", np.concatenate(close).astype(bool)),
        pl.Series("special_cause_rule", labels, dtype=pl.String),
        pl.Series("point_type", types, dtype=pl.String),
        pl.Series("short_group_warning", np.repeat(sizes < SHORT_GROUP_POINTS, sizes)),
        pl.Series("variation_icon", np.repeat(np.array(icons, dtype=object), sizes), dtype=pl.String),
    ]
    if targets is not None:
        columns.append(pl.Series("assurance", np.repeat(np.array(assurance, dtype=object), sizes),
                                 dtype=pl.String))
    return ordered.with_columns(columns)


def spc_icons(charted: pl.DataFrame, value: str, group_by: Sequence[str] | None = None) -> pl.DataFrame:
    """One row per group of an ``spc`` result: the group keys, ``points``, and from the last point
    ``value``, special_cause_rule, point_type, mean, lpl, upl, short_group_warning, variation_icon
    and (if the chart had a target) target and assurance."""
    keys = group_keys(group_by)
    require_columns(charted, value, "variation_icon", *keys)
    columns = [value, "special_cause_rule", "point_type", "mean", "lpl", "upl", "short_group_warning"]
    columns += ["variation_icon"] + [c for c in (_TARGET, "assurance") if c in charted.columns]
    exprs = [pl.len().alias("points")] + [pl.col(c).last() for c in columns]
    return charted.group_by(keys, maintain_order=True).agg(exprs) if keys else charted.select(exprs)
