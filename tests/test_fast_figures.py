"""Figures built from plain dicts (theme.built, no property-by-property checking while they are built): plotly's own
validation accepts every property they set, and they draw the hand-worked figures."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio

from dashboard.charts import theme
from dashboard.charts import whatif as charts
from dashboard.metrics import whatif

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
    figures = [charts.headline(1500.0, "a year"), charts.waterfall(frame), charts.projection(proj, 2)]
    for fig in figures:
        go.Figure(fig.to_dict())  # raises on any property plotly does not know or any value it does not accept
        assert fig.to_dict()["layout"]["template"]["layout"]["font"]["size"] == theme.FONT_SIZE
    head, fall, years = (fig.to_dict() for fig in figures)
    assert head["layout"]["meta"] == {"value": 1500.0}
    assert head["layout"]["annotations"][0]["text"] == "$1,500"
    bars = fall["data"][0]
    assert list(bars["x"]) == ["E-billing", "Auto &lt;b&gt;pay&lt;/b&gt;", "Total"]  # largest first, text escaped
    assert list(bars["y"]) == [1000.0, 500.0, 1500.0]
    # ramp over 2 years: half the change in year 1 ($750), all of it from year 2 ($1,500); running total 750, 2250, 3750
    saving, running = years["data"]
    assert list(saving["x"]) == [1, 2, 3]
    assert list(saving["y"]) == [750.0, 1500.0, 1500.0]
    assert list(saving["customdata"]) == [50, 100, 100]
    assert list(running["y"]) == [750.0, 2250.0, 3750.0]
    assert years["layout"]["title"]["text"] == "Year by year: $3,750 over 3 years"


def test_nothing_moved_draws_a_zero_tick_and_says_why():
    frame = _frame({})
    fall = charts.waterfall(frame).to_dict()
    go.Figure(fall)
    assert fall["layout"]["annotations"][0]["text"] == "Move a slider above today's adoption to see savings"
    assert fall["layout"]["yaxis"]["ticktext"] == ["$0"]
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
