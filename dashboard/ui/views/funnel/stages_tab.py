"""The Funnel tab: the funnel of stages reached and the stages now, the rules in words, and, as one fragment whose
controls rerun only it, the breakdown by segment or region, the signup cohorts and the customers in a stage, each in
an expander that runs only while open."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd
import streamlit as st

from dashboard import formatting, staged
from dashboard.charts import funnel as charts
from dashboard.escape import markdown_text
from dashboard.metrics.funnel import counts as funnel
from dashboard.metrics.funnel import stages
from dashboard.metrics.funnel.stages import OFF_RAMPS, StageModel
from dashboard.ui import report, state, widgets
from dashboard.ui.frame import PageContext
from dashboard.ui.sections import guarded
from dashboard.ui.views.funnel.common import customers_table, role_picker, slug


@guarded("Stage funnel")
def render_stage_funnel(ctx: PageContext, model: StageModel) -> pd.DataFrame:
    """The funnel of stages reached and the stages now, side by side, with the as-of date; returns the counts."""
    spec = funnel.StageSpec(model, ctx.filters)
    counts = ctx.metric(funnel.stage_counts, spec)
    as_of = spec.as_of or ctx.metric(stages.span_frame, None).iloc[0]["data_end"]
    known = counts.attrs.get("known", int(counts["customers"].sum()))
    chosen = "the end of the last month selected in the sidebar" if spec.as_of else "the last day with any data"
    when = (
        f"on {formatting.day(as_of)} ({chosen})"
        if formatting.day(as_of) != "—"
        else "(the data has no dates, so stages are as they stand; map `signup_date`, or add transactions or touchpoints)"
    )
    st.caption(
        f"{ctx.number_format.number(known)} customers and prospects known {when}. Conversion is shown of the first stage "
        "and of the previous stage."
    )
    ctx.show_definitions("kind", "prospect", "defected", "at_risk")
    if known == 0:
        st.info("No customers in the selected segments and regions by this date.")
        return counts
    left, right = st.columns([3, 2])
    with left:
        widgets.chart(charts.stage_funnel(counts, ctx.number_format), key="f_funnel_chart")
    with right:
        now = counts
        if not ctx.metric(staged.load_profile, None).tells_defection:
            # nobody is placed at risk or defected where the data cannot tell who left: no 0 bars standing for unknown
            now = counts[counts["kind"] != "off-ramp"]
        widgets.chart(charts.stages_now(now, ctx.number_format), key="f_now_chart")
        if len(now) < len(counts):
            st.caption(
                f"No {markdown_text(model.name('at_risk'))} or {markdown_text(model.name('defected'))} bars: who left "
                "cannot be told from this data (see the definitions above)."
            )
    return counts


@guarded("Stage rules in words")
def render_rules_in_words(ctx: PageContext, model: StageModel, *, expanded: bool = False) -> None:
    """The stage rules in force, in plain words."""
    source = "the stage column" if stages.uses_column(model, ctx.version) else "the rules"
    with st.expander(f"How customers are put in stages (now: {source})", expanded=expanded, icon=":material/rule:"):
        described = stages.describe_rules(model, ctx.version)
        st.markdown("\n".join(f"- **{markdown_text(name)}**: {markdown_text(sentence)}" for _, name, sentence in described))
        if (page_report := report.current()) is not None:
            page_report.text("\n".join(f"{name}: {sentence}" for _, name, sentence in described), "Stage rules in force")
        st.caption(markdown_text(" ".join(stages.describe_basics(model, ctx.version))))
        if stages.uses_column(model, ctx.version):
            unmatched = ctx.metric(funnel.unmatched_labels, funnel.StageSpec(model))
            if not unmatched.empty:
                st.warning(
                    f"{len(unmatched)} stage label(s) in the data match no stage name, so those customers are placed "
                    "by the rules. Rename a stage on the Stage rules tab to use a label.",
                    icon=":material/label_off:",
                )
                widgets.table(unmatched, width="content")


LIST_KEY = "f_list"
"""The URL parameter keeping the customers-in-a-stage expander open (true)."""
BREAKDOWN_KEY = "f_breakdown"
"""The URL parameter keeping the breakdown by segment or region open (true)."""
COHORTS_KEY = "f_cohorts"
"""The URL parameter keeping the signup cohorts open (true)."""


@state.fragment
@guarded("Breakdown, cohorts and drill-down")
def render_details(ctx: PageContext, model: StageModel, counts: pd.DataFrame) -> None:
    """The breakdown, the cohorts and the customers in a stage as one fragment (the last part of the tab), each in an
    expander kept in the URL that runs only while open: their charts and list redrawn on every filter change were
    two fifths of the room's wait (a segment filter at 1,000,000 customers: 570 ms with them drawn, 374 without), and
    their controls (break down by, cohort target, stage) rerun only this part, not the funnel above. A link made with
    one of their controls set (f_by, f_cohort, f_stage) opens its expander."""
    report.fragment_part("funnel_details")
    sections = (
        ("**By segment or region**: the stages of each segment or region", BREAKDOWN_KEY, "stacked_bar_chart", "f_by"),
        ("**Cohorts by signup month**: how soon each month's signups reached a stage", COHORTS_KEY, "calendar_month", "f_cohort"),
        ("**Customers in a stage**: who they are, and every one as CSV or Excel", LIST_KEY, "group", "f_stage"),
    )
    draws = (lambda: render_breakdown(ctx, model), lambda: render_cohorts(ctx, model), lambda: _stage_list(ctx, model, counts))
    for (label, name, icon, control), draw in zip(sections, draws, strict=True):
        state.draw_expander(label, name, draw, icon=f":material/{icon}:", opened_by=(control,))


@guarded("Breakdown")
def render_breakdown(ctx: PageContext, model: StageModel) -> None:
    """Stages by segment or region: the largest 25 values, the rest as Other."""
    by = state.choice(
        st.radio,
        "Break down by",
        "f_by",
        list(funnel.BREAKDOWN_DIMENSIONS),
        "segment",
        format_func=str.capitalize,
        horizontal=True,
        help=f"The {funnel.TOP_VALUES} values with the most customers each get a bar; the rest are summed as Other.",
    )
    frame = ctx.metric(funnel.breakdown, funnel.BreakdownSpec(model, ctx.filters, by))
    if frame.empty:
        st.info("No customers to break down.")
        return
    widgets.chart(charts.breakdown_bars(frame, by, ctx.number_format), key="f_breakdown_chart")


@guarded("Cohorts")
def render_cohorts(ctx: PageContext, model: StageModel) -> None:
    """Signup-month cohorts: the share that reached a chosen stage, month by month."""
    targets = list(model.ladder[1:])
    target = role_picker(
        "Share of each cohort that reached",
        "f_cohort",
        targets,
        "first_purchase" if "first_purchase" in targets else targets[0],
        model,
        help="Customers and leads who signed up inside the data and the selected months, grouped by signup month.",
    )
    if stages.uses_column(model, ctx.version):
        st.info(funnel.COHORTS_NEED_RULES, icon=":material/info:")
        return
    frame = ctx.metric(funnel.cohorts, funnel.CohortSpec(model, ctx.filters, target))
    if frame.empty:
        st.info("No customer or lead signed up inside the data in the selected months, so there are no cohorts to follow.")
        return
    widgets.chart(charts.cohort_heatmap(frame, model.name(target), ctx.number_format), key="f_cohort_chart")
    st.caption(funnel.COHORTS_VERSUS_FUNNEL)


@guarded("Stage drill-down")
def _stage_list(ctx: PageContext, model: StageModel, counts: pd.DataFrame) -> None:
    """The customers of one stage: the stage picker, how many are in it, the first 100 rows on screen and the
    formula-safe CSV or Excel of every row."""
    role = role_picker("Stage", "f_stage", list(model.roles), "at_risk", model)
    if role in OFF_RAMPS and not ctx.metric(staged.load_profile, None).tells_defection:
        said = ctx.metric(staged.sentences, None)
        st.info(f"Nobody is placed in {markdown_text(model.name(role))}: {markdown_text(said['defected'])}")
        return
    total = int(counts.loc[counts["role"] == role, "customers"].sum()) if not counts.empty else 0
    spec = funnel.DrillSpec(model, ctx.filters, role)
    frame = ctx.metric(funnel.stage_customers, spec)
    shown = f"showing the first {ctx.number_format.number(len(frame))} by customer id" if total > len(frame) else "all shown"
    st.caption(f"{ctx.number_format.number(total)} customers in {markdown_text(model.name(role))} on the as-of date; {shown}.")
    version, every = ctx.version, replace(spec, limit=None)
    customers_table(
        ctx, frame, lambda cur: funnel.stage_customers(cur, version, every), f"funnel-{slug(model.name(role))}", "f_stage_dl"
    )
