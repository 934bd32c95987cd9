"""Overview KPIs and the monthly trend, read from small tables prepared at publish time."""

from __future__ import annotations

from datetime import date

import duckdb
import pandas as pd

from dashboard import staged
from dashboard.metrics.scope import NOT_SET, Filters, month_start, next_month
from dashboard.sql import Sql, lit, sql, where_all
from dashboard.store import Version

KPIS: tuple[tuple[str, str, str, str], ...] = (
    # key, label, kind, definition
    (
        "customers",
        "Customers",
        "count",
        "Customers in the selected segments and regions who were customers at some time in the period: "
        "signed up by its end and not defected before its start. Prospects are not counted.",
    ),
    (
        "active_customers",
        "Active customers",
        "count",
        "Customers (as counted in the first tile) who had not defected by the end of the period.",
    ),
    (
        "churn_rate",
        "Churn rate",
        "pct",
        "Customers who defected during the period ÷ customers. Defected as the data allows (stated above the tiles): "
        "churned flag set, a churn date, or no purchase for the dataset's lapse days; a churned flag without a date "
        "counts in every period.",
    ),
    (
        "revenue",
        "Revenue",
        "money",
        "Sum of transaction amounts in the period for customers in the selected segments and regions "
        "(refunds and cancellations are negative; transactions of IDs not in the customers table count with segment "
        "and region (not set)).",
    ),
    ("revenue_per_customer", "Revenue per customer", "money", "Revenue of customers ÷ customers (anonymous sales left out)."),
    (
        "contacts_per_customer",
        "Contacts per customer",
        "number",
        "Contacts of customers (interactions, company- and customer-started, each counted once: the IVR, queue and agent "
        "steps of one call are one contact; prospects' excluded) in the period ÷ customers.",
    ),
    (
        "cost_to_serve",
        "Cost to serve",
        "money",
        "Sum of the costs of customers' touchpoints plus transaction costs (billing, payment handling) in the period; "
        "prospects excluded.",
    ),
    (
        "mean_satisfaction",
        "Mean satisfaction",
        "score",
        "Mean of the customers' satisfaction scores, over customers (as counted in the first tile) who have one.",
    ),
)


def prepare(cur: duckdb.DuckDBPyConnection, version: Version) -> None:
    """Build the overview's tables: customers, transactions and touchpoints counted by segment, region and month."""
    customers, transactions, interactions = (version.table(t) for t in ("customers", "transactions", "interactions"))
    stg = version.table("stg_customers")
    cur.execute(
        f"""
        create table {version.table("ov_customers")} as
        select coalesce(c.segment, ?) as segment,
               coalesce(c.region, ?) as region,
               cast(date_trunc('month', c.signup_date) as date) as signup_month,
               cast(date_trunc('month', s.defected_since) as date) as churn_month,
               coalesce(s.defected, false) as churned,
               not s.counts_as_customer as is_prospect,
               count(*) as n,
               sum(c.satisfaction) as satisfaction_sum,
               count(c.satisfaction) as satisfaction_n
        from {stg} s
        left join (select * from {customers} where customer_id is not null) c on c.customer_id = s.customer_id
        group by all
        """,
        [NOT_SET, NOT_SET],
    )
    # money is money: every transaction counts in revenue and cost, also the refunds of an ID that never bought in
    # the data (a prospect by the staged rule); touchpoints of prospects are left out of contacts and cost to serve.
    # A contact counts once, at its first step (stg_contacts.first_step); a touchpoint stg_contacts leaves out (no
    # customer or no time) is a contact of its own.
    steps = f"left join {version.table('stg_contacts')} k on k.contact_id = e.rowid"
    for name, source, measures, who, join in (
        ("ov_tx_monthly", transactions, "sum(e.amount) as revenue, count(*) as events, sum(e.cost) as cost", "false", ""),
        (
            "ov_ix_monthly",
            interactions,
            "count(*) filter (where coalesce(k.first_step, true)) as events, sum(e.cost) as cost",
            "not counts_as_customer",
            steps,
        ),
    ):
        cur.execute(
            f"""
            create table {version.table(name)} as
            with prospects as (select customer_id from {stg} where {who})
            select coalesce(c.segment, ?) as segment,
                   coalesce(c.region, ?) as region,
                   cast(date_trunc('month', e.ts) as date) as month,
                   p.customer_id is not null as is_prospect,
                   e.customer_id is null as anonymous,
                   {measures}
            from {source} e
            left join {customers} c on c.customer_id = e.customer_id
            left join prospects p on p.customer_id = e.customer_id
            {join}
            group by all
            """,
            [NOT_SET, NOT_SET],
        )


def _customer_scope(version: Version, filters: Filters) -> Sql:
    """Select of ov_customers rows in scope: not prospects, matching the dimensions, customers during the period."""
    where = [Sql("not is_prospect"), filters.dimension_sql()]
    if filters.month_to:
        where.append(sql("(signup_month is null or signup_month <= {})", lit(filters.month_to)))
    if filters.month_from:
        where.append(sql("not (churned and churn_month is not null and churn_month < {})", lit(filters.month_from)))
    return sql(f"select * from {version.table('ov_customers')} where {{}}", where_all(where))


def _monthly_sql(version: Version, table: str, filters: Filters) -> Sql:
    """Select of a prepared monthly table's rows in scope (dimensions and months)."""
    where = [Sql("not is_prospect"), filters.dimension_sql()]
    if filters.month_from:
        where.append(sql("month >= {}", lit(filters.month_from)))
    if filters.month_to:
        where.append(sql("month <= {}", lit(filters.month_to)))
    return sql(f"select * from {version.table(table)} where {{}}", where_all(where))


def kpis(cur: duckdb.DuckDBPyConnection, version: Version, filters: Filters) -> pd.DataFrame:
    """One row per KPI (key, label, kind, value, definition, available); value is None where the data lacks it."""
    filters = filters.validate()
    churn_cut = sql("and (churn_month is null or churn_month <= {})", lit(filters.month_to)) if filters.month_to else ""
    query = sql(
        """
        with scope as ({scope}),
             tx as ({tx}),
             ix as ({ix})
        select (select coalesce(sum(n), 0) from scope) as customers,
               (select coalesce(sum(n), 0) from scope where churned {churn_cut}) as defected,
               (select sum(satisfaction_sum) / nullif(sum(satisfaction_n), 0) from scope) as mean_satisfaction,
               (select coalesce(sum(revenue), 0) from tx) as revenue,
               (select coalesce(sum(revenue) filter (where not anonymous), 0) from tx) as customer_revenue,
               (select coalesce(sum(cost), 0) from tx) as tx_cost,
               (select coalesce(sum(events) filter (where not anonymous), 0) from ix) as customer_contacts,
               (select coalesce(sum(cost), 0) from ix) as ix_cost
        """,
        scope=_customer_scope(version, filters),
        tx=_monthly_sql(version, "ov_tx_monthly", filters),
        ix=_monthly_sql(version, "ov_ix_monthly", filters),
        churn_cut=churn_cut,
    )
    row = cur.execute(*query).fetchall()[0]
    customers, defected, mean_sat, revenue, customer_revenue, tx_cost, customer_contacts, ix_cost = row
    has_tx, has_ix = version.has("transactions"), version.has("interactions")
    has_churn = staged.load_profile(cur, version).tells_defection
    has_cost = version.has("transactions", "cost") or version.has("interactions", "cost")
    per = (lambda x: x / customers) if customers else (lambda x: None)
    values = {
        "customers": (customers, True),
        "active_customers": (customers - defected if has_churn else customers, True),
        "churn_rate": (per(defected) if has_churn else None, has_churn),
        "revenue": (revenue if has_tx else None, has_tx),
        # per customer: what customers did (anonymous rows count in the totals, not per customer)
        "revenue_per_customer": (per(customer_revenue) if has_tx else None, has_tx),
        "contacts_per_customer": (per(customer_contacts) if has_ix else None, has_ix),
        "cost_to_serve": ((tx_cost or 0) + (ix_cost or 0) if has_cost else None, has_cost),
        "mean_satisfaction": (mean_sat, version.has("customers", "satisfaction")),
    }
    rows = []
    for key, label, kind, definition in KPIS:
        value, available = values[key]
        rows.append(
            {
                "key": key,
                "label": label,
                "kind": kind,
                "value": None if value is None else float(value),
                "definition": definition,
                "available": available,
            }
        )
    return pd.DataFrame(rows)


def monthly_trend(cur: duckdb.DuckDBPyConnection, version: Version, filters: Filters) -> pd.DataFrame:
    """Revenue (sum of amounts) and contacts (each once, at its first step) per calendar month in scope, oldest first;
    a measure whose table the data does not have (no transactions, no touchpoints) is missing (NaN), not 0."""
    filters = filters.validate()
    query = sql(
        """
        with tx as (select month, sum(revenue) as revenue from ({tx}) group by month),
             ix as (select month, sum(events) as contacts from ({ix}) group by month)
        select coalesce(tx.month, ix.month) as month,
               coalesce(tx.revenue, 0) as revenue,
               coalesce(ix.contacts, 0) as contacts
        from tx full outer join ix on tx.month = ix.month
        order by month
        """,
        tx=_monthly_sql(version, "ov_tx_monthly", filters),
        ix=_monthly_sql(version, "ov_ix_monthly", filters),
    )
    trend = cur.execute(*query).df()
    for column, table in (("revenue", "transactions"), ("contacts", "interactions")):
        if not version.has(table):
            trend[column] = float("nan")
    return trend


def dimension_values(cur: duckdb.DuckDBPyConnection, version: Version, _spec: object = None) -> pd.DataFrame:
    """Segments and regions of the version's customers with how many customers carry each (dimension, value, customers)."""
    return cur.execute(
        f"""
        select 'segment' as dimension, segment as value, sum(n) as customers
        from {version.table("ov_customers")} group by segment
        union all
        select 'region', region, sum(n) from {version.table("ov_customers")} group by region
        order by dimension, customers desc, value
        """
    ).df()


def month_span(cur: duckdb.DuckDBPyConnection, version: Version, _spec: object = None) -> pd.DataFrame:
    """First and last month with any transaction or touchpoint (one row; nulls when the version has no events)."""
    return cur.execute(
        f"""
        select min(month) as first_month, max(month) as last_month from (
            select month from {version.table("ov_tx_monthly")}
            union all
            select month from {version.table("ov_ix_monthly")}
        )
        """
    ).df()


def months_between(first: date, last: date) -> list[date]:
    """First days of every month from first to last, inclusive."""
    months, current = [], month_start(first)
    while current <= last:
        months.append(current)
        current = next_month(current)
    return months
