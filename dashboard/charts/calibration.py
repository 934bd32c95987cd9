"""Calibration-then-holdout charts: what a lifetime-value model predicted for the later part of the data against what
happened."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from dashboard.charts.theme import GREY, INK, PALETTE, draws_data_as_text, styled


@draws_data_as_text
def survival_check(frame: pd.DataFrame, unit: str) -> go.Figure:
    """Share still a customer after each period: actual (Kaplan-Meier) as a line, the sBG prediction dashed, with the
    calibration periods shaded."""
    periods = pd.to_numeric(frame["period"])
    fig = go.Figure()
    split = periods[frame["calibration"].astype(bool)].max()
    fig.add_vrect(x0=0, x1=split, fillcolor=GREY, opacity=0.15, line_width=0, annotation_text="fitted on")
    fig.add_scatter(
        x=periods,
        y=frame["actual"],
        name="Actual",
        mode="lines+markers",
        line={"color": INK, "width": 3},
        hovertemplate=f"{unit} %{{x}}: %{{y:.1%}} still customers<extra></extra>",
    )
    fig.add_scatter(
        x=periods,
        y=frame["predicted"],
        name="Predicted (sBG)",
        mode="lines",
        line={"color": PALETTE[1], "width": 3, "dash": "dash"},
        hovertemplate=f"{unit} %{{x}}: %{{y:.1%}} predicted<extra></extra>",
    )
    fig.update_xaxes(title_text=f"{unit.title()}s since joining", rangemode="tozero")
    fig.update_yaxes(title_text="Still customers", tickformat=".0%", rangemode="tozero")
    return styled(fig, title="Contract model: predicted against actual retention", height=400)


@draws_data_as_text
def purchases_check(frame: pd.DataFrame) -> go.Figure:
    """Mean repeat purchases per customer in the holdout weeks, actual against BG/NBD's prediction, by the number of
    repeat purchases in the calibration weeks."""
    fig = go.Figure()
    for column, name, colour in (("actual", "Actual", INK), ("predicted", "Predicted (BG/NBD)", PALETTE[1])):
        fig.add_bar(
            x=frame["period"],
            y=frame[column],
            name=name,
            marker_color=colour,
            hovertemplate=f"%{{x}} repeat purchases before: %{{y:.2f}} {name.lower()} in the holdout<extra></extra>",
        )
    fig.update_xaxes(title_text="Repeat purchases in the calibration weeks", type="category")
    fig.update_yaxes(title_text="Purchases per customer in the holdout weeks", rangemode="tozero")
    fig.update_layout(barmode="group")
    return styled(fig, title="Purchase model: predicted against actual purchases", height=400)
