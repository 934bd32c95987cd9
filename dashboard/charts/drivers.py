"""Drivers charts: importance against performance, and the odds ratios with their intervals."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from dashboard.charts.theme import GREY, INK, PALETTE, draws_data_as_text, empty_note, styled

LABELLED = 8
"""Drivers named on the importance chart (the largest differences); the others are named on hover."""
KIND_COLOURS = {"behaviour": PALETTE[0], "journey pain": PALETTE[5], "attribute": PALETTE[2], "tenure": PALETTE[3]}


@draws_data_as_text
def importance_performance(table: pd.DataFrame, outcome: str) -> go.Figure:
    """Each driver as a point: how common its bad side is (prevalence, x) against how much higher the outcome rate is
    with it (difference in percentage points, y); the top right is what to fix first. The LABELLED drivers with the
    largest differences are named on the chart."""
    rows = table[table["kind"] != "all"]
    named = set(rows["difference"].abs().sort_values(ascending=False).index[:LABELLED])
    fig = styled(go.Figure(), title=f"What goes with {outcome}: how strongly, and how common", height=520)
    if rows.empty:
        return empty_note(fig, "No driver splits these customers: every driver is shown by all of them or by none.")
    for kind, group in rows.groupby("kind", sort=True):
        fig.add_scatter(
            x=group["prevalence"] * 100,
            y=group["difference"] * 100,
            mode="markers+text",
            name=str(kind),
            text=[d if i in named else "" for i, d in zip(group.index, group["driver"], strict=True)],
            customdata=group["driver"],
            # names run right of the points near the left edge and left of those near the right, never off the chart
            textposition=["top right" if x < 25 else "top left" if x > 75 else "top center" for x in group["prevalence"] * 100],
            textfont={"size": 13, "color": INK},
            marker={"size": 14, "color": KIND_COLOURS.get(str(kind), GREY), "line": {"color": INK, "width": 1}},
            hovertemplate="%{customdata}<br>%{x:.1f} % of customers<br>%{y:+.1f} points<extra></extra>",
            cliponaxis=False,
        )
    fig.add_hline(y=0, line={"color": GREY, "width": 1})
    fig.update_xaxes(title_text="Customers on the bad side (%)", range=[0, 105], ticksuffix=" %")
    fig.update_yaxes(title_text=f"Difference in {outcome} rate (points)")
    return fig


def log_ticks(values: pd.Series) -> list[float]:
    """Ticks 1, 2, 5, 10, 20, 50… spanning the finite positive values (named ticks: plotly draws the 2s and 5s of a log
    axis at three quarters of the font size, under 16 px in presentation mode)."""
    shown = pd.to_numeric(values, errors="coerce")
    shown = shown[np.isfinite(shown) & (shown > 0)]
    if shown.empty:
        return [1.0]
    low, high = math.floor(math.log10(shown.min())), math.ceil(math.log10(shown.max()))
    return [float(f"{m * 10.0**e:.12g}") for e in range(low, high + 1) for m in (1, 2, 5)]


@draws_data_as_text
def odds_ratios(table: pd.DataFrame, outcome: str) -> go.Figure:
    """Odds ratio of each driver with its 95 % interval (log scale), crude and adjusted for the others; 1 = no link."""
    rows = table[table["kind"] != "all"].iloc[::-1]
    title = f"Odds of {outcome}: each driver alone and adjusted for the others"
    fig = styled(go.Figure(), title=title, height=max(360, 120 + 34 * len(rows)))
    if rows.empty:
        return empty_note(fig, "No driver splits these customers, so there is no odds ratio to draw.")
    fig.add_scatter(
        x=rows["odds_ratio"],
        y=rows["driver"],
        mode="markers",
        name="Alone",
        marker={"size": 11, "color": PALETTE[0]},
        error_x={
            "type": "data",
            "symmetric": False,
            "array": rows["or_high"] - rows["odds_ratio"],
            "arrayminus": rows["odds_ratio"] - rows["or_low"],
        },
        hovertemplate="%{y}<br>odds ratio %{x:.2f}<extra></extra>",
    )
    adjusted = rows[rows["adjusted_or"].notna()]
    if not adjusted.empty:
        fig.add_scatter(
            x=adjusted["adjusted_or"].astype(float),
            y=adjusted["driver"],
            mode="markers",
            name="Adjusted",
            marker={"size": 11, "color": PALETTE[1], "symbol": "diamond"},
            error_x={
                "type": "data",
                "symmetric": False,
                "array": adjusted["adjusted_high"].astype(float) - adjusted["adjusted_or"].astype(float),
                "arrayminus": adjusted["adjusted_or"].astype(float) - adjusted["adjusted_low"].astype(float),
            },
            hovertemplate="%{y}<br>adjusted odds ratio %{x:.2f}<extra></extra>",
        )
    fig.add_vline(x=1, line={"color": GREY, "width": 1, "dash": "dash"})
    ticks = log_ticks(pd.concat([rows[c] for c in ("or_low", "or_high", "adjusted_low", "adjusted_high")]))
    ticktext = [f"{t:g}" for t in ticks]
    fig.update_xaxes(type="log", title_text="Odds ratio (log scale; 1 = no link)", tickvals=ticks, ticktext=ticktext)
    fig.update_layout(margin={"l": 320})
    return fig
