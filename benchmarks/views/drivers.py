"""Drivers benchmark: a control or filter change recomputes the driver table (2×2 tables, Holm, the logistic model on a
sample) and the tipping points, grouped in SQL over the per-customer driver rows prepared at publish."""

from __future__ import annotations

from datetime import date

from benchmarks.harness import BenchContext, Case
from benchmarks.reference import behaviours as ref_behaviours
from benchmarks.reference import drivers as reference
from benchmarks.views.behaviours import CATALOGUE, FLAG_COLUMNS
from dashboard.metrics.drivers import counts, effects, tipping
from dashboard.metrics.drivers import spec as drivers
from dashboard.metrics.scope import Filters

CHANGES = {
    "open page: defection, all customers": drivers.DriverSpec(catalogue=CATALOGUE),
    "segment = Commercial": drivers.DriverSpec(Filters(segments=("Commercial",)), catalogue=CATALOGUE),
    "outcome: low satisfaction": drivers.DriverSpec(outcome=drivers.LOW_SATISFACTION, catalogue=CATALOGUE),
    "2024 only (months filter)": drivers.DriverSpec(
        Filters(month_from=date(2024, 1, 1), month_to=date(2024, 12, 1)), catalogue=CATALOGUE
    ),
}


def figures(ctx: BenchContext, spec: drivers.DriverSpec):
    """What the Drivers page computes on a change, without any count kept from an earlier change."""
    counts.clear_kept()
    with ctx.store.cursor() as cur:
        return effects.effects(cur, ctx.version, spec), tipping.tipping_points(cur, ctx.version, spec)


def _agree(spec: drivers.DriverSpec):
    def agree(sql_result, pandas_result) -> bool:
        if spec.outcome != drivers.DEFECTION:
            return True  # the reference covers defection
        table = sql_result[0]
        rows = table.set_index("column")
        checked = 0
        for key, (n, with_it, without) in pandas_result.items():
            if key.startswith("b_"):
                column = f"beh_{key[2:]}"
            else:
                level = key.split(":", 1)[1]
                found = table[(table["attribute"] == "segment") & (table["level"] == level)]
                if found.empty:
                    continue
                column = found["column"].iloc[0]
            if column not in rows.index:
                continue
            row = rows.loc[column]
            checked += 1
            if int(row["exposed"]) != n or not (
                ref_behaviours.close(row["rate_with"], with_it) and ref_behaviours.close(row["rate_without"], without)
            ):
                return False
        return checked > 0

    return agree


def floor_sql(ctx: BenchContext) -> str:
    """DuckDB's own scan of the raw columns the driver table reads."""
    return ctx.floor(
        (
            "customers",
            ("customer_id", "segment", "region", "signup_date", "churned", "churn_date", "satisfaction", *FLAG_COLUMNS),
        ),
        ("interactions", ("customer_id", "ts", "channel", "initiated_by", "stage", "resolved_ts")),
        ("transactions", ("customer_id", "ts", "amount", "product")),
    )


def cases(ctx: BenchContext) -> list[Case]:
    """One case per typical change on the Drivers page."""
    floor = floor_sql(ctx)
    return [
        Case(
            name,
            lambda s=spec: figures(ctx, s),
            lambda s=spec: reference.rates(ctx.frames(), s.catalogue, s.filters),
            floor,
            _agree(spec),
        )
        for name, spec in CHANGES.items()
    ]
