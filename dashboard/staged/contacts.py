"""stg_contacts: the one place contact, complaint, repeat, resolved, resolved at first contact and within SLA are
defined. One row per touchpoint with a customer and a time.

- contact_key, step, first_step: the contact (case) a touchpoint belongs to and its place in it. Touchpoints that share
  a customer and a contact_id (a call passing IVR, queue and agent; a ticket's replies) are one contact, in the order of
  their times; without a contact_id every touchpoint is a contact of its own. Repeat, resolved and first-contact
  resolution are judged once per contact, on its first step (its time, channel and reason: the first one given).
- is_contact: started by the customer (initiated_by is customer; every touchpoint when the data has no initiated_by).
- is_complaint: the touchpoint's journey stage is complaint (NULL when the data has no stage column).
- prev_ts, next_ts, next_contact_id: on a contact's first step, the contacts of the same customer with the same reason
  just before and after it (of two contacts at the same moment, the one earlier in the file comes first); views with
  their own window read these.
- repeat: a contact with a reason followed by the next within fcr_days (elapsed time); NULL for a touchpoint that is
  no contact, has no reason, or is a later step of its contact.
- resolved: the contact's resolved flag where it is given (resolved when any step says so), else TRUE where a
  resolution time is given; with resolved_ts but no resolved column, whether resolved_ts is set; NULL where the data
  says nothing. resolved_ts: the contact's latest resolution time. Every step carries its contact's values.
- resolved_at_first_contact: resolved and not repeated; NULL when either is unknown.
- due_ts, within_promise, sla_rule: the promise a contact carries. With an on-time flag (on_time) the flag says whether
  it was kept (sla_rule "on-time flag"); else with a due date (due_ts) it was kept when resolved by then and broken when
  resolved later or never ("due date"; unknown when resolved without a time); else NULL: "within SLA" then means
  resolved within the fixed number of days the page sets.

contact_id is the touchpoint's position in the interactions table when the staged and prepared tables are built (one
transaction: at publish, DuckDB numbers the new rows from a large offset), so it joins tables built together only.
"""

from __future__ import annotations

import duckdb

from dashboard.sql import sql
from dashboard.staged.definitions import Definitions
from dashboard.staged.profile import DataProfile
from dashboard.staged.sql import FILE_ORDER, known_time
from dashboard.store import Version

TABLE = "stg_contacts"


def contact_sql(version: Version, alias: str = "i") -> str:
    """SQL of "this touchpoint is a contact" over interactions aliased alias: started by the customer (initiated_by is
    customer), every touchpoint when the data has no initiated_by. The one definition, also for anonymous touchpoints."""
    if not version.has("interactions", "initiated_by"):
        return "true"
    return f"coalesce(lower(trim({alias}.initiated_by)) = 'customer', false)"


RULE_FLAG, RULE_DUE = "on-time flag", "due date"
"""How a contact's promise is read (sla_rule): its own on-time flag, or resolved by its own due date."""


def _case_key(version: Version) -> str:
    """SQL of the contact a touchpoint of interactions i belongs to: its contact_id, else the touchpoint alone."""
    own = f"'#' || cast({FILE_ORDER} as varchar)"
    if not version.has("interactions", "contact_id"):
        return own
    return f"coalesce('=' || nullif(trim(i.contact_id), ''), {own})"


def _promise(version: Version) -> tuple[str, str]:
    """SQL of (within_promise, sla_rule) over one contact's columns in the cte `cases` (see the module docstring)."""
    flag, due = version.has("interactions", "on_time"), version.has("interactions", "due_ts")
    kept, rule = "cast(null as boolean)", "cast(null as varchar)"
    if due:
        # resolved without a time: whether by the due date is unknown; never resolved: the promise was broken
        kept = """case when due_ts is null then null when resolved_ts is not null then resolved_ts <= due_ts
                       when not resolved then false end"""
        rule = f"case when due_ts is not null and (resolved_ts is not null or not resolved) then '{RULE_DUE}' end"
    if flag:
        kept = f"coalesce(on_time, {kept})"
        rule = f"case when on_time is not null then '{RULE_FLAG}' else {rule} end"
    return kept, rule


def build(cur: duckdb.DuckDBPyConnection, version: Version, profile: DataProfile, definitions: Definitions) -> None:
    """Create stg_contacts for a version being published (or re-staged)."""
    kept, rule = _promise(version)
    query = sql(
        _STATEMENT,
        target=version.table(TABLE),
        file_order=FILE_ORDER,
        interactions=version.table("interactions"),
        case_key=_case_key(version),
        known_ts=known_time("i.ts"),
        window=str(int(definitions.fcr_days)),
        resolved=_resolved(profile),
        kept=kept,
        rule=rule,
        **_columns(version, profile),
    )
    cur.execute(*query)


def _columns(version: Version, profile: DataProfile) -> dict[str, str]:
    """SQL of each touchpoint's contact, complaint, resolution and promise columns (null where the data has none)."""
    has = version.has
    return {
        "contact": contact_sql(version),
        "complaint": "lower(i.stage) = 'complaint'" if has("interactions", "stage") else "cast(null as boolean)",
        "resolved_ts": known_time("i.resolved_ts") if profile.resolved_ts else "cast(null as timestamp)",
        "flag": "i.resolved" if profile.resolved_flag else "cast(null as boolean)",
        "due_ts": known_time("i.due_ts") if has("interactions", "due_ts") else "cast(null as timestamp)",
        "on_time": "i.on_time" if has("interactions", "on_time") else "cast(null as boolean)",
    }


def _resolved(profile: DataProfile) -> str:
    """SQL of whether a contact (the cte `cases`) was resolved: its flag, else a resolution time, else unknown."""
    if profile.resolved_flag and profile.resolved_ts:
        return "coalesce(flag, case when resolved_ts is not null then true end)"
    if profile.resolved_flag:
        return "flag"
    if profile.resolved_ts:
        return "resolved_ts is not null"
    return "cast(null as boolean)"


_STATEMENT = """
        create or replace table {target} as
        with raw as (
            select {file_order} as contact_id, {case_key} as contact_key, i.customer_id,
                   {known_ts} as ts, i.channel, i.stage, i.reason,
                   {contact} as is_contact, {complaint} as is_complaint, {resolved_ts} as resolved_ts, {flag} as flag,
                   {due_ts} as due_ts, {on_time} as on_time
            from {interactions} i
            where i.customer_id is not null and {known_ts} is not null
        ),
        steps as (
            select *, row_number() over (partition by customer_id, contact_key order by ts, contact_id) as step
            from raw
        ),
        cases as (
            select customer_id, contact_key, bool_or(flag) as flag, max(resolved_ts) as resolved_ts,
                   min(due_ts) as due_ts, bool_and(on_time) as on_time,
                   arg_min(reason, step) filter (where reason is not null) as reason
            from steps
            group by customer_id, contact_key
        ),
        judged_cases as (
            select customer_id, contact_key, resolved_ts, due_ts, on_time, reason, {resolved} as resolved
            from cases
        ),
        promised as (
            select *, {kept} as within_promise, {rule} as sla_rule
            from judged_cases
        ),
        touchpoints as (
            select s.contact_id, s.contact_key, s.step, s.step = 1 as first_step, s.customer_id, s.ts, s.channel,
                   s.stage, s.reason, s.is_contact, s.is_complaint, p.resolved_ts, p.resolved, p.due_ts,
                   p.within_promise, p.sla_rule, p.reason as contact_reason
            from steps s
            join promised p on p.customer_id = s.customer_id and p.contact_key = s.contact_key
        ),
        judged as (
            select contact_id, prev_ts, next_ts, next_contact_id,
                   coalesce(next_ts <= ts + interval {window} day, false) as repeat
            from (
                select contact_id, ts,
                       lag(ts) over same_reason as prev_ts,
                       lead(ts) over same_reason as next_ts,
                       lead(contact_id) over same_reason as next_contact_id
                from touchpoints
                where first_step and is_contact and contact_reason is not null
                window same_reason as (partition by customer_id, contact_reason order by ts, contact_id)
            )
        )
        select t.contact_id, t.contact_key, t.step, t.first_step, t.customer_id, t.ts, t.channel, t.stage, t.reason,
               t.is_contact, t.is_complaint, j.prev_ts, j.next_ts, j.next_contact_id, j.repeat, t.resolved,
               t.resolved_ts, case when t.resolved is null or j.repeat is null then null else t.resolved and not j.repeat end
                   as resolved_at_first_contact,
               t.due_ts, t.within_promise, t.sla_rule
        from touchpoints t
        left join judged j on j.contact_id = t.contact_id
        order by t.contact_id
        """
"""The statement building stg_contacts; its parts come from build, _columns, _resolved and _promise."""
