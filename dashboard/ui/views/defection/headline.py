"""The Defection page's top: what the data supports, the definition in words, the story and the KPI tiles, and the money basis."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import formatting, staged
from dashboard.escape import markdown_text
from dashboard.metrics import compare, money
from dashboard.metrics.defection import clv, figures
from dashboard.metrics.defection import status as defection
from dashboard.ui import report, widgets
from dashboard.ui.frame import PageContext
from dashboard.ui.sections import guarded
from dashboard.ui.views.defection.definition import (
    DefectionView,
)


@guarded("What the data supports")
def render_data_needs(ctx: PageContext, view: DefectionView) -> None:
    """What the page needs from the data, what this dataset has, and why a model was not fitted."""
    fit = view.fit
    if fit["problems"] and view.available["transactions"]:
        st.warning(
            "**No BG/NBD fit:** " + markdown_text("; ".join(fit["problems"])) + ". The probability-alive rule and the "
            "probabilistic lifetime value are off; the simple lifetime value still works.",
            icon=":material/warning:",
        )
    with st.expander("What this page needs from the data", icon=":material/checklist:"):
        frame = ctx.metric(defection.availability).copy()
        frame["available"] = frame["available"].map({True: "yes", False: "no"})
        widgets.table(
            frame[["label", "available", "detail"]],
            width="stretch",
            column_config={"label": "Need", "available": "In this dataset", "detail": "Detail"},
        )
        st.caption(
            f"BG/NBD and Gamma-Gamma are fitted at publish when the data has at least {clv.MIN_REPEAT_BUYERS} repeat "
            f"buyers over at least {clv.MIN_HISTORY_WEEKS:.0f} weeks; otherwise the page says so instead of fitting "
            "silently. A purchase is a day on which the customer's transactions add up to more than zero."
        )


@guarded("Defection headline")
def render_headline(ctx: PageContext, view: DefectionView) -> None:
    """The definition in words, the as-of day, the story in two or three sentences, and the KPI tiles."""
    spec = view.spec
    as_of = formatting.day(view.fit["as_of"])
    if as_of != "—":
        status = f"Status on {as_of}, the last day in the data"
    else:
        status = "Status as the data gives it today: it has no dates (map `churn_date`, or add transactions or touchpoints)"
    st.caption(f"**Defected or at risk when:** {markdown_text(spec.definition.describe())}. {status}.")
    ctx.show_definitions("kind", "defected", "at_risk")
    kpi_frame = ctx.derived(figures.kpis_from, defection.summary, spec, spec, tells_defection=view.tells_defection)
    story = figures.story(kpi_frame, ctx.derived(figures.reasons_from, defection.summary, spec), ctx.number_format)
    if story:
        st.info("  \n".join(markdown_text(line) for line in story), icon=":material/campaign:")
    if (page_report := report.current()) is not None:
        page_report.text(f"Defected or at risk when: {spec.definition.describe()}. {status}.", "Definition")
        if story:
            page_report.text(" ".join(story), "The story")
    widgets.kpi_tiles(kpi_frame, ctx.number_format, per_row=3, changes=_changes(ctx, view, kpi_frame), comparison=ctx.comparison)
    render_money_basis(ctx, view)


def _changes(ctx: PageContext, view: DefectionView, kpi_frame: pd.DataFrame) -> dict[str, compare.Change]:
    """The period tiles' change against the comparison period: the same definition over the earlier months."""
    earlier_spec = ctx.earlier(view.spec)
    if earlier_spec is None:
        return {}
    earlier = ctx.derived(figures.kpis_from, defection.summary, earlier_spec, earlier_spec, tells_defection=view.tells_defection)
    period = compare.DEFECTION_PERIOD_FIGURES
    return compare.changes(kpi_frame, earlier, ctx.comparison, ctx.number_format, lower_is_better=period, only=period)


def render_money_basis(ctx: PageContext, view: DefectionView) -> None:
    """Where the money figures come from: the margin and expected years with their sources, and the bound on revenue at
    risk (what the customers at risk could still bring in)."""
    if not view.available["transactions"]:
        return
    nf, valuation, saved = ctx.number_format, view.spec.valuation, view.money
    if valuation.method == "simple":
        years = f"{valuation.years:g} expected years ({saved.years_source(valuation.years)})"
    elif valuation.method == "sbg":
        years = f"a {valuation.horizon_years}-year horizon (contract retention, shifted-beta-geometric)"
    else:
        years = f"a {valuation.horizon_years}-year horizon (BG/NBD)"
    bound = ctx.derived(figures.risk_bound_from, defection.summary, view.spec).iloc[0]
    where = "" if ctx.presenting else "; set under Margin in the sidebar, shared with Funnel and What-if"
    line = f"{saved.margin.pct:g} % margin ({saved.margin.source()}{where}) and {years}."
    if bound["at_risk"]:
        line += (
            f" Revenue at risk ({nf.money(bound['revenue_at_risk'])}) is at most what the {nf.number(bound['at_risk'])} "
            f"customers at risk could still bring in: Σ chance of leaving × annual margin × min(expected years, "
            f"{money.MAX_YEARS:g}) = {nf.money(bound['bound'])}. Customers who have defected are never counted as at risk."
        )
    drop = view.drop_follow_up
    if view.spec.definition.drop and not view.available["bgnbd"]:
        observed = f" ({nf.pct(drop['observed'])})" if drop["observed"] is not None and pd.notna(drop["observed"]) else ""
        line += f" Chance of leaving after a drop (no BG/NBD fit): {drop['basis']}{observed}."
    st.caption("**Money basis:** " + markdown_text(line))
    if (page_report := report.current()) is not None:
        page_report.text(line, "Money basis")


def cannot_tell_who_left(ctx: PageContext, what: str) -> None:
    """One line where the data cannot tell who left: what is not shown, and the staged sentence on what to map."""
    said = ctx.metric(staged.sentences, None)["defected"]
    st.info(f"{what[:1].upper()}{what[1:]}: {markdown_text(said)}", icon=":material/help:")
