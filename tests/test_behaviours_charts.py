"""The Behaviours figures, built from plain dicts (theme.built): plotly's own validation accepts every property they set,
and they draw the hand-worked numbers of small frames."""

from __future__ import annotations

import base64

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

from dashboard.charts import behaviours as charts
from dashboard.charts import theme
from dashboard.formatting import NumberFormat

EURO = NumberFormat(currency="€", thousands=".", decimal=",")


def _figure(fig: go.Figure) -> go.Figure:
    """fig as plotly's validation reads it back (raises on a property or value it does not know)."""
    checked = go.Figure(fig.to_dict())
    assert checked.layout.template.layout.font.size == theme.FONT_SIZE
    return checked


def _values(array: object) -> list:
    """A trace's array as a list, whether plotly holds it as a list, a tuple or base64 text."""
    if isinstance(array, dict):
        return np.frombuffer(base64.b64decode(array["bdata"]), dtype=np.dtype(array["dtype"])).tolist()
    return list(array)


def _adoption() -> pd.DataFrame:
    """1,000 customers in scope: e-billing 16 % against 84 % at $11 (1,000 × 68 % × 11 = 7,480 a year), meter readings
    estimated at 30 % against 50 % at $2 (an assumption: 400), autopay 60 % above its best-in-class 50 % (0)."""
    return pd.DataFrame(
        {
            "behaviour": ["E-billing", "Meter <b>readings</b>", "Autopay"],
            "status": ["measured", "estimate", "measured"],
            "current": [0.16, 0.30, 0.60],
            "best_in_class": [0.84, 0.50, 0.50],
            "gap": [0.68, 0.20, -0.10],
            "potential": [7480.0, 400.0, 0.0],
            "assumption": [False, True, False],
        }
    )


@pytest.mark.parametrize("fmt", [NumberFormat(), EURO])
def test_adoption_and_potential_draws_the_gap_and_the_money(fmt):
    fig = _figure(charts.adoption_and_potential(_adoption(), fmt))
    today, best, labels, money = fig.data
    # the largest money on top: plotly draws the first row at the bottom
    assert _values(today.y) == ["Autopay", "Meter &lt;b&gt;readings&lt;/b&gt; (estimate)", "E-billing"]
    assert _values(today.x) == pytest.approx([60.0, 30.0, 16.0])
    assert today.marker.color[1] == charts.ESTIMATE_COLOUR
    assert _values(money.x) == pytest.approx([0.0, 400.0, 7480.0])
    assert list(money.text) == [fmt.money(0.0), fmt.money(400.0) + " · assumption", fmt.money(7480.0)]
    assert list(money.marker.pattern.shape) == ["", "/", ""]
    assert _values(best.x) == pytest.approx([50.0, 50.0, 84.0]) and best.mode == "markers"
    # bars of 25 % or more hold their figure; e-billing's 16 % goes after its bar, its diamond far off
    assert list(today.text) == [fmt.pct(0.60), fmt.pct(0.30), ""]
    gap_20, gap_68 = f"gap {fmt.number(20.0, 1)} pts", f"gap {fmt.number(68.0, 1)} pts"
    assert list(labels.text) == ["at or above", gap_20, fmt.pct(0.16), gap_68]
    assert _values(labels.x) == pytest.approx([60.0, 50.0, 16.0, 84.0])  # after the bar or the diamond, whichever ends later
    assert (money.xaxis, money.yaxis) == ("x2", "y2")
    layout = fig.layout
    assert [a.text for a in layout.annotations] == list(charts.ADOPTION_PANELS)
    assert layout.yaxis2.matches == "y"  # one row per behaviour across both panels
    assert layout.xaxis2.tickprefix == fmt.currency and layout.xaxis2.range == pytest.approx([0, 7480 * 1.6])
    # the legend on a line under the title: under the plot it ran into the axis' labels on a chart of one behaviour
    assert layout.legend.yref == "container" and layout.legend.yanchor == "top" and layout.legend.y > 0.5


def test_a_short_bars_figure_never_sits_under_its_diamond():
    """7.4 % against 20 %: the figure after the bar would run under the diamond 12.6 points on, so it joins the
    diamond's label; a short bar at or above its best-in-class, or without one, gets its figure after the bar."""
    rows = pd.DataFrame(
        {
            "current": [0.074, 0.20, 0.05],
            "best_in_class": [0.20, 0.10, float("nan")],
            "gap": [0.126, -0.10, float("nan")],
        }
    )
    labels = charts.adoption_labels(rows, ["Load control", "Autopay", "Paperless"], NumberFormat())
    assert labels == [
        ("Load control", pytest.approx(20.0), "7.4 % today · gap 12.6 pts"),
        ("Autopay", pytest.approx(20.0), "20.0 % today · at or above"),
        ("Paperless", pytest.approx(5.0), "5.0 %"),
    ]


def _by_group() -> pd.DataFrame:
    """Two regions: North e-billing 20 % (potential 500) and autopay 40 % (100); South e-billing 10 % only (300)."""
    return pd.DataFrame(
        {
            "group": ["North", "North", "South"],
            "key": ["e_billing", "autopay", "e_billing"],
            "behaviour": ["E-billing", "Autopay", "E-billing"],
            "current": [0.2, 0.4, 0.1],
            "potential": [500.0, 100.0, 300.0],
        }
    )


def test_adoption_by_group_draws_a_cell_per_behaviour_and_group_and_the_money_stacked():
    heat = _figure(charts.adoption_heatmap(_by_group(), "region")).data[0]
    assert _values(heat.x) == ["North", "South"] and _values(heat.y) == ["Autopay", "E-billing"]
    assert list(heat.text[1]) == ["20.0 %", "10.0 %"]
    assert np.reshape(_values(heat.z), (2, 2))[1].tolist() == pytest.approx([20.0, 10.0])
    money = _figure(charts.potential_by_group(_by_group(), "region", ["e_billing", "autopay"]))
    e_billing, autopay, totals = money.data
    assert _values(e_billing.y) == pytest.approx([500.0, 300.0]) and _values(autopay.y) == pytest.approx([100.0, 0.0])
    assert e_billing.marker.color == charts.behaviour_colours(["e_billing"])["e_billing"]
    assert list(totals.text) == ["$600", "$300"]
    assert money.layout.yaxis.range == pytest.approx([0, 600 * 1.15])


def _groups(churn: bool = True) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "behaviours": [0, 1],
            "customers": [100, 20],
            "mean_satisfaction": [3.0, 4.0],
            "ci_low": [2.8, 3.5],
            "ci_high": [3.2, 4.5],
            "churn_rate": [0.2, 0.05] if churn else [float("nan")] * 2,
            "small": [False, True],
        }
    )


def test_satisfaction_and_churn_by_number_of_behaviours():
    fig = _figure(charts.count_groups(_groups(), "CSAT 1-5"))
    satisfaction, churn = fig.data
    assert _values(satisfaction.x) == ["0", "1"] and _values(satisfaction.y) == pytest.approx([3.0, 4.0])
    assert _values(satisfaction.error_y.array) == pytest.approx([0.2, 0.5])
    assert list(satisfaction.marker.color) == [charts.CURRENT, charts.SMALL_COLOUR]
    assert _values(churn.y) == pytest.approx([20.0, 5.0]) and list(churn.text) == ["20.0 %", "5.0 %<br>n < 30"]
    layout = fig.layout
    assert layout.yaxis.title.text == "Mean satisfaction (CSAT 1-5)"
    assert [a.text for a in layout.annotations] == [
        *charts.COUNT_PANELS,
        "Grey: fewer than 30 customers, too few to read",
    ]
    unknown = _figure(charts.count_groups(_groups(churn=False)))
    assert len(unknown.data) == 1  # no churn bars, a note instead
    assert "No churn in this dataset: map churned or churn_date" in [a.text for a in unknown.layout.annotations]


def test_churn_with_and_without_each_behaviour():
    churn = pd.DataFrame({"behaviour": ["E-billing", "Autopay"], "churn_with": [0.05, 0.1], "churn_without": [0.2, 0.15]})
    fig = _figure(charts.churn_with_without(churn))
    without, with_it = fig.data
    assert _values(without.y) == ["Autopay", "E-billing"] and _values(without.x) == pytest.approx([15.0, 20.0])
    assert list(with_it.text) == ["10.00 %", "5.00 %"]
    assert fig.layout.legend.traceorder == "reversed"
    assert fig.layout.xaxis.range == pytest.approx([0, 20 * 1.3])
