"""What publish builds for the Drivers: journey pain per customer and month, the touchpoints' span per month, each
buyer's main product and the fixed part of the per-customer driver rows."""

from __future__ import annotations

import duckdb

from dashboard.metrics.drivers.spec import MAX_LEVELS, attribute_columns, frame_columns
from dashboard.metrics.scope import Filters
from dashboard.sql import Sql, as_sql, group_by_all, join, sql
from dashboard.store import Version

PAIN_MONTHS_TABLE = "dr_pain_months"
SPAN_TABLE = "dr_contact_span"
PRODUCT_TABLE = "dr_product"
CUSTOMER_TABLE = "dr_customers"
PAIN_COLUMNS = ("contacts", "complaints", "complaints_not_fcr", "resolve_days", "repeats", "switched", "cost")
"""The journey pain columns of pain_select (and of dr_customers) besides cid."""


def prepare(cur: duckdb.DuckDBPyConnection, version: Version) -> None:
    """Build at publish dr_pain_months (journey pain per customer and calendar month, see _pain_months_select), so a
    months filter sums months instead of recounting touchpoints; dr_contact_span (first and last touchpoint per month);
    dr_product (each buyer's main product, the one bought most often); and dr_customers, the fixed part of the driver
    rows."""
    cur.execute(f"create or replace table {version.table(PAIN_MONTHS_TABLE)} as {_pain_months_select(version)}")
    cur.execute(
        f"""
        create or replace table {version.table(SPAN_TABLE)} as
        select cast(date_trunc('month', ts) as date) as month, min(ts) as first_ts, max(ts) as last_ts
        from {version.table("stg_contacts")}
        group by cast(date_trunc('month', ts) as date)
        """
    )
    cur.execute(f"create or replace table {version.table(PRODUCT_TABLE)} as {_product_select(version)}")
    # the driver rows' fixed part, one row per person in the behaviours' numbering (bh_customers.cid): attributes,
    # signup and satisfaction, when they left, journey pain over all months and main product; a change on the page
    # joins it to the customers of its period by that integer and reads no other table
    text = set(attribute_columns(version))
    picked = "".join(f", {_as_enum(cur, version, c) if c in text else f'b.{_quoted(c)}'}" for c in frame_columns(version))
    product = _as_enum(cur, version, "main_product", version.table(PRODUCT_TABLE), "pr")
    pain = pain_select(version, Filters())
    cur.execute(
        *sql(
            f"""
            create or replace table {version.table(CUSTOMER_TABLE)} as
            select b.cid{picked}, b.defected_since, {", ".join(f"p.{c}" for c in PAIN_COLUMNS)}, {product}
            from {version.table("bh_customers")} b
            left join ({{}}) p on p.cid = b.cid
            left join {version.table(PRODUCT_TABLE)} pr on pr.customer_id = b.customer_id
            order by b.cid
            """,
            pain,
        )
    )


def pain_select(version: Version, filters: Filters, cids: Sql | str | None = None) -> Sql:
    """Select of each customer's journey pain (cid; contacts, complaints, complaints not resolved at first contact,
    slowest complaint resolution in days, repeat contacts, whether they contacted on two channels or more, cost of their
    touchpoints) over the months of filters, summed from dr_pain_months, for the customers meeting cids (a condition on
    cid)."""
    return sql(
        f"""
        select cid, sum(contacts) as contacts, sum(complaints) as complaints,
               sum(complaints_not_fcr) as complaints_not_fcr, max(resolve_days) as resolve_days, sum(repeats) as repeats,
               min(channel_low) < max(channel_high) as switched, sum(cost) as cost
        from {version.table(PAIN_MONTHS_TABLE)}
        where {{}}
        group by cid
        """,
        filters.period_sql("month") if cids is None else join([filters.period_sql("month"), as_sql(cids)], " and "),
    )


def contact_span_select(version: Version, filters: Filters) -> Sql:
    """Select of the first and last touchpoint within the months of filters (from dr_contact_span)."""
    return sql(f"select min(first_ts), max(last_ts) from {version.table(SPAN_TABLE)} where {{}}", filters.period_sql("month"))


def _pain_months_select(version: Version) -> str:
    """Select of journey pain per customer (cid) and calendar month of the touchpoint: contacts, complaints (each
    counted once, on its first step), complaints not resolved at first contact, slowest complaint resolution in days,
    repeat contacts, the first and last channel contacted on in text order (two channels or more when they differ) and
    the cost of the touchpoints; ordered by customer (cid) so a segment or region filter reads only its customers'
    rows (see behaviours' prepare; a months filter reads every row group instead: a period is usually most of them)."""
    month = "cast(date_trunc('month', {}.ts) as date)"
    cost = (
        f"""select b.cid, {month.format("i")} as month, sum(i.cost) as cost
            from {version.table("interactions")} i join {version.table("bh_customers")} b on b.customer_id = i.customer_id
            where isfinite(i.cost)
            group by b.cid, {month.format("i")}"""
        if version.has("interactions", "cost")
        else "select cast(null as bigint) as cid, cast(null as date) as month, cast(null as double) as cost where false"
    )
    return f"""
        with p as (
            select b.cid, {month.format("s")} as month,
                   count(*) filter (where s.is_contact and s.first_step) as contacts,
                   count(*) filter (where s.is_complaint and s.first_step) as complaints,
                   count(*) filter (where s.is_complaint and not s.resolved_at_first_contact) as complaints_not_fcr,
                   max(epoch(s.resolved_ts - s.ts) / 86400.0) filter (where s.is_complaint and s.resolved_ts >= s.ts)
                       as resolve_days,
                   count(*) filter (where s.repeat) as repeats,
                   min(lower(trim(s.channel))) filter (where s.is_contact and s.first_step) as channel_low,
                   max(lower(trim(s.channel))) filter (where s.is_contact and s.first_step) as channel_high
            from {version.table("stg_contacts")} s
            join {version.table("bh_customers")} b on b.customer_id = s.customer_id
            group by b.cid, {month.format("s")}
        ),
        k as ({cost})
        select coalesce(p.cid, k.cid) as cid, coalesce(p.month, k.month) as month, p.contacts, p.complaints,
               p.complaints_not_fcr, p.resolve_days, p.repeats, p.channel_low, p.channel_high, k.cost
        from p full join k on k.cid = p.cid and k.month = p.month
        order by cid, month
    """


def _quoted(name: str) -> str:
    """name as a quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def _as_enum(cur: duckdb.DuckDBPyConnection, version: Version, column: str, table: str | None = None, alias: str = "b") -> str:
    """SQL selecting alias.column as an ENUM of its values when it has at most 4 × MAX_LEVELS of them (grouped by a
    small integer code, not a string per customer), else as it is."""
    source = table or version.table("bh_customers")
    name = _quoted(column)
    values = cur.execute(
        f"select distinct cast({name} as varchar) from {source} where {name} is not null limit {4 * MAX_LEVELS + 1}"
    ).fetchall()
    if not values or len(values) > 4 * MAX_LEVELS:
        return f"{alias}.{name}"
    levels = ", ".join("'" + str(v[0]).replace("'", "''") + "'" for v in sorted(values, key=lambda v: str(v[0])))
    return f"cast(cast({alias}.{name} as varchar) as enum({levels})) as {name}"


def _product_select(version: Version) -> str:
    """Select of (customer_id, main_product): the product of most purchase lines per buyer (none without products)."""
    if not version.has("transactions", "product"):
        return "select cast(null as varchar) as customer_id, cast(null as varchar) as main_product where false"
    return f"""
        select customer_id, arg_max(product, n) as main_product
        from (select customer_id, product, count(*) as n from {version.table("transactions")}
              where product is not null and amount > 0 {group_by_all()})
        group by customer_id
    """
