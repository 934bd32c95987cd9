"""The Funnel page's sections: the stage funnel, breakdown, cohorts, sales funnel, movement, time in stage, economics,
the five checks, drill-downs, and the editor of stage names, order and rules."""

from __future__ import annotations

import re
from dataclasses import asdict, replace
from datetime import date

import pandas as pd
import streamlit as st

from dashboard import formatting, staged
from dashboard.access import Action
from dashboard.charts import funnel as charts
from dashboard.contract import CHANNELS
from dashboard.escape import markdown_text
from dashboard.metrics import compare, economics, money
from dashboard.metrics.funnel import counts as funnel
from dashboard.metrics.funnel import movement, stages
from dashboard.metrics.funnel.stages import DEFAULT_NAMES, LADDER, NEW, OFF_RAMPS, ROLES, StageModel, StageRules
from dashboard.ui import auth, data, report, settings, state, widgets
from dashboard.ui.frame import PageContext, month_from_key, month_label, month_options
from dashboard.ui.sections import action, guarded

TABS = ("Funnel", "Sales funnel", "Movement", "Economics", "Stage rules")
SALES_WINDOWS = (7, 14, 30, 60, 90, 180, 365)
JOINS = ["or", "and"]


def _tiles_to_report(rows: list[tuple[str, str, str]]) -> None:
    """Add tiles (label, value, definition) to the page's HTML report."""
    if (page_report := report.current()) is not None:
        page_report.kpis(rows)


def _heading_to_report(text: str) -> None:
    if (page_report := report.current()) is not None:
        page_report.heading(text)


# -- model and tabs --------------------------------------------------------------------------------


@guarded("Stage model")
def stage_model(ctx: PageContext) -> StageModel:
    """The dataset's saved stage model (names, order, rules, source), or the default."""
    return stages.load_model(ctx.store, ctx.dataset)


@guarded("Funnel tabs", stop=True)
def page_tabs(ctx: PageContext) -> dict[str, object]:
    """The page's tabs (the rules editor left out when presenting); only the open one runs its queries."""
    labels = [t for t in TABS if not ((ctx.presenting or not auth.can(Action.EDIT)) and t == "Stage rules")]
    containers = state.tabs(labels, "f_tab")
    return dict(zip(labels, containers, strict=True))


def is_open(tab: object) -> bool:
    """Whether a tab is the one shown (tabs without state tracking count as open)."""
    return getattr(tab, "open", True) is not False


def _role_picker(label: str, name: str, roles: list[str], default: str, model: StageModel, **kwargs) -> str:
    """A selectbox of stages (by role) kept in the URL as name."""

    def _valid(value: str) -> str:
        if value not in roles:
            raise ValueError(value)
        return value

    def _label(role: str) -> str:
        return NEW if role == "new" else model.name(role)

    return state.widget(
        st.selectbox,
        label,
        name,
        default,
        state.TEXT,
        valid=_valid,
        value_arg="index",
        to_arg=roles.index,
        options=roles,
        format_func=_label,
        **kwargs,
    )


# -- funnel tab ------------------------------------------------------------------------------------


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


@guarded("Breakdown")
def render_breakdown(ctx: PageContext, model: StageModel) -> None:
    """Stages by segment or region: the largest 25 values, the rest as Other."""
    st.subheader("By segment or region")
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
    st.subheader("Cohorts by signup month")
    targets = list(model.ladder[1:])
    target = _role_picker(
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
def render_stage_drill(ctx: PageContext, model: StageModel, counts: pd.DataFrame) -> None:
    """The customers of one stage, on screen (first rows) and as formula-safe CSV or Excel (all rows)."""
    st.subheader("Customers in a stage")
    role = _role_picker("Stage", "f_stage", list(model.roles), "at_risk", model)
    if role in OFF_RAMPS and not ctx.metric(staged.load_profile, None).tells_defection:
        said = ctx.metric(staged.sentences, None)
        st.info(f"Nobody is placed in {markdown_text(model.name(role))}: {markdown_text(said['defected'])}")
        return
    total = int(counts.loc[counts["role"] == role, "customers"].sum()) if not counts.empty else 0
    spec = funnel.DrillSpec(model, ctx.filters, role)
    frame = ctx.metric(funnel.stage_customers, spec)
    shown = f"showing the first {ctx.number_format.number(len(frame))} by customer id" if total > len(frame) else "all shown"
    st.caption(f"{ctx.number_format.number(total)} customers in {markdown_text(model.name(role))} on the as-of date; {shown}.")
    widgets.table(frame, width="stretch", height=300, column_config=_date_columns(frame))
    _download_all(ctx, funnel.stage_customers, replace(spec, limit=None), f"funnel-{_slug(model.name(role))}", "f_stage_dl")


def _date_columns(frame: pd.DataFrame) -> dict:
    """Show date columns as dates (no time of day)."""
    return {
        col: st.column_config.DateColumn(format="YYYY-MM-DD")
        for col in frame.columns
        if pd.api.types.is_datetime64_any_dtype(frame[col])
    }


def _download_all(ctx: PageContext, fn, spec, filename: str, key: str) -> None:
    """Download buttons that run fn for every row only when clicked."""
    store, version = ctx.store, ctx.version

    def fetch() -> pd.DataFrame:
        with store.cursor() as cur:
            return fn(cur, version, spec)

    widgets.download_buttons(fetch, filename, key=key, label="Download all")


def _slug(text: str) -> str:
    return re.sub(r"[^0-9a-z]+", "-", str(text).lower()).strip("-") or "stage"


# -- sales funnel tab ------------------------------------------------------------------------------


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
    attrs = steps.attrs
    nf = ctx.number_format
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
    cols = st.columns(3)
    cols[0].metric(
        "Leads with a closed window",
        nf.number(attrs.get("leads", int(steps.iloc[0]["customers"]))),
        help=steps.iloc[0]["definition"],
        border=True,
        **widgets.delta(changes.get("leads")),
    )
    cols[1].metric(
        f"Converted within {window} days",
        nf.pct(attrs.get("conversion")),
        help="First orders within the window ÷ leads whose window had closed by the as-of date.",
        border=True,
        **widgets.delta(changes.get("conversion")),
    )
    median = attrs.get("median_days")
    cols[2].metric(
        "Median days to first order",
        "—" if median is None else nf.number(median),
        help="Over the leads with a closed window who ordered.",
        border=True,
        **widgets.delta(changes.get("median_days")),
    )
    if ctx.comparison.why_not:
        st.caption(ctx.comparison.why_not)
    _heading_to_report("Sales funnel")
    _tiles_to_report(
        [
            ("Leads with a closed window", nf.number(attrs.get("leads", 0)), steps.iloc[0]["definition"]),
            (f"Converted within {window} days", nf.pct(attrs.get("conversion")), "First orders within the window ÷ leads."),
            ("Median days to first order", "—" if median is None else nf.number(median), "Over the leads who ordered."),
        ]
    )
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


# -- movement tab ----------------------------------------------------------------------------------


def _month_options(ctx: PageContext) -> list[str] | str:
    span = ctx.metric(stages.span_frame, None).iloc[0]
    return month_options(span["data_start"], span["data_end"])


def _month_day(month: str) -> date:
    return stages.month_end(month_from_key(month))


@guarded("Movement")
def render_movement(ctx: PageContext, model: StageModel) -> None:
    """The transition matrix between two month ends, who moved up, stayed or moved down, and a cell's customers."""
    months = _month_options(ctx)
    if isinstance(months, str):
        st.info(months)
        return
    if len(months) < 2:
        st.info("Movement needs at least two months of data.")
        return
    default = (months[max(0, len(months) - 13)], months[-1])

    def _valid(period) -> tuple[str, str]:
        lo, hi = tuple(period)
        if lo not in months or hi not in months or lo >= hi:
            raise ValueError(period)
        return (lo, hi)

    period = state.widget(
        st.select_slider,
        "Compare stages at the end of",
        "f_move",
        default,
        state.RANGE,
        valid=_valid,
        options=months,
        format_func=month_label,
        help="Each customer's stage at the end of the first month against the end of the second.",
    )
    move = movement.MoveSpec(model, ctx.filters, _month_day(period[0]), _month_day(period[1]))
    matrix = ctx.metric(movement.transition_matrix, move)
    if stages.uses_column(model, ctx.version):
        st.caption("Movement needs each customer's history, so both dates use the rules (a stage column is a snapshot).")
    if matrix.empty:
        st.info("No customers in the selected segments and regions.")
        return
    summary = movement.movement_summary(matrix)
    nf = ctx.number_format
    totals = summary[[movement.UP, movement.SAME, movement.DOWN]].sum()
    new = int(matrix.loc[matrix["from_role"] == "new", "customers"].sum())
    cols = st.columns(4)
    for col, label, value in zip(
        cols,
        ("Moved up", "Stayed", "Moved down", "New since the first date"),
        (totals[movement.UP], totals[movement.SAME], totals[movement.DOWN], new),
        strict=True,
    ):
        col.metric(label, nf.number(value), border=True)
    _heading_to_report(f"Movement from the end of {_month_day(period[0]):%b %Y} to the end of {_month_day(period[1]):%b %Y}")
    _tiles_to_report(
        [
            (label, nf.number(value), "")
            for label, value in zip(
                ("Moved up", "Stayed", "Moved down", "New since the first date"),
                (totals[movement.UP], totals[movement.SAME], totals[movement.DOWN], new),
                strict=True,
            )
        ]
    )
    first, second = (f"the end of {_month_day(m):%b %Y}" for m in period)
    widgets.chart(charts.transition_heatmap(matrix, nf, first, second), key="f_matrix_chart")
    widgets.chart(charts.movement_bars(summary, nf), key="f_movement_chart")
    render_cell_drill(ctx, model, move)


def render_cell_drill(ctx: PageContext, model: StageModel, move: movement.MoveSpec) -> None:
    """The customers of one cell of the transition matrix."""
    st.subheader("Customers who moved between two stages")
    left, right = st.columns(2)
    with left:
        from_role = _role_picker("Stage on the first date", "f_from", [*model.roles, "new"], "loyal", model)
    with right:
        to_role = _role_picker("Stage on the second date", "f_to", list(model.roles), "defected", model)
    spec = movement.CellSpec(move, from_role, to_role)
    frame = ctx.metric(movement.cell_customers, spec)
    st.caption(
        f"First {ctx.number_format.number(len(frame))} by customer id (the download holds them all)."
        if len(frame) >= funnel.DRILL_LIMIT
        else f"{ctx.number_format.number(len(frame))} customers."
    )
    widgets.table(frame, width="stretch", height=300, column_config=_date_columns(frame))
    name = f"movement-{_slug(NEW if from_role == 'new' else model.name(from_role))}-to-{_slug(model.name(to_role))}"
    _download_all(ctx, movement.cell_customers, replace(spec, limit=None), name, "f_cell_dl")


@guarded("Time in stage")
def render_time_in_stage(ctx: PageContext, model: StageModel) -> None:
    """Median time spent in each stage."""
    st.subheader("Time in each stage")
    frame = ctx.metric(movement.time_in_stage, movement.TimeSpec(model, ctx.filters, funnel.StageSpec(model, ctx.filters).as_of))
    widgets.chart(charts.time_in_stage_bars(frame, ctx.number_format), key="f_time_chart")
    st.caption(
        "Ladder stages: days from reaching the stage to reaching a higher one. At risk: days until buying again or "
        "defecting. Defected: days from lapsing until buying again. Only spells that began inside the data and had "
        "ended by the as-of date count."
    )


# -- economics tab ---------------------------------------------------------------------------------


@guarded("Economics settings")
def economics_spec(ctx: PageContext, model: StageModel) -> economics.EconomicsSpec:
    """The economics window control, with the dataset's gross margin and channel costs."""
    window = state.choice(
        st.radio,
        "Window",
        "f_econ",
        list(economics.WINDOWS),
        12,
        state.INT,
        format_func=lambda n: f"{n} months",
        horizontal=True,
        help="Months ending with the last month selected in the sidebar, compared with the same number of months before.",
    )
    return economics.EconomicsSpec(
        model,
        ctx.filters,
        window,
        economics.load_gross_margin(ctx.store, ctx.dataset),
        economics.load_channel_costs(ctx.store, ctx.dataset),
    )


@guarded("Economics checks")
def render_checks(ctx: PageContext, spec: economics.EconomicsSpec) -> None:
    """The five checks as tiles: each figure in the window against the window before, and whether it moved the good way."""
    checks = economics.checks_table(ctx.metric(economics.window_economics, spec), ctx.version)
    attrs = checks.attrs
    st.subheader("The five checks")
    st.caption(f"{attrs.get('window')} against {attrs.get('previous_window')}.")
    nf = ctx.number_format
    cols = st.columns(5)
    shown = []
    for col, row in zip(cols, checks.itertuples(), strict=True):
        verdict = {True: "yes", False: "no"}.get(row.better, "unchanged")
        question = f"{row.short} {row.good}?"
        value = nf.value(row.current, row.kind) if row.current is not None and pd.notna(row.current) else "—"
        delta = None
        if row.change is not None and pd.notna(row.change):
            size = f"{nf.number(abs(row.change) * 100, 1)} pts" if row.kind == "pct" else nf.money(abs(row.change))
            delta = f"{'-' if row.change < 0 else '+'}{size} · {verdict}"
        previous = nf.value(row.previous, row.kind) if row.previous is not None and pd.notna(row.previous) else "—"
        help_text = f"{row.definition} Previous window: {previous}."
        if not attrs.get("has_previous"):
            help_text += " The data does not reach back to the start of the previous window."
        col.metric(
            question,
            value,
            delta=delta,
            delta_color="off" if row.better is None else "normal" if row.good == "up" else "inverse",
            help=help_text,
            border=True,
        )
        shown.append((question, f"{value} ({delta})" if delta else value, help_text))
    _heading_to_report(f"The five checks: {attrs.get('window')} against {attrs.get('previous_window')}")
    _tiles_to_report(shown)


@guarded("Stage economics")
def render_economics(ctx: PageContext, spec: economics.EconomicsSpec) -> None:
    """Economics per stage: the table and the margin chart."""
    frame = economics.stage_table(ctx.metric(economics.window_economics, spec), spec, ctx.version)
    nf = ctx.number_format
    st.subheader("What each stage is worth")
    st.caption(
        f"Customers by their stage on the day before the window opened; money over the window ({frame.attrs.get('window')}). "
        f"Margin = spend × gross margin ({nf.pct(spec.gross_margin, 0)}: {money.load_margin(ctx.store, ctx.dataset).source()}"
        f"{'' if ctx.presenting else ', set under Margin in the sidebar'}) − direct cost to serve; "
        "ROI = (margin − marketing cost) ÷ marketing cost."
    )
    shown = pd.DataFrame(
        {
            "Stage": frame["stage"],
            "Customers": [nf.number(v) for v in frame["customers"]],
            "Retention": [nf.pct(v) for v in _values(frame["retention"])],
            "Spend per customer": [nf.money(v) for v in _values(frame["spend_per_customer"])],
            "Referral rate": [nf.pct(v) for v in _values(frame["referral_rate"])],
            "Marketing cost": [nf.money(v) for v in _values(frame["marketing_cost"])],
            "Direct cost to serve": [nf.money(v) for v in _values(frame["direct_cost"])],
            "Margin": [nf.money(v) for v in _values(frame["margin"])],
            "ROI": [nf.pct(v, 0) for v in _values(frame["roi"])],
        }
    )
    widgets.table(
        shown,
        width="stretch",
        column_config={
            "Retention": st.column_config.TextColumn(help="Share of the stage's customers not defected by the window's end."),
            "Spend per customer": st.column_config.TextColumn(help="Sum of transaction amounts in the window ÷ customers."),
            "Referral rate": st.column_config.TextColumn(help="Share who have referred at least one customer."),
            "Marketing cost": st.column_config.TextColumn(help="Mean acquisition cost per customer."),
            "Direct cost to serve": st.column_config.TextColumn(
                help="Touchpoint and transaction costs in the window per customer "
                "(per-channel defaults where a touchpoint has no cost)."
            ),
            "Margin": st.column_config.TextColumn(help="Spend × gross margin − direct cost, per customer."),
            "ROI": st.column_config.TextColumn(help="(Margin − marketing cost) ÷ marketing cost."),
        },
    )
    if (page_report := report.current()) is not None:
        page_report.table(shown, f"What each stage is worth ({frame.attrs.get('window')})")
    widgets.chart(charts.economics_bars(frame, nf), key="f_econ_chart")


def _values(series: pd.Series) -> list[float | None]:
    return [None if pd.isna(v) else float(v) for v in series]


@guarded("Cost settings")
def render_cost_settings(ctx: PageContext, spec: economics.EconomicsSpec) -> None:
    """Editor for the per-channel touchpoint costs (saved for the dataset; the margin is set in the sidebar)."""
    if ctx.presenting or not auth.can(Action.EDIT):
        return
    costless = ctx.metric(economics.costless_touchpoints, None)
    with st.expander("Cost per touchpoint", icon=":material/payments:"):
        if costless.empty:
            st.caption("Every touchpoint in this dataset has its own cost; the channel defaults below only fill blanks.")
        else:
            st.caption(
                f"{ctx.number_format.number(int(costless['touchpoints'].sum()))} contacts have no cost of their own; "
                "each is priced once at the default of its first step's channel (the IVR, queue and agent steps of "
                "one call are one contact)."
            )
        with st.form("f_costs_form"):
            costs = dict(spec.channel_costs)
            cols = st.columns(4)
            for i, channel in enumerate(CHANNELS.labels):
                cols[i % 4].number_input(
                    f"{channel} ({ctx.number_format.currency})",
                    min_value=0.0,
                    max_value=100_000.0,
                    value=float(costs.get(channel, 0.0)),
                    step=0.1,
                    format="%.2f",
                    key=f"f_set_cost_{channel}",
                )
            st.form_submit_button("Save costs", on_click=_save_costs, args=(ctx,), icon=":material/save:")
        st.button("Restore default costs", on_click=_reset_costs, args=(ctx,), key="f_reset_costs")
    _flash("f_costs_msg")


@action("Save the costs")
def _save_costs(ctx: PageContext) -> None:
    costs = {c: float(st.session_state[f"f_set_cost_{c}"]) for c in CHANNELS.labels}
    try:
        economics.validate_channel_costs(economics.channel_cost_items(costs))
    except ValueError as exc:
        st.session_state["f_costs_msg"] = ("error", str(exc))
        return
    if settings.save_setting(ctx.store, ctx.dataset, economics.SETTING_CHANNEL_COSTS, costs):
        st.session_state["f_costs_msg"] = ("success", "Costs saved for this dataset.")


@action("Reset the costs")
def _reset_costs(ctx: PageContext) -> None:
    if not settings.forget_setting(ctx.store, ctx.dataset, economics.SETTING_CHANNEL_COSTS):
        return
    for key in [k for k in st.session_state if str(k).startswith("f_set_")]:
        del st.session_state[key]
    st.session_state["f_costs_msg"] = ("success", "Default costs restored.")


def _flash(key: str) -> None:
    """Show (once) a message left by a callback."""
    message = st.session_state.pop(key, None)
    if message:
        kind, text = message
        (st.error if kind == "error" else st.success)(markdown_text(text))


# -- stage rules tab -------------------------------------------------------------------------------


@guarded("Stage rules editor")
def render_model_editor(ctx: PageContext, model: StageModel) -> None:
    """Edit, for this dataset: where stages come from, stage names and order, and the rules."""
    if ctx.presenting or not auth.can(Action.EDIT):
        return
    _flash("f_model_msg")
    render_rules_in_words(ctx, model, expanded=True)
    has_column = ctx.version.has("customers", "stage")
    with st.form("f_names_form"):
        st.markdown("**Stage names and order**")
        st.caption(
            "Rename any stage. Prospect stays first and the off-ramps (at risk, defected) last; the four stages between "
            "can be put in any order. With a stage column, a label in the data matches the stage of the same name."
        )
        if has_column:
            sources = list(stages.SOURCES)
            st.radio(
                "Stages come from",
                sources,
                index=sources.index(model.source),
                format_func=lambda s: stages.SOURCES[s],
                key="f_set_source",
            )
        cols = st.columns(len(ROLES))
        for col, role in zip(cols, ROLES, strict=True):
            col.text_input(f"{DEFAULT_NAMES[role]}", value=model.name(role), max_chars=stages.MAX_NAME, key=f"f_set_name_{role}")
        middle = [r for r in model.ladder if r != "prospect"]
        cols = st.columns(len(middle))
        for i, (col, role) in enumerate(zip(cols, middle, strict=True)):
            col.selectbox(
                f"Stage {i + 2}",
                list(LADDER[1:]),
                index=list(LADDER[1:]).index(role),
                format_func=lambda r: DEFAULT_NAMES[r],
                key=f"f_set_order_{i}",
            )
        st.form_submit_button("Save names and order", on_click=_save_names, args=(ctx, model), icon=":material/save:")
    rules = model.rules
    with st.form("f_rules_form"):
        st.markdown("**Rules**")
        st.caption("A threshold of 0 switches that part of a rule off (not the days without a purchase: every page uses them).")
        left, mid, right = st.columns(3)
        with left:
            st.markdown(f"**{markdown_text(model.name('repeat'))}**")
            st.number_input("Purchases, at least", 0, 1000, rules.repeat_purchases, key="f_set_repeat_purchases")
            st.radio("Join", ["or", "and"], index=JOINS.index(rules.repeat_join), horizontal=True, key="f_set_repeat_join")
            st.number_input("A customer for at least (days)", 0, 36_500, rules.repeat_tenure_days, key="f_set_repeat_tenure_days")
            st.markdown(f"**{markdown_text(model.name('loyal'))}**")
            st.number_input("Purchases, at least", 0, 1000, rules.loyal_purchases, key="f_set_loyal_purchases")
            st.radio("Join", JOINS, index=JOINS.index(rules.loyal_join), horizontal=True, key="f_set_loyal_join")
            st.number_input("A customer for at least (days)", 0, 36_500, rules.loyal_tenure_days, key="f_set_loyal_tenure_days")
        with mid:
            st.markdown(f"**{markdown_text(model.name('advocate'))}**")
            st.number_input("Customers referred, at least", 0, 10_000, rules.advocate_referrals, key="f_set_advocate_referrals")
            bases = ["first_purchase", "repeat", "loyal"]
            st.selectbox(
                "And meets the rule of",
                bases,
                index=bases.index(rules.advocate_from),
                format_func=model.name,
                key="f_set_advocate_from",
            )
            st.markdown(f"**{markdown_text(model.name('at_risk'))}**")
            st.number_input(
                "No purchase for more than (days)",
                stages.MIN_GAP_DAYS,
                3650,
                rules.at_risk_days,
                key="f_set_at_risk_days",
                help=f"{stages.MIN_GAP_DAYS} to 3,650 days, shorter than the defected days; the same window on every page.",
            )
            st.number_input("Or complaints, at least", 0, 1000, rules.at_risk_complaints, key="f_set_at_risk_complaints")
            st.number_input("Within (days)", 1, 3650, rules.at_risk_complaint_days, key="f_set_at_risk_complaint_days")
        with right:
            st.markdown(f"**{markdown_text(model.name('defected'))}**")
            st.checkbox("A churn flag or churn date", value=rules.defected_on_churn, key="f_set_defected_on_churn")
            st.number_input(
                "Or no purchase for more than (days)",
                stages.MIN_GAP_DAYS,
                3650,
                rules.defected_days,
                key="f_set_defected_days",
                help=f"{stages.MIN_GAP_DAYS} to 3,650 days, longer than the at-risk days; the same window on every page.",
            )
        st.form_submit_button("Save rules", on_click=_save_rules, args=(ctx, model), icon=":material/save:")
    st.button(
        "Restore the default stages and rules",
        on_click=_reset_model,
        args=(ctx,),
        key="f_reset_model",
        icon=":material/restart_alt:",
    )


@action("Save the stage names")
def _save_names(ctx: PageContext, model: StageModel) -> None:
    names = {role: str(st.session_state[f"f_set_name_{role}"]).strip() for role in ROLES}
    middle = [st.session_state[f"f_set_order_{i}"] for i in range(4)]
    order = ["prospect", *middle, *OFF_RAMPS]
    source = st.session_state.get("f_set_source", model.source)
    candidate = replace(model, stages=tuple((role, names[role]) for role in order), source=source)
    _save_model(ctx, candidate, "Stage names and order saved.")


@action("Save the stage rules")
def _save_rules(ctx: PageContext, model: StageModel) -> None:
    values = {}
    for field in StageRules.__dataclass_fields__:
        value = st.session_state.get(f"f_set_{field}")
        if value is None:
            continue
        values[field] = value if isinstance(value, bool | str) else int(value)
    try:
        rules = StageRules(**{**asdict(model.rules), **values}).validate()
    except ValueError as exc:
        st.session_state["f_model_msg"] = ("error", f"Not saved: {exc}.")
        return
    _save_model(ctx, replace(model, rules=rules), "Rules saved; every figure now uses them.")


def _save_model(ctx: PageContext, candidate: StageModel, message: str) -> None:
    if not auth.require(Action.EDIT):
        return
    try:
        stages.save_model(ctx.store, ctx.dataset, candidate)
    except ValueError as exc:
        st.session_state["f_model_msg"] = ("error", f"Not saved: {exc}.")
        return
    data.clear_caches()  # a changed window re-stages the dataset: cached figures are stale
    st.session_state["f_model_msg"] = ("success", message)
    _forget_editor()


@action("Reset the stage rules")
def _reset_model(ctx: PageContext) -> None:
    if not auth.require(Action.EDIT):
        return
    stages.reset_model(ctx.store, ctx.dataset)
    st.session_state["f_model_msg"] = ("success", "Default stages and rules restored.")
    _forget_editor()


def _forget_editor() -> None:
    """Drop the editor widgets' values so they show what was saved."""
    for key in [k for k in st.session_state if str(k).startswith(("f_set_name_", "f_set_order_", "f_set_source"))]:
        del st.session_state[key]
    for field in StageRules.__dataclass_fields__:
        st.session_state.pop(f"f_set_{field}", None)
