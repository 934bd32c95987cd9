"""Funnel benchmark: every control change on the page runs the metrics of the open tab that change with it.

A case's DuckDB side is exactly what a rerun recomputes (Streamlit's cache off); its pandas side computes the
same figures from the raw tables in memory with benchmarks/reference/funnel.py (purchase days, complaint days and
monthly money included, as a plain pandas dashboard would on every change)."""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import date

import pandas as pd

from benchmarks.harness import BenchContext, Case
from benchmarks.reference import funnel as reference
from dashboard.metrics import economics
from dashboard.metrics.funnel import counts as funnel
from dashboard.metrics.funnel import movement
from dashboard.metrics.funnel.stages import DEFAULT_MODEL, StageRules
from dashboard.metrics.scope import Filters

STRICT = replace(
    DEFAULT_MODEL,
    rules=replace(StageRules(), repeat_join="and", loyal_purchases=6, loyal_tenure_days=0, at_risk_days=45, defected_days=120),
)
MOVE_FROM, MOVE_TO = date(2024, 12, 31), date(2025, 12, 31)


def _counts_agree(counts: pd.DataFrame, expected: dict[str, int], reached: dict[str, int]) -> bool:
    got = counts.set_index("role")
    return got["customers"].to_dict() == expected and got["reached"].dropna().astype(int).to_dict() == reached


def _breakdown_agree(frame: pd.DataFrame, expected: pd.DataFrame) -> bool:
    got = {(v, r): int(n) for v, r, n in zip(frame["value"], frame["role"], frame["customers"], strict=True)}
    return got == {(v, r): int(n) for v, r, n in zip(expected["value"], expected["role"], expected["customers"], strict=True)}


def _cohorts_agree(frame: pd.DataFrame, expected: pd.DataFrame) -> bool:
    merged = frame.merge(expected, on=["cohort", "months"], suffixes=("", "_ref"), how="outer")
    return len(merged) == len(frame) == len(expected) and all(
        math.isclose(a, b, abs_tol=1e-12) for a, b in zip(merged["share"], merged["share_ref"], strict=True)
    )


def _matrix_agree(matrix: pd.DataFrame, expected: pd.DataFrame) -> bool:
    got = {(r.from_role, r.to_role): r.customers for r in matrix.itertuples()}
    return got == {(r.from_role, r.to_role): r.customers for r in expected.itertuples()}


def cases(ctx: BenchContext) -> list[Case]:
    """One case per control on the Funnel page (and a filter change on each tab)."""

    def fresh() -> reference.Prepared:
        """The reference's per-customer preparation from the raw tables (redone in every pandas case)."""
        return reference.prepare(ctx.frames())

    def run(*calls):
        with ctx.store.cursor() as cur:
            return tuple(fn(cur, ctx.version, spec) for fn, spec in calls)

    def funnel_tab(model, filters, by="segment", target="first_purchase", role="at_risk"):
        return (
            (funnel.stage_counts, funnel.StageSpec(model, filters)),
            (funnel.breakdown, funnel.BreakdownSpec(model, filters, by)),
            (funnel.cohorts, funnel.CohortSpec(model, filters, target)),
            (funnel.stage_customers, funnel.DrillSpec(model, filters, role)),
        )

    def funnel_pandas(model, filters, by="segment", target="first_purchase", role="at_risk"):
        prep = fresh()
        return (
            reference.stage_counts(prep, model, None, filters),
            reference.reached(prep, model, None, filters),
            reference.breakdown(prep, model, None, by) if not (filters.segments or filters.regions) else None,
            reference.cohorts(prep, model, None, target) if not (filters.segments or filters.regions) else None,
            reference.stage_customers(prep, model, None, role) if not (filters.segments or filters.regions) else None,
        )

    def funnel_agree(sql, ref) -> bool:
        counts, frame, cohort, drill = sql
        expected, reached, breakdown, cohort_ref, drill_ref = ref
        ok = _counts_agree(counts, expected, reached)
        if breakdown is not None:
            ok = ok and _breakdown_agree(frame, breakdown) and _cohorts_agree(cohort, cohort_ref)
            ok = ok and drill["customer_id"].tolist() == drill_ref
        return ok

    move = movement.MoveSpec(DEFAULT_MODEL, Filters(), MOVE_FROM, MOVE_TO)
    econ = economics.EconomicsSpec(DEFAULT_MODEL, Filters(), 12)
    commercial = Filters(segments=("Commercial",))
    result = [
        Case(
            "Funnel tab: open (all customers)",
            lambda: run(*funnel_tab(DEFAULT_MODEL, Filters())),
            lambda: funnel_pandas(DEFAULT_MODEL, Filters()),
            "",
            funnel_agree,
        ),
        Case(
            "Funnel tab: segment = Commercial",
            lambda: run(*funnel_tab(DEFAULT_MODEL, commercial)),
            lambda: funnel_pandas(DEFAULT_MODEL, commercial),
            "",
            funnel_agree,
        ),
        Case(
            "Funnel tab: rules edited",
            lambda: run(*funnel_tab(STRICT, Filters())),
            lambda: funnel_pandas(STRICT, Filters()),
            "",
            funnel_agree,
        ),
        Case(
            "Breakdown by region",
            lambda: run((funnel.breakdown, funnel.BreakdownSpec(DEFAULT_MODEL, Filters(), "region"))),
            lambda: reference.breakdown(fresh(), DEFAULT_MODEL, None, "region"),
            "",
            lambda sql, ref: _breakdown_agree(sql[0], ref),
        ),
        Case(
            "Cohort target: loyal",
            lambda: run((funnel.cohorts, funnel.CohortSpec(DEFAULT_MODEL, Filters(), "loyal"))),
            lambda: reference.cohorts(fresh(), DEFAULT_MODEL, None, "loyal"),
            "",
            lambda sql, ref: _cohorts_agree(sql[0], ref),
        ),
        Case(
            "Drill-down stage: loyal",
            lambda: run((funnel.stage_customers, funnel.DrillSpec(DEFAULT_MODEL, Filters(), "loyal"))),
            lambda: reference.stage_customers(fresh(), DEFAULT_MODEL, None, "loyal"),
            "",
            lambda sql, ref: sql[0]["customer_id"].tolist() == ref,
        ),
        Case(
            "Movement tab: open",
            lambda: run(
                (movement.transition_matrix, move),
                (movement.cell_customers, movement.CellSpec(move, "loyal", "defected")),
                (movement.time_in_stage, movement.TimeSpec(DEFAULT_MODEL, Filters())),
            ),
            lambda: reference.transition_matrix(fresh(), DEFAULT_MODEL, MOVE_FROM, MOVE_TO),
            "",
            lambda sql, ref: _matrix_agree(sql[0], ref),
        ),
        Case(
            "Movement dates: Jun 2024 to Jun 2025",
            lambda: run(
                (movement.transition_matrix, replace(move, date_from=date(2024, 6, 30), date_to=date(2025, 6, 30))),
                (
                    movement.cell_customers,
                    movement.CellSpec(replace(move, date_from=date(2024, 6, 30), date_to=date(2025, 6, 30)), "loyal", "defected"),
                ),
            ),
            lambda: reference.transition_matrix(fresh(), DEFAULT_MODEL, date(2024, 6, 30), date(2025, 6, 30)),
            "",
            lambda sql, ref: _matrix_agree(sql[0], ref),
        ),
        Case(
            "Matrix cell: repeat to loyal",
            lambda: run((movement.cell_customers, movement.CellSpec(move, "repeat", "loyal"))),
            lambda: reference.transition_matrix(fresh(), DEFAULT_MODEL, MOVE_FROM, MOVE_TO),
            "",
            lambda sql, ref: (
                len(sql[0])
                == min(1000, int(ref.loc[(ref["from_role"] == "repeat") & (ref["to_role"] == "loyal"), "customers"].sum()))
            ),
        ),
        Case(
            "Sales funnel window: 30 days",
            lambda: run(
                (funnel.sales_funnel, funnel.SalesSpec(Filters(), 30)),
                (funnel.sales_by_month, funnel.SalesSpec(Filters(), 30)),
            ),
            lambda: reference.sales_funnel(fresh(), 30),
            "",
            lambda sql, ref: tuple(int(x) for x in sql[0]["customers"]) == ref,
        ),
    ]
    for months in (12, 3):
        spec = replace(econ, window_months=months)
        start = date(2025, 13 - months, 1)
        result.append(
            Case(
                f"Economics window: {months} months",
                lambda spec=spec: _economics(run((economics.window_economics, spec))[0], spec, ctx),
                lambda start=start: reference.economics(fresh(), DEFAULT_MODEL, start, date(2025, 12, 31)),
                "",
                _economics_agree,
            )
        )
    floor = ctx.floor(
        (
            "customers",
            ("customer_id", "segment", "region", "signup_date", "churned", "churn_date", "referrals", "acquisition_cost"),
        ),
        ("transactions", ("customer_id", "ts", "amount", "cost")),
        ("interactions", ("customer_id", "ts", "stage", "cost")),
    )
    return [replace(case, floor_sql=floor) for case in result]


def _economics(aggregates: pd.DataFrame, spec: economics.EconomicsSpec, ctx: BenchContext) -> tuple:
    """What the Economics tab shows from one aggregate query: the stage table and the five checks."""
    return economics.stage_table(aggregates, spec, ctx.version), economics.checks_table(aggregates, ctx.version)


def _economics_agree(sql, ref: pd.DataFrame) -> bool:
    frame = sql[0].set_index("role")
    if frame["customers"].tolist() != ref["customers"].astype(int).tolist():
        return False
    shown = frame[frame["customers"] > 0]
    spend = (shown["spend_per_customer"] * shown["customers"]).tolist()
    cost = (shown["direct_cost"] * shown["customers"]).tolist()
    return all(
        math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-6) for a, b in zip(spend, ref.loc[shown.index, "spend"], strict=True)
    ) and all(math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-6) for a, b in zip(cost, ref.loc[shown.index, "cost"], strict=True))
