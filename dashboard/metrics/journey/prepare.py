"""The Journey view's tables, built once at publish: touchpoints in per-customer order, step-indexed paths, cubes.

Ordering rule, used everywhere on the Journey page and in the customer timeline: a customer's touchpoints are
ordered by timestamp, and touchpoints with the same timestamp by their row number in the published
interactions table (DuckDB's `rowid`, fixed when the version is published, i.e. their order in the uploaded
file). The same data therefore always gives the same steps, paths and repeat contacts.

Tables (all prefixed `jr_`):

- `jr_labels`: stage and channel labels with a small integer code each (stages in the vocabulary's order,
  then unknown labels alphabetically, then "(no stage)"); 0 means "no touchpoint" in paths.
- `jr_people`: one row per customer with touchpoints: integer key, segment, region, churned.
- `jr_touch`: one row per touchpoint with its step (1 = the customer's first touchpoint), month and codes, its
  contact's resolution and promise (stg_contacts), and its wait, handling time (seconds) and abandoned flag;
  is_contact marks a contact once, at its first step (the later steps of a call are touchpoints, not contacts).

The big tables are stored sorted by segment, region and month, so DuckDB skips the row groups a filter
rules out (min/max per row group) instead of scanning them.
- `jr_reach`: customers per (stage, channel), per stage and per channel, counted once per customer and
  month with the month of their previous touchpoint there, so that distinct customers over any range of
  months is a plain sum (a customer counts in the first month of the range in which they appear).
- `jr_cube`: touchpoints, satisfaction, effort and cost sums by segment, region, month, stage, channel, initiator.
- `jr_repeat`: customer-started contacts with a reason by segment, region, month, stage, channel, days to the
  next contact of the same customer and reason (rounded up, up to MAX_WINDOW_DAYS), that contact's channel and
  whether the contact was resolved (stg_contacts; null when the data does not say).
- `jr_cases`: contacts (first steps) at the complaint stage, with a resolution time or marked unresolved (an order
  never delivered is a case as much as one delivered late), one row each, with their promise (stg_contacts), the gaps
  to the previous and next contact of the same customer and reason, resolved flag and resolution time.
- `jr_visits`: one row per stage visit (a run of consecutive touchpoints in one stage) that is followed by
  another stage, with the days from the visit's first touchpoint to the next stage's first touchpoint.
- `jr_waits`: touchpoints with a wait, handling time or abandoned flag (anonymous ones too), one row each.
- `jr_paths`: one row per customer and month with touchpoints: the first touchpoint of that month and the
  MAX_STEPS - 1 touchpoints after it (stage and channel codes, months, hours since the first), and the month
  of the customer's previous touchpoint. The paths of a period starting in month a are the rows with
  month >= a and no earlier touchpoint on or after a (previous month < a or none): one row per customer,
  found without sorting anything at query time.
"""

from __future__ import annotations

import duckdb

from dashboard.contract import CHANNELS, JOURNEY_STAGES
from dashboard.metrics.scope import NOT_SET
from dashboard.staged import contacts as staged_contacts
from dashboard.store import Version

MAX_STEPS = 10
"""Longest path prefix the Sankey and variants can show."""

MAX_WINDOW_DAYS = 90
"""Longest repeat window (days) a user can choose; repeat gaps beyond it are stored as 'no repeat'."""

NO_STAGE, NO_CHANNEL = "(no stage)", "(no channel)"
DAY_S = 86_400.0


def satisfaction_low_cut(max_score: float | None) -> float:
    """Highest score counted as low satisfaction: 2 on a 1-5 scale, 6 on 0-10 (detractors), else 40 % of the maximum."""
    if max_score is None or max_score <= 5:
        return 2.0
    if max_score <= 10:
        return 6.0
    return 0.4 * float(max_score)


def prepare(cur: duckdb.DuckDBPyConnection, version: Version) -> None:
    """Build the jr_ tables for a version being published (empty tables when it has no touchpoints)."""
    t = version.table
    ix = t("interactions")
    has_initiator = version.has("interactions", "initiated_by")
    _labels(cur, version)
    _people(cur, version)
    initiator = "nullif(lower(trim(i.initiated_by)), '')" if has_initiator else "cast(null as varchar)"
    cur.execute(
        f"""
        create table {t("jr_touch")} as
        select p.cust_key, p.segment, p.region, p.churned,
               i.tp_id, i.ts, cast(date_trunc('month', i.ts) as date) as month,
               sl.code as stage_code, cl.code as channel_code,
               i.reason, {initiator} as initiator, k.is_contact and k.first_step as is_contact,
               i.satisfaction, i.effort, i.cost,
               coalesce(k.resolved, false) as resolved, k.resolved_ts, k.first_step, k.within_promise, k.sla_rule,
               {_measure(version, "wait_s", "double")} as wait_s, {_measure(version, "handle_s", "double")} as handle_s,
               {_measure(version, "abandoned", "boolean")} as abandoned,
               row_number() over w as step,
               lag(sl.code) over w as prev_stage_code
        from (select rowid as tp_id, * from {ix} where ts is not null and customer_id is not null) i
        join {t("jr_people")} p on p.customer_id = i.customer_id
        join {t("stg_contacts")} k on k.contact_id = i.tp_id
        join {t("jr_labels")} sl on sl.kind = 'stage' and sl.label = coalesce(i.stage, ?)
        join {t("jr_labels")} cl on cl.kind = 'channel' and cl.label = coalesce(i.channel, ?)
        window w as (partition by p.cust_key order by i.ts, i.tp_id)
        order by p.segment, p.region, month, stage_code
        """,
        [NO_STAGE, NO_CHANNEL],
    )
    _meta(cur, version)
    _reach(cur, version)
    _cube(cur, version)
    _gaps(cur, version)
    _visits(cur, version)
    _paths(cur, version)
    _waits(cur, version)
    cur.execute(f"drop table {t('jr_gaps')}")


def _measure(version: Version, column: str, sql_type: str) -> str:
    """SQL of an optional interactions column over alias i (NULL when the data has none); negative times are unknown."""
    if not version.has("interactions", column):
        return f"cast(null as {sql_type})"
    return f"case when i.{column} >= 0 then i.{column} end" if sql_type == "double" else f"i.{column}"


def _labels(cur: duckdb.DuckDBPyConnection, version: Version) -> None:
    ix = version.table("interactions")
    # a stage is SLA-tracked when its touchpoints carry a resolution time or a promise (a due date, an on-time flag)
    timed = " + ".join(f"count({c})" for c in ("resolved_ts", "due_ts", "on_time") if version.has("interactions", c)) or "0"
    cur.execute(
        f"""
        create table {version.table("jr_labels")} as
        with raw as (
            select 'stage' as kind, coalesce(stage, ?) as label, bool_and(stage is null) as blank,
                   min(list_position(?, stage)) as pos, count(*) as touchpoints, {timed} as timed
            from {ix} where ts is not null group by 2
            union all
            select 'channel', coalesce(channel, ?), bool_and(channel is null), min(list_position(?, channel)),
                   count(*), {timed}
            from {ix} where ts is not null group by 2
        )
        select kind, label,
               cast(row_number() over (partition by kind order by blank, pos is null, pos, label) as smallint) as code,
               touchpoints, timed > 0 as sla_tracked
        from raw
        """,
        [NO_STAGE, list(JOURNEY_STAGES.labels), NO_CHANNEL, list(CHANNELS.labels)],
    )


def _people(cur: duckdb.DuckDBPyConnection, version: Version) -> None:
    t = version.table
    cur.execute(
        f"""
        create table {t("jr_people")} as
        with ids as (select distinct customer_id from {t("interactions")} where customer_id is not null and ts is not null),
             c as (
                select customer_id, any_value(segment) as segment, any_value(region) as region
                from {t("customers")} group by customer_id
             ),
             s as (select customer_id, coalesce(defected, false) as churned from {t("stg_customers")})
        select cast(row_number() over (order by ids.customer_id) as integer) as cust_key, ids.customer_id,
               coalesce(c.segment, ?) as segment, coalesce(c.region, ?) as region, coalesce(s.churned, false) as churned
        from ids left join c on c.customer_id = ids.customer_id left join s on s.customer_id = ids.customer_id
        order by cust_key
        """,
        [NOT_SET, NOT_SET],
    )


def _meta(cur: duckdb.DuckDBPyConnection, version: Version) -> None:
    t = version.table
    top = cur.execute(f"select max(satisfaction), min(satisfaction), max(effort) from {t('jr_touch')}").fetchall()[0]
    cur.execute(f"create table {t('jr_meta')} (key varchar, value double)")
    rows = [
        ("satisfaction_max", top[0]),
        ("satisfaction_min", top[1]),
        ("effort_max", top[2]),
        ("satisfaction_low_cut", satisfaction_low_cut(top[0])),
    ]
    cur.executemany(f"insert into {t('jr_meta')} values (?, ?)", rows)


def _reach(cur: duckdb.DuckDBPyConnection, version: Version) -> None:
    t = version.table
    levels = (
        ("sc", "stage_code, channel_code", "stage_code, channel_code"),
        ("s", "stage_code", "stage_code, cast(-1 as smallint) as channel_code"),
        ("c", "channel_code", "cast(-1 as smallint) as stage_code, channel_code"),
    )
    parts = []
    for level, keys, select in levels:
        parts.append(
            f"""
            select '{level}' as level, segment, region, {select}, month,
                   lag(month) over (partition by cust_key, {keys} order by month) as prev_month
            from (select distinct cust_key, segment, region, {keys}, month from {t("jr_touch")})
            """
        )
    cur.execute(
        f"""
        create table {t("jr_reach")} as
        select level, segment, region, stage_code, channel_code, month, prev_month, count(*) as customers
        from ({" union all ".join(parts)})
        group by all
        order by level, month
        """
    )


def _cube(cur: duckdb.DuckDBPyConnection, version: Version) -> None:
    t = version.table
    cur.execute(
        f"""
        create table {t("jr_cube")} as
        select segment, region, month, stage_code, channel_code, initiator, is_contact,
               count(*) as touchpoints,
               sum(satisfaction) as sat_sum, count(satisfaction) as sat_n,
               count(*) filter (where satisfaction <= (select value from {t("jr_meta")} where key = 'satisfaction_low_cut'))
                   as sat_low,
               sum(effort) as effort_sum, count(effort) as effort_n,
               sum(cost) as cost_sum, count(cost) as cost_n
        from (
            select segment, region, month, stage_code, channel_code, initiator, is_contact, satisfaction, effort, cost
            from {t("jr_touch")}
            union all
            {_anonymous_touchpoints(version)}
        )
        group by all
        order by month
        """,
        [NOT_SET, NOT_SET, NO_STAGE, NO_CHANNEL],
    )


def _anonymous_touchpoints(version: Version) -> str:
    """Select of touchpoints with no customer (an anonymous ID, published as null), in jr_touch's cube columns: they
    count in the stage and channel totals of jr_cube, and in nothing that follows a customer (paths, repeats, reach)."""
    t = version.table
    has_initiator = version.has("interactions", "initiated_by")
    contact = staged_contacts.contact_sql(version)
    initiator = "nullif(lower(trim(i.initiated_by)), '')" if has_initiator else "cast(null as varchar)"
    return f"""
            select ? as segment, ? as region, cast(date_trunc('month', i.ts) as date) as month,
                   sl.code as stage_code, cl.code as channel_code, {initiator} as initiator,
                   {contact} as is_contact, i.satisfaction, i.effort, i.cost
            from {t("interactions")} i
            join {t("jr_labels")} sl on sl.kind = 'stage' and sl.label = coalesce(i.stage, ?)
            join {t("jr_labels")} cl on cl.kind = 'channel' and cl.label = coalesce(i.channel, ?)
            where i.ts is not null and i.customer_id is null"""


def _gaps(cur: duckdb.DuckDBPyConnection, version: Version) -> None:
    """Per contact with a reason: seconds to the previous and next contact with the same reason (stg_contacts' neighbours)."""
    t = version.table
    cur.execute(
        f"""
        create table {t("jr_gaps")} as
        select x.tp_id, x.segment, x.region, x.month, x.stage_code, x.channel_code,
               epoch(x.ts - k.prev_ts) as prev_gap_s,
               epoch(k.next_ts - x.ts) as next_gap_s,
               n.channel_code as next_channel_code, k.resolved
        from {t("stg_contacts")} k
        join {t("jr_touch")} x on x.tp_id = k.contact_id
        left join {t("jr_touch")} n on n.tp_id = k.next_contact_id
        where k.repeat is not null
        """
    )
    cur.execute(
        f"""
        create table {t("jr_repeat")} as
        select segment, region, month, stage_code, channel_code,
               cast(case when next_gap_s <= ? then ceil(next_gap_s / ?) end as smallint) as gap_day,
               case when next_gap_s <= ? then next_channel_code end as next_channel_code,
               resolved,
               count(*) as contacts
        from {t("jr_gaps")}
        group by all
        order by month
        """,
        [MAX_WINDOW_DAYS * DAY_S, DAY_S, MAX_WINDOW_DAYS * DAY_S],
    )
    cur.execute(
        f"""
        create table {t("jr_cases")} as
        select x.cust_key, x.segment, x.region, x.churned, x.month, x.stage_code, x.channel_code, x.ts, x.tp_id,
               x.is_contact, g.prev_gap_s, g.next_gap_s, x.resolved,
               case when x.resolved_ts is not null then greatest(epoch(x.resolved_ts - x.ts), 0) end as resolution_s,
               x.within_promise, x.sla_rule
        from {t("jr_touch")} x
        join {t("jr_labels")} l on l.kind = 'stage' and l.code = x.stage_code
        left join {t("jr_gaps")} g on g.tp_id = x.tp_id
        where x.first_step and (l.label = 'complaint' or x.resolved_ts is not null or not coalesce(x.resolved, true))
        order by x.segment, x.region, x.month
        """
    )


def _waits(cur: duckdb.DuckDBPyConnection, version: Version) -> None:
    """jr_waits: touchpoints with a wait, a handling time or an abandoned flag (anonymous callers included: they wait
    too), one row each, for the medians and percentiles that cannot be summed up ahead."""
    t = version.table
    anonymous = f"""
            select ? as segment, ? as region, cast(date_trunc('month', i.ts) as date) as month,
                   {_measure(version, "wait_s", "double")} as wait_s, {_measure(version, "handle_s", "double")} as handle_s,
                   {_measure(version, "abandoned", "boolean")} as abandoned
            from {t("interactions")} i
            where i.ts is not null and i.customer_id is null"""
    cur.execute(
        f"""
        create table {t("jr_waits")} as
        select * from (
            select segment, region, month, wait_s, handle_s, abandoned from {t("jr_touch")}
            union all
            {anonymous}
        )
        where wait_s is not null or handle_s is not null or abandoned is not null
        order by segment, region, month
        """,
        [NOT_SET, NOT_SET],
    )


def _visits(cur: duckdb.DuckDBPyConnection, version: Version) -> None:
    t = version.table
    cur.execute(
        f"""
        create table {t("jr_visits")} as
        select segment, region, month, stage_code, days_to_next from (
            select segment, region, month, stage_code,
                   epoch(lead(ts) over (partition by cust_key order by step) - ts) / ? as days_to_next
            from {t("jr_touch")}
            where prev_stage_code is null or prev_stage_code <> stage_code
        )
        where days_to_next is not null
        order by segment, region, month
        """,
        [DAY_S],
    )


def _paths(cur: duckdb.DuckDBPyConnection, version: Version) -> None:
    t = version.table
    ahead = range(1, MAX_STEPS)
    leads = ",\n".join(
        f"lead(stage_code, {k}) over o as s{k + 1}, lead(channel_code, {k}) over o as c{k + 1}, "
        f"lead(month, {k}) over o as m{k + 1}, lead(ts, {k}) over o as t{k + 1}"
        for k in ahead
    )
    columns = ",\n".join(
        f"coalesce(s{k + 1}, 0)::smallint as s{k + 1}, coalesce(c{k + 1}, 0)::smallint as c{k + 1}, m{k + 1}, "
        f"cast(epoch(t{k + 1} - ts) / 3600 as float) as h{k + 1}"
        for k in ahead
    )
    cur.execute(
        f"""
        create table {t("jr_paths")} as
        select cust_key, segment, region, churned, month, prev_month,
               stage_code as s1, channel_code as c1,
               {columns}
        from (
            select cust_key, segment, region, churned, month, ts, stage_code, channel_code,
                   lag(month) over o as prev_month,
                   {leads}
            from {t("jr_touch")}
            window o as (partition by cust_key order by step)
        )
        where prev_month is null or prev_month <> month
        order by segment, region, prev_month nulls first, month
        """
    )
