"""Defection: who has left or is about to, why, and what it costs, read from the df_ tables prepared at publish.

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

import json
from dataclasses import dataclass, field, replace
from datetime import date, timedelta

import duckdb
import pandas as pd

from dashboard import staged
from dashboard.metrics.defection import calibration, clv
from dashboard.metrics.defection.prepare import WINDOW_MONTHS
from dashboard.metrics.defection.spec import (
    DAYS_PER_MONTH,
    FOLLOW_UP_DAYS,
    FOLLOW_UP_MONTHS,
    LIST_LIMIT,
    METHOD_LABELS,
    METHODS,
    MIN_BASELINE_PURCHASES,
    MIN_FOLLOW_UP_CUSTOMERS,
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
from dashboard.metrics.money import MAX_YEARS
from dashboard.metrics.scope import NOT_SET, Filters, as_date, month_start
from dashboard.sql import (
    Sql,
    days_between,
    group_by_all,
    join,
    list_contains,
    list_item,
    lit,
    select_except,
    sql,
    with_ctes,
)
from dashboard.staged.customers import LABEL_HOWS
from dashboard.store import Version

__all__ = [
    "HANDLING",
    "LIST_LIMIT",
    "METHODS",
    "METHOD_LABELS",
    "NO_COMPLAINT",
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
"""The queries below, and the specs they take (defined in defection_spec, re-exported here)."""

# -- what the data holds ------------------------------------------------------------------------


def fit_summary(cur: duckdb.DuckDBPyConnection, version: Version, _spec: object = None) -> pd.DataFrame:
    """The as-of day, what the data holds for BG/NBD and Gamma-Gamma, and the fitted parameters (one row)."""
    frame = cur.execute(f"select * from {version.table('df_fit')}").df()
    frame["problems"] = frame["problems"].map(json.loads)
    frame["warnings"] = frame["warnings"].map(json.loads)
    return frame


def availability(cur: duckdb.DuckDBPyConnection, version: Version, _spec: object = None) -> pd.DataFrame:
    """What the page can show for this dataset: one row per need (key, label, available, detail)."""
    fit = fit_summary(cur, version).iloc[0]
    counts = (
        cur.execute(
            f"""
        select count(*) as customers,
               count(*) filter (where churned) as churned,
               count(*) filter (where churned and churn_date is not null) as dated,
               count(*) filter (where churned and churn_reason is not null) as reasons,
               count(*) filter (where purchase_days > 0) as buyers,
               count(*) filter (where start_date is not null) as with_start,
               (select count(*) from {version.table("df_complaints")}) as complaints
        from {version.table("df_customers")}
        """
        )
        .df()
        .iloc[0]
    )
    has_contract = staged.load_profile(cur, version).labels_who_left  # churn labels, or the stage column's off-ramps
    fitted = fit["status"] == "fitted"
    contract = calibration.contract_model(cur, version)
    rows = [
        (
            "contract",
            "Churned flag, churn date or a stage column saying who left",
            has_contract,
            f"{counts['churned']:,} customers have left",
        ),
        ("churn_dates", "Churn dates", bool(counts["dated"]), f"{counts['dated']:,} of the leavers have a churn date"),
        ("reasons", "Churn reasons", bool(counts["reasons"]), f"{counts['reasons']:,} leavers give a reason"),
        ("transactions", "Purchases (transactions)", bool(counts["buyers"]), f"{counts['buyers']:,} customers have bought"),
        (
            "bgnbd",
            "BG/NBD and Gamma-Gamma fit",
            fitted,
            f"{_number(fit['repeat_buyers']):,.0f} repeat buyers over {_number(fit['history_weeks']):,.0f} weeks: "
            f"{fit['status']}",
        ),
        ("sbg", "Contract retention fit (shifted-beta-geometric)", contract.model is not None, contract.describe()),
        (
            "complaints",
            "Complaints (touchpoints at the complaint stage)",
            bool(counts["complaints"]),
            f"{counts['complaints']:,} complaint touchpoints",
        ),
        ("stages", "Relationship stage", version.has("customers", "stage"), "from the customers' stage column"),
        ("behaviours", "Perfect-customer behaviours", bool(version.behaviours), ", ".join(version.behaviours) or "none"),
        ("cohorts", "Signup or first-purchase dates", bool(counts["with_start"]), f"{counts['with_start']:,} customers"),
    ]
    return pd.DataFrame(rows, columns=["key", "label", "available", "detail"])


def contract_model(cur: duckdb.DuckDBPyConnection, version: Version, _spec: object = None) -> pd.DataFrame:
    """One row on the contract lifetime value's sBG fit (calibration.contract_model): available, α, β, period unit,
    customers fitted on, the fit in words (or why there is none)."""
    found = calibration.contract_model(cur, version)
    fitted = found.model is not None
    return pd.DataFrame(
        [
            {
                "available": fitted,
                "alpha": found.model.alpha if fitted else None,
                "beta": found.model.beta if fitted else None,
                "unit": found.unit,
                "customers": found.customers,
                "describe": found.describe(),
            }
        ]
    )


def _number(value: object) -> float:
    """value as a float, 0 when missing."""
    return 0.0 if value is None or pd.isna(value) else float(value)


def default_definition(available: pd.DataFrame) -> Definition:
    """The definition a dataset starts with: the staged definition of defected and at risk (the same on every page);
    the early-warning rules (own-baseline drop, probability alive, badly handled complaint) are the user's to add."""
    has = dict(zip(available["key"], available["available"], strict=True))
    return Definition(
        contract=bool(has["contract"]),
        lapse=bool(has["transactions"]),
        drop=False,
        alive=False,
        complaint=False,
    )


# -- the per-customer status ------------------------------------------------------------------


def as_of_day(cur: duckdb.DuckDBPyConnection, version: Version) -> date | None:
    """The day statuses are assessed on: the staged as-of day (the last day with any data), the same on every page."""
    value = cur.execute(f"select as_of from {version.table('df_fit')}").fetchall()[0][0]
    return as_date(value)


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


def status_sql(cur: duckdb.DuckDBPyConnection, version: Version, spec: DefectionSpec, *, groups: bool = False) -> Sql:
    """Select of one row per customer in the selected segments and regions, with the rules that fired and the money.

    Columns: customer_id, segment, region, start_date, churn_date, churn_reason, last_purchase, annual_spend,
    p_alive, recent_rate, baseline_rate, fired_<rule> for every rule, status ('left', 'at risk' or 'active'),
    defected (contract ended or no purchase for N days), defect_date (null for a churned flag without a date),
    undated, main_reason, p_defect, value_if_retained, expected_value, risk_bound (P(defect) × max(annual margin, 0) ×
    min(expected years, MAX_YEARS), at risk only), revenue_at_risk (between 0 and risk_bound); with groups, also
    stage (from spec.stage_source) and behaviours (from spec.behaviour_source).
    """
    d, v = spec.definition, spec.valuation
    as_of = lit(as_of_day(cur, version) or date.today())
    recent, baseline = d.recent_months, d.recent_months + d.baseline_months
    complaint_chance = spec.complaint_chance
    if complaint_chance is None:
        complaint_chance = float(complaint_follow_up(cur, version, follow_up_spec(spec)).iloc[0]["chance_used"])
    drop_chance = spec.drop_chance
    if drop_chance is None:
        drop_chance = float(drop_follow_up(cur, version, drop_follow_up_spec(spec)).iloc[0]["chance_used"])
    group_cols, joins = _group_columns(spec) if groups else (Sql(""), Sql(""))
    contract = calibration.contract_model(cur, version) if v.method == "sbg" else None
    period_col = Sql("")
    if contract is not None and contract.model is not None:
        # whole periods as a customer up to leaving or the as-of day (no start date: valued as a new customer)
        left_or_today = sql("coalesce(case when c.defected then c.defected_since end, cast({} as date))", as_of)
        elapsed = days_between("c.start_date", left_or_today)
        period_col = sql(
            "cast(least({}, greatest(0, coalesce(floor({} / {}), 0))) as integer) as sbg_period,",
            lit(contract.periods),
            elapsed,
            lit(contract.period_years * 365.25),
        )

    base = sql(
        """
        select c.customer_id, c.customer_key, c.segment, c.region, c.start_date, c.churned, c.churn_date, c.churn_reason,
               c.first_purchase, c.last_purchase, c.purchase_days, c.annual_spend, c.p_alive, c.bg_expected,
               c.gg_spend, c.revenue, c.complaints, c.complaint_unresolved, c.complaint_slowest_days, c.complaint_broken_promise,
               c.complaint_repeated, c.defected as defected_staged, c.defected_since, c.defected_how, c.at_risk, c.at_risk_why,
               {group_cols}
               {period_col}
               {recent_purchases} as recent_purchases,
               {upto_baseline} - {upto_recent} as baseline_purchases,
               cast(cast({as_of} as date) - to_months(cast({recent} as integer)) as date) as recent_start,
               cast(cast({as_of} as date) - to_months(cast({baseline} as integer)) as date) as baseline_start
        from {customers} c
        {joins}
        where {scope}
        """,
        group_cols=group_cols,
        period_col=period_col,
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

    rates = sql(
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

    hows = lit(list(LABEL_HOWS))
    rules = sql(
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
    status = Sql("""
        select *,
               case when fired_contract or fired_lapse then 'left'
                    when fired_risk or fired_drop or fired_alive or fired_complaint then 'at risk'
                    else 'active' end as status,
               fired_contract or fired_lapse as defected,
               case when fired_contract or fired_lapse then defected_since end as defect_date
        from rules
    """)

    if_alive, expected = _value_sql(v, contract=contract)
    money = sql(
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
    return with_ctes({"base": base, "rates": rates, "rules": rules, "status": status, "money": money}, final)


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
        recent, base, as_of = FOLLOW_UP_MONTHS + d.recent_months, back, lit(as_of)
        query = sql(
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
            as_of=as_of,
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
        row = cur.execute(*query).df().iloc[0].to_dict()
        row["observed"] = row["left_within_year"] / row["flagged"] if row["flagged"] else None
    return _follow_up_row(
        row,
        "flagged",
        "customers whose purchases had dropped a year ago left within that year",
        "too few customers with a drop can be followed for a year, so each is assumed lost",
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


# -- the queries behind the page's figures ----------------------------------------------------


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
    classes the complaints of the period in a small grouped table joined on the customer key.
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
    handled = sql(
        """
            select customer_key,
                   max(case when unresolved then 4 when coalesce(broke_promise, resolution_days > {sla_days}) then 3
                            when repeated then 2 else 1 end) as worst
            from {complaints}
            where {period}
            group by customer_key
        """,
        sla_days=sla_days,
        complaints=version.table("df_complaints"),
        period=filters.period_sql("ts"),
    )
    return Sql("h.worst"), {"handled": handled}, Sql("left join handled h on h.customer_key = s.customer_key")


def timeline_spec(spec: DefectionSpec) -> DefectionSpec:
    """The part of spec the timeline depends on: segments, regions and the definition (not months, not money)."""
    filters = Filters(spec.filters.segments, spec.filters.regions)
    return DefectionSpec(
        filters=filters, definition=spec.definition, complaint_chance=spec.complaint_chance, drop_chance=spec.drop_chance
    )


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
