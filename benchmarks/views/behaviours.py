"""Behaviours benchmark: a filter change recomputes adoption, churn with and without, and the behaviour-count groups."""

from __future__ import annotations

from datetime import date

from benchmarks.harness import BenchContext, Case
from benchmarks.reference import behaviours as reference
from dashboard.metrics.behaviours import adoption as bh
from dashboard.metrics.behaviours.catalogue import default_catalogue
from dashboard.metrics.scope import Filters

CATALOGUE = default_catalogue()
FILTER_CHANGES = {
    "all customers, all months": Filters(),
    "segment = Commercial, 2024": Filters(segments=("Commercial",), month_from=date(2024, 1, 1), month_to=date(2024, 12, 1)),
}
FLAG_COLUMNS = tuple(b.measure.column for b in CATALOGUE.behaviours if b.measure.kind == "flag")


def figures(ctx: BenchContext, filters: Filters):
    """What the Behaviours page computes on a filter change: one query, then arithmetic on its small result."""
    with ctx.store.cursor() as cur:
        summary = bh.summary(cur, ctx.version, bh.BehaviourSpec.of(CATALOGUE, filters))
    return (
        bh.adoption_table(summary, CATALOGUE, ctx.version),
        bh.churn_by_behaviour(summary, CATALOGUE),
        bh.behaviour_count_groups(summary),
        bh.adoption_by(summary, CATALOGUE, "segment"),
    )


def reference_figures(ctx: BenchContext, filters: Filters):
    """The same figures in plain pandas from the raw tables."""
    flags = reference.customer_flags(ctx.frames(), CATALOGUE, filters)
    return reference.adoption(flags), reference.churn_with_without(flags), reference.count_groups(flags)


def _agree(sql_result, pandas_result) -> bool:
    adoption, churn, groups, _by = sql_result
    ref_adoption, ref_churn, ref_groups = pandas_result
    adoption, churn = adoption.set_index("key"), churn.set_index("key")
    ok = all(reference.close(adoption.at[k, "current"], v) for k, v in ref_adoption.items())
    ok &= all(
        reference.close(churn.at[k, "churn_with"], w) and reference.close(churn.at[k, "churn_without"], wo)
        for k, (w, wo) in ref_churn.items()
    )
    return ok and groups["customers"].tolist() == ref_groups["customers"].tolist()


def floor_sql(ctx: BenchContext) -> str:
    """DuckDB's own scan of every raw column the behaviour figures read."""
    return ctx.floor(
        (
            "customers",
            ("customer_id", "segment", "region", "signup_date", "churned", "churn_date", "satisfaction", *FLAG_COLUMNS),
        ),
        ("interactions", ("customer_id", "ts", "channel", "initiated_by")),
    )


def cases(ctx: BenchContext) -> list[Case]:
    """One case per typical filter change on the Behaviours page."""
    floor = floor_sql(ctx)
    return [
        Case(name, lambda f=f: figures(ctx, f), lambda f=f: reference_figures(ctx, f), floor, _agree)
        for name, f in FILTER_CHANGES.items()
    ]
