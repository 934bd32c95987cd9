"""One colour-blind-safe palette and a projector-friendly plotly template, used by every chart (identity colours for
channels and stages live in dashboard/charts/palettes.py)."""

from __future__ import annotations

import copy
import dataclasses
import functools
import hashlib
import threading
import zlib
from collections import OrderedDict
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from enum import Enum

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio

from dashboard.charts import palettes, room
from dashboard.escape import plotly_value

# Okabe-Ito, safe for the common colour-vision deficiencies, then Paul Tol's muted extras.
PALETTE = (
    "#0072B2",  # blue
    "#E69F00",  # orange
    "#009E73",  # bluish green
    "#CC79A7",  # reddish purple
    "#56B4E9",  # sky blue
    "#D55E00",  # vermillion
    "#F0E442",  # yellow
    "#332288",  # indigo
    "#882255",  # wine
    "#44AA99",  # teal
    "#999933",  # olive
)
GREY = palettes.GREY
EXTRA = palettes.CHANNEL_EXTRA + palettes.STAGE_EXTRA
"""Colours for labels outside the vocabularies (channels and stages each from their own palette)."""
UNNAMED = frozenset({"", "other", "unknown", "none", "nan", "(blank)"})
INK = "#1F2937"
GOOD, BAD = "#009E73", "#D55E00"

CHANNEL_COLOURS = palettes.CHANNEL_COLOURS
JOURNEY_STAGE_COLOURS = palettes.JOURNEY_STAGE_COLOURS
RELATIONSHIP_STAGE_COLOURS = palettes.RELATIONSHIP_STAGE_COLOURS


def colour_for(label: str, kind: str = "channel") -> str:
    """A label's one colour on every page, from the channel or the stage palette (never both); off-vocabulary channels
    and journey stages by name from their palette's extras, else grey."""
    key = str(label).strip().lower()
    table = {"channel": CHANNEL_COLOURS, "journey_stage": JOURNEY_STAGE_COLOURS, "relationship_stage": RELATIONSHIP_STAGE_COLOURS}
    if key in table[kind]:
        return table[kind][key]
    if kind == "relationship_stage" or key in UNNAMED:
        return GREY
    extra = palettes.CHANNEL_EXTRA if kind == "channel" else palettes.STAGE_EXTRA
    return extra[zlib.crc32(key.encode()) % len(extra)]


TEMPLATE_NAME = "cxlens"
MAIN_PX_AT_1280 = 790
"""The main area's width in px in a 1,280 px window with the sidebar open (Chromium, Streamlit 1.67): a full-width
chart is this wide, and a table's leading columns, whose widths are set, fit in it with room for the scroll bar."""
FONT_SIZE = 16

pio.templates[TEMPLATE_NAME] = go.layout.Template(
    layout=go.Layout(
        font={"family": "Source Sans Pro, Arial, sans-serif", "size": FONT_SIZE, "color": INK},
        title={"font": {"size": FONT_SIZE + 4}, "x": 0, "xanchor": "left"},
        colorway=list(PALETTE),
        paper_bgcolor="white",
        plot_bgcolor="white",
        margin={"l": 60, "r": 30, "t": 60, "b": 50},
        xaxis={"showgrid": False, "linecolor": "#BBBBBB", "ticks": "outside", "tickfont": {"size": FONT_SIZE - 1}},
        yaxis={"gridcolor": "#E5E7EB", "zerolinecolor": "#BBBBBB", "tickfont": {"size": FONT_SIZE - 1}, "automargin": True},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "xanchor": "right", "x": 1, "font": {"size": FONT_SIZE - 1}},
        hoverlabel={"font": {"size": FONT_SIZE}},
    )
)


def styled(fig: go.Figure, *, title: str | None = None, height: int = 420) -> go.Figure:
    """fig with the CX Lens template, an optional title and a height that reads on a projector."""
    fig.update_layout(template=TEMPLATE_NAME, height=height)
    if title:
        fig.update_layout(title_text=title)
        legend_under_title(fig)
    return fig


TITLE_PAD_PX = 10
"""Space above a title set at the top of the figure."""


def _legend_rows(title_px: float, legend_px: float) -> tuple[float, float]:
    """Where a legend under the title starts (px from the figure's top) and the top margin that leaves room for both:
    the title's line (1.3 × its size) after TITLE_PAD_PX and a gap of 8 px; the legend's line (1.4 × its size) and 31 px
    to the plot (44 and 96 px at the template's sizes)."""
    top = TITLE_PAD_PX + 1.3 * title_px + 8
    return top, top + 1.4 * legend_px + 31


def legend_under_title(fig: go.Figure) -> go.Figure:
    """fig with the title on the first line and the legend on its own line under it, when it has a title and draws a
    legend its builder did not place itself, so a long title never runs into the legend (half a page wide, or in
    presentation type). Chart builders that add traces after styled() get it from draws_data_as_text."""
    if fig.layout.title.text and _legend_in_template_place(fig):
        _put_legend_under_title(fig, FONT_SIZE + 4, FONT_SIZE - 1)
    return fig


def own_ticks_on_overlaid_axes(fig: go.Figure) -> go.Figure:
    """fig with every axis drawn over another (a second y axis) ticked on its own scale: round values ("0.2 %",
    "2k"), not the other axis' gridlines, at which Streamlit's chart theme puts them ("0.3 %" for 0.333 %)."""
    for name in fig.layout:
        if name[1:5] == "axis" and fig.layout[name] is not None:
            axis = fig.layout[name]
            if axis.overlaying and axis.tickmode is None:
                axis.tickmode = "array" if axis.tickvals is not None else "linear" if axis.dtick is not None else "auto"
    return fig


def _put_legend_under_title(fig: go.Figure, title_px: float, legend_px: float) -> None:
    """Set fig's title at the top and its legend on the line under it, for the given font sizes."""
    height = fig.layout.height or 420
    top, margin = _legend_rows(title_px, legend_px)
    fig.update_layout(
        title={"yref": "container", "y": 1, "yanchor": "top", "pad": {"t": TITLE_PAD_PX}},
        legend={"yref": "container", "y": 1 - top / height, "yanchor": "top", "xanchor": "left", "x": 0},
        margin_t=margin,
    )


def _legend_is_under_title(fig: go.Figure) -> bool:
    """Whether fig's legend was set on its own line under the title (by legend_under_title or built)."""
    legend, title = fig.layout.legend, fig.layout.title
    return title.yref == "container" and legend.yref == "container" and legend.yanchor == "top" and legend.x == 0


@functools.cache
def _template_json() -> dict:
    return pio.templates[TEMPLATE_NAME].to_plotly_json()


def built(data: list[dict], layout: dict, *, title: str | None = None, height: int = 420) -> go.Figure:
    """A figure from plain dicts of plotly properties, styled as styled() styles one, without plotly checking each
    property as it is set: about 2 ms against 50 to 200 ms for the same figure built through go.Figure and
    update_layout, for charts redrawn on every slider move (their tests validate what they build)."""
    layout = {**layout, "template": copy.deepcopy(_template_json()), "height": height}
    if title:
        layout["title"] = {**layout.get("title", {}), "text": title}
        legend = layout.get("legend", {})
        shown = [t for t in data if t.get("showlegend") is not False and t.get("type") not in ("sankey", "table")]
        in_template_place = layout.get("showlegend") is not False and legend.get("y") is None
        if in_template_place and (layout.get("showlegend") is True or len(shown) > 1):
            # as styled(): the legend on its own line under the title
            top, margin = _legend_rows(FONT_SIZE + 4, FONT_SIZE - 1)
            layout["title"].update({"yref": "container", "y": 1, "yanchor": "top", "pad": {"t": TITLE_PAD_PX}})
            layout["legend"] = {**legend, "yref": "container", "y": 1 - top / height, "yanchor": "top", "xanchor": "left", "x": 0}
            layout["margin"] = {**layout.get("margin", {}), "t": margin}
    return go.Figure({"data": data, "layout": layout}, _validate=False)


MONTH_TICK_STEPS = ((6, 1), (12, 2), (24, 3), (60, 6))
"""Months between a monthly axis' ticks by the months it spans: every month up to six, every other up to a year, a
quarter up to two years, half a year up to five, a year beyond. At most about ten labels: a label ("Sep 2024") is about
60 px wide, and more than ten in a 1,280 px window's plot are turned on their side (a quarter over three years was)."""


def month_ticks(months: list) -> dict:
    """A monthly axis' ticks: on the first month and every few months after it (MONTH_TICK_STEPS), read as "Jan 2024".
    Plotly's own choice on a few months ticks mid-month and writes a month twice; a fixed quarter from January ticks
    none of February and March."""
    stamps = pd.to_datetime(pd.Series(months), errors="coerce").dropna()
    if stamps.empty:
        return {"tickformat": "%b %Y"}
    first, last = stamps.min(), stamps.max()
    spanned = (last.year - first.year) * 12 + last.month - first.month + 1
    step = next((step for most, step in MONTH_TICK_STEPS if spanned <= most), 12)
    return {"tickformat": "%b %Y", "tick0": first.strftime("%Y-%m-%d"), "dtick": f"M{step}"}


def bars_and_line_by_month(months: list, bars: dict, line: dict, left: dict, right: dict) -> tuple[list[dict], dict]:
    """The traces and axes of a chart by month for built(): bars on the left axis, a 3-px line with markers on the right
    one (overlaying the left, no grid of its own), months read as "Jan 2024". bars and line add their y, name, colour
    and hover; left and right their axis' title and format."""
    traces = [
        {"type": "bar", "x": months, **bars},
        {"type": "scatter", "x": months, "mode": "lines+markers", **line, "xaxis": "x", "yaxis": "y2"},
    ]
    traces[1]["line"] = {"width": 3, **line.get("line", {})}
    layout = {
        "xaxis": {"anchor": "y", "domain": [0.0, 0.94], **month_ticks(months)},
        "yaxis": {"anchor": "x", "domain": [0.0, 1.0], **left},
        "yaxis2": {"anchor": "x", "overlaying": "y", "side": "right", "showgrid": False, **right},
    }
    return traces, layout


def _legend_in_template_place(fig: go.Figure) -> bool:
    """Whether fig draws a legend (more than one named trace, or asked for) that its builder did not place itself."""
    if fig.layout.showlegend is False or fig.layout.legend.y is not None:
        return False
    shown = [trace for trace in fig.data if trace.showlegend is not False and trace.type not in ("sankey", "table")]
    return fig.layout.showlegend is True or len(shown) > 1


IMAGE_SCALE = 2
"""The toolbar's PNG is the chart as drawn, at twice its on-screen pixels (a 800 px wide chart saves 1,600 px wide)."""


def toolbar(file_name: str) -> dict:
    """The plotly config of every chart: no plotly logo; the camera button saves a PNG named file_name (the page's
    export name: dataset, version and filter code) at IMAGE_SCALE, drawn by the browser."""
    return {
        "displaylogo": False,
        "toImageButtonOptions": {"format": "png", "filename": file_name, "scale": IMAGE_SCALE},
    }


PRESENTATION_MIN_PX = 16
"""The smallest text on a chart in presentation mode (read from the back of a room)."""


def presentation_fonts(fig: go.Figure, size: int = 21) -> go.Figure:
    """fig with projector-sized text: body size, ticks, legend and axis titles size − 2, titles size + 3, and every
    trace label, annotation and colour-bar text at least PRESENTATION_MIN_PX (axis ticks were about 11 px)."""
    small = size - 2
    fig.update_layout(font_size=size, legend_font_size=small, legend_title_font_size=small, title_font_size=size + 3)
    for name in fig.layout:  # a second legend (legend2, ...) as the first
        if name.startswith("legend") and name[len("legend") :].isdigit() and fig.layout[name] is not None:
            fig.layout[name].font.size = small
    if _legend_is_under_title(fig):  # the larger title and legend need their lines moved down
        _put_legend_under_title(fig, size + 3, small)
    fig.update_xaxes(tickfont_size=small, title_font_size=small).update_yaxes(tickfont_size=small, title_font_size=small)
    for trace in fig.data:
        for part in ("textfont", "insidetextfont", "outsidetextfont"):
            if part in trace:
                given = trace[part].size
                trace[part].size = max(given, small) if isinstance(given, int | float) else small
        # only where a colour bar is drawn: setting one on a plain bar's marker makes plotly.js draw a stray one
        if "marker" in trace and "colorbar" in trace.marker and trace.marker.showscale:
            trace.marker.colorbar.tickfont.size = small
        if "colorbar" in trace and trace.showscale is not False:
            trace.colorbar.tickfont.size = small
    for note in fig.layout.annotations:
        note.font.size = max(note.font.size or size, PRESENTATION_MIN_PX + 2)
    return fig


def empty_note(fig: go.Figure, text: str, *, domain: str = "paper", size: int = 16) -> go.Figure:
    """fig with text centred in grey over its plot area (domain "paper", or an axis domain such as "x domain"), saying
    why there is nothing to draw."""
    fig.add_annotation(**note(text, domain=domain, size=size))
    return fig


def note(text: str, *, domain: str = "paper", size: int = 16) -> dict:
    """The annotation of empty_note as a plain dict (for figures made by built())."""
    ref_x, ref_y = (domain, domain.replace("x", "y")) if domain != "paper" else ("paper", "paper")
    font = {"size": size, "color": GREY}
    return {"text": text, "xref": ref_x, "yref": ref_y, "x": 0.5, "y": 0.5, "showarrow": False, "font": font}


FIGURES_KEPT = 16
"""Figures each chart builder keeps, by its arguments, to hand out again without rebuilding them."""


def draws_data_as_text(builder: Callable[..., go.Figure]) -> Callable[..., go.Figure]:
    """builder with every argument's text (frames, series, strings, lists, the currency symbol) escaped for Plotly
    first, so a label from the data is drawn as text on axes, legends, hovers, titles and annotations.

    A figure is built once per set of arguments (their values, frames by content): called again with equal arguments,
    as on a rerun whose filters did not change this chart's data, it returns a copy of the figure already built
    without building it again (building through plotly's checked properties is about half of a cached page rerun).
    Arguments that cannot be fingerprinted (any object other than plain values, containers, dataclasses, frames and
    arrays of plain values) are built every time."""
    kept: OrderedDict[bytes, dict] = OrderedDict()
    lock = threading.Lock()

    @functools.wraps(builder)
    def escaped(*args: object, **kwargs: object) -> go.Figure:
        key = _fingerprint(args, kwargs)
        if key is not None:
            with lock:
                props = kept.get(key)
                if props is not None:
                    kept.move_to_end(key)
            if props is not None:
                return go.Figure(copy.deepcopy(props), _validate=False)
        fig = builder(*map(plotly_value, args), **{name: plotly_value(value) for name, value in kwargs.items()})
        if isinstance(fig, go.Figure):
            legend_under_title(fig)  # a builder may add its traces after styled() placed the title
            own_ticks_on_overlaid_axes(fig)
        if not isinstance(fig, go.Figure):
            return fig
        if key is None:
            if (made := room.changes(fig.to_plotly_json())) is not None:
                fig.update_layout(made)
            return fig
        # the traces' and layout's own properties (fig.to_dict() would turn numeric arrays into base64 text)
        props = {
            "data": [trace.to_plotly_json() for trace in fig.data],
            "layout": fig.layout.to_plotly_json(),
            "_grid_str": fig._grid_str,
            "_grid_ref": copy.deepcopy(fig._grid_ref),
        }
        room.with_room(props)  # margins that hold the axis labels: plotly.js lays the figure out once, not twice
        with lock:
            kept[key] = props
            while len(kept) > FIGURES_KEPT:
                kept.popitem(last=False)
        # the first figure handed out is a copy too: its JSON then has the same key order as every later copy, so
        # Streamlit recognises an unchanged chart on a rerun and sends a reference instead of the whole figure again
        return go.Figure(copy.deepcopy(props), _validate=False)

    escaped.draws_data_as_text = True
    return escaped


class _Unknown(Exception):
    """An argument whose value cannot be told by a fingerprint."""


_PLAIN = (str, int, float, bool, type(None), date, Decimal, Enum, np.generic)


def _fingerprint(args: tuple, kwargs: dict) -> bytes | None:
    """A digest of the arguments' values (frames and series by content, with their columns, types, index and attrs);
    None when one cannot be fingerprinted."""
    digest = hashlib.blake2b(digest_size=20)
    try:
        _feed(args, digest)
        _feed(kwargs, digest)
    except (_Unknown, TypeError, ValueError):
        return None
    return digest.digest()


def _feed(value: object, digest) -> None:
    if isinstance(value, _PLAIN):
        digest.update(f"{type(value).__name__}:{value!r};".encode())
    elif isinstance(value, pd.DataFrame):
        columns = [(str(name), str(dtype)) for name, dtype in value.dtypes.items()]
        digest.update(f"frame:{value.shape}:{columns}:{list(value.index.names)}:{value.index.dtype};".encode())
        digest.update(pd.util.hash_pandas_object(value, index=True).to_numpy().tobytes())
        _feed(value.attrs, digest)
    elif isinstance(value, pd.Series):
        digest.update(f"series:{value.name!r}:{value.dtype}:{len(value)};".encode())
        digest.update(pd.util.hash_pandas_object(value, index=True).to_numpy().tobytes())
    elif isinstance(value, np.ndarray) and value.dtype != object:
        digest.update(f"array:{value.dtype}:{value.shape};".encode())
        digest.update(np.ascontiguousarray(value).tobytes())
    elif isinstance(value, list | tuple):
        digest.update(f"{type(value).__name__}:{len(value)}[".encode())
        for item in value:
            _feed(item, digest)
        digest.update(b"]")
    elif isinstance(value, dict):
        digest.update(f"dict:{len(value)}{{".encode())
        for name, item in value.items():
            _feed(name, digest)
            _feed(item, digest)
        digest.update(b"}")
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        digest.update(f"{type(value).__module__}.{type(value).__qualname__}(".encode())
        for part in dataclasses.fields(value):
            _feed(getattr(value, part.name), digest)
        digest.update(b")")
    else:
        raise _Unknown(type(value).__name__)
