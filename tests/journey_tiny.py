"""Five tiny journeys worked out by hand in tests/test_journey_metrics.py.

A  complaint (phone) → complaint (email, 2 days later, same reason: a repeat and a channel switch) →
   billing (phone, same timestamp as the e-mail, later in the file, same reason "Bill") →
   complaint (phone, 47 days later, never resolved): a loop back to complaint.
B  two usage visits at the same moment (web then app, same reason: a repeat after 0 days and a switch),
   then an outage complaint resolved after 8 days (outside a 5-day SLA). B churned.
C  one company-started renewal e-mail: a one-touchpoint customer and no contact.
D  two chat complaints about the meter 2 days apart (the second is a repeat, not a new complaint), then exit.
   D churned.
X  one social advert, for an ID not in the customers table (segment and region "(not set)").
"""

from __future__ import annotations

import pandas as pd

ROWS = [
    # customer, ts, channel, stage, reason, initiated_by, resolved, resolved_ts, satisfaction, effort, cost
    ("A", "2024-01-02 10:00", "phone", "complaint", "Bill", "customer", True, "2024-01-03 10:00", 2, 4, 10.0),
    ("A", "2024-01-04 10:00", "email", "complaint", "Bill", "customer", True, "2024-01-10 10:00", 1, 5, 4.0),
    ("A", "2024-01-04 10:00", "phone", "billing", "Bill", "customer", True, None, 3, None, 12.0),
    ("A", "2024-02-20 10:00", "phone", "complaint", "Bill", "customer", False, None, None, None, 10.0),
    ("B", "2024-01-05 08:00", "web", "usage", "Check", "customer", True, None, 5, 1, 0.2),
    ("B", "2024-01-05 08:00", "app", "usage", "Check", "customer", True, None, 4, 2, 0.1),
    ("B", "2024-01-20 09:00", "phone", "complaint", "Outage", "customer", True, "2024-01-28 09:00", 2, 4, 12.0),
    ("C", "2024-02-10 12:00", "email", "renewal", "Offer", "company", None, None, None, None, 0.05),
    ("D", "2024-03-01 10:00", "chat", "complaint", "Meter", "customer", True, "2024-03-01 12:00", 3, 3, 5.0),
    ("D", "2024-03-03 10:00", "chat", "complaint", "Meter", "customer", True, "2024-03-03 11:00", 2, 4, 5.0),
    ("D", "2024-03-10 10:00", "phone", "exit", "Leaving", "customer", True, None, None, None, 12.0),
    ("X", "2024-01-15 18:00", "social", "awareness", "Ad", "company", None, None, None, None, 0.3),
]


def journey_tables() -> dict[str, pd.DataFrame]:
    """Customers A-D (X has touchpoints only), their touchpoints in file order, and a few bills."""
    customers = pd.DataFrame(
        {
            "customer_id": ["A", "B", "C", "D"],
            "segment": ["Home", "Home", "Business", "Business"],
            "region": ["North", "South", "North", "South"],
            "signup_date": pd.to_datetime(["2023-01-01"] * 4).date,
            "churned": [False, True, False, True],
            "churn_date": [None, pd.Timestamp("2024-02-01").date(), None, None],
        }
    )
    columns = ["customer_id", "ts", "channel", "stage", "reason", "initiated_by", "resolved", "resolved_ts"]
    columns += ["satisfaction", "effort", "cost"]
    interactions = pd.DataFrame(ROWS, columns=columns)
    interactions["ts"] = pd.to_datetime(interactions["ts"])
    interactions["resolved_ts"] = pd.to_datetime(interactions["resolved_ts"])
    interactions["resolved"] = interactions["resolved"].astype("boolean")
    interactions["satisfaction"] = interactions["satisfaction"].astype("float64")
    interactions["effort"] = interactions["effort"].astype("float64")
    transactions = pd.DataFrame(
        {
            "customer_id": ["A", "A", "B"],
            "ts": pd.to_datetime(["2024-01-04 10:00", "2024-02-01 00:00", "2024-01-10 00:00"]),
            "amount": [50.0, 60.0, 70.0],
        }
    )
    return {"customers": customers, "transactions": transactions, "interactions": interactions}
