"""The sample's customers: who they are, their behaviours, complaints, churn and bills, and how they feel."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pyarrow as pa

from dashboard.sample import touchpoints
from dashboard.sample.world import (
    BILL_DELIVERY_COST,
    CHURN_REASON_SHARE,
    CHURN_REASONS,
    DAY,
    E_BILLING_SHARE,
    FLAG_BEHAVIOURS,
    MONTHS,
    PAYMENT_COST,
    PRODUCT_SHARE,
    PRODUCTS,
    REGION_SHARE,
    REGIONS,
    SEGMENT_SHARE,
    SEGMENTS,
    SLA_DAYS,
    WINDOW_END,
    WINDOW_START,
    YEAR,
    month_index,
    month_start,
    office_hours,
    pick,
    repeat,
    top_share,
    uniform_times,
)


def profile(rng: np.random.Generator, n: int) -> SimpleNamespace:
    """Who the customers are: prospect or not, segment, region, product, engagement, signup and behaviour flags."""
    cohort = SimpleNamespace(n=n)
    cohort.is_prospect = rng.random(n) < 0.07
    cohort.segment = pick(rng, SEGMENTS, SEGMENT_SHARE, n)
    cohort.region = pick(rng, REGIONS, REGION_SHARE, n)
    cohort.product = pick(rng, PRODUCTS, PRODUCT_SHARE, n)
    cohort.engagement = rng.normal(size=n)
    joined_before = rng.random(n) < 0.78
    tenure_years = np.minimum(0.25 + rng.gamma(1.5, 4.0, n), 30.0)
    signup = np.where(
        joined_before & ~cohort.is_prospect,
        WINDOW_START - (tenure_years * YEAR).astype(np.int64),
        WINDOW_START + (rng.random(n) * (WINDOW_END - WINDOW_START - 45 * DAY)).astype(np.int64),
    )
    cohort.signup = signup - signup % DAY
    cohort.start = np.maximum(cohort.signup, WINDOW_START)
    cohort.customer = ~cohort.is_prospect
    cohort.flags = {}
    for key, (share, weight) in FLAG_BEHAVIOURS.items():
        score = weight * cohort.engagement + rng.logistic(size=n)
        cohort.flags[key] = top_share(score, share, cohort.customer) & cohort.customer
    cohort.e_billing_score = 1.2 * cohort.engagement + rng.logistic(size=n)
    cohort.self_service = 1 / (1 + np.exp(-(-0.5 + 1.1 * cohort.engagement)))
    cohort.n_flags = sum(f.astype(int) for f in cohort.flags.values())
    return cohort


def complaints(rng: np.random.Generator, cohort: SimpleNamespace) -> SimpleNamespace:
    """Complaints over the whole window, their handling and whether each pushes the customer to leave."""
    cases = SimpleNamespace()
    complaint_rate = 0.3 * np.exp(-0.3 * cohort.engagement) * cohort.customer
    years_open = (WINDOW_END - cohort.start) / YEAR
    cases.cust = repeat(rng.poisson(complaint_rate * years_open))
    cases.ts = office_hours(rng, uniform_times(rng, cohort.start[cases.cust], np.full(len(cases.cust), WINDOW_END - 20 * DAY)))
    nc = len(cases.cust)
    cases.first_contact = rng.random(nc) < 0.66
    cases.unresolved = ~cases.first_contact & (rng.random(nc) < 0.06)
    cases.days = np.where(cases.first_contact, rng.uniform(0.01, 0.2, nc), rng.lognormal(np.log(4.0), 0.9, nc))
    cases.resolved_ts = cases.ts + (cases.days * DAY).astype(np.int64)
    cases.repeats = np.where(cases.first_contact, 0, 1 + rng.poisson(0.7, nc))
    cases.slow = cases.days > SLA_DAYS
    trigger_p = 0.03 + 0.16 * cases.slow + 0.08 * np.minimum(cases.repeats, 3) + 0.2 * cases.unresolved
    cases.trigger = rng.random(nc) < trigger_p
    handled_ts = np.where(cases.unresolved, cases.ts + 30 * DAY, cases.resolved_ts)
    cases.trigger_ts = handled_ts + (rng.uniform(10, 75, nc) * DAY).astype(np.int64)
    return cases


def churn(rng: np.random.Generator, cohort: SimpleNamespace, cases: SimpleNamespace) -> None:
    """Churn from a baseline hazard or soon after a badly handled complaint; e-billing; complaints after the end dropped."""
    n = cohort.n
    segment_hazard = np.array([0.075, 0.06, 0.045])[cohort.segment]
    hazard = segment_hazard * np.exp(-0.2 * (cohort.n_flags - cohort.n_flags[cohort.customer].mean()) - 0.15 * cohort.engagement)
    baseline_churn = cohort.start + (rng.exponential(1.0, n) / hazard * YEAR).astype(np.int64)
    baseline_churn = np.where(cohort.customer, baseline_churn, np.iinfo(np.int64).max)
    complaint_churn = np.full(n, np.iinfo(np.int64).max)
    triggered = np.flatnonzero(cases.trigger)
    np.minimum.at(complaint_churn, cases.cust[triggered], cases.trigger_ts[triggered])
    churn_ts = np.maximum(np.minimum(baseline_churn, complaint_churn), cohort.start + 40 * DAY)
    cohort.churned = churn_ts < WINDOW_END
    cohort.churn_ts = np.where(cohort.churned, churn_ts - churn_ts % DAY, 0)
    cohort.end = np.where(cohort.churned, cohort.churn_ts, WINDOW_END)
    by_complaint = cohort.churned & (complaint_churn <= baseline_churn)
    reason_code = pick(rng, CHURN_REASONS, CHURN_REASON_SHARE, n)
    churn_reason = np.where(by_complaint, "Poor complaint handling", np.array(CHURN_REASONS, dtype=object)[reason_code])
    cohort.churn_reason = np.where(cohort.churned, churn_reason, None)

    # e-billing: exactly 16 % of the customers still active at the end of the window
    still_active = cohort.customer & ~cohort.churned
    cohort.flags["e_billing"] = top_share(cohort.e_billing_score, E_BILLING_SHARE, still_active) & cohort.customer
    cohort.flags = {key: cohort.flags[key] for key in ("e_billing", *FLAG_BEHAVIOURS)}

    keep = cases.ts < cohort.end[cases.cust]
    for name in ("cust", "ts", "first_contact", "unresolved", "days", "resolved_ts", "repeats", "slow"):
        setattr(cases, name, getattr(cases, name)[keep])


def bills(rng: np.random.Generator, cohort: SimpleNamespace) -> SimpleNamespace:
    """Monthly bills of each customer from the first month open to the last, with amount, channel and cost."""
    first_month = np.where(cohort.customer, month_index(cohort.start), MONTHS)
    last_month = np.where(cohort.customer, month_index(cohort.end - 1), -1)
    months_billed = np.clip(last_month - first_month + 1, 0, MONTHS)
    cycle_day = rng.integers(1, 29, cohort.n)
    b_cust = repeat(months_billed)
    offset = np.arange(len(b_cust)) - np.repeat(np.cumsum(months_billed) - months_billed, months_billed)
    b_month = first_month[b_cust] + offset
    b_ts = month_start(b_month) + (cycle_day[b_cust] - 1) * DAY
    valid = (b_ts >= cohort.start[b_cust]) & (b_ts < cohort.end[b_cust])
    b_cust, b_month, b_ts = b_cust[valid], b_month[valid], b_ts[valid]
    base_bill = rng.lognormal(np.log(np.array([105.0, 450.0, 2400.0])[cohort.segment]), 0.35)
    season = 1 + 0.22 * np.cos(2 * np.pi * (b_month % 12) / 12) + 0.1 * np.cos(4 * np.pi * (b_month % 12) / 12)
    flat = cohort.flags["budget_billing"][b_cust]
    noise = 1 + rng.normal(0, 0.08, len(b_cust))
    e_bill = cohort.flags["e_billing"][b_cust]
    return SimpleNamespace(
        cust=b_cust,
        ts=b_ts,
        amount=np.round(base_bill[b_cust] * np.where(flat, 1.0, season * noise), 2),
        channel=np.where(e_bill, "email", "mail"),
        cost=np.round(
            np.where(e_bill, BILL_DELIVERY_COST["email"], BILL_DELIVERY_COST["mail"])
            + np.where(cohort.flags["autopay"][b_cust], PAYMENT_COST[True], PAYMENT_COST[False]),
            2,
        ),
    )


def relationship(rng: np.random.Generator, cohort: SimpleNamespace, cases: SimpleNamespace, events: dict) -> None:
    """Relationship survey answer, referrals and acquisition cost of each customer."""
    n = cohort.n
    phone_last_year = touchpoints.phone_contacts_last_year(events, cohort.end, n)
    self_service_share = touchpoints.self_service_share(events, n)
    n_behaviours = cohort.n_flags + cohort.flags["e_billing"] + (phone_last_year == 0) + (self_service_share >= 0.5)
    bad_complaint = np.zeros(n, dtype=bool)
    bad_complaint[cases.cust[cases.slow | (cases.repeats > 0) | cases.unresolved]] = True
    latent = 2.8 + 0.3 * n_behaviours + 0.2 * cohort.engagement - 0.9 * bad_complaint - 0.25 * (phone_last_year > 2)
    latent += rng.normal(0, 0.7, n)
    cohort.satisfaction = np.clip(np.round(latent), 1, 5)
    cohort.answered = cohort.customer & (rng.random(n) < 0.72)
    tenure = np.maximum((WINDOW_END - cohort.signup) / YEAR, 0.1)
    referral_rate = (0.03 + 0.09 * np.maximum(cohort.satisfaction - 3, 0)) * tenure**0.4
    cohort.referrals = np.where(cohort.customer, rng.poisson(referral_rate), 0)
    acq_mean = np.where(cohort.is_prospect, 35.0, np.array([140.0, 380.0, 950.0])[cohort.segment])
    cohort.acquisition_cost = np.round(np.maximum(acq_mean * (1 + rng.normal(0, 0.25, n)), 5.0), 2)


def customers_table(cohort: SimpleNamespace, ids: np.ndarray) -> pa.Table:
    """Customer columns as an Arrow table in the contract's shape, one row per customer in id order."""
    churned = cohort.churned
    churn_day = np.where(churned, cohort.churn_ts, 0).astype("datetime64[s]").astype("datetime64[D]")
    return pa.table(
        {
            "customer_id": pa.array(ids, pa.string()),
            "segment": pa.array(np.array(SEGMENTS, dtype=object)[cohort.segment], pa.string()),
            "region": pa.array(np.array(REGIONS, dtype=object)[cohort.region], pa.string()),
            "signup_date": pa.array(cohort.signup.astype("datetime64[s]").astype("datetime64[D]")),
            "satisfaction": pa.array(np.where(cohort.answered, cohort.satisfaction, np.nan), pa.float64(), from_pandas=True),
            "churned": pa.array(churned),
            "churn_date": pa.array(churn_day, mask=~churned),
            "churn_reason": pa.array(cohort.churn_reason, pa.string()),
            "referrals": pa.array(cohort.referrals, pa.int64()),
            "acquisition_cost": pa.array(cohort.acquisition_cost),
            **{f"b_{key}": pa.array(v) for key, v in cohort.flags.items()},
        }
    )


def transactions_table(cohort: SimpleNamespace, bills: SimpleNamespace, ids: np.ndarray) -> pa.Table:
    """Bill columns as an Arrow table in the contract's shape, sorted by customer and time."""
    order = np.lexsort((bills.ts, bills.cust))
    return pa.table(
        {
            "customer_id": pa.array(ids[bills.cust[order]], pa.string()),
            "ts": pa.array(bills.ts[order].astype("datetime64[s]").astype("datetime64[ms]")),
            "amount": pa.array(bills.amount[order]),
            "product": pa.array(np.array(PRODUCTS, dtype=object)[cohort.product[bills.cust[order]]], pa.string()),
            "channel": pa.array(bills.channel[order], pa.string()),
            "cost": pa.array(bills.cost[order]),
        }
    )
