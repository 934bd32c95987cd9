"""Drivers charts: importance against performance, and the odds ratios with their intervals."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from dashboard.charts.theme import GREY, INK, PALETTE, built, draws_data_as_text, empty_note, styled

LABELLED = 8
"""Drivers that may be named on the importance chart (the largest differences, where a name fits without running into
another name or a point); the others are named on hover."""
KIND_COLOURS = {"behaviour": PALETTE[0], "journey pain": PALETTE[5], "attribute": PALETTE[2], "tenure": PALETTE[3]}
PLOT_WIDTH, PLOT_HEIGHT = 600.0, 360.0
"""The plotting area the names are placed for, in pixels: a little smaller than the chart on a laptop at full width,
so names placed apart stay apart when it is wider."""
CHAR_WIDTH, TEXT_HEIGHT, MARKER_RADIUS = 7.6, 17.0, 8.0
"""Pixels per character and per line of a 13 px name, and a marker's radius with its outline and a margin."""
NAME_PX = 13
"""The names' type size outside presentation mode (CHAR_WIDTH and TEXT_HEIGHT scale with the size drawn)."""
X_RANGE = (0.0, 105.0)
POSITIONS = {
    # textposition: (x offset of the box's left edge as a share of its width, pixels; y of its bottom, share, pixels)
    "top center": (-0.5, 0.0, 0.0, MARKER_RADIUS),
    "bottom center": (-0.5, 0.0, -1.0, -MARKER_RADIUS),
    "top right": (0.0, 3.0, 0.0, 3.0),
    "top left": (-1.0, -3.0, 0.0, 3.0),
    "middle right": (0.0, MARKER_RADIUS + 2, -0.5, 0.0),
    "middle left": (-1.0, -MARKER_RADIUS - 2, -0.5, 0.0),
    "bottom right": (0.0, 3.0, -1.0, -3.0),
    "bottom left": (-1.0, -3.0, -1.0, -3.0),
}


def y_range(differences: pd.Series) -> tuple[float, float]:
    """The y axis in points: the differences and 0, with a tenth of the span (at least 2 points) above and below."""
    values = [0.0, *(float(v) for v in differences if pd.notna(v) and math.isfinite(float(v)))]
    low, high = min(values), max(values)
    pad = max((high - low) * 0.1, 2.0)
    return low - pad, high + pad


def label_boxes(
    x: list[float],
    y: list[float],
    names: list[str],
    positions: list[str | None],
    y_span: tuple[float, float],
    text_px: float = NAME_PX,
):
    """The pixel box (left, bottom, right, top) of each placed name in type of text_px (None where a point is not
    named), in PLOT_WIDTH × PLOT_HEIGHT with y upward."""
    boxes = []
    for px, py, name, where in zip(*_pixels(x, y, y_span), names, positions, strict=True):
        if where is None:
            boxes.append(None)
            continue
        w, h = CHAR_WIDTH * text_px / NAME_PX * len(name), TEXT_HEIGHT * text_px / NAME_PX
        fx, dx, fy, dy = POSITIONS[where]
        left, bottom = px + fx * w + dx, py + fy * h + dy
        boxes.append((left, bottom, left + w, bottom + h))
    return boxes


def _pixels(x: list[float], y: list[float], y_span: tuple[float, float]) -> tuple[list[float], list[float]]:
    """Points in pixels of the plotting area."""
    (x0, x1), (y0, y1) = X_RANGE, y_span
    return (
        [(v - x0) / (x1 - x0) * PLOT_WIDTH for v in x],
        [(v - y0) / (y1 - y0) * PLOT_HEIGHT for v in y],
    )


def place_labels(
    x: list[float], y: list[float], names: list[str], order: list[int], y_span: tuple[float, float], text_px: float = NAME_PX
) -> list:
    """A textposition per point, or None where it stays unnamed: in `order` (most important first, at most LABELLED),
    the first position (above a point over the zero line, below one under it, then beside it) whose box, for names in
    type of text_px, stays inside the plotting area and clear of every point and every name already placed."""
    px, py = _pixels(x, y, y_span)
    placed: list[tuple[float, float, float, float]] = []
    chosen: list[str | None] = [None] * len(x)

    def clear(box: tuple[float, float, float, float], own: int) -> bool:
        left, bottom, right, top = box
        if left < 0 or right > PLOT_WIDTH or bottom < 0 or top > PLOT_HEIGHT:
            return False
        if any(left < b[2] and b[0] < right and bottom < b[3] and b[1] < top for b in placed):
            return False
        return not any(
            j != own
            and left - MARKER_RADIUS < px[j] < right + MARKER_RADIUS
            and bottom - MARKER_RADIUS < py[j] < top + MARKER_RADIUS
            for j in range(len(x))
        )

    for i in order[:LABELLED]:
        vertical = ("top", "bottom") if y[i] >= 0 else ("bottom", "top")
        side = ("right", "left") if x[i] < 50 else ("left", "right")
        tries = [f"{vertical[0]} center", f"{vertical[0]} {side[0]}", f"{vertical[0]} {side[1]}", f"middle {side[0]}"]
        tries += [f"middle {side[1]}", f"{vertical[1]} center", f"{vertical[1]} {side[0]}", f"{vertical[1]} {side[1]}"]
        for where in tries:
            box = label_boxes([x[i]], [y[i]], [names[i]], [where], y_span, text_px)[0]
            if clear(box, i):
                chosen[i] = where
                placed.append(box)
                break
    return chosen


def _floats(values: pd.Series) -> list[float | None]:
    """values as plain floats for a figure's JSON, None (a gap) where a value is missing or infinite."""
    return [float(v) if pd.notna(v) and math.isfinite(float(v)) else None for v in values]


@draws_data_as_text
def importance_performance(table: pd.DataFrame, outcome: str, text_px: float = NAME_PX) -> go.Figure:
    """Each driver as a point: how common its bad side is (prevalence, x) against how much higher the outcome rate is
    with it (difference in percentage points, y); the top right is what to fix first. Of the LABELLED drivers with the
    largest differences, those whose name fits clear of the other names and points are named on the chart, in type of
    text_px (larger in presentation mode, so they are placed for that size)."""
    rows = table[table["kind"] != "all"]
    title = f"What goes with {outcome}: how strongly, and how common"
    if rows.empty:
        fig = styled(go.Figure(), title=title, height=520)
        return empty_note(fig, "No driver splits these customers: every driver is shown by all of them or by none.")
    span = y_range(rows["difference"] * 100)
    xs, ys = list(rows["prevalence"] * 100), list(rows["difference"] * 100)
    order = sorted(range(len(rows)), key=lambda i: -abs(ys[i]) if math.isfinite(ys[i]) else 0.0)
    where = dict(zip(rows.index, place_labels(xs, ys, list(rows["driver"]), order, span, text_px), strict=True))
    traces = [
        {
            "type": "scatter",
            "x": _floats(group["prevalence"] * 100),
            "y": _floats(group["difference"] * 100),
            "mode": "markers+text",
            "name": str(kind),
            "text": [str(d) if where[i] else "" for i, d in zip(group.index, group["driver"], strict=True)],
            "customdata": [str(d) for d in group["driver"]],
            "textposition": [where[i] or "top center" for i in group.index],
            "textfont": {"size": text_px, "color": INK},
            "marker": {"size": 14, "color": KIND_COLOURS.get(str(kind), GREY), "line": {"color": INK, "width": 1}},
            "hovertemplate": "%{customdata}<br>%{x:.1f} % of customers<br>%{y:+.1f} points<extra></extra>",
            "cliponaxis": False,
        }
        for kind, group in rows.groupby("kind", sort=True)
    ]
    zero = {"type": "line", "xref": "x domain", "x0": 0, "x1": 1, "yref": "y", "y0": 0, "y1": 0}
    layout = {
        "shapes": [{**zero, "line": {"color": GREY, "width": 1}}],
        "xaxis": {"title": {"text": "Customers on the bad side (%)"}, "range": list(X_RANGE), "ticksuffix": " %"},
        "yaxis": {"title": {"text": f"Difference in {outcome} rate (points)"}, "range": list(span)},
    }
    return built(traces, layout, title=title, height=520)


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
    height = max(360, 120 + 34 * len(rows))
    if rows.empty:
        fig = styled(go.Figure(), title=title, height=height)
        return empty_note(fig, "No driver splits these customers, so there is no odds ratio to draw.")
    traces = [_intervals(rows, ("odds_ratio", "or_low", "or_high"), "Alone", "odds ratio", {"size": 11, "color": PALETTE[0]})]
    adjusted = rows[rows["adjusted_or"].notna()]
    if not adjusted.empty:
        marker = {"size": 11, "color": PALETTE[1], "symbol": "diamond"}
        ends_adjusted = ("adjusted_or", "adjusted_low", "adjusted_high")
        traces.append(_intervals(adjusted, ends_adjusted, "Adjusted", "adjusted odds ratio", marker))
    one = {"type": "line", "xref": "x", "x0": 1, "x1": 1, "yref": "y domain", "y0": 0, "y1": 1}
    ends = ("or_low", "or_high", "adjusted_low", "adjusted_high")
    ticks = log_ticks(pd.Series(np.concatenate([pd.to_numeric(rows[c], errors="coerce").to_numpy(float) for c in ends])))
    layout = {
        "shapes": [{**one, "line": {"color": GREY, "width": 1, "dash": "dash"}}],
        "xaxis": {
            "type": "log",
            "title": {"text": "Odds ratio (log scale; 1 = no link)"},
            "tickvals": ticks,
            "ticktext": [f"{t:g}" for t in ticks],
        },
        "margin": {"l": 320},
    }
    return built(traces, layout, title=title, height=height)


def _intervals(rows: pd.DataFrame, columns: tuple[str, str, str], name: str, words: str, marker: dict) -> dict:
    """A scatter trace named name of rows' odds ratio per driver (columns: the ratio, its low and high end) with its
    interval as error bars; words names the ratio on hover."""
    v, lo, hi = (pd.to_numeric(rows[c], errors="coerce").astype(float) for c in columns)
    return {
        "type": "scatter",
        "x": _floats(v),
        "y": [str(d) for d in rows["driver"]],
        "mode": "markers",
        "name": name,
        "marker": marker,
        "error_x": {"type": "data", "symmetric": False, "array": _floats(hi - v), "arrayminus": _floats(v - lo)},
        "hovertemplate": f"%{{y}}<br>{words} %{{x:.2f}}<extra></extra>",
    }
