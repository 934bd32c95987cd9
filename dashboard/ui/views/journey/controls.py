"""The Journey page's opening: whether there are touchpoints, what the missing columns leave out, and the repeat
window and SLA (days) every section reads."""

from __future__ import annotations

from dataclasses import replace

import streamlit as st

from dashboard import staged
from dashboard.access import Action
from dashboard.metrics.journey import lanes as journey
from dashboard.metrics.journey.lanes import JourneySpec
from dashboard.metrics.journey.prepare import MAX_WINDOW_DAYS
from dashboard.ui import auth, cache, settings, state
from dashboard.ui.frame import PageContext
from dashboard.ui.sections import action, guarded

SLA_KEY = "journey.sla_days"
SAVED_DAYS = {SLA_KEY: (journey.DEFAULT_SLA_DAYS, "complaint SLA")}
"""Per saved window: its default (days) and what it is called in a notice."""
TABS = ("Journey map", "Service", "Stage by channel", "Paths")
"""The page's tabs below the hotspots, in the order a room walks them; the open one is kept in the URL as j_tab."""
TAB_KEY = "j_tab"
NEEDED = (
    "**customer_id**, **ts** and **channel** (required), and for the full picture **stage** (journey stage), "
    "**reason**, **initiated_by**, **resolved**, **resolved_ts**, **satisfaction**, **effort** and **cost**"
)


def between(low: int, high: int):
    """A validator keeping a whole number from low to high (ValueError otherwise)."""

    def check(value: int) -> int:
        if not low <= int(value) <= high:
            raise ValueError(value)
        return int(value)

    return check


def has_churn(ctx: PageContext) -> bool:
    """Whether the dataset tells who left (its staged profile), so a churn figure may be shown."""
    return ctx.metric(staged.load_profile, None).tells_defection


@guarded("Touchpoint check")
def has_touchpoints(ctx: PageContext) -> bool:
    """Whether the dataset has touchpoints; when not, say what to upload and which columns matter."""
    if ctx.version is not None and ctx.version.has("interactions"):
        return True
    st.info(
        "**This dataset has no touchpoints**, so there is no journey to draw. Upload an interactions file "
        f"(one row per touchpoint) with {NEEDED}.",
        icon=":material/route:",
    )
    return False


@guarded("Missing-columns notice")
def missing_notice(ctx: PageContext) -> None:
    """Name the lanes and measures the dataset's missing optional columns leave out."""
    missing = journey.missing_columns(ctx.version)
    if missing:
        items = "\n".join(f"- no `{column}`: {what}" for what, column in missing)
        st.warning(f"Shown without what these missing interactions columns would add:\n{items}", icon=":material/info:")


def saved_days(ctx: PageContext, key: str) -> int:
    """The dataset's saved SLA in days (key SLA_KEY); the default when none is saved or the saved one cannot be read."""
    default, what = SAVED_DAYS[key]
    return settings.stored_int(ctx.store, ctx.dataset, key, default, 1, MAX_WINDOW_DAYS, what)


def _days_widget(label: str, name: str, saved: int, help_text: str, column) -> int:
    with column:
        value = state.widget(
            st.number_input,
            label,
            name,
            saved,
            state.INT,
            valid=between(1, MAX_WINDOW_DAYS),
            min_value=1,
            max_value=MAX_WINDOW_DAYS,
            step=1,
            help=help_text,
        )
    return int(value)


def saved_repeat_days(ctx: PageContext) -> int:
    """The dataset's repeat window: its staged repeat definition (the default before a dataset has one)."""
    definitions = staged.current(ctx.store, ctx.dataset)
    return definitions.fcr_days if definitions is not None else journey.DEFAULT_REPEAT_DAYS


@guarded("Journey tabs", stop=True)
def page_tabs() -> dict[str, object]:
    """The page's tabs by label; only the open one runs its queries and draws its charts, so a filter change costs
    the journey map's work, not every section's."""
    return dict(zip(TABS, state.tabs(list(TABS), TAB_KEY), strict=True))


@guarded("Journey controls")
def controls(ctx: PageContext) -> JourneySpec:
    """The repeat window and SLA (days), kept in the URL, with a button saving them as the dataset's defaults: the
    repeat window is the dataset's staged repeat definition, so saving it re-stages the dataset."""
    left, middle, right = st.columns([1, 1, 2], vertical_alignment="bottom")
    saved = (saved_repeat_days(ctx), saved_days(ctx, SLA_KEY))
    repeat_days = _days_widget(
        "Repeat window (days)",
        "j_repeat",
        saved[0],
        "A contact is repeated when the same customer contacts again with the same reason within this many days. "
        "Drives first-contact resolution, repeat contacts, channel switching and the pain points.",
        left,
    )
    sla_days = _days_widget(
        "Complaint SLA (days)",
        "j_sla",
        saved[1],
        "A complaint is inside the SLA when it is resolved within this many days of being made.",
        middle,
    )
    changed = not ctx.presenting and auth.can(Action.EDIT) and (repeat_days, sla_days) != saved
    if changed:
        right.button(
            "Save as this dataset's defaults",
            icon=":material/save:",
            key="j_save_defaults",
            on_click=_save_windows,
            args=(ctx, repeat_days, sla_days),
        )
    return JourneySpec(ctx.filters, repeat_days, sla_days)


@action("Save the windows")
def _save_windows(ctx: PageContext, repeat_days: int, sla_days: int) -> None:
    """The Save button's callback: the SLA as the dataset's setting and, when it changed, the repeat window as its
    staged repeat definition (which re-stages the dataset)."""
    if not settings.save_setting(ctx.store, ctx.dataset, SLA_KEY, sla_days):
        return
    definitions = staged.current(ctx.store, ctx.dataset)
    if definitions is not None and repeat_days != definitions.fcr_days:
        with st.spinner("Re-staging the dataset with the new repeat window…"):
            staged.restage(ctx.store, ctx.dataset, replace(definitions, fcr_days=repeat_days))
        cache.clear_caches()
    st.toast("Saved: everyone opening this dataset starts from these windows.")
