"""Overview charts."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from dashboard.charts.theme import PALETTE, draws_data_as_text, styled
from dashboard.formatting import NumberFormat


@draws_data_as_text
def monthly_trend(trend: pd.DataFrame, number_format: NumberFormat = NumberFormat()) -> go.Figure:
    """Revenue per month as bars (left axis) with contacts per month as a line (right axis)."""
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    fig.add_bar(
        x=trend["month"],
        y=trend["revenue"],
        name="Revenue",
        marker_color=PALETTE[0],
        hovertemplate=f"%{{x|%b %Y}}<br>Revenue {number_format.currency}%{{y:,.0f}}<extra></extra>",
    )
    fig.add_scatter(
        x=trend["month"],
        y=trend["contacts"],
        name="Contacts",
        mode="lines+markers",
        line={"color": PALETTE[1], "width": 3},
        hovertemplate="%{x|%b %Y}<br>%{y:,.0f} contacts<extra></extra>",
        secondary_y=True,
    )
    fig.update_yaxes(title_text=f"Revenue ({number_format.currency})", tickprefix=number_format.currency, secondary_y=False)
    fig.update_yaxes(title_text="Contacts", showgrid=False, rangemode="tozero", tickformat=",.0f", secondary_y=True)
    fig.update_xaxes(tickformat="%b %Y", dtick="M3")
    return styled(fig, title="Revenue and contacts per month", height=440)
