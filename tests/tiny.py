"""A hand-made dataset small enough to work every figure out by hand (see the comments in the tests)."""

from __future__ import annotations

import pandas as pd


def tiny_tables() -> dict[str, pd.DataFrame]:
    """Four customers and one prospect over January to March 2024."""
    customers = pd.DataFrame(
        {
            "customer_id": ["A", "B", "C", "D", "P"],
            "segment": ["Home", "Home", "Business", "Business", "Home"],
            "region": ["North", "South", "North", "South", "North"],
            "signup_date": pd.to_datetime(["2024-01-05", "2023-06-01", "2024-02-01", "2024-03-15", "2024-02-20"]).date,
            "satisfaction": [4.0, 2.0, 5.0, None, None],
            "churned": [False, True, False, True, False],
            "churn_date": [None, pd.Timestamp("2024-02-10").date(), None, pd.Timestamp("2024-03-30").date(), None],
            "churn_reason": [None, "Price", None, "Poor complaint handling", None],
            "b_e_billing": [True, False, True, False, False],
        }
    )
    transactions = pd.DataFrame(
        {
            "customer_id": ["A", "A", "A", "B", "B", "C", "C", "D"],
            "ts": pd.to_datetime(
                ["2024-01-10", "2024-02-10", "2024-03-10", "2024-01-15", "2024-02-05", "2024-02-03", "2024-03-03", "2024-03-20"]
            ),
            "amount": [100.0, 120.0, -20.0, 80.0, 80.0, 500.0, 450.0, 300.0],
            "cost": [1.0] * 8,
        }
    )
    interactions = pd.DataFrame(
        {
            "customer_id": ["A", "A", "B", "B", "B", "C", "D", "D", "P"],
            "ts": pd.to_datetime(
                [
                    "2024-01-11 10:00",
                    "2024-02-12 09:00",
                    "2024-01-16 11:00",
                    "2024-02-01 12:00",
                    "2024-02-03 15:00",
                    "2024-02-04 08:00",
                    "2024-03-21 10:00",
                    "2024-03-25 10:00",
                    "2024-02-19 18:00",
                ]
            ),
            "channel": ["phone", "web", "phone", "phone", "email", "web", "phone", "phone", "web"],
            "stage": ["billing", "usage", "billing", "complaint", "complaint", "usage", "complaint", "exit", "awareness"],
            "cost": [13.0, 0.2, 12.0, 14.0, 5.0, 0.3, 15.0, 12.0, 0.1],
        }
    )
    return {"customers": customers, "transactions": transactions, "interactions": interactions}
