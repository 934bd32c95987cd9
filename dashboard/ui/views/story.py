"""The workshop Story: seven steps that each draw the live sections of another page, with notes kept per dataset.

A facilitator walks the room through where we stand, the journey's pain points, the perfect behaviours, the what-if,
defection, what drives it and the decisions. One step is drawn at a time (so the sections' widget keys never meet); the step lives
in the URL as s_step, and the controls a step reuses keep their own pages' URL names (j_, w_, d_).
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from dashboard import story
from dashboard.access import Action
from dashboard.escape import markdown_text
from dashboard.metrics import compare
from dashboard.metrics import overview as overview_metrics
from dashboard.metrics import whatif as whatif_metrics
from dashboard.metrics.behaviours import adoption as behaviour_metrics
from dashboard.metrics.defection.figures import kpis_from
from dashboard.metrics.journey import lanes as journey_metrics
from dashboard.metrics.journey.lanes import JourneySpec
from dashboard.metrics.journey.prepare import MAX_WINDOW_DAYS
from dashboard.ui import auth, nav, report, state, widgets
from dashboard.ui.frame import PageContext
from dashboard.ui.sections import action, guarded, section
from dashboard.ui.views import behaviours, defection, drivers, overview, whatif
from dashboard.ui.views.defection import definition as defection_controls
from dashboard.ui.views.journey import controls as journey_controls
from dashboard.ui.views.journey import stages as journey_stages

STEP_NAME = "s_step"
"""URL name of the step shown (1 to 7)."""
INTRO = (
    "Seven steps for a workshop: where we stand, journey pain points, perfect behaviours, what-if, defection, what "
    "drives it, decisions. "
    "Each step shows the live figures for the dataset and filters in the sidebar; the notes under each step are saved "
    "with the dataset and go into the HTML report."
)
# -- navigation ---------------------------------------------------------------------------------------------------


def step_picker(ctx: PageContext) -> int:
    """The step indicator and picker (one button per step), kept in the URL as s_step; returns the step number."""
    numbers = list(range(1, story.STEP_COUNT + 1))
    return int(
        state.widget(
            st.segmented_control,
            "Step",
            STEP_NAME,
            1,
            state.INT,
            valid=story.step_number,
            value_arg="default",
            options=numbers,
            format_func=lambda n: f"{n} · {story.step_at(n).title}",
            selection_mode="single",
            required=True,
            label_visibility="collapsed",
            width="stretch",
        )
    )


def _previous(number: int, where: str, container) -> None:
    container.button(
        "Previous",
        key=f"s_prev_{where}",
        icon=":material/arrow_back:",
        on_click=state.set_value,
        args=(STEP_NAME, number - 1),
        disabled=number <= 1,
        width="stretch",
    )


def _next(number: int, where: str, container) -> None:
    following = story.step_at(number + 1).title if number < story.STEP_COUNT else ""
    container.button(
        f"Next: {following}" if following else "Next",
        key=f"s_next_{where}",
        icon=":material/arrow_forward:",
        icon_position="right",
        type="primary",
        on_click=state.set_value,
        args=(STEP_NAME, number + 1),
        disabled=number >= story.STEP_COUNT,
        width="stretch",
    )


def render_header(ctx: PageContext, number: int) -> None:
    """The step indicator and title beside Previous and Next, what to say, and the way to the page behind the step."""
    step = story.step_at(number)
    title_col, previous_col, next_col = st.columns([5, 1.4, 2.2], vertical_alignment="bottom")
    with title_col:
        if not ctx.presenting:  # on a projector the highlighted picker says it, and the room sees the chart sooner
            st.caption(story.indicator(number))
        st.header(step.title, anchor=False)
    _previous(number, "top", previous_col)
    _next(number, "top", next_col)
    st.markdown(f"**{step.lead}**" if ctx.presenting else f":material/record_voice_over: {step.lead}")
    if (page_report := report.current()) is not None:
        page_report.heading(story.indicator(number))
        page_report.text(step.lead, "What to say")
    if not ctx.presenting and step.key != "decisions":
        target = nav.page_for(step.page)
        st.page_link(
            target.path,
            label=f"The full {target.label} page",
            icon=target.icon,
            query_params=state.shared_params(nav.SHARED_PARAMS),
            help=target.purpose,
        )


def render_footer(number: int) -> None:
    """Previous and Next again under the step, with the indicator between them."""
    previous_col, middle, next_col = st.columns([1.4, 5, 2.2], vertical_alignment="center")
    _previous(number, "bottom", previous_col)
    middle.caption(story.indicator(number), text_alignment="center")
    _next(number, "bottom", next_col)


# -- notes --------------------------------------------------------------------------------------------------------


def _note_widget_key(ctx: PageContext, step_key: str) -> str:
    return f"s_note:{ctx.dataset}:{step_key}"


@action("Save the note")
def _save_note(ctx: PageContext, step_key: str) -> None:
    """on_change of a notes box: write what it holds to the dataset's settings."""
    if not auth.require(Action.EDIT):
        return
    story.save_note(ctx.store, ctx.dataset, step_key, st.session_state.get(_note_widget_key(ctx, step_key), ""))


def show_note(label: str, note: str) -> None:
    """A saved note, read-only, as plain text (never Markdown or HTML)."""
    with st.container(border=True):
        st.markdown(f"**{markdown_text(label)}**")
        st.text(note, width="stretch")


def render_notes(ctx: PageContext, step: story.Step) -> str:
    """The step's notes box, saved with the dataset when it changes; read-only in presentation mode. Returns the note."""
    note = story.load_note(ctx.store, ctx.dataset, step.key)
    if note and (page_report := report.current()) is not None:
        page_report.text(note, step.notes_label)
    if ctx.presenting or not auth.can(Action.EDIT):
        if step.key == "decisions":
            decisions = story.decision_lines(note)
            text = "\n".join(f"{i}. {line}" for i, line in enumerate(decisions, start=1))
            if text:
                show_note(step.notes_label, text)
            else:
                st.caption("No decisions written yet.")
        elif note:
            show_note(step.notes_label, note)
        return note
    st.text_area(
        step.notes_label,
        value=note,
        key=_note_widget_key(ctx, step.key),
        max_chars=story.MAX_NOTE_CHARS,
        height=140,
        placeholder=step.notes_hint,
        on_change=_save_note,
        args=(ctx, step.key),
        help=f"Saved with the dataset “{markdown_text(ctx.dataset)}” as soon as you click outside the box (or press Ctrl+Enter); "
        "everyone who opens the dataset sees it, presentation mode shows it read-only, and it goes into the HTML report.",
    )
    return note


# -- the steps ----------------------------------------------------------------------------------------------------


def _between(low: int, high: int):
    def check(value: Any) -> int:
        number = int(value)
        if not low <= number <= high:
            raise ValueError(value)
        return number

    return check


def journey_spec(ctx: PageContext) -> JourneySpec:
    """The Journey page's repeat window and SLA as the state holds them (URL j_repeat, j_sla; else the dataset's)."""
    repeat_saved = journey_controls.saved_repeat_days(ctx)
    sla_saved = journey_controls.saved_days(ctx, journey_controls.SLA_KEY)
    repeat = state.value("j_repeat", repeat_saved, state.INT, _between(1, MAX_WINDOW_DAYS))
    sla = state.value("j_sla", sla_saved, state.INT, _between(1, MAX_WINDOW_DAYS))
    return JourneySpec(ctx.filters, int(repeat), int(sla))


def step_where_we_stand(ctx: PageContext) -> None:
    """Step 1: the Overview's KPI tiles and monthly trend."""
    overview.render_kpis(ctx)
    overview.render_trend(ctx, key="s_trend")


def step_journey(ctx: PageContext) -> None:
    """Step 2: the Journey's four hotspots and the journey map (the repeat window and SLA editable unless presenting)."""
    if not journey_controls.has_touchpoints(ctx):
        return
    if ctx.presenting:
        spec = journey_spec(ctx)
    else:
        journey_controls.missing_notice(ctx)
        spec = journey_controls.controls(ctx)
    journey_stages.render_hotspots(ctx, spec)
    journey_stages.render_journey_map(ctx, spec)


def step_behaviours(ctx: PageContext) -> None:
    """Step 3: adoption against best-in-class with the money in the gap, and customers by number of behaviours."""
    data = behaviours.behaviour_data(ctx)
    behaviours.render_adoption(ctx, data)
    behaviours.render_count_groups(ctx, data)


def step_whatif(ctx: PageContext) -> None:
    """Step 4: the What-if's money figure, presets and sliders, waterfall and projection (the same URL names as there)."""
    whatif.render_whatif(ctx, behaviours.behaviour_data(ctx))


SAVED_DEFINITION_NOTE = (
    "By the dataset's saved definition and valuation, the ones What-if and the Decisions step use, so the lifetime "
    "value and revenue at risk are the same figures on every step."
)
UNSAVED_NOTE = "The Defection page has unsaved changes: they show there only, until someone saves them."


def step_defection(ctx: PageContext) -> None:
    """Step 5: defection's headline (definition, story, KPI tiles) and what it costs, by the saved definition only."""
    view = defection_controls.saved_view(ctx)
    if not ctx.presenting:
        st.caption(SAVED_DEFINITION_NOTE + (" " + UNSAVED_NOTE if defection_controls.unsaved(ctx) else ""))
    defection.render_headline(ctx, view)
    defection.render_what_it_costs(ctx, view, editable=False)


def step_drivers(ctx: PageContext) -> None:
    """Step 6: the Drivers' outcome picker, importance against performance with the table, and what fixing it is worth."""
    view = drivers.controls(ctx)
    drivers.render_effects(ctx, view)
    drivers.render_worth(ctx, view)


def whatif_saving(ctx: PageContext, data: behaviours.BehaviourData) -> float | None:
    """The annual saving at the What-if sliders as the state holds them, read as the What-if page reads them."""
    levers = whatif_metrics.levers(data.adoption, data.churn)
    if not levers:
        return None
    base, targets, savings = whatif.inputs_from_state(levers, data.base)
    return whatif_metrics.total_saving(whatif_metrics.breakdown(levers, base, targets, savings))


def decision_figures(ctx: PageContext) -> tuple[pd.DataFrame, dict[str, compare.Change]]:
    """The headline figures of steps 1 to 5 for the current dataset, filters and controls (see story.summary_figures),
    and their change against the comparison period where their own page shows one (the Overview tiles and the savings
    potential; the journey's worst stage, the sliders' saving and the at-risk figures, as of the last day, have none)."""
    overview_kpis = ctx.metric(overview_metrics.kpis)
    hotspots = None
    if ctx.version.has("interactions"):
        spec = journey_spec(ctx)
        hotspots = journey_metrics.hotspots(ctx.metric(journey_metrics.stage_lanes, spec), spec.min_base)
    data = behaviours.behaviour_data(ctx)
    headline = behaviour_metrics.headline(data.adoption, data.base)
    potential = headline.set_index("key").loc["savings_potential", "value"]
    view = defection_controls.saved_view(ctx)  # the saved definition, as steps 4 and 5 use it
    figures = story.summary_figures(
        overview_kpis,
        hotspots,
        None if potential is None or pd.isna(potential) else float(potential),
        whatif_saving(ctx, data),
        kpis_from(view.summary, view.spec, tells_defection=view.tells_defection),
    )
    changes = ctx.changes(overview_metrics.kpis, overview_kpis, lower_is_better=compare.OVERVIEW_LOWER_IS_BETTER)
    savings = behaviours.headline_changes(ctx, data, headline).get("savings_potential")
    if savings is not None:
        changes["savings_potential"] = savings
    return figures, {key: change for key, change in changes.items() if key in set(figures["key"])}


def figure_tiles(
    ctx: PageContext, figures: pd.DataFrame, changes: dict[str, compare.Change] | None = None, per_row: int = 3
) -> None:
    """The figures as tiles, each with its definition under the ? and its change against the comparison period where
    changes has one (as the pages show it), grouped as the steps they come from; also reported."""
    nf = ctx.number_format
    changes = changes or {}
    shown = []
    rows = [figures.iloc[i : i + per_row] for i in range(0, len(figures), per_row)]
    for chunk in rows:
        for column, (_, figure) in zip(st.columns(per_row), chunk.iterrows(), strict=False):
            value = "—" if figure["value"] is None or pd.isna(figure["value"]) else nf.value(figure["value"], figure["kind"])
            help_text = figure["definition"]
            if not figure["available"]:
                help_text += " Not available for this dataset or these filters."
            detail = figure["detail"]
            label = figure["label"] + (f": {markdown_text(detail)}" if detail else "")
            change = changes.get(figure["key"])
            column.metric(label, value, help=help_text, border=True, **widgets.delta(change))
            shown.append((figure["label"] + (f": {detail}" if detail else ""), value, widgets.with_change(help_text, change)))
    if ctx.comparison.why_not:
        st.caption(ctx.comparison.why_not)
    if (page_report := report.current()) is not None:
        page_report.kpis(shown)
        if ctx.comparison.why_not:
            page_report.text(ctx.comparison.why_not)


def step_decisions(ctx: PageContext) -> None:
    """Step 7: the figures the story showed, every step's notes, and the decisions (the notes of this step)."""
    st.subheader("The figures we saw", anchor=False)
    figure_tiles(ctx, *decision_figures(ctx))
    st.caption(
        "Computed now for the filters in force and the controls as the steps left them (the What-if sliders, the "
        "Journey windows); defection by the dataset's saved definition, as in steps 4 and 5."
    )
    st.subheader("What the room noted", anchor=False)
    notes = story.load_notes(ctx.store, ctx.dataset)
    written = [(s, notes[s.key]) for s in story.STEPS if s.key != "decisions" and notes[s.key]]
    if not written:
        st.caption("No notes yet: type them in the box under each step.")
    for column, (step, note) in zip(st.columns(2) * len(written), written, strict=False):
        number = story.STEPS.index(step) + 1
        with column:
            show_note(f"{number} · {step.title}", note)
        if (page_report := report.current()) is not None:
            page_report.text(note, f"Notes: {number} · {step.title}")


STEP_RENDERERS = {
    "where_we_stand": step_where_we_stand,
    "journey": step_journey,
    "behaviours": step_behaviours,
    "whatif": step_whatif,
    "defection": step_defection,
    "drivers": step_drivers,
    "decisions": step_decisions,
}


@guarded("Story")
def render(ctx: PageContext) -> int:
    """The whole story page: picker, header, the step's live sections, its notes, Previous and Next. Returns the step."""
    if not ctx.presenting:
        st.caption(INTRO)
    number = step_picker(ctx)
    render_header(ctx, number)
    step = story.step_at(number)
    with section(step.title):
        STEP_RENDERERS[step.key](ctx)
    st.divider()
    with section("Notes"):
        render_notes(ctx, step)
    render_footer(number)
    return number
