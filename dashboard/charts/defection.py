"""Defection charts: rates by month and group, reasons as a Pareto, complaints, money by reason and segment, retention."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from dashboard.charts.theme import BAD, GREY, INK, PALETTE, colour_for, draws_data_as_text, month_ticks, styled
from dashboard.formatting import NumberFormat

LOST, AT_RISK = colour_for("defected", "relationship_stage"), colour_for("at risk", "relationship_stage")
GROUP_TITLES = {
    "segment": "Defection by segment",
    "stage": "Defection by relationship stage",
    "behaviours": "Defection by number of perfect-customer behaviours",
}


@draws_data_as_text
def monthly_rates(frame: pd.DataFrame, number_format: NumberFormat = NumberFormat()) -> go.Figure:
    """Customers who defected each month as bars (left axis) and the monthly defection rate as a line (right axis)."""
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    fig.add_bar(
        x=frame["month"],
        y=frame["defected"],
        name="Defected",
        marker_color=LOST,  # the colour of the "defected" stage on every page
        hovertemplate="%{x|%b %Y}<br>%{y:,.0f} customers defected<extra></extra>",
    )
    fig.add_scatter(
        x=frame["month"],
        y=frame["rate"],
        name="Defection rate",
        mode="lines+markers",
        line={"color": INK, "width": 3},
        hovertemplate="%{x|%b %Y}<br>%{y:.2%} of customers at the start of the month<extra></extra>",
        secondary_y=True,
    )
    fig.update_yaxes(title_text="Customers defected", tickformat=",.0f", rangemode="tozero", secondary_y=False)
    fig.update_yaxes(title_text="Defection rate", tickformat=".1%", rangemode="tozero", showgrid=False, secondary_y=True)
    fig.update_xaxes(**month_ticks(list(frame["month"])))
    return styled(fig, title="Customers defecting each month", height=420)


@draws_data_as_text
def rates_by_group(frame: pd.DataFrame, dimension: str) -> go.Figure:
    """Defection rate in the period and the at-risk share now, one pair of bars per group value."""
    rows = frame[frame["dimension"] == dimension]
    labels = [f"{v} behaviour{'s' if v != '1' else ''}" if dimension == "behaviours" else str(v) for v in rows["value"]]
    fig = go.Figure()
    fig.add_bar(
        x=labels,
        y=rows["rate"],
        name="Defected in the selected months",
        marker_color=LOST,
        text=[f"{r:.1%}" if pd.notna(r) else "" for r in rows["rate"]],
        textposition="outside",
        customdata=rows[["defected", "customers"]].to_numpy(),
        hovertemplate="%{x}<br>%{y:.1%} defected (%{customdata[0]:,} of %{customdata[1]:,})<extra></extra>",
    )
    fig.add_bar(
        x=labels,
        y=rows["at_risk_share"],
        name="At risk now",
        marker_color=AT_RISK,
        text=[f"{r:.1%}" if pd.notna(r) else "" for r in rows["at_risk_share"]],
        textposition="outside",
        customdata=rows[["at_risk", "customers_now"]].to_numpy(),
        hovertemplate="%{x}<br>%{y:.1%} at risk (%{customdata[0]:,} of %{customdata[1]:,} customers now)<extra></extra>",
    )
    fig.update_layout(barmode="group", bargap=0.25)
    fig.update_yaxes(tickformat=".0%", rangemode="tozero", title_text="Share of customers")
    if dimension == "stage":
        fig.update_traces(
            selector={"name": "Defected in the selected months"},
            marker_color=[colour_for(v, "relationship_stage") for v in rows["value"]],
        )
    return styled(fig, title=GROUP_TITLES[dimension], height=420)


@draws_data_as_text
def reasons_pareto(frame: pd.DataFrame) -> go.Figure:
    """Leavers by churn reason, most frequent first (bars), with the cumulative share of leavers (line, right axis)."""
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    fig.add_bar(
        x=frame["reason"],
        y=frame["customers"],
        name="Customers who left",
        marker_color=[LOST, *[PALETTE[0]] * (len(frame) - 1)],
        text=[f"{n:,}" for n in frame["customers"]],
        textposition="outside",
        hovertemplate="%{x}<br>%{y:,} customers<extra></extra>",
    )
    fig.add_scatter(
        x=frame["reason"],
        y=frame["cumulative_share"],
        name="Cumulative share",
        mode="lines+markers",
        line={"color": INK, "width": 2},
        hovertemplate="%{x}<br>%{y:.0%} of leavers up to here<extra></extra>",
        secondary_y=True,
    )
    fig.update_yaxes(title_text="Customers who left", tickformat=",.0f", rangemode="tozero", secondary_y=False)
    fig.update_yaxes(
        tickformat=".0%", range=[0, 1.05], dtick=0.25, showgrid=False, secondary_y=True, title_text="Cumulative share"
    )
    return styled(fig, title="Why customers left (Pareto)", height=440)


@draws_data_as_text
def complaint_iceberg(frame: pd.DataFrame) -> go.Figure:
    """Customers who complained against the silent customers the multiplier assumes behind them (horizontal bars)."""
    row = frame.iloc[0]
    fig = go.Figure()
    fig.add_bar(
        y=[f"Said nothing (assumed {row['silent_per_complaint']:g} per complainer)", "Complained"],
        x=[row["silent"], row["complainers"]],
        orientation="h",
        marker_color=[GREY, PALETTE[0]],
        text=[f"{row['silent']:,.0f}", f"{row['complainers']:,.0f}"],
        textposition="auto",
        hovertemplate="%{y}<br>%{x:,.0f} customers<extra></extra>",
    )
    fig.update_xaxes(title_text="Customers", tickformat=",.0f")
    fig.update_layout(margin={"l": 20})
    return styled(fig, title="Customers with a problem: those who told us and those who did not", height=260)


@draws_data_as_text
def defection_by_handling(frame: pd.DataFrame) -> go.Figure:
    """Defection rate by how the customer's complaints were handled, worst first."""
    colours = {
        "Unresolved": BAD,
        "Resolved slowly": AT_RISK,
        "Repeated contact": "#F0E442",
        "Resolved at first contact": PALETTE[2],
        "No complaint": GREY,
    }
    fig = go.Figure()
    fig.add_bar(
        x=frame["handling"],
        y=frame["rate"],
        marker_color=[colours.get(h, GREY) for h in frame["handling"]],
        text=[f"{r:.1%}" if pd.notna(r) else "" for r in frame["rate"]],
        textposition="outside",
        customdata=frame[["defected", "customers"]].to_numpy(),
        hovertemplate="%{x}<br>%{y:.1%} defected (%{customdata[0]:,} of %{customdata[1]:,})<extra></extra>",
    )
    fig.update_yaxes(tickformat=".0%", rangemode="tozero", title_text="Defection rate")
    return styled(fig, title="Defection by how complaints were handled", height=400)


@draws_data_as_text
def value_by_reason(frame: pd.DataFrame, number_format: NumberFormat = NumberFormat()) -> go.Figure:
    """Lifetime value lost (leavers, by churn reason) and revenue at risk (by main rule), largest at the top."""
    rows = frame.sort_values("value")
    fig = go.Figure()
    for kind, colour, name in (("lost", LOST, "Lifetime value lost"), ("at risk", AT_RISK, "Revenue at risk")):
        part = rows[rows["kind"] == kind]
        fig.add_bar(
            y=part["reason"],
            x=part["value"],
            orientation="h",
            name=name,
            marker_color=colour,
            text=[number_format.money(v) for v in part["value"]],
            textposition="auto",
            customdata=part[["customers"]].to_numpy(),
            hovertemplate=f"%{{y}}<br>{name}: {number_format.currency}%{{x:,.0f}}"
            "<br>%{customdata[0]:,} customers<extra></extra>",
        )
    fig.update_xaxes(title_text=f"Lifetime value ({number_format.currency})", tickprefix=number_format.currency)
    fig.update_layout(barmode="overlay")
    height = max(320, 46 * len(rows) + 120)
    return styled(fig, title="What it costs, by reason", height=height)


@draws_data_as_text
def value_by_segment(frame: pd.DataFrame, number_format: NumberFormat = NumberFormat()) -> go.Figure:
    """Lifetime value lost and revenue at risk per segment, stacked."""
    rows = frame[frame["dimension"] == "segment"]
    fig = go.Figure()
    for column, colour, name in (("value_lost", LOST, "Lifetime value lost"), ("revenue_at_risk", AT_RISK, "Revenue at risk")):
        fig.add_bar(
            x=rows["value"],
            y=rows[column],
            name=name,
            marker_color=colour,
            hovertemplate=f"%{{x}}<br>{name}: {number_format.currency}%{{y:,.0f}}<extra></extra>",
        )
    fig.update_layout(barmode="stack")
    fig.update_yaxes(title_text=f"Lifetime value ({number_format.currency})", tickprefix=number_format.currency)
    return styled(fig, title="What it costs, by segment", height=400)


@draws_data_as_text
def retention_curves(frame: pd.DataFrame) -> go.Figure:
    """Share of each signup cohort not yet defected, by months since joining (one line per cohort)."""
    fig = go.Figure()
    cohorts = list(dict.fromkeys(frame["cohort"]))
    for i, cohort in enumerate(cohorts):
        part = frame[frame["cohort"] == cohort]
        fig.add_scatter(
            x=part["months"],
            y=part["retained"],
            name=f"{cohort} ({int(part['customers'].iloc[0]):,})",
            mode="lines",
            line={"color": PALETTE[i % len(PALETTE)], "width": 3, "shape": "hv"},
            customdata=part[["observed"]].to_numpy(),
            hovertemplate=f"{cohort}<br>month %{{x}}: %{{y:.1%}} retained (%{{customdata[0]:,}} still observed)<extra></extra>",
        )
    fig.update_xaxes(title_text="Months since joining", rangemode="tozero")
    fig.update_yaxes(title_text="Still customers", tickformat=".0%")
    fig.update_layout(legend={"title": {"text": "Joined in (customers)"}})
    return styled(fig, title="Retention by signup cohort", height=440)
