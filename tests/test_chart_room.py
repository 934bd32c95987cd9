"""Room for the axis labels (charts.room): margins worked out on the server, so plotly.js draws a chart once.

The browser test (tests/browser/test_browser_chart_room.py) checks on every page that plotly.js pushes no margin past
these; here the arithmetic is checked by hand and every chart of the app is read without an error.
"""

from __future__ import annotations

import math

import pandas as pd
import plotly.graph_objects as go
import pytest

from dashboard.charts import overview, room
from dashboard.ui import present
from tests.test_chart_colours import FIGURES

Y_TITLE = room.Y_STANDOFF_PX + 0.8 * room.AXIS_TITLE_PX
"""What a one-line y-axis title adds: the standoff and the rotated line."""


def y_margin(widest_em: float, size: float = room.TICK_PX, title: bool = False) -> int:
    """The margin a y axis needs by hand: pad, gap, its widest label (in font sizes) at size, its title, plotly's own
    12 px and the spare."""
    title_px = Y_TITLE if title else 0
    return math.ceil(room.PLOT_PAD_PX + (room.LABEL_GAP + widest_em) * size + title_px + room.PUSH_PAD_PX + room.SPARE_PX)


def test_text_is_as_wide_as_streamlits_chart_font_draws_it():
    # "advocate": a .50 + d .55 + v .47 + o .54 + c .46 + a .50 + t .34 + e .50 = 3.86 font sizes; Chromium drew 48.7 px
    assert room.text_px("advocate", 12.75) == pytest.approx(3.86 * 12.75)
    # tags are not drawn; a <br> starts a line, and the widest line counts
    # "loyal": l .25 o .54 y .47 a .50 l .25 = 2.01 (Chromium: 25.5 px at 12.75)
    assert room.text_px("<b>loyal</b>", 10) == room.text_px("loyal", 10) == pytest.approx(2.01 * 10)
    assert room.text_px("a<br>advocate", 10) == pytest.approx(38.6)
    assert room.text_px("€", 10) == pytest.approx(room.WIDE * 10)  # outside ASCII: a wide character


def test_the_overview_trend_gets_the_margins_its_labels_need():
    months = pd.date_range("2024-01-01", periods=12, freq="MS")
    trend = pd.DataFrame({"month": months, "revenue": [18e6] + [1e6] * 11, "contacts": [52_000] + [100] * 11})
    made = room.changes(overview.monthly_trend.__wrapped__(trend).to_plotly_json())
    # left: the revenue axis' widest tick is "$18.9M" (18M padded by 5 %): $ 1+8 .5 each, . .25, M .73 = 2.98 sizes
    left = y_margin(2.98, title=True)
    # right: contacts ",.0f": "54,600" = five digits .5 and a comma .25 = 2.75 sizes, then "Contacts" as title
    right = y_margin(2.75, title=True)
    # bottom: ticks, one line of months; no title
    bottom = room.PLOT_PAD_PX + room.X_TICK_LEN_PX + 4 + room.LINE_HEIGHT * room.TICK_PX + room.PUSH_PAD_PX
    assert made["margin"] == {"l": left, "r": right, "t": made["margin"]["t"], "b": 50}
    assert bottom < 50  # the default bottom margin already holds the months
    # the contacts axis stands at the plot's edge, its labels in the right margin (make_subplots had left 6 % for it)
    assert made["xaxis"] == {"domain": [0.0, 1.0]}


def test_stacked_bars_make_room_for_the_tallest_stack_and_negative_values_for_the_minus_sign():
    fig = go.Figure(
        [go.Bar(x=["a", "b"], y=[6_000, 100], name="one"), go.Bar(x=["a", "b"], y=[6_000, -2], name="two")],
        layout={"barmode": "stack", "yaxis": {"tickformat": ",.0f"}},
    )
    made = room.changes(fig.to_plotly_json())
    # "12,600" (6,000 + 6,000, padded): five digits and a comma, 2.75 sizes; "−2" is narrower
    assert made["margin"]["l"] == y_margin(2.75)


def test_horizontal_bars_make_room_for_the_longest_category_and_presentation_type_for_more():
    fig = go.Figure(go.Bar(y=["first purchase", "loyal"], x=[3, 4], orientation="h"), layout={"title": {"text": "Stages"}})
    made = room.changes(fig.to_plotly_json())
    # "first purchase": f .29 i .25 r .35 s .42 t .34, space .2, p .55 u .54 r .35 c .46 h .54 a .5 s .42 e .5 = 5.71
    assert made["margin"]["l"] == y_margin(5.71)
    larger = present.enlarged(go.Figure(fig).update_layout(margin=made["margin"]))
    assert larger.layout.margin.l == y_margin(5.71, present.CHART_FONT_SIZE - 2)  # ticks at the body size − 2


def test_a_colour_bar_or_a_format_not_read_here_leaves_that_room_to_plotly():
    heat = go.Figure(go.Heatmap(z=[[1, 2]], x=["a", "b"], y=["row"]))
    assert room.changes(heat.to_plotly_json())["margin"]["r"] == room.PUSH_PAD_PX  # the colour bar's room: plotly's
    odd = go.Figure(go.Scatter(x=[1, 2], y=[1, 2]), layout={"yaxis": {"tickformat": ".2r"}, "margin": {"l": 33}})
    made = room.changes(odd.to_plotly_json())
    assert made["margin"]["l"] == 33  # the figure's own left margin stands; plotly makes room
    assert room.changes(go.Figure(go.Pie(values=[1, 2])).to_plotly_json()) is None  # no axes, nothing to do


def test_a_figure_that_cannot_be_read_keeps_its_margins_and_is_drawn():
    assert room.changes({"data": [{"type": "bar", "y": object()}], "layout": {"yaxis": 5}}) is None
    figure = {"data": [{"type": "bar", "y": [1]}], "layout": {"yaxis": 5}}
    assert room.with_room(figure) is figure


@pytest.mark.parametrize("name", list(FIGURES))
def test_every_chart_of_the_app_is_read_and_never_loses_room(name: str):
    figure = FIGURES[name].to_plotly_json()
    made = room._room(figure)  # not the guarded room.changes(): a chart this module cannot read is a failure here
    if made is None:
        return
    given = {**room.DEFAULT_MARGIN, **{k: v for k, v in (figure["layout"].get("margin") or {}).items() if k in "lrtb"}}
    assert all(made["margin"][side] >= given[side] for side in "lrtb")
    assert all(made["margin"][side] < 400 for side in "lrtb")  # room for labels, never the plot given away


def test_a_legend_under_the_plot_gets_its_rows_below_the_axis():
    two = [
        go.Bar(x=[1, 2], y=["a", "b"], orientation="h", name="Adoption today"),
        go.Scatter(x=[1], y=["a"], name="Best-in-class"),
    ]
    legend = {"orientation": "h", "y": -0.12, "yanchor": "top", "x": 0}
    fig = go.Figure(two, layout={"height": 586, "margin": {"t": 60}, "legend": legend})
    # one row: "Adoption today" (6.46 sizes) and "Best-in-class" (5.32) at 12.75 px, each with its 45-px symbol, are
    # 240 px, under LEGEND_PX;
    # plotly.js wants the legend (10 px + a 20-px row) and its 12 px below 0.12 of the plot's height, which is what
    # the margins leave of 586 px: b = (row + 0.12 × (586 − 60)) / 1.12
    row = 10 + room.LEGEND_ROW * room.TICK_PX + room.PUSH_PAD_PX + room.SPARE_PX
    assert room.changes(fig.to_plotly_json())["margin"]["b"] == math.ceil((row + 0.12 * (586 - 60)) / 1.12)
    # ten channels would take more than two rows at LEGEND_PX: left to plotly.js, the bottom margin is the axis'
    many = go.Figure([go.Bar(x=["a"], y=[1], name=f"channel {i}") for i in range(10)], layout={"height": 500, "legend": legend})
    assert room.changes(many.to_plotly_json())["margin"]["b"] == 50


def test_a_full_width_figure_lays_its_legend_out_in_the_width_it_names():
    """The journey map's ten channels ("channel 0": c .46 h .54 a .50 n .55 n .55 e .50 l .25, space .20, 0 .50 =
    4.05 font sizes, 51.6 px at 12.75, 96.6 with its symbol) fit 6 a row in the 580 px its meta names: two rows, so
    the room is made (at LEGEND_PX, three: left to plotly.js); a line in a legend of its own (legend2) is not counted."""
    legend = {"orientation": "h", "y": -0.12, "yanchor": "top", "x": 0}
    channels = [go.Bar(x=["a"], y=[1], name=f"channel {i}") for i in range(10)]
    own = go.Scatter(x=["a"], y=[1], name="Satisfaction (higher is better), a long name", legend="legend2")
    layout = {"height": 500, "margin": {"t": 60}, "legend": legend, "meta": {"legend_px": 580}}
    fig = go.Figure([*channels, own], layout=layout)
    rows = 10 + 2 * room.LEGEND_ROW * room.TICK_PX + room.PUSH_PAD_PX + room.SPARE_PX
    assert room.changes(fig.to_plotly_json())["margin"]["b"] == math.ceil((rows + 0.12 * (500 - 60)) / 1.12)


def test_an_axis_with_no_values_or_one_makes_room_for_the_halves_plotly_draws_around_it():
    # a month with no revenue: plotly.js draws the axis from about -1.5 to 4 in halves; "−$1.5" is the widest label:
    # minus .85 (not ASCII), $ .5, 1 .5, . .25, 5 .5 = 2.6 font sizes
    empty = go.Figure(go.Bar(x=["Jan"], y=[None]), layout={"yaxis": {"tickprefix": "$"}})
    assert room.changes(empty.to_plotly_json())["margin"]["l"] == y_margin(2.6)
    zeros = go.Figure(go.Bar(x=["Jan", "Feb"], y=[0, 0]), layout={"yaxis": {"tickprefix": "$"}})
    assert room.changes(zeros.to_plotly_json())["margin"]["l"] == y_margin(2.6)


def test_a_three_digit_si_axis_makes_room_for_three_significant_digits():
    # ".3~s" ticks in step with another axis can read "$1.64k": $ .5, 1.64 = 1.75, k .49 = 2.74 font sizes
    fig = go.Figure(go.Scatter(x=[1, 2], y=[100, 2_192]), layout={"yaxis": {"tickprefix": "$", "tickformat": ".3~s"}})
    assert room.changes(fig.to_plotly_json())["margin"]["l"] == y_margin(2.74)


def test_an_axis_of_a_few_whole_numbers_is_ticked_one_apart():
    """Contacts of 0 and 1 a month: plotly.js would tick 0, 0.2, 0.4 ... and write them "0, 0, 0, 1, 1, 1" with
    ",.0f"; ticked one apart instead. Eleven or more, or a format with decimals, or ticks the builder set: untouched."""
    few = go.Figure(go.Scatter(x=["Jan", "Feb"], y=[0, 1]), layout={"yaxis": {"tickformat": ",.0f"}})
    assert room.changes(few.to_plotly_json())["yaxis"] == {"tickmode": "linear", "tick0": 0, "dtick": 1}
    stacked = go.Figure(
        [go.Bar(x=["a"], y=[6]), go.Bar(x=["a"], y=[5])], layout={"barmode": "stack", "yaxis": {"tickformat": ",d"}}
    )
    assert "yaxis" not in (room.changes(stacked.to_plotly_json()) or {})  # 11 stacked: plotly.js steps by 2 or more
    for yaxis in ({"tickformat": ",.1f"}, {"tickformat": ",.0f", "dtick": 5}, {"tickformat": ",.0f", "tickvals": [0, 1]}):
        untouched = go.Figure(go.Scatter(x=["Jan", "Feb"], y=[0, 1]), layout={"yaxis": yaxis})
        assert "yaxis" not in (room.changes(untouched.to_plotly_json()) or {})
