"""Every value axis a chart titles (counts, money, days) prints its ticks with thousands grouped or as percentages.

Plotly's default prints 1500 as "1500" and 12000 as "12k"; in front of a room "12,000" reads at a glance.
"""

from __future__ import annotations

import pandas as pd
import pytest

from tests.test_chart_colours import FIGURES


def _titled_value_axes(fig) -> list[tuple[str, str | None]]:
    """(axis name, tick format) of every titled, non-category, non-log axis of fig."""
    axes = []
    for key in fig.layout:
        if not key.startswith(("xaxis", "yaxis")):
            continue
        axis = fig.layout[key]
        if axis.title.text and axis.type not in ("category", "log", "date"):
            axes.append((f"{key} '{axis.title.text}'", axis.tickformat))
    return axes


@pytest.mark.parametrize("name", list(FIGURES))
def test_value_axes_group_thousands(name: str):
    bare = [axis for axis, fmt in _titled_value_axes(FIGURES[name]) if not fmt or not ("," in fmt or "%" in fmt)]
    assert not bare, f"{name}: axes print raw numbers: {bare}"


def test_the_odds_ratio_axis_names_its_ticks_so_none_is_drawn_small():
    from dashboard.charts.drivers import log_ticks

    # intervals from 0.3 to 4.2 (an infinite bound and a missing one left out): 1-2-5 over the whole decades 0.1 to 100
    assert log_ticks(pd.Series([0.3, 4.2, float("inf"), None])) == [0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 50.0]
    assert log_ticks(pd.Series([], dtype=float)) == [1.0]


def test_driver_names_run_into_the_chart_never_off_its_edges():
    from dashboard.charts.drivers import importance_performance

    table = pd.DataFrame(
        {
            "kind": ["journey pain", "journey pain", "journey pain"],
            "driver": ["near the left edge", "in the middle", "near the right edge"],
            "prevalence": [0.02, 0.5, 0.93],
            "difference": [0.10, 0.03, 0.01],
        }
    )
    (trace,) = importance_performance(table, "defection").data
    assert list(trace.text) == list(table["driver"])  # room for all three
    assert list(trace.textposition) == ["top right", "top center", "top left"]


@pytest.mark.parametrize("text_px", [13, 19])
def test_driver_names_never_run_into_each_other_or_a_point(text_px):
    """Seen on the sample: "a complaint took over 7 days to resolve" ran into "no self-service" and "no automatic
    payment" into "no smart meter"; in presentation mode (names at 19 px) "made a complaint" into "no automatic
    payment". Names are placed most important first where their box, at the size they are drawn, is clear of the names
    placed and of every point; a name that fits nowhere is left to the hover."""
    from dashboard.charts import drivers as charts

    table = pd.DataFrame(
        {
            "kind": ["journey pain", "behaviour", "journey pain", "behaviour", "behaviour", "behaviour", "attribute"],
            "driver": [
                "call-centre contact",
                "no self-service",
                "a complaint took over 7 days to resolve",
                "a complaint not resolved at first contact",
                "no automatic payment",
                "no smart meter",
                "segment is Residential",
            ],
            "prevalence": [0.61, 0.33, 0.06, 0.21, 0.59, 0.69, 0.78],
            "difference": [0.23, 0.21, 0.19, 0.13, 0.063, 0.055, 0.043],
        }
    )
    fig = charts.importance_performance(table, "defection", text_px)
    assert {tr.textfont.size for tr in fig.data} == {text_px}
    named = [(x, y, t, p) for tr in fig.data for x, y, t, p in zip(tr.x, tr.y, tr.text, tr.textposition, strict=True) if t]
    assert len(named) >= 4 and "call-centre contact" in [n[2] for n in named]
    boxes = charts.label_boxes(*(list(v) for v in zip(*named, strict=True)), tuple(fig.layout.yaxis.range), text_px)
    for i, (left, bottom, right, top) in enumerate(boxes):
        assert left >= 0 and right <= charts.PLOT_WIDTH and bottom >= 0 and top <= charts.PLOT_HEIGHT
        for other in boxes[i + 1 :]:
            assert not (left < other[2] and other[0] < right and bottom < other[3] and other[1] < top)
    px, py = charts._pixels(list(table["prevalence"] * 100), list(table["difference"] * 100), tuple(fig.layout.yaxis.range))
    for (left, bottom, right, top), name in zip(boxes, [n[2] for n in named], strict=True):
        mine = list(table["driver"]).index(name)
        for j, (x, y) in enumerate(zip(px, py, strict=True)):
            assert j == mine or not (left - 8 < x < right + 8 and bottom - 8 < y < top + 8), (name, j)


def test_a_titled_chart_puts_its_legend_on_a_line_under_the_title():
    """At half a page wide "What it costs, by segment" ran into its legend: the title now sits on the first line
    and the legend on its own line under it (in pixels from the top of the figure), left-aligned."""
    import plotly.graph_objects as go

    from dashboard.charts.theme import styled

    two = go.Figure([go.Bar(x=["a"], y=[1], name="Lost"), go.Bar(x=["a"], y=[2], name="At risk")])
    fig = styled(two, title="What it costs, by segment", height=400)
    assert fig.layout.title.yref == "container" and fig.layout.title.y == 1
    assert fig.layout.legend.yref == "container" and (1 - fig.layout.legend.y) * 400 == pytest.approx(44)
    assert fig.layout.legend.x == 0 and fig.layout.margin.t == 96
    one = styled(go.Figure([go.Bar(x=["a"], y=[1])]), title="One series", height=400)
    assert one.layout.legend.y is None and one.layout.margin.t is None  # no legend: the template's 60 px top
    placed = go.Figure([go.Bar(x=["a"], y=[1]), go.Bar(x=["a"], y=[2])]).update_layout(legend_y=-0.3)
    assert styled(placed, title="Placed by its builder").layout.legend.y == -0.3


def test_a_builder_that_adds_its_traces_after_the_title_gets_the_legend_under_it_and_presentation_type_moves_it_down():
    """In presentation mode at 1280×720 the Drivers importance chart's legend sat on the title's line and touched its
    end: its builder styles the figure before adding one trace per kind, so the legend stayed in the template's place
    (above the plot, right-aligned, on the title's line). Every chart builder now ends with the legend on its own line
    under the title, and presentation type (title 24 px, legend 19 px) moves that line down below the larger title."""
    import plotly.graph_objects as go

    from dashboard.charts.drivers import importance_performance
    from dashboard.charts.theme import presentation_fonts

    table = pd.DataFrame(
        {
            "kind": ["journey pain", "behaviour", "attribute"],
            "driver": ["made a complaint", "no automatic payment", "segment is Home"],
            "prevalence": [0.2, 0.5, 0.7],
            "difference": [0.1, 0.05, -0.02],
        }
    )
    fig = importance_performance(table, "defection")
    assert len([t for t in fig.data if t.showlegend is not False]) > 1
    height = fig.layout.height
    assert fig.layout.legend.yref == "container" and fig.layout.legend.yanchor == "top" and fig.layout.legend.x == 0
    assert (1 - fig.layout.legend.y) * height == pytest.approx(44) and fig.layout.margin.t == 96
    big = presentation_fonts(go.Figure(fig), 21)
    title_bottom = 10 + 1.3 * 24  # its pad and a line of 24 px type
    legend_top = (1 - big.layout.legend.y) * height
    assert legend_top >= title_bottom + 8
    assert big.layout.margin.t >= legend_top + 1.4 * 19 + 20  # the legend's line clear of the plot


def test_a_few_complaints_get_whole_number_ticks_and_counts_across_decades_a_log_scale_at_powers_of_ten():
    """The resolution histogram's count axis: one complaint is drawn on a linear axis labelled 0, 1 (a log axis over
    one bar labelled its fractions "10, 9, 8, 4, 3, 2, 1, 0, 0, 0, 0"); counts from 3 to 12,000 on a log axis labelled
    1, 10, 100, ...; counts within a factor of 50 on a linear axis from 0 in whole numbers."""
    from dashboard.charts.journey_service import resolution_histogram

    def axis(complaints: list[int], unresolved: int = 0) -> dict:
        days = pd.DataFrame(
            {
                "day": [*range(len(complaints)), -1],
                "complaints": [*complaints, unresolved],
                "within_sla": [True] * len(complaints) + [False],
            }
        )
        return resolution_histogram(days, sla_days=5).to_dict()["layout"]["yaxis"]

    one = axis([1])
    assert one.get("type") != "log" and one["dtick"] == 1 and one["tickformat"] == ",d" and one["rangemode"] == "tozero"
    wide = axis([12_000, 400, 3], unresolved=30)
    assert wide["type"] == "log" and wide["dtick"] == 1 and wide["title"]["text"].endswith("(log scale)")
    close = axis([40, 12, 5])
    assert close.get("type") != "log" and "dtick" not in close and close["tickformat"] == ",d"
    assert axis([])["dtick"] == 1  # nothing resolved: still whole numbers


def _overlaid_axes(fig) -> list[tuple[str, object]]:
    return [(key, fig.layout[key]) for key in fig.layout if key[1:5] == "axis" and fig.layout[key].overlaying]


def test_a_second_axis_ticks_round_values_of_its_own_not_the_first_axis_gridlines():
    """Streamlit's chart theme ticks a second y axis at the first one's gridlines: a defection rate up to 1.2 % read
    "0.0 %, 0.3 %, 0.7 %, 1.0 %" (0.333 % written 0.3 %). Every chart's overlaid axis chooses its own ticks."""
    from dashboard.charts import overview
    from tests.test_overview_chart import TREND

    figures = {**FIGURES, "overview trend": overview.monthly_trend(TREND)}
    overlaid = {name: _overlaid_axes(fig) for name, fig in figures.items() if _overlaid_axes(fig)}
    assert {"overview trend", "defection by month"} <= set(overlaid), "both draw a second axis"
    synced = [
        (name, key, axis.tickmode) for name, axes in overlaid.items() for key, axis in axes if axis.tickmode in (None, "sync")
    ]
    assert not synced


def test_a_second_axis_keeps_the_ticks_its_builder_named():
    """Nothing projected: the What-if's running total names its one tick ("$0"); a dtick keeps its steps."""
    from dashboard.charts import whatif as whatif_charts
    from dashboard.metrics import whatif

    frame = whatif.breakdown([], 1000, {})
    empty = whatif_charts.projection(whatif.projection(frame, 3, 1), 1).layout.yaxis2
    assert (empty.tickmode, list(empty.tickvals), list(empty.ticktext)) == ("array", [0], ["$0"])
    from dashboard.charts import defection

    reasons = pd.DataFrame({"reason": ["Price", "Moved"], "customers": [3, 1], "cumulative_share": [0.75, 1.0]})
    share = defection.reasons_pareto(reasons).layout.yaxis2  # the cumulative share, by 25 %
    assert (share.tickmode, share.dtick) == ("linear", 0.25)
