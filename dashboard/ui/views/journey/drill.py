"""The Journey page's drill-down: the customers behind a stage, a channel or a journey variant, and one customer's
timeline; a fragment of its own, so its picks rerun only this part."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard.charts import journey_service as charts
from dashboard.contract import JOURNEY_STAGES
from dashboard.escape import markdown_text
from dashboard.metrics import customers
from dashboard.metrics.journey import drill as journey_drill
from dashboard.metrics.journey import lanes as journey
from dashboard.metrics.journey import paths as journey_paths
from dashboard.metrics.journey.lanes import JourneySpec
from dashboard.metrics.journey.paths import PathSpec, VariantSpec
from dashboard.ui import report, state, widgets
from dashboard.ui.frame import PageContext
from dashboard.ui.sections import guarded
from dashboard.ui.views.journey.controls import has_churn

VARIANTS_SHOWN = 20
"""Journey variants listed under the Sankey and offered to drill into."""
PEOPLE_COLUMNS = {
    "customer_id": "Customer",
    "segment": "Segment",
    "region": "Region",
    "churned": st.column_config.CheckboxColumn("Churned"),
    "touchpoints": st.column_config.NumberColumn("Touchpoints", format="localized"),
    "first_ts": st.column_config.DatetimeColumn("First", format="D MMM YYYY"),
    "last_ts": st.column_config.DatetimeColumn("Last", format="D MMM YYYY"),
    "satisfaction": st.column_config.NumberColumn("Satisfaction", format="%.1f"),
    "effort": st.column_config.NumberColumn("Effort", format="%.1f"),
    "cost": st.column_config.NumberColumn("Cost", format="%.2f"),
}
"""How the drill-down's customer list shows each column."""


def variant_spec(spec: PathSpec) -> VariantSpec:
    """The variants listed under the Sankey and offered to drill into, for its steps and nodes."""
    return VariantSpec(spec.filters, spec.steps, spec.nodes, VARIANTS_SHOWN)


@state.fragment
@guarded("Drill-down")
def render_drilldown(ctx: PageContext, spec: JourneySpec, path_spec: PathSpec) -> None:
    """Choose a stage, channel or variant (bars show how many customers each has) and see the customers behind it."""
    report.fragment_part("journey_drill")
    st.subheader("Who is behind it", anchor=False)
    picked = _pick(ctx, spec, path_spec)
    if picked is None:
        st.info("Nothing to drill into for these filters.")
        return
    drill, shown_name = picked
    people = ctx.metric(journey_drill.customers_behind, drill)
    if people.empty:
        st.info("No customers behind it for these filters.")
        return
    total = int(people["total"].iloc[0])
    nf = ctx.number_format
    st.markdown(
        f"**{nf.number(total, 0)} customers** behind {markdown_text(shown_name)}"
        + (f"; the {len(people)} with most touchpoints there are listed." if total > len(people) else ".")
    )
    listed = people.drop(columns=["total"] if has_churn(ctx) else ["total", "churned"])  # unknown is not "not churned"
    widgets.table(listed, width="stretch", height=300, column_config=PEOPLE_COLUMNS)
    _timeline(ctx, listed["customer_id"].tolist())
    st.caption("Exports are formula-safe: text that starts with =, +, - or @ cannot run as a spreadsheet formula.")
    widgets.download_buttons(listed, "journey-customers", key="j_people_dl", label="Customers")
    _timelines_download(ctx, listed["customer_id"].tolist())


def _pick(ctx: PageContext, spec: JourneySpec, path_spec: PathSpec) -> tuple[journey_drill.DrillSpec, str] | None:
    """What to drill into (kind, then a stage, channel or variant, with bars of customers per stage or channel) as a
    DrillSpec and its shown name; None when there is nothing to choose from. A stage or channel does not depend on
    the Sankey's steps and nodes, so its spec leaves them at their defaults and stays cached when they change."""
    labels = ctx.metric(journey.labels)
    kinds = [k for k in journey_drill.DRILL_KINDS if k != "stage" or journey.has_stages(labels)]
    kind = state.choice(
        st.radio,
        "Drill into",
        "j_dkind",
        kinds,
        kinds[0],
        format_func=lambda k: journey_drill.DRILL_KINDS[k],
        horizontal=True,
    )
    if kind == "variant":
        variants = ctx.metric(journey_paths.variants, variant_spec(path_spec))
        names = dict(zip(variants["codes"], variants["variant"], strict=True))
    else:
        options = ctx.metric(journey_drill.options, spec)
        options = options[options["kind"] == kind]
        names = {label: label for label in options["label"]}
    if not names:
        return None
    values = list(names)
    value = state.choice(
        st.columns([1, 1] if kind == "variant" else [1, 2])[0].selectbox,
        "Variant" if kind == "variant" else journey_drill.DRILL_KINDS[kind],
        "j_dval",
        values,
        values[0],
        format_func=lambda v: names[v],
        help="The customers behind it are listed below, most touchpoints there first.",
    )
    if kind != "variant":
        widgets.chart(charts.drill_bars(options, kind, value), key=f"j_drill_bars_{kind}")
        return journey_drill.DrillSpec(path_spec.filters, kind, value), names[value]
    drill = journey_drill.DrillSpec(path_spec.filters, kind, value, path_spec.steps, path_spec.nodes)
    return drill, names[value]


def _timeline(ctx: PageContext, ids: list[str]) -> None:
    """One listed customer's timeline (the first listed until another is picked), as a chart and a table."""
    chosen = state.choice(st.columns([1, 2])[0].selectbox, "Customer timeline", "j_cust", ids, ids[0])
    events = ctx.metric(customers.timeline, customers.TimelineSpec((chosen,)))
    widgets.chart(charts.timeline(events, list(JOURNEY_STAGES.labels)), key="j_timeline")
    with st.expander(f"Timeline of {markdown_text(chosen)} as a table"):
        widgets.table(events, width="stretch")


def _timelines_download(ctx: PageContext, ids: list[str]) -> None:
    """Download buttons for every listed customer's timeline, read only when a button is clicked."""
    spec_all = customers.TimelineSpec(tuple(ids))

    def timelines() -> pd.DataFrame:
        with ctx.store.cursor() as cur:
            return customers.timeline(cur, ctx.version, spec_all)

    widgets.download_buttons(timelines, "journey-customer-timelines", key="j_timelines_dl", label="Their timelines")
