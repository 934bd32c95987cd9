"""The Stage rules tab as one fragment (a save reruns only the tab, which reads the saved model again): where stages
come from, stage names and order, and the rules."""

from __future__ import annotations

from dataclasses import asdict, replace

import streamlit as st

from dashboard.access import Action
from dashboard.escape import markdown_text
from dashboard.metrics.funnel import stages
from dashboard.metrics.funnel.stages import DEFAULT_NAMES, LADDER, OFF_RAMPS, ROLES, StageModel, StageRules
from dashboard.ui import auth, cache, report, state
from dashboard.ui.frame import PageContext
from dashboard.ui.sections import action, guarded
from dashboard.ui.views.funnel.common import can_edit, flash, stage_model
from dashboard.ui.views.funnel.stages_tab import render_rules_in_words

JOINS = ["or", "and"]


@state.fragment
@guarded("Stage rules tab")
def render_rules_tab(ctx: PageContext) -> None:
    """The editor as one fragment (the last part of the page); it reads the saved model itself, so what a save
    changed shows at once without the rest of the page running."""
    report.fragment_part("funnel_rules")
    render_model_editor(ctx, stage_model(ctx))


@guarded("Stage rules editor")
def render_model_editor(ctx: PageContext, model: StageModel) -> None:
    """Edit, for this dataset: where stages come from, stage names and order, and the rules."""
    if not can_edit(ctx):
        return
    flash("f_model_msg")
    render_rules_in_words(ctx, model, expanded=True)
    _names_form(ctx, model)
    with st.form("f_rules_form"):
        st.markdown("**Rules**")
        st.caption("A threshold of 0 switches that part of a rule off (not the days without a purchase: every page uses them).")
        left, mid, right = st.columns(3)
        with left:
            _ladder_rules(model)
        with mid:
            _advocate_and_at_risk_rules(model)
        with right:
            _defected_rules(model)
        st.form_submit_button("Save rules", on_click=_save_rules, args=(ctx, model), icon=":material/save:")
    st.button(
        "Restore the default stages and rules",
        on_click=_reset_model,
        args=(ctx,),
        key="f_reset_model",
        icon=":material/restart_alt:",
    )


def _names_form(ctx: PageContext, model: StageModel) -> None:
    """The form of stage names, their order and (with a stage column) where stages come from."""
    with st.form("f_names_form"):
        st.markdown("**Stage names and order**")
        st.caption(
            "Rename any stage. Prospect stays first and the off-ramps (at risk, defected) last; the four stages between "
            "can be put in any order. With a stage column, a label in the data matches the stage of the same name."
        )
        if ctx.version.has("customers", "stage"):
            sources = list(stages.SOURCES)
            st.radio(
                "Stages come from",
                sources,
                index=sources.index(model.source),
                format_func=lambda s: stages.SOURCES[s],
                key="f_set_source",
            )
        cols = st.columns(len(ROLES))
        for col, role in zip(cols, ROLES, strict=True):
            col.text_input(f"{DEFAULT_NAMES[role]}", value=model.name(role), max_chars=stages.MAX_NAME, key=f"f_set_name_{role}")
        middle = [r for r in model.ladder if r != "prospect"]
        cols = st.columns(len(middle))
        for i, (col, role) in enumerate(zip(cols, middle, strict=True)):
            col.selectbox(
                f"Stage {i + 2}",
                list(LADDER[1:]),
                index=list(LADDER[1:]).index(role),
                format_func=lambda r: DEFAULT_NAMES[r],
                key=f"f_set_order_{i}",
            )
        st.form_submit_button("Save names and order", on_click=_save_names, args=(ctx, model), icon=":material/save:")


def _ladder_rules(model: StageModel) -> None:
    """The repeat and loyal rules' inputs."""
    rules = model.rules
    st.markdown(f"**{markdown_text(model.name('repeat'))}**")
    st.number_input("Purchases, at least", 0, 1000, rules.repeat_purchases, key="f_set_repeat_purchases")
    st.radio("Join", ["or", "and"], index=JOINS.index(rules.repeat_join), horizontal=True, key="f_set_repeat_join")
    st.number_input("A customer for at least (days)", 0, 36_500, rules.repeat_tenure_days, key="f_set_repeat_tenure_days")
    st.markdown(f"**{markdown_text(model.name('loyal'))}**")
    st.number_input("Purchases, at least", 0, 1000, rules.loyal_purchases, key="f_set_loyal_purchases")
    st.radio("Join", JOINS, index=JOINS.index(rules.loyal_join), horizontal=True, key="f_set_loyal_join")
    st.number_input("A customer for at least (days)", 0, 36_500, rules.loyal_tenure_days, key="f_set_loyal_tenure_days")


def _advocate_and_at_risk_rules(model: StageModel) -> None:
    """The advocate and at-risk rules' inputs."""
    rules = model.rules
    st.markdown(f"**{markdown_text(model.name('advocate'))}**")
    st.number_input("Customers referred, at least", 0, 10_000, rules.advocate_referrals, key="f_set_advocate_referrals")
    bases = ["first_purchase", "repeat", "loyal"]
    st.selectbox(
        "And meets the rule of",
        bases,
        index=bases.index(rules.advocate_from),
        format_func=model.name,
        key="f_set_advocate_from",
    )
    st.markdown(f"**{markdown_text(model.name('at_risk'))}**")
    st.number_input(
        "No purchase for more than (days)",
        stages.MIN_GAP_DAYS,
        3650,
        rules.at_risk_days,
        key="f_set_at_risk_days",
        help=f"{stages.MIN_GAP_DAYS} to 3,650 days, shorter than the defected days; the same window on every page.",
    )
    st.number_input("Or complaints, at least", 0, 1000, rules.at_risk_complaints, key="f_set_at_risk_complaints")
    st.number_input("Within (days)", 1, 3650, rules.at_risk_complaint_days, key="f_set_at_risk_complaint_days")


def _defected_rules(model: StageModel) -> None:
    """The defected rule's inputs."""
    rules = model.rules
    st.markdown(f"**{markdown_text(model.name('defected'))}**")
    st.checkbox("A churn flag or churn date", value=rules.defected_on_churn, key="f_set_defected_on_churn")
    st.number_input(
        "Or no purchase for more than (days)",
        stages.MIN_GAP_DAYS,
        3650,
        rules.defected_days,
        key="f_set_defected_days",
        help=f"{stages.MIN_GAP_DAYS} to 3,650 days, longer than the at-risk days; the same window on every page.",
    )


@action("Save the stage names")
def _save_names(ctx: PageContext, model: StageModel) -> None:
    names = {role: str(st.session_state[f"f_set_name_{role}"]).strip() for role in ROLES}
    middle = [st.session_state[f"f_set_order_{i}"] for i in range(4)]
    order = ["prospect", *middle, *OFF_RAMPS]
    source = st.session_state.get("f_set_source", model.source)
    candidate = replace(model, stages=tuple((role, names[role]) for role in order), source=source)
    _save_model(ctx, candidate, "Stage names and order saved.")


@action("Save the stage rules")
def _save_rules(ctx: PageContext, model: StageModel) -> None:
    values = {}
    for field in StageRules.__dataclass_fields__:
        value = st.session_state.get(f"f_set_{field}")
        if value is None:
            continue
        values[field] = value if isinstance(value, bool | str) else int(value)
    try:
        rules = StageRules(**{**asdict(model.rules), **values}).validate()
    except ValueError as exc:
        st.session_state["f_model_msg"] = ("error", f"Not saved: {exc}.")
        return
    _save_model(ctx, replace(model, rules=rules), "Rules saved; every figure now uses them.")


def _save_model(ctx: PageContext, candidate: StageModel, message: str) -> None:
    if not auth.require(Action.EDIT):
        return
    try:
        stages.save_model(ctx.store, ctx.dataset, candidate)
    except ValueError as exc:
        st.session_state["f_model_msg"] = ("error", f"Not saved: {exc}.")
        return
    cache.clear_caches()  # a changed window re-stages the dataset: cached figures are stale
    st.session_state["f_model_msg"] = ("success", message)
    _forget_editor()


@action("Reset the stage rules")
def _reset_model(ctx: PageContext) -> None:
    if not auth.require(Action.EDIT):
        return
    stages.reset_model(ctx.store, ctx.dataset)
    st.session_state["f_model_msg"] = ("success", "Default stages and rules restored.")
    _forget_editor()


def _forget_editor() -> None:
    """Drop the editor widgets' values so they show what was saved."""
    for key in [k for k in st.session_state if str(k).startswith(("f_set_name_", "f_set_order_", "f_set_source"))]:
        del st.session_state[key]
    for field in StageRules.__dataclass_fields__:
        st.session_state.pop(f"f_set_{field}", None)
