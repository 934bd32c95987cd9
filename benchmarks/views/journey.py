"""Journey benchmark: a filter change runs every metric on the page; a control change runs the metrics it feeds.

The pandas side computes the page's headline figures from the raw tables already in memory, as a plain
pandas dashboard would on every change (merge, filter, order per customer, compute), and must agree.
"""

from __future__ import annotations

import math
from datetime import date

import pandas as pd

from benchmarks.harness import BenchContext, Case
from benchmarks.reference import journey as reference
from dashboard.metrics import customers
from dashboard.metrics.journey import drill as journey_drill
from dashboard.metrics.journey import lanes as journey
from dashboard.metrics.journey import paths as journey_paths
from dashboard.metrics.journey import service as journey_service
from dashboard.metrics.journey.lanes import JourneySpec
from dashboard.metrics.journey.paths import PathSpec, VariantSpec
from dashboard.metrics.scope import Filters

FILTER_CHANGES = {
    "open page: all customers, all months": Filters(),
    "segment = Commercial": Filters(segments=("Commercial",)),
    "two regions, 2024": Filters(regions=("North", "East"), month_from=date(2024, 1, 1), month_to=date(2024, 12, 1)),
    "segment + region + one month": Filters(("Residential",), ("West",), date(2025, 7, 1), date(2025, 7, 1)),
}


def page(cur, version, filters: Filters, spec: JourneySpec | None = None, paths: PathSpec | None = None) -> dict:
    """Everything the Journey page computes for one state of its filters and controls (drill-down on a stage)."""
    spec = spec or JourneySpec(filters)
    paths = paths or PathSpec(filters)
    out = {
        "labels": journey.labels(cur, version, None),
        "lanes": journey.stage_lanes(cur, version, spec),
        "mix": journey.channel_mix(cur, version, spec),
        "cells": journey.cells(cur, version, spec),
        "measures": journey_service.measures(cur, version, spec),
        "switches": journey_service.switches(cur, version, spec),
        "days": journey_service.resolution_days(cur, version, spec),
        "churn": journey_service.complaint_churn(cur, version, spec),
        "options": journey_drill.options(cur, version, spec),
        "sankey": journey_paths.sankey(cur, version, paths),
        "variants": journey_paths.variants(cur, version, VariantSpec(filters, paths.steps, paths.nodes, 20)),
    }
    people = journey_drill.customers_behind(cur, version, journey_drill.DrillSpec(filters, "stage", "awareness", 5, "stage"))
    out["people"] = people
    if len(people):
        out["timeline"] = customers.timeline(cur, version, customers.TimelineSpec((people["customer_id"].iloc[0],)))
    return out


def _service_agrees(measures, ref: dict) -> bool:
    m = measures.set_index("key")
    return (
        m.loc["fcr", "denominator"] == ref["contacts"]
        and m.loc["repeat_rate", "numerator"] == ref["repeats"]
        and m.loc["channel_switching", "numerator"] == ref["switches"]
    )


def _complaints_agree(measures, ref: dict) -> bool:
    m = measures.set_index("key")
    if m.loc["complaints", "value"] != ref["complaints"]:
        return False
    median, expected = m.loc["resolution_median", "value"], ref["median_days"]
    same_median = (median is None or math.isnan(median)) if math.isnan(expected) else math.isclose(median, expected, rel_tol=1e-9)
    return same_median and m.loc["within_sla", "numerator"] == ref["within_sla"]


def _variants_agree(variants, ref: dict) -> bool:
    return all(ref["variants"].get(v) == n for v, n in zip(variants["variant"], variants["customers"], strict=True))


def cases(ctx: BenchContext) -> list[Case]:
    """Filter changes (the whole page) and control changes (repeat window, SLA, Sankey settings, drill-down)."""
    floor = ctx.floor(
        (
            "interactions",
            ("customer_id", "ts", "channel", "stage", "reason", "initiated_by", "resolved", "resolved_ts", "satisfaction"),
        ),
        ("customers", ("customer_id", "segment", "region", "churned")),
    )

    def duck(fn):
        def call():
            with ctx.store.cursor() as cur:
                return fn(cur, ctx.version)

        return call

    result: list[Case] = []
    for name, filters in FILTER_CHANGES.items():

        def pandas(filters=filters):
            frames = ctx.frames()
            return (
                reference.service(frames, filters, 7),
                reference.complaints(frames, filters, 7, 5),
                reference.path_counts(frames, filters, 5, "stage"),
            )

        def agree(got, ref):
            service, complaints, paths = ref
            return (
                _service_agrees(got["measures"], service)
                and _complaints_agree(got["measures"], complaints)
                and _variants_agree(got["variants"], paths)
            )

        result.append(Case(name, duck(lambda cur, v, f=filters: page(cur, v, f)), pandas, floor, agree))

    everyone = Filters()
    window = JourneySpec(everyone, repeat_days=14)
    result.append(
        Case(
            "control: repeat window 14 days",
            duck(
                lambda cur, v: {
                    "lanes": journey.stage_lanes(cur, v, window),
                    "cells": journey.cells(cur, v, window),
                    "measures": journey_service.measures(cur, v, window),
                    "switches": journey_service.switches(cur, v, window),
                    "days": journey_service.resolution_days(cur, v, window),
                    "churn": journey_service.complaint_churn(cur, v, window),
                }
            ),
            lambda: (reference.service(ctx.frames(), everyone, 14), reference.complaints(ctx.frames(), everyone, 14, 5)),
            floor,
            lambda got, ref: _service_agrees(got["measures"], ref[0]) and _complaints_agree(got["measures"], ref[1]),
        )
    )
    sla = JourneySpec(everyone, sla_days=10)
    result.append(
        Case(
            "control: SLA 10 days",
            duck(
                lambda cur, v: {
                    "lanes": journey.stage_lanes(cur, v, sla),
                    "measures": journey_service.measures(cur, v, sla),
                    "days": journey_service.resolution_days(cur, v, sla),
                }
            ),
            lambda: reference.complaints(ctx.frames(), everyone, 7, 10),
            floor,
            lambda got, ref: _complaints_agree(got["measures"], ref),
        )
    )
    for steps, nodes in ((10, "both"), (3, "channel")):
        spec = PathSpec(everyone, steps, nodes, 8)
        result.append(
            Case(
                f"control: Sankey {steps} steps by {nodes}",
                duck(
                    lambda cur, v, spec=spec: {
                        "sankey": journey_paths.sankey(cur, v, spec),
                        "variants": journey_paths.variants(cur, v, VariantSpec(everyone, spec.steps, spec.nodes, 20)),
                    }
                ),
                lambda steps=steps, nodes=nodes: reference.path_counts(ctx.frames(), everyone, steps, nodes),
                floor,
                lambda got, ref: (
                    _variants_agree(got["variants"], ref)
                    and int(got["sankey"].query("kind == 'node' and step == 1")["customers"].sum()) == ref["customers"]
                ),
            )
        )
    drill = journey_drill.DrillSpec(everyone, "stage", "complaint", 5, "stage")

    def drill_duck(cur, v):
        people = journey_drill.customers_behind(cur, v, drill)
        return people, customers.timeline(cur, v, customers.TimelineSpec((people["customer_id"].iloc[0],)))

    def drill_pandas():
        frames = ctx.frames()
        ix = reference.touchpoints(frames, everyone)
        counts = ix.loc[ix["stage"] == "complaint"].groupby("customer_id").size()
        top = counts.sort_values(ascending=False, kind="stable").head(200)
        first = top.index[0]
        timeline = pd.concat(
            [
                frames["interactions"][frames["interactions"]["customer_id"] == first],
                frames["transactions"][frames["transactions"]["customer_id"] == first],
            ]
        ).sort_values("ts", kind="stable")
        return len(counts), len(timeline)

    result.append(
        Case(
            "control: drill into complaint + a timeline",
            duck(drill_duck),
            drill_pandas,
            floor,
            lambda got, ref: (got[0]["total"].iloc[0], len(got[1])) == ref,
        )
    )
    return result
