"""Overview sections: the KPI tiles and the monthly trend."""

from __future__ import annotations

import streamlit as st

from dashboard.charts import overview as overview_charts
from dashboard.metrics import compare, overview
from dashboard.ui import widgets
from dashboard.ui.frame import PageContext
from dashboard.ui.sections import guarded


@guarded("Headline figures")
def render_kpis(ctx: PageContext) -> None:
    """The eight KPI tiles for the active dataset and filters, each with its definition and its change against the
    comparison period."""
    kpis = ctx.metric(overview.kpis)
    changes = ctx.changes(overview.kpis, kpis, lower_is_better=compare.OVERVIEW_LOWER_IS_BETTER)
    widgets.kpi_tiles(kpis, ctx.number_format, changes=changes, comparison=ctx.comparison)
    ctx.show_definitions("kind", "prospect", "defected")


@guarded("Monthly trend")
def render_trend(ctx: PageContext, key: str = "overview_trend") -> None:
    """Revenue and contacts per month, or a note when the dataset has no events."""
    trend = ctx.metric(overview.monthly_trend)
    if trend.empty:
        st.info("No transactions or touchpoints in this dataset, so there is no monthly trend to draw.")
    else:
        widgets.chart(overview_charts.monthly_trend(trend, ctx.number_format), key=key)
