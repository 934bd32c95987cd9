"""Retention by signup cohort, and whether the lifetime-value models predict (their holdout checks)."""

from __future__ import annotations

import streamlit as st

from dashboard.charts import calibration as calibration_charts
from dashboard.charts import defection as charts
from dashboard.escape import markdown_text
from dashboard.metrics.defection import calibration, figures
from dashboard.metrics.defection import status as defection
from dashboard.ui import state, widgets
from dashboard.ui.frame import PageContext
from dashboard.ui.sections import guarded
from dashboard.ui.views.defection.definition import (
    DefectionView,
)
from dashboard.ui.views.defection.headline import cannot_tell_who_left


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
        cannot_tell_who_left(ctx, "no retention curves")
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
def render_model_check(ctx: PageContext) -> None:
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
