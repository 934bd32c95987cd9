"""A hand-made dataset for the Defection view: seven customers and a prospect over 2024, as of 31 Dec 2024.

- A (Home): buys 100 on the 15th of every month, December's on the 31st (the last day in the data); two
  complaints about the same thing ten days apart in April (the second repeats the first).
- B (Home): buys 50 monthly January to June; contract ended 10 Jul 2024, reason "-Price rise" (a text that a
  spreadsheet would read as a formula).
- C (Business): buys 200 monthly January to September, then nothing: no purchase for 107 days.
- D (Business): buys 150 monthly January to August, then once more on 15 Nov: its own rate has dropped.
- E (Home): joined 1 Jun; buys 80 on the 5th of June to December; a complaint on 1 Dec is still unresolved.
- F (Home): joined 1 Feb; one purchase of 300 on 10 Feb; complained 1 Mar, resolved 10 days later; left
  20 Mar, "Poor complaint handling".
- G (Business): joined 2023 (before the data); buys 500 on the 1st of every month; one complaint in May,
  resolved within hours.
- P: a prospect.

The dataset's staged definitions (saved before it is published, see publish_tiny): no purchase for more than 90 days
is defected, for more than 60 days at risk; a contact repeats when another of the same reason follows within 14 days.
So C (no purchase since 15 Sep, 107 days) has defected on 14 Dec; A's first April complaint is repeated by the second.
"""

from __future__ import annotations

import pandas as pd

from dashboard import staged
from dashboard.staged.definitions import SETTING
from dashboard.store import Store, Version

DEFINITIONS = staged.Definitions(fcr_days=14, lapse_days=90, at_risk_days=60)
"""The tiny defection dataset's saved definitions (see the module docstring)."""


def publish_tiny(store: Store, name: str = "tiny", tables: dict[str, pd.DataFrame] | None = None) -> Version:
    """Save DEFINITIONS for dataset name, then publish the tiny defection tables (or tables) as it."""
    store.set_setting(name, SETTING, DEFINITIONS.to_setting())
    return store.publish(name, defection_tables() if tables is None else tables)


def _monthly(customer: str, day: int, months: range, amount: float) -> list[tuple[str, str, float]]:
    return [(customer, f"2024-{m:02d}-{day:02d}", amount) for m in months]


def defection_tables() -> dict[str, pd.DataFrame]:
    """The three contract tables of the tiny defection dataset."""
    customers = pd.DataFrame(
        {
            "customer_id": ["A", "B", "C", "D", "E", "F", "G", "P"],
            "segment": ["Home", "Home", "Business", "Business", "Home", "Home", "Business", "Home"],
            "region": ["North", "South", "North", "South", "North", "South", "North", "North"],
            "signup_date": pd.to_datetime(
                ["2024-01-01", "2024-01-01", "2024-01-01", "2024-01-01", "2024-06-01", "2024-02-01", "2023-06-01", "2024-05-01"]
            ).date,
            "stage": ["loyal", "defected", "repeat", "repeat", "first purchase", "defected", "advocate", "prospect"],
            "churned": [False, True, False, False, False, True, False, False],
            "churn_date": pd.to_datetime([None, "2024-07-10", None, None, None, "2024-03-20", None, None]).date,
            "churn_reason": [None, "-Price rise", None, None, None, "Poor complaint handling", None, None],
            "b_autopay": [True, False, False, True, False, False, True, False],
            "b_e_billing": [True, False, False, False, False, False, True, False],
        }
    )
    rows = [
        *_monthly("A", 15, range(1, 12), 100.0),
        ("A", "2024-12-31", 100.0),
        *_monthly("B", 15, range(1, 7), 50.0),
        *_monthly("C", 15, range(1, 10), 200.0),
        *_monthly("D", 15, range(1, 9), 150.0),
        ("D", "2024-11-15", 150.0),
        *_monthly("E", 5, range(6, 13), 80.0),
        ("F", "2024-02-10", 300.0),
        *_monthly("G", 1, range(1, 13), 500.0),
    ]
    transactions = pd.DataFrame(rows, columns=["customer_id", "ts", "amount"])
    transactions["ts"] = pd.to_datetime(transactions["ts"]) + pd.Timedelta(hours=10)
    interactions = pd.DataFrame(
        {
            "customer_id": ["A", "A", "E", "F", "G", "G"],
            "ts": pd.to_datetime(
                [
                    "2024-04-10 09:00",
                    "2024-04-20 09:00",
                    "2024-12-01 09:00",
                    "2024-03-01 09:00",
                    "2024-05-02 09:00",
                    "2024-08-01 09:00",
                ]
            ),
            "channel": ["phone", "phone", "email", "phone", "chat", "web"],
            "stage": ["complaint", "complaint", "complaint", "complaint", "complaint", "usage"],
            "reason": ["Billing error", "Billing error", "Outage", "High bill", "Meter reading", "Check usage"],
            "resolved": [True, True, False, True, True, True],
            "resolved_ts": pd.to_datetime(
                ["2024-04-10 10:00", "2024-04-20 10:00", None, "2024-03-11 09:00", "2024-05-02 11:00", "2024-08-01 09:05"]
            ),
        }
    )
    return {"customers": customers, "transactions": transactions, "interactions": interactions}


def shop_tables(customers: int = 300, seed: int = 3) -> dict[str, pd.DataFrame]:
    """A small non-contractual shop drawn from the BG/NBD story itself, so that the model fits: each customer buys at
    a Gamma-distributed daily rate and drops out after a purchase with a Beta-distributed probability, over 540 days
    from 1 Jan 2023. Two segments; no churn flags, no complaints."""
    import numpy as np

    rng = np.random.default_rng(seed)
    start = pd.Timestamp("2023-01-01")
    rows = []
    for i in range(customers):
        rate, drop = rng.gamma(2.0, 1 / 20), rng.beta(1.0, 4.0)
        day = float(rng.integers(0, 200))
        days = [day]
        while True:
            day += rng.exponential(1 / rate)
            if day > 540:
                break
            days.append(day)
            if rng.random() < drop:
                break
        for when in sorted({int(x) for x in days}):
            rows.append((f"S{i:03d}", start + pd.Timedelta(days=when, hours=12), round(float(rng.gamma(3, 10)), 2)))
    transactions = pd.DataFrame(rows, columns=["customer_id", "ts", "amount"])
    ids = sorted(transactions["customer_id"].unique())
    customers_frame = pd.DataFrame({"customer_id": ids, "segment": ["Online" if int(c[1:]) % 3 else "Store" for c in ids]})
    return {"customers": customers_frame, "transactions": transactions}
