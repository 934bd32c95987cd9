"""The Economics tab as one fragment (its window and the cost editor rerun only the tab): the five checks, what each
stage is worth, and the editor of the per-channel touchpoint costs."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard.charts import funnel as charts
from dashboard.contract import CHANNELS
from dashboard.metrics import economics, money
from dashboard.metrics.funnel.stages import StageModel
from dashboard.ui import report, settings, state, widgets
from dashboard.ui.frame import PageContext
from dashboard.ui.sections import action, guarded
from dashboard.ui.views.funnel.common import can_edit, flash, heading_to_report, tiles_to_report


@state.fragment
@guarded("Economics tab")
def render_economics_tab(ctx: PageContext, model: StageModel) -> None:
    """The window, the five checks, the economics per stage and the cost editor, as one fragment (the last part of the
    tab)."""
    report.fragment_part("funnel_economics")
    spec = economics_spec(ctx, model)
    render_checks(ctx, spec)
    render_economics(ctx, spec)
    render_cost_settings(ctx, spec)


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
    heading_to_report(f"The five checks: {attrs.get('window')} against {attrs.get('previous_window')}")
    tiles_to_report(shown)


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
    if not can_edit(ctx):
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
    flash("f_costs_msg")


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
