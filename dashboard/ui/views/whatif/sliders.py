"""The What-if's money and sliders: every input read from the state first, so the money is drawn before any widget;
then presets, customer base, one slider, typed target and saving per behaviour, years and ramp-up, the figures and
retained revenue. A slider move reruns this fragment alone (not the page's frame, not the driver lever below)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import streamlit as st

from dashboard.escape import markdown_text
from dashboard.metrics import whatif
from dashboard.ui import report, state
from dashboard.ui.frame import PageContext
from dashboard.ui.sections import guarded
from dashboard.ui.views.behaviours import BehaviourData
from dashboard.ui.views.whatif import money, preview
from dashboard.ui.views.whatif.controls import (
    BASE,
    LIFETIME_VALUE,
    MAX_BASE,
    MAX_LIFETIME_VALUE,
    MAX_SAVING,
    RAMP,
    RETAINED,
    SLIDER_STEP,
    YEARS,
    WhatIf,
    apply_article,
    apply_preset,
    best_pct,
    forget_on_dataset_change,
    has_slider,
    inputs_from_state,
    saving_control,
    slider_floor,
    stored_or,
    target_control,
)
from dashboard.ui.views.whatif.lifetime import LifetimeValue, lifetime_value_default
from dashboard.ui.views.whatif.scenarios import render_scenarios

ROW = [3, 5, 2, 2, 2]
"""Widths of a behaviour's row: name, slider, the target typed, saving per customer, what it saves a year."""


@guarded("What-if")
def render_interactive(ctx: PageContext, data: BehaviourData) -> None:
    """The What-if's sliders, figures and scenarios; the lifetime value offered for retained revenue is worked out
    here, once per page run, not on every slider move (nothing in the What-if changes what it is worked out from)."""
    _interactive(ctx, data, lifetime_value_default(ctx) if RETAINED.read() else None)


@state.fragment
@guarded("What-if")
def _interactive(ctx: PageContext, data: BehaviourData, ltv_default: LifetimeValue | None) -> None:
    """The What-if's sliders, figures and scenarios as one fragment: a slider change reruns only this part of the
    page (not the sidebar, not the adoption figures, not the driver lever below)."""
    report.fragment_part("whatif")
    render_scenarios(ctx, render_whatif(ctx, data, ltv_default), data.catalogue.keys)


@dataclass(frozen=True)
class Inputs:
    """Every What-if input as the state holds it (the callbacks of the last change have run), read before any widget
    is drawn so the money reaches the screen first."""

    base: float
    base_overridden: bool
    targets: dict[str, float | None]
    savings: dict[str, float]
    years: int
    ramp: int
    include_retained: bool
    ltv_default: LifetimeValue | None
    stored_ltv: float | None

    @property
    def ltv(self) -> float | None:
        """The lifetime value retained revenue is priced at (None when retained revenue is not shown)."""
        if not self.include_retained or self.ltv_default is None:
            return None
        return stored_or(self.stored_ltv, self.ltv_default.value)


def _inputs(ctx: PageContext, items: tuple[whatif.Lever, ...], dataset_base: float, ltv_default: LifetimeValue | None) -> Inputs:
    """The inputs as the state holds them; the lifetime value is worked out (a few cached queries) only when retained
    revenue is shown and it was not handed in."""
    base, targets, savings = inputs_from_state(items, dataset_base)
    include_retained = bool(RETAINED.read())
    if not include_retained:
        ltv_default = None
    elif ltv_default is None:
        ltv_default = lifetime_value_default(ctx)
    return Inputs(
        base=base,
        base_overridden=BASE.read() is not None,
        targets=targets,
        savings=savings,
        years=int(YEARS.read()),
        ramp=int(RAMP.read()),
        include_retained=include_retained,
        ltv_default=ltv_default,
        stored_ltv=LIFETIME_VALUE.read() if include_retained else None,
    )


@guarded("What-if sliders and savings")
def render_whatif(ctx: PageContext, data: BehaviourData, ltv_default: LifetimeValue | None = None) -> WhatIf:
    """The money figure first (with the sum in words), then presets, customer base, one slider and saving per
    behaviour, years and ramp-up, the waterfall and projection, and retained revenue; returns the what-if.
    ltv_default is the lifetime value offered when already worked out (it is worked out here otherwise)."""
    items = whatif.levers(data.adoption, data.churn)
    forget_on_dataset_change(ctx, data.catalogue.keys)
    inputs = _inputs(ctx, items, data.base, ltv_default)
    frame = whatif.breakdown(items, inputs.base, inputs.targets, inputs.savings, inputs.ltv)
    proj = whatif.projection(frame, inputs.years, inputs.ramp)
    drawn_ahead = preview.data(items, inputs.base, inputs.targets, inputs.savings, inputs.years, inputs.ramp, ctx.number_format)
    money.headline(ctx, frame, inputs.base, proj, inputs.years, drawn_ahead)
    if not items:
        st.info("No behaviour has a current adoption yet: measure one in the data or enter an estimate on the Behaviours page.")
    with _presets(items):
        _base_input(ctx, data, inputs)
    _lever_rows(ctx, data, items, dict(zip(frame["key"], frame["annual_saving"], strict=True)))
    _horizon(ctx, inputs)
    money.figures(ctx, frame, proj, inputs.ramp)
    if inputs.include_retained and inputs.ltv_default is not None:
        money.retained(ctx, data, frame, inputs.ltv, inputs.ltv_default, stored_default=inputs.stored_ltv is None)
    return WhatIf(items, frame, _scenario(ctx, items, inputs), data.base)


def _scenario(ctx: PageContext, items: tuple[whatif.Lever, ...], inputs: Inputs) -> whatif.Scenario:
    """The sliders as a scenario (what Save and the download of these sliders hold)."""
    return whatif.Scenario(
        name="Current sliders",
        levers=tuple(replace(lever, saving=inputs.savings[lever.key]) for lever in items),
        base=float(inputs.base),
        targets=tuple((k, v) for k, v in inputs.targets.items() if v is not None),
        years=inputs.years,
        ramp_years=inputs.ramp,
        lifetime_value=inputs.ltv,
        include_retained=inputs.include_retained,
        base_overridden=inputs.base_overridden,
        context=f"{ctx.version.label}; {ctx.filters.describe()}",
    )


def _base_input(ctx: PageContext, data: BehaviourData, inputs: Inputs) -> None:
    """The customer base: the dataset's in scope by default, or a number typed over it (with a way back)."""
    fmt = ctx.number_format
    dataset_base = data.base
    BASE.draw(
        st.number_input,
        "Customer base",
        to_arg=lambda v: float(dataset_base) if v is None else float(v),
        min_value=0.0,
        max_value=MAX_BASE,
        step=1000.0,
        format="%.0f",
        help="Customers the change in adoption applies to. From the dataset by default; type another number to override.",
    )
    if not inputs.base_overridden:
        st.caption(f"From the dataset: {fmt.number(dataset_base)} customers in scope ({markdown_text(data.scope_text)}).")
    else:
        st.caption(f"Entered here: {fmt.number(inputs.base)} customers. The dataset has {fmt.number(dataset_base)}.")
        st.button("Use the dataset's customer base", key="w_base_reset", on_click=state.set_value, args=("w_base", None))


def _lever_rows(ctx: PageContext, data: BehaviourData, items: tuple[whatif.Lever, ...], saved: dict[str, float]) -> None:
    """A header, one row per behaviour, and the behaviours not priced."""
    fmt = ctx.number_format
    if items:
        header = st.columns(ROW, vertical_alignment="bottom")
        header[0].markdown("**Behaviour**")
        header[1].markdown("**Target adoption** (drag, today to 100 %)")
        header[2].markdown("**or type it** (%)")
        header[3].markdown(f"**Saving** ({markdown_text(fmt.currency)} a year)", help="Saved per adopting customer per year.")
        header[4].markdown("**Saves a year**")
    for lever in items:
        _lever_row(ctx, lever, saved[lever.key])
    unpriced = data.adoption[data.adoption["current"].isna()]["behaviour"].tolist() if len(data.adoption) else []
    if unpriced:
        st.caption(
            "Not priced (no data and no estimated adoption): "
            + ", ".join(markdown_text(n) for n in unpriced)
            + ". Add an estimate on the Behaviours page."
        )


def _horizon(ctx: PageContext, inputs: Inputs) -> None:
    """Years projected, years to reach the targets, whether retained revenue is shown and the lifetime value it uses."""
    years_col, ramp_col, toggle_col, ltv_col = st.columns([1, 1, 1.2, 1], vertical_alignment="bottom")
    with years_col:
        YEARS.draw(st.number_input, "Years to project", min_value=1, max_value=10, step=1)
    with ramp_col:
        RAMP.draw(
            st.number_input,
            "Years to reach the targets",
            min_value=1,
            max_value=10,
            step=1,
            help="Adoption climbs in equal steps and reaches the targets in this year; 1 = at once.",
        )
    with toggle_col:
        RETAINED.draw(
            st.toggle,
            "Show retained revenue",
            help="Customers kept (customers moved × churn gap) × lifetime value, shown apart from the cost savings.",
        )
    ltv_default = inputs.ltv_default
    if inputs.include_retained and ltv_default is not None:
        with ltv_col:
            LIFETIME_VALUE.draw(
                st.number_input,
                f"Lifetime value of a customer ({ctx.number_format.currency})",
                to_arg=lambda v: ltv_default.value if v is None else float(v),
                min_value=0.0,
                max_value=MAX_LIFETIME_VALUE,
                step=100.0,
                format="%.2f",
                help=f"Default: {markdown_text(ltv_default.source)}.",
            )


PRESET_ICONS = {"current": ":material/undo:", "halfway": ":material/adjust:", "best": ":material/emoji_events:"}
PRESET_HELP = {
    "current": "Every chosen behaviour back to today's adoption.",
    "halfway": "Every chosen behaviour halfway from today to best-in-class.",
    "best": "Every chosen behaviour at best-in-class.",
}


def _presets(items: tuple[whatif.Lever, ...]) -> Any:
    """The preset buttons across the page, then the choice of behaviours they move; returns the column beside that
    choice (free for the customer base)."""
    keys = [lever.key for lever in items]
    st.markdown("**Presets**")
    chosen_control = state.Control("w_pre", keys, state.TEXTS, lambda v: [k for k in keys if k in v])
    chosen = chosen_control.read()
    article = whatif.article_targets(items) is not None
    buttons = st.columns(4 if article else 3)
    for column, (preset, text) in zip(buttons, whatif.PRESETS.items(), strict=False):
        column.button(
            text,
            key=f"w_preset_{preset}",
            on_click=apply_preset,
            args=(preset, items, chosen),
            width="stretch",
            icon=PRESET_ICONS[preset],
            help=PRESET_HELP[preset],
        )
    if article:
        buttons[3].button(
            "Article",
            key="w_preset_article",
            on_click=apply_article,
            args=(items,),
            width="stretch",
            icon=":material/menu_book:",
            help=f"The article's worked example: {whatif.ARTICLE_BASE:,} customers, e-billing from today to best-in-class "
            "at the catalogue's saving, every other behaviour at today ($3.47M when today is 16 % and best-in-class 84 %).",
        )
    names = {lever.key: lever.behaviour for lever in items}
    choice_col, base_col = st.columns([3, 2])
    chosen_control.draw(
        choice_col.multiselect,
        "Presets move these behaviours",
        value_arg="default",
        options=keys,
        format_func=lambda k: names.get(k, k),
        help="The behaviours the preset buttons set; the others keep their sliders.",
    )
    return base_col


def _lever_row(ctx: PageContext, lever: whatif.Lever, saves: float) -> None:
    """One behaviour's slider (target adoption, today to 100 %), saving per customer and what it saves a year."""
    fmt = ctx.number_format
    best = "unknown" if lever.best_in_class is None else fmt.pct(lever.best_in_class)
    estimate = " (estimate)" if lever.status == "estimate" else ""
    name_col, slider_col, typed_col, saving_col, result_col = st.columns(ROW, vertical_alignment="center")
    with name_col:
        badge = " :orange-badge[assumption]" if lever.assumption else ""
        st.markdown(f"**{markdown_text(lever.behaviour)}**{badge}")
        st.caption(f"Today {fmt.pct(lever.current)}{estimate} · best-in-class {best}")
    with slider_col:
        if not has_slider(lever):
            st.caption("Already at 100 %: nothing left to move.")
        else:
            _target_widget(ctx, lever, st.slider, format="%.1f %%")
    with typed_col:
        if has_slider(lever):
            _target_widget(
                ctx,
                lever,
                st.number_input,
                twin="typed",
                format="%.1f",
                help=f"Target adoption in percent, {fmt.number(slider_floor(lever), 1)} to 100; the slider follows.",
            )
    with saving_col:
        saving_control(lever).draw(
            st.number_input,
            f"Saving per customer a year: {markdown_text(lever.behaviour)}",
            to_arg=lambda v: lever.saving if v is None else float(v),
            min_value=0.0,
            max_value=MAX_SAVING,
            step=0.5,
            format="%.2f",
            label_visibility="collapsed",
            help="Money saved per adopting customer per year. From the catalogue by default"
            + ("; the catalogue's figure is an assumption to replace." if lever.assumption else "."),
        )
    with result_col, st.container(key=preview.row_key(lever)):
        st.markdown(f"**{markdown_text(whatif.money_full(saves, fmt)) if saves > 0 else '—'}**")


def _target_widget(ctx: PageContext, lever: whatif.Lever, render: Any, **kwargs: Any) -> None:
    """A behaviour's target adoption drawn by render (the slider, or the box it is typed in: twin="typed")."""
    opens_at = best_pct(lever)
    typed = "typed" if kwargs.get("twin") else ""
    target_control(lever).draw(
        render,
        f"Target adoption{' ' + typed if typed else ''}: {markdown_text(lever.behaviour)}",
        to_arg=lambda v: opens_at if v is None else float(v),
        min_value=slider_floor(lever),
        max_value=100.0,
        step=SLIDER_STEP,
        label_visibility="collapsed",
        **kwargs,
    )
