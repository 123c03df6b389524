"""FigureSpec builds the same figure as plotly's incremental API, validated once."""

import plotly.graph_objects as go
import pytest

from pipelines.dashboards.figure_spec import FigureSpec
from pipelines.dashboards.figures import BASE_TEMPLATE


def test_the_same_figure_as_the_incremental_api():
    spec, fig = FigureSpec(), go.Figure()
    spec.add_trace(x=[1, 2], y=[3, None], name="a", line=dict(color="#123456", width=2))
    fig.add_trace(go.Scatter(x=[1, 2], y=[3, None], name="a", line=dict(color="#123456", width=2)))
    spec.add_trace("waterfall", x=["p", "q"], y=[1, -1], measure=["absolute", "relative"])
    fig.add_trace(go.Waterfall(x=["p", "q"], y=[1, -1], measure=["absolute", "relative"]))
    for f in (spec, fig):
        f.add_shape(type="line", x0=1, x1=1, y0=0, y1=1, yref="paper")
        f.add_annotation(x=1, y=1, yref="paper", text="withheld", showarrow=False)
        f.update_layout(template=BASE_TEMPLATE, title=dict(text="T", x=0), margin=dict(t=110))
        # a second update merges into the first, as plotly's does, instead of replacing it
        f.update_layout(title=dict(font=dict(size=16)), margin=dict(b=50), height=460)
    spec.update_layout(xaxis=dict(title=dict(text="Period ending"), type="date"))
    fig.update_xaxes(title_text="Period ending", type="date")
    assert spec.build().to_dict() == fig.to_dict()


def test_a_misspelt_property_is_still_refused_when_built():
    spec = FigureSpec()
    spec.add_trace(x=[1], y=[1], colour="red")
    with pytest.raises(ValueError, match="colour"):
        spec.build()


def test_a_template_named_or_given_as_an_object_comes_out_whole():
    for template in ("plotly_white", BASE_TEMPLATE):
        spec = FigureSpec()
        spec.update_layout(template=template, height=420)
        assert spec.build().to_dict() == go.Figure(layout=dict(template=template, height=420)).to_dict()
