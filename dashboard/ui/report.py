"""Collects what the current page draws into a Report, offered as one self-contained HTML download."""

from __future__ import annotations

import re
from datetime import datetime

import streamlit as st

from dashboard.report import Report
from dashboard.ui import context

_KEY = "_page_report"


def start(title: str, subtitle: str) -> Report:
    """A fresh report for this run of the page, with a sidebar button that downloads it as HTML."""
    report = Report(f"CX Lens · {title}", subtitle)
    st.session_state[_KEY] = report
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-") or "page"
    st.sidebar.download_button(
        "Download report (HTML)",
        data=report.to_html,
        file_name=f"{context.file_name(f'cxlens-{slug}')}-{datetime.now():%Y%m%d-%H%M}.html",
        mime="text/html",
        icon=":material/description:",
        help="This page as one HTML file: KPIs, interactive charts, tables, notes, dataset version and date. "
        "Opens in any browser, no network needed.",
        key="download_report",
        on_click="ignore",
    )
    return report


def current() -> Report | None:
    """The report of the page being drawn (None outside a page run)."""
    return st.session_state.get(_KEY)


def fragment_part(name: str) -> None:
    """Start fragment name's part of the page report: a rerun of the fragment alone replaces what its previous run
    added (a fragment must come last on its page), instead of adding it again. The parts of fragments inside it (which
    start later) start afresh when they are drawn again by this run."""
    page_report = current()
    if page_report is None:
        return
    marks = st.session_state.setdefault("_report_fragment_marks", {})
    mark = marks.get(name)
    if mark is not None and mark[0] is page_report:
        del page_report.sections[mark[1] :]
        for inner in [n for n, (report, start) in marks.items() if n != name and report is page_report and start >= mark[1]]:
            del marks[inner]
    else:
        marks[name] = (page_report, len(page_report.sections))
