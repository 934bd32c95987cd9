"""stg_contacts: the one place contact, complaint, repeat, resolved and resolved at first contact are defined. One row
per touchpoint with a customer and a time.

- is_contact: started by the customer (initiated_by is customer; every touchpoint when the data has no initiated_by).
- is_complaint: the touchpoint's journey stage is complaint (NULL when the data has no stage column).
- prev_ts, next_ts, next_contact_id: the contacts of the same customer with the same reason just before and after it
  (of two contacts at the same moment, the one earlier in the file comes first); views with their own window read these.
- repeat: a contact with a reason followed by the next within fcr_days (elapsed time); NULL for a touchpoint that is
  no contact or has no reason.
- resolved: the resolved flag where it is given, else TRUE where a resolution time is given; with resolved_ts but no
  resolved column, whether resolved_ts is set; NULL where the data says nothing.
- resolved_at_first_contact: resolved and not repeated; NULL when either is unknown.

contact_id is the touchpoint's position in the interactions table when the staged and prepared tables are built (one
transaction: at publish, DuckDB numbers the new rows from a large offset), so it joins tables built together only.
"""

from __future__ import annotations

import duckdb

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


def build(cur: duckdb.DuckDBPyConnection, version: Version, profile: DataProfile, d: Definitions) -> None:
    """Create stg_contacts for a version being published (or re-staged)."""
    interactions = version.table("interactions")
    window = int(d.fcr_days)
    complaint = "lower(i.stage) = 'complaint'" if version.has("interactions", "stage") else "cast(null as boolean)"
    contact = contact_sql(version)
    if profile.resolved_flag and profile.resolved_ts:
        resolved = "coalesce(i.resolved, case when i.resolved_ts is not null then true end)"
    elif profile.resolved_flag:
        resolved = "i.resolved"
    elif profile.resolved_ts:
        resolved = "i.resolved_ts is not null"
    else:
        resolved = "cast(null as boolean)"
    resolved_ts = known_time("i.resolved_ts") if profile.resolved_ts else "i.resolved_ts"
    cur.execute(
        f"""
        create or replace table {version.table(TABLE)} as
        with touchpoints as (
            select {FILE_ORDER} as contact_id, i.customer_id, {known_time("i.ts")} as ts, i.channel, i.stage, i.reason,
                   {contact} as is_contact, {complaint} as is_complaint, {resolved_ts} as resolved_ts,
                   {resolved} as resolved
            from {interactions} i
            where i.customer_id is not null and {known_time("i.ts")} is not null
        ),
        judged as (
            select contact_id, customer_id, ts, prev_ts, next_ts, next_contact_id,
                   coalesce(next_ts <= ts + interval {window} day, false) as repeat
            from (
                select contact_id, customer_id, ts,
                       lag(ts) over same_reason as prev_ts,
                       lead(ts) over same_reason as next_ts,
                       lead(contact_id) over same_reason as next_contact_id
                from touchpoints
                where is_contact and reason is not null
                window same_reason as (partition by customer_id, reason order by ts, contact_id)
            )
        )
        select t.contact_id, t.customer_id, t.ts, t.channel, t.stage, t.reason, t.is_contact, t.is_complaint,
               j.prev_ts, j.next_ts, j.next_contact_id, j.repeat, t.resolved, t.resolved_ts,
               case when t.resolved is null or j.repeat is null then null else t.resolved and not j.repeat end
                   as resolved_at_first_contact
        from touchpoints t
        left join judged j on j.contact_id = t.contact_id
        order by t.contact_id
        """
    )
