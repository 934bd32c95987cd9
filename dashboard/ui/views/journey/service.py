"""The Journey page's service part: service measure tiles and charts, what a contact is and how the SLA is judged,
and waiting and handling times."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard.charts import journey_service as charts
from dashboard.metrics import compare
from dashboard.metrics.journey import contacts as journey_contacts
from dashboard.metrics.journey import lanes as journey
from dashboard.metrics.journey import service as journey_service
from dashboard.metrics.journey.contacts import DEFAULT_WAIT_OVER_S, MAX_WAIT_OVER_S, WaitSpec
from dashboard.metrics.journey.lanes import JourneySpec
from dashboard.ui import state, widgets
from dashboard.ui.frame import PageContext
from dashboard.ui.sections import guarded
from dashboard.ui.views.journey.controls import between, has_churn


@guarded("Service")
def render_service_tab(ctx: PageContext, spec: JourneySpec) -> None:
    """The Service tab: the service and complaint measures, what a contact is and how SLAs were judged, and waiting
    and handling."""
    render_service(ctx, spec)
    render_contacts(ctx, spec)
    render_waits(ctx)


@guarded("Service and complaints")
def render_service(ctx: PageContext, spec: JourneySpec) -> None:
    """Service measures as tiles (each with its definition), then repeats by stage, resolution times, churn, switching."""
    st.subheader("Service", anchor=False)
    ctx.show_definitions("repeat", "resolved")
    table = ctx.metric(journey_service.measures, spec)
    nf = ctx.number_format
    changes = ctx.changes(
        journey_service.measures,
        table,
        spec,
        lower_is_better=compare.JOURNEY_LOWER_IS_BETTER,
        neutral=compare.JOURNEY_NEUTRAL,
        figure=_measure_figure,
    )
    first, second = table.iloc[:4], table.iloc[4:]
    for chunk in (first, second):
        for column, (_, row) in zip(st.columns(len(chunk)), chunk.iterrows(), strict=True):
            change = changes.get(row["key"])
            column.metric(row["label"], _measure_text(row, nf), help=_measure_help(row, nf), border=True, **widgets.delta(change))
    if ctx.comparison.why_not:
        st.caption(ctx.comparison.why_not)
    lanes = ctx.metric(journey.stage_lanes, spec)
    left, right = st.columns(2)
    with left:
        if lanes["repeat_rate"].notna().any():
            widgets.chart(charts.repeat_by_stage(lanes, nf, repeat_days=spec.repeat_days), key="j_repeat_chart")
        else:
            st.info("No repeat contacts to show: they need `reason` and customer-started contacts.")
    with right:
        days = ctx.metric(journey_service.resolution_days, spec)
        if days["day"].ge(0).any():
            subject = "complaints" if table.loc[table["key"] == "complaints", "label"].iloc[0] == "Complaints" else "cases"
            widgets.chart(charts.resolution_histogram(days, sla_days=spec.sla_days, subject=subject), key="j_sla_chart")
        else:
            st.info("No resolution times to show: they need complaints with `resolved_ts`.")
    left, right = st.columns(2)
    with left:
        groups = ctx.metric(journey_service.complaint_churn, spec) if has_churn(ctx) else None  # no query without churn
        if groups is not None and groups.loc[groups["group"] != "none", "customers"].sum():
            widgets.chart(charts.complaint_churn(groups, nf), key="j_churn_chart")
            st.caption(
                "Customers with a touchpoint in the period, by what happened to their complaints: all resolved at first "
                f"contact (resolved, no contact with the same reason within {spec.repeat_days} days), at least one not, "
                "or no complaint. Churned = defected, as the line under Service says."
            )
        else:
            st.info(
                "Churn after a complaint needs complaints (stage `complaint`) and a way to tell who left: map `churned` or "
                "`churn_date` in customers, or transactions with amounts."
            )
    with right:
        pairs = ctx.metric(journey_service.switches, spec)
        if len(pairs):
            widgets.chart(charts.switches(pairs, nf), key="j_switch_chart")
        else:
            st.info("No channel switches for these filters.")


@guarded("Contacts and promises")
def render_contacts(ctx: PageContext, spec: JourneySpec) -> None:
    """Two lines: what one contact is (several steps sharing a contact_id, or each touchpoint), and which rule judged
    each case of Within SLA (its on-time flag, its due date, or the fixed days) with how many cases each."""
    nf = ctx.number_format
    steps = ctx.metric(journey_contacts.steps, spec).iloc[0]
    if ctx.version.has("interactions", "contact_id"):
        st.caption(
            f"**Contacts:** {nf.number(steps['touchpoints'], 0)} touchpoints of known customers make "
            f"{nf.number(steps['contacts'], 0)} contacts (steps sharing a `contact_id`); first-contact resolution, "
            "repeats, switching and complaints count contacts, each at its first step."
        )
    else:
        st.caption(
            "**Contacts:** every touchpoint is a contact of its own; map a `contact_id` (a call or case ID) so the steps "
            "of one call (IVR, queue, agent) count once."
        )
    rules = ctx.metric(journey_contacts.sla_rules, spec).set_index("rule")["cases"]
    promised = int(rules.drop("days").sum())
    if not rules.sum():
        return
    if promised:
        parts = [f"{nf.number(rules[rule], 0)} by their own {rule}" for rule in rules.index if rule != "days" and rules[rule]]
        if rules["days"]:
            parts.append(f"{nf.number(rules['days'], 0)} without a promise by the fixed {spec.sla_days} days")
        st.caption("**Within SLA** judged " + ", ".join(parts) + ".")
    else:
        st.caption(
            f"**Within SLA** means resolved within {spec.sla_days} days for all {nf.number(rules['days'], 0)} cases: map "
            "`due_ts` (a due date) or `on_time` (an on-time flag) to judge each case by its own promise."
        )


@guarded("Waiting and handling")
def render_waits(ctx: PageContext) -> None:
    """Wait, handling and abandonment tiles where the data has them; one line naming what is missing where not."""
    needs = ("wait_s", "handle_s", "abandoned")
    if not any(ctx.version.has("interactions", c) for c in needs):
        st.caption(
            "**Waiting and handling times** need `wait_s`, `handle_s` or `abandoned` (a call log's Queue Time, Talk "
            "Time, Abandoned): not in this dataset."
        )
        return
    st.markdown("**Waiting and handling**")
    over = state.widget(
        st.columns([1, 3])[0].number_input,
        "Long wait (seconds)",
        "j_wait_over",
        DEFAULT_WAIT_OVER_S,
        state.INT,
        valid=between(1, MAX_WAIT_OVER_S),
        min_value=1,
        max_value=MAX_WAIT_OVER_S,
        step=10,
        help="A touchpoint that waited longer than this counts in 'Waited over'.",
    )
    table = ctx.metric(journey_contacts.waits, WaitSpec(ctx.filters, int(over)))
    nf = ctx.number_format
    for column, (_, row) in zip(st.columns(len(table)), table.iterrows(), strict=True):
        column.metric(row["label"], _measure_text(row, nf), help=_measure_help(row, nf), border=True)
    missing = sorted({row.needs for row in table.itertuples() if not row.available})
    if missing:
        st.caption("Not in this dataset: " + ", ".join(f"`{c}`" for c in missing) + ", so the tiles that need it show —.")


def _measure_figure(row: pd.Series) -> object:
    """The number a service tile shows: the count of unresolved complaints, every other measure's value."""
    if not row["available"]:
        return None
    return row["numerator"] if row["key"] == "unresolved" else row["value"]


def _measure_text(row: pd.Series, nf) -> str:
    """A service or wait tile's figure in its kind's unit: a share, days, seconds (minutes from two), or a count."""
    value = row["value"]
    if value is None or pd.isna(value):
        return "—"
    if row["kind"] == "pct":
        return nf.pct(value, 1)
    if row["kind"] == "days":
        return f"{nf.number(value, 1)} days"
    if row["kind"] == "seconds":
        return f"{nf.number(value, 0)} s" if value < 120 else f"{nf.number(value / 60, 1)} min"
    if row["key"] == "unresolved":
        return nf.number(row["numerator"], 0)
    return nf.number(value, 0)


def _measure_help(row: pd.Series, nf) -> str:
    text = row["definition"]
    if row["denominator"] is not None and pd.notna(row["denominator"]):
        text += f" Here: {nf.number(row['numerator'], 0)} of {nf.number(row['denominator'], 0)}."
    if not row["available"]:
        text += " Not in this dataset: its files do not provide the columns this needs."
    return text
