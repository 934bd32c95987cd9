"""Followed for a year: the share of customers a rule flagged a year before the as-of day who left within that year,
the chance of leaving used for customers flagged only by that rule (the own-baseline drop without a BG/NBD fit, a badly
handled complaint)."""

from __future__ import annotations

from datetime import date

import duckdb
import pandas as pd

from dashboard.metrics.defection.availability import as_of_day
from dashboard.metrics.defection.prepare import WINDOW_MONTHS
from dashboard.metrics.defection.spec import (
    DAYS_PER_MONTH,
    FOLLOW_UP_DAYS,
    FOLLOW_UP_MONTHS,
    MIN_BASELINE_PURCHASES,
    MIN_FOLLOW_UP_CUSTOMERS,
    DefectionSpec,
    Definition,
)
from dashboard.metrics.scope import Filters
from dashboard.sql import Sql, days_between, list_contains, list_item, lit, sql
from dashboard.staged.customers import LABEL_HOWS
from dashboard.store import Version


def drop_follow_up_spec(spec: DefectionSpec) -> DefectionSpec:
    """The part of spec the drop follow-up depends on (segments and regions; the dated rules and the drop rule)."""
    d = spec.definition
    definition = Definition(
        contract=d.contract,
        lapse=d.lapse,
        drop=d.drop,
        drop_pct=d.drop_pct,
        recent_months=d.recent_months,
        baseline_months=d.baseline_months,
    )
    return DefectionSpec(filters=Filters(spec.filters.segments, spec.filters.regions), definition=definition)


def drop_follow_up(cur: duckdb.DuckDBPyConnection, version: Version, spec: DefectionSpec) -> pd.DataFrame:
    """Share of the customers the own-baseline drop flagged a year before the as-of day who defected within that year.

    The rule is applied as of the day 12 months before the as-of day (recent window and baseline counted back from it,
    the baseline from the customer's first purchase); customers who had defected by then are left out. One row:
    flagged, left_within_year, observed share, chance_used (the observed share when at least 30 flagged customers can
    be followed, else 1.0) and basis (words). Used as the chance of leaving of a drop without a BG/NBD fit.
    """
    d = spec.definition
    as_of = as_of_day(cur, version)
    back = d.recent_months + d.baseline_months + FOLLOW_UP_MONTHS
    row = {"flagged": 0, "left_within_year": 0, "observed": None}
    if as_of is not None and d.drop and (d.contract or d.lapse) and back <= WINDOW_MONTHS:
        row = cur.execute(*_drop_follow_up_sql(version, spec, as_of)).df().iloc[0].to_dict()
        row["observed"] = row["left_within_year"] / row["flagged"] if row["flagged"] else None
    return _follow_up_row(
        row,
        "flagged",
        "customers whose purchases had dropped a year ago left within that year",
        "too few customers with a drop can be followed for a year, so each is assumed lost",
    )


def _drop_follow_up_sql(version: Version, spec: DefectionSpec, as_of_date: date) -> Sql:
    """Select of one row: the customers the drop flagged a year before as_of_date (flagged) and those of them who
    defected by as_of_date (left_within_year)."""
    d = spec.definition
    recent, base = FOLLOW_UP_MONTHS + d.recent_months, d.recent_months + d.baseline_months + FOLLOW_UP_MONTHS
    return sql(
        """
        with past as (
            select defected, defected_how, defected_since, first_purchase,
                   {upto_recent} - {upto_follow_up} as recent_purchases,
                   {upto_base} - {upto_recent} as baseline_purchases,
                   cast(cast({as_of} as date) - to_months(cast({follow_up} as integer)) as date) as past_as_of,
                   cast(cast({as_of} as date) - to_months(cast({recent} as integer)) as date) as recent_start,
                   cast(cast({as_of} as date) - to_months(cast({base} as integer)) as date) as baseline_start
            from {customers}
            where {scope} and purchase_days > 0
        ),
        judged as (
            select *,
                   case when first_purchase < recent_start
                        then {seen_days} / {days_per_month} end as seen,
                   case when coalesce(defected, false) and (case when {labelled} then {contract} else {lapse} end)
                        then defected_since end as defect_date
            from past
        ),
        flagged as (
            select * from judged
            where seen >= {min_months} and baseline_purchases >= {min_purchases}
              and recent_purchases / {recent_months} < {drop_share} * baseline_purchases / seen
              and (defect_date is null or defect_date > past_as_of)
        )
        select count(*) as flagged, count(*) filter (where defect_date <= cast({as_of} as date)) as left_within_year
        from flagged
        """,
        upto_recent=list_item("purchases_back", lit(recent)),
        upto_follow_up=list_item("purchases_back", lit(FOLLOW_UP_MONTHS)),
        upto_base=list_item("purchases_back", lit(base)),
        as_of=lit(as_of_date),
        follow_up=lit(FOLLOW_UP_MONTHS),
        recent=lit(recent),
        base=lit(base),
        customers=version.table("df_customers"),
        scope=spec.filters.dimension_sql(),
        seen_days=days_between("greatest(first_purchase, baseline_start)", "recent_start"),
        days_per_month=lit(DAYS_PER_MONTH),
        labelled=list_contains(lit(list(LABEL_HOWS)), "defected_how"),
        contract=lit(d.contract),
        lapse=lit(d.lapse),
        min_months=lit(float(min(d.baseline_months, d.recent_months))),
        min_purchases=lit(MIN_BASELINE_PURCHASES),
        recent_months=lit(float(d.recent_months)),
        drop_share=lit(d.drop_pct / 100),
    )


def _follow_up_row(row: dict, followed: str, observed_words: str, assumed_words: str) -> pd.DataFrame:
    """row with chance_used: the observed share of the followed customers who left within a year when at least
    MIN_FOLLOW_UP_CUSTOMERS can be followed, else 1.0 (each assumed lost); and basis, the same in words."""
    enough = row[followed] >= MIN_FOLLOW_UP_CUSTOMERS and row["observed"] is not None
    basis = f"{row['left_within_year']:,} of {row[followed]:,} {observed_words}" if enough else assumed_words
    return pd.DataFrame([{**row, "chance_used": row["observed"] if enough else 1.0, "basis": basis}])


def follow_up_spec(spec: DefectionSpec) -> DefectionSpec:
    """The part of spec the complaint follow-up depends on (all customers; dated rules and the resolution target)."""
    d = spec.definition
    return DefectionSpec(definition=Definition(contract=d.contract, lapse=d.lapse, sla_days=d.sla_days))


def complaint_follow_up(cur: duckdb.DuckDBPyConnection, version: Version, spec: DefectionSpec) -> pd.DataFrame:
    """Share of customers with a badly handled complaint who left within a year of it (dated rules), and the chance used.

    One row: complainers (with a full year of follow-up before the as-of day), left_within_year, observed share,
    chance_used (the observed share when at least 30 complainers can be followed, else 1.0) and basis (words).
    """
    d = spec.definition
    as_of = as_of_day(cur, version)
    empty = {"complainers": 0, "left_within_year": 0, "observed": None}
    if as_of is None or not (d.contract or d.lapse):
        row = empty
    else:
        follow_up = lit(FOLLOW_UP_DAYS)
        query = sql(
            """
            with bad as (
                select customer_key, min(ts) as first_bad
                from {complaints}
                where {scope} and (coalesce(broke_promise, resolution_days > {sla_days}) or unresolved or repeated)
                group by customer_key
            ),
            people as (
                select b.first_bad,
                       case when coalesce(c.defected, false) and (case when {labelled} then {contract} else {lapse} end)
                            then c.defected_since end as defect_date
                from bad b
                join {customers} c on c.customer_key = b.customer_key
                where cast(b.first_bad as date) <= cast({as_of} as date) - to_days(cast({follow_up} as integer))
            )
            select count(*) filter (where defect_date is null or defect_date >= cast(first_bad as date)) as complainers,
                   count(*) filter (where defect_date >= cast(first_bad as date)
                                     and defect_date <= cast(first_bad as date) + to_days(cast({follow_up} as integer)))
                       as left_within_year
            from people
            """,
            complaints=version.table("df_complaints"),
            scope=spec.filters.dimension_sql(),
            sla_days=lit(d.sla_days),
            labelled=list_contains(lit(list(LABEL_HOWS)), "c.defected_how"),
            contract=lit(d.contract),
            lapse=lit(d.lapse),
            customers=version.table("df_customers"),
            as_of=lit(as_of),
            follow_up=follow_up,
        )
        row = cur.execute(*query).df().iloc[0].to_dict()
        row["observed"] = row["left_within_year"] / row["complainers"] if row["complainers"] else None
    return _follow_up_row(
        row,
        "complainers",
        "customers with a badly handled complaint left within a year",
        "too few complainers can be followed for a year, so every flagged complainer is assumed lost",
    )
