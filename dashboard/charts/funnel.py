"""Funnel page charts: the stage funnel, stages now, breakdown, cohorts, sales funnel, movement, time in stage,
economics. Colours follow the stage's role, so a renamed stage keeps its colour.

Every chart is built from plain dicts of plotly properties (theme.built): a filter change redraws them all, and
plotly's checked properties cost 30 to 200 ms a figure (tests/test_fast_figures.py validates each with plotly)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from dashboard import formatting
from dashboard.charts.theme import (
    BAD,
    GOOD,
    GREY,
    INK,
    PALETTE,
    bars_and_line_by_month,
    built,
    colour_for,
    draws_data_as_text,
    note,
)
from dashboard.formatting import NumberFormat
from dashboard.metrics.funnel.movement import DOWN, SAME, UP
from dashboard.metrics.funnel.stages import DEFAULT_NAMES

LEGEND_BELOW = {"orientation": "h", "x": 0, "xanchor": "left", "y": -0.16, "yanchor": "top"}
"""A legend under the plot, so it never runs into a left-aligned title on a half-width chart."""
CONNECTOR = {"fillcolor": "#EEF0F3", "line": {"width": 0}}


def role_colour(role: str) -> str:
    """The colour of a stage on every chart, from what the stage stands for (grey for 'not yet known')."""
    if role == "new":
        return GREY
    return colour_for(DEFAULT_NAMES.get(role, role), "relationship_stage")


def _plain(values: object) -> object:
    """values as plotly.js receives them: numbers as a numpy array (sent as a typed array, as plotly's own checked
    figures send them; a missing number as NaN), anything else as a list of plain values (a missing one as None)."""
    array = np.asarray(values.to_numpy() if hasattr(values, "to_numpy") else values)
    if array.dtype.kind in "iuf":
        return array
    return [None if isinstance(v, float) and math.isnan(v) else v for v in array.tolist()]


def _pct(nf: NumberFormat, share: float | None, decimals: int = 1) -> str:
    return nf.pct(None if share is None or pd.isna(share) else float(share), decimals)


@draws_data_as_text
def stage_funnel(counts: pd.DataFrame, nf: NumberFormat = NumberFormat()) -> go.Figure:
    """The ladder as a funnel: customers who had reached each stage (or a higher one), with conversion of the first
    stage and of the previous one."""
    ladder = counts[counts["kind"] == "ladder"]
    text, positions = [], []
    widest = float(ladder["reached"].max() or 1)
    for i, r in enumerate(ladder.itertuples()):
        line = nf.number(r.reached)
        if i:
            line += f" · {_pct(nf, r.of_first)} of first<br>{_pct(nf, r.of_previous)} of previous"
        text.append(line)
        positions.append("inside" if (r.reached or 0) >= 0.45 * widest else "outside")
    trace = {
        "type": "funnel",
        "y": _plain(ladder["stage"]),
        "x": _plain(ladder["reached"]),
        "text": text,
        "textinfo": "text",
        "textposition": positions,
        "insidetextfont": {"color": "white"},
        "marker": {"color": [role_colour(r) for r in ladder["role"]]},
        "connector": CONNECTOR,
        "hovertemplate": "%{y}: %{x:,.0f} reached<extra></extra>",
    }
    layout = {"margin": {"l": 140, "r": 30, "t": 60, "b": 30}}
    return built([trace], layout, title="Reached each stage (or a higher one)", height=440)


@draws_data_as_text
def stages_now(counts: pd.DataFrame, nf: NumberFormat = NumberFormat()) -> go.Figure:
    """Customers in each stage on the as-of date, off-ramps included, with their share of all known customers. The
    figures stand beside each stage's name, on the axis, not at the end of its bar: a label past the longest bar ran
    off a half-width chart ("10,799 (54.0" at 1280 px), and the axis widens its margin to fit them."""
    order = counts.iloc[::-1]
    labels = [
        f"{stage}  <b>{nf.number(c)}</b> ({_pct(nf, s)})"
        for stage, c, s in zip(order["stage"], order["customers"], order["share"], strict=True)
    ]
    trace = {
        "type": "bar",
        "y": _plain(order["stage"]),
        "x": _plain(order["customers"]),
        "orientation": "h",
        "marker": {"color": [role_colour(r) for r in order["role"]]},
        "hovertemplate": "%{y}: %{x:,.0f} customers<extra></extra>",
    }
    xaxis = {"showticklabels": False, "showgrid": False, "showline": False, "ticks": "", "rangemode": "tozero"}
    yaxis = {"tickmode": "array", "tickvals": _plain(order["stage"]), "ticktext": labels, "automargin": True}
    layout = {"xaxis": xaxis, "yaxis": yaxis, "margin": {"l": 20, "r": 20, "t": 60, "b": 30}}
    return built([trace], layout, title="In each stage now", height=400)


@draws_data_as_text
def breakdown_bars(frame: pd.DataFrame, by: str, nf: NumberFormat = NumberFormat()) -> go.Figure:
    """One 100 % bar per segment or region value (largest first, Other last), split into stages."""
    values = list(dict.fromkeys(frame["value"]))
    traces = []
    for (role, stage), part in frame.groupby(["role", "stage"], sort=False):
        part = part.set_index("value").reindex(values)
        traces.append(
            {
                "type": "bar",
                "y": _plain(values),
                "x": _plain(part["share"].fillna(0)),
                "name": stage,
                "orientation": "h",
                "marker": {"color": role_colour(role)},
                "customdata": _plain(part["customers"].fillna(0)),
                "hovertemplate": f"%{{y}} · {stage}: %{{customdata:,.0f}} (%{{x:.1%}})<extra></extra>",
            }
        )
    layout = {
        "barmode": "stack",
        "legend": {"traceorder": "normal"},
        "yaxis": {"autorange": "reversed"},
        "xaxis": {"tickformat": ".0%", "range": [0, 1]},
        "margin": {"l": 150, "r": 30, "t": 90, "b": 40},
    }
    return built(traces, layout, title=f"Stages by {by}", height=max(320, 90 + 34 * len(values)))


@draws_data_as_text
def cohort_heatmap(frame: pd.DataFrame, target: str, nf: NumberFormat = NumberFormat(), max_months: int = 12) -> go.Figure:
    """Signup months (rows, newest first) by months since signup (columns, up to max_months): share of the cohort that
    had reached the target stage; percentages are written in the cells when there are few enough to read."""
    shown = frame[frame["months"] <= max_months]
    table = shown.pivot_table(index="cohort", columns="months", values="share", aggfunc="first").sort_index(ascending=False)
    sizes = shown.groupby("cohort")["cohort_size"].first()
    labels = [f"{formatting.month(c)} ({nf.number(sizes[c])})" for c in table.index]
    readable = len(labels) <= 24
    text = [[("" if pd.isna(v) or not readable else f"{v:.0%}") for v in row] for row in table.to_numpy()]
    trace = {
        "type": "heatmap",
        "z": _plain(table.to_numpy()),
        "x": [str(int(c)) for c in table.columns],
        "y": labels,
        "text": text,
        "texttemplate": "%{text}",
        "textfont": {"size": 13},
        "colorscale": [[0, "#F3F4F6"], [1, PALETTE[0]]],
        "zmin": 0,
        "zmax": 1,
        "colorbar": {"title": {"text": "reached"}, "tickformat": ".0%"},
        "hovertemplate": "%{y}, month %{x}: %{z:.1%}<extra></extra>",
        "xgap": 1,
        "ygap": 1,
    }
    layout = {
        "xaxis": {"title": {"text": "months since signup (0 = the signup month)"}, "showgrid": False, "dtick": 1},
        "yaxis": {"showgrid": False},
        "margin": {"l": 160, "r": 30, "t": 60, "b": 70},
    }
    height = max(360, 140 + (24 if readable else 16) * len(labels))
    return built([trace], layout, title=f"Share of each signup month that reached {target}", height=height)


@draws_data_as_text
def sales_funnel_chart(steps: pd.DataFrame, nf: NumberFormat = NumberFormat()) -> go.Figure:
    """Leads, those who placed a first order, and those who did so within the conversion window."""
    colours = [PALETTE[4], PALETTE[0], PALETTE[2]]
    trace = {
        "type": "funnel",
        "y": _plain(steps["step"]),
        "x": _plain(steps["customers"]),
        "text": [f"{nf.number(c)} · {_pct(nf, s)}" for c, s in zip(steps["customers"], steps["of_leads"], strict=True)],
        "textinfo": "text",
        "insidetextfont": {"color": "white"},
        "marker": {"color": colours[: len(steps)]},
        "connector": CONNECTOR,
        "hovertemplate": "%{y}: %{x:,.0f}<extra></extra>",
    }
    layout = {"margin": {"l": 220, "r": 30, "t": 60, "b": 30}}
    return built([trace], layout, title="From leads to first orders", height=320)


@draws_data_as_text
def sales_monthly(frame: pd.DataFrame, window_days: int, nf: NumberFormat = NumberFormat()) -> go.Figure:
    """Leads per month (bars) and the share that ordered within the window (line, months whose windows have closed)."""
    traces, layout = bars_and_line_by_month(
        _plain(frame["month"]),
        {
            "y": _plain(frame["leads"]),
            "name": "Leads",
            "marker": {"color": PALETTE[4]},
            "hovertemplate": "%{x|%b %Y}: %{y:,.0f} leads<extra></extra>",
        },
        {
            "y": _plain(frame["conversion"]),
            "name": f"Ordered within {window_days} days",
            "line": {"color": PALETTE[2]},
            "hovertemplate": "%{x|%b %Y}: %{y:.1%}<extra></extra>",
        },
        {"title": {"text": "Leads"}, "tickformat": ",.0f"},
        {"title": {"text": "Converted"}, "tickformat": ".0%", "range": [0, 1.05], "dtick": 0.25},
    )
    layout.update(legend=LEGEND_BELOW, margin={"b": 90})
    if frame.empty:
        layout["annotations"] = [note("No leads signed up inside the data's months (it needs sign-up dates within them)")]
    return built(traces, layout, title="Leads and conversion by month of signup", height=400)


@draws_data_as_text
def transition_heatmap(
    matrix: pd.DataFrame, nf: NumberFormat = NumberFormat(), first: str = "the first date", second: str = "the second date"
) -> go.Figure:
    """Stage on the first date (rows) by stage on the second (columns): customers, shaded by share of the row."""
    rows = list(dict.fromkeys(matrix.sort_values("from_order")["from_stage"]))
    cols = list(dict.fromkeys(matrix.sort_values("to_order")["to_stage"]))
    counts = matrix.pivot_table(index="from_stage", columns="to_stage", values="customers", aggfunc="sum", fill_value=0)
    counts = counts.reindex(index=rows, columns=cols, fill_value=0)
    shares = counts.div(counts.sum(axis=1).replace(0, 1), axis=0)
    text = [[(nf.number(v) if v else "") for v in row] for row in counts.to_numpy()]
    trace = {
        "type": "heatmap",
        "z": _plain(shares.to_numpy()),
        "x": _plain(cols),
        "y": _plain(rows),
        "text": text,
        "texttemplate": "%{text}",
        "customdata": _plain(counts.to_numpy()),
        "colorscale": [[0, "#FFFFFF"], [1, PALETTE[0]]],
        "zmin": 0,
        "zmax": 1,
        "colorbar": {"title": {"text": "share of row"}, "tickformat": ".0%"},
        "hovertemplate": "from %{y} to %{x}: %{customdata:,.0f} (%{z:.1%} of the row)<extra></extra>",
        "xgap": 2,
        "ygap": 2,
    }
    layout = {
        "xaxis": {"title": {"text": f"stage at {second}"}, "showgrid": False, "tickangle": 0},
        "yaxis": {"title": {"text": f"stage at {first}"}, "autorange": "reversed", "showgrid": False},
        "margin": {"l": 170, "r": 30, "t": 60, "b": 70},
    }
    title = "Where customers went: rows add up to 100 %"
    return built([trace], layout, title=title, height=max(440, 130 + 46 * len(rows)))


@draws_data_as_text
def movement_bars(summary: pd.DataFrame, nf: NumberFormat = NumberFormat()) -> go.Figure:
    """Per stage on the first date: the shares that moved down, stayed and moved up by the second date."""
    traces = [
        {
            "type": "bar",
            "y": _plain(summary["stage"]),
            "x": _plain(summary[share]),
            "name": label,
            "orientation": "h",
            "marker": {"color": colour},
            "customdata": _plain(summary[label]),
            "text": [_pct(nf, v, 0) if v >= 0.06 else "" for v in summary[share]],
            "textposition": "inside",
            "insidetextanchor": "middle",
            "hovertemplate": f"%{{y}}: %{{customdata:,.0f}} {label} (%{{x:.1%}})<extra></extra>",
        }
        for label, share, colour in ((DOWN, "down_share", BAD), (SAME, "same_share", "#D1D5DB"), (UP, "up_share", GOOD))
    ]
    layout = {
        "barmode": "stack",
        "yaxis": {"autorange": "reversed"},
        "xaxis": {"tickformat": ".0%", "range": [0, 1]},
        "legend": LEGEND_BELOW,
        "margin": {"l": 150, "r": 30, "t": 60, "b": 100},
    }
    title = "Moved up, stayed or moved down, by stage at the first date"
    return built(traces, layout, title=title, height=max(360, 150 + 40 * len(summary)))


@draws_data_as_text
def time_in_stage_bars(frame: pd.DataFrame, nf: NumberFormat = NumberFormat()) -> go.Figure:
    """Median days in each stage, with how many completed spells the median rests on."""
    shown = frame.iloc[::-1]
    medians = shown["median_days"].astype(float)
    text = [
        (f"{nf.number(m)} days · {nf.number(n)} spells" if pd.notna(m) else "no completed spells")
        for m, n in zip(medians, shown["spells"], strict=True)
    ]
    trace = {
        "type": "bar",
        "y": _plain(shown["stage"]),
        "x": _plain(medians.fillna(0)),
        "orientation": "h",
        "marker": {"color": [role_colour(r) for r in shown["role"]]},
        "text": text,
        "textposition": "outside",
        "cliponaxis": False,
        "customdata": _plain(shown["measure"]),
        "hovertemplate": "%{y}: %{x:,.0f} days<br>%{customdata}<extra></extra>",
    }
    top = float(medians.max()) if medians.notna().any() else 1.0
    layout = {
        "xaxis": {"title": {"text": "median days"}, "range": [0, top * 1.6 + 1], "tickformat": ",.0f"},
        "margin": {"l": 140, "r": 30, "t": 60, "b": 50},
    }
    return built([trace], layout, title="Median time in each stage", height=400)


@draws_data_as_text
def economics_bars(frame: pd.DataFrame, nf: NumberFormat = NumberFormat()) -> go.Figure:
    """Per stage: margin per customer over the window (bars), with marketing cost per customer as a marker."""
    shown = frame[frame["customers"] > 0]
    traces = [
        {
            "type": "bar",
            "x": _plain(shown["stage"]),
            "y": _plain(shown["margin"]),
            "name": "Margin per customer",
            "marker": {"color": [role_colour(r) for r in shown["role"]]},
            "text": [nf.money(v) for v in shown["margin"]],
            "textposition": "outside",
            "cliponaxis": False,
            "hovertemplate": "%{x}: margin %{y:,.2f} per customer<extra></extra>",
        }
    ]
    if shown["marketing_cost"].notna().any():
        traces.append(
            {
                "type": "scatter",
                "x": _plain(shown["stage"]),
                "y": _plain(shown["marketing_cost"]),
                "name": "Marketing cost per customer",
                "mode": "markers",
                "marker": {"symbol": "line-ew-open", "size": 40, "color": INK, "line": {"width": 4, "color": INK}},
                "hovertemplate": "%{x}: marketing cost %{y:,.2f} per customer<extra></extra>",
            }
        )
    yaxis = {"title": {"text": f"per customer ({nf.currency})"}, "tickprefix": nf.currency, "tickformat": ",.0f"}
    layout = {"yaxis": yaxis, "legend": LEGEND_BELOW, "margin": {"b": 110}}
    if shown["margin"].isna().all():
        layout["annotations"] = [note("No margin to show: no stage has customers with transactions in this window")]
    return built(traces, layout, title="Margin and marketing cost per customer, by stage", height=460)
