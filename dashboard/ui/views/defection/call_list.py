"""Who to call: the customers who match the definition, sorted, with the rule that fired and the money; CSV and Excel."""

from __future__ import annotations

import re
from dataclasses import replace

import pandas as pd
import streamlit as st

from dashboard.metrics.defection import status as defection
from dashboard.ui import report, state, widgets
from dashboard.ui.frame import PageContext
from dashboard.ui.sections import guarded
from dashboard.ui.views.defection.definition import (
    DefectionView,
)

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
