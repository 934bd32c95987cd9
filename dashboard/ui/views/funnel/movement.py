"""The Movement tab as one fragment (its month range and cell picks rerun only the tab): the transition matrix between
two month ends, who moved up, stayed or moved down, a cell's customers, and the median time in each stage."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pandas as pd
import streamlit as st

from dashboard.charts import funnel as charts
from dashboard.metrics.funnel import counts as funnel
from dashboard.metrics.funnel import movement, stages
from dashboard.metrics.funnel.stages import NEW, StageModel
from dashboard.ui import report, state, widgets
from dashboard.ui.frame import PageContext, month_from_key, month_label, month_options
from dashboard.ui.sections import guarded
from dashboard.ui.views.funnel.common import customers_table, heading_to_report, role_picker, slug, tiles_to_report

MOVES = ("Moved up", "Stayed", "Moved down", "New since the first date")


@state.fragment
@guarded("Movement tab")
def render_movement_tab(ctx: PageContext, model: StageModel) -> None:
    """The movement between two month ends and the time in each stage, as one fragment (the last part of the tab)."""
    report.fragment_part("funnel_movement")
    render_movement(ctx, model)
    render_time_in_stage(ctx, model)


def _month_day(month: str) -> date:
    return stages.month_end(month_from_key(month))


def _period(months: list[str]) -> tuple[str, str]:
    """The two months compared (kept in the URL as f_move): by default a year before the last month, and the last."""

    def _valid(period) -> tuple[str, str]:
        lo, hi = tuple(period)
        if lo not in months or hi not in months or lo >= hi:
            raise ValueError(period)
        return (lo, hi)

    return state.widget(
        st.select_slider,
        "Compare stages at the end of",
        "f_move",
        (months[max(0, len(months) - 13)], months[-1]),
        state.RANGE,
        valid=_valid,
        options=months,
        format_func=month_label,
        help="Each customer's stage at the end of the first month against the end of the second.",
    )


@guarded("Movement")
def render_movement(ctx: PageContext, model: StageModel) -> None:
    """The transition matrix between two month ends, who moved up, stayed or moved down, and a cell's customers."""
    span = ctx.metric(stages.span_frame, None).iloc[0]
    months = month_options(span["data_start"], span["data_end"])
    if isinstance(months, str):
        st.info(months)
        return
    if len(months) < 2:
        st.info("Movement needs at least two months of data.")
        return
    period = _period(months)
    move = movement.MoveSpec(model, ctx.filters, _month_day(period[0]), _month_day(period[1]))
    matrix = ctx.metric(movement.transition_matrix, move)
    if stages.uses_column(model, ctx.version):
        st.caption("Movement needs each customer's history, so both dates use the rules (a stage column is a snapshot).")
    if matrix.empty:
        st.info("No customers in the selected segments and regions.")
        return
    summary = movement.movement_summary(matrix)
    _movement_tiles(ctx, matrix, summary, period)
    first, second = (f"the end of {_month_day(m):%b %Y}" for m in period)
    widgets.chart(charts.transition_heatmap(matrix, ctx.number_format, first, second), key="f_matrix_chart")
    widgets.chart(charts.movement_bars(summary, ctx.number_format), key="f_movement_chart")
    render_cell_drill(ctx, model, move)


def _movement_tiles(ctx: PageContext, matrix: pd.DataFrame, summary: pd.DataFrame, period: tuple[str, str]) -> None:
    """Tiles (and report lines) of the customers who moved up, stayed, moved down, and are new since the first date."""
    nf = ctx.number_format
    totals = summary[[movement.UP, movement.SAME, movement.DOWN]].sum()
    new = int(matrix.loc[matrix["from_role"] == "new", "customers"].sum())
    values = (totals[movement.UP], totals[movement.SAME], totals[movement.DOWN], new)
    for col, label, value in zip(st.columns(4), MOVES, values, strict=True):
        col.metric(label, nf.number(value), border=True)
    heading_to_report(f"Movement from the end of {_month_day(period[0]):%b %Y} to the end of {_month_day(period[1]):%b %Y}")
    tiles_to_report([(label, nf.number(value), "") for label, value in zip(MOVES, values, strict=True)])


def render_cell_drill(ctx: PageContext, model: StageModel, move: movement.MoveSpec) -> None:
    """The customers of one cell of the transition matrix."""
    st.subheader("Customers who moved between two stages")
    left, right = st.columns(2)
    with left:
        from_role = role_picker("Stage on the first date", "f_from", [*model.roles, "new"], "loyal", model)
    with right:
        to_role = role_picker("Stage on the second date", "f_to", list(model.roles), "defected", model)
    spec = movement.CellSpec(move, from_role, to_role)
    frame = ctx.metric(movement.cell_customers, spec)
    st.caption(
        f"First {ctx.number_format.number(len(frame))} by customer id (the download holds them all)."
        if len(frame) >= funnel.DRILL_LIMIT
        else f"{ctx.number_format.number(len(frame))} customers."
    )
    name = f"movement-{slug(NEW if from_role == 'new' else model.name(from_role))}-to-{slug(model.name(to_role))}"
    version, every = ctx.version, replace(spec, limit=None)
    customers_table(ctx, frame, lambda cur: movement.cell_customers(cur, version, every), name, "f_cell_dl")


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
