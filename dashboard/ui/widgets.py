"""Reusable pieces of page layout: KPI tiles and charts."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from dashboard import export
from dashboard.charts import export as chart_export
from dashboard.formatting import NumberFormat
from dashboard.ui import present, report


def kpi_tiles(kpis: pd.DataFrame, number_format: NumberFormat, per_row: int = 4) -> None:
    """One st.metric tile per KPI row (label, value written by kind, definition as help); also added to the report."""
    rows = [kpis.iloc[i : i + per_row] for i in range(0, len(kpis), per_row)]
    shown = []
    for chunk in rows:
        for column, (_, kpi) in zip(st.columns(per_row), chunk.iterrows(), strict=False):
            value = number_format.value(kpi["value"], kpi["kind"]) if pd.notna(kpi["value"]) else "—"
            help_text = kpi["definition"]
            if not kpi["available"]:
                help_text += " Not in this dataset: its files do not provide the columns this needs."
            column.metric(kpi["label"], value, help=help_text, border=True)
            shown.append((kpi["label"], value, help_text))
    if (page_report := report.current()) is not None:
        page_report.kpis(shown)


MISSING = "—"
"""What a table shows in a cell with no value (Streamlit's default prints the word None)."""


def table(data: object, **options) -> object:
    """st.dataframe with the app's defaults: no index column, and a dash where a value is missing."""
    options.setdefault("hide_index", True)
    options.setdefault("placeholder", MISSING)
    return st.dataframe(data, **options)


def chart(fig: go.Figure, key: str | None = None, **plotly_kwargs) -> object:
    """A plotly figure at full width (larger type in presentation mode), a PNG download, and a place in the report."""
    if (page_report := report.current()) is not None:
        page_report.figure(fig)
    presenting = present.presenting()
    if presenting:
        fig = present.enlarged(fig)
    event = st.plotly_chart(fig, width="stretch", key=key, config={"displaylogo": False}, **plotly_kwargs)
    if key and not presenting:
        st.download_button(
            "PNG",
            data=lambda: chart_export.png_bytes(fig),
            file_name=f"{key}.png",
            mime="image/png",
            key=f"{key}__png",
            type="tertiary",
            icon=":material/image:",
            help="Download this chart as a PNG image (1600 px wide).",
            on_click="ignore",
        )
    return event


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

    def csv_data() -> bytes:
        return export.csv_bytes(table())

    def excel_data() -> bytes:
        return export.excel_bytes({sheet: table().head(EXCEL_MAX_ROWS)})

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
