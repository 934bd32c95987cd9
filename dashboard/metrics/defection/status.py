"""Defection: who has left or is about to, why, and what it costs: the queries behind the page's figures (the summary
every headline figure, breakdown and reason chart reads, the timeline, the at-risk list), over each customer's status
(rules.status_sql, where the definition is stated).

The names the page reads from the other modules are re-exported here, so a view imports one module.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, timedelta

import duckdb
import pandas as pd

from dashboard import staged
from dashboard.metrics.defection import calibration
from dashboard.metrics.defection.availability import (
    as_of_day,
    availability,
    contract_model,
    default_definition,
    fit_summary,
)
from dashboard.metrics.defection.follow_up import (
    complaint_follow_up,
    drop_follow_up,
    drop_follow_up_spec,
    follow_up_spec,
)
from dashboard.metrics.defection.rules import _value_sql, scoped_sql, status_sql
from dashboard.metrics.defection.spec import (
    DAYS_PER_MONTH,
    LIST_LIMIT,
    METHOD_LABELS,
    METHODS,
    NO_REASON,
    RULE_LABELS,
    RULES,
    SILENT_PER_COMPLAINT,
    DefectionSpec,
    Definition,
    SubQuery,
    Valuation,
    fallback_behaviour_source,
    fallback_stage_source,
    methods_available,
)
from dashboard.metrics.scope import Filters, as_date, month_start
from dashboard.sql import Sql, days_between, group_by_all, join, lit, sql, with_ctes
from dashboard.store import Version

__all__ = [
    "HANDLING",
    "LIST_LIMIT",
    "METHODS",
    "METHOD_LABELS",
    "NO_COMPLAINT",
    "NO_REASON",
    "RULES",
    "RULE_LABELS",
    "SHOWS",
    "SILENT_PER_COMPLAINT",
    "SORTS",
    "DefectionSpec",
    "Definition",
    "ListSpec",
    "SubQuery",
    "Valuation",
    "as_of_day",
    "at_risk_list",
    "availability",
    "complaint_counts",
    "complaint_follow_up",
    "contract_model",
    "default_definition",
    "drop_follow_up",
    "drop_follow_up_spec",
    "fallback_behaviour_source",
    "fallback_stage_source",
    "fit_summary",
    "follow_up_spec",
    "methods_available",
    "scoped_sql",
    "status_sql",
    "summary",
    "timeline",
    "timeline_spec",
]
"""The queries below, and the specs and queries they build on (defined in spec, availability, follow_up and rules,
re-exported here)."""


HANDLING = ("Unresolved", "Resolved slowly", "Repeated contact", "Resolved at first contact")
NO_COMPLAINT = "No complaint"


def summary(cur: duckdb.DuckDBPyConnection, version: Version, spec: DefectionSpec) -> pd.DataFrame:
    """Customers counted by segment, stage, behaviours, status, main reason, period flags and complaint handling,
    with the money summed: the one scan of the customers every headline figure, breakdown and reason chart reads.

    Columns: segment, stage, behaviours, status, main_reason, in_period, defected_in_period, current (not left: contract
    not ended and not lapsed), handling (worst handling of the customer's complaints in the period, or "No complaint"),
    n, revenue_at_risk, risk_bound, value_sum (Σ value if retained), expected_sum and expected_n (lifetime value today),
    undiscounted_sum, spend_sum, alive_sum and alive_n (over customers with a lifetime value).
    """
    spec = spec.validate()
    contract = calibration.contract_model(cur, version) if spec.valuation.method == "sbg" else None
    _, undiscounted = _value_sql(spec.valuation, discounted=False, contract=contract)
    worst, handled_cte, handled_join = _handling_sql(version, spec)
    people = sql(
        """
            select s.*, s.status <> 'left' as current,
                   case {worst} when 4 then {h4} when 3 then {h3} when 2 then {h2} when 1 then {h1} else {none} end
                       as handling,
                   {undiscounted} as undiscounted
            from ({scoped}) s
            {handled_join}
        """,
        worst=worst,
        h4=lit(HANDLING[0]),
        h3=lit(HANDLING[1]),
        h2=lit(HANDLING[2]),
        h1=lit(HANDLING[3]),
        none=lit(NO_COMPLAINT),
        undiscounted=undiscounted,
        scoped=scoped_sql(cur, version, spec, groups=True),
        handled_join=handled_join,
    )
    final = sql(
        """
        select segment, stage, behaviours, status, main_reason, in_period, defected_in_period, current, handling,
               count(*) as n,
               coalesce(sum(revenue_at_risk), 0) as revenue_at_risk,
               coalesce(sum(risk_bound), 0) as risk_bound,
               coalesce(sum(value_if_retained), 0) as value_sum,
               coalesce(sum(expected_value), 0) as expected_sum,
               count(expected_value) as expected_n,
               coalesce(sum(undiscounted) filter (where expected_value is not null), 0) as undiscounted_sum,
               coalesce(sum(annual_spend) filter (where expected_value is not null), 0) as spend_sum,
               coalesce(sum(p_alive) filter (where expected_value is not null), 0) as alive_sum,
               count(p_alive) filter (where expected_value is not null) as alive_n
        from people
        {group_by} order by all
        """,
        group_by=group_by_all(),
    )
    return cur.execute(*with_ctes({**handled_cte, "people": people}, final)).df()


def _handling_sql(version: Version, spec: DefectionSpec) -> tuple[Sql, dict[str, Sql], Sql]:
    """SQL for a customer's worst complaint handling (4 unresolved, 3 slow, 2 repeated, 1 first contact, null none):
    (expression, named CTEs it needs, join).

    Without a months filter it reads the whole complaint history kept on df_customers (no join); with one, it
    classes the complaints of the period, of the customers in scope only, in a small grouped table joined on the
    customer key (a region's summary at 1,000,000 customers: 20 % less time than grouping every customer's).
    """
    filters, sla_days = spec.filters, lit(spec.definition.sla_days)
    if not (filters.month_from or filters.month_to):
        worst = sql(
            """(case when s.complaints = 0 then null when s.complaint_unresolved then 4
                         when s.complaint_broken_promise or s.complaint_slowest_days > {} then 3
                         when s.complaint_repeated then 2 else 1 end)""",
            sla_days,
        )
        return worst, {}, Sql("")
    in_scope = Sql("true")
    if filters.segments or filters.regions:  # classes only the complaints of the customers in scope
        in_scope = sql(
            "customer_key in (select customer_key from {customers} c where {scope})",
            customers=version.table("df_customers"),
            scope=filters.dimension_sql("c.segment", "c.region"),
        )
    handled = sql(
        """
            select customer_key,
                   max(case when unresolved then 4 when coalesce(broke_promise, resolution_days > {sla_days}) then 3
                            when repeated then 2 else 1 end) as worst
            from {complaints}
            where {period} and {in_scope}
            group by customer_key
        """,
        sla_days=sla_days,
        complaints=version.table("df_complaints"),
        period=filters.period_sql("ts"),
        in_scope=in_scope,
    )
    return Sql("h.worst"), {"handled": handled}, Sql("left join handled h on h.customer_key = s.customer_key")


def timeline_spec(spec: DefectionSpec) -> DefectionSpec:
    """The part of spec the timeline depends on: segments, regions and the dated rules (contract ended, lapse); not
    months, money or the early-warning rules, which never date a defection (so changing one reads the timeline from
    the cache, and the status query behind it computes no chance of leaving)."""
    filters = Filters(spec.filters.segments, spec.filters.regions)
    d = spec.definition
    dated = Definition(contract=d.contract, lapse=d.lapse, drop=False, alive=False, complaint=False)
    return DefectionSpec(filters=filters, definition=dated, complaint_chance=1.0, drop_chance=1.0)


def timeline(cur: duckdb.DuckDBPyConnection, version: Version, spec: DefectionSpec) -> pd.DataFrame:
    """Customers with a dated (or no) defection counted by start month, defection month and months from joining to
    defection (or to the as-of day when still here), for the monthly rates, retention curves and expected years.

    Columns: start_month (null when unknown; customers who joined before the data starts share the month before it),
    in_window (joined on or after the first day of data), defect_month, months, event (defected), n, exposure_days
    (days as a customer from the first day a defection can be seen, see _lapse_observable_from, to the defection or the
    as-of day).
    """
    spec = timeline_spec(spec).validate()
    fit = cur.execute(f"select as_of, history_start from {version.table('df_fit')}").fetchall()[0]
    as_of, history_start = fit
    if as_of is None or history_start is None:
        return pd.DataFrame(columns=["start_month", "in_window", "defect_month", "months", "event", "n", "exposure_days"])
    start = as_date(history_start)
    if start is None or as_date(as_of) is None or start.year < 2:  # dates Python cannot hold: no timeline
        return pd.DataFrame(columns=["start_month", "in_window", "defect_month", "months", "event", "n", "exposure_days"])
    before = month_start(start)
    before = date(before.year - (before.month == 1), (before.month - 2) % 12 + 1, 1)
    observed_from = _lapse_observable_from(cur, version, spec, start)
    first_day, as_of = sql("cast({} as date)", lit(history_start)), sql("cast({} as date)", lit(as_of))
    query = sql(
        """
        select case when start_date is null then null
                    when start_date < {first_day} then cast({before} as date)
                    else cast(date_trunc('month', start_date) as date) end as start_month,
               coalesce(start_date >= {first_day}, false) as in_window,
               cast(date_trunc('month', defect_date) as date) as defect_month,
               cast(floor({days_to_end} / {days_per_month}) as integer) as months,
               defect_date is not null as event,
               count(*) as n,
               sum(greatest({exposure}, 0)) as exposure_days
        from ({status})
        where not undated
        {group_by} order by all
        """,
        first_day=first_day,
        before=lit(before),
        days_to_end=days_between("start_date", sql("coalesce(defect_date, {})", as_of)),
        days_per_month=lit(DAYS_PER_MONTH),
        exposure=days_between(
            sql("greatest(coalesce(start_date, {}), cast({} as date))", first_day, lit(observed_from)),
            sql("coalesce(defect_date, {})", as_of),
        ),
        status=status_sql(cur, version, spec),
        group_by=group_by_all(),
    )
    return cur.execute(*query).df()


def _lapse_observable_from(cur: duckdb.DuckDBPyConnection, version: Version, spec: DefectionSpec, start: date) -> date:
    """The first day a defection can be seen: the first day of data, or, when only purchase lapses tell who left (no
    churn labels), that day plus the staged lapse window: a lapse is dated last purchase + lapse_days, so none can fall
    earlier, and customer-time before it would count as a year without defections that could not have been seen (one
    year of orders with a 365-day lapse would measure a rate of a few percent from the eight days that can show one)."""
    try:
        found, chosen = staged.load(cur, version)
    except duckdb.CatalogException:
        return start
    if found.churn_labels or not spec.definition.lapse:
        return start
    try:
        return start + timedelta(days=int(chosen.lapse_days))
    except OverflowError:
        return start


def complaint_counts(cur: duckdb.DuckDBPyConnection, version: Version, filters: Filters) -> pd.DataFrame:
    """Complaint touchpoints and complaining customers in the selected segments, regions and months (one row)."""
    filters = filters.validate()
    query = sql(
        """
        select count(*) as complaints, count(distinct customer_id) as complainers
        from {complaints}
        where {scope} and {period}
        """,
        complaints=version.table("df_complaints"),
        scope=filters.dimension_sql(),
        period=filters.period_sql("ts"),
    )
    return cur.execute(*query).df()


SORTS: dict[str, tuple[str, str]] = {
    "revenue_at_risk": ("Revenue at risk", "coalesce(revenue_at_risk, value_if_retained) desc nulls last"),
    "lifetime_value": ("Lifetime value", "value_if_retained desc nulls last"),
    "p_defect": ("Chance of leaving", "p_defect desc nulls last, value_if_retained desc nulls last"),
    "last_purchase": ("Longest since last purchase", "last_purchase asc nulls last"),
    "drop": ("Biggest drop against own baseline", "recent_rate / nullif(baseline_rate, 0) asc nulls last"),
}
SHOWS: dict[str, str] = {
    "at risk": "Still customers, at risk",
    "left": "Already left (in the selected months)",
    "all": "Both",
}


@dataclass(frozen=True)
class ListSpec:
    """The at-risk list: which customers (show), in which order (sort), how many rows (limit; None = all)."""

    base: DefectionSpec = field(default_factory=DefectionSpec)
    show: str = "at risk"
    sort: str = "revenue_at_risk"
    limit: int | None = LIST_LIMIT

    def validate(self) -> ListSpec:
        """Self when show and sort are known and limit positive; ValueError otherwise."""
        if self.show not in SHOWS:
            raise ValueError(f"show must be one of {', '.join(SHOWS)}")
        if self.sort not in SORTS:
            raise ValueError(f"sort must be one of {', '.join(SORTS)}")
        if self.limit is not None and self.limit < 1:
            raise ValueError("limit must be positive")
        return replace(self, base=self.base.validate())


def at_risk_list(cur: duckdb.DuckDBPyConnection, version: Version, spec: ListSpec) -> pd.DataFrame:
    """The customers who match the definition (at risk now, left in the period, or both), sorted, at most limit rows.

    Columns: customer_id, status, rules (every rule that fired), main_reason, last_purchase, days_since_purchase,
    baseline_rate and recent_rate (purchases per month), p_alive, p_defect, value_if_retained (lifetime value),
    revenue_at_risk, annual_spend, segment, region, stage, behaviours, churn_date, churn_reason, and matches (the
    number of customers the list holds before the limit).
    """
    spec = spec.validate()
    as_of = as_of_day(cur, version) or date.today()
    keep = {
        "at risk": "status = 'at risk'",
        "left": "status = 'left' and defected_in_period",
        "all": "(status = 'at risk' or (status = 'left' and defected_in_period))",
    }[spec.show]
    labels = join(
        [
            *(sql(f"case when fired_{key} then {{}} end", lit(label)) for key, label in RULES),
            "case when fired_risk then at_risk_why end",
        ]
    )
    query = sql(
        f"""
        select customer_id, status, concat_ws(', ', {{labels}}) as rules, main_reason,
               last_purchase, {{days_since}} as days_since_purchase,
               baseline_rate, recent_rate, p_alive, p_defect, value_if_retained, revenue_at_risk, annual_spend,
               segment, region, stage, behaviours, churn_date, churn_reason,
               count(*) over () as matches
        from ({{scoped}})
        where {keep}
        order by {SORTS[spec.sort][1]}, customer_id
        {{limit}}
        """,
        labels=labels,
        days_since=days_between("last_purchase", sql("cast({} as date)", lit(as_of))),
        scoped=scoped_sql(cur, version, spec.base, groups=True),
        limit=sql("limit {}", lit(spec.limit)) if spec.limit else "",
    )
    return cur.execute(*query).df()
