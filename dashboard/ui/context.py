"""The context line every page shows under its title (dataset, version, filters, months, comparison), kept for exports."""

from __future__ import annotations

from datetime import date

import streamlit as st

from dashboard.context import ViewContext
from dashboard.escape import markdown_text
from dashboard.metrics import compare, overview
from dashboard.metrics.scope import Filters, as_date
from dashboard.store import Version
from dashboard.ui import cache, state

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
    span = cache.run_metric(overview.month_span, version).iloc[0]
    picked = _picked_months(filters, span["first_month"], span["last_month"]) if mode == "pick" else None
    return compare.earlier_period(filters, span["first_month"], span["last_month"], mode, picked)


def _picked_months(filters: Filters, first_month: object, last_month: object) -> tuple[date, date] | None:
    """The months picked to compare with (a range slider kept in the URL as vs_months); None without dates."""
    first, last = as_date(first_month), as_date(last_month)
    if first is None or last is None or first.year < 1000 or last.year > 9998:
        return None
    months = [f"{m.year:04d}-{m.month:02d}" for m in overview.months_between(first, last)]
    if len(months) < 2:
        return None
    suggested = compare.earlier_period(filters, first, last, "previous").filters
    default = (months[0], months[0])
    if suggested is not None:
        default = tuple(f"{d.year:04d}-{d.month:02d}" for d in (suggested.month_from, suggested.month_to))

    def _valid(period: tuple[str, str]) -> tuple[str, str]:
        lo, hi = tuple(period)
        if lo not in months or hi not in months or lo > hi:
            raise ValueError(period)
        return (lo, hi)

    lo, hi = state.widget(
        st.sidebar.select_slider,
        "Months to compare with",
        "vs_months",
        default,
        state.RANGE,
        valid=_valid,
        options=months,
        format_func=lambda key: compare.short_period(*(_day(key),) * 2),
    )
    return _day(lo), _day(hi)


def _day(key: str) -> date:
    year, _, month = key.rpartition("-")
    return date(int(year), int(month), 1)


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
