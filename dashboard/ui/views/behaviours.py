"""Behaviours page sections: adoption against best-in-class, by segment, behaviours and satisfaction (the catalogue
editor: behaviours_editor.py)."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import streamlit as st

from dashboard import staged
from dashboard.charts import behaviours as charts
from dashboard.escape import markdown_text
from dashboard.formatting import NumberFormat
from dashboard.metrics import compare
from dashboard.metrics.behaviours import adoption as bh
from dashboard.metrics.behaviours import flags
from dashboard.metrics.behaviours.catalogue import Catalogue, load_catalogue
from dashboard.metrics.scope import Filters
from dashboard.store import Version
from dashboard.ui import settings, state, widgets
from dashboard.ui.frame import PageContext
from dashboard.ui.sections import guarded


@dataclass(frozen=True)
class BehaviourData:
    """Everything the Behaviours and What-if pages show, for the active version, filters and catalogue."""

    catalogue: Catalogue
    summary: pd.DataFrame
    adoption: pd.DataFrame
    churn: pd.DataFrame
    groups: pd.DataFrame
    scope_text: str
    base: float
    customers: float
    has_churn: bool
    has_satisfaction: bool
    flag_columns: tuple[str, ...]


NO_CHURN = "No churn figures: this dataset does not say which customers left (map a `churned` flag or a `churn_date`)."


@guarded("Behaviour figures")
def behaviour_data(ctx: PageContext) -> BehaviourData:
    """The catalogue of the active dataset and its figures: one cached query per version, months, measures and scope
    (its cube of every segment answers every segment filter of the same regions), and the tables worked out from it
    for the filters, cached with it."""
    version = ctx.version
    flag_columns = bh.flag_columns(version)
    catalogue = load_catalogue(ctx.store, ctx.dataset, flag_columns)
    has_churn = ctx.metric(staged.load_profile).tells_defection
    every_segment = bh.BehaviourSpec.of(catalogue, ctx.filters).in_every_segment()
    summary, adoption, churn, groups = ctx.derived(
        tables_from, bh.cube, every_segment, ctx.filters, catalogue, version, has_churn
    )
    total = summary[summary["dimension"] == "all"]
    return BehaviourData(
        catalogue=catalogue,
        summary=summary,
        adoption=adoption,
        churn=churn,
        groups=groups,
        scope_text=flags.scope_text(catalogue.scope, version),
        base=bh.in_scope(summary),
        customers=float(total["customers"].iloc[0]) if len(total) else 0.0,
        has_churn=has_churn,
        has_satisfaction=version.has("customers", "satisfaction"),
        flag_columns=flag_columns,
    )


def tables_from(
    cube: pd.DataFrame, filters: Filters, catalogue: Catalogue, version: Version, has_churn: bool
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The summary for filters and the tables the page draws from it: adoption, churn by behaviour, count groups
    (churn unknown, not 0, where the data do not tell who left)."""
    summary = bh.summary_of(cube, filters)
    churn = bh.churn_by_behaviour(summary, catalogue)
    groups = bh.behaviour_count_groups(summary, churn_known=has_churn)
    if not has_churn:  # nobody is known to have left: churn is unknown, not 0
        churn = churn.assign(churn_with=float("nan"), churn_without=float("nan"), churn_gap=float("nan"))
        groups = groups.assign(churn_rate=float("nan"))
    return summary, bh.adoption_table(summary, catalogue, version), churn, groups


# -- read-only sections -------------------------------------------------------------------------------------------

TABS = ("Adoption", "By segment or region", "By number of behaviours", "Churn")
"""The page's tabs under the scope tiles; the open one is kept in the URL as b_tab."""
TAB_KEY = "b_tab"


@guarded("Behaviours tabs", stop=True)
def page_tabs() -> dict[str, object]:
    """The page's tabs by label; only the open one draws its charts and tables, so a filter change redraws the scope
    tiles and one tab, not every chart of the page."""
    return dict(zip(TABS, state.tabs(list(TABS), TAB_KEY), strict=True))


@guarded("Scope")
def render_scope(ctx: PageContext, data: BehaviourData) -> None:
    """KPI tiles (customers in scope, behaviours measured, savings potential) and the scope in words."""
    fmt = ctx.number_format
    for problem in data.catalogue.problems:
        st.warning(problem, icon=":material/warning:")
    measured = int((data.adoption["status"] == "measured").sum()) if len(data.adoption) else 0
    headline = bh.headline(data.adoption, data.base)
    potential = headline.set_index("key").loc["savings_potential", "value"]
    changes = headline_changes(ctx, data, headline)
    left, middle, right = st.columns(3)
    left.metric(
        "Customers in scope",
        fmt.number(data.base),
        help=f"Adoption is measured over {markdown_text(data.scope_text)}, in the selected segments, regions and months. "
        "Prospects never count. Change the scope in the catalogue editor below.",
        border=True,
        **widgets.delta(changes.get("customers_in_scope")),
    )
    middle.metric(
        "Behaviours measured in the data",
        f"{measured} of {len(data.adoption)}",
        help="Behaviours whose adoption the data can measure (a flag, a rule on a customer column, or touchpoints). "
        "The others use an estimated adoption, or are not priced until one is entered.",
        border=True,
    )
    right.metric(
        "Savings potential a year",
        fmt.money(potential) if pd.notna(potential) else "—",
        help="Sum over behaviours of customers in scope × (best-in-class − adoption today, when positive) × saving "
        "per adopting customer per year. Figures marked as assumptions are placeholders to replace.",
        border=True,
        **widgets.delta(changes.get("savings_potential")),
    )
    if ctx.comparison.why_not:
        st.caption(ctx.comparison.why_not)
    st.caption(
        "Adoption = customers showing the behaviour ÷ customers in scope: "
        f"{markdown_text(data.scope_text)}; {markdown_text(ctx.filters.describe())}."
    )


def headline_changes(ctx: PageContext, data: BehaviourData, headline: pd.DataFrame) -> dict[str, compare.Change]:
    """The headline's change against the comparison period: the same catalogue and scope over the earlier months (a
    smaller savings potential is good news: the gap has narrowed)."""
    earlier_filters = ctx.earlier()
    if earlier_filters is None:
        return {}
    every_segment = bh.BehaviourSpec.of(data.catalogue, earlier_filters).in_every_segment()
    summary = ctx.derived(bh.summary_of, bh.cube, every_segment, earlier_filters)
    earlier = bh.headline(bh.adoption_table(summary, data.catalogue, ctx.version), bh.in_scope(summary))
    return compare.changes(
        headline,
        earlier,
        ctx.comparison,
        ctx.number_format,
        lower_is_better=frozenset({"savings_potential"}),
        neutral=frozenset({"customers_in_scope"}),
    )


def adoption_display(adoption: pd.DataFrame, fmt: NumberFormat) -> pd.DataFrame:
    """The adoption table as the page shows it: figures written out, the figures' source or "assumption"."""
    rows = []
    for r in adoption.itertuples(index=False):
        current = "—" if pd.isna(r.current) else fmt.pct(r.current, 2) + (" (estimate)" if r.status == "estimate" else "")
        rows.append(
            {
                "Behaviour": r.behaviour,
                "Adoption today": current,
                "Best-in-class": "—" if pd.isna(r.best_in_class) else fmt.pct(r.best_in_class, 1),
                "Gap": "—" if pd.isna(r.gap) else f"{fmt.number(r.gap * 100, 1)} pts",
                "Saving per customer a year": fmt.money(r.saving, 2),
                "Savings potential a year": "—" if pd.isna(r.potential) else fmt.money(r.potential, 0),
                "Figures": "Assumption: replace" if r.assumption else _source(r),
                "How it is measured": r.how_measured if r.status == "measured" else r.note,
            }
        )
    return pd.DataFrame(rows)


def _source(row: object) -> str:
    sources = [s for s in (row.best_in_class_source, row.saving_source) if s]
    return "Source: " + (" · ".join(dict.fromkeys(sources)) if sources else "entered by the team")


def adoption_export(adoption: pd.DataFrame) -> pd.DataFrame:
    """The adoption table for download: raw numbers (percentages as 0-100) with their sources."""
    out = adoption[
        ["behaviour", "status", "how_measured", "note", "customers_in_scope", "adopters", "current", "best_in_class", "gap"]
    ].copy()
    for col in ("current", "best_in_class", "gap"):
        out[col] = out[col].astype(float) * 100
    out["saving per customer a year"] = adoption["saving"]
    out["savings potential a year"] = adoption["potential"]
    out["assumption"] = adoption["assumption"]
    out["best-in-class source"] = adoption["best_in_class_source"]
    out["saving source"] = adoption["saving_source"]
    return out.rename(columns={"current": "adoption today %", "best_in_class": "best-in-class %", "gap": "gap (points)"})


ADOPTION_COLUMNS = {
    "Behaviour": st.column_config.TextColumn(width=190),
    "Adoption today": st.column_config.TextColumn(width=115),
    "Best-in-class": st.column_config.TextColumn(width=100),
    "Gap": st.column_config.TextColumn(width=75),
    "Saving per customer a year": st.column_config.TextColumn(
        "Saving / customer", width=125, help="Saving per customer a year, once they show the behaviour"
    ),
    "Savings potential a year": st.column_config.TextColumn(
        "Potential a year", width=115, help="Savings potential a year: customers in scope × gap × saving per customer"
    ),
    "Figures": st.column_config.TextColumn(width="medium"),
    "How it is measured": st.column_config.TextColumn(width="large"),
}
"""The adoption table's columns: the behaviour and its five figures narrow enough to be in view at 1,280 px with the
sidebar open, the two columns of words after them."""


@guarded("Adoption against best-in-class")
def render_adoption(ctx: PageContext, data: BehaviourData) -> None:
    """Adoption today against best-in-class, the gap and the savings potential, sorted by money."""
    fmt = ctx.number_format
    st.subheader("Adoption today against best-in-class")
    if data.adoption.empty:
        st.info("The catalogue is empty: add a behaviour in the catalogue editor below.")
        return
    if data.adoption["current"].notna().any():
        widgets.chart(charts.adoption_and_potential(data.adoption, fmt), key="b_adoption_chart")
    widgets.table(
        adoption_display(data.adoption, fmt),
        width="stretch",
        key="b_adoption_table",
        column_config=ADOPTION_COLUMNS,
    )
    if data.adoption["assumption"].any():
        st.caption(
            "Figures marked **Assumption** are placeholders from the default utility catalogue: replace them with "
            "your own cost data and benchmarks in the catalogue editor below. Only e-billing's \\$11 and 84 % come "
            "from the article."
        )
    widgets.download_buttons(
        adoption_export(data.adoption), "behaviour_adoption", key="b_adoption_dl", label="Adoption table", deferred=True
    )


@guarded("Adoption by group")
def render_by_group(ctx: PageContext, data: BehaviourData) -> None:
    """Adoption and savings potential by segment or region."""
    fmt = ctx.number_format
    st.subheader("By segment or region")
    dimension = state.widget(
        st.segmented_control,
        "Break down by",
        "b_by",
        "segment",
        state.TEXT,
        valid=_valid_dimension,
        value_arg="default",
        options=["segment", "region"],
        format_func=str.capitalize,
        selection_mode="single",
        required=True,
    )
    by_group = bh.adoption_by(data.summary, data.catalogue, dimension)
    if by_group.empty:
        st.info("No behaviour is measured in the data, so there is nothing to break down.")
        return
    if by_group["group"].nunique() < 2:
        st.caption(f"Every customer in scope has the same {dimension} ({markdown_text(by_group['group'].iloc[0])}).")
    widgets.chart(charts.adoption_heatmap(by_group, dimension, fmt), key="b_group_heatmap")
    widgets.chart(charts.potential_by_group(by_group, dimension, list(data.catalogue.keys), fmt), key="b_group_potential")
    table = by_group.assign(
        current=by_group["current"].astype(float) * 100, best_in_class=by_group["best_in_class"].astype(float) * 100
    ).rename(
        columns={
            "group": dimension,
            "current": "adoption today %",
            "best_in_class": "best-in-class %",
            "potential": "savings potential a year",
            "group_potential": f"{dimension} savings potential a year",
        }
    )
    widgets.download_buttons(
        table.drop(columns=["key"]), f"behaviours_by_{dimension}", key="b_group_dl", label="By " + dimension, deferred=True
    )


def _valid_dimension(value: str) -> str:
    if value not in ("segment", "region"):
        raise ValueError(value)
    return value


@guarded("Customers by number of behaviours")
def render_count_groups(ctx: PageContext, data: BehaviourData) -> None:
    """Customers grouped by the number of behaviours they show: mean satisfaction with its interval, churn rate."""
    fmt = ctx.number_format
    st.subheader("Customers by number of behaviours")
    groups = data.groups
    if groups.empty:
        st.info("No customers in the selected segments, regions and months.")
        return
    scale = settings.stored(ctx.store, ctx.dataset, "satisfaction_scale", "")
    widgets.chart(charts.count_groups(groups, scale, fmt), key="b_count_chart")
    display = pd.DataFrame(
        {
            "Behaviours shown": groups["behaviours"],
            "Customers": [fmt.number(v) for v in groups["customers"]],
            "Mean satisfaction": [fmt.number(v, 2) for v in groups["mean_satisfaction"]],
            "95 % interval": [
                "—" if pd.isna(lo) else f"{fmt.number(lo, 2)} to {fmt.number(hi, 2)}"
                for lo, hi in zip(groups["ci_low"], groups["ci_high"], strict=True)
            ],
            **({"Churn rate": [fmt.pct(v, 2) for v in groups["churn_rate"]]} if data.has_churn else {}),
            "Note": ["Fewer than 30 customers: too few to read" if s else "" for s in groups["small"]],
        }
    )
    widgets.table(display, width="stretch", key="b_count_table")
    st.caption(
        f"Over the {fmt.number(data.customers)} customers of the period (those who left during it included), counting "
        "the behaviours measured in the data. Satisfaction: the customer's score; interval: mean ± Student's t × "
        "standard deviation ÷ √n. Churn rate: customers who defected during the period ÷ customers."
        + ("" if data.has_satisfaction else " This dataset has no satisfaction scores.")
        + ("" if data.has_churn else f" {NO_CHURN}")
    )


@guarded("Behaviours and churn")
def render_churn(ctx: PageContext, data: BehaviourData) -> None:
    """Churn rate and satisfaction with and without each behaviour."""
    fmt = ctx.number_format
    st.subheader("Churn with and without each behaviour")
    churn = data.churn
    if churn.empty:
        st.info("No behaviour is measured in the data.")
        return
    ctx.show_definitions("defected")
    if not data.has_churn:
        st.info(NO_CHURN)
        return
    display = pd.DataFrame(
        {
            "Behaviour": churn["behaviour"],
            "Customers with it": [fmt.number(v) for v in churn["with"]],
            "Share with it": [fmt.pct(v, 2) for v in churn["share_with"]],
            "Churn with it": [fmt.pct(v, 2) for v in churn["churn_with"]],
            "Churn without it": [fmt.pct(v, 2) for v in churn["churn_without"]],
            "Churn gap": ["—" if pd.isna(v) else f"{fmt.number(v * 100, 2)} pts" for v in churn["churn_gap"]],
            "Satisfaction with / without": [
                f"{fmt.number(a, 2)} / {fmt.number(b, 2)}"
                for a, b in zip(churn["satisfaction_with"], churn["satisfaction_without"], strict=True)
            ],
        }
    )
    widgets.chart(charts.churn_with_without(churn, fmt), key="b_churn_chart")
    widgets.table(display, width="stretch", key="b_churn_table")
    st.caption(
        "Over the customers of the period. Churn with it = customers showing the behaviour who defected during the "
        "period ÷ customers showing it; without it likewise. Churn gap = without − with: an association, not proof "
        "that the behaviour keeps customers."
    )
    widgets.download_buttons(
        churn.drop(columns=["key"]), "churn_by_behaviour", key="b_churn_dl", label="Churn table", deferred=True
    )
