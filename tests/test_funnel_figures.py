"""The Funnel page's figures, built from plain dicts (theme.built): plotly's own validation accepts every property they
set, and they draw the hand-worked numbers of small frames."""

from __future__ import annotations

import base64
import json
import math

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
import pytest

from dashboard.charts import funnel as charts
from dashboard.charts import theme

COUNTS = pd.DataFrame(
    {
        "stage": ["prospect", "first purchase", "repeat", "at risk"],
        "role": ["prospect", "first_purchase", "repeat", "at_risk"],
        "kind": ["ladder", "ladder", "ladder", "off-ramp"],
        "customers": [40, 30, 20, 10],
        "share": [0.4, 0.3, 0.2, 0.1],
        # 100 reached prospect, 60 first purchase (60 % of prospect), 20 repeat (20 % of first, 33.3 % of previous)
        "reached": [100, 60, 20, None],
        "of_first": [1.0, 0.6, 0.2, None],
        "of_previous": [1.0, 0.6, 1 / 3, None],
    }
)
BREAKDOWN = pd.DataFrame(
    {
        "value": ["Home", "Home", "Business"],
        "stage": ["repeat", "loyal", "repeat"],
        "role": ["repeat", "loyal", "repeat"],
        "customers": [3, 1, 2],
        "share": [0.75, 0.25, 1.0],
        "value_total": [4, 4, 2],
    }
)
COHORTS = pd.DataFrame(
    {
        "cohort": pd.to_datetime(["2024-01-01", "2024-01-01", "2024-02-01"]),
        "months": [0, 1, 0],
        "cohort_size": [4, 4, 2],
        "reached": [1, 3, 2],
        "share": [0.25, 0.75, 1.0],
    }
)
SALES = pd.DataFrame(
    {
        "step": ["Leads", "Placed a first order", "First order within 90 days"],
        "customers": [10, 6, 3],
        "of_leads": [1.0, 0.6, 0.3],
    }
)
MONTHLY = pd.DataFrame(
    {
        "month": pd.to_datetime(["2024-01-01", "2024-02-01"]),
        "leads": [4, 6],
        "closed": [4, 0],
        "within": [2, 0],
        "conversion": [0.5, float("nan")],
    }
)
MATRIX = pd.DataFrame(
    {
        "from_stage": ["repeat", "repeat", "loyal"],
        "to_stage": ["repeat", "loyal", "loyal"],
        "from_order": [2, 2, 3],
        "to_order": [2, 3, 3],
        "customers": [3, 1, 5],
    }
)
SUMMARY = pd.DataFrame(
    {
        "stage": ["repeat", "loyal"],
        "moved down": [0, 1],
        "stayed": [3, 4],
        "moved up": [1, 0],
        "down_share": [0.0, 0.2],
        "same_share": [0.75, 0.8],
        "up_share": [0.25, 0.0],
    }
)
TIMES = pd.DataFrame(
    {
        "stage": ["repeat", "loyal"],
        "role": ["repeat", "loyal"],
        "median_days": [30.0, None],
        "spells": [4, 0],
        "measure": ["m", "n"],
    }
)
ECONOMICS = pd.DataFrame(
    {
        "stage": ["repeat", "loyal", "advocate"],
        "role": ["repeat", "loyal", "advocate"],
        "customers": [5, 2, 0],
        "margin": [120.0, 300.0, None],
        "marketing_cost": [20.0, None, None],
    }
)


def _figures() -> dict[str, go.Figure]:
    return {
        "stage funnel": charts.stage_funnel(COUNTS),
        "stages now": charts.stages_now(COUNTS),
        "breakdown": charts.breakdown_bars(BREAKDOWN, "segment"),
        "cohorts": charts.cohort_heatmap(COHORTS, "repeat"),
        "sales funnel": charts.sales_funnel_chart(SALES),
        "sales by month": charts.sales_monthly(MONTHLY, 90),
        "sales by month, none": charts.sales_monthly(MONTHLY.head(0), 90),
        "transitions": charts.transition_heatmap(MATRIX, first="Jan", second="Feb"),
        "movement": charts.movement_bars(SUMMARY),
        "time in stage": charts.time_in_stage_bars(TIMES),
        "economics": charts.economics_bars(ECONOMICS),
    }


def _decode(value):
    """Plotly JSON with typed arrays ({"dtype", "bdata", "shape"}) turned back into (nested) lists, NaN as None."""
    if isinstance(value, dict) and "bdata" in value and "dtype" in value:
        array = np.frombuffer(base64.b64decode(value["bdata"]), dtype=np.dtype(value["dtype"]))
        if "shape" in value:
            array = array.reshape([int(n) for n in str(value["shape"]).split(",")])
        return _decode(array.tolist())
    if isinstance(value, dict):
        return {k: _decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decode(v) for v in value]
    return None if isinstance(value, float) and math.isnan(value) else value


def _drawn(fig: go.Figure) -> dict:
    """The figure as the browser receives it (typed arrays decoded)."""
    return _decode(json.loads(pio.to_json(fig, validate=False)))


@pytest.mark.parametrize("name", list(_figures()))
def test_each_funnel_figure_passes_plotly_validation_with_the_app_template(name):
    fig = _figures()[name]
    go.Figure(fig.to_dict())  # raises on any property plotly does not know or any value it does not accept
    drawn = _drawn(fig)
    assert drawn["layout"]["template"]["layout"]["font"]["size"] == theme.FONT_SIZE
    assert "NaN" not in pio.to_json(fig, validate=False)  # a missing value: NaN inside a typed array, else null


def test_the_funnel_figures_draw_the_worked_numbers():
    figures = {name: _drawn(fig) for name, fig in _figures().items()}
    ladder = figures["stage funnel"]["data"][0]
    assert ladder["y"] == ["prospect", "first purchase", "repeat"] and ladder["x"] == [100, 60, 20]
    assert ladder["text"][2] == "20 · 20.0 % of first<br>33.3 % of previous"
    now = figures["stages now"]["data"][0]
    assert now["y"] == ["at risk", "repeat", "first purchase", "prospect"] and now["x"] == [10, 20, 30, 40]
    # each stage's figures beside its name on the axis, which makes room for them (a label past a bar could run off)
    axis = figures["stages now"]["layout"]["yaxis"]
    assert axis["tickvals"] == now["y"] and axis["automargin"] is True
    assert axis["ticktext"][-1] == "prospect  <b>40</b> (40.0 %)" and "text" not in now
    repeat, loyal = figures["breakdown"]["data"]
    assert (repeat["y"], repeat["x"], loyal["x"]) == (["Home", "Business"], [0.75, 1.0], [0.25, 0.0])
    assert figures["breakdown"]["layout"]["legend"]["y"] == 1 - 44 / 320  # on its own line under the title
    cells = figures["cohorts"]["data"][0]
    assert cells["y"] == ["Feb 2024 (2)", "Jan 2024 (4)"]  # newest first
    assert cells["z"] == [[1.0, None], [0.25, 0.75]] and cells["text"] == [["100%", ""], ["25%", "75%"]]
    bars, line = figures["sales by month"]["data"]
    assert bars["y"] == [4, 6] and line["y"] == [0.5, None] and line["yaxis"] == "y2"
    assert figures["sales by month, none"]["layout"]["annotations"][0]["text"].startswith("No leads")
    moves = figures["transitions"]["data"][0]
    assert moves["customdata"] == [[3, 1], [0, 5]] and moves["z"] == [[0.75, 0.25], [0.0, 1.0]]
    down, same, up = figures["movement"]["data"]
    assert (down["x"], same["x"], up["x"]) == ([0.0, 0.2], [0.75, 0.8], [0.25, 0.0])
    times = figures["time in stage"]["data"][0]
    assert times["x"] == [0.0, 30.0] and times["text"] == ["no completed spells", "30 days · 4 spells"]
    margin, marketing = figures["economics"]["data"]
    assert margin["x"] == ["repeat", "loyal"] and margin["y"] == [120.0, 300.0]  # no bar for a stage without customers
    assert marketing["y"] == [20.0, None]
