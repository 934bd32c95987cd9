"""The Sales funnel tab: leads to first orders within a conversion window, as one fragment (its window reruns only
the tab)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard.charts import funnel as charts
from dashboard.metrics import compare
from dashboard.metrics.funnel import counts as funnel
from dashboard.ui import state, widgets
from dashboard.ui.frame import PageContext
from dashboard.ui.sections import guarded
from dashboard.ui.views.funnel.common import heading_to_report, tiles_to_report

SALES_WINDOWS = (7, 14, 30, 60, 90, 180, 365)


@state.fragment
@guarded("Sales funnel")
def render_sales_funnel(ctx: PageContext) -> None:
    """Leads (prospects) to first orders within a conversion window, when the dataset has prospects."""
    if not ctx.version.has("transactions"):
        st.info(
            "The sales funnel needs transactions: without them nobody can be seen placing a first order.", icon=":material/info:"
        )
        return
    found = ctx.metric(funnel.has_prospects, None)
    if int(found.iloc[0]["prospects"]) == 0:
        st.info(
            "This dataset has no prospects (leads with a signup date and no purchase), so there is no sales funnel "
            "to draw. Customers rows without any transaction and with a signup (lead) date make one.",
            icon=":material/info:",
        )
        return
    window = state.widget(
        st.select_slider,
        "Conversion window (days from signing up to the first order)",
        "f_window",
        90,
        state.INT,
        valid=state.one_of(SALES_WINDOWS),
        options=list(SALES_WINDOWS),
    )
    spec = funnel.SalesSpec(ctx.filters, window)
    steps = ctx.metric(funnel.sales_funnel, spec)
    _sales_tiles(ctx, spec, steps)
    nf, attrs = ctx.number_format, steps.attrs
    left, right = st.columns(2)
    with left:
        widgets.chart(charts.sales_funnel_chart(steps, nf), key="f_sales_chart")
    with right:
        monthly = ctx.metric(funnel.sales_by_month, spec)
        widgets.chart(charts.sales_monthly(monthly, window, nf), key="f_sales_monthly")
    st.caption(
        f"{nf.number(attrs.get('open_leads', 0))} more leads signed up less than {window} days before the as-of date; "
        f"{nf.number(attrs.get('open_ordered', 0))} of them have already ordered. They are left out until their window closes."
    )


def _sales_tiles(ctx: PageContext, spec: funnel.SalesSpec, steps: pd.DataFrame) -> None:
    """The three headline tiles (leads, conversion, median days), against the comparison period where one is chosen."""
    attrs, nf, window = steps.attrs, ctx.number_format, spec.window_days
    earlier_spec = ctx.earlier(spec)
    changes = (
        {}
        if earlier_spec is None
        else compare.changes(
            funnel.sales_headline(steps),
            funnel.sales_headline(ctx.metric(funnel.sales_funnel, earlier_spec)),
            ctx.comparison,
            nf,
            lower_is_better=frozenset({"median_days"}),
            neutral=frozenset({"leads"}),
        )
    )
    median = attrs.get("median_days")
    tiles = (
        ("leads", "Leads with a closed window", nf.number(attrs.get("leads", int(steps.iloc[0]["customers"])))),
        ("conversion", f"Converted within {window} days", nf.pct(attrs.get("conversion"))),
        ("median_days", "Median days to first order", "—" if median is None else nf.number(median)),
    )
    helps = (
        steps.iloc[0]["definition"],
        "First orders within the window ÷ leads whose window had closed by the as-of date.",
        "Over the leads with a closed window who ordered.",
    )
    for col, (key, label, value), help_text in zip(st.columns(3), tiles, helps, strict=True):
        col.metric(label, value, help=help_text, border=True, **widgets.delta(changes.get(key)))
    if ctx.comparison.why_not:
        st.caption(ctx.comparison.why_not)
    heading_to_report("Sales funnel")
    tiles_to_report(
        [
            ("Leads with a closed window", nf.number(attrs.get("leads", 0)), steps.iloc[0]["definition"]),
            (f"Converted within {window} days", nf.pct(attrs.get("conversion")), "First orders within the window ÷ leads."),
            ("Median days to first order", tiles[2][2], "Over the leads who ordered."),
        ]
    )
