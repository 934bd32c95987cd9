"""What publish prepares for the relationship stages (rule-independent, so a rule change never rebuilds them): the
data span, one row per customer with its purchase days, the long purchase gaps, monthly money per customer, and
touchpoints without a cost counted by channel."""

from __future__ import annotations

import duckdb

from dashboard import staged
from dashboard.metrics.funnel.stages import MIN_GAP_DAYS, NTH_COLUMNS, tenure_counts
from dashboard.metrics.scope import NOT_SET
from dashboard.staged.customers import LABEL_HOWS
from dashboard.staged.sql import day_total
from dashboard.store import Version


def prepare(cur: duckdb.DuckDBPyConnection, version: Version) -> None:
    """Build the rule-independent tables stages are computed from: data span, one row per customer, purchase gaps,
    monthly money per customer, and touchpoints without a cost counted by channel."""
    _prepare_span(cur, version)
    _prepare_customers(cur, version)
    _prepare_gaps(cur, version)
    _prepare_monthly(cur, version)
    _prepare_nocost(cur, version)


def _prepare_span(cur: duckdb.DuckDBPyConnection, version: Version) -> None:
    """fn_span: the first transaction day and the first and last day of the data."""
    customers, transactions, interactions = (version.table(t) for t in ("customers", "transactions", "interactions"))
    cur.execute(
        f"""
        create table {version.table("fn_span")} as
        with tx as (select min(cast(ts as date)) as lo, max(cast(ts as date)) as hi from {transactions}),
             ix as (select min(cast(ts as date)) as lo, max(cast(ts as date)) as hi from {interactions}),
             cu as (select min(signup_date) as lo, greatest(max(signup_date), max(churn_date)) as hi from {customers})
        select tx.lo as tx_start,
               coalesce(least(tx.lo, ix.lo), cu.lo) as data_start,
               cast(? as date) as data_end
        from tx, ix, cu
        """,
        [staged.load_profile(cur, version).as_of],
    )


def _customer_lists_sql(version: Version) -> str:
    """The CTEs of fn_customers up to the per-customer purchase days (p) and complaint days (k)."""
    transactions, interactions = version.table("transactions"), version.table("interactions")
    return f"""
        create table {version.table("fn_customers")} as
        with span as (select * from {version.table("fn_span")}),
             ids as (
                 select customer_id, cast(row_number() over (order by customer_id) as integer) as ck
                 from {version.table("stg_customers")}
             ),
             days as (
                 select customer_id, cast(ts as date) as day, {day_total()} as amount
                 from {transactions} group by all
             ),
             p as (
                 select customer_id, list(day order by day) as pdays, min(day) as first_p, max(day) as last_p,
                        count(*) as n_purchases
                 from days where amount > 0 group by customer_id
             ),
             k as (
                 select customer_id, list(cast(ts as date) order by ts) as cdays
                 from {interactions} where lower(stage) = 'complaint' group by customer_id
             ),"""


def _prepare_customers(cur: duckdb.DuckDBPyConnection, version: Version) -> None:
    """fn_customers: one row per staged customer (ck a dense key), with what every stage rule reads."""
    customers = version.table("customers")
    since = (
        "case when p.first_p is null then null "
        "when c.signup_date < (select tx_start from span) then c.signup_date else p.first_p end"
        if version.has("transactions")
        else "coalesce(c.signup_date, (select data_start from span))"
    )
    cur.execute(
        _customer_lists_sql(version)
        + f"""
             base as (
                 select ids.ck, st.customer_id,
                        coalesce(c.segment, ?) as segment, coalesce(c.region, ?) as region,
                        c.signup_date as lead_date,
                        {since} as since,
                        coalesce(least(c.signup_date, p.first_p), (select data_start from span)) as exists_from,
                        p.pdays, p.first_p, p.last_p, coalesce(p.n_purchases, 0) as n_purchases,
                        {", ".join(f"p.pdays[{k}] as p_{k}" for k in range(1, NTH_COLUMNS + 1))},
                        c.churn_date, coalesce(list_contains(?, st.defected_how), false) as churned_flag,
                        c.referrals, c.acquisition_cost,
                        c.stage as stage_raw,
                        case when c.stage is not null then regexp_replace(lower(c.stage), '[^0-9a-z]+', '', 'g') end
                            as stage_label,
                        k.cdays,
                        cast(? as boolean) as tenure_counts,
                        st.defected as st_defected, st.at_risk as st_at_risk
                 from {version.table("stg_customers")} st
                 join ids using (customer_id)
                 left join (select * from {customers} where customer_id is not null) c using (customer_id)
                 left join p using (customer_id)
                 left join k using (customer_id)
             )
        select * exclude (churn_date, churned_flag),
               churn_date,
               coalesce(churn_date, case when churned_flag then coalesce(last_p + 1, exists_from) end) as churn_at
        from base
        order by ck
        """,
        [NOT_SET, NOT_SET, list(LABEL_HOWS), tenure_counts(staged.load_profile(cur, version))],
    )


def _prepare_gaps(cur: duckdb.DuckDBPyConnection, version: Version) -> None:
    """fn_gaps: every gap between two purchase days longer than the shortest recency window allowed."""
    cur.execute(
        f"""
        create table {version.table("fn_gaps")} as
        select ck, from_day, to_day, to_day - from_day as gap
        from (
            select ck, day as from_day, lead(day) over (partition by ck order by day) as to_day
            from (select ck, unnest(pdays) as day from {version.table("fn_customers")} where pdays is not null)
        )
        where to_day - from_day > ?
        order by gap
        """,
        [MIN_GAP_DAYS],
    )


def _prepare_monthly(cur: duckdb.DuckDBPyConnection, version: Version) -> None:
    """fn_monthly: spend, known cost and contacts per customer and month (bills and contacts stacked, then one
    aggregate: a full outer join of two aggregates did not fit DuckDB's 2 GB default at 1,000,000 customers)."""
    transactions, interactions = version.table("transactions"), version.table("interactions")
    cur.execute(
        f"""
        create table {version.table("fn_monthly")} as
        with ids as (select customer_id, ck from {version.table("fn_customers")}),
             stacked as (
                 select customer_id, cast(date_trunc('month', ts) as date) as month,
                        amount as spend, cost as tx_cost, cast(null as double) as ix_cost,
                        cast(null as integer) as contact
                 from {transactions}
                 union all
                 select customer_id, cast(date_trunc('month', ts) as date) as month,
                        cast(null as double), cast(null as double), cost, 1
                 from {interactions}
             ),
             monthly as (
                 select customer_id, month,
                        coalesce(sum(spend), 0) as spend,
                        coalesce(sum(tx_cost), 0) + coalesce(sum(ix_cost), 0) as known_cost,
                        count(contact) as contacts
                 from stacked group by customer_id, month
             )
        select ids.ck, month, spend, known_cost, contacts
        from monthly join ids using (customer_id)
        order by month
        """
    )


def _prepare_nocost(cur: duckdb.DuckDBPyConnection, version: Version) -> None:
    """fn_nocost: contacts without a cost of their own per customer, month and channel (first steps only)."""
    interactions = version.table("interactions")
    cur.execute(
        f"""
        create table {version.table("fn_nocost")} as
        select ids.ck, cast(date_trunc('month', i.ts) as date) as month, lower(i.channel) as channel,
               count(*) filter (where coalesce(k.first_step, true)) as contacts
        from {interactions} i
        join (select customer_id, ck from {version.table("fn_customers")}) ids using (customer_id)
        left join {version.table("stg_contacts")} k on k.contact_id = i.rowid
        where i.cost is null
        group by all
        having count(*) filter (where coalesce(k.first_step, true)) > 0
        order by month
        """
    )
