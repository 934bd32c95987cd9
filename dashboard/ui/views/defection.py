"""The Defection page's sections: who is leaving, why, what it costs, who to call, retention, data needs.

Each render function draws one section from a PageContext and the DefectionView that `controls` returns, so
the workshop Story page can reuse them: `view = controls(ctx)` then any `render_*(ctx, view)`.
"""

from __future__ import annotations

import re
from dataclasses import replace

import pandas as pd
import streamlit as st

from dashboard import formatting, staged
from dashboard.access import Action
from dashboard.charts import calibration as calibration_charts
from dashboard.charts import defection as charts
from dashboard.charts import reasons_over_time as reason_charts
from dashboard.escape import markdown_text
from dashboard.metrics import compare, money
from dashboard.metrics.defection import calibration, clv, figures
from dashboard.metrics.defection import reasons as reasons_over_time
from dashboard.metrics.defection import sources as defection_sources
from dashboard.metrics.defection import status as defection
from dashboard.ui import auth, report, settings, state, widgets
from dashboard.ui.frame import PageContext
from dashboard.ui.sections import action, guarded
from dashboard.ui.views.defection_controls import (
    SILENT_KEY,
    DefectionView,
    controls,
    in_range,
    save_bar,
    valuation_editor,
)

__all__ = [
    "controls",
    "render_at_risk_list",
    "render_data_needs",
    "render_headline",
    "render_model_check",
    "render_money_basis",
    "render_reasons_over_time",
    "render_retention",
    "render_what_it_costs",
    "render_who_is_leaving",
    "render_why",
    "save_bar",
]


@guarded("What the data supports")
def render_data_needs(ctx: PageContext, view: DefectionView) -> None:
    """What the page needs from the data, what this dataset has, and why a model was not fitted."""
    fit = view.fit
    if fit["problems"] and view.available["transactions"]:
        st.warning(
            "**No BG/NBD fit:** " + markdown_text("; ".join(fit["problems"])) + ". The probability-alive rule and the "
            "probabilistic lifetime value are off; the simple lifetime value still works.",
            icon=":material/warning:",
        )
    with st.expander("What this page needs from the data", icon=":material/checklist:"):
        frame = ctx.metric(defection.availability).copy()
        frame["available"] = frame["available"].map({True: "yes", False: "no"})
        widgets.table(
            frame[["label", "available", "detail"]],
            width="stretch",
            column_config={"label": "Need", "available": "In this dataset", "detail": "Detail"},
        )
        st.caption(
            f"BG/NBD and Gamma-Gamma are fitted at publish when the data has at least {clv.MIN_REPEAT_BUYERS} repeat "
            f"buyers over at least {clv.MIN_HISTORY_WEEKS:.0f} weeks; otherwise the page says so instead of fitting "
            "silently. A purchase is a day on which the customer's transactions add up to more than zero."
        )


@guarded("Defection headline")
def render_headline(ctx: PageContext, view: DefectionView) -> None:
    """The definition in words, the as-of day, the story in two or three sentences, and the KPI tiles."""
    spec = view.spec
    as_of = formatting.day(view.fit["as_of"])
    if as_of != "—":
        status = f"Status on {as_of}, the last day in the data"
    else:
        status = "Status as the data gives it today: it has no dates (map `churn_date`, or add transactions or touchpoints)"
    st.caption(f"**Defected or at risk when:** {markdown_text(spec.definition.describe())}. {status}.")
    ctx.show_definitions("kind", "defected", "at_risk")
    kpi_frame = ctx.derived(figures.kpis_from, defection.summary, spec, spec, tells_defection=view.tells_defection)
    story = figures.story(kpi_frame, ctx.derived(figures.reasons_from, defection.summary, spec), ctx.number_format)
    if story:
        st.info("  \n".join(markdown_text(line) for line in story), icon=":material/campaign:")
    if (page_report := report.current()) is not None:
        page_report.text(f"Defected or at risk when: {spec.definition.describe()}. {status}.", "Definition")
        if story:
            page_report.text(" ".join(story), "The story")
    widgets.kpi_tiles(kpi_frame, ctx.number_format, per_row=3, changes=_changes(ctx, view, kpi_frame), comparison=ctx.comparison)
    render_money_basis(ctx, view)


def _changes(ctx: PageContext, view: DefectionView, kpi_frame: pd.DataFrame) -> dict[str, compare.Change]:
    """The period tiles' change against the comparison period: the same definition over the earlier months."""
    earlier_spec = ctx.earlier(view.spec)
    if earlier_spec is None:
        return {}
    earlier = ctx.derived(figures.kpis_from, defection.summary, earlier_spec, earlier_spec, tells_defection=view.tells_defection)
    period = compare.DEFECTION_PERIOD_FIGURES
    return compare.changes(kpi_frame, earlier, ctx.comparison, ctx.number_format, lower_is_better=period, only=period)


def render_money_basis(ctx: PageContext, view: DefectionView) -> None:
    """Where the money figures come from: the margin and expected years with their sources, and the bound on revenue at
    risk (what the customers at risk could still bring in)."""
    if not view.available["transactions"]:
        return
    nf, valuation, saved = ctx.number_format, view.spec.valuation, view.money
    if valuation.method == "simple":
        years = f"{valuation.years:g} expected years ({saved.years_source(valuation.years)})"
    elif valuation.method == "sbg":
        years = f"a {valuation.horizon_years}-year horizon (contract retention, shifted-beta-geometric)"
    else:
        years = f"a {valuation.horizon_years}-year horizon (BG/NBD)"
    bound = ctx.derived(figures.risk_bound_from, defection.summary, view.spec).iloc[0]
    where = "" if ctx.presenting else "; set under Margin in the sidebar, shared with Funnel and What-if"
    line = f"{saved.margin.pct:g} % margin ({saved.margin.source()}{where}) and {years}."
    if bound["at_risk"]:
        line += (
            f" Revenue at risk ({nf.money(bound['revenue_at_risk'])}) is at most what the {nf.number(bound['at_risk'])} "
            f"customers at risk could still bring in: Σ chance of leaving × annual margin × min(expected years, "
            f"{money.MAX_YEARS:g}) = {nf.money(bound['bound'])}. Customers who have defected are never counted as at risk."
        )
    drop = view.drop_follow_up
    if view.spec.definition.drop and not view.available["bgnbd"]:
        observed = f" ({nf.pct(drop['observed'])})" if drop["observed"] is not None and pd.notna(drop["observed"]) else ""
        line += f" Chance of leaving after a drop (no BG/NBD fit): {drop['basis']}{observed}."
    st.caption("**Money basis:** " + markdown_text(line))
    if (page_report := report.current()) is not None:
        page_report.text(line, "Money basis")


BREAKDOWN_TITLES = {"segment": "By segment", "stage": "By relationship stage", "behaviours": "By perfect-customer behaviours"}


@guarded("Who is leaving")
def render_who_is_leaving(ctx: PageContext, view: DefectionView) -> None:
    """Defection by month, and by segment, relationship stage and number of perfect-customer behaviours."""
    st.header("Who is leaving", divider="gray")
    monthly = figures.rates_by_month_from(view.timeline, ctx.metric(defection.fit_summary), view.spec.filters)
    if monthly.empty or monthly["defected"].sum() == 0:
        st.info(
            "No monthly chart: it needs dated defections (churn dates, or the no-purchase rule with transactions).",
            icon=":material/calendar_month:",
        )
    else:
        widgets.chart(charts.monthly_rates(monthly, ctx.number_format), key="d_chart_monthly")
    if not view.tells_defection:
        _cannot_tell_who_left(ctx, "no breakdown by segment, stage or behaviours")
        return
    groups = ctx.derived(figures.breakdown_from, defection.summary, view.spec, view.spec)
    titles = list(BREAKDOWN_TITLES.values())
    for tab, dimension in zip(state.tabs(titles, "d_by"), BREAKDOWN_TITLES, strict=True):
        with tab:
            if dimension == "stage":
                st.caption(
                    f"Each customer's relationship stage on {formatting.day(view.stage_day)}, a year before the last day of "
                    f"the data, by the Funnel page's stage rules; “{defection_sources.NOT_YET}” joined after that day "
                    "(their stage today would only say that those who left are in the stage “defected”)."
                    if view.stage_day is not None
                    else "Each customer's stage as the data's stage column gives it today."
                )
            if (groups["dimension"] == dimension).any():
                widgets.chart(charts.rates_by_group(groups, dimension), key=f"d_chart_{dimension}")
            elif dimension == "stage":
                st.info("No relationship stage in this dataset: map a stage column (the Funnel page derives stages).")
            else:
                st.info("No perfect-customer behaviours in this dataset: b_ flag columns (see the Behaviours page).")


@action("Save the assumption")
def _save_silent(ctx: PageContext, silent: int) -> None:
    """The Save button's callback: the silent customers per complaint as the dataset's setting."""
    if settings.save_setting(ctx.store, ctx.dataset, SILENT_KEY, silent):
        state.clear(["d_silent"])


@guarded("Why they leave")
def render_why(ctx: PageContext, view: DefectionView) -> None:
    """Reasons as a Pareto chart, complaints and the silent customers behind them, defection by complaint handling."""
    st.header("Why they leave", divider="gray")
    spec = view.spec
    reasons = ctx.derived(figures.reasons_from, defection.summary, view.spec)
    if reasons.empty:
        st.info("No churn reasons in this dataset: a churn_reason column shows why customers leave.")
    else:
        widgets.chart(charts.reasons_pareto(reasons), key="d_chart_pareto")
    if not view.available["complaints"]:
        st.info("No complaints in this dataset: touchpoints at the journey stage “complaint” show how handling drives defection.")
        return
    saved_silent = settings.stored_int(
        ctx.store, ctx.dataset, SILENT_KEY, int(defection.SILENT_PER_COMPLAINT), 0, 1000, "silent customers per complaint"
    )
    left, right = st.columns([1, 2])
    with left:
        silent = state.widget(
            st.number_input,
            "Assumption: for every customer who complains, this many say nothing",
            "d_silent",
            saved_silent,
            state.INT,
            valid=in_range(0, 1000),
            min_value=0,
            max_value=1000,
            step=1,
            help="26 comes from Lee Resources International, quoted in the complaint article. It is an assumption, not "
            "a measurement: set it to what your own research says.",
        )
        editing = not ctx.presenting and auth.can(Action.EDIT) and silent != saved_silent
        if editing:
            st.button(
                "Save this assumption for the dataset",
                key="d_save_silent",
                icon=":material/save:",
                on_click=_save_silent,
                args=(ctx, int(silent)),
            )
    counts = ctx.metric(defection.complaint_counts, spec.filters)
    complaints = figures.complaints_from(counts, view.summary, float(silent))
    row = complaints.iloc[0]
    nf = ctx.number_format
    with right:
        st.markdown(
            f"**{nf.number(row['complainers'])}** customers complained in the selected months "
            f"({nf.number(row['complaints'])} complaint touchpoints). With **{silent:g}** silent customers for each "
            f"(an assumption), about **{nf.number(row['silent'])}** more had a problem and said nothing."
        )
        if row["capped"]:
            st.caption(
                f"{silent:g} for each complainer would be {nf.number(row['silent_uncapped'])}, more than the "
                f"{nf.number(row['customers'] - row['complainers'])} customers in scope who did not complain, so the "
                "figure stops there: silent customers are customers. The multiplier fits a business where few complain; "
                "set your own research's figure."
            )
        widgets.chart(charts.complaint_iceberg(complaints), key="d_chart_iceberg")
    if not view.tells_defection:
        _cannot_tell_who_left(ctx, "no defection rate by how complaints were handled")
    elif spec.definition.contract or spec.definition.lapse:
        widgets.chart(
            charts.defection_by_handling(ctx.derived(figures.handling_from, defection.summary, view.spec)), key="d_chart_handling"
        )
        follow = view.follow_up
        if follow["observed"] is not None and pd.notna(follow["observed"]):
            st.caption(
                f"Followed for a year: {markdown_text(follow['basis'])} ({nf.pct(follow['observed'])}). That share is the chance "
                "of leaving used for customers flagged only by the complaint rule."
            )


@guarded("When each reason bites")
def render_reasons_over_time(ctx: PageContext, view: DefectionView) -> None:
    """Cumulative incidence per churn reason by months since the customer started (competing risks)."""
    st.header("When each reason bites", divider="gray")
    filters = view.spec.filters
    curves = ctx.derived(reasons_over_time.curves_from, reasons_over_time.reason_counts, filters)
    seen = ctx.derived(reasons_over_time.coverage_from, reasons_over_time.reason_counts, filters).iloc[0]
    if curves.empty:
        st.info(
            "No dated defections with a start: this needs the day each customer left (a churn date, or purchases that "
            "lapse) and the day they started (a signup date or a first purchase).",
            icon=":material/timeline:",
        )
        return
    if int(seen["with_reason"]) == 0:
        st.info("No churn reasons on the dated defections: map a churn_reason (or churn_category) column.")
        return
    widgets.chart(reason_charts.cumulative_incidence(curves), key="d_chart_reasons_time")
    nf = ctx.number_format
    left_out = int(seen["left_out"])
    st.caption(
        f"Share of customers who had left for each reason k months after they started, of {nf.number(seen['customers'])} "
        f"customers ({nf.number(seen['defected'])} dated defections). Competing risks (Aalen-Johansen): a customer who "
        "left for one reason cannot leave for another, and one still here counts until the as-of day, so the lines add "
        "up to the share who have left for any reason. A steep early line is a reason that bites in the first months."
        + (
            f" {nf.number(left_out)} {'customer is' if left_out == 1 else 'customers are'} left out: no start date, or a "
            "defection without a date."
            if left_out
            else ""
        )
    )


@guarded("What it costs")
def render_what_it_costs(ctx: PageContext, view: DefectionView, *, editable: bool = True) -> None:
    """Lifetime value (method, margin, years, discount; their editor unless presenting or not editable) and what
    defection costs by reason and by segment."""
    st.header("What it costs", divider="gray")
    if not view.available["transactions"]:
        st.info("Lifetime value needs transactions (what customers spend); this dataset has none.", icon=":material/payments:")
        return
    if editable and not ctx.presenting:
        valuation_editor(view)
    spec, nf = view.spec, ctx.number_format
    valuation = spec.valuation
    ltv = ctx.derived(figures.lifetime_value_from, defection.summary, spec, valuation).iloc[0]
    saved = view.money
    if valuation.method == "simple":
        st.markdown(
            f"A current customer spends **{markdown_text(nf.money(ltv['annual_spend']))}** a year on average; at "
            f"{valuation.margin_pct:g} % margin ({markdown_text(saved.margin.source())}) over {valuation.years:g} years "
            f"({markdown_text(saved.years_source(valuation.years))}) that is "
            f"**{markdown_text(nf.money(ltv['undiscounted']))}** (undiscounted), "
            f"**{markdown_text(nf.money(ltv['discounted']))}** in "
            f"today's money at {valuation.discount_pct:g} % a year."
        )
    elif valuation.method == "sbg":
        _sbg_panel(ctx, view, ltv)
    else:
        _bgnbd_panel(ctx, view, ltv)
    own = ctx.metric(figures.company_lifetime_value)
    if not own.empty and own["customers"].iloc[0]:
        st.markdown(
            f"The company's own lifetime value (mapped from the customers file): "
            f"**{markdown_text(nf.money(own['mean'].iloc[0]))}** per current customer on average, "
            f"over {int(own['customers'].iloc[0]):,} customers."
        )
    by_reason = ctx.derived(figures.value_by_reason_from, defection.summary, spec, tells_defection=view.tells_defection)
    if not view.tells_defection and by_reason.empty:
        _cannot_tell_who_left(ctx, "no value lost or at risk by reason or segment")
        return
    left, right = st.columns(2)
    with left:
        if by_reason.empty:
            st.info("Nobody has left or is at risk under this definition.")
        else:
            widgets.chart(charts.value_by_reason(by_reason, nf), key="d_chart_value_reason")
    with right:
        by_segment = ctx.derived(figures.breakdown_from, defection.summary, spec, spec, tells_defection=view.tells_defection)
        if by_segment.empty:
            _cannot_tell_who_left(ctx, "no value by segment")
        else:
            widgets.chart(charts.value_by_segment(by_segment, nf), key="d_chart_value_segment")


def _cannot_tell_who_left(ctx: PageContext, what: str) -> None:
    """One line where the data cannot tell who left: what is not shown, and the staged sentence on what to map."""
    said = ctx.metric(staged.sentences, None)["defected"]
    st.info(f"{what[:1].upper()}{what[1:]}: {markdown_text(said)}", icon=":material/help:")


def _sbg_panel(ctx: PageContext, view: DefectionView, ltv: pd.Series) -> None:
    """The contract lifetime value and the sBG fit it comes from, pointing at its holdout check."""
    nf, valuation = ctx.number_format, view.spec.valuation
    model = ctx.metric(defection.contract_model, None)
    st.markdown(
        f"Expected lifetime value of a current customer over the next {valuation.horizon_years} years: annual spend "
        f"× {valuation.margin_pct:g} % margin × the renewals still expected after their tenure = "
        f"**{markdown_text(nf.money(ltv['undiscounted']))}** (undiscounted), "
        f"**{markdown_text(nf.money(ltv['discounted']))}** in today's money at {valuation.discount_pct:g} % a year."
    )
    st.caption(
        markdown_text(
            f"Shifted-beta-geometric retention fitted on every contract's tenure ({model.iloc[0]['describe']}): each "
            "customer renews every period with their own chance, spread as a Beta over customers, so the longer a "
            "customer has stayed the likelier they stay. Whether it predicts this data: see *Does the lifetime value "
            "predict?* below."
        )
    )


def _bgnbd_panel(ctx: PageContext, view: DefectionView, ltv: pd.Series) -> None:
    """The probabilistic lifetime value, the fitted parameters and the model's warnings."""
    fit, nf, valuation = view.fit, ctx.number_format, view.spec.valuation
    st.markdown(
        f"Expected lifetime value of a current customer over the next {valuation.horizon_years} years: "
        f"**{markdown_text(nf.money(ltv['undiscounted']))}** (undiscounted), **{markdown_text(nf.money(ltv['discounted']))}** in "
        f"today's money at {valuation.discount_pct:g} % a year; mean probability alive {markdown_text(nf.pct(ltv['p_alive']))}."
    )
    with st.expander("Model parameters (maximum likelihood, fitted at publish)", icon=":material/functions:"):
        params = pd.DataFrame(
            [
                ("BG/NBD", "r", fit["r"], "shape of the purchase rates across customers"),
                ("BG/NBD", "α", fit["alpha"], "scale of the purchase rates (weeks)"),
                ("BG/NBD", "a", fit["a"], "drop-out probability: Beta shape a"),
                ("BG/NBD", "b", fit["b"], "drop-out probability: Beta shape b"),
                ("BG/NBD", "log-likelihood", fit["log_likelihood"], f"{fit['buyers']:,.0f} buyers"),
                ("Gamma-Gamma", "p", fit["p"], "shape of the spend per purchase"),
                ("Gamma-Gamma", "q", fit["q"], "shape of the average spend across customers"),
                ("Gamma-Gamma", "γ", fit["gamma"], "scale of the average spend"),
            ],
            columns=["model", "parameter", "value", "meaning"],
        )
        value_format = {"value": st.column_config.NumberColumn(format="%.4g")}
        widgets.table(params, width="stretch", column_config=value_format)
    for warning in fit["warnings"]:
        st.warning(markdown_text(warning[0].upper() + warning[1:]) + ".", icon=":material/info:")


LIST_COLUMNS = {
    "customer_id": st.column_config.TextColumn("Customer"),
    "rules": st.column_config.TextColumn("Rule that fired", width="medium"),
    "revenue_at_risk": st.column_config.NumberColumn("Revenue at risk"),
    "value_if_retained": st.column_config.NumberColumn("Lifetime value"),
    "p_defect": st.column_config.NumberColumn("Chance of leaving (%)", format="%.0f"),
    "last_purchase": st.column_config.DateColumn("Last purchase", format="D MMM YYYY"),
    "days_since_purchase": st.column_config.NumberColumn("Days since", format="%d"),
    "baseline_rate": st.column_config.NumberColumn("Baseline / month", format="%.2f"),
    "recent_rate": st.column_config.NumberColumn("Recent / month", format="%.2f"),
    "p_alive": st.column_config.NumberColumn("P(alive) (%)", format="%.0f"),
    "segment": st.column_config.TextColumn("Segment"),
    "stage": st.column_config.TextColumn("Stage"),
    "status": st.column_config.TextColumn("Status"),
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


def export_frame(rows: pd.DataFrame) -> pd.DataFrame:
    """The at-risk list as downloaded: every column, with names that read in a spreadsheet."""
    return rows[list(EXPORT_NAMES)].rename(columns=EXPORT_NAMES)


@guarded("At-risk customers")
def render_at_risk_list(ctx: PageContext, view: DefectionView) -> None:
    """Who to call: the customers who match, with the rule that fired and the money; sortable; CSV and Excel export."""
    st.header("Who to call", divider="gray")
    left, right = st.columns(2)
    show_keys, sort_keys = list(defection.SHOWS), list(defection.SORTS)
    with left:
        show = state.choice(
            st.selectbox,
            "Customers",
            "d_show",
            show_keys,
            "at risk",
            format_func=defection.SHOWS.get,
        )
    with right:
        sort = state.choice(
            st.selectbox,
            "Sorted by",
            "d_sort",
            sort_keys,
            "revenue_at_risk",
            format_func=lambda key: defection.SORTS[key][0],
        )
    list_spec = defection.ListSpec(view.spec, show, sort)
    rows = ctx.metric(defection.at_risk_list, list_spec)
    if rows.empty:
        st.info("No customer matches the definition here.", icon=":material/check_circle:")
        return
    matches = int(rows["matches"].iloc[0])
    st.caption(
        f"{ctx.number_format.number(matches)} customers match; the first {min(matches, defection.LIST_LIMIT):,} are "
        "shown. Click a column heading to sort the table; the downloads hold every customer who matches."
    )
    table = rows[[c for c in LIST_COLUMNS if c in rows.columns]].assign(
        p_defect=rows["p_defect"] * 100, p_alive=rows["p_alive"] * 100
    )
    hidden = ["stage"] if view.spec.stage_source is None else []
    hidden += ["status"] if show != "all" else []
    hidden += ["churn_reason"] if show == "at risk" else []
    table = table.drop(columns=hidden)
    config = dict(LIST_COLUMNS)
    money = ctx.number_format.currency.replace("%", "%%") + "%,d"
    for column in ("value_if_retained", "revenue_at_risk"):
        config[column] = st.column_config.NumberColumn(config[column]["label"], format=money)
    widgets.table(table, width="stretch", column_config=config, key="d_list")
    if (page_report := report.current()) is not None:
        page_report.table(export_frame(rows), f"Who to call: {defection.SHOWS[show]}")
    store, version, everyone_spec = ctx.store, ctx.version, replace(list_spec, limit=None)

    def everyone() -> pd.DataFrame:
        with store.cursor() as cur:
            return export_frame(defection.at_risk_list(cur, version, everyone_spec))

    filename = re.sub(r"[^A-Za-z0-9_.-]+", "-", f"defection-{show}-{ctx.dataset}").strip("-")
    widgets.download_buttons(everyone, filename, key="d_download", label="Download the list as")


@guarded("Retention")
def render_retention(ctx: PageContext, view: DefectionView) -> None:
    """Retention curves by signup cohort (Kaplan-Meier), with the cohort size chosen."""
    st.header("Retention by signup cohort", divider="gray")
    units = list(figures.COHORT_UNITS)
    cohort = state.widget(
        st.segmented_control,
        "Cohorts of customers who joined in the same",
        "d_cohort",
        "year",
        state.TEXT,
        valid=state.one_of(units),
        value_arg="default",
        options=units,
        format_func=str.title,
        required=True,
    )
    if not view.tells_defection:
        _cannot_tell_who_left(ctx, "no retention curves")
        return
    curves = ctx.derived(figures.retention_from, defection.timeline, defection.timeline_spec(view.spec), cohort or "year")
    if curves.empty:
        st.info(
            "No retention curves: they need signup (or first-purchase) dates within the data and dated defections.",
            icon=":material/timeline:",
        )
        return
    widgets.chart(charts.retention_curves(curves), key="d_chart_retention")
    st.caption(
        "Share of each cohort not yet defected k months after joining (Kaplan-Meier: a customer still here on the as-of "
        "day counts until then). Customers who joined before the data starts are left out: their early months are not "
        "in the data."
    )


@guarded("Does the lifetime value predict?")
def render_model_check(ctx: PageContext, view: DefectionView) -> None:
    """The calibration-then-holdout checks of the lifetime-value models: fit on the earlier part, predicted against actual
    in the later part, with the mean absolute percentage error; one line why where the data cannot support one."""
    st.header("Does the lifetime value predict?", divider="gray")
    st.caption(
        "Each model is fitted on the earlier part of the data only and asked to predict the later part; the error is the "
        "mean absolute percentage error (MAPE) between predicted and actual over the later part. Small errors mean the "
        "model's lifetime value can be trusted on this data."
    )
    contract, purchases = st.columns(2)
    with contract:
        _model_check(ctx, calibration.sbg_check, "Contract model (shifted-beta-geometric)", "sbg")
    with purchases:
        _model_check(ctx, calibration.bgnbd_check, "Purchase model (BG/NBD)", "bgnbd")


def _model_check(ctx: PageContext, metric, title: str, key: str) -> None:
    """One model's check: the chart and the error, or one line why it cannot be made."""
    st.subheader(title)
    frame = ctx.metric(metric)
    first = frame.iloc[0]
    if first["problem"]:
        st.info(f"No check: {markdown_text(first['problem'])}.", icon=":material/rule:")
        return
    if key == "sbg":
        unit = "year" if str(first["fitted_on"]).startswith("year") else "month"
        widgets.chart(calibration_charts.survival_check(frame, unit), key="d_chart_check_sbg")
    else:
        widgets.chart(calibration_charts.purchases_check(frame), key="d_chart_check_bgnbd")
    st.metric(f"Error over {first['checked_on']} (MAPE)", f"{first['mape']:.1f} %")
    st.caption(markdown_text(f"Fitted on {first['fitted_on']}; {first['detail']}."))
