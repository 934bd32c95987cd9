"""What the Funnel page's tabs share: the stage model, the tabs, stage pickers, drill-down tables and their downloads,
report lines and messages left by a callback."""

from __future__ import annotations

import re

import pandas as pd
import streamlit as st

from dashboard.access import Action
from dashboard.escape import markdown_text
from dashboard.metrics.funnel import stages
from dashboard.metrics.funnel.stages import NEW, StageModel
from dashboard.ui import auth, report, state, widgets
from dashboard.ui.frame import PageContext
from dashboard.ui.sections import guarded

TABS = ("Funnel", "Sales funnel", "Movement", "Economics", "Stage rules")


def tiles_to_report(rows: list[tuple[str, str, str]]) -> None:
    """Add tiles (label, value, definition) to the page's HTML report."""
    if (page_report := report.current()) is not None:
        page_report.kpis(rows)


def heading_to_report(text: str) -> None:
    """Add a heading to the page's HTML report."""
    if (page_report := report.current()) is not None:
        page_report.heading(text)


@guarded("Stage model")
def stage_model(ctx: PageContext) -> StageModel:
    """The dataset's saved stage model (names, order, rules, source), or the default."""
    return stages.load_model(ctx.store, ctx.dataset)


def can_edit(ctx: PageContext) -> bool:
    """Whether the editors are shown: not when presenting, and only to a user who may edit."""
    return not ctx.presenting and auth.can(Action.EDIT)


@guarded("Funnel tabs", stop=True)
def page_tabs(ctx: PageContext) -> dict[str, object]:
    """The page's tabs (the rules editor left out when presenting); only the open one runs its queries."""
    labels = [t for t in TABS if can_edit(ctx) or t != "Stage rules"]
    containers = state.tabs(labels, "f_tab")
    return dict(zip(labels, containers, strict=True))


def role_picker(label: str, name: str, roles: list[str], default: str, model: StageModel, **kwargs) -> str:
    """A selectbox of stages (by role) kept in the URL as name."""

    def _valid(value: str) -> str:
        if value not in roles:
            raise ValueError(value)
        return value

    def _label(role: str) -> str:
        return NEW if role == "new" else model.name(role)

    return state.widget(
        st.selectbox,
        label,
        name,
        default,
        state.TEXT,
        valid=_valid,
        value_arg="index",
        to_arg=roles.index,
        options=roles,
        format_func=_label,
        **kwargs,
    )


def customers_table(ctx: PageContext, frame: pd.DataFrame, fetch_all, filename: str, key: str) -> None:
    """A drill-down's rows on screen (dates as dates) and buttons that download every row (fetch_all(cur), run only
    when clicked)."""
    dates = {
        col: st.column_config.DateColumn(format="YYYY-MM-DD")
        for col in frame.columns
        if pd.api.types.is_datetime64_any_dtype(frame[col])
    }
    widgets.table(frame, width="stretch", height=300, column_config=dates)
    store = ctx.store

    def fetch() -> pd.DataFrame:
        with store.cursor() as cur:
            return fetch_all(cur)

    widgets.download_buttons(fetch, filename, key=key, label="Download all")


def slug(text: str) -> str:
    """text as a file-name part: lower case, runs of anything but letters and digits as one dash."""
    return re.sub(r"[^0-9a-z]+", "-", str(text).lower()).strip("-") or "stage"


def flash(key: str) -> None:
    """Show (once) a message left by a callback."""
    message = st.session_state.pop(key, None)
    if message:
        kind, text = message
        (st.error if kind == "error" else st.success)(markdown_text(text))
