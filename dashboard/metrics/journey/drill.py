"""Drill-down of the Journey page: the customers behind a stage, a channel or a journey variant."""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import pandas as pd

from dashboard.metrics.journey.lanes import JourneySpec, paths_scope, reach_sql, scope_sql
from dashboard.metrics.journey.paths import NODE_KINDS, code_columns, variant_codes
from dashboard.metrics.journey.prepare import MAX_STEPS
from dashboard.metrics.scope import Filters
from dashboard.sql import group_by_all, join, lit, sql
from dashboard.store import Version

DRILL_KINDS: dict[str, str] = {"stage": "Stage", "channel": "Channel", "variant": "Journey variant"}


@dataclass(frozen=True)
class DrillSpec:
    """What to drill into (a stage or channel label, or a variant's codes "5-6-6"), the Sankey's steps and nodes, a row limit."""

    filters: Filters = Filters()
    kind: str = "stage"
    value: str = ""
    steps: int = 5
    nodes: str = "stage"
    limit: int = 200

    def validate(self) -> DrillSpec:
        """Self with validated filters; ValueError when kind, value, steps, nodes or limit make no sense."""
        if self.kind not in DRILL_KINDS:
            raise ValueError(f"drill into one of {', '.join(DRILL_KINDS)}")
        if not self.value:
            raise ValueError("choose what to drill into")
        if not 2 <= self.steps <= MAX_STEPS or self.nodes not in NODE_KINDS:
            raise ValueError("steps or node kind out of range")
        if self.kind == "variant":
            variant_codes(self.value, self.steps)
        if not 1 <= self.limit <= 5_000:
            raise ValueError("the customer list holds from 1 to 5,000 rows")
        return DrillSpec(self.filters.validate(), self.kind, self.value, self.steps, self.nodes, self.limit)


def options(cur: duckdb.DuckDBPyConnection, version: Version, spec: JourneySpec) -> pd.DataFrame:
    """Stages and channels in scope with their touchpoints and customers (distinct), in journey and vocabulary order."""
    spec = spec.validate()
    t = version.table
    query = sql(
        f"""
        with tp as (
            select 'stage' as kind, stage_code as code, sum(touchpoints) as touchpoints
            from {t("jr_cube")} where {{where}} {{group_by}}
            union all
            select 'channel', channel_code, sum(touchpoints) from {t("jr_cube")} where {{where}} {{group_by}}
        ),
        reach as (
            select 'stage' as kind, stage_code as code, sum(customers) as customers from ({{stage_reach}}) {{group_by}}
            union all
            select 'channel', channel_code, sum(customers) from ({{channel_reach}}) {{group_by}}
        )
        select tp.kind, l.label, tp.code, tp.touchpoints, coalesce(reach.customers, 0) as customers
        from tp
        join {t("jr_labels")} l on l.kind = tp.kind and l.code = tp.code
        left join reach on reach.kind = tp.kind and reach.code = tp.code
        order by tp.kind desc, tp.code
        """,
        where=scope_sql(spec.filters),
        stage_reach=reach_sql(version, "s", spec.filters),
        channel_reach=reach_sql(version, "c", spec.filters),
        group_by=group_by_all(),
    )
    return cur.execute(*query).df()


def customers_behind(cur: duckdb.DuckDBPyConnection, version: Version, spec: DrillSpec) -> pd.DataFrame:
    """The customers behind a stage, channel or variant in scope, most touchpoints first (then by id), up to limit.

    For a stage or channel: customers with a touchpoint there in the period, with those touchpoints' count,
    first and last time, mean satisfaction and effort, and cost. For a variant: customers whose first N
    touchpoints in the period follow it, with the same figures over all their touchpoints in the period.
    total = customers behind it (all of them, not only the rows returned).
    """
    spec = spec.validate()
    t = version.table
    where = scope_sql(spec.filters)
    if spec.kind == "variant":
        codes = variant_codes(spec.value, spec.steps)
        match = join([sql(f"x{k} = {{}}", lit(code)) for k, code in enumerate(codes, start=1)], " and ")
        chosen = sql(
            f"select cust_key from (select cust_key, {{}} from {t('jr_paths')} where {{}}) where {{}}",
            code_columns(spec.filters, spec.steps, spec.nodes),
            paths_scope(spec.filters),
            match,
        )
        hits_where = sql("{} and cust_key in (select cust_key from chosen)", where)
    else:
        chosen = sql(f"select code from {t('jr_labels')} where kind = {{}} and label = {{}}", lit(spec.kind), lit(spec.value))
        column = "stage_code" if spec.kind == "stage" else "channel_code"
        hits_where = sql(f"{{}} and {column} in (select code from chosen)", where)
    query = sql(
        f"""
        with chosen as ({{chosen}}),
        hits as (
            select cust_key, count(*) as touchpoints, min(ts) as first_ts, max(ts) as last_ts,
                   avg(satisfaction) as satisfaction, avg(effort) as effort, sum(cost) as cost
            from {t("jr_touch")} where {{hits_where}}
            group by cust_key
        ),
        top as (select * from hits order by touchpoints desc, cust_key limit {{limit}})
        select p.customer_id, p.segment, p.region, p.churned, top.touchpoints, top.first_ts, top.last_ts,
               top.satisfaction, top.effort, top.cost, (select count(*) from hits) as total
        from top join {t("jr_people")} p on p.cust_key = top.cust_key
        order by top.touchpoints desc, p.customer_id
        """,
        chosen=chosen,
        hits_where=hits_where,
        limit=lit(spec.limit),
    )
    return cur.execute(*query).df()
