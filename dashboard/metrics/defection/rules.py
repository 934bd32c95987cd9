"""Defection: each customer's status (left, at risk, active), the rules that fired and the money, read from the df_
tables prepared at publish.

A customer's status is assessed on the as-of day (the last day with a transaction) by the rules the
business chooses:

- contract ended: the churned flag is set or there is a churn date;
- no purchase for N days (default 90);
- own-baseline drop: purchases per month in the recent window (default the last 3 months) below X %
  (default 50 %) of the customer's own rate in the baseline before it (default the 12 months before);
- low probability alive: BG/NBD probability alive below a threshold (default 50 %);
- badly handled complaint: a complaint in the last N days (default 90) that broke its own promise (stg_contacts:
  an on-time flag or a due date), else, without a promise, resolved after more than S days
  (default 5), left unresolved, or repeating an earlier complaint.

The first two are defections with a date (the churn date; the last purchase + N days) and feed the rates,
monthly chart and retention curves. A customer who has defected by either of them has **left**; one who has not
but matches any other rule is **at risk**: the two never hold for the same customer (decided once, in
`status_sql`'s status column). Revenue at risk = Σ over at-risk customers of P(defect) × remaining lifetime value,
each at most P(defect) × annual margin × min(expected years, MAX_YEARS) (the risk_bound column) and never below 0
(a customer whose refunds outweigh their purchases has nothing at risk).
"""

from __future__ import annotations

from datetime import date

import duckdb

from dashboard.metrics.defection import calibration, clv
from dashboard.metrics.defection.availability import as_of_day
from dashboard.metrics.defection.follow_up import complaint_follow_up, drop_follow_up, drop_follow_up_spec, follow_up_spec
from dashboard.metrics.defection.spec import (
    DAYS_PER_MONTH,
    MIN_BASELINE_PURCHASES,
    NO_REASON,
    RULE_LABELS,
    DefectionSpec,
    Definition,
    Valuation,
)
from dashboard.metrics.money import MAX_YEARS
from dashboard.metrics.scope import NOT_SET, Filters
from dashboard.sql import Sql, days_between, join, list_contains, list_item, lit, select_except, sql, with_ctes
from dashboard.staged.customers import LABEL_HOWS
from dashboard.store import Version


def status_sql(cur: duckdb.DuckDBPyConnection, version: Version, spec: DefectionSpec, *, groups: bool = False) -> Sql:
    """Select of one row per customer in the selected segments and regions, with the rules that fired and the money.

    Columns: customer_id, segment, region, start_date, churn_date, churn_reason, last_purchase, annual_spend,
    p_alive, recent_rate, baseline_rate, fired_<rule> for every rule, status ('left', 'at risk' or 'active'),
    defected (contract ended or no purchase for N days), defect_date (null for a churned flag without a date),
    undated, main_reason, p_defect, value_if_retained, expected_value, risk_bound (P(defect) × max(annual margin, 0) ×
    min(expected years, MAX_YEARS), at risk only), revenue_at_risk (between 0 and risk_bound); with groups, also
    stage (from spec.stage_source) and behaviours (from spec.behaviour_source).
    """
    as_of = lit(as_of_day(cur, version) or date.today())
    contract = calibration.contract_model(cur, version) if spec.valuation.method == "sbg" else None
    complaint_chance, drop_chance = _chances(cur, version, spec)
    ctes = {
        "base": _base(version, spec, as_of, contract, groups=groups),
        "rates": _rates(spec.definition),
        "rules": _rules(version, spec.definition, as_of),
        "status": STATUS,
        "money": _money(spec.valuation, contract, complaint_chance, drop_chance),
    }
    final = sql(
        """
        select {money_columns},
               case when status = 'at risk' then p_defect * greatest(margin_in_years, 0) end as risk_bound,
               case when status = 'at risk'
                    then p_defect * greatest(least(value_if_retained, margin_in_years), 0) end as revenue_at_risk
        from money
        """,
        money_columns=select_except(["margin_in_years"]),
    )
    return with_ctes(ctes, final)


def _chances(cur: duckdb.DuckDBPyConnection, version: Version, spec: DefectionSpec) -> tuple[float, float]:
    """The chances of leaving after a badly handled complaint and after a drop (no BG/NBD fit): spec's, else followed
    for a year (follow_up)."""
    complaint_chance = spec.complaint_chance
    if complaint_chance is None:
        complaint_chance = float(complaint_follow_up(cur, version, follow_up_spec(spec)).iloc[0]["chance_used"])
    drop_chance = spec.drop_chance
    if drop_chance is None:
        drop_chance = float(drop_follow_up(cur, version, drop_follow_up_spec(spec)).iloc[0]["chance_used"])
    return complaint_chance, drop_chance


def _sbg_period(contract: calibration.ContractModel | None, as_of: Sql) -> Sql:
    """The sbg_period column (with its comma) the contract lifetime value reads: whole periods as a customer up to
    leaving or the as-of day (no start date: valued as a new customer); nothing without a contract fit."""
    if contract is None or contract.model is None:
        return Sql("")
    left_or_today = sql("coalesce(case when c.defected then c.defected_since end, cast({} as date))", as_of)
    return sql(
        "cast(least({}, greatest(0, coalesce(floor({} / {}), 0))) as integer) as sbg_period,",
        lit(contract.periods),
        days_between("c.start_date", left_or_today),
        lit(contract.period_years * 365.25),
    )


def _base(version: Version, spec: DefectionSpec, as_of: Sql, contract: calibration.ContractModel | None, *, groups: bool) -> Sql:
    """The customers in scope with what the rules read: purchases in the recent window and in the baseline before it."""
    d = spec.definition
    recent, baseline = d.recent_months, d.recent_months + d.baseline_months
    group_cols, joins = _group_columns(spec) if groups else (Sql(""), Sql(""))
    return sql(
        """
        select c.customer_id, c.customer_key, c.segment, c.region, c.start_date, c.churned, c.churn_date, c.churn_reason,
               c.first_purchase, c.last_purchase, c.purchase_days, c.annual_spend, c.p_alive, c.bg_expected,
               c.gg_spend, c.revenue, c.complaints, c.complaint_unresolved, c.complaint_slowest_days, c.complaint_broken_promise,
               c.complaint_repeated, c.defected as defected_staged, c.defected_since, c.defected_how, c.at_risk, c.at_risk_why,
               {group_cols}
               {period_col}
               c.recent_purchases, c.baseline_purchases,
               cast(cast({as_of} as date) - to_months(cast({recent} as integer)) as date) as recent_start,
               cast(cast({as_of} as date) - to_months(cast({baseline} as integer)) as date) as baseline_start
        from (
            -- the purchase counts are read off the monthly list here, so the joins below never carry the list
            select *, {recent_purchases} as recent_purchases, {upto_baseline} - {upto_recent} as baseline_purchases
            from {customers} c
            where {scope}
        ) c
        {joins}
        """,
        group_cols=group_cols,
        period_col=_sbg_period(contract, as_of),
        recent_purchases=list_item("c.purchases_back", lit(recent)),
        upto_baseline=list_item("c.purchases_back", lit(baseline)),
        upto_recent=list_item("c.purchases_back", lit(recent)),
        as_of=as_of,
        recent=lit(recent),
        baseline=lit(baseline),
        customers=version.table("df_customers"),
        joins=joins,
        scope=spec.filters.dimension_sql("c.segment", "c.region"),
    )


def _rates(d: Definition) -> Sql:
    """Recent purchases per month, and the months of baseline seen (from the first purchase, at most the baseline)."""
    recent = d.recent_months
    return sql(
        """
        select *, recent_purchases / {recent} as recent_rate,
               case when first_purchase < recent_start
                    then {seen_days} / {days_per_month} end as baseline_months_seen
        from base
        """,
        recent=lit(float(recent)),
        seen_days=days_between("greatest(first_purchase, baseline_start)", "recent_start"),
        days_per_month=lit(DAYS_PER_MONTH),
    )


def _rules(version: Version, d: Definition, as_of: Sql) -> Sql:
    """The baseline rate and whether each rule of the definition fired (fired_contract, fired_lapse, fired_risk: the
    staged at-risk flag, fired_drop, fired_alive, fired_complaint)."""
    hows = lit(list(LABEL_HOWS))
    return sql(
        """
        select *,
               baseline_purchases / nullif(baseline_months_seen, 0) as baseline_rate,
               {contract} and coalesce(defected_staged and {labelled}, false) as fired_contract,
               {lapse} and coalesce(defected_staged and not {labelled}, false) as fired_lapse,
               coalesce(at_risk, false) as fired_risk,
               {drop} and coalesce(baseline_months_seen >= {min_months} and baseline_purchases >= {min_purchases}
                              and recent_rate < {drop_share} * baseline_purchases / baseline_months_seen, false) as fired_drop,
               {alive} and coalesce(p_alive < {alive_share}, false) as fired_alive,
               {complaint} and customer_key in (
                   select customer_key from {complaints}
                   where ts > cast({as_of} as date) - to_days(cast({complaint_days} as integer))
                     and ts < cast({as_of} as date) + interval 1 day
                     and (coalesce(broke_promise, resolution_days > {sla_days}) or unresolved or repeated)
               ) as fired_complaint
        from rates
        """,
        contract=lit(d.contract),
        lapse=lit(d.lapse),
        labelled=list_contains(hows, "defected_how"),
        drop=lit(d.drop),
        min_months=lit(float(min(d.baseline_months, d.recent_months))),
        min_purchases=lit(MIN_BASELINE_PURCHASES),
        drop_share=lit(d.drop_pct / 100),
        alive=lit(d.alive),
        alive_share=lit(d.alive_pct / 100),
        complaint=lit(d.complaint),
        complaints=version.table("df_complaints"),
        as_of=as_of,
        complaint_days=lit(d.complaint_days),
        sla_days=lit(d.sla_days),
    )


# the one place that makes "left" (defected: contract ended or lapsed) and "at risk" (still a customer, slipping
# away) disjoint; when the staged customers table carries both flags, read them here instead
STATUS = Sql("""
    select *,
           case when fired_contract or fired_lapse then 'left'
                when fired_risk or fired_drop or fired_alive or fired_complaint then 'at risk'
                else 'active' end as status,
           fired_contract or fired_lapse as defected,
           case when fired_contract or fired_lapse then defected_since end as defect_date
    from rules
""")
"""The status CTE: the rules that fired, read as left, at risk or active (and the defection's date)."""


def _money(v: Valuation, contract: calibration.ContractModel | None, complaint_chance: float, drop_chance: float) -> Sql:
    """The main reason, the chance of leaving, the value if retained, the expected value and the margin over the
    expected years (capped at MAX_YEARS) of each customer."""
    if_alive, expected = _value_sql(v, contract=contract)
    return sql(
        """
        select *,
               defected and defect_date is null as undated,
               case when status = 'left' then coalesce(churn_reason, {no_reason})
                    when fired_complaint then {complaint_label} when fired_risk then at_risk_why
                    when fired_drop then {drop_label} when fired_alive then {alive_label}
               end as main_reason,
               case when status = 'left' then 1.0
                    when status = 'at risk' then greatest(
                        case when fired_risk then coalesce(1 - p_alive, 1.0) end,
                        case when fired_drop or fired_alive then coalesce(1 - p_alive, {drop_chance}) end,
                        case when fired_complaint then {complaint_chance} end)
               end as p_defect,
               {if_alive} as value_if_retained,
               {expected} as expected_value,
               annual_spend * {margin} * {years} as margin_in_years
        from status
        """,
        no_reason=lit(NO_REASON),
        complaint_label=lit(RULE_LABELS["complaint"]),
        drop_label=lit(RULE_LABELS["drop"]),
        alive_label=lit(RULE_LABELS["alive"]),
        drop_chance=lit(drop_chance),
        complaint_chance=lit(complaint_chance),
        if_alive=if_alive,
        expected=expected,
        margin=lit(v.margin),
        years=lit(min(v.expected_years, MAX_YEARS)),
    )


def _value_sql(
    valuation: Valuation, *, discounted: bool = True, contract: calibration.ContractModel | None = None
) -> tuple[Sql, Sql]:
    """SQL for a customer's value if retained and expected value today, each carrying its own parameters.

    Simple: annual spend × margin × annuity factor (the same whether or not they are expected to stay).
    Probabilistic: Gamma-Gamma spend × margin × Σ_k (purchases expected in year k if alive) ÷ (1 + rate)^k, and
    the expected value multiplies that by the probability alive.
    Contract (sBG, needs `contract` and the sbg_period column of status_sql): annual spend × margin × period length ×
    the discounted renewals still expected after the customer's tenure in periods (the same whether or not at risk: the
    chance of leaving is in the renewals).
    """
    rate = valuation.discount if discounted else 0.0
    if valuation.method == "simple":
        value = sql("annual_spend * {}", lit(valuation.margin * clv.annuity_factor(valuation.years, rate)))
        return value, value
    if valuation.method == "sbg":
        if contract is None or contract.model is None:
            raise ValueError(f"the contract lifetime value needs a shifted-beta-geometric fit: {contract and contract.problem}")
        factors = sql("cast({} as double[])", lit(contract.value_factors(valuation.margin, rate, valuation.horizon_years)))
        value = sql("annual_spend * {}", list_item(factors, "sbg_period + 1"))
        return value, value
    terms = []
    for k in range(1, valuation.horizon_years + 1):
        expected = list_item("bg_expected", str(k))
        if k > 1:
            expected = sql("{} - {}", expected, list_item("bg_expected", str(k - 1)))
        terms.append(sql("({}) * {}", expected, lit(valuation.margin * (1 + rate) ** -k)))
    if_alive = sql("gg_spend * ({})", join(terms, " + "))
    return if_alive, sql("p_alive * {}", if_alive)


def _group_columns(spec: DefectionSpec) -> tuple[Sql, Sql]:
    """The stage and behaviours columns of status_sql's base (from spec's sources) and the joins they need."""
    columns, joins = [], []
    for alias, source, missing, column in (
        ("st", spec.stage_source, "cast(null as varchar)", "stage"),
        ("bh", spec.behaviour_source, "cast(null as integer)", "behaviours"),
    ):
        if source is None:
            columns.append(missing)
        elif source.inline in ("stage", "behaviours"):
            columns.append(f"c.{source.inline}")
        else:
            columns.append(f"{alias}.{column}")
            key = source.key if source.key in ("customer_id", "customer_key") else "customer_id"
            joins.append(sql(f" left join ({{}}) {alias} on {alias}.{key} = c.{key}", source.query))
    select = sql(f"coalesce(cast({columns[0]} as varchar), {{}}) as stage, {columns[1]} as behaviours,", lit(NOT_SET))
    return select, join(joins, "")


def _period(filters: Filters) -> tuple[Sql, Sql]:
    """SQL for (in the period, defected during the period) over status rows, each with its parameters."""
    in_parts = [Sql("true")]
    if filters.month_to:
        in_parts.append(sql("(start_date is null or start_date < {})", lit(filters.period_end)))
    if filters.month_from:
        in_parts.append(sql("not (defected and defect_date is not null and defect_date < {})", lit(filters.month_from)))
    in_period = join(in_parts, " and ")
    out_parts = [in_period, Sql("defected")]
    if filters.month_from or filters.month_to:
        lo, hi = filters.month_from or date(1, 1, 1), filters.period_end or date(9999, 1, 1)
        out_parts.append(sql("(defect_date is null or (defect_date >= {} and defect_date < {}))", lit(lo), lit(hi)))
    return in_period, join([sql("({})", part) for part in out_parts], " and ")


def scoped_sql(cur: duckdb.DuckDBPyConnection, version: Version, spec: DefectionSpec, *, groups: bool = False) -> Sql:
    """status_sql with in_period (a customer at some time in the selected months) and defected_in_period."""
    spec = spec.validate()
    in_period, defected_in_period = _period(spec.filters)
    return sql(
        "select *, {} as in_period, {} as defected_in_period from ({})",
        in_period,
        defected_in_period,
        status_sql(cur, version, spec, groups=groups),
    )
