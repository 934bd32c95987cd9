"""stg_customers: the one place prospect, purchase, defected and at risk are defined. One row per customer id seen in
any table.

- purchase: a day on which the customer's transactions add up to more than zero (invoice lines of one order count once;
  a day of refunds only is not a purchase).
- is_prospect: known but never bought (and not marked as having left: a churn label or the stage column's "defected"
  says they were a customer), or labelled prospect in the stage column; only where the data has purchases (else from
  the stage column when there is one, else NULL: unknown). counts_as_customer = not a prospect.
- defected: churn flag set, or a churn date, or the stage column says defected, or no purchase for more than lapse_days
  before the as-of day; FALSE for prospects; NULL when the data can tell neither. defected_since: the churn date, or the
  last purchase + lapse_days.
- at_risk: not defected and (the stage column says at risk, or no purchase for more than at_risk_days, or at least
  at_risk_complaints complaints within complaint_days before the as-of day); never TRUE when defected; NULL when
  defection or risk cannot be told.

Windows are elapsed time (`as_of > last_purchase + interval N day`), so the SQL means the same on any engine.
"""

from __future__ import annotations

import duckdb

from dashboard.contract import RELATIONSHIP_STAGES
from dashboard.sql import Sql, lit, sql
from dashboard.staged.definitions import Definitions
from dashboard.staged.profile import DataProfile, stage_labels
from dashboard.staged.sql import day_total, known_day
from dashboard.store import Version

TABLE = "stg_customers"
BY_FLAG, BY_DATE, BY_STAGE = "churn flag", "churn date", "stage column"
LABEL_HOWS = (BY_FLAG, BY_DATE, BY_STAGE)
"""defected_how of a customer the data's labels mark as gone (any other how is a purchase lapse)."""
PROSPECT, AT_RISK, DEFECTED = (RELATIONSHIP_STAGES.labels[i] for i in (0, 5, 6))


def build(cur: duckdb.DuckDBPyConnection, version: Version, profile: DataProfile, definitions: Definitions) -> None:
    """Create stg_customers for a version being published (or re-staged)."""
    customers, transactions, interactions = (version.table(t) for t in ("customers", "transactions", "interactions"))
    query = sql(
        _STATEMENT,
        target=version.table(TABLE),
        customers=customers,
        transactions=transactions,
        interactions=interactions,
        known_ts=known_day("ts"),
        day_total=day_total(),
        complaint_rows=_complaint_rows(interactions, profile, definitions),
        **_flags(profile, definitions),
        **_hows(profile, definitions),
    )
    cur.execute(*query)


def _labelled(label: str) -> Sql:
    """Whether the stage column reads as the relationship stage label (its name or a synonym)."""
    labelled = "regexp_replace(lower(c.stage), '[^0-9a-z]+', '', 'g')"
    return sql(f"coalesce(list_contains(cast({{}} as varchar[]), {labelled}), false)", lit(stage_labels(label)))


def _flags(profile: DataProfile, definitions: Definitions) -> dict[str, Sql | str]:
    """Per customer, the SQL of each reason to count as a prospect, as defected or as at risk (false where the data
    cannot say)."""
    as_of = lit(profile.as_of)
    by_stage = _labelled(PROSPECT)
    column_left, column_risk = ("false", "false")
    if profile.stage_off_ramps:
        column_left, column_risk = _labelled(DEFECTED), _labelled(AT_RISK)
    flag = "coalesce(c.churned, false)" if profile.churn_flag else "false"
    churn_date = known_day("c.churn_date") if profile.churn_date else "cast(null as date)"
    dated = f"{churn_date} is not null" if profile.churn_date else "false"
    if profile.has_purchases:
        left = sql("({} or {} or {})", flag, dated, column_left)
        prospect = sql("{} or (coalesce(p.purchases, 0) = 0 and not {})", by_stage, left)
    elif profile.stage_column:
        prospect = sql("case when c.stage is null then null else {} end", by_stage)
    else:
        prospect = Sql("cast(null as boolean)")
    lapsed = sql(f"(p.last_purchase is not null and {{}} > p.last_purchase + interval {int(definitions.lapse_days)} day)", as_of)
    quiet = sql(f"(p.last_purchase is not null and {{}} > p.last_purchase + interval {int(definitions.at_risk_days)} day)", as_of)
    knows_defection = profile.tells_defection
    counts_complaints = profile.complaints and definitions.at_risk_complaints > 0 and knows_defection
    return {
        "prospect": prospect,
        "flag": flag,
        "churn_date": churn_date,
        "dated": dated,
        "column_left": column_left,
        "column_risk": column_risk,
        "lapsed": lapsed if profile.has_purchases else "false",
        "quiet": quiet if profile.has_purchases and knows_defection else "false",
        "complaining": sql("coalesce(k.recent, 0) >= {}", lit(definitions.at_risk_complaints)) if counts_complaints else "false",
    }


def _hows(profile: DataProfile, definitions: Definitions) -> dict[str, Sql | str]:
    """The values the statement names: what is known, how a customer was found defected or at risk, the lapse window."""
    lapse, risk, window = int(definitions.lapse_days), int(definitions.at_risk_days), int(definitions.complaint_days)
    knows_defection = profile.tells_defection
    knows_risk = knows_defection and (
        profile.has_purchases or profile.stage_off_ramps or (profile.complaints and definitions.at_risk_complaints > 0)
    )
    return {
        "lapse": str(lapse),
        "knows_defection": lit(knows_defection),
        "knows_risk": lit(knows_risk),
        "by_date": lit(BY_DATE),
        "by_flag": lit(BY_FLAG),
        "by_stage": lit(BY_STAGE),
        "lapse_how": lit(f"no purchase for {lapse} days"),
        "quiet_how": lit(f"no purchase for {risk} days"),
        "complaints_how": lit(f"{definitions.at_risk_complaints} complaints in {window} days"),
    }


def _complaint_rows(interactions: str, profile: DataProfile, definitions: Definitions) -> Sql:
    """Per customer, the complaints in the complaint window before the as-of day (no rows without complaints)."""
    if not profile.complaints:
        return Sql(f"select cast(null as varchar) as customer_id, 0 as recent from {interactions} where false")
    window = int(definitions.complaint_days)
    return sql(
        f"""
        select customer_id, count(*) filter (
                   where day <= {{as_of}} and {{as_of}} < day + interval {window} day
               ) as recent
        from (select customer_id, {known_day("ts")} as day from {interactions}
              where lower(stage) = 'complaint' and customer_id is not null)
        group by customer_id
        """,
        as_of=lit(profile.as_of),
    )


_STATEMENT = """
        create or replace table {target} as
        with ids as (
            select customer_id from {customers} where customer_id is not null
            union select customer_id from {transactions} where customer_id is not null
            union select customer_id from {interactions} where customer_id is not null
        ),
        days as (
            select customer_id, {known_ts} as day, {day_total} as amount
            from {transactions}
            where customer_id is not null and {known_ts} is not null and amount is not null
            group by all
        ),
        p as (
            select customer_id,
                   min(day) filter (where amount > 0) as first_purchase,
                   max(day) filter (where amount > 0) as last_purchase,
                   count(*) filter (where amount > 0) as purchases,
                   sum(amount) as revenue
            from days group by customer_id
        ),
        k as ({complaint_rows}),
        flags as (
            select ids.customer_id, p.first_purchase, p.last_purchase, coalesce(p.purchases, 0) as purchases,
                   coalesce(p.revenue, 0) as revenue, {churn_date} as churn_date,
                   {prospect} as is_prospect,
                   {flag} as by_flag, {dated} as by_date, {column_left} as by_stage, {lapsed} as by_lapse,
                   {column_risk} as by_stage_risk, {quiet} as by_quiet, {complaining} as by_complaints
            from ids
            left join (select * from {customers} where customer_id is not null) c on c.customer_id = ids.customer_id
            left join p on p.customer_id = ids.customer_id
            left join k on k.customer_id = ids.customer_id
        ),
        defection as (
            select *,
                   case when coalesce(is_prospect, false) then false
                        when by_flag or by_date or by_stage or by_lapse then true
                        when {knows_defection} then false
                   end as defected
            from flags
        )
        select customer_id, is_prospect, not coalesce(is_prospect, false) as counts_as_customer,
               first_purchase, last_purchase, purchases, revenue,
               defected,
               case when not defected then null
                    when by_date then churn_date
                    when by_lapse and not (by_flag or by_stage) then cast(last_purchase + interval {lapse} day as date)
               end as defected_since,
               case when not defected then null
                    when by_date then {by_date}
                    when by_flag then {by_flag}
                    when by_stage then {by_stage}
                    when by_lapse then {lapse_how}
               end as defected_how,
               case when defected is null or not {knows_risk} then null
                    when defected then false
                    else by_stage_risk or by_quiet or by_complaints
               end as at_risk,
               case when defected or defected is null then null
                    when by_stage_risk then {by_stage}
                    when by_quiet then {quiet_how}
                    when by_complaints then {complaints_how}
               end as at_risk_why
        from defection
        order by customer_id
    """
"""The statement building stg_customers; its parts come from _flags, _hows and _complaint_rows."""
