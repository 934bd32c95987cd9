"""Sections of the Journey page: controls, hotspots, journey map, service measures, heatmap, paths, drill-down."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd
import streamlit as st

from dashboard import staged
from dashboard.access import Action
from dashboard.charts import journey as charts
from dashboard.contract import JOURNEY_STAGES
from dashboard.escape import markdown_text
from dashboard.metrics import compare, customers
from dashboard.metrics.journey import contacts as journey_contacts
from dashboard.metrics.journey import drill as journey_drill
from dashboard.metrics.journey import lanes as journey
from dashboard.metrics.journey import paths as journey_paths
from dashboard.metrics.journey import service as journey_service
from dashboard.metrics.journey.contacts import DEFAULT_WAIT_OVER_S, MAX_WAIT_OVER_S, WaitSpec
from dashboard.metrics.journey.lanes import HEATMAP_METRICS, JourneySpec
from dashboard.metrics.journey.paths import NODE_KINDS, PathSpec, VariantSpec
from dashboard.metrics.journey.prepare import MAX_STEPS, MAX_WINDOW_DAYS
from dashboard.ui import auth, data, report, settings, state, widgets
from dashboard.ui.frame import PageContext
from dashboard.ui.sections import action, guarded

SLA_KEY = "journey.sla_days"
SAVED_DAYS = {SLA_KEY: (journey.DEFAULT_SLA_DAYS, "complaint SLA")}
"""Per saved window: its default (days) and what it is called in a notice."""
NEEDED = (
    "**customer_id**, **ts** and **channel** (required), and for the full picture **stage** (journey stage), "
    "**reason**, **initiated_by**, **resolved**, **resolved_ts**, **satisfaction**, **effort** and **cost**"
)


def _between(low: int, high: int):
    """A validator keeping a whole number from low to high (ValueError otherwise)."""

    def check(value: int) -> int:
        if not low <= int(value) <= high:
            raise ValueError(value)
        return int(value)

    return check


@guarded("Touchpoint check")
def has_touchpoints(ctx: PageContext) -> bool:
    """Whether the dataset has touchpoints; when not, say what to upload and which columns matter."""
    if ctx.version is not None and ctx.version.has("interactions"):
        return True
    st.info(
        "**This dataset has no touchpoints**, so there is no journey to draw. Upload an interactions file "
        f"(one row per touchpoint) with {NEEDED}.",
        icon=":material/route:",
    )
    return False


@guarded("Missing-columns notice")
def missing_notice(ctx: PageContext) -> None:
    """Name the lanes and measures the dataset's missing optional columns leave out."""
    missing = journey.missing_columns(ctx.version)
    if missing:
        items = "\n".join(f"- no `{column}`: {what}" for what, column in missing)
        st.warning(f"Shown without what these missing interactions columns would add:\n{items}", icon=":material/info:")


def saved_days(ctx: PageContext, key: str) -> int:
    """The dataset's saved SLA in days (key SLA_KEY); the default when none is saved or the saved one cannot be read."""
    default, what = SAVED_DAYS[key]
    return settings.stored_int(ctx.store, ctx.dataset, key, default, 1, MAX_WINDOW_DAYS, what)


def _days_widget(ctx: PageContext, label: str, name: str, key: str | None, default: int, help_text: str, column) -> int:
    saved = saved_days(ctx, key) if key else default
    with column:
        value = state.widget(
            st.number_input,
            label,
            name,
            saved,
            state.INT,
            valid=_between(1, MAX_WINDOW_DAYS),
            min_value=1,
            max_value=MAX_WINDOW_DAYS,
            step=1,
            help=help_text,
        )
    return int(value)


def saved_repeat_days(ctx: PageContext) -> int:
    """The dataset's repeat window: its staged repeat definition (the default before a dataset has one)."""
    definitions = staged.current(ctx.store, ctx.dataset)
    return definitions.fcr_days if definitions is not None else journey.DEFAULT_REPEAT_DAYS


@guarded("Journey controls")
def controls(ctx: PageContext) -> JourneySpec:
    """The repeat window and SLA (days), kept in the URL, with a button saving them as the dataset's defaults: the
    repeat window is the dataset's staged repeat definition, so saving it re-stages the dataset."""
    left, middle, right = st.columns([1, 1, 2], vertical_alignment="bottom")
    staged_days = saved_repeat_days(ctx)
    repeat_days = _days_widget(
        ctx,
        "Repeat window (days)",
        "j_repeat",
        None,
        staged_days,
        "A contact is repeated when the same customer contacts again with the same reason within this many days. "
        "Drives first-contact resolution, repeat contacts, channel switching and the pain points.",
        left,
    )
    sla_days = _days_widget(
        ctx,
        "Complaint SLA (days)",
        "j_sla",
        SLA_KEY,
        journey.DEFAULT_SLA_DAYS,
        "A complaint is inside the SLA when it is resolved within this many days of being made.",
        middle,
    )
    saved = (staged_days, saved_days(ctx, SLA_KEY))
    changed = not ctx.presenting and auth.can(Action.EDIT) and (repeat_days, sla_days) != saved
    if changed:
        right.button(
            "Save as this dataset's defaults",
            icon=":material/save:",
            key="j_save_defaults",
            on_click=_save_windows,
            args=(ctx, repeat_days, sla_days),
        )
    return JourneySpec(ctx.filters, repeat_days, sla_days)


@action("Save the windows")
def _save_windows(ctx: PageContext, repeat_days: int, sla_days: int) -> None:
    """The Save button's callback: the SLA as the dataset's setting and, when it changed, the repeat window as its
    staged repeat definition (which re-stages the dataset)."""
    if not settings.save_setting(ctx.store, ctx.dataset, SLA_KEY, sla_days):
        return
    definitions = staged.current(ctx.store, ctx.dataset)
    if definitions is not None and repeat_days != definitions.fcr_days:
        with st.spinner("Re-staging the dataset with the new repeat window…"):
            staged.restage(ctx.store, ctx.dataset, replace(definitions, fcr_days=repeat_days))
        data.clear_caches()
    st.toast("Saved: everyone opening this dataset starts from these windows.")


@guarded("Hotspots")
def render_hotspots(ctx: PageContext, spec: JourneySpec) -> None:
    """Four tiles naming where the experience breaks: lowest satisfaction, highest effort, most repeats, most SLA
    breaches; each also names the next worst stage, so a stage that is worst on every measure leaves them something
    to say."""
    lanes = ctx.metric(journey.stage_lanes, spec)
    spots = journey.hotspots(lanes, spec.min_base)
    nf = ctx.number_format
    named = [s for s in spots["stage"] if s is not None]
    if len(named) > 1 and len(set(named)) == 1:
        st.markdown(
            f"**{markdown_text(named[0])}** is the worst stage on every measure below; each tile also names the next worst."
        )
    for column, spot in zip(st.columns(len(spots)), spots.itertuples(index=False), strict=True):
        with column.container(border=True, height="stretch"):
            why = f"Worst journey stage with at least {spec.min_base} behind it. " + _hotspot_help(spot.key, spec)
            st.caption(spot.label, help=why)
            if spot.stage is None:
                st.markdown("#### —")
                st.caption("Not enough ratings, contacts or cases for these filters, or not in this dataset.")
                continue
            st.markdown(f"#### :red[{markdown_text(spot.stage)}]")
            unit = " / 5" if spot.key in ("satisfaction", "effort") and spot.value <= 5 else ""
            overall = _spot_value(spot.key, spot.overall, nf)
            st.markdown(f"**{_spot_value(spot.key, spot.value, nf)}**{unit} · all stages {overall}")
            if isinstance(spot.runner_up, str):
                st.markdown(f"Next worst: **{markdown_text(spot.runner_up)}** {_spot_value(spot.key, spot.runner_up_value, nf)}")
            else:
                st.caption(f"No other stage has {spec.min_base} or more behind it to compare.")


def _spot_value(key: str, value: float | None, nf) -> str:
    """A hotspot's figure: a mean score to one decimal, a rate as a whole percentage."""
    return nf.number(value, 1) if key in ("satisfaction", "effort") else nf.pct(value, 0)


def _hotspot_help(key: str, spec: JourneySpec) -> str:
    return {
        "satisfaction": "Mean satisfaction of the stage's rated touchpoints.",
        "effort": "Mean effort score of the stage's rated touchpoints (higher is harder).",
        "repeat_rate": f"Customer-started contacts followed by another with the same reason within {spec.repeat_days} days.",
        "sla_breach_share": f"Cases not resolved within {spec.sla_days} days (unresolved included), of cases opened.",
    }[key]


@guarded("Journey map")
def render_journey_map(ctx: PageContext, spec: JourneySpec) -> None:
    """The computed journey map: a column per stage, lanes underneath."""
    labels = ctx.metric(journey.labels)
    st.subheader("Journey map", anchor=False)
    if not journey.has_stages(labels):
        st.info("The touchpoints carry no journey stage (`stage`), so there is no map by stage; paths by channel work below.")
        return
    lanes = ctx.metric(journey.stage_lanes, spec)
    if lanes.empty:
        st.info("No touchpoints for these filters.")
        return
    st.caption(
        "One column per journey stage. **Touchpoints** and customers with one; **channel mix** of the stage's "
        "touchpoints; the **emotion line**: mean satisfaction (green ≥ 3.75, amber, red < 3) and mean effort (dashed, "
        "higher is harder) of rated touchpoints; **median time** from entering a stage to the next stage; **cost per "
        f"contact**; the **top pain point**: the worst of low satisfaction, repeat contacts (within {spec.repeat_days} "
        f"days) and SLA breaches ({spec.sla_days} days), with at least {spec.min_base} ratings, contacts or cases behind it."
    )
    mix = ctx.metric(journey.channel_mix, spec)
    widgets.chart(charts.journey_map(lanes, mix, ctx.number_format), key="j_map")


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
        groups = ctx.metric(journey_service.complaint_churn, spec)
        if groups.loc[groups["group"] != "none", "customers"].sum() and _has_churn(ctx):
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
        valid=_between(1, MAX_WAIT_OVER_S),
        min_value=1,
        max_value=MAX_WAIT_OVER_S,
        step=10,
        help="A touchpoint that waited longer than this counts in 'Waited over'.",
    )
    table = ctx.metric(journey_contacts.waits, WaitSpec(ctx.filters, int(over)))
    nf = ctx.number_format
    for column, (_, row) in zip(st.columns(len(table)), table.iterrows(), strict=True):
        column.metric(row["label"], _wait_text(row, nf), help=_measure_help(row, nf), border=True)
    missing = sorted({row.needs for row in table.itertuples() if not row.available})
    if missing:
        st.caption("Not in this dataset: " + ", ".join(f"`{c}`" for c in missing) + ", so the tiles that need it show —.")


def _wait_text(row: pd.Series, nf) -> str:
    value = row["value"]
    if value is None or pd.isna(value):
        return "—"
    if row["kind"] == "pct":
        return nf.pct(value, 1)
    return f"{nf.number(value, 0)} s" if value < 120 else f"{nf.number(value / 60, 1)} min"


def _has_churn(ctx: PageContext) -> bool:
    return ctx.metric(staged.load_profile, None).tells_defection


def _measure_figure(row: pd.Series) -> object:
    """The number a service tile shows: the count of unresolved complaints, every other measure's value."""
    if not row["available"]:
        return None
    return row["numerator"] if row["key"] == "unresolved" else row["value"]


def _measure_text(row: pd.Series, nf) -> str:
    value = row["value"]
    if value is None or pd.isna(value):
        return "—"
    if row["kind"] == "pct":
        return nf.pct(value, 1)
    if row["kind"] == "days":
        return f"{nf.number(value, 1)} days"
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


@guarded("Stage by channel heatmap")
def render_heatmap(ctx: PageContext, spec: JourneySpec) -> None:
    """Stage × channel heatmap with a metric picker."""
    st.subheader("Touchpoints by stage and channel", anchor=False)
    keys = list(HEATMAP_METRICS)
    metric = state.choice(
        st.columns([1, 2])[0].selectbox,
        "Colour the cells by",
        "j_metric",
        keys,
        "touchpoints",
        format_func=lambda k: HEATMAP_METRICS[k][0],
    )
    cells = ctx.metric(journey.cells, spec)
    if cells.empty:
        st.info("No touchpoints for these filters.")
        return
    widgets.chart(charts.heatmap(cells, metric, ctx.number_format, min_base=spec.min_base), key="j_heatmap")
    st.caption(
        f"Means and rates are left blank where fewer than {spec.min_base} ratings or contacts stand behind them. "
        f"Repeat-contact rate: contacts followed by one with the same reason within {spec.repeat_days} days."
    )


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
            valid=_between(2, MAX_STEPS),
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
            valid=_between(1, 30),
            min_value=1,
            max_value=30,
            help="The biggest links at each step; customers on the other links go to 'Other' and continue from there.",
        )
    return PathSpec(ctx.filters, int(steps), nodes, int(top))


@st.fragment
@guarded("Paths and drill-down")
def render_paths_and_drilldown(ctx: PageContext, spec: JourneySpec) -> None:
    """The Sankey, the variants and the drill-down as one fragment (the last part of the page): their controls (steps,
    nodes, links, what to drill into, the customer) rerun only this part, not the journey map, heatmap and service
    measures above, which their controls do not change."""
    report.fragment_part("journey_paths")
    render_drilldown(ctx, spec, render_paths(ctx))


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
    frame = ctx.metric(journey_paths.variants, VariantSpec(spec.filters, spec.steps, spec.nodes, 20))
    shown = frame.drop(columns=["codes"] if _has_churn(ctx) else ["codes", "churn_rate"])  # unknown churn is not 0
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


@guarded("Drill-down")
def render_drilldown(ctx: PageContext, spec: JourneySpec, path_spec: PathSpec) -> None:
    """Choose a stage, channel or variant (bars show how many customers each has) and see the customers behind it."""
    st.subheader("Who is behind it", anchor=False)
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
        variants = ctx.metric(journey_paths.variants, VariantSpec(path_spec.filters, path_spec.steps, path_spec.nodes, 20))
        names = dict(zip(variants["codes"], variants["variant"], strict=True))
    else:
        options = ctx.metric(journey_drill.options, spec)
        options = options[options["kind"] == kind]
        names = {label: label for label in options["label"]}
    if not names:
        st.info("Nothing to drill into for these filters.")
        return
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
    drill = journey_drill.DrillSpec(path_spec.filters, kind, value, path_spec.steps, path_spec.nodes, 200)
    people = ctx.metric(journey_drill.customers_behind, drill)
    if people.empty:
        st.info("No customers behind it for these filters.")
        return
    total = int(people["total"].iloc[0])
    nf = ctx.number_format
    st.markdown(
        f"**{nf.number(total, 0)} customers** behind {markdown_text(names[value])}"
        + (f"; the {len(people)} with most touchpoints there are listed." if total > len(people) else ".")
    )
    listed = people.drop(columns=["total"] if _has_churn(ctx) else ["total", "churned"])  # unknown is not "not churned"
    widgets.table(
        listed,
        width="stretch",
        height=300,
        column_config={
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
        },
    )
    ids = listed["customer_id"].tolist()
    chosen = state.choice(
        st.columns([1, 2])[0].selectbox,
        "Customer timeline",
        "j_cust",
        ids,
        ids[0],
    )
    events = ctx.metric(customers.timeline, customers.TimelineSpec((chosen,)))
    stage_order = list(JOURNEY_STAGES.labels)
    widgets.chart(charts.timeline(events, stage_order), key="j_timeline")
    with st.expander(f"Timeline of {markdown_text(chosen)} as a table"):
        widgets.table(events, width="stretch")
    st.caption("Exports are formula-safe: text that starts with =, +, - or @ cannot run as a spreadsheet formula.")
    widgets.download_buttons(listed, "journey-customers", key="j_people_dl", label="Customers")
    spec_all = customers.TimelineSpec(tuple(ids))

    def timelines() -> pd.DataFrame:
        with ctx.store.cursor() as cur:
            return customers.timeline(cur, ctx.version, spec_all)

    widgets.download_buttons(timelines, "journey-customer-timelines", key="j_timelines_dl", label="Their timelines")
