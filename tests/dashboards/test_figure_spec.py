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


def test_every_figure_on_the_pack_pages_validates_and_is_written_as_validated(tmp_path, monkeypatch):
    """The pages write FigureSpecs without building a go.Figure. On a whole pack (six SLMs,
    milestones, SPC points: trend, forest, equity, spine and SPC charts), every such figure must
    pass plotly's validation, and the figure JSON written must equal what the validated figure
    writes (parsed: key order may differ, values may not)."""
    import json
    import re

    from conftest import synthetic_marts
    from test_pack_browser import SIX, _quarterly

    from pipelines.dashboards import build_dashboards, render
    from pipelines.dashboards.targets import EXAMPLE_TARGETS, load_targets

    specs = []
    real = render.figure_html

    def recording(fig, div_id):
        if isinstance(fig, FigureSpec):
            specs.append((div_id, fig))
        return real(fig, div_id)

    monkeypatch.setattr(render, "figure_html", recording)
    measures, equity, trend, dq = synthetic_marts(n_districts=4, n_quarters=14, all_six=True)
    build_dashboards(measures, equity, trend, dq, tmp_path, "2025Q2",
                     targets=load_targets(EXAMPLE_TARGETS, SIX),
                     points=_quarterly(["011", "021", "022", "023", "000"]), workers=1)
    kinds = {div_id.split("-")[0] if not div_id.startswith("pack-") else div_id.split("-")[1]
             for div_id, _ in specs}
    assert {"trend", "forest", "equity", "spine", "spc"} <= kinds

    def figure_json(html: str) -> list:
        call = re.search(r'Plotly\.newPlot\(\s*"[^"]+",\s*', html)
        decoder, at, args = json.JSONDecoder(), call.end(), []
        for _ in range(2):                      # data, layout
            value, at = decoder.raw_decode(html, at)
            args.append(value)
            at = html.index(",", at) + 1 if len(args) < 2 else at
            while html[at] in " \n":
                at += 1
        return args

    for div_id, spec in specs:
        validated = spec.build()                # raises on anything plotly refuses
        kwargs = dict(full_html=False, include_plotlyjs=False, div_id=div_id)
        assert figure_json(spec.to_html(**kwargs)) == figure_json(validated.to_html(**kwargs)), div_id
