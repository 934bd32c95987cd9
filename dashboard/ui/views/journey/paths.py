"""The Journey page's paths: the step-indexed Sankey with its controls and the top journey variants, drawn with the
drill-down as one fragment."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard.charts import journey as charts
from dashboard.metrics.journey import lanes as journey
from dashboard.metrics.journey import paths as journey_paths
from dashboard.metrics.journey.lanes import JourneySpec
from dashboard.metrics.journey.paths import NODE_KINDS, PathSpec
from dashboard.metrics.journey.prepare import MAX_STEPS
from dashboard.ui import report, state, widgets
from dashboard.ui.frame import PageContext
from dashboard.ui.sections import guarded
from dashboard.ui.views.journey import drill
from dashboard.ui.views.journey.controls import between, has_churn


def path_controls(ctx: PageContext, labels: pd.DataFrame) -> PathSpec:
    """Touchpoints per customer, what a node is, and links kept per step."""
    kinds = list(NODE_KINDS) if journey.has_stages(labels) else ["channel"]
    left, middle, right = st.columns(3)
    with left:
        steps = state.widget(
            st.slider,
            "Touchpoints per customer",
            "j_steps",
            5,
            state.INT,
            valid=between(2, MAX_STEPS),
            min_value=2,
            max_value=MAX_STEPS,
        )
    with middle:
        nodes = state.choice(
            st.radio,
            "Nodes by",
            "j_nodes",
            kinds,
            kinds[0],
            format_func=lambda k: NODE_KINDS[k],
            horizontal=True,
        )
    with right:
        top = state.widget(
            st.slider,
            "Links kept per step",
            "j_top",
            8,
            state.INT,
            valid=between(1, 30),
            min_value=1,
            max_value=30,
            help="The biggest links at each step; customers on the other links go to 'Other' and continue from there.",
        )
    return PathSpec(ctx.filters, int(steps), nodes, int(top))


@state.fragment
@guarded("Paths and drill-down")
def render_paths_and_drilldown(ctx: PageContext, spec: JourneySpec) -> None:
    """The Sankey, the variants and the drill-down as one fragment (the Paths tab): their controls (steps, nodes,
    links) rerun only this part, not the page's hotspots and tabs, which their controls do not change; the
    drill-down's own picks rerun only the drill-down (a fragment inside this one)."""
    report.fragment_part("journey_paths")
    drill.render_drilldown(ctx, spec, render_paths(ctx))


@guarded("Customer paths")
def render_paths(ctx: PageContext) -> PathSpec:
    """The Sankey of each customer's first N touchpoints and the top journey variants."""
    st.subheader("Paths", anchor=False)
    labels = ctx.metric(journey.labels)
    spec = path_controls(ctx, labels)
    frame = ctx.metric(journey_paths.sankey, spec)
    nodes = frame[frame["kind"] == "node"]
    if nodes.empty:
        st.info("No touchpoints for these filters.")
        return spec
    customers_n = int(nodes.loc[nodes["step"] == 1, "customers"].sum())
    if not (frame["kind"] == "link").any():
        st.info(
            f"No paths to draw: each of the {ctx.number_format.number(customers_n, 0)} customers has a single touchpoint "
            "in the period, and a path needs two. The variants below still count them."
        )
        variant_table(ctx, spec)
        return spec
    widgets.chart(charts.sankey(frame, spec.nodes, ctx.number_format), key="j_sankey")
    st.caption(
        f"**Counts customers**, not transitions: each of the {ctx.number_format.number(customers_n, 0)} customers with a "
        f"touchpoint in the period is one ribbon through their first {spec.steps} touchpoints (from their first one in "
        "the period; ties on time in file order). Nodes are numbered by step, so loops show (phone #1 → ivr #2 → phone #3); "
        f"a customer with fewer touchpoints stops early. The {spec.top_links} biggest links per step are kept; customers "
        "on the others go to **Other** and continue from there."
    )
    variant_table(ctx, spec)
    return spec


def variant_table(ctx: PageContext, spec: PathSpec) -> None:
    """Top journey variants with customers, share, median duration and churn, exportable."""
    st.markdown(f"**Top journey variants** (first {spec.steps} touchpoints, by {NODE_KINDS[spec.nodes].lower()})")
    frame = ctx.metric(journey_paths.variants, drill.variant_spec(spec))
    shown = frame.drop(columns=["codes"] if has_churn(ctx) else ["codes", "churn_rate"])  # unknown churn is not 0
    widgets.table(
        shown,
        width="stretch",
        column_config={
            "variant": st.column_config.TextColumn("Variant", width="large"),
            "touchpoints": st.column_config.NumberColumn("Steps", format="%d"),
            "customers": st.column_config.NumberColumn("Customers", format="localized"),
            "share": st.column_config.ProgressColumn("Share", format="percent", min_value=0.0, max_value=1.0),
            "median_days": st.column_config.NumberColumn("Median duration (days)", format="%.1f"),
            "churn_rate": st.column_config.NumberColumn("Churn rate", format="percent"),
        },
    )
    widgets.download_buttons(shown, "journey-variants", key="j_variants_dl", label="Variants")
