"""The Defection page's sections: the definition, who is leaving, why, what it costs, who to call, retention.

Each render function draws one section from a PageContext and the DefectionSpec built by `controls`, so the
workshop Story page can reuse them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime

import pandas as pd
import streamlit as st

from dashboard.charts import defection as charts
from dashboard.metrics import defection
from dashboard.metrics.defection_prepare import HORIZON_YEARS
from dashboard.ui import state, widgets
from dashboard.ui.frame import PageContext

DEFINITION_KEY = "defection.definition"
VALUATION_KEY = "defection.valuation"
SILENT_KEY = "defection.silent_per_complaint"
LIFETIME_VALUE_KEY = "defection.lifetime_value"
"""Read by the What-if page as its default lifetime value: {"value", "method", "detail", "updated", "undiscounted"}."""

DEFINITION_NAMES = (
    "d_contract",
    "d_lapse",
    "d_days",
    "d_drop",
    "d_drop_pct",
    "d_recent",
    "d_base",
    "d_alive",
    "d_alive_pct",
    "d_complaint",
    "d_cdays",
    "d_sla",
)
VALUATION_NAMES = ("d_method", "d_margin", "d_years", "d_discount", "d_horizon")
VIEW_NAMES = ("d_silent", "d_show", "d_sort", "d_cohort")
ALL_NAMES = DEFINITION_NAMES + VALUATION_NAMES + VIEW_NAMES


@dataclass(frozen=True)
class DefectionView:
    """What the page's controls chose: the spec of every figure, and what the dataset can show."""

    spec: defection.DefectionSpec
    available: dict[str, bool]
    saved_definition: defection.Definition
    saved_valuation: defection.Valuation


_MARKDOWN_SPECIALS = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$])")


def escape(text: object) -> str:
    """Text from the data with Markdown characters escaped, so a label cannot become a link, image or heading."""
    return _MARKDOWN_SPECIALS.sub(r"\\\1", str(text))


def group_sources(ctx: PageContext) -> tuple[defection.SubQuery | None, defection.SubQuery | None]:
    """The per-customer (stage, behaviour count) subqueries the stage and behaviour breakdowns use.

    Wiring point: until the Funnel and Behaviours views are merged these are the fallbacks (the customers'
    stage column; the count of true b_ flags). Replace them with
    SubQuery(*stages.customer_stage_sql(version, model, as_of)) selecting (customer_id, stage) and
    SubQuery(*behaviours.customer_behaviours_sql(version, catalogue, filters)) reduced to (customer_id, behaviours).
    """
    return defection.fallback_stage_source(ctx.version), defection.fallback_behaviour_source(ctx.version)


# -- controls ------------------------------------------------------------------------------------


def _forget_other_dataset(ctx: PageContext) -> None:
    """Drop the page's choices when the dataset changed: each dataset has its own stored definition."""
    if st.session_state.get("_defection_dataset") not in (None, ctx.dataset):
        state.clear(list(ALL_NAMES))
    st.session_state["_defection_dataset"] = ctx.dataset


def controls(ctx: PageContext) -> DefectionView:
    """The definition editor (left out when presenting) and the spec every section reads."""
    _forget_other_dataset(ctx)
    available_frame = ctx.metric(defection.availability)
    available = dict(zip(available_frame["key"], available_frame["available"], strict=True))
    default = defection.default_definition(available_frame)
    saved = defection.Definition.from_setting(ctx.store.get_setting(ctx.dataset, DEFINITION_KEY), default)
    saved_valuation = defection.Valuation.from_setting(ctx.store.get_setting(ctx.dataset, VALUATION_KEY))
    if ctx.presenting:
        definition = _definition_from_state(saved)
    else:
        with st.expander("**Definition of a defected customer**", expanded=False, icon=":material/rule:"):
            definition = _definition_editor(saved, available)
    valuation = _valuation_from_state(saved_valuation)
    stage_source, behaviour_source = group_sources(ctx)
    spec = defection.DefectionSpec(ctx.filters, definition, valuation, stage_source, behaviour_source)
    return DefectionView(spec, available, saved, saved_valuation)


def _definition_from_state(saved: defection.Definition) -> defection.Definition:
    """The definition held in the page state (URL), without drawing widgets."""
    values = {
        "contract": state.value("d_contract", saved.contract, state.BOOL),
        "lapse": state.value("d_lapse", saved.lapse, state.BOOL),
        "lapse_days": state.value("d_days", saved.lapse_days, state.INT),
        "drop": state.value("d_drop", saved.drop, state.BOOL),
        "drop_pct": float(state.value("d_drop_pct", int(saved.drop_pct), state.INT)),
        "recent_months": state.value("d_recent", saved.recent_months, state.INT),
        "baseline_months": state.value("d_base", saved.baseline_months, state.INT),
        "alive": state.value("d_alive", saved.alive, state.BOOL),
        "alive_pct": float(state.value("d_alive_pct", int(saved.alive_pct), state.INT)),
        "complaint": state.value("d_complaint", saved.complaint, state.BOOL),
        "complaint_days": state.value("d_cdays", saved.complaint_days, state.INT),
        "sla_days": state.value("d_sla", saved.sla_days, state.FLOAT),
    }
    try:
        return replace(saved, **values).validate()
    except (TypeError, ValueError):
        state.clear(list(DEFINITION_NAMES))
        return saved


def _in(lo: float, hi: float) -> Callable[[float], float]:
    """A state validator keeping values between lo and hi (ValueError otherwise, so the default is used)."""

    def check(value: float) -> float:
        if not lo <= value <= hi:
            raise ValueError(value)
        return value

    return check


def _one_of(options: list[str]) -> Callable[[str], str]:
    """A state validator keeping only values among options."""

    def check(value: str) -> str:
        if value not in options:
            raise ValueError(value)
        return value

    return check


def _definition_editor(saved: defection.Definition, available: dict[str, bool]) -> defection.Definition:
    """Toggles and parameters of every rule; returns the definition they describe."""
    st.caption(
        "Define defection for your business. The first two rules date a defection (they feed the rates, the monthly "
        "chart and the retention curves); the others flag customers who are still here but slipping away."
    )
    no_tx = "" if available["transactions"] else " (needs transactions)"
    left, right = st.columns(2)
    with left:
        contract = state.widget(
            st.toggle,
            "Contract ended: churned flag or churn date",
            "d_contract",
            saved.contract,
            state.BOOL,
            disabled=not available["contract"],
            help="Contractual businesses: the customer cancelled. Needs a churned or churn_date column.",
        )
        lapse = state.widget(
            st.toggle,
            "No purchase for N days" + no_tx,
            "d_lapse",
            saved.lapse,
            state.BOOL,
            disabled=not available["transactions"],
            help="Non-contractual businesses: the customer is counted as gone N days after their last purchase.",
        )
        lapse_days = state.widget(
            st.number_input,
            "N: days without a purchase",
            "d_days",
            saved.lapse_days,
            state.INT,
            valid=_in(1, 3650),
            min_value=1,
            max_value=3650,
            step=10,
            disabled=not lapse,
        )
        complaint = state.widget(
            st.toggle,
            "Badly handled complaint" + ("" if available["complaints"] else " (needs complaint touchpoints)"),
            "d_complaint",
            saved.complaint,
            state.BOOL,
            disabled=not available["complaints"],
            help="A complaint in the last days (below) that took longer than the target to resolve, is still unresolved, "
            "or repeats one from the previous 30 days.",
        )
        c1, c2 = st.columns(2)
        complaint_days = state.widget(
            c1.number_input,
            "In the last days",
            "d_cdays",
            saved.complaint_days,
            state.INT,
            valid=_in(1, 730),
            min_value=1,
            max_value=730,
            step=15,
            disabled=not complaint,
        )
        sla_days = state.widget(
            c2.number_input,
            "Resolution target (days)",
            "d_sla",
            saved.sla_days,
            state.FLOAT,
            valid=_in(0, 365),
            min_value=0.0,
            max_value=365.0,
            step=1.0,
            disabled=not complaint,
        )
    with right:
        drop = state.widget(
            st.toggle,
            "Own-baseline drop" + no_tx,
            "d_drop",
            saved.drop,
            state.BOOL,
            disabled=not available["transactions"],
            help="The family that now eats elsewhere half the time: purchases per month in the recent "
            "window fall below X % of the customer's own rate in the baseline before it.",
        )
        drop_pct = state.widget(
            st.slider,
            "X: recent rate below this share of the baseline (%)",
            "d_drop_pct",
            int(saved.drop_pct),
            state.INT,
            valid=_in(5, 95),
            min_value=5,
            max_value=95,
            step=5,
            disabled=not drop,
        )
        c1, c2 = st.columns(2)
        recent = state.widget(
            c1.number_input,
            "Recent window (months)",
            "d_recent",
            saved.recent_months,
            state.INT,
            valid=_in(1, 12),
            min_value=1,
            max_value=12,
            step=1,
            disabled=not drop,
        )
        baseline = state.widget(
            c2.number_input,
            "Baseline before it (months)",
            "d_base",
            saved.baseline_months,
            state.INT,
            valid=_in(1, 24),
            min_value=1,
            max_value=24,
            step=1,
            disabled=not drop,
        )
        alive = state.widget(
            st.toggle,
            "Low probability alive (BG/NBD)" + ("" if available["bgnbd"] else " (no model fit: see data needs)"),
            "d_alive",
            saved.alive,
            state.BOOL,
            disabled=not available["bgnbd"],
            help="The BG/NBD model's probability that the customer is still buying from you, from their number of "
            "purchases, the time of the last one and how long we have known them.",
        )
        alive_pct = state.widget(
            st.slider,
            "Probability alive below (%)",
            "d_alive_pct",
            int(saved.alive_pct),
            state.INT,
            valid=_in(5, 95),
            min_value=5,
            max_value=95,
            step=5,
            disabled=not alive,
        )
    values = {
        "contract": contract and available["contract"],
        "lapse": lapse and available["transactions"],
        "lapse_days": int(lapse_days),
        "drop": drop and available["transactions"],
        "drop_pct": float(drop_pct),
        "recent_months": int(recent),
        "baseline_months": int(baseline),
        "alive": alive and available["bgnbd"],
        "alive_pct": float(alive_pct),
        "complaint": complaint and available["complaints"],
        "complaint_days": int(complaint_days),
        "sla_days": float(sla_days),
    }
    try:
        definition = replace(saved, **values).validate()
    except ValueError as exc:
        st.error(f"{exc}; the saved definition is used instead.", icon=":material/error:")
        definition = saved
    return definition


def _valuation_from_state(saved: defection.Valuation) -> defection.Valuation:
    """The valuation held in the page state (URL), without drawing widgets."""
    values = {
        "method": state.value("d_method", saved.method, state.TEXT),
        "margin_pct": state.value("d_margin", saved.margin_pct, state.FLOAT),
        "years": state.value("d_years", saved.years, state.FLOAT),
        "discount_pct": state.value("d_discount", saved.discount_pct, state.FLOAT),
        "horizon_years": state.value("d_horizon", saved.horizon_years, state.INT),
    }
    try:
        return replace(saved, **values).validate()
    except (TypeError, ValueError):
        state.clear(list(VALUATION_NAMES))
        return saved


def save_bar(ctx: PageContext, view: DefectionView) -> None:
    """Save the definition and valuation shown as the dataset's own, or go back to the saved ones."""
    if ctx.presenting:
        return
    definition, valuation = view.spec.definition, view.spec.valuation
    changed = definition != view.saved_definition or valuation != view.saved_valuation
    stored = ctx.store.get_setting(ctx.dataset, DEFINITION_KEY) is not None
    left, right, _ = st.columns([2, 2, 3])
    if changed or not stored:
        label = "Save this definition for the dataset" if changed else "Keep this definition for the dataset"
        if left.button(label, icon=":material/save:", key="d_save", help="Stored with the dataset: everyone opening it sees it."):
            ctx.store.set_setting(ctx.dataset, DEFINITION_KEY, definition.to_setting())
            ctx.store.set_setting(ctx.dataset, VALUATION_KEY, valuation.to_setting())
            state.clear(list(DEFINITION_NAMES + VALUATION_NAMES))
            st.rerun()
    if changed:
        right.button(
            "Back to the saved definition",
            icon=":material/undo:",
            key="d_revert",
            on_click=state.clear,
            args=(list(DEFINITION_NAMES + VALUATION_NAMES),),
        )


# -- sections --------------------------------------------------------------------------------------


def render_headline(ctx: PageContext, view: DefectionView) -> None:
    """The definition in words, the as-of day, the story in two or three sentences and the KPI tiles."""
    spec = view.spec
    fit = ctx.metric(defection.fit_summary).iloc[0]
    as_of = pd.Timestamp(fit["as_of"]).strftime("%d %b %Y") if pd.notna(fit["as_of"]) else "—"
    st.caption(f"**Defected or at risk when:** {spec.definition.describe()}. Status on {as_of}, the last day in the data.")
    kpi_frame = ctx.metric(defection.kpis, spec)
    reasons = ctx.metric(defection.reasons, spec)
    story = defection.defection_story(kpi_frame, reasons, ctx.number_format)
    if story:
        st.info("  \n".join(escape(line) for line in story), icon=":material/campaign:")
    widgets.kpi_tiles(kpi_frame, ctx.number_format, per_row=3)


def render_who_is_leaving(ctx: PageContext, view: DefectionView) -> None:
    """Defection by month, and by segment, stage and number of perfect-customer behaviours."""
    st.header("Who is leaving", divider="gray")
    spec = view.spec
    monthly = ctx.metric(defection.rates_by_month, spec)
    if monthly.empty or monthly["defected"].sum() == 0:
        st.info(
            "No monthly chart: it needs dated defections (churn dates, or the no-purchase rule with transactions).",
            icon=":material/calendar_month:",
        )
    else:
        widgets.chart(charts.monthly_rates(monthly, ctx.number_format), key="d_chart_monthly")
    groups = ctx.metric(defection.breakdown, spec)
    present = [d for d in defection.BREAKDOWNS if (groups["dimension"] == d).any()]
    titles = {"segment": "By segment", "stage": "By relationship stage", "behaviours": "By perfect-customer behaviours"}
    tabs = st.tabs([titles[d] for d in defection.BREAKDOWNS])
    for tab, dimension in zip(tabs, defection.BREAKDOWNS, strict=True):
        with tab:
            if dimension in present:
                widgets.chart(charts.rates_by_group(groups, dimension), key=f"d_chart_{dimension}")
            elif dimension == "stage":
                st.info("No relationship stage in this dataset (map a stage column, or see the Funnel page).")
            else:
                st.info("No perfect-customer behaviours in this dataset (b_ flag columns, or see the Behaviours page).")


def render_why(ctx: PageContext, view: DefectionView) -> None:
    """Reasons as a Pareto chart, complaints and the silent customers behind them, defection by complaint handling."""
    st.header("Why they leave", divider="gray")
    spec = view.spec
    reasons = ctx.metric(defection.reasons, spec)
    if reasons.empty:
        st.info("No churn reasons in this dataset: add a churn_reason column to see why customers leave.")
    else:
        widgets.chart(charts.reasons_pareto(reasons), key="d_chart_pareto")
    if not view.available["complaints"]:
        st.info("No complaints in this dataset: touchpoints at the journey stage “complaint” show how handling drives defection.")
        return
    saved_silent = float(ctx.store.get_setting(ctx.dataset, SILENT_KEY, defection.SILENT_PER_COMPLAINT))
    left, right = st.columns([1, 2])
    with left:
        silent = state.widget(
            st.number_input,
            "Assumption: for every customer who complains, this many say nothing",
            "d_silent",
            saved_silent,
            state.FLOAT,
            valid=_in(0, 1000),
            min_value=0.0,
            max_value=1000.0,
            step=1.0,
            help="26 comes from Lee Resources International, quoted in the complaint article. It is an assumption, not "
            "a measurement: change it to what your own research says.",
        )
        if not ctx.presenting and silent != saved_silent and st.button("Save this assumption", key="d_save_silent"):
            ctx.store.set_setting(ctx.dataset, SILENT_KEY, float(silent))
            st.rerun()
    complaint_frame = ctx.metric(defection.complaints, defection.ComplaintSpec(spec, float(silent)))
    summary = complaint_frame.iloc[0]
    with right:
        nf = ctx.number_format
        st.markdown(
            f"**{nf.number(summary['complainers'])}** customers complained in the selected months "
            f"({nf.number(summary['complaints'])} complaint touchpoints). With **{silent:g}** silent customers for each "
            f"(an assumption), about **{nf.number(summary['silent'])}** more had a problem and said nothing."
        )
        if summary["exceeds_customers"]:
            st.warning(
                f"That is more than the {nf.number(summary['customers'])} customers in scope: the multiplier does not fit "
                "this business or period. Lower it, or narrow the months.",
                icon=":material/warning:",
            )
    widgets.chart(
        charts.complaint_iceberg(ctx.metric(defection.complaints, defection.ComplaintSpec(spec, float(silent)))),
        key="d_chart_iceberg",
    )
    handling = ctx.metric(defection.defection_by_handling, spec)
    if not handling.empty and (spec.definition.contract or spec.definition.lapse):
        widgets.chart(charts.defection_by_handling(handling), key="d_chart_handling")


def render_what_it_costs(ctx: PageContext, view: DefectionView) -> DefectionView:
    """Lifetime value (method, margin, years, discount), what it costs by reason and segment; stores the value for What-if."""
    st.header("What it costs", divider="gray")
    saved = view.saved_valuation
    if not view.available["transactions"]:
        st.info("Lifetime value needs transactions (what customers spend); this dataset has none.", icon=":material/payments:")
        return view
    options = list(defection.METHODS) if view.available["bgnbd"] else ["simple"]
    valuation = view.spec.valuation
    if not ctx.presenting:
        cols = st.columns(4)
        method = state.widget(
            cols[0].radio,
            "Lifetime value",
            "d_method",
            saved.method if saved.method in options else "simple",
            state.TEXT,
            valid=_one_of(options),
            value_arg="index",
            to_arg=options.index,
            options=options,
            format_func=defection.METHOD_LABELS.get,
        )
        margin = state.widget(
            cols[1].number_input,
            "Margin (% of revenue)",
            "d_margin",
            saved.margin_pct,
            state.FLOAT,
            valid=_in(1, 100),
            min_value=1.0,
            max_value=100.0,
            step=1.0,
            help="100 % counts revenue; your gross margin counts profit.",
        )
        if method == "simple":
            years = state.widget(
                cols[2].number_input,
                "Expected years as a customer",
                "d_years",
                saved.years,
                state.FLOAT,
                valid=_in(0.5, 50),
                min_value=0.5,
                max_value=50.0,
                step=0.5,
            )
            horizon = valuation.horizon_years
        else:
            horizon = state.widget(
                cols[2].slider,
                "Horizon (years)",
                "d_horizon",
                saved.horizon_years,
                state.INT,
                valid=_in(1, HORIZON_YEARS),
                min_value=1,
                max_value=HORIZON_YEARS,
                step=1,
            )
            years = valuation.years
        discount = state.widget(
            cols[3].number_input,
            "Discount rate (% a year)",
            "d_discount",
            saved.discount_pct,
            state.FLOAT,
            valid=_in(0, 50),
            min_value=0.0,
            max_value=50.0,
            step=0.5,
        )
        try:
            valuation = defection.Valuation(method, float(margin), float(years), float(discount), int(horizon)).validate()
        except ValueError as exc:
            st.error(str(exc))
    if valuation.method not in options:
        valuation = replace(valuation, method="simple")
    view = replace(view, spec=replace(view.spec, valuation=valuation))
    spec = view.spec
    ltv = ctx.metric(defection.lifetime_value, spec).iloc[0]
    nf = ctx.number_format
    if valuation.method == "simple":
        implied = ctx.metric(defection.implied_years, spec).iloc[0]
        hint = (
            f" Your customers defect at {nf.pct(implied['annual_rate'])} a year, which implies about "
            f"{implied['years']:.1f} years."
            if implied["years"] is not None and pd.notna(implied["years"])
            else ""
        )
        st.markdown(
            f"A current customer spends **{nf.money(ltv['annual_spend'])}** a year on average; at {valuation.margin_pct:g} % "
            f"margin over {valuation.years:g} years that is **{nf.money(ltv['undiscounted'])}** (undiscounted), "
            f"**{nf.money(ltv['discounted'])}** today at {valuation.discount_pct:g} % a year.{hint}"
        )
    else:
        _bgnbd_panel(ctx, ltv, valuation)
    _store_lifetime_value(ctx, spec)
    by_reason = ctx.metric(defection.value_by_reason, spec)
    groups = ctx.metric(defection.breakdown, spec)
    left, right = st.columns(2)
    with left:
        if by_reason.empty:
            st.info("Nobody has left or is at risk under this definition.")
        else:
            widgets.chart(charts.value_by_reason(by_reason, nf), key="d_chart_value_reason")
    with right:
        widgets.chart(charts.value_by_segment(groups, nf), key="d_chart_value_segment")
    return view


def _bgnbd_panel(ctx: PageContext, ltv: pd.Series, valuation: defection.Valuation) -> None:
    fit = ctx.metric(defection.fit_summary).iloc[0]
    nf = ctx.number_format
    st.markdown(
        f"Expected lifetime value of a current customer over the next {valuation.horizon_years} years: "
        f"**{nf.money(ltv['undiscounted'])}** (undiscounted), **{nf.money(ltv['discounted'])}** today at "
        f"{valuation.discount_pct:g} % a year; mean probability alive {nf.pct(ltv['p_alive'])}."
    )
    with st.expander("Model parameters (maximum likelihood)", icon=":material/functions:"):
        params = pd.DataFrame(
            [
                ("BG/NBD", "r", fit["r"], "shape of purchase rates across customers"),
                ("BG/NBD", "α", fit["alpha"], "scale of purchase rates (weeks)"),
                ("BG/NBD", "a", fit["a"], "drop-out probability: Beta shape a"),
                ("BG/NBD", "b", fit["b"], "drop-out probability: Beta shape b"),
                ("BG/NBD", "log-likelihood", fit["log_likelihood"], f"{fit['buyers']:,.0f} buyers"),
                ("Gamma-Gamma", "p", fit["p"], "shape of spend per purchase"),
                ("Gamma-Gamma", "q", fit["q"], "shape of average spend across customers"),
                ("Gamma-Gamma", "γ", fit["gamma"], "scale of average spend"),
            ],
            columns=["model", "parameter", "value", "meaning"],
        )
        st.dataframe(
            params, hide_index=True, width="stretch", column_config={"value": st.column_config.NumberColumn(format="%.4g")}
        )
    for warning in fit["warnings"]:
        st.warning(escape(warning[0].upper() + warning[1:]) + ".", icon=":material/info:")


def _store_lifetime_value(ctx: PageContext, spec: defection.DefectionSpec) -> None:
    """Keep the whole dataset's lifetime value per customer for the What-if page (written only when it changed)."""
    whole = replace(spec, filters=type(spec.filters)())
    frame = ctx.metric(defection.lifetime_value, whole)
    value = defection.lifetime_value_setting(frame, datetime.now().replace(microsecond=0).isoformat())
    if value is None:
        return
    stored = ctx.store.get_setting(ctx.dataset, LIFETIME_VALUE_KEY)
    if stored and all(stored.get(k) == value[k] for k in ("value", "method", "detail")):
        return
    ctx.store.set_setting(ctx.dataset, LIFETIME_VALUE_KEY, value)


LIST_COLUMNS = {
    "customer_id": st.column_config.TextColumn("Customer"),
    "status": st.column_config.TextColumn("Status"),
    "rules": st.column_config.TextColumn("Rule that fired", width="medium"),
    "last_purchase": st.column_config.DateColumn("Last purchase", format="DD MMM YYYY"),
    "days_since_purchase": st.column_config.NumberColumn("Days since", format="%d"),
    "baseline_rate": st.column_config.NumberColumn("Baseline / month", format="%.2f"),
    "recent_rate": st.column_config.NumberColumn("Recent / month", format="%.2f"),
    "p_alive": st.column_config.ProgressColumn("P(alive)", format="percent", min_value=0.0, max_value=1.0),
    "p_defect": st.column_config.ProgressColumn("Chance of leaving", format="percent", min_value=0.0, max_value=1.0),
    "value_if_retained": st.column_config.NumberColumn("Lifetime value", format="localized"),
    "revenue_at_risk": st.column_config.NumberColumn("Revenue at risk", format="localized"),
    "segment": st.column_config.TextColumn("Segment"),
    "stage": st.column_config.TextColumn("Stage"),
    "churn_reason": st.column_config.TextColumn("Churn reason"),
}
EXPORT_NAMES = {
    "customer_id": "customer_id",
    "status": "status",
    "rules": "rules_fired",
    "main_reason": "main_reason",
    "last_purchase": "last_purchase",
    "days_since_purchase": "days_since_last_purchase",
    "baseline_rate": "baseline_purchases_per_month",
    "recent_rate": "recent_purchases_per_month",
    "p_alive": "probability_alive",
    "p_defect": "probability_of_defecting",
    "value_if_retained": "lifetime_value",
    "revenue_at_risk": "revenue_at_risk",
    "annual_spend": "annual_spend",
    "segment": "segment",
    "region": "region",
    "stage": "stage",
    "behaviours": "perfect_behaviours",
    "churn_date": "churn_date",
    "churn_reason": "churn_reason",
}


def render_at_risk_list(ctx: PageContext, view: DefectionView) -> None:
    """Who to call: the customers who match, with the rule that fired and the money; sortable; CSV and Excel export."""
    st.header("Who to call", divider="gray")
    left, right = st.columns(2)
    show_keys, sort_keys = list(defection.SHOWS), list(defection.SORTS)
    show = state.widget(
        left.selectbox,
        "Customers",
        "d_show",
        "at risk",
        state.TEXT,
        valid=_one_of(show_keys),
        value_arg="index",
        to_arg=show_keys.index,
        options=show_keys,
        format_func=defection.SHOWS.get,
    )
    sort = state.widget(
        right.selectbox,
        "Sorted by",
        "d_sort",
        "revenue_at_risk",
        state.TEXT,
        valid=_one_of(sort_keys),
        value_arg="index",
        to_arg=sort_keys.index,
        options=sort_keys,
        format_func=lambda k: defection.SORTS[k][0],
    )
    list_spec = defection.ListSpec(view.spec, show, sort)
    rows = ctx.metric(defection.at_risk_list, list_spec)
    if rows.empty:
        st.info("No customer matches the definition here.", icon=":material/check_circle:")
        return
    matches = int(rows["matches"].iloc[0])
    shown = min(matches, defection.LIST_LIMIT)
    st.caption(
        f"{ctx.number_format.number(matches)} customers match; the first {shown:,} are shown. Click a column to sort "
        "the table; the downloads hold every customer, with the definition in their name."
    )
    table = rows[[c for c in LIST_COLUMNS if c in rows.columns]]
    if view.spec.stage_source is None:
        table = table.drop(columns=["stage"])
    st.dataframe(table, hide_index=True, width="stretch", column_config=LIST_COLUMNS, key="d_list")
    store, version = ctx.store, ctx.version
    full_spec = replace(list_spec, limit=None)

    def everyone() -> pd.DataFrame:
        with store.cursor() as cur:
            frame = defection.at_risk_list(cur, version, full_spec)
        return frame[list(EXPORT_NAMES)].rename(columns=EXPORT_NAMES)

    widgets.download_buttons(
        everyone, f"defection-{show.replace(' ', '-')}-{ctx.dataset}", key="d_download", label="Download list"
    )


def render_retention(ctx: PageContext, view: DefectionView) -> None:
    """Retention curves by signup cohort (Kaplan-Meier), with the cohort size chosen."""
    st.header("Retention by signup cohort", divider="gray")
    units = list(defection.COHORT_UNITS)
    cohort = state.widget(
        st.segmented_control,
        "Cohorts of customers who joined in the same",
        "d_cohort",
        "year",
        state.TEXT,
        valid=_one_of(units),
        value_arg="default",
        options=units,
        format_func=str.title,
        required=True,
    )
    curves = ctx.metric(defection.retention, defection.RetentionSpec(view.spec, cohort or "year"))
    if curves.empty:
        st.info(
            "No retention curves: they need signup (or first-purchase) dates within the data and dated defections.",
            icon=":material/timeline:",
        )
        return
    widgets.chart(charts.retention_curves(curves), key="d_chart_retention")
    st.caption(
        "Share of each cohort not yet defected, k months after joining (Kaplan-Meier: customers still here on the "
        "as-of day count until then). Customers who joined before the data starts are left out."
    )


def render_data_needs(ctx: PageContext, view: DefectionView) -> None:
    """What the page needs from the data, what this dataset has, and the model's data warnings."""
    fit = ctx.metric(defection.fit_summary).iloc[0]
    if fit["problems"] and view.available["transactions"]:
        st.warning(
            "**No BG/NBD fit:** " + escape("; ".join(fit["problems"])) + ". The probability-alive rule and the "
            "probabilistic lifetime value are off; the simple lifetime value still works.",
            icon=":material/warning:",
        )
    with st.expander("What this page needs from the data", icon=":material/checklist:"):
        frame = ctx.metric(defection.availability).copy()
        frame["available"] = frame["available"].map({True: "yes", False: "no"})
        st.dataframe(
            frame[["label", "available", "detail"]],
            hide_index=True,
            width="stretch",
            column_config={"label": "Need", "available": "In this dataset", "detail": "Detail"},
        )
        st.caption(
            f"BG/NBD and Gamma-Gamma are fitted when the data has at least {defection.clv.MIN_REPEAT_BUYERS} repeat "
            f"buyers over at least {defection.clv.MIN_HISTORY_WEEKS:.0f} weeks; otherwise the page says so instead of "
            "fitting silently."
        )
