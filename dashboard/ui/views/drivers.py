"""Drivers sections: the outcome picker, what goes with it (crude and adjusted), and what fixing it is worth."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import streamlit as st

from dashboard.charts import drivers as charts
from dashboard.escape import markdown_text
from dashboard.formatting import NumberFormat
from dashboard.metrics.behaviours import adoption as bh
from dashboard.metrics.drivers import effects, money, tipping
from dashboard.metrics.drivers import spec as drivers
from dashboard.ui import present, report, state, widgets
from dashboard.ui.frame import PageContext
from dashboard.ui.sections import guarded
from dashboard.ui.views import whatif as whatif_view

OUTCOME_LABELS = {
    drivers.DEFECTION: "Defection",
    drivers.LOW_SATISFACTION: "Low satisfaction",
    drivers.CONVERSION: "Conversion (lead to first order)",
}
CORRECTION = (
    "Significance is corrected for the number of drivers tested by Holm's step-down method: a driver is marked "
    "significant when its Holm-adjusted p is below 5 %."
)
ODDS_CHART_KEY = "dr_or"
"""The URL name of the odds-ratio chart's expander (true while it is open: a link made with it open opens it)."""
HOLDOUT = (
    "To test it: fix it for a random half of the customers exposed, keep the other half as a holdout, and compare "
    "their defection after six to twelve months."
)


@dataclass(frozen=True)
class DriverView:
    """The outcome chosen, whether the data can tell it (else why not), and the driver table for it."""

    spec: drivers.DriverSpec
    available: bool
    missing: str
    table: pd.DataFrame

    @property
    def words(self) -> str:
        """The outcome in words for titles."""
        return OUTCOME_LABELS[self.spec.outcome].lower()


@state.fragment
@guarded("Drivers")
def render_by_outcome(ctx: PageContext) -> None:
    """The outcome picker and every section drawn by it, as one fragment: an outcome change, or a section's own
    control, reruns only this part of the page (not the sidebar and the page's frame)."""
    report.fragment_part("drivers")
    choice = controls(ctx)
    render_effects(ctx, choice)
    render_adjusted(ctx, choice)
    render_tipping(ctx, choice)
    render_worth(ctx, choice)


@guarded("Outcome")
def controls(ctx: PageContext) -> DriverView:
    """The outcome picker (and the low-satisfaction threshold), kept in the URL; the driver table for it."""
    available = ctx.metric(drivers.availability)
    can = dict(zip(available["outcome"], available["available"], strict=True))
    missing = dict(zip(available["outcome"], available["missing"], strict=True))
    default = next((o for o in drivers.OUTCOMES if can[o]), drivers.DEFECTION)
    outcome = state.choice(
        st.radio,
        "Outcome",
        "dr_outcome",
        list(drivers.OUTCOMES),
        default,
        format_func=OUTCOME_LABELS.get,
        horizontal=True,
        help="What the drivers are tested against.",
    )
    threshold = None
    if outcome == drivers.LOW_SATISFACTION and can[outcome]:
        by_scale = float(ctx.metric(drivers.satisfaction_scale).iloc[0]["threshold"])
        threshold = state.widget(
            st.number_input,
            "Low satisfaction means a score of at most",
            "dr_low",
            by_scale,
            state.FLOAT,
            min_value=0.0,
            max_value=10.0,
            step=1.0,
            help="By default at most 2 on a 1-5 scale, at most 6 (detractors) on a 0-10 scale.",
        )
    catalogue = bh.catalogue_for(ctx.store, ctx.version)
    spec = drivers.DriverSpec(ctx.filters, outcome, threshold, catalogue)
    table = ctx.metric(effects.effects, spec) if can[outcome] else pd.DataFrame(columns=effects.COLUMNS)
    return DriverView(spec, bool(can[outcome]), missing[outcome], table)


def _headline(view: DriverView, fmt: NumberFormat) -> str:
    """The population and its outcome rate in one sentence."""
    total = view.table.iloc[0]
    n, k = int(total["customers"]), int(total["outcomes"])
    who = "people known (leads and customers)" if view.spec.outcome == drivers.CONVERSION else "customers of the period"
    text = f"{fmt.number(n)} {who}; {fmt.number(k)} ({fmt.pct(k / n)}) {drivers.OUTCOME_WORDS[view.spec.outcome]}."
    if view.spec.outcome == drivers.LOW_SATISFACTION and "threshold" in view.table:
        text += f" Low satisfaction means a score of at most {fmt.number(float(total['threshold']), 1)}."
    return text


def effect_display(table: pd.DataFrame, fmt: NumberFormat) -> pd.DataFrame:
    """The driver table as shown: every figure written out, a dash where the model could not estimate one."""
    rows = table[table["kind"] != "all"]

    def interval(v: object, lo: object, hi: object, digits: int = 2) -> str:
        if pd.isna(v):
            return "—"
        return f"{fmt.number(float(v), digits)} ({fmt.number(float(lo), digits)} to {fmt.number(float(hi), digits)})"

    return pd.DataFrame(
        {
            "Driver": rows["driver"],
            "Rate with": [fmt.pct(v) for v in rows["rate_with"]],
            "Rate without": [fmt.pct(v) for v in rows["rate_without"]],
            "Difference, points (95 %)": [
                interval(v * 100, lo * 100, hi * 100, 1)
                for v, lo, hi in zip(rows["difference"], rows["difference_low"], rows["difference_high"], strict=True)
            ],
            "Significant (Holm)": ["yes" if p < 0.05 else "no" for p in rows["p_holm"]],
            "Customers on it": [fmt.number(v) for v in rows["exposed"]],
            "Share": [fmt.pct(v) for v in rows["prevalence"]],
            "Compared with": rows["against"],
            "Kind": rows["kind"],
            "Odds ratio (95 %)": [
                interval(v, lo, hi) for v, lo, hi in zip(rows["odds_ratio"], rows["or_low"], rows["or_high"], strict=True)
            ],
            "Adjusted odds ratio (95 %)": [
                interval(v, lo, hi)
                for v, lo, hi in zip(rows["adjusted_or"], rows["adjusted_low"], rows["adjusted_high"], strict=True)
            ],
        }
    )


def _columns(widths: dict[str, int]) -> dict[str, dict]:
    """Column settings for a table whose first column names the row: that column pinned (it stays in view when the
    table is scrolled sideways), every column listed the width given in px."""
    first = next(iter(widths))
    return {name: st.column_config.TextColumn(width=px, pinned=name == first) for name, px in widths.items()}


EFFECT_COLUMNS = _columns(
    {"Driver": 260, "Rate with": 85, "Rate without": 105, "Difference, points (95 %)": 175, "Significant (Holm)": 125}
)
"""The driver table at 1,280 px with the sidebar open: each driver, its rates, their difference and whether it holds in
view; how common it is, what it is compared with and the odds ratios to the right."""
TIPPING_COLUMNS = _columns({"Measure": 250, "At least": 80, "Customers at or past it": 170})
WORTH_COLUMNS = _columns({"Driver": 260, "Lifetime value at stake": 155, "Customers on it": 110, "Defection with / without": 170})
"""The worth table at 1,280 px with the sidebar open: each driver and the money at stake in view first."""


@guarded("What goes with the outcome")
def render_effects(ctx: PageContext, view: DriverView) -> None:
    """Importance × performance, and the table of every driver's crude and adjusted effect."""
    fmt = ctx.number_format
    st.subheader("What goes with it")
    if not view.available:
        st.info(view.missing)
        return
    if view.spec.outcome == drivers.DEFECTION:
        ctx.show_definitions("defected")
    total = view.table.iloc[0]
    if int(total["customers"]) == 0:
        st.info("No customer in the selected segments, regions and months has this outcome recorded.")
        return
    st.markdown(_headline(view, fmt))
    if len(view.table) == 1:
        st.info(
            "No driver splits these customers (each is shown by all of them or none). Drivers come from the behaviour "
            "catalogue, touchpoints (complaints, repeats, resolution), segment, region, kept attributes (contract, payment "
            "method), products and signup dates."
        )
        return
    names_px = present.CHART_TEXT_PX if ctx.presenting else charts.NAME_PX  # names placed apart at the size drawn
    widgets.chart(charts.importance_performance(view.table, view.words, names_px), key="dr_ip_chart")
    st.caption(
        "Each point is a driver: across, how many customers are on its bad side; up, how much higher the "
        f"{view.words} rate is among them than among the rest. Top right: common and strongly linked, look there first. "
        "The strongest are named where the name fits; point at the others for theirs."
    )
    widgets.table(effect_display(view.table, fmt), width="stretch", key="dr_table", column_config=EFFECT_COLUMNS)
    st.caption(
        "Rate with = customers on the driver with the outcome ÷ customers on the driver; without likewise for the "
        "customers it is compared with (an attribute's level, such as a contract type, against every other level "
        "together). "
        "Difference with a 95 % interval (Newcombe's, from each rate's Wilson interval: it stays within ±100 points "
        "on few customers); odds ratio with a 95 % Woolf interval (0.5 added to every cell of a "
        f"table with an empty cell). {CORRECTION}"
    )
    widgets.download_buttons(view.table, f"drivers_{view.spec.outcome.replace(' ', '_')}", key="dr_dl", label="Driver table")


@guarded("Adjusted for each other")
def render_adjusted(ctx: PageContext, view: DriverView) -> None:
    """Odds ratios alone and adjusted for every other driver (logistic regression), with their intervals."""
    if not view.available or len(view.table) <= 1:
        return
    st.subheader("Each driver alone and adjusted for the others")
    total = view.table.iloc[0]
    rows = int(total["model_rows"]) if pd.notna(total["model_rows"]) else 0
    if rows == 0:
        st.info("The model could not be fitted: every customer has the same outcome, or too few customers.")
        return
    fmt = ctx.number_format
    state.draw_expander(  # drawn only while open: a chart of every driver redrawn on each control change costs ~0.1 s
        "The odds ratios as a chart: each driver alone and adjusted, with their 95 % intervals",
        ODDS_CHART_KEY,
        lambda: widgets.chart(charts.odds_ratios(view.table, view.words), key="dr_or_chart"),
        icon=":material/bar_chart:",
    )
    sample = "every customer" if rows >= int(total["customers"]) else f"a fixed random sample of {fmt.number(rows)} customers"
    st.caption(
        "Adjusted odds ratio: from a logistic regression of the outcome on all drivers together, fitted on "
        f"{sample}, with one level of each attribute and tenure left out as the reference (no adjusted figure). "
        "An adjusted odds ratio near 1 where the crude one is far from 1 means another driver explains the link."
    )
    drivers_only = view.table.iloc[1:]
    missing = drivers_only[drivers_only["adjusted_or"].isna() & (drivers_only["kind"].isin(drivers.FIXABLE))]
    if len(missing):
        names = ", ".join(markdown_text(name) for name in missing["driver"])
        st.caption(
            f"No adjusted figure for {names}: the outcome is almost all on one side of it, or the customers the model "
            "was fitted on are all on one side, so the model cannot estimate it; its figure alone stands."
        )


@guarded("Tipping points")
def render_tipping(ctx: PageContext, view: DriverView) -> None:
    """Per count or duration measure: the threshold where the outcome rate changes most, with the predictive values."""
    if not view.available or int(view.table.iloc[0]["customers"]) == 0:
        return
    st.subheader("Tipping points")
    tips = ctx.metric(tipping.tipping_points, view.spec)
    if tips.empty:
        st.info(
            "No tipping point: it needs touchpoints (contacts, complaints, resolution times) and at least "
            f"{tipping.MIN_SIDE} customers on each side of a threshold."
        )
        return
    fmt = ctx.number_format
    display = pd.DataFrame(
        {
            "Measure": tips["measure"],
            "At least": [fmt.number(v, 0 if float(v).is_integer() else 2) for v in tips["threshold"]],
            "Customers at or past it": [
                f"{fmt.number(n)} ({fmt.pct(s)})" for n, s in zip(tips["beyond"], tips["share_beyond"], strict=True)
            ],
            f"{OUTCOME_LABELS[view.spec.outcome]} rate past / below it": [
                f"{fmt.pct(a)} / {fmt.pct(b)}" for a, b in zip(tips["rate_beyond"], tips["rate_below"], strict=True)
            ],
            "Positive predictive value": [fmt.pct(v) for v in tips["rate_beyond"]],
            "Negative predictive value": [fmt.pct(v) for v in tips["npv"]],
            "Share of the outcomes past it": [fmt.pct(v) for v in tips["sensitivity"]],
        }
    )
    widgets.table(display, width="stretch", key="dr_tipping", column_config=TIPPING_COLUMNS)
    st.caption(
        "The threshold is where the outcome rate changes most: of every split into customers at or past a value and "
        f"those below it (at least {tipping.MIN_SIDE} on each side), the one with the largest difference in rate, "
        "either way. Positive predictive value = the rate past it; negative = the share without the outcome below it."
    )


@guarded("What fixing it is worth")
def render_worth(ctx: PageContext, view: DriverView) -> None:
    """Per fixable driver: customers exposed × difference in defection rate × lifetime value, and cost to serve."""
    if not view.available or len(view.table) <= 1:
        return
    st.subheader("What fixing it is worth")
    if view.spec.outcome != drivers.DEFECTION:
        st.info("Money is put on drivers of defection: choose Defection as the outcome to see it.")
        return
    fmt = ctx.number_format
    ltv = whatif_view.lifetime_value_default(ctx)
    worth = money.worth(view.table, ltv.value)
    if worth.empty:
        st.info("No behaviour or journey-pain driver goes with more defection here, so there is nothing to put money on.")
        return
    has_cost = worth["cost_difference"].notna().any()
    display = pd.DataFrame(
        {
            "Driver": worth["driver"],
            "Lifetime value at stake": [fmt.money(v) for v in worth["worth"]],
            "Customers on it": [fmt.number(v) for v in worth["exposed"]],
            "Defection with / without": [
                f"{fmt.pct(a)} / {fmt.pct(b)}" for a, b in zip(worth["rate_with"], worth["rate_without"], strict=True)
            ],
            "Defectors beyond the rest's rate": [fmt.number(v, 1) for v in worth["extra_defectors"]],
        }
    )
    if has_cost:
        display["Extra cost to serve per customer"] = [fmt.money(v) for v in worth["cost_difference"]]
    display["Compared with"] = worth["against"].to_numpy()
    widgets.table(display, width="stretch", key="dr_worth", column_config=WORTH_COLUMNS)
    st.caption(
        f"Worth = customers on the driver × (defection rate with − without) × lifetime value per customer "
        f"({fmt.money(ltv.value)}, {markdown_text(ltv.source)}). "
        + ("Extra cost to serve = mean touchpoint cost with − without, per customer over the period. " if has_cost else "")
        + "Touchpoint costs are not in this data, so the cost to serve is not compared. " * (not has_cost)
        + "Customers are on several drivers at once, so the figures overlap: do not add them up."
    )
    st.warning(f"**Association, not proven cause.** {HOLDOUT}", icon=":material/science:")


@guarded("A driver as a lever")
def render_lever(ctx: PageContext) -> None:
    """For the What-if: pick a behaviour or journey-pain driver of defection and the share of its customers fixed; the
    customers kept and their lifetime value, if the association held."""
    available = ctx.metric(drivers.availability)
    if not bool(available.set_index("outcome").loc[drivers.DEFECTION, "available"]):
        return
    spec = drivers.DriverSpec(ctx.filters, drivers.DEFECTION, None, bh.catalogue_for(ctx.store, ctx.version))
    ltv = whatif_view.lifetime_value_default(ctx)
    worth = money.worth(ctx.metric(effects.effects, spec), ltv.value)
    st.subheader("A driver as a lever")
    if worth.empty:
        st.caption("No behaviour or journey-pain driver goes with more defection here (see the Drivers page).")
        return
    fmt = ctx.number_format
    names = list(worth["driver"])
    left, right = st.columns(2)
    with left:
        chosen = state.choice(st.selectbox, "Driver to fix", "wd_driver", names, names[0], help="From the Drivers page.")
    with right:
        share = state.widget(
            st.slider, "Share of its customers fixed (%)", "wd_share", 50, state.INT, min_value=0, max_value=100, step=5
        )
    row = worth[worth["driver"] == chosen].iloc[0]
    result = money.lever(float(row["exposed"]), float(row["difference"]), share / 100, ltv.value)
    kept_col, value_col = st.columns(2)
    kept_col.metric("Customers kept by fixing it", fmt.number(result["kept"]), border=True)
    value_col.metric("Lifetime value kept by fixing it", fmt.money(result["value"]), border=True)
    st.caption(
        f"Customers kept = {fmt.number(row['exposed'])} customers on it × {share} % fixed × "
        f"{fmt.number(row['difference'] * 100, 1)} points more defection among them; "
        f"value = customers kept × {fmt.money(ltv.value)} lifetime value ({markdown_text(ltv.source)}). "
        f"**Association, not proven cause.** {HOLDOUT}"
    )
