"""Room for the axis labels: a figure's margins set, on the server, to what plotly.js would push them to.

Every axis of a chart drawn by Streamlit grows the margin its labels need (plotly's automargin). plotly.js learns that
need only by drawing: it lays the figure out, measures its tick labels and titles, and when the margins it was given
are too small, lays it out again with larger ones. A figure whose margins already hold its labels is laid out once:
the Overview's trend took 29 to 36 against 13 to 16 ms to draw in Chromium (plotly.js on its own); in the app, the
Overview drew a filter change 29 to 39 ms sooner (medians of twelve, the two codes served side by side; docs/speed.md).
So the margins are worked out here from the labels' text, with the widths of Streamlit's chart font, and automargin
stays on: a label wider than foreseen is still never cut, it only costs the second layout.

Measured on Streamlit 1.67's chart theme (`tests/browser/test_browser_chart_room.py` checks, on every page, that
plotly.js pushes no margin past the ones set here).
"""

from __future__ import annotations

import base64
import logging
import math
import re
from collections.abc import Iterable
from numbers import Real

import numpy as np

_LOG = logging.getLogger("cxlens")

TICK_PX = 12.75
"""Tick labels' size in Streamlit's chart theme, unless the figure sets its own."""
AXIS_TITLE_PX = 14.875
"""Axis titles' size in Streamlit's chart theme, unless the figure sets its own."""
PLOT_PAD_PX = 8.5
"""Streamlit's margin.pad: the gap between the plot area and its axes."""
Y_STANDOFF_PX = 25.5
"""Streamlit's gap between a y axis' tick labels and its title."""
X_STANDOFF_PX = 21.25
"""Streamlit's gap between an x axis' tick labels and its title."""
X_TICK_LEN_PX = 5
"""Streamlit draws x-axis ticks outside, 5 px long; y axes have none."""
PUSH_PAD_PX = 12
"""plotly.js adds min(12 px, the smallest margin) to what an axis pushes; every margin set here is at least that."""
LABEL_GAP = 0.12
"""The gap between a y axis and its tick labels, in font sizes (1.5 px at 12.75)."""
SPARE_PX = 2
"""Added to each margin worked out: measured needs ran up to 1 px past the arithmetic at presentation sizes."""
LINE_HEIGHT = 1.33
"""A line of tick labels, in font sizes (17 px at 12.75)."""
DEFAULT_MARGIN = {"l": 0, "r": 0, "t": 60, "b": 50}
"""Streamlit's margins for a figure that sets none."""

# Advance widths of Streamlit's chart font ("Source Sans") in hundredths of the font size, printable ASCII from the
# space (measured in Chromium with canvas measureText at 100 px); any other character counts as WIDE.
_ASCII_WIDTHS = (
    "20 29 43 50 50 82 61 25 30 30 42 50 25 31 25 35 50 50 50 50 50 50 50 50 50 50 25 25 50 50 50 42 85 54 59 57 61 53 "
    "49 62 65 26 48 58 49 73 65 66 57 66 57 53 54 64 51 79 51 48 54 30 35 30 50 50 54 50 55 46 55 50 29 50 54 25 25 49 "
    "25 83 55 54 55 55 35 42 34 54 47 72 45 47 42 30 24 30 50"
)
_WIDTH = {chr(32 + i): int(w) / 100 for i, w in enumerate(_ASCII_WIDTHS.split())}
WIDE = 0.85
"""The width, in font sizes, counted for a character outside printable ASCII (about an "M" or an "@")."""
_TAG = re.compile(r"<[^>]*>")
_BREAK = re.compile(r"<br\s*/?>", re.IGNORECASE)
_D3 = re.compile(r"^(?P<currency>\$)?(?P<comma>,)?(?:\.(?P<digits>\d+))?(?P<kind>[fde%s])?$")
_NO_AXES = {"pie", "sankey", "table", "indicator", "funnelarea", "sunburst", "treemap", "icicle", "parcoords", "parcats"}
_COLOUR_BARS = {"heatmap", "contour", "histogram2d", "histogram2dcontour", "choropleth", "surface"}


def text_px(text: str, size: float) -> float:
    """Width of text, drawn at size px in Streamlit's chart font (HTML tags left out, the widest line of a <br>)."""
    lines = _BREAK.split(text)
    return max(sum(_WIDTH.get(char, WIDE) for char in _TAG.sub("", line)) for line in lines) * size


def _lines(text: str) -> int:
    return len(_BREAK.split(text))


def changes(figure: dict) -> dict | None:
    """The layout changes that give figure's axis labels and titles the room they need, for figure as plotly JSON (data
    and layout): margins (l, r, t, b), never smaller than the figure's own, and a secondary y axis moved from inside
    the plot (make_subplots' x domain ending at 0.94) to its edge, its labels then held by the right margin, and ticks
    one apart on an axis of a few whole numbers (its labels written once each, as their room is counted). None for
    a figure with no axis to make room for, or one not read here: it keeps its own margins and plotly.js makes room,
    laying it out twice (a chart is never lost over this)."""
    try:
        return _room(figure)
    except Exception:  # a speed-up, never a reason to lose a chart
        _LOG.warning("room for the labels not foreseen for a figure", exc_info=True)
        return None


def with_room(figure: dict) -> dict:
    """figure (plotly JSON) with changes() applied; changed in place and returned."""
    made = changes(figure)
    if made is not None:
        layout = figure.setdefault("layout", {})
        for key, value in made.items():
            layout[key] = {**(layout.get(key) or {}), **value}
    return figure


def _room(figure: dict) -> dict | None:
    layout, traces = dict(figure.get("layout") or {}), figure.get("data") or []
    if not traces or any(trace.get("type") in _NO_AXES for trace in traces):
        return None
    made: dict[str, dict] = {}
    widened = _widened_for_secondary_axis(layout)
    if widened is not None:
        made[widened] = {"domain": [layout[widened].get("domain", [0, 1])[0], 1.0]}
        layout[widened] = {**layout[widened], **made[widened]}
    for name, axis in list(_axes(layout, traces)):
        if (whole := _whole_steps(name, axis, traces, layout)) is not None:
            made[name] = {**made.get(name, {}), **whole}
            layout[name] = {**axis, **whole}
    given = {**DEFAULT_MARGIN, **{side: value for side, value in (layout.get("margin") or {}).items() if side in "lrtb"}}
    pushes: dict[str, float] = {}
    for name, axis in _axes(layout, traces):
        side = _side(name, axis, layout)
        if side is None:
            continue
        if name.startswith("y"):
            needs = {side: _y_push(name, axis, traces, layout)}
        else:
            needs = {side: _x_push(name, axis, traces, layout), **_x_overhang(name, axis, traces, layout)}
        for edge, need in needs.items():
            if need is not None:
                pushes[edge] = max(pushes.get(edge, 0.0), need + PUSH_PAD_PX + SPARE_PX)
    if _draws_colour_bar(traces):
        pushes.pop("r", None)
    fitted = {side: max(float(given[side]), math.ceil(pushes.get(side, 0.0)), PUSH_PAD_PX) for side in "lrtb"}
    if (legend := _legend_below(layout, traces, fitted["t"])) is not None:
        fitted["b"] = max(fitted["b"], math.ceil(legend))
    if fitted != {side: float(given[side]) for side in "lrtb"}:
        made["margin"] = fitted
    return made or None


LEGEND_PX = 300
"""The narrowest a legend under a plot is taken to be: its rows are counted for this width (a wider chart leaves a
little room unused below its legend, never too little)."""
LEGEND_ITEM_PX = 45
"""What a horizontal legend draws beside each entry's name: its symbol and the gap to the next (measured in Chromium)."""
LEGEND_ROW = 1.55
"""A horizontal legend's row, in font sizes (20 px at 12.75), below 10 px of padding."""
MAX_LEGEND_ROWS = 2
"""A legend of more rows in its width is left to plotly.js (ten channels at LEGEND_PX): on a wider chart they take
fewer rows, and room for six would leave a gap under it."""


def _legend_below(layout: dict, traces: list[dict], top: float) -> float | None:
    """The bottom margin a horizontal legend placed under the plot (paper y below 0, anchored at its top) needs: plotly.js
    wants its height and 12 px below the point y × the plot's height under the plot, the plot's height being what the
    margins leave of the figure's. None without such a legend, without a figure height to work from, or for a legend
    of more than MAX_LEGEND_ROWS rows."""
    legend, height = layout.get("legend") or {}, layout.get("height")
    y = legend.get("y")
    if layout.get("showlegend") is False or not isinstance(y, Real) or y >= 0 or not isinstance(height, Real):
        return None
    if legend.get("yref", "paper") != "paper" or legend.get("orientation") != "h" or legend.get("yanchor") != "top":
        return None
    names = [
        str(t["name"])
        for t in traces
        if t.get("name") and t.get("showlegend") is not False and t.get("legend", "legend") == "legend"
    ]
    if not names or (len(names) == 1 and layout.get("showlegend") is not True):
        return None
    size = _font_px(legend, "font", TICK_PX)
    items = [text_px(name, size) + LEGEND_ITEM_PX for name in names]
    width = _legend_px(layout)
    # one row when the entries fit side by side; else plotly.js sets them in columns as wide as the widest entry
    rows = 1 if sum(items) <= width else math.ceil(len(items) / max(1, int(width // max(items))))
    if rows > MAX_LEGEND_ROWS:
        return None
    need = 10 + rows * LEGEND_ROW * size + PUSH_PAD_PX + SPARE_PX
    below = -float(y)
    return (need + below * (float(height) - top)) / (1 + below)


def _legend_px(layout: dict) -> float:
    """The width a legend under the plot is laid out in: LEGEND_PX, or what a figure drawn only at full width says in
    its meta ({"legend_px": 580}: the journey map's plot at a 1,280 px window)."""
    meta = layout.get("meta")
    given = meta.get("legend_px") if isinstance(meta, dict) else None
    return float(given) if isinstance(given, Real) and given > 0 else LEGEND_PX


def _widened_for_secondary_axis(layout: dict) -> str | None:
    """The x axis make_subplots narrowed (domain ending between 0.9 and 1) to hold a secondary y axis on the right,
    when it is the figure's one x axis and every right-hand y axis overlays its plot: that axis can stand at the
    plot's edge, its labels in the right margin."""
    x_axes = [key for key in layout if re.fullmatch(r"xaxis\d*", key)]
    if len(x_axes) != 1:
        return None
    domain = (layout[x_axes[0]] or {}).get("domain") or [0, 1]
    right = [axis for key, axis in layout.items() if re.fullmatch(r"yaxis\d*", key) and (axis or {}).get("side") == "right"]
    if not right or not 0.9 <= domain[1] < 1 or not all(axis.get("overlaying") for axis in right):
        return None
    return x_axes[0]


def _axes(layout: dict, traces: list[dict]) -> Iterable[tuple[str, dict]]:
    """The cartesian axes the traces are drawn on: (layout name, its properties)."""
    names = set()
    for trace in traces:
        names.add(_axis_name("x", trace.get("xaxis")))
        names.add(_axis_name("y", trace.get("yaxis")))
    for name in sorted(names):
        axis = layout.get(name) or {}
        if axis.get("visible") is False or axis.get("automargin") is False:
            continue
        yield name, axis


_WHOLE = re.compile(r"^,?(\.0f|d)$")
WHOLE_STEPS_UP_TO = 10
"""plotly.js ticks an axis whose values stay at or under this in steps under 1 (0.2, 0.5)."""


def _whole_steps(name: str, axis: dict, traces: list[dict], layout: dict) -> dict | None:
    """Ticks one apart for an axis of whole numbers (tick format ",.0f" or ",d") whose values stay within
    WHOLE_STEPS_UP_TO: plotly.js would tick it in 0.2 steps and write them "0, 0, 0, 1, 1, 1". None for any other
    axis, or one whose builder set its ticks."""
    if not _WHOLE.match(str(axis.get("tickformat") or "").replace("~", "")) or axis.get("type") in ("log", "category"):
        return None
    if axis.get("tickmode") in ("array", "linear") or axis.get("dtick") is not None or axis.get("tickvals") is not None:
        return None
    numbers = [float(v) for trace in _on_axis(name, traces) for v in _values(trace, name[0], layout) if isinstance(v, Real)]
    numbers += _stacks(name, traces, layout) + [float(end) for end in _seq(axis.get("range")) if isinstance(end, Real)]
    finite = [abs(n) for n in numbers if math.isfinite(n)]
    if not finite or max(finite) > WHOLE_STEPS_UP_TO:
        return None
    return {"tickmode": "linear", "tick0": 0, "dtick": 1}


def _axis_name(letter: str, ref: str | None) -> str:
    """ "x2" -> "xaxis2"; None -> "xaxis"."""
    suffix = (ref or letter)[1:]
    return f"{letter}axis{suffix}"


def _side(name: str, axis: dict, layout: dict) -> str | None:
    """The margin an axis pushes ("l", "r", "t", "b"), or None when it stands inside the figure (anchored to an
    axis whose domain does not reach that edge, or free)."""
    if axis.get("anchor") == "free" or axis.get("type") == "log":
        return None
    letter, other = name[0], "x" if name[0] == "y" else "y"
    anchor = axis.get("anchor") or other
    across = (layout.get(_axis_name(other, anchor)) or {}).get("domain") or [0, 1]
    if letter == "y":
        side = axis.get("side") or "left"
        return "l" if side == "left" and across[0] <= 0 else "r" if side == "right" and across[1] >= 1 else None
    side = axis.get("side") or "bottom"
    return "b" if side == "bottom" and across[0] <= 0 else None


def _font_px(axis: dict, part: str, default: float) -> float:
    size = (axis.get(part) or {}).get("size")
    return float(size) if isinstance(size, Real) else default


def _title(axis: dict) -> str:
    title = axis.get("title")
    text = title.get("text") if isinstance(title, dict) else title
    return text if isinstance(text, str) else ""


def _y_push(name: str, axis: dict, traces: list[dict], layout: dict) -> float | None:
    """What a y axis pushes its side by: pad, its tick labels' widest and its title's line."""
    labels = _labels(name, axis, traces, layout)
    if labels is None:
        return None
    tick_px = _font_px(axis, "tickfont", TICK_PX)
    widest = max((text_px(label, tick_px) for label in labels), default=0.0)
    push = PLOT_PAD_PX + LABEL_GAP * tick_px + widest
    if title := _title(axis):
        push += Y_STANDOFF_PX + _lines(title) * 0.8 * _font_px(axis.get("title") or {}, "font", AXIS_TITLE_PX)
    return push


def _x_push(name: str, axis: dict, traces: list[dict], layout: dict) -> float | None:
    """What an x axis at the bottom pushes: pad, ticks, one line of tick labels (more for labels with <br>) and its
    title's line. Labels plotly.js turns when they do not fit side by side need more; they cost the second layout."""
    labels = _labels(name, axis, traces, layout)
    if labels is None:
        return None
    tick_px = _font_px(axis, "tickfont", TICK_PX)
    lines = max((_lines(label) for label in labels), default=1) if axis.get("showticklabels") is not False else 0
    push = PLOT_PAD_PX + X_TICK_LEN_PX + 4 + lines * LINE_HEIGHT * tick_px
    if title := _title(axis):
        push += X_STANDOFF_PX + _lines(title) * 0.8 * _font_px(axis.get("title") or {}, "font", AXIS_TITLE_PX)
    return push


PLOT_PX = 300
"""The narrowest plot a category axis' overhang is worked out for: a band is at least PLOT_PX ÷ categories wide."""


def _x_overhang(name: str, axis: dict, traces: list[dict], layout: dict) -> dict[str, float]:
    """What an x axis' labels push the left and right margins by: half the widest label for numbers and dates (a tick
    can stand at the plot's edge); for categories, each label centred on its band, the bands of a PLOT_PX-wide plot."""
    labels = _labels(name, axis, traces, layout)
    if not labels:
        return {}
    size = _font_px(axis, "tickfont", TICK_PX)
    if axis.get("type") == "category" or _categorical(name, traces):
        band, count = PLOT_PX / len(labels), len(labels)
        halves = [text_px(label, size) / 2 for label in labels]
        return {
            "l": max(half - (place + 0.5) * band for place, half in enumerate(halves)),
            "r": max(half - (count - place - 0.5) * band for place, half in enumerate(halves)),
        }
    half = max(text_px(label, size) for label in labels) / 2
    return {"l": half, "r": half}


def _categorical(name: str, traces: list[dict]) -> bool:
    letter = name[0]
    return any(isinstance(value, str) for trace in _on_axis(name, traces) for value in _seq(trace.get(letter))[:1])


def _labels(name: str, axis: dict, traces: list[dict], layout: dict) -> list[str] | None:
    """The widest tick labels the axis can draw, or None when they cannot be foreseen (a date axis on y, a format
    this module does not read)."""
    if axis.get("showticklabels") is False:
        return []
    if axis.get("ticktext") is not None:
        return [str(text) for text in _seq(axis["ticktext"])]
    letter = name[0]
    values = [value for trace in _on_axis(name, traces) for value in _values(trace, letter, layout)]
    if axis.get("type") == "date" or any(hasattr(value, "isoformat") or _is_datetime64(value) for value in values[:1]):
        return ["Jan 2024"] if letter == "x" else None
    if axis.get("type") == "category" or any(isinstance(value, str) for value in values):
        return [str(value) for value in dict.fromkeys(values) if value is not None]
    numbers = [float(value) for value in values if isinstance(value, Real) and math.isfinite(float(value))]
    numbers += _stacks(name, traces, layout)
    for end in _seq(axis.get("range")):
        if isinstance(end, Real):
            numbers.append(float(end))
    return _number_labels(numbers, axis)


def _seq(values: object) -> list:
    """values (a list, tuple, array, plotly's base64 typed array or None) as a list."""
    if isinstance(values, dict) and isinstance(values.get("bdata"), str) and isinstance(values.get("dtype"), str):
        return np.frombuffer(base64.b64decode(values["bdata"]), dtype=np.dtype(values["dtype"])).tolist()
    if values is None or isinstance(values, str | dict):
        return []
    return list(values) if isinstance(values, Iterable) else []


def _is_datetime64(value: object) -> bool:
    return type(value).__name__.startswith("datetime64")


def _on_axis(name: str, traces: list[dict]) -> list[dict]:
    letter = name[0]
    return [trace for trace in traces if _axis_name(letter, trace.get(f"{letter}axis")) == name]


def _values(trace: dict, letter: str, layout: dict) -> list:
    """The values trace puts on its letter axis, run up for a waterfall."""
    values = _seq(trace.get(letter))
    if trace.get("type") == "waterfall" and trace.get("orientation", "v") == ("v" if letter == "y" else "h"):
        running = 0.0
        for value in list(values):
            if isinstance(value, Real):
                running += float(value)
                values.append(running)
    return values


def _stacks(name: str, traces: list[dict], layout: dict) -> list[float]:
    """Stacked bars' heights on a value axis: per place, the sum of the positive and of the negative values."""
    if layout.get("barmode") not in ("stack", "relative"):
        return []
    letter = name[0]
    across = "y" if letter == "x" else "x"
    totals: dict[tuple[object, bool], float] = {}
    for trace in _on_axis(name, traces):
        if trace.get("type", "scatter") != "bar" or trace.get("orientation", "v") != ("v" if letter == "y" else "h"):
            continue
        for place, value in zip(_seq(trace.get(across)), _seq(trace.get(letter)), strict=False):
            if isinstance(value, Real) and math.isfinite(float(value)):
                key = (place if isinstance(place, str | Real) else str(place), value >= 0)
                totals[key] = totals.get(key, 0.0) + float(value)
    return list(totals.values())


AUTORANGE_PAD = 1.05
"""plotly.js' autorange runs a little past the data: the widest tick label is at most that of the data's end times this."""


def _number_labels(numbers: list[float], axis: dict) -> list[str] | None:
    """The widest labels the axis' ticks can have, as plotly.js writes them: those of its data's ends, padded as
    autorange pads them. None for a format not read here."""
    prefix, suffix = str(axis.get("tickprefix") or ""), str(axis.get("ticksuffix") or "")
    tickformat = axis.get("tickformat")
    ends = {max(numbers) * AUTORANGE_PAD, min(numbers) * AUTORANGE_PAD} if numbers else set()
    if not numbers or max(numbers) == min(numbers):
        # no data, or one value: plotly.js spans a little either side of it, in steps of a half (-1.5, 0.5, ...)
        centre = numbers[0] if numbers else 0.0
        ends = {centre - 1.5, centre + 4}
        tickformat = tickformat or ".1f"
    labels = []
    for value in sorted(ends):
        text = _formatted(value, tickformat)
        if text is None:
            return None
        labels.append(prefix + text + suffix)
    return labels


def _formatted(value: float, tickformat: str | None) -> str | None:
    """value as plotly.js labels a tick with tickformat (a d3 format of the kinds the charts use: $ , .N f d e % s), or
    with none as plotly.js' default does. None for a format not read here."""
    sign = "\u2212" if value < 0 else ""
    size = abs(value)
    if not tickformat:  # plotly.js: plain below 10,000 (500, 1500, 0.25), with k, M or B from there (20k, 2.5M)
        return sign + (_si(size) if size >= 1e4 else f"{size:.0f}" if size >= 1 else f"{size:.3g}")
    match = _D3.match(tickformat.replace("~", ""))
    if match is None:
        return None
    digits = int(match["digits"]) if match["digits"] is not None else (0 if match["kind"] in ("d", "%") else 6)
    kind = match["kind"] or "f"
    if kind == "%":
        text = f"{size * 100:{',' if match['comma'] else ''}.{digits}f}%"
    elif kind == "s":  # ticks in step with another axis can take any value: every significant digit shown
        text = _si(size, digits=int(match["digits"] or 3))
    elif kind == "e":
        text = f"{size:.{digits}e}"
    else:
        text = f"{size:{',' if match['comma'] else ''}.{0 if kind == 'd' else digits}f}"
    return sign + ("$" if match["currency"] else "") + text


def _si(size: float, digits: int | None = None) -> str:
    """size with plotly.js's B suffixes (k, M, B): up to three significant digits, or exactly digits of them."""
    mantissa, suffix = size, ""
    for limit, letter in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if size >= limit:
            mantissa, suffix = size / limit, letter
            break
    if digits is None:
        return f"{mantissa:.3g}{suffix}"
    decimals = max(0, digits - 1 - math.floor(math.log10(mantissa))) if mantissa > 0 else 0
    return f"{mantissa:.{decimals}f}{suffix}"


def _draws_colour_bar(traces: list[dict]) -> bool:
    """Whether a trace draws a colour bar (it pushes the right margin by an amount not foreseen here)."""
    for trace in traces:
        if trace.get("type") in _COLOUR_BARS and trace.get("showscale") is not False:
            return True
        if (trace.get("marker") or {}).get("showscale"):
            return True
    return False
