"""Defection benchmark: what each control change on the page runs, and the BG/NBD fit done at publish.

A control change re-runs the queries whose spec it changes (the page caches the others): the complaint
follow-up (only when a dated rule or the resolution target changes), the summary (every figure but the monthly
chart and retention), the timeline (monthly chart, retention, expected years; not for months or money), the
at-risk list, and the complaint counts (months and segments only). Each case times exactly that set, uncached.
"""

from __future__ import annotations

import math
import time
from dataclasses import replace
from datetime import date

import numpy as np

from benchmarks.harness import BenchContext, Case
from benchmarks.reference import defection as reference
from dashboard.metrics.defection import clv, figures
from dashboard.metrics.defection import sources as defection_sources
from dashboard.metrics.defection import status as defection
from dashboard.metrics.scope import Filters

BASE = defection.DefectionSpec()
KEYS = ("defection_rate", "defected", "at_risk", "revenue_at_risk", "value_lost", "lifetime_value")


def _changes(base: defection.DefectionSpec) -> dict[str, tuple[defection.DefectionSpec, tuple[str, ...], dict]]:
    """Case name -> (spec after the change, queries it re-runs, list options), from the page's opening spec base."""
    d = base.definition
    everything = ("follow_up", "summary", "timeline", "list", "complaints")
    return {
        "open the page": (base, everything, {}),
        "lapse rule off": (replace(base, definition=replace(d, lapse=not d.lapse)), everything[:4], {}),
        "own-baseline drop 50 -> 40 %": (replace(base, definition=replace(d, drop_pct=40.0)), everything[1:4], {}),
        "complaint window 90 -> 30 days": (replace(base, definition=replace(d, complaint_days=30)), everything[1:4], {}),
        "probability alive below 50 -> 80 %": (replace(base, definition=replace(d, alive_pct=80.0)), everything[1:4], {}),
        "margin 100 -> 40 %": (replace(base, valuation=replace(base.valuation, margin_pct=40.0)), ("summary", "list"), {}),
        "lifetime value: probabilistic": (
            replace(base, valuation=replace(base.valuation, method="bgnbd")),
            ("summary", "list"),
            {},
        ),
        "months: 2024": (
            replace(base, filters=Filters(month_from=date(2024, 1, 1), month_to=date(2024, 12, 1))),
            ("summary", "list", "complaints"),
            {},
        ),
        "segment = Commercial": (
            replace(base, filters=Filters(segments=("Commercial",))),
            ("summary", "timeline", "list", "complaints"),
            {},
        ),
        "sort the list by chance of leaving": (base, ("list",), {"sort": "p_defect"}),
    }


def _agree(duck_result, pandas_result) -> bool:
    got, expected = duck_result, pandas_result
    for key, value in expected.items():
        mine = got.get(key)
        if value is None or (isinstance(value, float) and math.isnan(value)):
            if not (mine is None or (isinstance(mine, float) and math.isnan(mine))):
                return False
        elif mine is None or not math.isclose(mine, value, rel_tol=1e-9, abs_tol=1e-6):
            return False
    return True


def cases(ctx: BenchContext) -> list[Case]:
    """One case per control change on the Defection page, then the BG/NBD fit done at publish."""
    version = ctx.version
    with ctx.store.cursor() as cur:
        chance = float(defection.complaint_follow_up(cur, version, defection.follow_up_spec(BASE)).iloc[0]["chance_used"])

    def duck(spec: defection.DefectionSpec, queries: tuple[str, ...], options: dict) -> dict:
        with ctx.store.cursor() as cur:
            used = chance
            if "follow_up" in queries:
                follow = defection.complaint_follow_up(cur, version, defection.follow_up_spec(spec))
                used = float(follow.iloc[0]["chance_used"])
            spec = replace(spec, complaint_chance=used)
            summary = defection.summary(cur, version, spec) if "summary" in queries else None
            if "timeline" in queries:
                defection.timeline(cur, version, spec)
            if "list" in queries:
                defection.at_risk_list(cur, version, defection.ListSpec(spec, **options))
            if "complaints" in queries:
                defection.complaint_counts(cur, version, spec.filters)
        if summary is None:
            return {}
        values = figures.kpis_from(summary, spec).set_index("key")["value"].to_dict()
        if spec.valuation.method == "bgnbd":
            return {k: values[k] for k in ("defection_rate", "defected", "at_risk")}
        return values

    def pandas(spec: defection.DefectionSpec, queries: tuple[str, ...]) -> dict:
        if "summary" not in queries:
            reference.statuses(ctx.frames(), replace(spec, complaint_chance=chance))  # the list needs every status
            return {}
        values = reference.kpis(ctx.frames(), replace(spec, complaint_chance=None if "follow_up" in queries else chance))
        if spec.valuation.method == "bgnbd":
            return {k: values[k] for k in ("defection_rate", "defected", "at_risk")}
        return values

    floor = ctx.floor(
        ("customers", ("customer_id", "segment", "region", "signup_date", "churned", "churn_date", "churn_reason")),
        ("transactions", ("customer_id", "ts", "amount")),
        ("interactions", ("customer_id", "ts", "stage", "reason", "resolved", "resolved_ts")),
    )
    out = [
        Case(name, lambda s=spec, q=queries, o=options: duck(s, q, o), lambda s=spec, q=queries: pandas(s, q), floor, _agree)
        for name, (spec, queries, options) in _changes(_page_base(ctx)).items()
    ]
    out.append(_fit_case(ctx))
    return out


def _page_base(ctx: BenchContext) -> defection.DefectionSpec:
    """The spec the page opens with: the stage and behaviour sources of defection_sources.page_sources, kept as tables
    of the version on first use (that one-off build is printed)."""
    started = time.perf_counter()
    stage, counted, _ = defection_sources.page_sources(ctx.store, ctx.version, ctx.version.dataset)
    print(f"defection: stage and behaviour tables built on first open in {time.perf_counter() - started:.1f} s", flush=True)
    return replace(BASE, stage_source=stage, behaviour_source=counted)


def _fit_case(ctx: BenchContext) -> Case:
    """BG/NBD by maximum likelihood on every buyer's history (the publish step), against a pandas rebuild's fit."""
    with ctx.store.cursor() as cur:
        rows = cur.execute(
            f"""
            select cast(purchase_days - 1 as double) as x,
                   date_diff('day', first_purchase, last_purchase) / 7.0 as t_x,
                   date_diff('day', first_purchase, (select as_of from {ctx.version.table("df_fit")})) / 7.0 as big_t
            from {ctx.version.table("df_customers")} where purchase_days > 0
            """
        ).fetchnumpy()
    x, t_x, big_t = (np.asarray(rows[k], float) for k in ("x", "t_x", "big_t"))

    def duck():
        started = time.perf_counter()
        model = clv.fit_bgnbd(x, t_x, big_t)
        return model, time.perf_counter() - started

    def pandas():
        # the same fit on histories rebuilt with pandas: this case checks the histories (the reference's own fit, which
        # shares nothing with the app's, is checked in tests/test_defection_reference.py)
        return clv.fit_bgnbd(*reference.buyer_histories(ctx.frames())), 0.0

    def agree(a, b) -> bool:
        mine, theirs = a[0], b[0]
        return all(math.isclose(getattr(mine, k), getattr(theirs, k), rel_tol=1e-6) for k in ("r", "alpha", "a", "b"))

    floor = ctx.floor(("transactions", ("customer_id", "ts", "amount")))
    return Case(f"BG/NBD fit on {len(x):,} buyers", duck, pandas, floor, agree)
