"""The context line every page shows under its title (dataset, version, filters, months, comparison), kept for exports."""

from __future__ import annotations

import streamlit as st

from dashboard.context import ViewContext
from dashboard.escape import markdown_text
from dashboard.metrics import compare, overview
from dashboard.metrics.scope import Filters
from dashboard.store import Version
from dashboard.ui import data, state

_KEY = "_view_context"


def comparison(version: Version, filters: Filters) -> compare.Comparison:
    """The sidebar's "Compare with" choice (kept in the URL as vs) turned into the earlier period for filters."""
    mode = state.choice(
        st.sidebar.selectbox,
        "Compare with",
        "vs",
        list(compare.MODES),
        compare.DEFAULT_MODE,
        format_func=compare.MODES.get,
        help="Headline figures show their change against this period, computed with the same definitions.",
    )
    span = data.run_metric(overview.month_span, version).iloc[0]
    return compare.earlier_period(filters, span["first_month"], span["last_month"], mode)


def show(view: ViewContext) -> None:
    """Draw the context line (uploaded names escaped) and keep it for the page's exports."""
    st.session_state[_KEY] = view
    st.caption(":material/filter_list: " + markdown_text(view.line()))


def forget() -> None:
    """No context for this run (a page without a dataset): exports fall back to plain names."""
    st.session_state.pop(_KEY, None)


def current() -> ViewContext | None:
    """The context of the page being drawn, or None when it has no dataset."""
    return st.session_state.get(_KEY)


def file_name(stem: str) -> str:
    """stem with dataset, version and filter digest added when the page has a context."""
    view = current()
    return view.file_name(stem) if view is not None else stem
