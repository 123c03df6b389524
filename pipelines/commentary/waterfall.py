"""The waterfall chart of one change: last year's value, each part of the change, this year's value.

Parts hidden by suppression are drawn as one bar, "parts suppressed (small counts)", whose size
is the total change less the published parts — already derivable from the published numbers, and
always the sum of at least two hidden parts (decomposition._suppress).
"""

from __future__ import annotations

import polars as pl

from pipelines.dashboards.figure_spec import FigureSpec
from pipelines.dashboards.frames import fmt_number
from pipelines.dashboards.palette import SPC_COLOURS

DECOMPOSITION_TITLES = {
    "ethnic_group": "by ethnic group: rates and population mix (Kitagawa)",
    "condition_group": "by condition group",
    "cause_group": "by cause group",
    "admissions_los": "admissions and length of stay",
}


def waterfall_figure(parts: pl.DataFrame, *, title: str, unit: str, period_label: str,
                     previous_label: str, decimals: int = 1,
                     lower_is_better: bool = True) -> FigureSpec:
    """`parts`: the marts.change_decomposition rows of one district × measure × decomposition ×
    period_end."""
    if parts.is_empty():
        raise ValueError("waterfall_figure: no parts")
    keys = parts.select("measure_id", "decomposition", "district_code", "period_end").unique()
    if keys.height != 1:
        raise ValueError("waterfall_figure: parts of more than one change")
    first = parts.row(0, named=True)
    if first["total_change"] is None:
        raise ValueError("waterfall_figure: the change is suppressed (too few events)")
    shown = parts.filter(~pl.col("suppressed")).sort(pl.col("contribution").abs(), descending=True)
    labels = [previous_label] + shown["label"].to_list()
    values = [first["value_previous"]] + shown["contribution"].to_list()
    measures = ["absolute"] + ["relative"] * shown.height
    hidden = first["total_change"] - sum(shown["contribution"].to_list())
    if parts.filter(pl.col("suppressed")).height:
        labels.append("parts suppressed (small counts)")
        values.append(hidden)
        measures.append("relative")
    labels.append(period_label)
    values.append(first["value_latest"])
    measures.append("total")
    good, bad = SPC_COLOURS["special_cause_improvement"], SPC_COLOURS["special_cause_concern"]
    fig = FigureSpec()
    fig.add_trace(
        "waterfall", x=labels, y=values, measure=measures,
        text=[fmt_number(v, decimals) for v in values], textposition="outside",
        decreasing={"marker": {"color": good if lower_is_better else bad}},
        increasing={"marker": {"color": bad if lower_is_better else good}},
        totals={"marker": {"color": "#56707F"}},
        connector={"line": {"color": "#8A8A8A", "width": 1}},
        hovertemplate="%{x}: %{y:,.1f}<extra></extra>",
    )
    # Start the axis near the values, not at 0, or a change of a few percent cannot be seen.
    levels = [first["value_previous"]]
    for v in values[1:-1]:
        levels.append(levels[-1] + v)
    levels.append(first["value_latest"])
    low, high = min(levels), max(levels)
    pad = max(high - low, abs(high) * 0.02, 1e-9) * 0.25
    fig.update_layout(
        title={"text": title}, yaxis={"range": [max(0.0, low - pad), high + pad], "title": {"text": unit}},
        showlegend=False, template="plotly_white", margin={"l": 60, "r": 20, "t": 60, "b": 120}, height=420,
    )
    return fig
