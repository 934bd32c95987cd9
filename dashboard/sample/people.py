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
    c = SimpleNamespace(n=n)
    c.is_prospect = rng.random(n) < 0.07
    c.segment = pick(rng, SEGMENTS, SEGMENT_SHARE, n)
    c.region = pick(rng, REGIONS, REGION_SHARE, n)
    c.product = pick(rng, PRODUCTS, PRODUCT_SHARE, n)
    c.engagement = rng.normal(size=n)
    joined_before = rng.random(n) < 0.78
    tenure_years = np.minimum(0.25 + rng.gamma(1.5, 4.0, n), 30.0)
    signup = np.where(
        joined_before & ~c.is_prospect,
        WINDOW_START - (tenure_years * YEAR).astype(np.int64),
        WINDOW_START + (rng.random(n) * (WINDOW_END - WINDOW_START - 45 * DAY)).astype(np.int64),
    )
    c.signup = signup - signup % DAY
    c.start = np.maximum(c.signup, WINDOW_START)
    c.customer = ~c.is_prospect
    c.flags = {}
    for key, (share, weight) in FLAG_BEHAVIOURS.items():
        score = weight * c.engagement + rng.logistic(size=n)
        c.flags[key] = top_share(score, share, c.customer) & c.customer
    c.e_billing_score = 1.2 * c.engagement + rng.logistic(size=n)
    c.self_service = 1 / (1 + np.exp(-(-0.5 + 1.1 * c.engagement)))
    c.n_flags = sum(f.astype(int) for f in c.flags.values())
    return c


def complaints(rng: np.random.Generator, c: SimpleNamespace) -> SimpleNamespace:
    """Complaints over the whole window, their handling and whether each pushes the customer to leave."""
    k = SimpleNamespace()
    complaint_rate = 0.3 * np.exp(-0.3 * c.engagement) * c.customer
    years_open = (WINDOW_END - c.start) / YEAR
    k.cust = repeat(rng.poisson(complaint_rate * years_open))
    k.ts = office_hours(rng, uniform_times(rng, c.start[k.cust], np.full(len(k.cust), WINDOW_END - 20 * DAY)))
    nc = len(k.cust)
    k.first_contact = rng.random(nc) < 0.66
    k.unresolved = ~k.first_contact & (rng.random(nc) < 0.06)
    k.days = np.where(k.first_contact, rng.uniform(0.01, 0.2, nc), rng.lognormal(np.log(4.0), 0.9, nc))
    k.resolved_ts = k.ts + (k.days * DAY).astype(np.int64)
    k.repeats = np.where(k.first_contact, 0, 1 + rng.poisson(0.7, nc))
    k.slow = k.days > SLA_DAYS
    trigger_p = 0.03 + 0.16 * k.slow + 0.08 * np.minimum(k.repeats, 3) + 0.2 * k.unresolved
    k.trigger = rng.random(nc) < trigger_p
    k.trigger_ts = np.where(k.unresolved, k.ts + 30 * DAY, k.resolved_ts) + (rng.uniform(10, 75, nc) * DAY).astype(np.int64)
    return k


def churn(rng: np.random.Generator, c: SimpleNamespace, k: SimpleNamespace) -> None:
    """Churn from a baseline hazard or soon after a badly handled complaint; e-billing; complaints after the end dropped."""
    n = c.n
    segment_hazard = np.array([0.075, 0.06, 0.045])[c.segment]
    hazard = segment_hazard * np.exp(-0.2 * (c.n_flags - c.n_flags[c.customer].mean()) - 0.15 * c.engagement)
    baseline_churn = c.start + (rng.exponential(1.0, n) / hazard * YEAR).astype(np.int64)
    baseline_churn = np.where(c.customer, baseline_churn, np.iinfo(np.int64).max)
    complaint_churn = np.full(n, np.iinfo(np.int64).max)
    triggered = np.flatnonzero(k.trigger)
    np.minimum.at(complaint_churn, k.cust[triggered], k.trigger_ts[triggered])
    churn_ts = np.maximum(np.minimum(baseline_churn, complaint_churn), c.start + 40 * DAY)
    c.churned = churn_ts < WINDOW_END
    c.churn_ts = np.where(c.churned, churn_ts - churn_ts % DAY, 0)
    c.end = np.where(c.churned, c.churn_ts, WINDOW_END)
    by_complaint = c.churned & (complaint_churn <= baseline_churn)
    reason_code = pick(rng, CHURN_REASONS, CHURN_REASON_SHARE, n)
    churn_reason = np.where(by_complaint, "Poor complaint handling", np.array(CHURN_REASONS, dtype=object)[reason_code])
    c.churn_reason = np.where(c.churned, churn_reason, None)

    # e-billing: exactly 16 % of the customers still active at the end of the window
    c.flags["e_billing"] = top_share(c.e_billing_score, E_BILLING_SHARE, c.customer & ~c.churned) & c.customer
    c.flags = {key: c.flags[key] for key in ("e_billing", *FLAG_BEHAVIOURS)}

    keep = k.ts < c.end[k.cust]
    for name in ("cust", "ts", "first_contact", "unresolved", "days", "resolved_ts", "repeats", "slow"):
        setattr(k, name, getattr(k, name)[keep])


def bills(rng: np.random.Generator, c: SimpleNamespace) -> SimpleNamespace:
    """Monthly bills of each customer from the first month open to the last, with amount, channel and cost."""
    first_month = np.where(c.customer, month_index(c.start), MONTHS)
    last_month = np.where(c.customer, month_index(c.end - 1), -1)
    months_billed = np.clip(last_month - first_month + 1, 0, MONTHS)
    cycle_day = rng.integers(1, 29, c.n)
    b_cust = repeat(months_billed)
    offset = np.arange(len(b_cust)) - np.repeat(np.cumsum(months_billed) - months_billed, months_billed)
    b_month = first_month[b_cust] + offset
    b_ts = month_start(b_month) + (cycle_day[b_cust] - 1) * DAY
    valid = (b_ts >= c.start[b_cust]) & (b_ts < c.end[b_cust])
    b_cust, b_month, b_ts = b_cust[valid], b_month[valid], b_ts[valid]
    base_bill = rng.lognormal(np.log(np.array([105.0, 450.0, 2400.0])[c.segment]), 0.35)
    season = 1 + 0.22 * np.cos(2 * np.pi * (b_month % 12) / 12) + 0.1 * np.cos(4 * np.pi * (b_month % 12) / 12)
    flat = c.flags["budget_billing"][b_cust]
    noise = 1 + rng.normal(0, 0.08, len(b_cust))
    e_bill = c.flags["e_billing"][b_cust]
    return SimpleNamespace(
        cust=b_cust,
        ts=b_ts,
        amount=np.round(base_bill[b_cust] * np.where(flat, 1.0, season * noise), 2),
        channel=np.where(e_bill, "email", "mail"),
        cost=np.round(
            np.where(e_bill, BILL_DELIVERY_COST["email"], BILL_DELIVERY_COST["mail"])
            + np.where(c.flags["autopay"][b_cust], PAYMENT_COST[True], PAYMENT_COST[False]),
            2,
        ),
    )


def relationship(rng: np.random.Generator, c: SimpleNamespace, k: SimpleNamespace, events: dict) -> None:
    """Relationship survey answer, referrals and acquisition cost of each customer."""
    n = c.n
    phone_last_year = touchpoints.phone_contacts_last_year(events, c.end, n)
    self_service_share = touchpoints.self_service_share(events, n)
    n_behaviours = c.n_flags + c.flags["e_billing"] + (phone_last_year == 0) + (self_service_share >= 0.5)
    bad_complaint = np.zeros(n, dtype=bool)
    bad_complaint[k.cust[k.slow | (k.repeats > 0) | k.unresolved]] = True
    latent = 2.8 + 0.3 * n_behaviours + 0.2 * c.engagement - 0.9 * bad_complaint - 0.25 * (phone_last_year > 2)
    latent += rng.normal(0, 0.7, n)
    c.satisfaction = np.clip(np.round(latent), 1, 5)
    c.answered = c.customer & (rng.random(n) < 0.72)
    tenure = np.maximum((WINDOW_END - c.signup) / YEAR, 0.1)
    referral_rate = (0.03 + 0.09 * np.maximum(c.satisfaction - 3, 0)) * tenure**0.4
    c.referrals = np.where(c.customer, rng.poisson(referral_rate), 0)
    acq_mean = np.where(c.is_prospect, 35.0, np.array([140.0, 380.0, 950.0])[c.segment])
    c.acquisition_cost = np.round(np.maximum(acq_mean * (1 + rng.normal(0, 0.25, n)), 5.0), 2)


def customers_table(c: SimpleNamespace, ids: np.ndarray) -> pa.Table:
    """Customer columns as an Arrow table in the contract's shape, one row per customer in id order."""
    churned = c.churned
    churn_day = np.where(churned, c.churn_ts, 0).astype("datetime64[s]").astype("datetime64[D]")
    return pa.table(
        {
            "customer_id": pa.array(ids, pa.string()),
            "segment": pa.array(np.array(SEGMENTS, dtype=object)[c.segment], pa.string()),
            "region": pa.array(np.array(REGIONS, dtype=object)[c.region], pa.string()),
            "signup_date": pa.array(c.signup.astype("datetime64[s]").astype("datetime64[D]")),
            "satisfaction": pa.array(np.where(c.answered, c.satisfaction, np.nan), pa.float64(), from_pandas=True),
            "churned": pa.array(churned),
            "churn_date": pa.array(churn_day, mask=~churned),
            "churn_reason": pa.array(c.churn_reason, pa.string()),
            "referrals": pa.array(c.referrals, pa.int64()),
            "acquisition_cost": pa.array(c.acquisition_cost),
            **{f"b_{key}": pa.array(v) for key, v in c.flags.items()},
        }
    )


def transactions_table(c: SimpleNamespace, bills: SimpleNamespace, ids: np.ndarray) -> pa.Table:
    """Bill columns as an Arrow table in the contract's shape, sorted by customer and time."""
    order = np.lexsort((bills.ts, bills.cust))
    return pa.table(
        {
            "customer_id": pa.array(ids[bills.cust[order]], pa.string()),
            "ts": pa.array(bills.ts[order].astype("datetime64[s]").astype("datetime64[ms]")),
            "amount": pa.array(bills.amount[order]),
            "product": pa.array(np.array(PRODUCTS, dtype=object)[c.product[bills.cust[order]]], pa.string()),
            "channel": pa.array(bills.channel[order], pa.string()),
            "cost": pa.array(bills.cost[order]),
        }
    )
