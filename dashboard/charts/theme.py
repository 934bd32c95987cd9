"""One colour-blind-safe palette and a projector-friendly plotly template, used by every chart."""

from __future__ import annotations

import functools
import zlib
from collections.abc import Callable

import plotly.graph_objects as go
import plotly.io as pio

from dashboard.contract import CHANNELS, JOURNEY_STAGES, RELATIONSHIP_STAGES
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
GREY = "#8C8C8C"
EXTRA = ("#117733", "#88CCEE", "#DDCC77", "#AA4499", "#661100", "#6699CC", "#AA4466", "#4477AA")
"""Paul Tol's colours not in PALETTE: a channel or journey stage outside the vocabulary gets one by its name."""
UNNAMED = frozenset({"", "other", "unknown", "none", "nan", "(blank)"})
INK = "#1F2937"
GOOD, BAD = "#009E73", "#D55E00"


def _assign(labels: tuple[str, ...]) -> dict[str, str]:
    return {label: PALETTE[i % len(PALETTE)] for i, label in enumerate(labels)}


CHANNEL_COLOURS = _assign(CHANNELS.labels)
JOURNEY_STAGE_COLOURS = _assign(JOURNEY_STAGES.labels)
RELATIONSHIP_STAGE_COLOURS = dict(
    zip(
        RELATIONSHIP_STAGES.labels,
        # prospect to advocate as a progression (sky, blue, teal, green, purple); the off-ramps warm (orange, vermillion)
        ("#56B4E9", "#0072B2", "#44AA99", "#009E73", "#CC79A7", "#E69F00", "#D55E00"),
        strict=True,
    )
)


def colour_for(label: str, kind: str = "channel") -> str:
    """A label's one colour on every page; off-vocabulary channels and journey stages by name from EXTRA, else grey."""
    key = str(label).strip().lower()
    table = {"channel": CHANNEL_COLOURS, "journey_stage": JOURNEY_STAGE_COLOURS, "relationship_stage": RELATIONSHIP_STAGE_COLOURS}
    if key in table[kind]:
        return table[kind][key]
    if kind == "relationship_stage" or key in UNNAMED:
        return GREY
    return EXTRA[zlib.crc32(key.encode()) % len(EXTRA)]


TEMPLATE_NAME = "cxlens"
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
        yaxis={"gridcolor": "#E5E7EB", "zerolinecolor": "#BBBBBB", "tickfont": {"size": FONT_SIZE - 1}},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "xanchor": "right", "x": 1, "font": {"size": FONT_SIZE - 1}},
        hoverlabel={"font": {"size": FONT_SIZE}},
    )
)


def styled(fig: go.Figure, *, title: str | None = None, height: int = 420) -> go.Figure:
    """fig with the CX Lens template, an optional title and a height that reads on a projector."""
    fig.update_layout(template=TEMPLATE_NAME, height=height)
    if title:
        fig.update_layout(title_text=title)
    return fig


def empty_note(fig: go.Figure, text: str, *, domain: str = "paper", size: int = 16) -> go.Figure:
    """fig with text centred in grey over its plot area (domain "paper", or an axis domain such as "x domain"), saying
    why there is nothing to draw."""
    ref_x, ref_y = (domain, domain.replace("x", "y")) if domain != "paper" else ("paper", "paper")
    fig.add_annotation(text=text, xref=ref_x, yref=ref_y, x=0.5, y=0.5, showarrow=False, font={"size": size, "color": GREY})
    return fig


def draws_data_as_text(builder: Callable[..., go.Figure]) -> Callable[..., go.Figure]:
    """builder with every argument's text (frames, series, strings, lists, the currency symbol) escaped for Plotly
    first, so a label from the data is drawn as text on axes, legends, hovers, titles and annotations."""

    @functools.wraps(builder)
    def escaped(*args: object, **kwargs: object) -> go.Figure:
        return builder(*map(plotly_value, args), **{name: plotly_value(value) for name, value in kwargs.items()})

    escaped.draws_data_as_text = True
    return escaped
