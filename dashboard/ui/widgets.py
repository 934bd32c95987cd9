"""Reusable pieces of page layout: KPI tiles and charts."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from dashboard import export
from dashboard.formatting import NumberFormat


def kpi_tiles(kpis: pd.DataFrame, number_format: NumberFormat, per_row: int = 4) -> None:
    """One st.metric tile per KPI row (label, value written by kind, definition as help)."""
    rows = [kpis.iloc[i : i + per_row] for i in range(0, len(kpis), per_row)]
    for chunk in rows:
        for column, (_, kpi) in zip(st.columns(per_row), chunk.iterrows(), strict=False):
            value = number_format.value(kpi["value"], kpi["kind"]) if pd.notna(kpi["value"]) else "—"
            help_text = kpi["definition"]
            if not kpi["available"]:
                help_text += " Not in this dataset: its files do not provide the columns this needs."
            column.metric(kpi["label"], value, help=help_text, border=True)


def chart(fig: go.Figure, key: str | None = None) -> None:
    """A plotly figure at full width, with the mode bar's PNG export named after the chart."""
    st.plotly_chart(fig, width="stretch", key=key, config={"displaylogo": False})


def download_buttons(
    frame: pd.DataFrame | Callable[[], pd.DataFrame],
    filename: str,
    *,
    key: str,
    label: str = "Download",
    deferred: bool = False,
) -> None:
    """CSV and Excel download buttons for frame, both formula-safe (text cells cannot run as formulas).

    deferred: build the table (frame may then be a function returning it) and write the files only when a button
    is clicked, so a page that reruns often (sliders) does not build an Excel file on every run.
    """
    table = frame if callable(frame) else (lambda: frame)
    csv = (lambda: export.csv_bytes(table())) if deferred else export.csv_bytes(table())
    xlsx = (lambda: export.excel_bytes({filename: table()})) if deferred else export.excel_bytes({filename: table()})
    left, right = st.columns(2)
    left.download_button(
        f"{label} CSV",
        csv,
        file_name=f"{filename}.csv",
        mime="text/csv",
        key=f"{key}_csv",
        icon=":material/download:",
    )
    right.download_button(
        f"{label} Excel",
        xlsx,
        file_name=f"{filename}.xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        key=f"{key}_xlsx",
        icon=":material/table_view:",
    )
