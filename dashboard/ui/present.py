"""Presentation mode: no sidebar or editing controls, larger type, charts full width, for a projector."""

from __future__ import annotations

import plotly.graph_objects as go
import streamlit as st

from dashboard.charts import room, theme
from dashboard.ui import nav, state

PRESENT_CSS = """
<style>
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], [data-testid="stExpandSidebarButton"],
[data-testid="stSidebarCollapseButton"], header[data-testid="stHeader"] { display: none !important; }
html { font-size: 20px; }
[data-testid="stCaptionContainer"], [data-testid="stWidgetLabel"] p, [data-testid="stMarkdownContainer"] p,
button p, [data-testid="stExpander"] summary p { font-size: max(1rem, 16px) !important; }
[data-testid="stPageLink"] p { font-size: 16px !important; }
[data-testid="stPageLink"] a { padding-left: 0.1rem; padding-right: 0.1rem; gap: 0.3rem; }
.block-container, [data-testid="stMainBlockContainer"] { padding-top: 1.5rem !important; max-width: 100% !important; }
[data-testid="stMetricValue"] { font-size: 2.9rem !important; }
/* a tile's value is Markdown too (Streamlit 1.67): it keeps the tile's size, not the 1rem for paragraphs above */
[data-testid="stMetricValue"] [data-testid="stMarkdownContainer"] p { font-size: inherit !important; }
[data-testid="stMetricLabel"] p { font-size: 1.15rem !important; }
@media (max-width: 1500px) {
  html { font-size: 19px; }
  [data-testid="stMetricValue"] { font-size: 2.1rem !important; }
  [data-testid="stMetricLabel"] p { font-size: 1rem !important; }
}
</style>
"""
READABLE_CSS = """
<style>
[data-testid="stMetricLabel"] p, [data-testid="stMetricLabel"] div, [data-testid="stMetricValue"] div {
  white-space: normal !important; overflow: visible !important; text-overflow: clip !important; }
[data-testid="stMetricLabel"] { height: auto !important; }
[data-testid="stMetricValue"] { font-size: clamp(1.35rem, 2.3vw, 2.25rem); line-height: 1.2; }
</style>
"""
"""On every page: a tile's label wraps and its value shrinks to the tile, never cut with an ellipsis
("Revenue per cust…", "0.2 d…" at 1280 px)."""
CHART_FONT_SIZE = 21
CHART_TEXT_PX = CHART_FONT_SIZE - 2
"""The least size of text drawn on a chart in presentation mode (theme.presentation_fonts' ticks and names)."""
LEGEND_ROW_PX = 34
"""Height of one row of a horizontal legend at the presentation font size."""


def readable() -> None:
    """Style every page so that tile labels and values are never cut."""
    st.html(READABLE_CSS)


def presenting() -> bool:
    """Whether presentation mode is on (the sidebar toggle, or ?present=1 in the URL)."""
    return bool(state.value("present", False, state.BOOL))


def toggle(container) -> None:
    """The sidebar switch that turns presentation mode on."""
    state.widget(
        container.toggle,
        "Presentation mode",
        "present",
        False,
        state.BOOL,
        help="Hide the sidebar and editing controls, enlarge the type, draw charts full width. Also ?present=1 in the URL.",
    )


def apply(current_label: str) -> None:
    """Style the page for a projector and draw a slim bar with the pages and a way back out."""
    st.html(PRESENT_CSS)
    params = {**state.shared_params(nav.SHARED_PARAMS), "present": "1"}
    pages = [p for p in nav.PAGES if p.group != "Data"]
    # widths follow the labels, so the longest ("Behaviours") is not cut at 1280 px with every page listed
    widths = [len(page.label) + 3 for page in pages] + [len("Exit presentation") + 3]
    columns = st.columns(widths, vertical_alignment="center", gap="small")
    for column, page in zip(columns, pages, strict=False):
        column.page_link(page.path, label=page.label, icon=page.icon, query_params=params, disabled=page.label == current_label)
    columns[-1].button(
        "Exit presentation",
        icon=":material/close_fullscreen:",
        on_click=state.set_value,
        args=("present", False),
        key="exit_presentation",
    )


def enlarged(fig: go.Figure) -> go.Figure:
    """A copy of fig with projector-sized type; a legend set below the plot moves to the bottom edge of the figure.

    A legend placed below the plot in plot-height units runs into the x-axis title once the type is larger, so it is
    anchored to the bottom of the whole figure instead, with room made for it in the bottom margin.
    """
    size = CHART_FONT_SIZE
    fig = theme.presentation_fonts(go.Figure(fig), size)
    legend = fig.layout.legend
    below = legend.y is not None and legend.y < 0 and legend.yref in (None, "paper")
    if below:
        fig.update_layout(legend={"yref": "container", "y": 0, "yanchor": "bottom"})
    if (made := room.changes(fig.to_plotly_json())) is not None:  # the larger labels' room, so plotly lays it out once
        fig.update_layout(made)
    if below:  # the legend's row under the x axis' labels and title
        fig.update_layout(margin_b=(fig.layout.margin.b or 50) + LEGEND_ROW_PX, height=(fig.layout.height or 420) + LEGEND_ROW_PX)
    return fig
