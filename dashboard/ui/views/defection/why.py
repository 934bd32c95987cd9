"""Who is leaving and why: defection by month and by group, reasons, complaints and their handling, and when each reason bites."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import formatting
from dashboard.access import Action
from dashboard.charts import defection as charts
from dashboard.charts import reasons_over_time as reason_charts
from dashboard.escape import markdown_text
from dashboard.metrics.defection import figures
from dashboard.metrics.defection import reasons as reasons_over_time
from dashboard.metrics.defection import sources as defection_sources
from dashboard.metrics.defection import status as defection
from dashboard.metrics.scope import as_date
from dashboard.ui import auth, settings, state, widgets
from dashboard.ui.frame import PageContext
from dashboard.ui.sections import action, guarded
from dashboard.ui.views.defection.definition import (
    SILENT_KEY,
    DefectionView,
    in_range,
)
from dashboard.ui.views.defection.headline import cannot_tell_who_left

BREAKDOWN_TITLES = {"segment": "By segment", "stage": "By relationship stage", "behaviours": "By perfect-customer behaviours"}


@guarded("Who is leaving")
def render_who_is_leaving(ctx: PageContext, view: DefectionView) -> None:
    """Defection by month, and by segment, relationship stage and number of perfect-customer behaviours."""
    st.header("Who is leaving", divider="gray")
    start, as_of = (as_date(view.fit[column]) for column in ("history_start", "as_of"))
    monthly = ctx.derived(
        figures.rates_by_month_from, defection.timeline, defection.timeline_spec(view.spec), start, as_of, view.spec.filters
    )
    if monthly.empty or monthly["defected"].sum() == 0:
        st.info(
            "No monthly chart: it needs dated defections (churn dates, or the no-purchase rule with transactions).",
            icon=":material/calendar_month:",
        )
    else:
        widgets.chart(charts.monthly_rates(monthly, ctx.number_format), key="d_chart_monthly")
    if not view.tells_defection:
        cannot_tell_who_left(ctx, "no breakdown by segment, stage or behaviours")
        return
    # the same call as What it costs makes (tells_defection is True here), so the breakdown is worked out once
    groups = ctx.derived(figures.breakdown_from, defection.summary, view.spec, view.spec, tells_defection=view.tells_defection)
    titles = list(BREAKDOWN_TITLES.values())
    for tab, dimension in zip(state.tabs(titles, "d_by"), BREAKDOWN_TITLES, strict=True):
        with tab:
            if not state.is_open(tab):  # only the open breakdown draws its chart
                continue
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
    reasons = ctx.derived(figures.reasons_from, defection.summary, view.spec)
    if reasons.empty:
        st.info("No churn reasons in this dataset: a churn_reason column shows why customers leave.")
    else:
        widgets.chart(charts.reasons_pareto(reasons), key="d_chart_pareto")
    if not view.available["complaints"]:
        st.info("No complaints in this dataset: touchpoints at the journey stage “complaint” show how handling drives defection.")
        return
    left, right = st.columns([1, 2])
    with left:
        silent = _silent_per_complaint(ctx)
    with right:
        _complaint_iceberg(ctx, view, silent)
    _defection_by_handling(ctx, view)


def _silent_per_complaint(ctx: PageContext) -> int:
    """The assumed silent customers per complaining one: its input (from the dataset's saved value) and, when changed
    by someone who may edit, the button that saves it."""
    saved_silent = settings.stored_int(
        ctx.store, ctx.dataset, SILENT_KEY, int(defection.SILENT_PER_COMPLAINT), 0, 1000, "silent customers per complaint"
    )
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
    return silent


def _complaint_iceberg(ctx: PageContext, view: DefectionView, silent: int) -> None:
    """Complainers in the selected months and, by the assumption, the customers behind them who said nothing."""
    counts = ctx.metric(defection.complaint_counts, view.spec.filters)
    complaints = figures.complaints_from(counts, view.summary, float(silent))
    row = complaints.iloc[0]
    nf = ctx.number_format
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


def _defection_by_handling(ctx: PageContext, view: DefectionView) -> None:
    """Defection rate by how the customers' complaints were handled (dated rules only), with the chance of leaving
    observed after a badly handled complaint."""
    spec, nf = view.spec, ctx.number_format
    if not view.tells_defection:
        cannot_tell_who_left(ctx, "no defection rate by how complaints were handled")
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
