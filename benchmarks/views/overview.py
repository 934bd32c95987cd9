"""Overview benchmark: a filter change runs the KPIs and the monthly trend."""

from __future__ import annotations

import math
from datetime import date

from benchmarks.harness import BenchContext, Case
from benchmarks.reference import overview as reference
from dashboard.metrics import overview
from dashboard.metrics.scope import Filters

FILTER_CHANGES = {
    "all customers, all months": Filters(),
    "segment = Commercial": Filters(segments=("Commercial",)),
    "two regions, 2024": Filters(regions=("North", "East"), month_from=date(2024, 1, 1), month_to=date(2024, 12, 1)),
    "segment + region + one month": Filters(("Residential",), ("West",), date(2025, 7, 1), date(2025, 7, 1)),
}


def _agree(sql_result, pandas_result) -> bool:
    kpis, trend = sql_result
    ref_kpis, ref_trend = pandas_result
    values = dict(zip(kpis["key"], kpis["value"], strict=True))
    for key, expected in ref_kpis.items():
        got = values[key]
        if expected is None or got is None:
            if not (expected is None and (got is None or math.isnan(got))):
                return False
        elif not math.isclose(got, expected, rel_tol=1e-9, abs_tol=1e-9):
            return False
    return len(trend) == len(ref_trend) and all(
        math.isclose(a, b, rel_tol=1e-9) for a, b in zip(trend["revenue"], ref_trend["revenue"], strict=True)
    )


def cases(ctx: BenchContext) -> list[Case]:
    """One case per typical filter change on the Overview."""

    def duck(filters: Filters):
        with ctx.store.cursor() as cur:
            return overview.kpis(cur, ctx.version, filters), overview.monthly_trend(cur, ctx.version, filters)

    def pandas(filters: Filters):
        frames = ctx.frames()
        return reference.kpis(frames, filters), reference.monthly_trend(frames, filters)

    floor = ctx.floor(
        ("customers", ("customer_id", "segment", "region", "signup_date", "churned", "churn_date", "satisfaction")),
        ("transactions", ("customer_id", "ts", "amount", "cost")),
        ("interactions", ("customer_id", "ts", "cost")),
    )
    return [Case(name, lambda f=f: duck(f), lambda f=f: pandas(f), floor, _agree) for name, f in FILTER_CHANGES.items()]
