"""What defection costs: the lifetime value (simple, BG/NBD or contract) and the value lost or at risk by reason and segment."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard.charts import defection as charts
from dashboard.escape import markdown_text
from dashboard.metrics.defection import figures
from dashboard.metrics.defection import status as defection
from dashboard.ui import widgets
from dashboard.ui.frame import PageContext
from dashboard.ui.sections import guarded
from dashboard.ui.views.defection.definition import (
    DefectionView,
    valuation_editor,
)
from dashboard.ui.views.defection.headline import cannot_tell_who_left


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
        cannot_tell_who_left(ctx, "no value lost or at risk by reason or segment")
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
            cannot_tell_who_left(ctx, "no value by segment")
        else:
            widgets.chart(charts.value_by_segment(by_segment, nf), key="d_chart_value_segment")


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
