"""Overview: where we stand, for the active dataset and filters."""

import streamlit as st

from dashboard.charts import overview as overview_charts
from dashboard.metrics import overview
from dashboard.ui import frame, widgets

ctx = frame.page("Overview", intro="Headline figures for the chosen dataset, segments, regions and months.")
widgets.kpi_tiles(ctx.metric(overview.kpis), ctx.number_format)
trend = ctx.metric(overview.monthly_trend)
if trend.empty:
    st.info("No transactions or touchpoints in this dataset, so there is no monthly trend to draw.")
else:
    widgets.chart(overview_charts.monthly_trend(trend, ctx.number_format), key="overview_trend")
