"""Journey charts: the journey map, the stage × channel heatmap, the step-indexed Sankey, service charts, a timeline."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from dashboard.charts.theme import BAD, FONT_SIZE, GOOD, GREY, INK, PALETTE, colour_for, draws_data_as_text, styled
from dashboard.formatting import NumberFormat
from dashboard.metrics.journey.lanes import HEATMAP_METRICS, PAIN_POINTS

PAIN_LABELS = {key: label for key, label, _ in PAIN_POINTS}
PAIN_SHORT = {"low_satisfaction": "Low sat.", "repeat_contacts": "Repeats", "sla_breaches": "SLA miss"}
AMBER = "#E69F00"
REDS = [[0.0, "#FFF5EB"], [0.5, "#FDAE6B"], [1.0, "#D55E00"]]
BLUES = [[0.0, "#F0F7FC"], [1.0, "#0072B2"]]
RED_TO_GREEN = [[0.0, "#D55E00"], [0.5, "#F7F3C6"], [1.0, "#009E73"]]
GREEN_TO_RED = [[0.0, "#009E73"], [0.5, "#F7F3C6"], [1.0, "#D55E00"]]


def _rgba(hex_colour: str, alpha: float) -> str:
    value = hex_colour.lstrip("#")
    r, g, b = (int(value[i : i + 2], 16) for i in (0, 2, 4))
    return f"rgba({r},{g},{b},{alpha})"


def _short(value: float | None, number_format: NumberFormat) -> str:
    """A count written short for a chart label: 950, 12.3K, 1.2M."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    for cut, unit, suffix in ((1e6, 1e6, "M"), (1e4, 1e3, "K")):
        if abs(value) >= cut:
            return number_format.number(value / unit, 1) + suffix
    return number_format.number(value, 0)


def _days(value: float | None, number_format: NumberFormat) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return f"{number_format.number(value, 1 if value < 10 else 0)} d"


@draws_data_as_text
def journey_map(
    lanes: pd.DataFrame,
    mix: pd.DataFrame,
    number_format: NumberFormat = NumberFormat(),
) -> go.Figure:
    """The journey map: a column per stage; lanes for volume, channel mix, the emotion line, time to next stage, cost, pain."""
    stages = lanes["stage"].tolist()
    has_emotion = lanes["satisfaction"].notna().any() or lanes["effort"].notna().any()
    has_cost = lanes["cost_per_contact"].notna().any()
    rows = [("volume", "Touchpoints<br>and customers", 0.8), ("mix", "Channel mix", 1.0)]
    if has_emotion:
        rows.append(("emotion", "Emotion line", 1.2))
    rows.append(("next", "Median time<br>to next stage", 0.34))
    if has_cost:
        rows.append(("cost", "Cost per<br>contact", 0.34))
    rows.append(("pain", "Top pain point", 0.48))
    fig = make_subplots(
        rows=len(rows),
        cols=1,
        shared_xaxes=True,
        vertical_spacing=0.035,
        row_heights=[h for _, _, h in rows],
    )
    index = {key: i + 1 for i, (key, _, _) in enumerate(rows)}
    fig.add_bar(
        x=stages,
        y=lanes["touchpoints"],
        marker_color="#4B5563",
        text=[
            f"{_short(tp, number_format)}<br>{_short(c, number_format)} cust."
            for tp, c in zip(lanes["touchpoints"], lanes["customers"], strict=True)
        ],
        textposition="outside",
        textfont={"size": FONT_SIZE - 2},
        cliponaxis=False,
        customdata=lanes[["customers"]].to_numpy(),
        hovertemplate="%{x}<br>%{y:,.0f} touchpoints<br>%{customdata[0]:,.0f} customers<extra></extra>",
        showlegend=False,
        row=index["volume"],
        col=1,
    )
    fig.update_yaxes(visible=False, range=[0, float(lanes["touchpoints"].max() or 1) * 1.45], row=index["volume"], col=1)
    for _code, part in mix.groupby("channel_code", sort=True):
        label = part["channel"].iloc[0]
        fig.add_bar(
            x=part["stage"],
            y=part["share"],
            name=label,
            marker_color=colour_for(label, "channel"),
            customdata=part[["touchpoints"]].to_numpy(),
            hovertemplate=f"%{{x}} · {label}<br>%{{y:.0%}} of the stage's touchpoints (%{{customdata[0]:,.0f}})<extra></extra>",
            row=index["mix"],
            col=1,
        )
    fig.update_layout(barmode="stack")
    fig.update_yaxes(tickformat=".0%", range=[0, 1], dtick=0.5, tickfont_size=FONT_SIZE - 3, row=index["mix"], col=1)
    if has_emotion:
        _emotion(fig, lanes, index["emotion"])
    _text_lane(
        fig,
        index["next"],
        stages,
        lanes["days_to_next"],
        [_days(v, number_format) for v in lanes["days_to_next"]],
        BLUES,
        "median days to the next stage",
    )
    if has_cost:
        _text_lane(
            fig,
            index["cost"],
            stages,
            lanes["cost_per_contact"],
            [number_format.money(v) if pd.notna(v) else "—" for v in lanes["cost_per_contact"]],
            REDS,
            "cost per contact",
        )
    pain_text = [
        f"<b>{PAIN_SHORT[p]}</b><br>{number_format.pct(v, 0)}" if isinstance(p, str) else "—"
        for p, v in zip(lanes["pain"], lanes["pain_value"], strict=True)
    ]
    _text_lane(fig, index["pain"], stages, lanes["pain_value"], pain_text, REDS, "worst share", zmax=0.5)
    for key, title, _ in rows:
        axis = fig.layout[f"yaxis{'' if index[key] == 1 else index[key]}"]
        low, high = axis.domain
        fig.add_annotation(
            text=f"<b>{title}</b>",
            xref="paper",
            yref="paper",
            x=0,
            xshift=-48,
            y=(low + high) / 2,
            xanchor="right",
            yanchor="middle",
            align="right",
            showarrow=False,
            font={"size": FONT_SIZE - 1, "color": INK},
        )
    crowded = len(stages) > 6
    ticktext = [f"<b>{s}</b>" if not crowded or i % 2 == 0 else f"<b>{s}</b><br> " for i, s in enumerate(stages)]
    ticktext = [t if not crowded or i % 2 else f" <br>{t}" for i, t in enumerate(ticktext)]
    fig.update_xaxes(categoryorder="array", categoryarray=stages, tickangle=0, showticklabels=False)
    fig.update_xaxes(
        side="top",
        showticklabels=True,
        tickmode="array",
        tickvals=stages,
        ticktext=ticktext,
        tickfont_size=FONT_SIZE,
        ticks="",
        row=1,
        col=1,
    )
    fig.update_layout(
        legend={"orientation": "h", "x": 0, "xanchor": "left", "y": -0.01, "yanchor": "top", "traceorder": "normal"},
        margin={"l": 190, "r": 20, "t": 70, "b": 10},
        bargap=0.22,
    )
    return styled(fig, height=200 + 130 * len(rows))


def _emotion(fig: go.Figure, lanes: pd.DataFrame, row: int) -> None:
    stages = lanes["stage"].tolist()
    fig.add_hrect(y0=1, y1=3, fillcolor=_rgba(BAD, 0.07), line_width=0, row=row, col=1)
    sat = lanes["satisfaction"]
    if sat.notna().any():
        fig.add_scatter(
            x=stages,
            y=sat,
            mode="lines+markers+text",
            name="Satisfaction (higher is better)",
            line={"color": PALETTE[0], "width": 4, "shape": "spline"},
            marker={
                "size": 16,
                "color": [BAD if v < 3 else (AMBER if v < 3.75 else GOOD) for v in sat.fillna(5)],
                "line": {"color": "white", "width": 2},
            },
            text=[f"{v:.1f}" if pd.notna(v) else "" for v in sat],
            textposition="top center",
            textfont={"size": FONT_SIZE - 1, "color": INK},
            customdata=lanes[["sat_n"]].to_numpy(),
            hovertemplate="%{x}<br>mean satisfaction %{y:.2f} (%{customdata[0]:,.0f} ratings)<extra></extra>",
            connectgaps=True,
            row=row,
            col=1,
        )
    effort = lanes["effort"]
    if effort.notna().any():
        fig.add_scatter(
            x=stages,
            y=effort,
            mode="lines+markers",
            name="Effort (higher is harder)",
            line={"color": BAD, "width": 3, "dash": "dash", "shape": "spline"},
            marker={"size": 10, "symbol": "diamond", "color": BAD},
            customdata=lanes[["effort_n"]].to_numpy(),
            hovertemplate="%{x}<br>mean effort %{y:.2f} (%{customdata[0]:,.0f} ratings)<extra></extra>",
            connectgaps=True,
            row=row,
            col=1,
        )
    top = max(5.0, float(np.nanmax(pd.concat([sat, effort]).to_numpy(dtype=float))) if len(lanes) else 5.0)
    fig.update_yaxes(range=[0.6, top + 0.9], dtick=1, tickfont_size=FONT_SIZE - 3, row=row, col=1)


def _text_lane(
    fig: go.Figure,
    row: int,
    stages: list[str],
    values: pd.Series,
    text: list[str],
    colours: list,
    what: str,
    zmax: float | None = None,
) -> None:
    z = pd.to_numeric(values, errors="coerce").astype(float)
    finite = z[np.isfinite(z)]
    fig.add_heatmap(
        x=stages,
        y=[""],
        z=[z.tolist()],
        text=[text],
        texttemplate="%{text}",
        textfont={"size": FONT_SIZE},
        colorscale=colours,
        zmin=0,
        zmax=zmax if zmax is not None else (float(finite.max()) if len(finite) else 1.0) or 1.0,
        showscale=False,
        xgap=3,
        hovertemplate=f"%{{x}}<br>{what}: %{{text}}<extra></extra>",
        row=row,
        col=1,
    )
    fig.update_yaxes(showticklabels=False, showgrid=False, row=row, col=1)


@draws_data_as_text
def heatmap(cells: pd.DataFrame, metric: str, number_format: NumberFormat = NumberFormat(), *, min_base: int = 20) -> go.Figure:
    """Stage (rows) × channel (columns) coloured by the chosen metric; means and rates with fewer than min_base left blank."""
    label, kind, worse_high = HEATMAP_METRICS[metric]
    stages = cells.drop_duplicates("stage_code").sort_values("stage_code")["stage"].tolist()
    channels = cells.drop_duplicates("channel_code").sort_values("channel_code")["channel"].tolist()
    base_col = {"satisfaction": "sat_n", "effort": "effort_n", "repeat_rate": "repeat_base"}.get(metric)
    values = cells[metric].astype(float)
    if base_col:
        values = values.where(cells[base_col] >= min_base)
    grid = pd.DataFrame({"stage": cells["stage"], "channel": cells["channel"], "value": values})
    z = grid.pivot(index="stage", columns="channel", values="value").reindex(index=stages, columns=channels)
    tp = cells.pivot(index="stage", columns="channel", values="touchpoints").reindex(index=stages, columns=channels)

    def fmt(v: float) -> str:
        if not np.isfinite(v):
            return ""
        if kind == "count":
            return _short(v, number_format)
        if kind == "money":
            return number_format.money(v)
        if kind == "pct":
            return number_format.pct(v, 0)
        return number_format.number(v, 1)

    text = [[fmt(v) for v in row] for row in z.to_numpy(dtype=float)]
    if metric == "satisfaction":
        scale = RED_TO_GREEN
    elif metric == "effort":
        scale = GREEN_TO_RED
    elif worse_high:
        scale = REDS
    else:
        scale = BLUES
    fig = go.Figure(
        go.Heatmap(
            x=channels,
            y=stages,
            z=z.to_numpy(dtype=float),
            text=text,
            texttemplate="%{text}",
            textfont={"size": FONT_SIZE - 1},
            customdata=tp.to_numpy(dtype=float),
            colorscale=scale,
            xgap=2,
            ygap=2,
            colorbar={"title": {"text": label}, "thickness": 14},
            hovertemplate="%{y} · %{x}<br>" + label + ": %{text}<br>%{customdata:,.0f} touchpoints<extra></extra>",
            hoverongaps=False,
        )
    )
    if metric in ("satisfaction", "effort"):
        fig.data[0].update(zmin=1, zmax=5)
    fig.update_yaxes(autorange="reversed", showgrid=False)
    fig.update_xaxes(side="top", showgrid=False)
    fig.update_layout(margin={"l": 140, "r": 30, "t": 90, "b": 20})
    return styled(fig, height=max(360, 70 + 44 * len(stages)))


@draws_data_as_text
def sankey(frame: pd.DataFrame, nodes_kind: str, number_format: NumberFormat = NumberFormat()) -> go.Figure:
    """The step-indexed Sankey: a column of nodes per step ("phone #1"), ribbons counting customers."""
    nodes = frame[frame["kind"] == "node"].sort_values(["step", "source_code"]).reset_index(drop=True)
    links = frame[frame["kind"] == "link"]
    steps = int(nodes["step"].max()) if len(nodes) else 1
    # within a step: journey / vocabulary order, Other last
    nodes["order"] = nodes["source_code"].where(nodes["source_code"] >= 0, 10**9)
    nodes = nodes.sort_values(["step", "order"]).reset_index(drop=True)
    position = {(int(r.step), int(r.source_code)): i for i, r in enumerate(nodes.itertuples(index=False))}
    totals = nodes.groupby("step")["customers"].sum()
    biggest = float(totals.max()) if len(totals) else 1.0
    xs, ys = [], []
    for step, part in nodes.groupby("step", sort=True):
        pad = 0.02
        room = 1 - pad * max(len(part) - 1, 0)
        cursor = 0.0
        for customers in part["customers"]:
            height = room * customers / biggest
            xs.append(0.001 + 0.998 * (step - 1) / max(steps - 1, 1))
            ys.append(min(0.999, max(0.001, cursor + height / 2)))
            cursor += height + pad
    kind = "journey_stage" if nodes_kind == "stage" else "channel"

    def colour(label: str) -> str:
        if label == "Other":
            return GREY
        key = label.split(" · ")[0] if nodes_kind == "both" else label
        return colour_for(key, kind if nodes_kind != "both" else "journey_stage")

    node_colours = [colour(lbl) for lbl in nodes["source"]]
    labels = [f"{lbl} #{int(step)}" for lbl, step in zip(nodes["source"], nodes["step"], strict=True)]
    source = [position[(int(s), int(c))] for s, c in zip(links["step"], links["source_code"], strict=True)]
    target = [position[(int(s) + 1, int(c))] for s, c in zip(links["step"], links["target_code"], strict=True)]
    fig = go.Figure(
        go.Sankey(
            arrangement="snap",
            node={
                "label": labels,
                "color": node_colours,
                "x": xs,
                "y": ys,
                "pad": 12,
                "thickness": 18,
                "line": {"color": "white", "width": 0.5},
                "customdata": nodes["customers"].to_numpy(),
                "hovertemplate": "%{label}<br>%{customdata:,.0f} customers<extra></extra>",
            },
            link={
                "source": source,
                "target": target,
                "value": links["customers"].to_numpy(dtype=float),
                "color": [_rgba(node_colours[i], 0.35) if node_colours[i] != GREY else "rgba(140,140,140,0.25)" for i in source],
                "hovertemplate": "%{source.label} → %{target.label}<br>%{value:,.0f} customers<extra></extra>",
            },
            textfont={"size": FONT_SIZE - 2, "color": INK},
        )
    )
    fig.update_layout(margin={"l": 20, "r": 20, "t": 30, "b": 20})
    return styled(fig, height=620 if nodes_kind != "both" else 720)


@draws_data_as_text
def repeat_by_stage(lanes: pd.DataFrame, number_format: NumberFormat = NumberFormat(), *, repeat_days: int = 7) -> go.Figure:
    """Repeat-contact rate per stage (the complement of first-contact resolution), stages top to bottom, the worst in red."""
    data = lanes[lanes["repeat_rate"].notna()].iloc[::-1]
    worst = data["repeat_rate"].max() if len(data) else None
    fig = go.Figure(
        go.Bar(
            y=data["stage"],
            x=data["repeat_rate"],
            orientation="h",
            marker_color=[BAD if v == worst and v > 0 else GREY for v in data["repeat_rate"]],
            text=[
                f"{number_format.pct(v, 0)} of {_short(n, number_format)}"
                for v, n in zip(data["repeat_rate"], data["repeat_base"], strict=True)
            ],
            textposition="outside",
            cliponaxis=False,
            customdata=data[["repeats", "repeat_base"]].to_numpy(),
            hovertemplate="%{y}<br>%{customdata[0]:,.0f} of %{customdata[1]:,.0f} contacts repeated<extra></extra>",
        )
    )
    top = float(data["repeat_rate"].max()) if len(data) else 0.1
    fig.update_xaxes(tickformat=".0%", range=[0, max(top * 1.45, 0.05)], title_text="Contacts repeated")
    fig.update_layout(margin={"l": 130})
    return styled(fig, title=f"Repeat contacts within {repeat_days} days, by stage", height=max(300, 90 + 36 * len(data)))


@draws_data_as_text
def resolution_histogram(days: pd.DataFrame, *, sla_days: int, subject: str = "complaints") -> go.Figure:
    """Complaints by whole days to resolution, inside the SLA in green and outside in vermillion; unresolved apart."""
    resolved = days[days["day"] >= 0]
    unresolved = int(days.loc[days["day"] < 0, "complaints"].sum())
    labels = [f"{d}+" if d == 30 else str(d) for d in resolved["day"]]
    fig = go.Figure()
    fig.add_bar(
        x=labels,
        y=resolved["complaints"],
        marker_color=[GOOD if w else BAD for w in resolved["within_sla"]],
        hovertemplate="resolved after %{x} days<br>%{y:,.0f} " + subject + "<extra></extra>",
        showlegend=False,
    )
    if unresolved:
        fig.add_bar(
            x=["unresolved"],
            y=[unresolved],
            text=[f"{unresolved:,} unresolved"],
            textposition="outside",
            cliponaxis=False,
            marker_color=INK,
            hovertemplate="%{y:,.0f} unresolved<extra></extra>",
            showlegend=False,
        )
    fig.add_vline(
        x=sla_days - 0.5,
        line={"color": INK, "width": 2, "dash": "dot"},
        annotation_text=f"SLA {sla_days} d",
        annotation_position="top right",
    )
    fig.update_xaxes(type="category", title_text="Days to resolution")
    fig.update_yaxes(title_text=f"{subject.capitalize()} (log scale)", tickformat=",.0f", type="log")
    return styled(fig, title=f"How long {subject} take to resolve", height=380)


@draws_data_as_text
def complaint_churn(groups: pd.DataFrame, number_format: NumberFormat = NumberFormat()) -> go.Figure:
    """Churn rate side by side: complaint resolved at first contact, not resolved at first contact, no complaint."""
    colours = {"fcr": GOOD, "not_fcr": BAD, "none": GREY}
    fig = go.Figure(
        go.Bar(
            x=groups["label"].str.replace(" at first contact", "<br>at first contact"),
            y=groups["churn_rate"],
            marker_color=[colours[g] for g in groups["group"]],
            text=[
                f"<b>{number_format.pct(r, 1)}</b><br>{number_format.number(c, 0)} of {number_format.number(n, 0)}"
                if n
                else "no customers"
                for r, c, n in zip(groups["churn_rate"], groups["churned"], groups["customers"], strict=True)
            ],
            textposition="outside",
            cliponaxis=False,
            hovertemplate="%{x}<br>churn %{y:.1%}<extra></extra>",
        )
    )
    top = float(groups["churn_rate"].max()) if groups["churn_rate"].notna().any() else 0.1
    fig.update_yaxes(tickformat=".0%", range=[0, top * 1.4 or 0.1], title_text="Churned")
    return styled(fig, title="Churn after a complaint", height=380)


@draws_data_as_text
def switches(pairs: pd.DataFrame, number_format: NumberFormat = NumberFormat(), *, top: int = 8) -> go.Figure:
    """The biggest channel switches (stage: from → to) as horizontal bars."""
    data = pairs.head(top).iloc[::-1]
    fig = go.Figure(
        go.Bar(
            x=data["switches"],
            y=[f"{s}: {f} → {t}" for s, f, t in zip(data["stage"], data["from_channel"], data["to_channel"], strict=True)],
            orientation="h",
            marker_color=[colour_for(t, "channel") for t in data["to_channel"]],
            text=[
                f"{number_format.number(n, 0)} ({number_format.pct(r, 0)})"
                for n, r in zip(data["switches"], data["rate"], strict=True)
            ],
            textposition="outside",
            cliponaxis=False,
            hovertemplate="%{y}<br>%{x:,.0f} contacts switched channel<extra></extra>",
        )
    )
    fig.update_xaxes(title_text="Contacts", tickformat=",.0f", nticks=4, range=[0, float(data["switches"].max() or 1) * 1.35])
    fig.update_layout(margin={"l": 250, "r": 100})
    return styled(fig, title="Same reason, another channel, within the window", height=max(300, 90 + 40 * len(data)))


@draws_data_as_text
def drill_bars(options: pd.DataFrame, kind: str, selected: str | None = None) -> go.Figure:
    """Customers per stage or channel as bars; the one drilled into outlined."""
    data = options[options["kind"] == kind]
    colour_kind = "journey_stage" if kind == "stage" else "channel"
    fig = go.Figure(
        go.Bar(
            x=data["label"],
            y=data["customers"],
            marker_color=[colour_for(lbl, colour_kind) for lbl in data["label"]],
            marker_line={"color": [INK if lbl == selected else "white" for lbl in data["label"]], "width": 3},
            customdata=data[["touchpoints"]].to_numpy(),
            hovertemplate="%{x}<br>%{y:,.0f} customers · %{customdata[0]:,.0f} touchpoints<extra></extra>",
        )
    )
    fig.update_yaxes(title_text="Customers", tickformat=",.0f")
    return styled(fig, height=320)


@draws_data_as_text
def timeline(events: pd.DataFrame, stage_order: list[str]) -> go.Figure:
    """One customer's touchpoints (by stage, coloured by channel) and transactions over time."""
    touch = events[events["kind"] == "touchpoint"]
    tx = events[events["kind"] == "transaction"]
    present = [s for s in stage_order if s in set(touch["stage"].dropna())]
    others = sorted(set(touch["stage"].dropna()) - set(present))
    rows = [*present, *others]
    if touch["stage"].isna().any():
        rows.append("(no stage)")
    if len(tx):
        rows.append("transactions")
    fig = go.Figure()
    for channel, part in touch.groupby(touch["channel"].fillna("(no channel)"), sort=True):
        sat = part["satisfaction"]
        fig.add_scatter(
            x=part["ts"],
            y=part["stage"].fillna("(no stage)"),
            mode="markers",
            name=str(channel),
            marker={
                "size": 15,
                "color": colour_for(str(channel), "channel"),
                "symbol": ["x" if v is not None and pd.notna(v) and v < 3 else "circle" for v in sat],
                "line": {"color": "white", "width": 1},
            },
            customdata=np.column_stack(
                [part["step"], part["reason"].fillna("—"), sat.fillna(np.nan), part["effort"].fillna(np.nan)]
            ),
            hovertemplate=(
                "#%{customdata[0]} · %{y} · " + str(channel) + "<br>%{x|%d %b %Y %H:%M}<br>%{customdata[1]}"
                "<br>satisfaction %{customdata[2]} · effort %{customdata[3]}<extra></extra>"
            ),
        )
    if len(tx):
        fig.add_scatter(
            x=tx["ts"],
            y=["transactions"] * len(tx),
            mode="markers",
            name="transaction",
            marker={"size": 9, "color": GREY, "symbol": "line-ns-open", "line": {"width": 2, "color": GREY}},
            customdata=tx[["amount"]].to_numpy(),
            hovertemplate="%{x|%d %b %Y}<br>amount %{customdata[0]:,.2f}<extra></extra>",
        )
    fig.update_yaxes(categoryorder="array", categoryarray=rows[::-1], type="category")
    fig.update_layout(legend={"title": {"text": "Channel"}}, margin={"l": 130})
    return styled(fig, height=max(280, 90 + 42 * len(rows)))
