"""The sample's world: its calendar, segments, products, behaviours, reasons and costs, and the random draws that
customers and touchpoints share."""

from __future__ import annotations

import numpy as np

DAY = 86_400
YEAR = 365.25 * DAY
WINDOW_START = int(np.datetime64("2023-01-01T00:00:00", "s").astype(np.int64))
WINDOW_END = int(np.datetime64("2026-01-01T00:00:00", "s").astype(np.int64))
MONTHS = 36
SLA_DAYS = 5

SEGMENTS = ("Residential", "Small business", "Commercial")
SEGMENT_SHARE = (0.78, 0.16, 0.06)
REGIONS = ("North", "South", "East", "West", "Central")
REGION_SHARE = (0.24, 0.22, 0.20, 0.19, 0.15)
PRODUCTS = ("Electricity", "Dual fuel", "Gas")
PRODUCT_SHARE = (0.62, 0.30, 0.08)

FLAG_BEHAVIOURS = {
    # key: (share of customers, weight of engagement in the propensity)
    "autopay": (0.41, 1.0),
    "budget_billing": (0.12, 0.6),
    "load_control": (0.07, 0.5),
    "smart_meter": (0.31, 0.8),
    "efficient_equipment": (0.11, 0.7),
}
E_BILLING_SHARE = 0.16

CHURN_REASONS = ("Price", "Moved home", "Competitor offer", "Billing problems", "Outage", "Other")
CHURN_REASON_SHARE = (0.34, 0.22, 0.2, 0.1, 0.06, 0.08)
CONSIDERATION_REASONS = ("Quote", "Compare tariffs", "Switching question", "Payment options")
COMPLAINT_REASONS = ("Billing error", "High bill", "Outage", "Meter reading", "Payment problem", "Smart meter install")
COMPLAINT_REASON_SHARE = (0.3, 0.24, 0.16, 0.12, 0.1, 0.08)

# channel: (low, high) cost of a customer-started contact in dollars
CONTACT_COST = {
    "phone": (12.0, 15.0),
    "ivr": (1.5, 2.5),
    "web": (0.1, 0.3),
    "app": (0.05, 0.2),
    "email": (3.5, 5.5),
    "chat": (4.0, 6.0),
    "social": (5.0, 7.0),
    "store": (18.0, 25.0),
    "mail": (0.8, 1.0),
    "field": (90.0, 140.0),
}
OUTBOUND_COST = {"email": (0.03, 0.06), "mail": (0.8, 1.0), "phone": (4.0, 6.0), "social": (0.2, 0.4), "field": (90.0, 140.0)}
BILL_DELIVERY_COST = {"email": 0.28, "mail": 1.20}  # $0.92 a month, $11.04 a year, saved by e-billing
PAYMENT_COST = {True: 0.10, False: 0.45}


def pick(rng: np.random.Generator, options: tuple, shares: tuple, n: int) -> np.ndarray:
    """n labels drawn with the given shares, as integer codes."""
    return rng.choice(len(options), size=n, p=np.asarray(shares) / np.sum(shares))


def top_share(score: np.ndarray, share: float, eligible: np.ndarray) -> np.ndarray:
    """Flag for the highest-scoring `share` of the eligible rows exactly; the same cut applied to all rows."""
    idx = np.flatnonzero(eligible)
    k = round(share * len(idx))
    flags = np.zeros(len(score), dtype=bool)
    if k == 0:
        return flags
    cut = np.sort(score[idx])[::-1][k - 1]
    order = idx[np.argsort(-score[idx], kind="stable")[:k]]
    flags[order] = True
    flags[~eligible] = score[~eligible] >= cut
    return flags


def uniform_times(rng: np.random.Generator, start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """One random second in [start, end) per row."""
    span = np.maximum(end - start, 1)
    return start + (rng.random(len(start)) * span).astype(np.int64)


def repeat(counts: np.ndarray) -> np.ndarray:
    """Customer index repeated counts[i] times."""
    return np.repeat(np.arange(len(counts)), counts)


def office_hours(rng: np.random.Generator, ts: np.ndarray) -> np.ndarray:
    """ts moved to a random time between 08:00 and 18:00 of the same day."""
    day = ts - ts % DAY
    return day + 8 * 3600 + (rng.random(len(ts)) * 10 * 3600).astype(np.int64)


def cost(rng: np.random.Generator, channels: np.ndarray, table: dict) -> np.ndarray:
    """Cost of each contact, uniform within its channel's range, in cents-rounded dollars."""
    low = np.array([table.get(c, (0.5, 1.0))[0] for c in channels])
    high = np.array([table.get(c, (0.5, 1.0))[1] for c in channels])
    return np.round(low + rng.random(len(channels)) * (high - low), 2)


def month_index(ts: np.ndarray) -> np.ndarray:
    """Months since the window start (0 = January 2023) of each timestamp."""
    months = ts.astype("datetime64[s]").astype("datetime64[M]").astype(np.int64)
    return months - np.datetime64("2023-01", "M").astype(np.int64)


def month_start(month_index: np.ndarray) -> np.ndarray:
    """Epoch seconds of the first day of each month index."""
    months = (month_index + np.datetime64("2023-01", "M").astype(np.int64)).astype("datetime64[M]")
    return months.astype("datetime64[s]").astype(np.int64)
