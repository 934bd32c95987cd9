"""The What-if's money: the headline figure kept in view with the sum in words, the waterfall and projection, and
retained revenue apart from the cost savings."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard.charts import whatif as charts
from dashboard.escape import markdown_text
from dashboard.metrics import whatif
from dashboard.ui import widgets
from dashboard.ui.frame import PageContext
from dashboard.ui.views.behaviours import BehaviourData
from dashboard.ui.views.whatif import preview
from dashboard.ui.views.whatif.lifetime import LifetimeValue

STICKY_KEY = "w_sticky"
STICKY_CSS = """
<style>
[data-testid="stLayoutWrapper"]:has(> .st-key-w_sticky) { position: sticky; top: %s; z-index: 990; }
.st-key-w_sticky { background: white; padding: 0.25rem 0 0.5rem 0; border-bottom: 1px solid #E5E7EB; }
.st-key-w_preview { display: none; }
.st-key-w_headline [data-testid="stMarkdownContainer"] p {
  font-size: 76px !important; font-weight: 600; line-height: 1.15; margin: 0; }
</style>
"""
"""The headline stays at the top of the screen while the sliders below it scroll (under Streamlit's header bar,
which presentation mode hides). Streamlit 1.67 wraps a keyed container in a stLayoutWrapper of the same height, so
the wrapper is what sticks. The figure's size is !important, as presentation mode's 1rem for Markdown paragraphs is."""


def headline(ctx: PageContext, frame: pd.DataFrame, base: float, proj: pd.DataFrame, years: int, drawn_ahead: dict) -> None:
    """The total annual savings as the largest figure on the page, kept in view while the sliders scroll, the sum in
    words under it, and the projection total; drawn_ahead is what the browser needs to redraw them as a slider moves
    (preview.data), mounted first so that it reaches the browser before the figures."""
    fmt = ctx.number_format
    total = whatif.total_saving(frame)
    moved = int((frame["change"] > 0).sum()) if len(frame) else 0
    cumulative = float(proj["cumulative"].max()) if len(proj) else 0.0
    st.html(STICKY_CSS % ("0" if ctx.presenting else "3.75rem"))
    with st.container(key=STICKY_KEY):
        preview.mount(drawn_ahead)
        figure_col, words_col = st.columns([3, 2], vertical_alignment="center")
        with figure_col:
            with st.container(key=preview.HEADLINE):
                st.markdown(f":{'green' if total > 0 else 'gray'}[{markdown_text(whatif.money_headline(total, fmt))}]")
            with st.container(key=preview.MOVED):
                st.markdown(preview.moved_caption(moved))
        with words_col:
            with st.container(key=preview.WORDS):
                st.markdown(f"**{preview.words(markdown_text(whatif.money_full(total, fmt)))}**")
            with st.container(key=preview.CUMULATIVE):
                st.caption(preview.cumulative_caption(years, markdown_text(whatif.money_full(cumulative, fmt))))
    _formula(ctx, frame, base)


def _formula(ctx: PageContext, frame: pd.DataFrame, base: float) -> None:
    """How the total adds up: one line per behaviour moved, each term precise enough to give its figure by hand."""
    lines = whatif.formula_lines(frame, base, ctx.number_format)
    with st.expander("How the total adds up", expanded=len(lines) <= 2, icon=":material/calculate:"):
        if lines:
            st.markdown("\n".join(f"- {markdown_text(line)}" for line in lines))
        else:
            st.markdown("Move a slider or pick a preset to see what closing the gap is worth.")
        st.caption(
            "Annual savings = customers × (target adoption − adoption today) × saving per adopting customer per year, "
            "to the whole unit of currency, summed over behaviours. Percentages are shown with as many decimals as it "
            "takes for each line to give its figure by hand."
        )


def figures(ctx: PageContext, frame: pd.DataFrame, proj: pd.DataFrame, ramp: int) -> None:
    """The waterfall by behaviour and the year-by-year projection, side by side; while nothing is saved (no slider above
    today's adoption, or no behaviour measured) one line says how to get them, not two empty charts."""
    if frame.empty:  # the page says above that no behaviour has a current adoption yet
        return
    if whatif.total_saving(frame) <= 0:
        st.info("Move a slider above today's adoption, or pick a preset, to see the savings by behaviour and year by year.")
        return
    left, right = st.columns(2)
    with left:
        widgets.chart(charts.waterfall(frame, ctx.number_format), key="w_waterfall")
    with right:
        widgets.chart(charts.projection(proj, ramp, ctx.number_format), key="w_projection")


def retained(
    ctx: PageContext,
    data: BehaviourData,
    frame: pd.DataFrame,
    ltv: float,
    ltv_default: LifetimeValue,
    *,
    stored_default: bool,
) -> None:
    """Retained revenue from the churn gap × lifetime value, shown apart from the cost savings."""
    fmt = ctx.number_format
    st.subheader("Retained revenue, apart from cost savings")
    if stored_default:
        st.caption(f"Lifetime value {markdown_text(fmt.money(ltv, 0))}: {markdown_text(ltv_default.source)}.")
    else:
        st.caption(f"Lifetime value entered here: {markdown_text(fmt.money(ltv, 0))}.")
    if not data.has_churn:
        st.info("This dataset does not say which customers left, so there is no churn gap to price.")
        return
    customers, revenue = whatif.total_retained(frame)
    left, right = st.columns(2)
    left.metric(
        "Customers kept",
        "—" if customers is None else fmt.number(customers),
        help="Sum over behaviours of customers moved × churn gap (churn without − churn with, over the selected period).",
        border=True,
    )
    right.metric(
        "Retained revenue",
        "—" if revenue is None else whatif.money_headline(revenue, fmt),
        help="Customers kept × lifetime value. Not a yearly figure and not part of the cost savings.",
        border=True,
    )
    _retained_table(ctx, frame)
    st.caption(
        "The churn gap is how much less often customers with the behaviour left during the period than those without "
        "it. It is an association, not proof that moving a customer keeps them; behaviours overlap, so the sum "
        "over behaviours counts some customers more than once. Read it as an upper bound."
    )


def _retained_table(ctx: PageContext, frame: pd.DataFrame) -> None:
    """Per behaviour moved: customers moved, churn gap, customers kept and retained revenue."""
    fmt = ctx.number_format
    moved = frame[frame["change"] > 0]
    if moved.empty:
        return
    widgets.table(
        pd.DataFrame(
            {
                "Behaviour": moved["behaviour"],
                "Customers moved": [fmt.number(v) for v in moved["customers_moved"]],
                "Churn gap": ["—" if pd.isna(g) else f"{fmt.number(g * 100, 2)} pts" for g in moved["churn_gap"]],
                "Customers kept": [fmt.number(v) for v in moved["retained_customers"]],
                "Retained revenue": [fmt.money(v, 0) for v in moved["retained_revenue"]],
            }
        ),
        width="stretch",
        key="w_retained_table",
    )
