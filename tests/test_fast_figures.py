"""Figures built from plain dicts (theme.built, no property-by-property checking while they are built): plotly's own
validation accepts every property they set, and they draw the hand-worked figures."""

from __future__ import annotations

import base64
import math

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
import pytest
from plotly.subplots import make_subplots

from dashboard.charts import journey as journey_charts
from dashboard.charts import journey_service, theme
from dashboard.charts import whatif as charts
from dashboard.metrics import whatif
from tests.test_presentation_fonts import _sizes

LEVERS = (
    whatif.Lever(key="e_billing", behaviour="E-billing", current=0.2, best_in_class=0.8, saving=10.0),
    whatif.Lever(key="autopay", behaviour="Auto <b>pay</b>", current=0.5, best_in_class=0.9, saving=5.0),
)


def _frame(targets: dict[str, float]):
    # 1,000 customers: e-billing 20 % → 30 % moves 100 customers × $10 = $1,000; autopay 50 % → 60 % moves 100 × $5 = $500
    return whatif.breakdown(LEVERS, 1000, targets)


def test_what_if_figures_pass_plotly_validation_and_draw_the_worked_numbers():
    frame = _frame({"e_billing": 0.3, "autopay": 0.6})
    proj = whatif.projection(frame, years=3, ramp_years=2)
    figures = [charts.waterfall(frame), charts.projection(proj, 2)]
    for fig in figures:
        go.Figure(fig.to_dict())  # raises on any property plotly does not know or any value it does not accept
        assert fig.to_dict()["layout"]["template"]["layout"]["font"]["size"] == theme.FONT_SIZE
    fall, years = (fig.to_dict() for fig in figures)
    bars = fall["data"][0]
    assert list(bars["y"]) == ["E-billing", "Auto &lt;b&gt;pay&lt;/b&gt;", "Total"]  # largest first, text escaped
    assert list(bars["x"]) == [1000.0, 500.0, 1500.0]
    assert bars["orientation"] == "h" and fall["layout"]["yaxis"]["autorange"] == "reversed"  # the largest at the top
    # ramp over 2 years: half the change in year 1 ($750), all of it from year 2 ($1,500); running total 750, 2250, 3750
    saving, running = years["data"]
    assert list(saving["x"]) == [1, 2, 3]
    assert list(saving["y"]) == [750.0, 1500.0, 1500.0]
    assert list(saving["customdata"]) == [50, 100, 100]
    assert list(running["y"]) == [750.0, 2250.0, 3750.0]
    # each year's bar says its figure to three significant digits at its full size: $147,940 reads $148K
    assert list(saving["text"]) == ["$750", "$1,500", "$1,500"] and saving["constraintext"] == "none"
    assert charts.projection(_ramp_of(147_940.4), 1).to_dict()["data"][0]["text"] == ["$148K"]
    # money under a thousand is written as it is ("$500", "$0.5"), not with SI prefixes ("500m" for half a dollar)
    assert fall["layout"]["xaxis"]["tickformat"] == ".3~s"  # the waterfall's $1,500 total: "$1.5k"
    small = charts.projection(_ramp_of(0.6), 1).to_dict()["layout"]
    assert small["yaxis"]["tickformat"] == small["yaxis2"]["tickformat"] == ",.2~f"
    assert years["layout"]["yaxis"]["tickformat"] == years["layout"]["yaxis2"]["tickformat"] == ".3~s"  # $1,500: "$1.2k"
    # the running total ends at 1 / 1.45 of the height, under the last bar's top (1 / 1.2) and its figure
    assert years["layout"]["yaxis2"]["range"] == [0, 3750 * 1.45] and years["layout"]["yaxis"]["range"] == [0, 1500 * 1.2]
    assert years["layout"]["title"]["text"] == "Year by year: $3,750 over 3 years"


def _ramp_of(saving: float) -> pd.DataFrame:
    """A one-year projection saving the given amount."""
    return pd.DataFrame({"year": [1], "behaviour": ["E-billing"], "saving": [saving], "cumulative": [saving], "reached": [1.0]})


def test_nothing_moved_draws_a_zero_tick_and_says_why():
    frame = _frame({})
    fall = charts.waterfall(frame).to_dict()
    go.Figure(fall)
    assert fall["layout"]["annotations"][0]["text"] == "Move a slider above today's adoption to see savings"
    assert fall["layout"]["xaxis"]["ticktext"] == ["$0"]
    empty = charts.projection(whatif.projection(_frame({}).head(0), 3, 1), 1).to_dict()
    go.Figure(empty)
    assert empty["layout"]["annotations"][0]["text"].startswith("Nothing to project")


def test_a_built_figure_with_a_title_puts_its_legend_on_a_line_under_it_as_styled_does():
    data = [{"type": "bar", "x": [1], "y": [2], "name": "a"}, {"type": "bar", "x": [1], "y": [3], "name": "b"}]
    fast = theme.built(data, {}, title="Two series", height=400).to_dict()["layout"]
    two = go.Figure([go.Bar(x=[1], y=[2], name="a"), go.Bar(x=[1], y=[3], name="b")])
    slow = theme.styled(two, title="Two series", height=400)
    slow_layout = slow.to_dict()["layout"]
    for part in ("title", "legend", "margin"):
        assert fast[part] == slow_layout[part], part
    assert fast["height"] == slow_layout["height"] == 400


def _counting_builder():
    calls: list[int] = []

    @theme.draws_data_as_text
    def bars(frame: pd.DataFrame, title: str, shown=None) -> go.Figure:
        calls.append(1)
        return theme.styled(go.Figure(go.Bar(x=list(frame["label"]), y=frame["value"])), title=title)

    return bars, calls


def test_a_chart_is_built_once_per_set_of_arguments_and_handed_out_as_a_copy():
    bars, calls = _counting_builder()
    frame = pd.DataFrame({"label": ["a", "<b>"], "value": [1.0, 2.0]})
    first = bars(frame, "Sales")
    again = bars(frame.copy(), "Sales")  # equal values in another frame: not built again
    assert len(calls) == 1
    assert again.to_plotly_json() == first.to_plotly_json()
    assert pio.to_json(again) == pio.to_json(first)  # byte for byte: Streamlit sends an unchanged chart as a reference
    assert list(again.data[0].x) == ["a", "&lt;b&gt;"]  # the copy is of the escaped figure
    assert again.data[0].y.tolist() == [1.0, 2.0]  # numbers stay an array, as in a figure built anew
    again.update_layout(title_text="changed by a page")  # a page changing its copy changes no later copy
    assert bars(frame, "Sales").layout.title.text == "Sales"
    assert len(calls) == 1
    bars(frame.assign(value=[1.0, 3.0]), "Sales")  # another value, another title, another column name: built anew
    bars(frame, "Sales by month")
    bars(frame.rename(columns={"value": "value"}).assign(extra=1), "Sales")
    assert len(calls) == 4
    bars(frame, "Sales", shown=object())  # an argument without a fingerprint: built every time
    bars(frame, "Sales", shown=object())
    assert len(calls) == 6


def _numbers(value) -> list:
    """A figure's numeric array as a list, whether plotly wrote it as a list or as base64 ({"dtype", "bdata"})."""
    if isinstance(value, dict):
        return np.frombuffer(base64.b64decode(value["bdata"]), dtype=np.dtype(value["dtype"])).tolist()
    return list(value)


def _journey_lanes() -> pd.DataFrame:
    # three stages; cost known, one stage without a next stage or pain point
    return pd.DataFrame(
        {
            "stage": ["awareness", "billing", "<b>exit</b>"],
            "touchpoints": [1200, 800, 40],
            "customers": [600, 500, 30],
            "satisfaction": [4.2, 2.5, None],
            "effort": [1.5, 3.5, 2.0],
            "sat_n": [300, 200, 0],
            "effort_n": [300, 200, 10],
            "cost_per_contact": [1.0, 2.5, None],
            "days_to_next": [3.0, 12.0, None],
            "pain": ["repeat_contacts", "low_satisfaction", None],
            "pain_value": [0.1, 0.3, None],
            "repeat_rate": [0.05, 0.1, None],
            "repeat_base": [100, 80, 5],
            "repeats": [5, 8, 0],
        }
    )


def _journey_mix() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "stage": ["awareness", "awareness", "billing", "<b>exit</b>"],
            "channel": ["web", "phone", "phone", "phone"],
            "channel_code": [2, 0, 0, 0],
            "share": [0.75, 0.25, 1.0, 1.0],
            "touchpoints": [900, 300, 800, 40],
        }
    )


def test_journey_map_rows_sit_where_make_subplots_puts_them():
    for heights in ([0.8, 1.0, 1.2, 0.34, 0.34, 0.48], [0.8, 1.0, 0.34, 0.48], [1.0, 2.0]):
        grid = make_subplots(rows=len(heights), cols=1, shared_xaxes=True, vertical_spacing=0.035, row_heights=heights)
        wanted = [list(grid.layout[f"yaxis{'' if row == 1 else row}"].domain) for row in range(1, len(heights) + 1)]
        assert journey_charts.row_domains(heights) == wanted


def test_journey_figures_pass_plotly_validation_and_draw_the_worked_numbers():
    lanes, mix = _journey_lanes(), _journey_mix()
    cells = mix.assign(
        stage_code=[0, 0, 5, 9], customers=[1, 2, 3, 4], satisfaction=4.0, sat_n=30, effort=2.0, effort_n=30, cost=10.0
    )
    cells = cells.assign(cost_per_contact=1.0, repeat_rate=0.1, repeat_base=30)
    figures = {
        "map": journey_charts.journey_map(lanes, mix),
        "heatmap": journey_charts.heatmap(cells, "satisfaction"),
        "repeats": journey_service.repeat_by_stage(lanes, repeat_days=7),
        "switches": journey_service.switches(
            pd.DataFrame(
                {"stage": ["billing"], "from_channel": ["phone"], "to_channel": ["web"], "switches": [12], "rate": [0.5]}
            )
        ),
    }
    for fig in figures.values():
        go.Figure(fig.to_dict())  # raises on any property plotly does not know or any value it does not accept
        assert fig.to_dict()["layout"]["template"]["layout"]["font"]["size"] == theme.FONT_SIZE
    drawn = figures["map"].to_dict()
    volume = drawn["data"][0]
    assert _numbers(volume["y"]) == [1200, 800, 40]
    assert volume["text"] == ["1,200<br>600 cust.", "800<br>500 cust.", "40<br>30 cust."]
    assert list(volume["x"]) == ["awareness", "billing", "&lt;b&gt;exit&lt;/b&gt;"]  # a label from the data is text
    # six lanes: volume, mix, emotion, time to next stage, cost, pain; each named on the left, in its row
    titles = [a["text"] for a in drawn["layout"]["annotations"]]
    assert titles == [
        "<b>Touchpoints<br>and customers</b>",
        "<b>Channel mix</b>",
        "<b>Emotion line</b>",
        "<b>Median time<br>to next stage</b>",
        "<b>Cost per<br>contact</b>",
        "<b>Top pain point</b>",
    ]
    pain = drawn["data"][-1]
    assert pain["yaxis"] == "y6" and pain["text"] == [["<b>Repeats</b><br>10 %", "<b>Low sat.</b><br>30 %", "—"]]
    # one stage, the last: no next stage and no pain point measured; plotly draws nothing of a heatmap without a value
    # (not even its text), so those lanes are written by a text trace, the dash in the stage's place
    alone = journey_charts.journey_map(lanes.tail(1), mix).to_dict()
    written = {t["yaxis"]: t for t in alone["data"] if t.get("meta") == journey_charts.UNMEASURED_CELLS}
    titles = [a["text"] for a in alone["layout"]["annotations"]]
    assert titles[3:] == ["<b>Median time<br>to next stage</b>", "<b>Top pain point</b>"]  # no cost known: no cost lane
    assert sorted(written) == ["y4", "y5"]
    for trace in written.values():
        assert (trace["mode"], trace["text"], list(trace["x"])) == ("text", ["—"], ["&lt;b&gt;exit&lt;/b&gt;"])
    assert drawn["layout"]["height"] == 200 + 130 * 6
    heat = figures["heatmap"].to_dict()["data"][0]
    assert (heat["zmin"], heat["zmax"]) == (1, 5)  # satisfaction on its 1-5 scale
    assert figures["repeats"].to_dict()["layout"]["title"]["text"] == "Repeat contacts within 7 days, by stage"


def test_journey_figures_read_from_the_back_of_a_room_in_presentation_mode():
    lanes, mix = _journey_lanes(), _journey_mix()
    days = pd.DataFrame({"day": [0, 1, 7, -1], "complaints": [10, 5, 2, 3], "within_sla": [True, True, False, False]})
    for fig in (
        journey_charts.journey_map(lanes, mix),
        journey_service.repeat_by_stage(lanes),
        journey_service.resolution_histogram(days, sla_days=5),
    ):
        enlarged = theme.presentation_fonts(go.Figure(fig))  # as present.enlarged copies a figure
        assert min(_sizes(enlarged)) >= theme.PRESENTATION_MIN_PX, _sizes(enlarged)


def test_the_journey_maps_cell_text_fits_its_cells_at_1280_px():
    """Ten stages in a 790 px map leave cells of (790 - 190 - 20) / 10 - 3 - 8 = 47 px for text. "Low sat." is
    0.49 + 0.54 + 0.72 + 0.20 + 0.42 + 0.50 + 0.34 + 0.25 = 3.46 font sizes wide: 55.4 px at 16 px, 59.8 px in bold,
    so 16 x 47 / 59.8 = 12.6: drawn at 12 px. Six stages leave 85.7 px: 16 px, as on every other chart."""
    pain = ["<b>Low sat.</b><br>47 %", "<b>Repeats</b><br>15 %", "—", "$24.17"]
    assert journey_charts.lane_font_size(pain, 10) == 12
    assert journey_charts.lane_font_size(pain, 6) == theme.FONT_SIZE
    assert journey_charts.lane_font_size(["<b>Low sat.</b>"] * 40, 40) == journey_charts.MIN_LANE_FONT
    lanes = pd.concat([_journey_lanes()] * 4, ignore_index=True).head(10)
    lanes = lanes.assign(stage=[f"s{i}" for i in range(10)], pain="low_satisfaction", pain_value=0.47)
    drawn = journey_charts.journey_map(lanes, _journey_mix()).to_dict()
    cells = [trace for trace in drawn["data"] if trace["type"] == "heatmap"]
    assert len(cells) == 3 and {trace["textfont"]["size"] for trace in cells} == {12}
    # the emotion lines' long names have a legend of their own, so the channels' legend below lays out short names
    assert {trace["name"]: trace.get("legend") for trace in drawn["data"] if trace["type"] == "scatter"} == {
        "Satisfaction (higher is better)": "legend2",
        "Effort (higher is harder)": "legend2",
    }
    assert drawn["layout"]["legend2"]["yanchor"] == "top"


def test_driver_figures_pass_plotly_validation_and_draw_the_worked_numbers():
    from dashboard.charts import drivers as driver_charts

    table = pd.DataFrame(
        {
            "kind": ["all", "journey pain", "behaviour", "attribute"],
            "driver": ["all", "a <b>complaint</b>", "no e-billing", "contract: month-to-month"],
            "prevalence": [1.0, 0.25, 0.5, 0.4],
            "difference": [0.0, 0.12, 0.05, -0.02],
            "odds_ratio": [1.0, 2.5, 1.5, 0.8],
            "or_low": [1.0, 2.0, 1.2, 0.6],
            "or_high": [1.0, 3.0, 1.9, 1.1],
            "adjusted_or": [None, 2.0, None, 0.9],
            "adjusted_low": [None, 1.5, None, 0.7],
            "adjusted_high": [None, 2.6, None, 1.2],
        }
    )
    importance = driver_charts.importance_performance(table, "defection")
    odds = driver_charts.odds_ratios(table, "defection")
    for fig in (importance, odds):
        go.Figure(fig.to_dict())  # raises on any property plotly does not know or any value it does not accept
        assert fig.to_dict()["layout"]["template"]["layout"]["font"]["size"] == theme.FONT_SIZE
    points = {t["name"]: t for t in importance.to_dict()["data"]}
    assert sorted(points) == ["attribute", "behaviour", "journey pain"]
    pain = points["journey pain"]
    assert _numbers(pain["x"]) == [25.0] and _numbers(pain["y"]) == [12.0]
    assert pain["customdata"] == ["a &lt;b&gt;complaint&lt;/b&gt;"]  # a name from the data is text
    zero = importance.to_dict()["layout"]["shapes"][0]
    assert (zero["yref"], zero["y0"], zero["y1"], zero["xref"]) == ("y", 0, 0, "x domain")
    alone, adjusted = odds.to_dict()["data"]
    # bottom to top in the table's order reversed; an interval as the distance to each end
    assert alone["y"] == ["contract: month-to-month", "no e-billing", "a &lt;b&gt;complaint&lt;/b&gt;"]
    assert _numbers(alone["x"]) == [0.8, 1.5, 2.5]
    assert [round(v, 9) for v in _numbers(alone["error_x"]["array"])] == [0.3, 0.4, 0.5]
    assert [round(v, 9) for v in _numbers(alone["error_x"]["arrayminus"])] == [0.2, 0.3, 0.5]
    assert adjusted["y"] == ["contract: month-to-month", "a &lt;b&gt;complaint&lt;/b&gt;"]  # no adjusted figure, no point
    assert _numbers(adjusted["x"]) == [0.9, 2.0] and adjusted["marker"]["symbol"] == "diamond"
    layout = odds.to_dict()["layout"]
    assert layout["xaxis"]["type"] == "log" and layout["xaxis"]["tickvals"][:3] == [0.1, 0.2, 0.5]
    assert layout["shapes"][0]["x0"] == layout["shapes"][0]["x1"] == 1  # the dashed line at no link


@pytest.mark.parametrize(
    ("metric", "said"),
    [
        ("satisfaction", "No stage and channel has a mean satisfaction from at least 20 ratings for these filters"),
        ("repeat_rate", "No stage and channel has a repeat-contact rate from at least 20 contacts for these filters"),
        ("cost", "No stage and channel has a cost for these filters"),
    ],
)
def test_a_heatmap_with_no_cell_measured_says_what_is_missing(metric, said):
    """Plotly draws an empty grid for a heatmap without a value; the chart says what is missing instead."""
    cells = _journey_mix().assign(
        stage_code=[0, 0, 5, 9], customers=[1, 2, 3, 4], satisfaction=4.0, sat_n=19, effort=2.0, effort_n=30, cost=math.nan
    )
    cells = cells.assign(cost_per_contact=math.nan, repeat_rate=0.1, repeat_base=5)
    drawn = journey_charts.heatmap(cells, metric, min_base=20).to_dict()
    assert [a["text"] for a in drawn["layout"]["annotations"]] == [said]
    assert drawn["data"][0]["showscale"] is False
    measured = journey_charts.heatmap(cells, "effort", min_base=20).to_dict()  # 30 ratings each: drawn, no note
    assert "annotations" not in measured["layout"] or not measured["layout"]["annotations"]
