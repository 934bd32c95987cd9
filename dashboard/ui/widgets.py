"""Reusable pieces of page layout: KPI tiles and charts."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from dashboard import export
from dashboard.charts import theme
from dashboard.formatting import NumberFormat
from dashboard.metrics.compare import Change, Comparison
from dashboard.ui import context, present, report


def kpi_tiles(
    kpis: pd.DataFrame,
    number_format: NumberFormat,
    per_row: int = 4,
    changes: dict[str, Change] | None = None,
    comparison: Comparison | None = None,
) -> None:
    """One st.metric tile per KPI row (label, value written by kind, definition as help), with its change against the
    comparison period where changes has one (green when it goes the good way); also added to the report."""
    changes = changes or {}
    rows = [kpis.iloc[i : i + per_row] for i in range(0, len(kpis), per_row)]
    shown = []
    for chunk in rows:
        for column, (_, kpi) in zip(st.columns(per_row), chunk.iterrows(), strict=False):
            value = number_format.value(kpi["value"], kpi["kind"]) if pd.notna(kpi["value"]) else "—"
            help_text = kpi["definition"]
            if not kpi["available"]:
                help_text += " Not in this dataset: its files do not provide the columns this needs."
            change = changes.get(kpi.get("key"))
            column.metric(kpi["label"], value, help=help_text, border=True, **delta(change))
            shown.append((kpi["label"], value, with_change(help_text, change)))
    if comparison is not None and comparison.why_not:
        st.caption(comparison.why_not)
    if (page_report := report.current()) is not None:
        page_report.kpis(shown)
        if comparison is not None and comparison.why_not:
            page_report.text(comparison.why_not)


def delta(change: Change | None) -> dict[str, str]:
    """st.metric's delta arguments for change (its text, colour rule and "vs ..." description); none without one."""
    if change is None:
        return {}
    return {"delta": change.text, "delta_color": change.colour, "delta_description": change.description}


def with_change(definition: str, change: Change | None) -> str:
    """A tile's definition for the report, led by its change when it has one."""
    return definition if change is None else f"Change {change.description}: {change.text}. {definition}"


MISSING = "—"
"""What a table shows in a cell with no value (Streamlit's default prints the word None)."""


def table(data: object, **options) -> object:
    """st.dataframe with the app's defaults: no index column, and a dash where a value is missing."""
    options.setdefault("hide_index", True)
    options.setdefault("placeholder", MISSING)
    return st.dataframe(data, **options)


def chart(fig: go.Figure, key: str | None = None, **plotly_kwargs) -> object:
    """A plotly figure at full width (larger type in presentation mode) and a place in the report; its toolbar's camera
    saves it as a PNG in the browser, named like the page's other exports (no server-side renderer needed)."""
    if (page_report := report.current()) is not None:
        page_report.figure(fig)
    if present.presenting():
        fig = present.enlarged(fig)
    config = theme.toolbar(context.file_name(key or "chart"))
    return st.plotly_chart(fig, width="stretch", key=key, config=config, **plotly_kwargs)


EXCEL_MAX_ROWS = 1_048_575
"""Rows a worksheet holds below its header."""


def download_buttons(
    frame: pd.DataFrame | Callable[[], pd.DataFrame],
    filename: str,
    *,
    key: str,
    label: str = "Download",
    deferred: bool = False,
) -> None:
    """CSV and Excel download buttons for frame, both formula-safe (text cells cannot run as formulas).

    A DataFrame also goes into the HTML report. The files are built only when a button is clicked (Streamlit's
    deferred download), whatever frame is: building them on every rerun cost about 140 ms of each Journey rerun (two
    Excel files), so a filter change never pays for files nobody asked for. deferred is kept for the callers that
    said so. Excel stops at its sheet limit of 1,048,575 rows; the CSV holds every row.
    """
    del deferred  # every file is built on click now
    if not callable(frame) and (page_report := report.current()) is not None:
        page_report.table(frame, filename)
    if present.presenting():
        return  # in front of a room the buttons are clutter; the HTML report and normal mode still offer the data
    table = frame if callable(frame) else (lambda: frame)
    sheet = filename[:31]
    view = context.current()
    about = {} if view is None else {"Context": view.frame()}

    def csv_data() -> bytes:
        return export.csv_bytes(table())

    def excel_data() -> bytes:
        return export.excel_bytes({sheet: table().head(EXCEL_MAX_ROWS), **about})

    filename = context.file_name(filename)
    left, right = st.columns(2)
    left.download_button(
        f"{label} CSV",
        csv_data,
        file_name=f"{filename}.csv",
        mime="text/csv",
        key=f"{key}_csv",
        icon=":material/download:",
        on_click="ignore",
    )
    right.download_button(
        f"{label} Excel",
        excel_data,
        file_name=f"{filename}.xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        key=f"{key}_xlsx",
        icon=":material/table_view:",
        on_click="ignore",
        help="An Excel sheet holds at most 1,048,575 rows; the CSV holds every row.",
    )
