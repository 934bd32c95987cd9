"""Defection's prepared tables, built once at publish so that changing a rule never re-scans the raw bills.

- `df_customers`: one row per customer (prospects excluded), with the contractual churn fields, the count of
  perfect-customer behaviours, a purchase summary as of the as-of day (first and last purchase, purchase
  days, revenue, annual spend, mean repeat spend), purchase days in the last 1..36 months, and the BG/NBD
  and Gamma-Gamma results (probability alive, expected purchases in the next 1..10 years if alive,
  expected spend per purchase).
- `df_complaints`: one row per complaint contact of stg_contacts (its first step), with its resolution time, whether
  it stayed unresolved, whether it was repeated and whether it broke its own promise (the staged definitions; NULL
  without a promise, when the fixed resolution target applies).
- `df_fit`: one row: the as-of day, what the data holds for the models, and the fitted parameters.

A purchase is a day on which the customer's transactions add up to more than zero, so invoice lines of
one order count once and a day of refunds only is not a purchase (the convention of Fader, Hardie & Lee).
"""

from __future__ import annotations

import json
import time
from datetime import date

import duckdb
import numpy as np
import pyarrow as pa

from dashboard import staged
from dashboard.metrics.defection import calibration, clv
from dashboard.metrics.scope import NOT_SET
from dashboard.staged.sql import day_total
from dashboard.store import Version

WINDOW_MONTHS = 36
"""Purchase days are counted for every window of 1..36 months ending on the as-of day."""
HORIZON_YEARS = 10
"""Expected purchases if alive are kept for the next 1..10 years."""
GAMMA_GAMMA_SAMPLE = 100_000
"""Gamma-Gamma is fitted on a random sample of this many repeat buyers when there are more (seeded, so repeatable)."""
MIN_DROPOUT = 1e-4
"""A fitted mean drop-out probability per purchase a/(a+b) below this means the data shows no one leaving."""
SHORT_HISTORY_DAYS = 91
"""Annual spend of a customer with less than a year of history is scaled up from at least this many days."""


def prepare(cur: duckdb.DuckDBPyConnection, version: Version) -> None:
    """Build df_customers, df_complaints, df_fit, and the lifetime-value models' fits and checks (df_contract,
    df_checks) for a version being published."""
    started = time.perf_counter()
    as_of = _as_of(cur, version)
    has_tx = version.has("transactions")
    fit: dict = {"status": "no transactions", "problems": []}
    if has_tx:
        _purchase_summary(cur, version, as_of)
        fit = _fit_models(cur, version, as_of)
    _customers(cur, version, as_of, has_tx)
    _complaints(cur, version)
    _complaint_history(cur, version)
    if has_tx:
        cur.execute(f"drop table {version.table('df_summary')}")
        cur.execute("drop view if exists _df_models")
        cur.unregister("_df_models_arrow")
    history_start = _history_start(cur, version)
    fit["seconds"] = round(time.perf_counter() - started, 3)
    cur.execute(
        f"""
        create table {version.table("df_fit")} as
        select cast(? as date) as as_of, cast(? as date) as history_start, ? as status, ? as problems, ? as warnings,
               cast(? as double) as r, cast(? as double) as alpha, cast(? as double) as a, cast(? as double) as b,
               cast(? as double) as log_likelihood, cast(? as bigint) as buyers, cast(? as bigint) as repeat_buyers,
               cast(? as double) as history_weeks,
               cast(? as double) as p, cast(? as double) as q, cast(? as double) as gamma,
               cast(? as double) as gg_log_likelihood, cast(? as bigint) as gg_customers,
               cast(? as double) as spend_frequency_correlation,
               cast(? as double) as seconds
        """,
        [
            as_of,
            history_start,
            fit["status"],
            json.dumps(fit["problems"]),
            json.dumps(fit.get("warnings", [])),
            *(fit.get(k) for k in ("r", "alpha", "a", "b", "log_likelihood", "buyers", "repeat_buyers", "history_weeks")),
            *(fit.get(k) for k in ("p", "q", "gamma", "gg_log_likelihood", "gg_customers", "spend_frequency_correlation")),
            fit.get("seconds"),
        ],
    )
    calibration.prepare(cur, version)


def _as_of(cur: duckdb.DuckDBPyConnection, version: Version) -> date | None:
    """The day statuses are assessed on: the staged as-of day, one for every page (see staged.profile)."""
    return staged.load_profile(cur, version).as_of


def _history_start(cur: duckdb.DuckDBPyConnection, version: Version) -> date | None:
    """The first day the data sees customers come and go: the first transaction, else the first signup."""
    for table, expr in (("transactions", "min(ts)"), ("customers", "min(signup_date)")):
        if version.has(table):
            value = cur.execute(f"select cast({expr} as date) from {version.table(table)}").fetchall()[0][0]
            if value is not None:
                return value
    return None


def _purchase_summary(cur: duckdb.DuckDBPyConnection, version: Version, as_of: date) -> None:
    """df_summary: per customer, purchase days up to the as-of day and what they spent."""
    windows = ",\n".join(
        f"count(*) filter (where purchase and day > cast(? as date) - interval {k} month)" for k in range(1, WINDOW_MONTHS + 1)
    )
    customers = version.table("customers")
    signup = "c.signup_date" if version.has("customers", "signup_date") else "cast(null as date)"
    cur.execute(
        f"""
        create table {version.table("df_summary")} as
        with days as (
            select customer_id, cast(ts as date) as day, {day_total()} as amount
            from {version.table("transactions")}
            where customer_id is not null and amount is not null and cast(ts as date) <= ?
            group by all
        ),
        flagged as (select *, amount > 0 as purchase from days),
        per_customer as (
            select customer_id,
                   min(day) filter (where purchase) as first_purchase,
                   max(day) filter (where purchase) as last_purchase,
                   count(*) filter (where purchase) as purchase_days,
                   sum(amount) as revenue,
                   sum(amount) filter (where purchase) as purchase_spend,
                   arg_min(amount, day) filter (where purchase) as first_spend,
                   [{windows}] as purchases_back
            from flagged
            group by customer_id
        ),
        spans as (
            select p.*, least(coalesce({signup}, p.first_purchase), p.first_purchase) as history_from
            from per_customer p
            left join {customers} c on c.customer_id = p.customer_id
        ),
        yearly as (
            select f.customer_id, sum(f.amount) as spend_last_year
            from flagged f join spans s on s.customer_id = f.customer_id
            where f.day > s.last_purchase - 365 and f.day <= s.last_purchase
            group by f.customer_id
        )
        select s.*,
               case when s.last_purchase is null then null
                    when s.history_from <= s.last_purchase - 365 then y.spend_last_year
                    else y.spend_last_year * 365.0
                         / greatest(date_diff('day', cast(s.history_from as date), cast(s.last_purchase as date)), ?)
               end as annual_spend,
               (s.purchase_spend - s.first_spend) / nullif(s.purchase_days - 1, 0) as repeat_spend
        from spans s
        left join yearly y on y.customer_id = s.customer_id
        """,
        [as_of, *([as_of] * WINDOW_MONTHS), SHORT_HISTORY_DAYS],
    )


def _fit_models(cur: duckdb.DuckDBPyConnection, version: Version, as_of: date) -> dict:
    """Fit BG/NBD and Gamma-Gamma on every buyer's history, and register each buyer's results as _df_models."""
    rows = cur.execute(
        f"""
        select customer_id,
               cast(purchase_days - 1 as double) as x,
               date_diff('day', cast(first_purchase as date), cast(last_purchase as date)) / 7.0 as t_x,
               date_diff('day', cast(first_purchase as date), cast(? as date)) / 7.0 as big_t,
               repeat_spend
        from {version.table("df_summary")}
        where purchase_days > 0
        order by customer_id
        """,
        [as_of],
    ).fetchnumpy()
    x, t_x, T = (np.asarray(rows[k], float) for k in ("x", "t_x", "big_t"))
    zbar = np.asarray(rows["repeat_spend"], float)
    history_weeks = float(T.max()) if len(T) else 0.0
    out: dict = {"buyers": len(x), "repeat_buyers": int(np.sum(x > 0)), "history_weeks": history_weeks}
    out["problems"] = clv.data_needs(x, history_weeks)
    models = _no_models()
    if out["problems"]:
        out["status"] = "not enough data"
    else:
        bg, gg = _fit(x, t_x, T, zbar, out)
        out["status"], problems = _fit_status(bg, gg, history_weeks)
        if problems:
            out["problems"] = problems
        else:
            models = _models(bg, gg, rows["customer_id"], x, t_x, T, zbar)
    cur.register("_df_models_arrow", models)
    cur.execute("create or replace temp view _df_models as select * from _df_models_arrow")
    return out


def _no_models() -> pa.Table:
    """The per-buyer model results with no rows (no fit)."""
    return pa.table(
        {
            "customer_id": pa.array([], pa.string()),
            "bg_x": pa.array([], pa.float64()),
            "bg_t_x": pa.array([], pa.float64()),
            "bg_t": pa.array([], pa.float64()),
            "p_alive": pa.array([], pa.float64()),
            "bg_expected": pa.array([], pa.list_(pa.float64())),
            "gg_spend": pa.array([], pa.float64()),
        }
    )


def _fit(x: np.ndarray, t_x: np.ndarray, T: np.ndarray, zbar: np.ndarray, out: dict) -> tuple[clv.BgNbd, clv.GammaGamma]:
    """Fit BG/NBD on every buyer and Gamma-Gamma on (a sample of) the repeat buyers; their parameters and warnings go
    into out."""
    bg = clv.fit_bgnbd(x, t_x, T)
    repeat = (x > 0) & (zbar > 0)
    fit_rows = np.flatnonzero(repeat)
    if len(fit_rows) > GAMMA_GAMMA_SAMPLE:
        fit_rows = np.sort(np.random.default_rng(0).choice(fit_rows, GAMMA_GAMMA_SAMPLE, replace=False))
    gg = clv.fit_gamma_gamma(x[fit_rows], zbar[fit_rows])
    out["gg_customers"] = gg.customers
    out.update(r=bg.r, alpha=bg.alpha, a=bg.a, b=bg.b, log_likelihood=bg.log_likelihood)
    out.update(p=gg.p, q=gg.q, gamma=gg.gamma, gg_log_likelihood=gg.log_likelihood)
    out["warnings"] = _fit_warnings(bg, gg, x[repeat], zbar[repeat], out)
    return bg, gg


def _fit_warnings(bg: clv.BgNbd, gg: clv.GammaGamma, x: np.ndarray, zbar: np.ndarray, out: dict) -> list[str]:
    """What a reader of the fitted models should know (x and zbar of the repeat buyers); the spend-frequency
    correlation goes into out."""
    warnings = []
    if len(x) > 2 and np.ptp(x) > 0 and np.ptp(zbar) > 0:  # no correlation with a constant
        correlation = float(np.corrcoef(x, zbar)[0, 1])
        out["spend_frequency_correlation"] = correlation
        if abs(correlation) > 0.3:
            warnings.append(
                f"spend per purchase and number of purchases are correlated ({correlation:+.2f}); Gamma-Gamma assumes "
                "they are independent, so expected spend is less reliable"
            )
    if max(abs(np.log(bg.r)), abs(np.log(bg.alpha))) >= clv.LOG_BOUND - clv.EDGE:
        warnings.append(
            "customers buy at nearly the same rhythm (regular bills), so the BG/NBD fit reached its limit: "
            f"r and α are not meaningful on their own, but the purchase rate ({bg.r / bg.alpha:.3f} a week) "
            "and the probabilities alive are"
        )
    if gg.on_edge and gg.p >= gg.q:
        warnings.append(
            "spend per purchase hardly varies within a customer, so the Gamma-Gamma fit reached its limit; "
            "expected spend stays close to each customer's own average"
        )
    elif gg.on_edge:
        warnings.append(
            "average spend hardly differs between customers, so the Gamma-Gamma fit reached its limit; "
            "every customer's expected spend stays close to the overall average"
        )
    return warnings


def _fit_status(bg: clv.BgNbd, gg: clv.GammaGamma, history_weeks: float) -> tuple[str, list[str]]:
    """The fit's status in a few words, and the problems that keep its results off the page (none when fitted)."""
    if not bg.converged:
        return "BG/NBD did not converge", ["the BG/NBD fit did not settle; the purchase pattern does not suit the model"]
    dropout = bg.a / (bg.a + bg.b)
    if dropout < MIN_DROPOUT:
        return "no drop-out seen", [
            f"the BG/NBD fit sees no customer drop out in {history_weeks:,.0f} weeks (mean drop-out probability "
            f"{dropout:.1e} per purchase): the history is too short to tell who has left, so the "
            "probability alive would be 100 % for everyone"
        ]
    if not gg.converged:
        return "Gamma-Gamma did not converge", [
            "the Gamma-Gamma spend fit did not settle; spend per purchase does not suit the model"
        ]
    if gg.q <= 1:
        return "Gamma-Gamma mean spend infinite", [
            f"the Gamma-Gamma spend fit has q = {gg.q:.3g}; its mean spend per purchase pγ/(q − 1) needs q above 1"
        ]
    return "fitted", []


def _models(
    bg: clv.BgNbd, gg: clv.GammaGamma, ids: np.ndarray, x: np.ndarray, t_x: np.ndarray, T: np.ndarray, zbar: np.ndarray
) -> pa.Table:
    """Each buyer's fitted results: probability alive, expected purchases in the next 1..HORIZON_YEARS years if alive
    (cumulative) and expected spend per purchase."""
    alive = clv.p_alive(bg, x, t_x, T)
    cumulative = clv.yearly_expected_purchases_if_alive(bg, HORIZON_YEARS, x, T, clv.WEEKS_PER_YEAR)
    spend = clv.expected_spend(gg, x, np.where(zbar > 0, zbar, 0.0))
    offsets = pa.array(np.arange(0, (len(x) + 1) * HORIZON_YEARS, HORIZON_YEARS, dtype=np.int32))
    return pa.table(
        {
            "customer_id": pa.array(ids, pa.string()),
            "bg_x": pa.array(x),
            "bg_t_x": pa.array(t_x),
            "bg_t": pa.array(T),
            "p_alive": pa.array(alive),
            "bg_expected": pa.ListArray.from_arrays(offsets, pa.array(cumulative.ravel())),
            "gg_spend": pa.array(spend),
        }
    )


def _customers(cur: duckdb.DuckDBPyConnection, version: Version, as_of: date | None, has_tx: bool) -> None:
    """df_customers: contract fields, behaviour count and purchase summary per customer (prospects excluded)."""
    customers, staged = version.table("customers"), version.table("stg_customers")
    customers = f"(select * from {customers} where customer_id is not null)"
    behaviours = [f'coalesce(c."b_{key}", false)::int' for key in version.behaviours]
    behaviour_count = " + ".join(behaviours) if behaviours else "cast(null as integer)"
    if has_tx:
        summary_cols = """
               s.first_purchase, s.last_purchase, coalesce(s.purchase_days, 0) as purchase_days, s.revenue,
               s.annual_spend, s.repeat_spend, s.purchases_back,
               m.bg_x, m.bg_t_x, m.bg_t, m.p_alive, m.bg_expected, m.gg_spend
        """
        source = f"""
            from {staged} st
            left join {customers} c on c.customer_id = st.customer_id
            left join {version.table("df_summary")} s on s.customer_id = st.customer_id
            left join _df_models m on m.customer_id = st.customer_id
            where st.counts_as_customer
        """
    else:
        summary_cols = """
               cast(null as date) as first_purchase, cast(null as date) as last_purchase, 0 as purchase_days,
               cast(null as double) as revenue, cast(null as double) as annual_spend, cast(null as double) as repeat_spend,
               cast(null as bigint[]) as purchases_back, cast(null as double) as bg_x, cast(null as double) as bg_t_x,
               cast(null as double) as bg_t, cast(null as double) as p_alive, cast(null as double[]) as bg_expected,
               cast(null as double) as gg_spend
        """
        source = f"from {staged} st left join {customers} c on c.customer_id = st.customer_id where st.counts_as_customer"
    first_purchase = "s.first_purchase" if has_tx else "cast(null as date)"
    cur.execute(
        f"""
        create table {version.table("df_customers")} as
        select st.customer_id,
               cast(row_number() over (order by st.customer_id) as integer) as customer_key,
               coalesce(c.segment, ?) as segment,
               coalesce(c.region, ?) as region,
               c.signup_date,
               least(coalesce(c.signup_date, {first_purchase}), coalesce({first_purchase}, c.signup_date)) as start_date,
               c.stage,
               {behaviour_count} as behaviours,
               coalesce(st.defected, false) as churned,
               c.churn_date,
               st.defected, st.defected_since, st.defected_how, st.at_risk, st.at_risk_why,
               c.churn_reason,
               {summary_cols}
        {source}
        order by customer_id
        """,
        [NOT_SET, NOT_SET],
    )


def _complaint_history(cur: duckdb.DuckDBPyConnection, version: Version) -> None:
    """Add each customer's whole complaint history to df_customers: complaints, any unresolved, the slowest
    resolution in days, any repeated; the page then needs no join to class customers by complaint handling."""
    customers, complaints = version.table("df_customers"), version.table("df_complaints")
    cur.execute(
        f"""
        create table {version.table("df_customers_new")} as
        select c.*,
               coalesce(h.complaints, 0) as complaints,
               coalesce(h.any_unresolved, false) as complaint_unresolved,
               h.slowest_days as complaint_slowest_days,
               coalesce(h.any_broken_promise, false) as complaint_broken_promise,
               coalesce(h.any_repeated, false) as complaint_repeated
        from {customers} c
        left join (
            select customer_key, count(*) as complaints, bool_or(unresolved) as any_unresolved,
                   max(resolution_days) filter (where broke_promise is null) as slowest_days,
                   bool_or(broke_promise) as any_broken_promise, bool_or(repeated) as any_repeated
            from {complaints}
            group by customer_key
        ) h on h.customer_key = c.customer_key
        order by c.customer_key
        """
    )
    cur.execute(f"drop table {customers}")
    cur.execute(f"alter table {version.table('df_customers_new')} rename to df_customers")


def _complaints(cur: duckdb.DuckDBPyConnection, version: Version) -> None:
    """df_complaints: complaint touchpoints of customers with resolution time, unresolved and repeat flags.

    The customer's key, segment, region and churn fields are copied in, so complaint figures need no join.
    """
    has = {col: version.has("interactions", col) for col in ("stage", "reason", "resolved", "resolved_ts")}
    if not has["stage"]:
        cur.execute(
            f"""
            create table {version.table("df_complaints")} (
                customer_id varchar, customer_key integer, segment varchar, region varchar, churned boolean,
                churn_date date, last_purchase date, ts timestamp, reason varchar, resolution_days double,
                unresolved boolean, repeated boolean, broke_promise boolean
            )
            """
        )
        return
    resolution = "epoch(k.resolved_ts - k.ts) / 86400.0" if has["resolved_ts"] else "cast(null as double)"
    cur.execute(
        f"""
        create table {version.table("df_complaints")} as
        select k.customer_id, c.customer_key, c.segment, c.region, c.churned, c.churn_date, c.last_purchase,
               k.ts, coalesce(k.reason, ?) as reason, {resolution} as resolution_days,
               coalesce(not k.resolved, false) as unresolved, coalesce(k.repeat, false) as repeated,
               not k.within_promise as broke_promise
        from {version.table("stg_contacts")} k
        join {version.table("df_customers")} c on c.customer_id = k.customer_id
        where k.is_complaint and k.first_step
        order by k.ts, k.contact_id
        """,
        [NOT_SET],
    )
