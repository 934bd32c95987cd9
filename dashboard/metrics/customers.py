"""One customer's history: their touchpoints and transactions in time order, for drill-downs on any page."""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import pandas as pd

from dashboard.sql import Sql, lit, sql, unnest
from dashboard.store import Version

MAX_CUSTOMERS = 2_000

TIMELINE_COLUMNS = (
    "customer_id",
    "ts",
    "kind",
    "step",
    "stage",
    "channel",
    "reason",
    "initiated_by",
    "resolved",
    "resolved_ts",
    "satisfaction",
    "effort",
    "cost",
    "amount",
    "product",
)


@dataclass(frozen=True)
class TimelineSpec:
    """The customers whose timelines to read (1 to MAX_CUSTOMERS identifiers) and whether to include transactions."""

    customer_ids: tuple[str, ...] = ()
    transactions: bool = True

    def validate(self) -> TimelineSpec:
        """Self with identifiers as text, duplicates removed, in order; ValueError when none or too many."""
        ids = tuple(dict.fromkeys(str(c) for c in self.customer_ids))
        if not ids:
            raise ValueError("choose at least one customer")
        if len(ids) > MAX_CUSTOMERS:
            raise ValueError(f"at most {MAX_CUSTOMERS:,} customers at a time")
        return TimelineSpec(ids, self.transactions)


def timeline(cur: duckdb.DuckDBPyConnection, version: Version, spec: TimelineSpec) -> pd.DataFrame:
    """The customers' touchpoints and transactions ordered by customer, time, kind (touchpoint first), then row number.

    Ties on timestamps are ordered by the row's position in the published table (its rowid, fixed at publish),
    the same rule as the Journey page's steps; step = the touchpoint's index in the customer's journey
    (1 = first touchpoint), or the transaction's index among their transactions.
    """
    spec = spec.validate()
    chosen = sql("customer_id in (select {})", unnest(sql("cast({} as varchar[])", lit(list(spec.customer_ids)))))
    tx_part = Sql("")
    if spec.transactions:
        tx_part = sql(
            f"""
            union all
            select customer_id, ts, 'transaction' as kind, 2 as kind_order, rowid as row_id,
                   cast(null as varchar) as stage, channel, cast(null as varchar) as reason,
                   cast(null as varchar) as initiated_by, cast(null as boolean) as resolved,
                   cast(null as timestamp) as resolved_ts, cast(null as double) as satisfaction,
                   cast(null as double) as effort, cost, amount, product
            from {version.table("transactions")}
            where {{}} and ts is not null
        """,
            chosen,
        )
    query = sql(
        f"""
        select customer_id, ts, kind,
               row_number() over (partition by customer_id, kind order by ts, row_id) as step,
               stage, channel, reason, initiated_by, resolved, resolved_ts, satisfaction, effort, cost, amount, product
        from (
            select customer_id, ts, 'touchpoint' as kind, 1 as kind_order, rowid as row_id,
                   stage, channel, reason, initiated_by, resolved, resolved_ts, satisfaction, effort, cost,
                   cast(null as double) as amount, cast(null as varchar) as product
            from {version.table("interactions")}
            where {{chosen}} and ts is not null
            {{tx_part}}
        )
        order by customer_id, ts, kind_order, row_id
        """,
        chosen=chosen,
        tx_part=tx_part,
    )
    return cur.execute(*query).df()[list(TIMELINE_COLUMNS)]
