"""stg_contacts: the one place contact, complaint, repeat, resolved and resolved at first contact are defined. One row
per touchpoint with a customer and a time.

- is_complaint: the touchpoint's journey stage is complaint (NULL when the data has no stage column).
- repeat: the same customer makes another contact with the same reason within fcr_days after it (elapsed time; of two
  contacts at the same moment, the one earlier in the file is repeated by the later); NULL without a reason column.
- resolved: the resolved column when mapped, else whether resolved_ts is set, else NULL.
- resolved_at_first_contact: resolved and not repeated; NULL when either is unknown.
"""

from __future__ import annotations

import duckdb

from dashboard.staged.definitions import Definitions
from dashboard.staged.profile import DataProfile
from dashboard.staged.sql import bind
from dashboard.store import Version

TABLE = "stg_contacts"


def build(cur: duckdb.DuckDBPyConnection, version: Version, profile: DataProfile, d: Definitions) -> None:
    """Create stg_contacts for a version being published (or re-staged)."""
    interactions = version.table("interactions")
    window = int(d.fcr_days)
    complaint = "lower(i.stage) = 'complaint'" if version.has("interactions", "stage") else "cast(null as boolean)"
    reason = "coalesce(i.reason, $not_set)" if profile.reasons else "cast(null as varchar)"
    if profile.resolved_flag:
        resolved = "i.resolved"
    elif profile.resolved_ts:
        resolved = "i.resolved_ts is not null"
    else:
        resolved = "cast(null as boolean)"
    repeat = (
        f"""coalesce(lead(ts) over (partition by customer_id, reason order by ts, seq) <= ts + interval {window} day, false)"""
        if profile.reasons
        else "cast(null as boolean)"
    )
    sql = f"""
        create or replace table {version.table(TABLE)} as
        with numbered as (
            select row_number() over () as seq, i.customer_id, i.ts, lower(trim(i.channel)) as channel, i.stage,
                   {reason} as reason, {complaint} as is_complaint, i.resolved_ts, {resolved} as resolved
            from {interactions} i
            where i.customer_id is not null and i.ts is not null
        ),
        repeats as (select *, {repeat} as repeat from numbered)
        select seq as contact_id, customer_id, ts, channel, stage, reason, is_complaint, repeat, resolved, resolved_ts,
               case when resolved is null or repeat is null then null else resolved and not repeat end
                   as resolved_at_first_contact
        from repeats
        order by seq
    """
    cur.execute(sql, bind(sql, {"not_set": "(not set)"}))
