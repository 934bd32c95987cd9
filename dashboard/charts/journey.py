"""Journey charts: the journey map, the stage × channel heatmap and the step-indexed Sankey.

Built from plain dicts (theme.built): they are redrawn on every filter change, and plotly's checked properties cost
about half a second for the journey map alone; tests/test_fast_figures.py validates each with plotly."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from dashboard.charts.room import text_px
from dashboard.charts.theme import (
    BAD,
    FONT_SIZE,
    GOOD,
    GREY,
    INK,
    MAIN_PX_AT_1280,
    PALETTE,
    built,
    colour_for,
    draws_data_as_text,
    note,
)
from dashboard.formatting import NumberFormat
from dashboard.metrics.journey.lanes import HEATMAP_METRICS, PAIN_POINTS

PAIN_LABELS = {key: label for key, label, _ in PAIN_POINTS}
PAIN_SHORT = {"low_satisfaction": "Low sat.", "repeat_contacts": "Repeats", "sla_breaches": "SLA miss"}
AMBER = "#E69F00"
REDS = [[0.0, "#FFF5EB"], [0.5, "#FDAE6B"], [1.0, "#D55E00"]]
BLUES = [[0.0, "#F0F7FC"], [1.0, "#0072B2"]]
RED_TO_GREEN = [[0.0, "#D55E00"], [0.5, "#F7F3C6"], [1.0, "#009E73"]]
GREEN_TO_RED = [[0.0, "#009E73"], [0.5, "#F7F3C6"], [1.0, "#D55E00"]]
ROW_SPACING = 0.035
"""Gap between the journey map's lanes, as a share of the plot's height."""
MAP_MARGIN = {"l": 190, "r": 20, "t": 70, "b": 10}
CELL_GAP_PX = 3
CELL_PAD_PX = 8
"""Room kept between a cell's text and its edges."""
BOLD = 1.08
"""Bold text's width against regular text's, in Streamlit's chart font."""
MIN_LANE_FONT = 11


def _rgba(hex_colour: str, alpha: float) -> str:
    value = hex_colour.lstrip("#")
    r, g, b = (int(value[i : i + 2], 16) for i in (0, 2, 4))
    return f"rgba({r},{g},{b},{alpha})"


def short(value: float | None, number_format: NumberFormat) -> str:
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


def row_domains(heights: list[float], spacing: float = ROW_SPACING) -> list[list[float]]:
    """The vertical domain of each row of a one-column grid, top row first, as plotly's make_subplots lays out rows of
    these relative heights with this gap (summed from the bottom, so the numbers are its numbers to the last digit)."""
    room = 1.0 - spacing * (len(heights) - 1)
    total = float(sum(heights))
    upward = [room * (h / total) for h in reversed(heights)]
    domains = []
    for r, height in enumerate(upward):
        start = sum(upward[:r]) + r * spacing
        domains.append([start, min(start + height, 1.0)])
    return domains[::-1]


def _axis(row: int) -> str:
    """The axes suffix of a row of the grid: "" for the first, "2" for the second, ..."""
    return "" if row == 1 else str(row)


def _map_rows(lanes: pd.DataFrame) -> list[tuple[str, str, float]]:
    """The journey map's lanes (key, title, relative height): the emotion and cost lanes only where there are data."""
    rows = [("volume", "Touchpoints<br>and customers", 0.8), ("mix", "Channel mix", 1.0)]
    if lanes["satisfaction"].notna().any() or lanes["effort"].notna().any():
        rows.append(("emotion", "Emotion line", 1.2))
    rows.append(("next", "Median time<br>to next stage", 0.34))
    if lanes["cost_per_contact"].notna().any():
        rows.append(("cost", "Cost per<br>contact", 0.34))
    rows.append(("pain", "Top pain point", 0.48))
    return rows


@draws_data_as_text
def journey_map(
    lanes: pd.DataFrame,
    mix: pd.DataFrame,
    number_format: NumberFormat = NumberFormat(),
) -> go.Figure:
    """The journey map: a column per stage; lanes for volume, channel mix, the emotion line, time to next stage, cost, pain."""
    stages = lanes["stage"].tolist()
    rows = _map_rows(lanes)
    index = {key: i + 1 for i, (key, _, _) in enumerate(rows)}
    layout = _grid_layout(rows, stages)
    traces = [_volume_bar(lanes, number_format, index["volume"]), *_mix_bars(mix, index["mix"])]
    layout[f"yaxis{_axis(index['volume'])}"].update(visible=False, range=[0, float(lanes["touchpoints"].max() or 1) * 1.45])
    layout[f"yaxis{_axis(index['mix'])}"].update(tickformat=".0%", range=[0, 1], dtick=0.5, tickfont={"size": FONT_SIZE - 3})
    if "emotion" in index:
        traces += _emotion(lanes, index["emotion"], layout)
    days = [_days(v, number_format) for v in lanes["days_to_next"]]
    traces += _text_lane(index["next"], stages, lanes["days_to_next"], days, BLUES, "median days to the next stage")
    if "cost" in index:
        money = [number_format.money(v) if pd.notna(v) else "—" for v in lanes["cost_per_contact"]]
        traces += _text_lane(index["cost"], stages, lanes["cost_per_contact"], money, REDS, "cost per contact")
    pain_text = [
        f"<b>{PAIN_SHORT[p]}</b><br>{number_format.pct(v, 0)}" if isinstance(p, str) else "—"
        for p, v in zip(lanes["pain"], lanes["pain_value"], strict=True)
    ]
    traces += _text_lane(index["pain"], stages, lanes["pain_value"], pain_text, REDS, "worst share", zmax=0.5)
    size = lane_font_size([text for trace in traces if trace["type"] == "heatmap" for text in trace["text"][0]], len(stages))
    for trace in traces:
        if trace["type"] == "heatmap" or trace.get("meta") == UNMEASURED_CELLS:
            trace["textfont"] = {**trace["textfont"], "size": size}
    for key in ("next", "cost", "pain"):
        if key in index:
            layout[f"yaxis{_axis(index[key])}"].update(showticklabels=False, showgrid=False)
    return built(traces, layout, height=200 + 130 * len(rows))


def lane_font_size(labels: list[str], stages: int) -> int:
    """The size of the text in the journey map's cells: FONT_SIZE, or smaller so that the widest label fits its cell
    when the map is MAIN_PX_AT_1280 wide (never under MIN_LANE_FONT; presentation mode's larger type has a wider map)."""
    cell_px = (MAIN_PX_AT_1280 - MAP_MARGIN["l"] - MAP_MARGIN["r"]) / max(stages, 1) - CELL_GAP_PX - CELL_PAD_PX
    widest = max((text_px(text, FONT_SIZE) * (BOLD if "<b>" in text else 1) for text in labels), default=0.0)
    if widest <= cell_px:
        return FONT_SIZE
    return max(MIN_LANE_FONT, math.floor(FONT_SIZE * cell_px / widest))


def _grid_layout(rows: list[tuple[str, str, float]], stages: list[str]) -> dict:
    """The journey map's layout: one row of axes per lane sharing the stages' x axis (labels on top), each lane named
    on its left, the channel mix's legend under the map."""
    domains = row_domains([height for _, _, height in rows])
    last = len(rows)
    layout: dict = {
        "barmode": "stack",
        "legend": {"orientation": "h", "x": 0, "xanchor": "left", "y": -0.01, "yanchor": "top", "traceorder": "normal"},
        "margin": dict(MAP_MARGIN),
        "bargap": 0.22,
        "annotations": [],
        # drawn at full width only: the channels' legend is laid out in the plot's width at a 1,280 px window (room.py)
        "meta": {"legend_px": MAIN_PX_AT_1280 - MAP_MARGIN["l"] - MAP_MARGIN["r"]},
    }
    for row, ((_, title, _), domain) in enumerate(zip(rows, domains, strict=True), start=1):
        x_axis = {"anchor": f"y{_axis(row)}", "domain": [0.0, 1.0], "categoryorder": "array", "categoryarray": stages}
        x_axis.update(tickangle=0, showticklabels=False)
        if row < last:
            x_axis["matches"] = f"x{last}"
        layout[f"xaxis{_axis(row)}"] = x_axis
        layout[f"yaxis{_axis(row)}"] = {"anchor": f"x{_axis(row)}", "domain": domain}
        layout["annotations"].append(_lane_title(title, domain))
    crowded = len(stages) > 6
    ticktext = [f"<b>{s}</b>" if not crowded or i % 2 == 0 else f"<b>{s}</b><br> " for i, s in enumerate(stages)]
    ticktext = [t if not crowded or i % 2 else f" <br>{t}" for i, t in enumerate(ticktext)]
    layout["xaxis"].update(
        side="top", showticklabels=True, tickmode="array", tickvals=stages, ticktext=ticktext, tickfont={"size": FONT_SIZE}
    )
    layout["xaxis"]["ticks"] = ""
    return layout


def _lane_title(title: str, domain: list[float]) -> dict:
    """A lane's name, bold, right-aligned to the left of its row."""
    return {
        "text": f"<b>{title}</b>",
        "xref": "paper",
        "yref": "paper",
        "x": 0,
        "xshift": -48,
        "y": (domain[0] + domain[1]) / 2,
        "xanchor": "right",
        "yanchor": "middle",
        "align": "right",
        "showarrow": False,
        "font": {"size": FONT_SIZE - 1, "color": INK},
    }


def _on_row(trace: dict, row: int) -> dict:
    """trace placed on the grid's row."""
    return {**trace, "xaxis": f"x{_axis(row)}", "yaxis": f"y{_axis(row)}"}


def _volume_bar(lanes: pd.DataFrame, number_format: NumberFormat, row: int) -> dict:
    """Touchpoints per stage as bars, labelled with touchpoints and customers."""
    text = [
        f"{short(tp, number_format)}<br>{short(c, number_format)} cust."
        for tp, c in zip(lanes["touchpoints"], lanes["customers"], strict=True)
    ]
    bar = {
        "type": "bar",
        "x": lanes["stage"].tolist(),
        "y": lanes["touchpoints"].to_numpy(),
        "marker": {"color": "#4B5563"},
        "text": text,
        "textposition": "outside",
        "textfont": {"size": FONT_SIZE - 2},
        "cliponaxis": False,
        "customdata": lanes[["customers"]].to_numpy(),
        "hovertemplate": "%{x}<br>%{y:,.0f} touchpoints<br>%{customdata[0]:,.0f} customers<extra></extra>",
        "showlegend": False,
    }
    return _on_row(bar, row)


def _mix_bars(mix: pd.DataFrame, row: int) -> list[dict]:
    """One stacked bar series per channel: its share of each stage's touchpoints."""
    bars = []
    for _code, part in mix.groupby("channel_code", sort=True):
        label = part["channel"].iloc[0]
        bar = {
            "type": "bar",
            "x": part["stage"].to_numpy(),
            "y": part["share"].to_numpy(),
            "name": label,
            "marker": {"color": colour_for(label, "channel")},
            "customdata": part[["touchpoints"]].to_numpy(),
            "hovertemplate": f"%{{x}} · {label}<br>%{{y:.0%}} of the stage's touchpoints "
            "(%{customdata[0]:,.0f})<extra></extra>",
        }
        bars.append(_on_row(bar, row))
    return bars


def _emotion(lanes: pd.DataFrame, row: int, layout: dict) -> list[dict]:
    """The emotion lane's satisfaction and effort lines; its axis goes into layout."""
    stages = lanes["stage"].tolist()
    traces = []
    sat = lanes["satisfaction"]
    if sat.notna().any():
        line = {
            "type": "scatter",
            "x": stages,
            "y": sat.to_numpy(),
            "mode": "lines+markers+text",
            "name": "Satisfaction (higher is better)",
            "line": {"color": PALETTE[0], "width": 4, "shape": "spline"},
            "marker": {
                "size": 16,
                "color": [BAD if v < 3 else (AMBER if v < 3.75 else GOOD) for v in sat.fillna(5)],
                "line": {"color": "white", "width": 2},
            },
            "text": [f"{v:.1f}" if pd.notna(v) else "" for v in sat],
            "textposition": "top center",
            "textfont": {"size": FONT_SIZE - 1, "color": INK},
            "customdata": lanes[["sat_n"]].to_numpy(),
            "hovertemplate": "%{x}<br>mean satisfaction %{y:.2f} (%{customdata[0]:,.0f} ratings)<extra></extra>",
            "connectgaps": True,
        }
        traces.append(_on_row(line, row))
    effort = lanes["effort"]
    if effort.notna().any():
        line = {
            "type": "scatter",
            "x": stages,
            "y": effort.to_numpy(),
            "mode": "lines+markers",
            "name": "Effort (higher is harder)",
            "line": {"color": BAD, "width": 3, "dash": "dash", "shape": "spline"},
            "marker": {"size": 10, "symbol": "diamond", "color": BAD},
            "customdata": lanes[["effort_n"]].to_numpy(),
            "hovertemplate": "%{x}<br>mean effort %{y:.2f} (%{customdata[0]:,.0f} ratings)<extra></extra>",
            "connectgaps": True,
        }
        traces.append(_on_row(line, row))
    top = max(5.0, float(np.nanmax(pd.concat([sat, effort]).to_numpy(dtype=float))) if len(lanes) else 5.0)
    axis = layout[f"yaxis{_axis(row)}"]
    axis.update(range=[0.6, top + 1.5], dtick=1, tickvals=list(range(1, math.floor(top) + 1)), tickfont={"size": FONT_SIZE - 3})
    # the lines' own legend in the lane's top right corner, above every point and its label (the range's headroom), so
    # the channels' legend under the map has only short names to lay out
    layout["legend2"] = {
        "orientation": "h", "x": 1, "xanchor": "right", "y": axis["domain"][1], "yanchor": "top", "yref": "paper",
        "bgcolor": "rgba(0,0,0,0)",
    }  # fmt: skip
    return [{**trace, "legend": "legend2"} for trace in traces]


UNMEASURED_CELLS = "unmeasured lane"
"""The meta of the text trace that writes a lane where no stage has a figure."""


def _text_lane(
    row: int,
    stages: list[str],
    values: pd.Series,
    text: list[str],
    colours: list,
    what: str,
    zmax: float | None = None,
) -> list[dict]:
    """A lane of one coloured cell per stage, its figure written in it (a stage without a figure: a blank cell with its
    text, "—"). Plotly draws nothing of a heatmap without a single value, not even its text, so a lane where no stage
    has a figure is written by a text trace instead."""
    z = pd.to_numeric(values, errors="coerce").astype(float)
    finite = z[np.isfinite(z)]
    cells = {
        "type": "heatmap",
        "x": stages,
        "y": [""],
        "z": [z.tolist()],
        "text": [text],
        "texttemplate": "%{text}",
        "textfont": {"size": FONT_SIZE},
        "colorscale": colours,
        "zmin": 0,
        "zmax": zmax if zmax is not None else (float(finite.max()) if len(finite) else 1.0) or 1.0,
        "showscale": False,
        "xgap": CELL_GAP_PX,
        "hovertemplate": f"%{{x}}<br>{what}: %{{text}}<extra></extra>",
    }
    if len(finite):
        return [_on_row(cells, row)]
    written = {
        "type": "scatter",
        "mode": "text",
        "x": stages,
        "y": [""] * len(stages),
        "text": text,
        "textfont": {"size": FONT_SIZE, "color": INK},
        "hovertemplate": f"%{{x}}<br>{what}: %{{text}}<extra></extra>",
        "showlegend": False,
        "meta": UNMEASURED_CELLS,
    }
    return [_on_row(cells, row), _on_row(written, row)]


def _cell_text(value: float, kind: str, number_format: NumberFormat) -> str:
    """A heatmap cell's figure: counts short, money, a whole percentage or a mean to one decimal; blank when missing."""
    if not np.isfinite(value):
        return ""
    if kind == "count":
        return short(value, number_format)
    if kind == "money":
        return number_format.money(value)
    if kind == "pct":
        return number_format.pct(value, 0)
    return number_format.number(value, 1)


def _heat_scale(metric: str, worse_high: bool) -> list:
    """Red to green for satisfaction, green to red for effort, reds where higher is worse, blues otherwise."""
    if metric == "satisfaction":
        return RED_TO_GREEN
    if metric == "effort":
        return GREEN_TO_RED
    return REDS if worse_high else BLUES


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
    z_values = z.to_numpy(dtype=float)
    trace = {
        "type": "heatmap",
        "x": channels,
        "y": stages,
        "z": z_values,
        "text": [[_cell_text(v, kind, number_format) for v in row] for row in z_values],
        "texttemplate": "%{text}",
        "textfont": {"size": FONT_SIZE - 1},
        "customdata": tp.to_numpy(dtype=float),
        "colorscale": _heat_scale(metric, worse_high),
        "xgap": 2,
        "ygap": 2,
        "colorbar": {"title": {"text": label}, "thickness": 14},
        "hovertemplate": "%{y} · %{x}<br>" + label + ": %{text}<br>%{customdata:,.0f} touchpoints<extra></extra>",
        "hoverongaps": False,
    }
    if metric in ("satisfaction", "effort"):
        trace.update(zmin=1, zmax=5)
    layout = {
        "yaxis": {"autorange": "reversed", "showgrid": False},
        "xaxis": {"side": "top", "showgrid": False},
        "margin": {"l": 140, "r": 30, "t": 90, "b": 20},
    }
    if not np.isfinite(z_values).any():  # plotly would draw an empty grid: say what is missing instead
        trace["showscale"] = False
        behind = {"sat_n": "ratings", "effort_n": "ratings", "repeat_base": "contacts"}.get(base_col or "")
        enough = f" from at least {min_base:,} {behind}" if behind else ""
        layout["annotations"] = [note(f"No stage and channel has a {label.lower()}{enough} for these filters")]
    return built([trace], layout, height=max(360, 70 + 44 * len(stages)))


def _node_places(nodes: pd.DataFrame, steps: int) -> tuple[list[float], list[float]]:
    """Each node's x (its step's column) and y (stacked in its column, sized by customers against the biggest step)."""
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
    return xs, ys


def _node_colour(label: str, nodes_kind: str) -> str:
    """A Sankey node's colour: its channel's or stage's (a "stage · channel" node its stage's), Other grey."""
    if label == "Other":
        return GREY
    if nodes_kind == "both":
        return colour_for(label.split(" · ")[0], "journey_stage")
    return colour_for(label, "journey_stage" if nodes_kind == "stage" else "channel")


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
    xs, ys = _node_places(nodes, steps)
    node_colours = [_node_colour(lbl, nodes_kind) for lbl in nodes["source"]]
    labels = [f"{lbl} #{int(step)}" for lbl, step in zip(nodes["source"], nodes["step"], strict=True)]
    source = [position[(int(s), int(c))] for s, c in zip(links["step"], links["source_code"], strict=True)]
    target = [position[(int(s) + 1, int(c))] for s, c in zip(links["step"], links["target_code"], strict=True)]
    trace = {
        "type": "sankey",
        "arrangement": "snap",
        "node": {
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
        "link": {
            "source": source,
            "target": target,
            "value": links["customers"].to_numpy(dtype=float),
            "color": [_rgba(node_colours[i], 0.35) if node_colours[i] != GREY else "rgba(140,140,140,0.25)" for i in source],
            "hovertemplate": "%{source.label} → %{target.label}<br>%{value:,.0f} customers<extra></extra>",
        },
        "textfont": {"size": FONT_SIZE - 2, "color": INK},
    }
    layout = {"margin": {"l": 20, "r": 20, "t": 30, "b": 20}}
    return built([trace], layout, height=620 if nodes_kind != "both" else 720)
