"""The Overview's monthly trend, built from plain dicts (theme.built), draws what plotly's own subplot builder draws for
the same months: revenue bars on the left axis, contacts as a line on the right, in any currency."""

from __future__ import annotations

import base64
import json
import math

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
import pytest
from plotly.subplots import make_subplots

from dashboard.charts import overview, room, theme
from dashboard.formatting import NumberFormat

TREND = pd.DataFrame(
    {
        "month": pd.date_range("2023-01-01", periods=14, freq="MS"),
        "revenue": [1_250.5 * i for i in range(13)] + [math.nan],  # a month with contacts and no revenue
        "contacts": [3 * i for i in range(14)],
    }
)


def _reference(trend: pd.DataFrame, nf: NumberFormat) -> go.Figure:
    """The same chart through make_subplots and plotly's checked properties, the way plotly documents it."""
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    fig.add_bar(x=trend["month"], y=trend["revenue"], name="Revenue")
    fig.add_scatter(x=trend["month"], y=trend["contacts"], name="Contacts", mode="lines+markers", secondary_y=True)
    fig.update_yaxes(title_text=f"Revenue ({nf.currency})", tickprefix=nf.currency, secondary_y=False)
    fig.update_yaxes(title_text="Contacts", rangemode="tozero", secondary_y=True)
    return fig


def _decode(value):
    if isinstance(value, dict) and "bdata" in value and "dtype" in value:
        return _decode(np.frombuffer(base64.b64decode(value["bdata"]), dtype=np.dtype(value["dtype"])).tolist())
    if isinstance(value, dict):
        return {k: _decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [None if isinstance(v, float) and math.isnan(v) else _decode(v) for v in value]
    if isinstance(value, str) and value.endswith("T00:00:00.000000"):
        return value.removesuffix(".000000")
    return value


def _drawn(fig: go.Figure) -> dict:
    return _decode(json.loads(pio.to_json(fig, validate=False)))


@pytest.mark.parametrize("currency", ["$", "€", "CHF "])
def test_the_trend_draws_what_plotly_subplots_draw(currency):
    nf = NumberFormat(currency=currency)
    fig = overview.monthly_trend(TREND, nf)
    go.Figure(fig.to_dict())  # raises on any property plotly does not know or any value it does not accept
    # both with the room their labels need (charts.room: margins, the right-hand axis at the plot's edge)
    drawn, reference = _drawn(fig), room.with_room(_drawn(_reference(TREND, nf)))
    for ours, theirs in zip(drawn["data"], reference["data"], strict=True):
        for key in ("type", "x", "y", "name", "xaxis", "yaxis"):
            assert ours.get(key, "x" if key == "xaxis" else "y") == theirs.get(key, "x" if key == "xaxis" else "y"), key
    for axis in ("xaxis", "yaxis", "yaxis2"):
        for key, value in reference["layout"][axis].items():
            assert drawn["layout"][axis][key] == value, (axis, key)
    assert drawn["data"][0]["y"][-1] is None and "NaN" not in pio.to_json(fig, validate=False)  # no revenue: a gap
    assert drawn["layout"]["title"]["text"] == "Revenue and contacts per month"
    assert drawn["layout"]["template"]["layout"]["font"]["size"] == theme.FONT_SIZE
    assert drawn["layout"]["legend"]["x"] == 0  # on its own line under the title, as every titled chart


@pytest.mark.parametrize(
    ("first", "months", "step"),
    [
        ("2024-02-01", 1, "M1"),  # one month: its own tick
        ("2024-02-01", 3, "M1"),  # Feb, Mar, Apr: three ticks (a quarter from January ticked Apr alone)
        ("2024-02-01", 6, "M1"),
        ("2024-02-01", 12, "M2"),  # six labels across a year
        ("2023-05-01", 14, "M3"),
        ("2023-01-01", 36, "M6"),  # the sample's three years: seven labels, upright at 1,280 px
        ("2021-01-01", 40, "M6"),
        ("2015-01-01", 100, "M12"),
    ],
)
def test_monthly_axes_tick_the_first_month_and_every_few_after_it(first, months, step):
    trend = pd.DataFrame(
        {"month": pd.date_range(first, periods=months, freq="MS"), "revenue": [100.0] * months, "contacts": [1.0] * months}
    )
    xaxis = overview.monthly_trend(trend).layout.xaxis
    assert (xaxis.tick0, xaxis.dtick, xaxis.tickformat) == (first, step, "%b %Y")
    labels = len(pd.date_range(first, periods=months, freq="MS")[:: int(step[1:])])
    assert labels == months if months <= 6 else 5 <= labels <= 10  # every month up to six; beyond, never crowded


def test_a_monthly_axis_without_months_keeps_plotlys_ticks():
    assert theme.month_ticks([]) == theme.month_ticks([None, "not a date"]) == {"tickformat": "%b %Y"}
