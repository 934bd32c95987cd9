"""What-if page sections: sliders and presets, the money figure with its formula, waterfall, projection, retained
revenue and saved scenarios. A slider change runs no query: the adoption figures come from the cache."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

import pandas as pd
import streamlit as st

from dashboard.access import Action
from dashboard.charts import whatif as charts
from dashboard.charts.theme import GOOD, GREY
from dashboard.escape import markdown_text
from dashboard.metrics import whatif
from dashboard.metrics.defection import figures as defection_figures
from dashboard.ui import auth, report, state, widgets
from dashboard.ui.frame import PageContext
from dashboard.ui.sections import action, guarded
from dashboard.ui.views.behaviours import BehaviourData
from dashboard.ui.views.defection import definition as defection_controls

SLIDER_STEP = 0.1
"""Slider steps in percentage points."""
ROW = [3, 5, 2, 2, 2]
"""Widths of a behaviour's row: name, slider, the target typed, saving per customer, what it saves a year."""
GENERIC_NAMES = ["w_base", "w_years", "w_ramp", "w_ret", "w_ltv", "w_pre", "w_cmp"]


@dataclass(frozen=True)
class LifetimeValue:
    """The lifetime value offered as default and where it comes from."""

    value: float
    source: str
    from_defection: bool


def lifetime_value_default(ctx: PageContext) -> LifetimeValue:
    """Lifetime value per current customer by the Defection page's saved definition and valuation, the dataset's one
    margin and the expected years from the data (never another page's unsaved controls); the article's $7,000, marked
    as an assumption, when the data have no purchases to value."""
    if ctx.version is not None and ctx.version.has("transactions", "amount"):
        saved = defection_controls.saved_money(ctx)
        row = ctx.metric(defection_figures.lifetime_value, defection_controls.saved_spec(ctx, saved)).iloc[0]
        value = row["discounted"]
        if value is not None and pd.notna(value) and math.isfinite(float(value)):
            valuation, margin = saved.valuation, saved.margin
            years = (
                f"{valuation.years:g} years ({saved.years_source(valuation.years)})"
                if valuation.method == "simple"
                else f"BG/NBD over {valuation.horizon_years} years"
                if valuation.method == "bgnbd"
                else f"contract retention (shifted-beta-geometric) over {valuation.horizon_years} years"
            )
            source = (
                f"the Defection page's saved valuation, mean over {int(row['customers']):,} current customers: annual spend "
                f"× {margin.pct:g} % margin ({margin.source()}) × {years}, discounted at {valuation.discount_pct:g} % a year"
            )
            return LifetimeValue(round(float(value), 2), source, True)
    return LifetimeValue(
        whatif.ARTICLE_LIFETIME_VALUE,
        "assumption: the article's regular customer worth $7,000 over ten years (this dataset has no purchases to value)",
        False,
    )


def _names(keys: tuple[str, ...] | list[str]) -> list[str]:
    return [f"w_{part}_{key}" for key in keys for part in ("t", "s")] + GENERIC_NAMES


def _forget_on_dataset_change(ctx: PageContext, keys: tuple[str, ...]) -> None:
    """Start from the new dataset's figures when the user switches dataset (a shared link keeps its values)."""
    shown = st.session_state.get("_whatif_dataset")
    if shown not in (None, ctx.dataset):
        state.clear(_names(keys))
    st.session_state["_whatif_dataset"] = ctx.dataset


def _stored_target(lever: whatif.Lever, target: float) -> float | None:
    """What a target is kept as: None when it is the default (best-in-class), else the percentage."""
    return None if target == whatif.preset_target(lever, "best") else target * 100


@action("Apply the preset")
def _apply_preset(preset: str, items: tuple[whatif.Lever, ...], chosen: list[str]) -> None:
    for lever in items:
        if lever.key in chosen:
            state.set_value(f"w_t_{lever.key}", _stored_target(lever, whatif.preset_target(lever, preset)))


@action("Apply the article's example")
def _apply_article(items: tuple[whatif.Lever, ...]) -> None:
    targets = whatif.article_targets(items) or {}
    for lever in items:
        state.set_value(f"w_t_{lever.key}", _stored_target(lever, targets.get(lever.key, lever.current)))
    state.set_value(f"w_s_{whatif.ARTICLE_BEHAVIOUR}", None)
    state.set_value("w_base", float(whatif.ARTICLE_BASE))


def _slider_floor(lever: whatif.Lever) -> float:
    """The slider's left end: the current adoption rounded down to the slider's step (targets below it count as current)."""
    return math.floor(round(lever.current * 100 / SLIDER_STEP, 6)) * SLIDER_STEP


def _valid_target(lo: float):
    def _valid(value: Any) -> float | None:
        if value is None:
            return None
        number = float(value)
        if not math.isfinite(number):
            raise ValueError(value)
        return min(max(number, lo), 100.0)

    return _valid


def _money_up_to(hi: float):
    """A validator for an amount: None stays None; above hi it becomes hi (the widget's maximum, so what the money is
    computed from is what the widget shows); a negative or non-finite one raises ValueError (the default is used)."""

    def _valid(value: Any) -> float | None:
        if value is None:
            return None
        number = float(value)
        if not math.isfinite(number) or number < 0:
            raise ValueError(value)
        return min(number, hi)

    return _valid


def _whole_up_to(hi: float):
    """_money_up_to for a count: the number rounded to a whole (a customer base is whole customers)."""
    valid = _money_up_to(hi)

    def _valid(value: Any) -> float | None:
        number = valid(value)
        return None if number is None else float(round(number))

    return _valid


MAX_BASE, MAX_LIFETIME_VALUE, MAX_SAVING = 1e10, 1e8, 1e7
"""The largest customer base, lifetime value and saving per customer the What-if's inputs take."""


@dataclass(frozen=True)
class WhatIf:
    """The what-if as the sliders have it: the levers, inputs and computed breakdown."""

    items: tuple[whatif.Lever, ...]
    frame: pd.DataFrame
    scenario: whatif.Scenario
    dataset_base: float


@guarded("What-if")
def render_interactive(ctx: PageContext, data: BehaviourData) -> None:
    """The What-if's sliders, figures and scenarios; the lifetime value offered for retained revenue is worked out
    here, once per page run, not on every slider move (nothing in the What-if changes what it is worked out from)."""
    _interactive(ctx, data, lifetime_value_default(ctx) if RETAINED.read() else None)


@st.fragment
@guarded("What-if")
def _interactive(ctx: PageContext, data: BehaviourData, ltv_default: LifetimeValue | None) -> None:
    """The What-if's sliders, figures and scenarios as one fragment: a slider change reruns only this part of the
    page (not the sidebar, not the adoption figures, not the driver lever below)."""
    report.fragment_part("whatif")
    render_scenarios(ctx, render_whatif(ctx, data, ltv_default), data.catalogue.keys)


def _valid_int(lo: int, hi: int):
    def _valid(value: Any) -> int:
        number = int(value)
        if not lo <= number <= hi:
            raise ValueError(value)
        return number

    return _valid


def _best_pct(lever: whatif.Lever) -> float:
    """The target a behaviour opens on: best-in-class (today's adoption when there is none or it is already above)."""
    return whatif.preset_target(lever, "best") * 100


BASE = state.Control("w_base", None, state.FLOAT, _whole_up_to(MAX_BASE))
YEARS = state.Control("w_years", 5, state.INT, _valid_int(1, 10))
RAMP = state.Control("w_ramp", 3, state.INT, _valid_int(1, 10))
RETAINED = state.Control("w_ret", True, state.BOOL)
LIFETIME_VALUE = state.Control("w_ltv", None, state.FLOAT, _money_up_to(MAX_LIFETIME_VALUE))


def _target(lever: whatif.Lever) -> state.Control:
    return state.Control(f"w_t_{lever.key}", None, state.FLOAT, _valid_target(_slider_floor(lever)))


def _saving(lever: whatif.Lever) -> state.Control:
    return state.Control(f"w_s_{lever.key}", None, state.FLOAT, _money_up_to(MAX_SAVING))


def _has_slider(lever: whatif.Lever) -> bool:
    return _slider_floor(lever) < 100.0 - SLIDER_STEP / 2


def inputs_from_state(
    items: tuple[whatif.Lever, ...], dataset_base: float
) -> tuple[float, dict[str, float | None], dict[str, float]]:
    """Customer base, target adoption (0-1; best-in-class until moved) and saving per behaviour as the What-if's state
    holds them."""
    stored_base = BASE.read()
    base = dataset_base if stored_base is None else float(stored_base)
    targets: dict[str, float | None] = {}
    for lever in items:
        if not _has_slider(lever):
            targets[lever.key] = None
            continue
        pct = _target(lever).read()
        targets[lever.key] = whatif.preset_target(lever, "best") if pct is None else pct / 100
    savings = {lever.key: _stored_or(_saving(lever).read(), lever.saving) for lever in items}
    return base, targets, savings


@guarded("What-if sliders and savings")
def render_whatif(ctx: PageContext, data: BehaviourData, ltv_default: LifetimeValue | None = None) -> WhatIf:
    """The money figure first (with the sum in words), then presets, customer base, one slider and saving per
    behaviour, years and ramp-up, the waterfall and projection, and retained revenue; returns the what-if.
    ltv_default is the lifetime value offered when already worked out (it is worked out here otherwise)."""
    fmt = ctx.number_format
    items = whatif.levers(data.adoption, data.churn)
    _forget_on_dataset_change(ctx, data.catalogue.keys)

    # every input as persisted (the callbacks of the last change have run): the money is computed and drawn before
    # any widget, so it reaches the screen first
    dataset_base = data.base
    base, targets, savings = inputs_from_state(items, dataset_base)
    base_overridden = BASE.read() is not None
    years, ramp, include_retained = int(YEARS.read()), int(RAMP.read()), bool(RETAINED.read())
    # the lifetime value is worked out (a few cached queries) only when retained revenue is shown
    if not include_retained:
        ltv_default = None
    elif ltv_default is None:
        ltv_default = lifetime_value_default(ctx)
    stored_ltv = LIFETIME_VALUE.read() if include_retained else None
    ltv = _stored_or(stored_ltv, ltv_default.value) if ltv_default is not None else None
    frame = whatif.breakdown(items, base, targets, savings, ltv if include_retained else None)
    proj = whatif.projection(frame, years, ramp)
    _headline(ctx, frame, base, proj, years)

    unpriced = data.adoption[data.adoption["current"].isna()]["behaviour"].tolist() if len(data.adoption) else []
    if not items:
        st.info("No behaviour has a current adoption yet: measure one in the data or enter an estimate on the Behaviours page.")
    base_col = _presets(items)
    with base_col:
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
        if not base_overridden:
            st.caption(f"From the dataset: {fmt.number(dataset_base)} customers in scope ({markdown_text(data.scope_text)}).")
        else:
            st.caption(f"Entered here: {fmt.number(base)} customers. The dataset has {fmt.number(dataset_base)}.")
            st.button("Use the dataset's customer base", key="w_base_reset", on_click=state.set_value, args=("w_base", None))

    if items:
        header = st.columns(ROW, vertical_alignment="bottom")
        header[0].markdown("**Behaviour**")
        header[1].markdown("**Target adoption** (drag, today to 100 %)")
        header[2].markdown("**or type it** (%)")
        header[3].markdown(f"**Saving** ({markdown_text(fmt.currency)} a year)", help="Saved per adopting customer per year.")
        header[4].markdown("**Saves a year**")
    saved = dict(zip(frame["key"], frame["annual_saving"], strict=True))
    for lever in items:
        _lever_row(ctx, lever, saved[lever.key])
    if unpriced:
        st.caption(
            "Not priced (no data and no estimated adoption): "
            + ", ".join(markdown_text(n) for n in unpriced)
            + ". Add an estimate on the Behaviours page."
        )

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
    if include_retained:
        with ltv_col:
            LIFETIME_VALUE.draw(
                st.number_input,
                f"Lifetime value of a customer ({fmt.currency})",
                to_arg=lambda v: ltv_default.value if v is None else float(v),
                min_value=0.0,
                max_value=MAX_LIFETIME_VALUE,
                step=100.0,
                format="%.2f",
                help=f"Default: {markdown_text(ltv_default.source)}.",
            )

    left, right = st.columns(2)
    with left:
        widgets.chart(charts.waterfall(frame, fmt), key="w_waterfall")
    with right:
        widgets.chart(charts.projection(proj, ramp, fmt), key="w_projection")
    if include_retained:
        _retained(ctx, data, frame, ltv, ltv_default, stored_default=stored_ltv is None)
    scenario = whatif.Scenario(
        name="Current sliders",
        levers=tuple(replace(lever, saving=savings[lever.key]) for lever in items),
        base=float(base),
        targets=tuple((k, v) for k, v in targets.items() if v is not None),
        years=years,
        ramp_years=ramp,
        lifetime_value=ltv if include_retained else None,
        include_retained=include_retained,
        base_overridden=base_overridden,
        context=f"{ctx.version.label}; {ctx.filters.describe()}",
    )
    return WhatIf(items, frame, scenario, dataset_base)


def _stored_or(stored: Any, default: float) -> float:
    return default if stored is None else float(stored)


def _presets(items: tuple[whatif.Lever, ...]) -> Any:
    """The preset buttons across the page, then the choice of behaviours they move; returns the column beside that
    choice (free for the customer base)."""
    keys = [lever.key for lever in items]
    st.markdown("**Presets**")
    icons = {"current": ":material/undo:", "halfway": ":material/adjust:", "best": ":material/emoji_events:"}
    helps = {
        "current": "Every chosen behaviour back to today's adoption.",
        "halfway": "Every chosen behaviour halfway from today to best-in-class.",
        "best": "Every chosen behaviour at best-in-class.",
    }
    chosen_control = state.Control("w_pre", keys, state.TEXTS, lambda v: [k for k in keys if k in v])
    chosen = chosen_control.read()
    article = whatif.article_targets(items) is not None
    buttons = st.columns(4 if article else 3)
    for column, (preset, text) in zip(buttons, whatif.PRESETS.items(), strict=False):
        column.button(
            text,
            key=f"w_preset_{preset}",
            on_click=_apply_preset,
            args=(preset, items, chosen),
            width="stretch",
            icon=icons[preset],
            help=helps[preset],
        )
    if article:
        buttons[3].button(
            "Article",
            key="w_preset_article",
            on_click=_apply_article,
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
    opens_at = _best_pct(lever)
    with slider_col:
        if not _has_slider(lever):
            st.caption("Already at 100 %: nothing left to move.")
        else:
            _target(lever).draw(
                st.slider,
                f"Target adoption: {markdown_text(lever.behaviour)}",
                to_arg=lambda v: opens_at if v is None else float(v),
                min_value=_slider_floor(lever),
                max_value=100.0,
                step=SLIDER_STEP,
                format="%.1f %%",
                label_visibility="collapsed",
            )
    with typed_col:
        if _has_slider(lever):
            _target(lever).draw(
                st.number_input,
                f"Target adoption typed: {markdown_text(lever.behaviour)}",
                to_arg=lambda v: opens_at if v is None else float(v),
                twin="typed",
                min_value=_slider_floor(lever),
                max_value=100.0,
                step=SLIDER_STEP,
                format="%.1f",
                label_visibility="collapsed",
                help=f"Target adoption in percent, {fmt.number(_slider_floor(lever), 1)} to 100; the slider follows.",
            )
    with saving_col:
        _saving(lever).draw(
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
    with result_col:
        st.markdown(f"**{markdown_text(whatif.money_full(saves, fmt))}**" if saves > 0 else "—")


STICKY_KEY = "w_sticky"
STICKY_CSS = """
<style>
[data-testid="stLayoutWrapper"]:has(> .st-key-w_sticky) { position: sticky; top: %s; z-index: 990; }
.st-key-w_sticky { background: white; padding: 0.25rem 0 0.5rem 0; border-bottom: 1px solid #E5E7EB; }
</style>
"""
"""The headline stays at the top of the screen while the sliders below it scroll (under Streamlit's header bar,
which presentation mode hides). Streamlit 1.67 wraps a keyed container in a stLayoutWrapper of the same height, so
the wrapper is what sticks."""


def _headline(ctx: PageContext, frame: pd.DataFrame, base: float, proj: pd.DataFrame, years: int) -> None:
    """The total annual savings as the largest figure on the page, kept in view while the sliders scroll, the sum in
    words under it, and the projection total."""
    fmt = ctx.number_format
    total = whatif.total_saving(frame)
    moved = int((frame["change"] > 0).sum()) if len(frame) else 0
    caption = "a year in cost savings" + (f" · {moved} behaviour{'s' if moved != 1 else ''} moved" if moved else "")
    cumulative = float(proj["cumulative"].max()) if len(proj) else 0.0
    st.html(STICKY_CSS % ("0" if ctx.presenting else "3.75rem"))
    with st.container(key=STICKY_KEY):
        figure_col, words_col = st.columns([3, 2], vertical_alignment="center")
        with figure_col:
            st.plotly_chart(
                charts.headline(total, caption, fmt, GOOD if total > 0 else GREY),
                key="w_headline",
                config={"displayModeBar": False, "staticPlot": True},
            )
        with words_col:
            st.markdown(f"**Total annual savings: {markdown_text(whatif.money_full(total, fmt))} a year**")
            st.caption(
                f"Over {years} years with the ramp-up: {markdown_text(whatif.money_full(cumulative, fmt))}. "
                "Targets open at best-in-class; the presets below set today, halfway or best-in-class."
            )
    lines = whatif.formula_lines(frame, base, fmt)
    with st.expander("How the total adds up", expanded=len(lines) <= 2, icon=":material/calculate:"):
        if lines:
            st.markdown("\n".join(f"- {markdown_text(line)}" for line in lines))
        else:
            st.markdown("Move a slider or pick a preset to see what closing the gap is worth.")
        st.caption(
            "Annual savings = customers × (target adoption − adoption today) × saving per adopting customer per year, "
            "to the whole unit of currency, summed over behaviours. Percentages are shown with as many decimals as it "
            "takes for each line to give its figure by hand."
        )


def _retained(
    ctx: PageContext,
    data: BehaviourData,
    frame: pd.DataFrame,
    ltv: float,
    ltv_default: LifetimeValue,
    *,
    stored_default: bool,
) -> None:
    """Retained revenue from the churn gap × lifetime value, shown apart from the cost savings."""
    fmt = ctx.number_format
    st.subheader("Retained revenue, apart from cost savings")
    if stored_default:
        st.caption(f"Lifetime value {markdown_text(fmt.money(ltv, 0))}: {markdown_text(ltv_default.source)}.")
    else:
        st.caption(f"Lifetime value entered here: {markdown_text(fmt.money(ltv, 0))}.")
    if not data.has_churn:
        st.info("This dataset does not say which customers left, so there is no churn gap to price.")
        return
    customers, revenue = whatif.total_retained(frame)
    left, right = st.columns(2)
    left.metric(
        "Customers kept",
        "—" if customers is None else fmt.number(customers),
        help="Sum over behaviours of customers moved × churn gap (churn without − churn with, over the selected period).",
        border=True,
    )
    right.metric(
        "Retained revenue",
        "—" if revenue is None else whatif.money_headline(revenue, fmt),
        help="Customers kept × lifetime value. Not a yearly figure and not part of the cost savings.",
        border=True,
    )
    moved = frame[frame["change"] > 0]
    if not moved.empty:
        widgets.table(
            pd.DataFrame(
                {
                    "Behaviour": moved["behaviour"],
                    "Customers moved": [fmt.number(v) for v in moved["customers_moved"]],
                    "Churn gap": ["—" if pd.isna(g) else f"{fmt.number(g * 100, 2)} pts" for g in moved["churn_gap"]],
                    "Customers kept": [fmt.number(v) for v in moved["retained_customers"]],
                    "Retained revenue": [fmt.money(v, 0) for v in moved["retained_revenue"]],
                }
            ),
            width="stretch",
            key="w_retained_table",
        )
    st.caption(
        "The churn gap is how much less often customers with the behaviour left during the period than those without "
        "it. It is an association, not proof that moving a customer keeps them; behaviours overlap, so the sum "
        "over behaviours counts some customers more than once. Read it as an upper bound."
    )


# -- scenarios ----------------------------------------------------------------------------------------------------


@action("Load the scenario")
def _load_scenario(scenario: whatif.Scenario, items: tuple[whatif.Lever, ...]) -> None:
    targets = dict(scenario.targets)
    stored_savings = {lever.key: lever.saving for lever in scenario.levers}
    for lever in items:
        target = targets.get(lever.key)
        state.set_value(f"w_t_{lever.key}", _stored_target(lever, whatif.clip_target(lever, target)))
        saving = stored_savings.get(lever.key)
        state.set_value(f"w_s_{lever.key}", None if saving is None or saving == lever.saving else saving)
    state.set_value("w_base", scenario.base if scenario.base_overridden else None)
    state.set_value("w_years", scenario.years)
    state.set_value("w_ramp", scenario.ramp_years)
    state.set_value("w_ret", scenario.include_retained)
    if scenario.lifetime_value is not None:
        state.set_value("w_ltv", scenario.lifetime_value)
    st.session_state["w_scn_message"] = ("success", f"Loaded “{scenario.name}” into the sliders.")


@action("Save the scenario")
def _save_current(ctx: PageContext, current: whatif.Scenario) -> None:
    if not auth.require(Action.EDIT):
        return
    name = str(st.session_state.get("w_scn_name") or "").strip()
    try:
        whatif.save_scenario(ctx.store, ctx.dataset, replace(current, name=name, saved_at=""))
    except ValueError as exc:
        st.session_state["w_scn_message"] = ("error", str(exc))
        return
    st.session_state["w_scn_message"] = ("success", f"Saved “{' '.join(name.split())}”.")
    st.session_state["w_scn_name"] = ""


@action("Delete the scenario")
def _delete(ctx: PageContext, name: str) -> None:
    if not auth.require(Action.EDIT):
        return
    whatif.delete_scenario(ctx.store, ctx.dataset, name)
    st.session_state["w_scn_message"] = ("success", f"Deleted “{name}”.")


def _compare_display(table: pd.DataFrame, fmt) -> pd.DataFrame:
    out = table.copy()
    for col in out.columns[1:]:
        values = []
        for figure, value in zip(out["figure"], table[col], strict=True):
            if value is None or pd.isna(value):
                values.append("—")
            elif figure.endswith("target adoption %"):
                values.append(f"{fmt.number(value, 1)} %")
            elif figure in ("Customer base", "Years projected"):
                values.append(fmt.number(value))
            else:
                values.append(fmt.money(value, 0))
        out[col] = values
    return out.rename(columns={"figure": "Figure"})


@guarded("Saved scenarios")
def render_scenarios(ctx: PageContext, current: WhatIf, catalogue_keys: tuple[str, ...] | list[str] = ()) -> None:
    """Save the sliders as a named scenario; list, compare side by side, load, delete and export scenarios.

    catalogue_keys (the behaviour catalogue's order) give each behaviour the colour it has on the Behaviours page.
    """
    fmt = ctx.number_format
    st.subheader("Scenarios")
    message = st.session_state.pop("w_scn_message", None)
    if message:
        (st.success if message[0] == "success" else st.error)(markdown_text(message[1]))
    editing = not ctx.presenting and auth.can(Action.EDIT)
    if editing:
        name_col, save_col = st.columns([3, 1], vertical_alignment="bottom")
        name_col.text_input("Scenario name", key="w_scn_name", max_chars=60, placeholder="e.g. Halfway on e-billing")
        save_col.button(
            "Save scenario",
            key="w_scn_save",
            type="primary",
            icon=":material/bookmark_add:",
            on_click=_save_current,
            args=(ctx, current.scenario),
            width="stretch",
        )
    widgets.download_buttons(
        lambda: whatif.scenario_table(current.scenario),
        "whatif_current",
        key="w_current_dl",
        label="These sliders",
        deferred=True,
    )
    scenarios = whatif.load_scenarios(ctx.store, ctx.dataset)
    if not scenarios:
        st.caption("No saved scenarios yet for this dataset.")
        return
    listing = pd.DataFrame(
        {
            "Scenario": [s.name for s in scenarios],
            "Saved": [s.saved_at.replace("T", " ") for s in scenarios],
            "Customer base": [fmt.number(s.base) for s in scenarios],
            "Annual savings": [whatif.money_full(whatif.total_saving(s.frame()), fmt) for s in scenarios],
            "Years · ramp-up": [f"{s.years} · {s.ramp_years}" for s in scenarios],
            "Saved with": [s.context for s in scenarios],
        }
    )
    widgets.table(listing, width="stretch", key="w_scn_list")
    names = [s.name for s in scenarios]
    chosen = state.widget(
        st.multiselect,
        "Compare scenarios side by side",
        "w_cmp",
        [],
        state.TEXTS,
        valid=lambda v: [n for n in v if n in names],
        value_arg="default",
        options=names,
        placeholder="Choose two or more",
    )
    picked = [s for s in scenarios if s.name in chosen]
    if picked:
        table = whatif.compare(picked)
        if len(picked) == 1:
            st.caption("Choose one more scenario to compare side by side.")
        widgets.table(_compare_display(table, fmt), width="stretch", key="w_cmp_table")
        keys = list(dict.fromkeys([*catalogue_keys, *(lever.key for s in picked for lever in s.levers)]))
        widgets.chart(charts.compare(picked, keys, fmt), key="w_cmp_chart")
        widgets.download_buttons(
            lambda: pd.concat([whatif.scenario_table(s) for s in picked], ignore_index=True),
            "whatif_scenarios",
            key="w_cmp_dl",
            label="Compared scenarios",
            deferred=True,
        )
    pick_col, load_col, delete_col = st.columns([3, 1, 1], vertical_alignment="bottom")
    selected_name = pick_col.selectbox("Saved scenario", names, key="w_scn_pick")
    selected = next(s for s in scenarios if s.name == selected_name)
    load_col.button(
        "Load into the sliders",
        key="w_scn_load",
        icon=":material/upload:",
        on_click=_load_scenario,
        args=(selected, current.items),
        width="stretch",
    )
    if editing:
        delete_col.button(
            "Delete scenario",
            key="w_scn_delete",
            icon=":material/delete:",
            on_click=_delete,
            args=(ctx, selected.name),
            width="stretch",
        )
    widgets.download_buttons(
        lambda: whatif.scenario_table(selected),
        "whatif_scenario",
        key="w_scn_dl",
        label=f"“{markdown_text(selected.name)}”",
        deferred=True,
    )
