"""Journey service charts: repeat contacts by stage, days to resolution, churn after a complaint, channel switches,
and the drill-down's bars and customer timeline.

Built from plain dicts (theme.built), as the journey map is: they are redrawn on every filter change."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from dashboard.charts.journey import short
from dashboard.charts.theme import BAD, GOOD, GREY, INK, built, colour_for, draws_data_as_text
from dashboard.formatting import NumberFormat


@draws_data_as_text
def repeat_by_stage(lanes: pd.DataFrame, number_format: NumberFormat = NumberFormat(), *, repeat_days: int = 7) -> go.Figure:
    """Repeat-contact rate per stage (the complement of first-contact resolution), stages top to bottom, the worst in red."""
    data = lanes[lanes["repeat_rate"].notna()].iloc[::-1]
    worst = data["repeat_rate"].max() if len(data) else None
    bars = {
        "type": "bar",
        "y": data["stage"].to_numpy(),
        "x": data["repeat_rate"].to_numpy(),
        "orientation": "h",
        "marker": {"color": [BAD if v == worst and v > 0 else GREY for v in data["repeat_rate"]]},
        "text": [
            f"{number_format.pct(v, 0)} of {short(n, number_format)}"
            for v, n in zip(data["repeat_rate"], data["repeat_base"], strict=True)
        ],
        "textposition": "outside",
        "cliponaxis": False,
        "customdata": data[["repeats", "repeat_base"]].to_numpy(),
        "hovertemplate": "%{y}<br>%{customdata[0]:,.0f} of %{customdata[1]:,.0f} contacts repeated<extra></extra>",
    }
    top = float(data["repeat_rate"].max()) if len(data) else 0.1
    layout = {
        "xaxis": {"tickformat": ".0%", "range": [0, max(top * 1.45, 0.05)], "title": {"text": "Contacts repeated"}},
        "margin": {"l": 130},
    }
    title = f"Repeat contacts within {repeat_days} days, by stage"
    return built([bars], layout, title=title, height=max(300, 90 + 36 * len(data)))


@draws_data_as_text
def resolution_histogram(days: pd.DataFrame, *, sla_days: int, subject: str = "complaints") -> go.Figure:
    """Complaints by whole days to resolution, inside the SLA in green and outside in vermillion; unresolved apart."""
    resolved = days[days["day"] >= 0]
    unresolved = int(days.loc[days["day"] < 0, "complaints"].sum())
    bars = [
        {
            "type": "bar",
            "x": [f"{d}+" if d == 30 else str(d) for d in resolved["day"]],
            "y": resolved["complaints"].to_numpy(),
            "marker": {"color": [GOOD if w else BAD for w in resolved["within_sla"]]},
            "hovertemplate": "resolved after %{x} days<br>%{y:,.0f} " + subject + "<extra></extra>",
            "showlegend": False,
        }
    ]
    if unresolved:
        bars.append(
            {
                "type": "bar",
                "x": ["unresolved"],
                "y": [unresolved],
                "text": [f"{unresolved:,} unresolved"],
                "textposition": "outside",
                "cliponaxis": False,
                "marker": {"color": INK},
                "hovertemplate": "%{y:,.0f} unresolved<extra></extra>",
                "showlegend": False,
            }
        )
    x = sla_days - 0.5
    line = {"type": "line", "x0": x, "x1": x, "xref": "x", "y0": 0, "y1": 1, "yref": "y domain"}
    label = {"text": f"SLA {sla_days} d", "x": x, "xref": "x", "y": 1, "yref": "y domain", "showarrow": False}
    layout = {
        "shapes": [{**line, "line": {"color": INK, "width": 2, "dash": "dot"}}],
        "annotations": [{**label, "xanchor": "left", "yanchor": "top"}],
        "xaxis": {"type": "category", "title": {"text": "Days to resolution"}},
        "yaxis": _count_axis([*resolved["complaints"], unresolved], subject.capitalize()),
    }
    return built(bars, layout, title=f"How long {subject} take to resolve", height=380)


LOG_SPREAD = 50
"""A count axis is drawn on a log scale when its largest bar is at least this many times its smallest."""


def _count_axis(counts: list, title: str) -> dict:
    """A y axis for whole counts: a log scale labelled at powers of ten when the bars span LOG_SPREAD or more, else a
    linear one from 0 labelled in whole numbers (never the 0.2 steps a scale of a few bars would get)."""
    drawn = [float(c) for c in counts if c and c > 0]
    if drawn and max(drawn) / min(drawn) >= LOG_SPREAD:
        return {"title": {"text": f"{title} (log scale)"}, "type": "log", "dtick": 1, "tickformat": ",.0f"}
    axis = {"title": {"text": title}, "rangemode": "tozero", "tickformat": ",d"}
    return {**axis, "dtick": 1} if max(drawn, default=0) <= 10 else axis


@draws_data_as_text
def complaint_churn(groups: pd.DataFrame, number_format: NumberFormat = NumberFormat()) -> go.Figure:
    """Churn rate side by side: complaint resolved at first contact, not resolved at first contact, no complaint."""
    colours = {"fcr": GOOD, "not_fcr": BAD, "none": GREY}
    bars = {
        "type": "bar",
        "x": groups["label"].str.replace(" at first contact", "<br>at first contact").to_numpy(),
        "y": groups["churn_rate"].to_numpy(),
        "marker": {"color": [colours[g] for g in groups["group"]]},
        "text": [
            f"<b>{number_format.pct(r, 1)}</b><br>{number_format.number(c, 0)} of {number_format.number(n, 0)}"
            if n
            else "no customers"
            for r, c, n in zip(groups["churn_rate"], groups["churned"], groups["customers"], strict=True)
        ],
        "textposition": "outside",
        "cliponaxis": False,
        "hovertemplate": "%{x}<br>churn %{y:.1%}<extra></extra>",
    }
    top = float(groups["churn_rate"].max()) if groups["churn_rate"].notna().any() else 0.1
    layout = {"yaxis": {"tickformat": ".0%", "range": [0, top * 1.4 or 0.1], "title": {"text": "Churned"}}}
    return built([bars], layout, title="Churn after a complaint", height=380)


@draws_data_as_text
def switches(pairs: pd.DataFrame, number_format: NumberFormat = NumberFormat(), *, top: int = 8) -> go.Figure:
    """The biggest channel switches (stage: from → to) as horizontal bars."""
    data = pairs.head(top).iloc[::-1]
    bars = {
        "type": "bar",
        "x": data["switches"].to_numpy(),
        "y": [f"{s}: {f} → {t}" for s, f, t in zip(data["stage"], data["from_channel"], data["to_channel"], strict=True)],
        "orientation": "h",
        "marker": {"color": [colour_for(t, "channel") for t in data["to_channel"]]},
        "text": [
            f"{number_format.number(n, 0)} ({number_format.pct(r, 0)})"
            for n, r in zip(data["switches"], data["rate"], strict=True)
        ],
        "textposition": "outside",
        "cliponaxis": False,
        "hovertemplate": "%{y}<br>%{x:,.0f} contacts switched channel<extra></extra>",
    }
    x_axis = {"title": {"text": "Contacts"}, "tickformat": ",.0f", "nticks": 4}
    # the names' margin is worked out from their text (room.py); the longest bar leaves room for its figure after it
    layout = {"xaxis": {**x_axis, "range": [0, float(data["switches"].max() or 1) * 1.6]}, "margin": {"r": 30}}
    title = "Same reason, another channel, within the window"
    return built([bars], layout, title=title, height=max(300, 90 + 40 * len(data)))


@draws_data_as_text
def drill_bars(options: pd.DataFrame, kind: str, selected: str | None = None) -> go.Figure:
    """Customers per stage or channel as bars; the one drilled into outlined."""
    data = options[options["kind"] == kind]
    colour_kind = "journey_stage" if kind == "stage" else "channel"
    bars = {
        "type": "bar",
        "x": data["label"].to_numpy(),
        "y": data["customers"].to_numpy(),
        "marker": {
            "color": [colour_for(lbl, colour_kind) for lbl in data["label"]],
            "line": {"color": [INK if lbl == selected else "white" for lbl in data["label"]], "width": 3},
        },
        "customdata": data[["touchpoints"]].to_numpy(),
        "hovertemplate": "%{x}<br>%{y:,.0f} customers · %{customdata[0]:,.0f} touchpoints<extra></extra>",
    }
    return built([bars], {"yaxis": {"title": {"text": "Customers"}, "tickformat": ",.0f"}}, height=320)


def _timeline_rows(touch: pd.DataFrame, stage_order: list[str], has_transactions: bool) -> list[str]:
    """The timeline's rows: the customer's stages in journey order, others after, then (no stage) and transactions."""
    present = [s for s in stage_order if s in set(touch["stage"].dropna())]
    others = sorted(set(touch["stage"].dropna()) - set(present))
    rows = [*present, *others]
    if touch["stage"].isna().any():
        rows.append("(no stage)")
    if has_transactions:
        rows.append("transactions")
    return rows


def _touch_markers(channel: str, part: pd.DataFrame) -> dict:
    """One channel's touchpoints on the timeline: a cross where satisfaction was low (under 3)."""
    sat = part["satisfaction"]
    return {
        "type": "scatter",
        "x": part["ts"].to_numpy(),
        "y": part["stage"].fillna("(no stage)").to_numpy(),
        "mode": "markers",
        "name": channel,
        "marker": {
            "size": 15,
            "color": colour_for(channel, "channel"),
            "symbol": ["x" if v is not None and pd.notna(v) and v < 3 else "circle" for v in sat],
            "line": {"color": "white", "width": 1},
        },
        "customdata": np.column_stack(
            [part["step"], part["reason"].fillna("—"), sat.fillna(np.nan), part["effort"].fillna(np.nan)]
        ),
        "hovertemplate": (
            "#%{customdata[0]} · %{y} · " + channel + "<br>%{x|%d %b %Y %H:%M}<br>%{customdata[1]}"
            "<br>satisfaction %{customdata[2]} · effort %{customdata[3]}<extra></extra>"
        ),
    }


@draws_data_as_text
def timeline(events: pd.DataFrame, stage_order: list[str]) -> go.Figure:
    """One customer's touchpoints (by stage, coloured by channel) and transactions over time."""
    touch = events[events["kind"] == "touchpoint"]
    tx = events[events["kind"] == "transaction"]
    rows = _timeline_rows(touch, stage_order, bool(len(tx)))
    traces = [
        _touch_markers(str(channel), part) for channel, part in touch.groupby(touch["channel"].fillna("(no channel)"), sort=True)
    ]
    if len(tx):
        traces.append(
            {
                "type": "scatter",
                "x": tx["ts"].to_numpy(),
                "y": ["transactions"] * len(tx),
                "mode": "markers",
                "name": "transaction",
                "marker": {"size": 9, "color": GREY, "symbol": "line-ns-open", "line": {"width": 2, "color": GREY}},
                "customdata": tx[["amount"]].to_numpy(),
                "hovertemplate": "%{x|%d %b %Y}<br>amount %{customdata[0]:,.2f}<extra></extra>",
            }
        )
    layout = {
        "yaxis": {"categoryorder": "array", "categoryarray": rows[::-1], "type": "category"},
        "legend": {"title": {"text": "Channel"}},
        "margin": {"l": 130},
    }
    return built(traces, layout, height=max(280, 90 + 42 * len(rows)))
