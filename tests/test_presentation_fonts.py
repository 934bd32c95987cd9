"""Presentation mode's chart type: every text a chart draws is at least 16 px (axis ticks were about 11 px)."""

from __future__ import annotations

import plotly.graph_objects as go

from dashboard.charts import theme
from dashboard.charts import whatif as whatif_charts
from dashboard.metrics import whatif


def _sizes(fig: go.Figure) -> list[float]:
    """Every explicit font size in the figure's JSON (layout, axes, traces, annotations)."""
    found: list[float] = []

    def walk(node: object, key: str = "") -> None:
        if isinstance(node, dict):
            for k, v in node.items():
                walk(v, k)
        elif isinstance(node, list):
            for item in node:
                walk(item, key)
        elif key == "size" and isinstance(node, int | float):
            found.append(node)

    spec = fig.to_plotly_json()
    for trace in spec["data"]:
        for name in ("textfont", "insidetextfont", "outsidetextfont"):
            walk(trace.get(name, {}))
    walk({k: v for k, v in spec["layout"].items() if k != "template"})
    return found


def test_every_chart_text_is_at_least_16_px_in_presentation():
    lever = whatif.Lever("e_billing", "E-billing", current=0.16, best_in_class=0.84, saving=11.0)
    frame = whatif.breakdown([lever], 1000, {"e_billing": 0.84})
    # as charts are built for the screen: bar labels at 14 and 15, a note at 12, a Sankey at 14
    small = theme.styled(
        go.Figure(
            [
                go.Bar(x=["a"], y=[1], text=["1"], textfont={"size": 14}, outsidetextfont={"size": 15}),
                go.Sankey(node={"label": ["x", "y"]}, link={"source": [0], "target": [1], "value": [1]}, textfont={"size": 14}),
            ]
        )
    )
    small.add_annotation(text="note", x=0, y=0, font={"size": 12})
    assert min(_sizes(small)) == 12
    for fig in (small, whatif_charts.waterfall(frame), whatif_charts.projection(whatif.projection(frame), 3)):
        enlarged = theme.presentation_fonts(go.Figure(fig))
        assert min(_sizes(enlarged)) >= theme.PRESENTATION_MIN_PX, _sizes(enlarged)
        assert enlarged.layout.xaxis.tickfont.size == enlarged.layout.yaxis.tickfont.size == 19
        assert enlarged.layout.xaxis.title.font.size == 19


def test_presentation_draws_no_colour_bar_a_chart_does_not_have():
    # a plain bar chart has no colour bar; a heatmap keeps its own, with its ticks enlarged
    bars = theme.presentation_fonts(go.Figure([go.Bar(x=["a"], y=[1], marker_color="#C0392B")]))
    assert "colorbar" not in bars.to_plotly_json()["data"][0].get("marker", {})
    heat = theme.presentation_fonts(go.Figure([go.Heatmap(z=[[1, 2]], colorbar={"title": {"text": "Mean"}})]))
    assert heat.data[0].colorbar.tickfont.size == 19
