"""The Defection page's controls: the definition and lifetime-value settings, kept in the URL and saved per dataset.

Every control is a `state.widget` with a URL name starting with d_. The values start from the dataset's saved
definition (setting defection.definition) and valuation (defection.valuation); the save bar stores what is
shown as the dataset's own. The margin is the dataset's one margin (money.margin, set in the sidebar) and the
expected years come from the data (money.expected_lifetime) unless the analyst saved their own.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date

import pandas as pd
import streamlit as st

from dashboard import staged
from dashboard.access import Action
from dashboard.escape import markdown_text
from dashboard.metrics import money
from dashboard.metrics.defection import figures
from dashboard.metrics.defection import sources as defection_sources
from dashboard.metrics.defection import status as defection
from dashboard.metrics.defection.prepare import HORIZON_YEARS
from dashboard.ui import auth, settings, state
from dashboard.ui.frame import PageContext
from dashboard.ui.sections import action, guarded

DEFINITION_KEY = "defection.definition"
VALUATION_KEY = "defection.valuation"
SILENT_KEY = "defection.silent_per_complaint"


@dataclass(frozen=True)
class Field:
    """A Definition or Valuation field the page edits: its URL name, kind, label and range (control() binds it)."""

    name: str
    field: str
    kind: str  # toggle, int, float, slider, radio
    label: str
    low: float = 0
    high: float = 0
    step: float = 1
    needs: str | None = None
    """The availability key without which the control is disabled."""
    rule: str | None = None
    """The rule toggle this parameter belongs to: disabled while the rule is off."""
    help: str | None = None

    def control(self, saved: object) -> state.Control:
        """The field bound to its URL name, starting from its value in saved (a Definition or Valuation)."""
        default = getattr(saved, self.field)
        default = int(default) if self.kind in ("int", "slider") else default
        valid = None if self.kind == "toggle" else in_range(self.low, self.high)
        return state.Control(self.name, default, CODECS[self.kind], valid)


DEFINITION_CONTROLS: tuple[tuple[Field, ...], tuple[Field, ...]] = (
    (
        Field(
            "d_contract",
            "contract",
            "toggle",
            "Contract ended: churned flag or churn date",
            needs="contract",
            help="Contractual businesses: the customer cancelled. Needs a churned or churn_date column.",
        ),
        Field(
            "d_lapse",
            "lapse",
            "toggle",
            "No purchase for N days",
            needs="transactions",
            help="Non-contractual businesses: the customer counts as gone once the dataset's lapse window has passed "
            "since their last purchase (the window is the dataset's saved definition, edited with the Funnel's rules).",
        ),
        Field(
            "d_complaint",
            "complaint",
            "toggle",
            "Badly handled complaint",
            needs="complaints",
            help="A complaint in the last days (below) resolved later than the target, still unresolved, or repeated "
            "(another contact of the same reason within the dataset's repeat window).",
        ),
        Field("d_cdays", "complaint_days", "int", "Complaint in the last (days)", 1, 730, 15, rule="complaint"),
        Field("d_sla", "sla_days", "float", "Resolution target (days)", 0, 365, 1, rule="complaint"),
    ),
    (
        Field(
            "d_drop",
            "drop",
            "toggle",
            "Own-baseline drop",
            needs="transactions",
            help="The family that now eats elsewhere half the time: purchases per month in the recent window fall below "
            "X % of the customer's own rate in the baseline before it.",
        ),
        Field("d_drop_pct", "drop_pct", "slider", "X: recent rate below this share of the baseline (%)", 5, 95, 5, rule="drop"),
        Field("d_recent", "recent_months", "int", "Recent window (months)", 1, 12, 1, rule="drop"),
        Field("d_base", "baseline_months", "int", "Baseline before it (months)", 1, 24, 1, rule="drop"),
        Field(
            "d_alive",
            "alive",
            "toggle",
            "Low probability alive (BG/NBD)",
            needs="bgnbd",
            help="The BG/NBD model's probability that the customer still buys from you, from their number of purchases, "
            "the time of the last one and how long we have known them.",
        ),
        Field("d_alive_pct", "alive_pct", "slider", "Probability alive below (%)", 5, 95, 5, rule="alive"),
    ),
)
VALUATION_CONTROLS: tuple[Field, ...] = (
    Field(
        "d_years",
        "years",
        "float",
        "Expected years as a customer",
        money.MIN_YEARS,
        money.MAX_YEARS,
        0.5,
        help=f"Measured from the data when it shows dated defections (1 ÷ annual defection rate), capped at "
        f"{money.MAX_YEARS:g}; {money.DEFAULT_YEARS:g} years, an assumption, when it does not.",
    ),
    Field("d_horizon", "horizon_years", "slider", "Horizon (years)", 1, HORIZON_YEARS, 1),
    Field("d_discount", "discount_pct", "float", "Discount rate (% a year)", 0, 50, 0.5),
)
NEEDS_LABEL = {
    "contract": " (needs a churned flag or churn date)",
    "transactions": " (needs transactions)",
    "complaints": " (needs complaint touchpoints)",
    "bgnbd": " (no BG/NBD fit: see what the page needs)",
}
DEFINITION_NAMES = tuple(c.name for column in DEFINITION_CONTROLS for c in column)
VALUATION_NAMES = ("d_method", *(c.name for c in VALUATION_CONTROLS))
VIEW_NAMES = ("d_silent", "d_show", "d_sort", "d_cohort")
ALL_NAMES = DEFINITION_NAMES + VALUATION_NAMES + VIEW_NAMES
CODECS = {"toggle": state.BOOL, "int": state.INT, "slider": state.INT, "float": state.FLOAT}


@dataclass(frozen=True)
class SavedMoney:
    """The dataset's saved definition and valuation, with where the margin and the expected years come from."""

    definition: defection.Definition
    valuation: defection.Valuation
    margin: money.Margin
    lifetime: money.Lifetime
    """The expected lifetime the data give for the definition (used unless years were saved)."""
    years_saved: bool

    def years_source(self, years: float) -> str:
        """Where `years` comes from: saved, measured in the data or the default assumption, or entered on the page."""
        if years != self.valuation.years:
            return "entered on this page, not saved"
        if self.years_saved:
            return "saved for this dataset"
        return self.lifetime.source


def saved_money(ctx: PageContext, available_frame: pd.DataFrame | None = None) -> SavedMoney:
    """The dataset's saved definition and valuation (never the page's unsaved controls), with the dataset's one margin
    and, unless saved, the expected years measured in the data: what What-if's lifetime value is worked out from."""
    if available_frame is None:
        available_frame = ctx.metric(defection.availability)
    available = dict(zip(available_frame["key"], available_frame["available"], strict=True))
    definition = defection.Definition.from_setting(
        settings.stored(ctx.store, ctx.dataset, DEFINITION_KEY), defection.default_definition(available_frame)
    )
    margin = money.load_margin(ctx.store, ctx.dataset)
    lifetime = figures.lifetime_from(ctx.metric(defection.timeline, figures.lifetime_spec(definition)))
    stored = settings.stored(ctx.store, ctx.dataset, VALUATION_KEY)
    stored = {k: v for k, v in stored.items() if k != "margin_pct"} if isinstance(stored, dict) else None
    base = defection.Valuation(margin_pct=margin.pct, years=lifetime.years)
    valuation = replace(defection.Valuation.from_setting(stored, base), margin_pct=margin.pct)
    years_saved = stored is not None and "years" in stored and _number(stored["years"]) == valuation.years
    if valuation.method not in defection.methods_available(available):
        valuation = replace(valuation, method="simple")
    return SavedMoney(definition, valuation, margin, lifetime, years_saved)


def _number(value: object) -> float | None:
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


def with_chances(ctx: PageContext, spec: defection.DefectionSpec) -> tuple[defection.DefectionSpec, pd.Series, pd.Series]:
    """spec with the observed chances of leaving after a badly handled complaint and after a drop (no BG/NBD fit), and
    the two follow-up rows they come from."""
    complaint = ctx.metric(defection.complaint_follow_up, defection.follow_up_spec(spec)).iloc[0]
    drop = ctx.metric(defection.drop_follow_up, defection.drop_follow_up_spec(spec)).iloc[0]
    spec = replace(spec, complaint_chance=float(complaint["chance_used"]), drop_chance=float(drop["chance_used"]))
    return spec, complaint, drop


@dataclass(frozen=True)
class DefectionView:
    """What the controls chose and what every section draws from (frames cached on the version and spec)."""

    spec: defection.DefectionSpec
    available: dict[str, bool]
    saved_definition: defection.Definition
    saved_valuation: defection.Valuation
    money: SavedMoney
    fit: pd.Series
    follow_up: pd.Series
    drop_follow_up: pd.Series
    ctx: PageContext = field(repr=False, compare=False)
    stage_day: date | None = None  # the day stages are taken on (None: the data's own stage column, as it stands)
    tells_defection: bool = True  # the staged profile's: False shows the defection figures as "—"

    # the per-customer frame is read from the cache only when a section asks for it: most draw figures derived
    # from it and cached on their own (ctx.derived), and reading a frame of every customer back costs on each rerun
    @functools.cached_property
    def summary(self) -> pd.DataFrame:
        """Per customer under spec (defection.summary)."""
        return self.ctx.metric(defection.summary, self.spec)


def in_range(lo: float, hi: float) -> Callable[[float], float]:
    """A state validator keeping values between lo and hi (ValueError otherwise, so the default is used)."""

    def check(value: float) -> float:
        if not lo <= value <= hi:
            raise ValueError(value)
        return value

    return check


def _from_state(fields: tuple[Field, ...], saved: object) -> dict:
    """The values of fields held in the page state (URL), without drawing widgets."""
    return {f.field: type(getattr(saved, f.field))(f.control(saved).read()) for f in fields}


def _draw(field: Field, saved: object, available: dict[str, bool], values: dict) -> object:
    """Draw one field's widget bound to its state; return its value."""
    missing = field.needs is not None and not available.get(field.needs, False)
    off = field.rule is not None and not values.get(field.rule, True)
    label = field.label + (NEEDS_LABEL[field.needs] if missing else "")
    common = {"disabled": missing or off, "help": field.help}
    control = field.control(saved)
    if field.kind == "toggle":
        return control.draw(st.toggle, label, **common)
    if field.kind in ("slider", "int"):
        bounds = {"min_value": int(field.low), "max_value": int(field.high), "step": int(field.step)}
    else:
        bounds = {"min_value": float(field.low), "max_value": float(field.high), "step": float(field.step), "format": "%.1f"}
    return control.draw(st.slider if field.kind == "slider" else st.number_input, label, **bounds, **common)


def _forget_other_dataset(ctx: PageContext) -> None:
    """Drop the page's choices when the dataset changed: each dataset has its own saved definition."""
    if st.session_state.get("_defection_dataset") not in (None, ctx.dataset):
        state.clear(list(ALL_NAMES))
    st.session_state["_defection_dataset"] = ctx.dataset


@guarded("Defection definition")
def controls(ctx: PageContext) -> DefectionView:
    """Draw the definition editor (not when presenting) and gather everything the sections draw from."""
    _forget_other_dataset(ctx)
    available_frame = ctx.metric(defection.availability)
    available = dict(zip(available_frame["key"], available_frame["available"], strict=True))
    saved_parts = saved_money(ctx, available_frame)
    saved, saved_valuation = saved_parts.definition, saved_parts.valuation
    if ctx.presenting:
        values = _from_state(tuple(c for column in DEFINITION_CONTROLS for c in column), saved)
    else:
        with st.expander("**Definition of a defected customer**", icon=":material/rule:"):
            values = _definition_editor(saved, available)
    definition = _checked(saved, values, available)
    if definition != saved:  # an unsaved definition measures its own expected years, unless years were saved
        lifetime = figures.lifetime_from(ctx.metric(defection.timeline, figures.lifetime_spec(definition)))
        if not saved_parts.years_saved:
            saved_valuation = replace(saved_valuation, years=lifetime.years)
        saved_parts = replace(saved_parts, lifetime=lifetime, valuation=saved_valuation)
    valuation = _valuation_from_state(saved_valuation, available)
    return _view(ctx, available, saved_parts, definition, valuation, saved_valuation)


@guarded("Defection definition")
def saved_view(ctx: PageContext) -> DefectionView:
    """Everything the sections draw from by the dataset's saved definition and valuation only, never the page's unsaved
    controls: what the Story's steps show, so What-if, Defection and Decisions there give one lifetime value."""
    available_frame = ctx.metric(defection.availability)
    available = dict(zip(available_frame["key"], available_frame["available"], strict=True))
    saved_parts = saved_money(ctx, available_frame)
    return _view(ctx, available, saved_parts, saved_parts.definition, saved_parts.valuation, saved_parts.valuation)


def unsaved(ctx: PageContext) -> bool:
    """Whether the Defection page's controls (as the state holds them) differ from the dataset's saved definition or
    valuation (False while they still hold another dataset's choices, which this page drops when it opens)."""
    if st.session_state.get("_defection_dataset") not in (None, ctx.dataset):
        return False
    available_frame = ctx.metric(defection.availability)
    available = dict(zip(available_frame["key"], available_frame["available"], strict=True))
    saved = saved_money(ctx, available_frame)
    values = _from_state(tuple(c for column in DEFINITION_CONTROLS for c in column), saved.definition)
    for control in (c for column in DEFINITION_CONTROLS for c in column):
        if control.kind == "toggle" and control.needs and not available.get(control.needs, False):
            values[control.field] = False
    try:
        definition = replace(saved.definition, **values).validate()
    except ValueError:
        definition = saved.definition
    valuation = saved.valuation
    if definition != saved.definition:
        return True
    methods = defection.methods_available(available)
    chosen = _from_state(VALUATION_CONTROLS, valuation)
    chosen["method"] = state.value("d_method", valuation.method, state.TEXT, state.one_of(methods))
    try:
        return replace(valuation, **chosen).validate() != valuation
    except (TypeError, ValueError):
        return False


def _view(
    ctx: PageContext,
    available: dict[str, bool],
    saved_parts: SavedMoney,
    definition: defection.Definition,
    valuation: defection.Valuation,
    saved_valuation: defection.Valuation,
) -> DefectionView:
    """The view for definition and valuation under the shared filters, with the saved ones to compare against."""
    # stages a year back (Funnel model), behaviours (catalogue): kept as tables of the version on first use
    stage_source, behaviour_source, stage_day = defection_sources.page_sources(ctx.store, ctx.version, ctx.dataset)
    spec = defection.DefectionSpec(ctx.filters, definition, valuation, stage_source, behaviour_source)
    spec, follow_up, drop_follow_up = with_chances(ctx, spec)
    return DefectionView(
        spec=spec,
        available=available,
        saved_definition=saved_parts.definition,
        saved_valuation=saved_valuation,
        money=saved_parts,
        fit=ctx.metric(defection.fit_summary).iloc[0],
        follow_up=follow_up,
        drop_follow_up=drop_follow_up,
        ctx=ctx,
        stage_day=stage_day,
        tells_defection=ctx.metric(staged.load_profile, None).tells_defection,
    )


def _definition_editor(saved: defection.Definition, available: dict[str, bool]) -> dict:
    """Toggles and parameters of every rule in two columns; returns their values."""
    st.caption(
        "Define defection for your business. The first two rules date a defection (they feed the rates, the monthly "
        "chart and the retention curves); the others flag customers who are still here but slipping away."
    )
    values: dict = {}
    for column, controls_in_column in zip(st.columns(2), DEFINITION_CONTROLS, strict=True):
        with column:
            for control in controls_in_column:
                values[control.field] = type(getattr(saved, control.field))(_draw(control, saved, available, values))
    return values


def _checked(saved: defection.Definition, values: dict, available: dict[str, bool]) -> defection.Definition:
    """The definition the values describe, with rules the data cannot support switched off; saved when invalid."""
    for control in (c for column in DEFINITION_CONTROLS for c in column):
        if control.kind == "toggle" and control.needs and not available.get(control.needs, False):
            values[control.field] = False
    try:
        return replace(saved, **values).validate()
    except ValueError as exc:
        st.error(f"{markdown_text(exc)}; the saved definition is used instead.", icon=":material/error:")
        return saved


def _valuation_from_state(saved: defection.Valuation, available: dict[str, bool]) -> defection.Valuation:
    """The valuation held in the page state (URL); BG/NBD only with a purchase-model fit, sBG only with a contract fit."""
    methods = defection.methods_available(available)
    values = _from_state(VALUATION_CONTROLS, saved)
    values["method"] = state.value("d_method", saved.method, state.TEXT, state.one_of(methods))
    try:
        return replace(saved, **values).validate()
    except (TypeError, ValueError):
        state.clear(list(VALUATION_NAMES))
        return saved


def valuation_editor(view: DefectionView) -> None:
    """Method, margin, years or horizon, and discount rate, in one row (their values are read at the top)."""
    saved = view.saved_valuation
    methods = defection.methods_available(view.available)
    cols = st.columns(3)
    with cols[0]:
        method = state.choice(
            st.radio,
            "Lifetime value",
            "d_method",
            methods,
            saved.method,
            format_func=defection.METHOD_LABELS.get,
        )
    shown = {"simple": ("d_years", "d_discount"), "bgnbd": ("d_horizon", "d_discount"), "sbg": ("d_horizon", "d_discount")}[
        method
    ]
    controls_shown = [c for name in shown for c in VALUATION_CONTROLS if c.name == name]
    for column, control in zip(cols[1:], controls_shown, strict=True):
        with column:
            _draw(control, saved, view.available, {})


@guarded("Save bar")
def save_bar(ctx: PageContext, view: DefectionView) -> None:
    """Save the definition and valuation shown as the dataset's own, or go back to the saved ones."""
    if ctx.presenting or not auth.can(Action.EDIT):
        return
    definition, valuation = view.spec.definition, view.spec.valuation
    changed = definition != view.saved_definition or valuation != view.saved_valuation
    if not changed:
        return
    st.caption(
        ":material/edit_note: **Unsaved changes:** this page shows them; What-if and the Story keep using the dataset's "
        "saved definition and valuation until you save."
    )
    left, right, _ = st.columns([3, 3, 2])
    label = "Save this definition for the dataset"
    hint = "Stored with the dataset: everyone who opens it sees it."
    saved = (definition.to_setting(), valuation_setting(valuation, view.money))
    left.button(label, icon=":material/save:", key="d_save", help=hint, on_click=_save_definition, args=(ctx, *saved))
    right.button(
        "Back to the saved definition",
        icon=":material/undo:",
        key="d_revert",
        on_click=state.clear,
        args=(list(DEFINITION_NAMES + VALUATION_NAMES),),
    )


@action("Save the definition")
def _save_definition(ctx: PageContext, definition: dict, valuation: dict) -> None:
    """The Save button's callback: store the definition and valuation shown (What-if and the Story read them through
    saved_money) and let the controls start from them again."""
    if settings.save_setting(ctx.store, ctx.dataset, DEFINITION_KEY, definition):
        settings.save_setting(ctx.store, ctx.dataset, VALUATION_KEY, valuation)
        state.clear(list(DEFINITION_NAMES + VALUATION_NAMES))


def valuation_setting(valuation: defection.Valuation, saved: SavedMoney) -> dict:
    """The valuation as stored: without the margin (the dataset's one margin) and without the years when they are the
    ones the data give (so they follow the data after the next publish)."""
    setting = valuation.to_setting()
    setting.pop("margin_pct", None)
    if valuation.years == saved.lifetime.years:
        setting.pop("years", None)
    return setting
