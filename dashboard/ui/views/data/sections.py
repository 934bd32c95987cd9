"""Which section of the Data page is shown: Upload, Datasets or Templates (in the URL as d_view)."""

from __future__ import annotations

import streamlit as st

from dashboard.ui import auth, state
from dashboard.ui.frame import PageContext
from dashboard.ui.sections import guarded

SECTIONS = ("Upload", "Datasets", "Templates")


@guarded("Data sections", stop=True)
def section_picker(ctx: PageContext) -> str:
    """The section shown (kept in the URL as d_view), under one line saying who may do what here."""
    auth.notice()

    def _valid(value: str) -> str:
        if value not in SECTIONS:
            raise ValueError(value)
        return value

    return state.widget(
        st.segmented_control,
        "Section",
        "d_view",
        "Upload",
        state.TEXT,
        valid=_valid,
        value_arg="default",
        options=list(SECTIONS),
        required=True,
        label_visibility="collapsed",
    )
