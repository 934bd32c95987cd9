"""A hand-made dataset for the Funnel page: ten customers over 2024 whose stages can be worked out by hand.

The transactions begin on 2024-01-01 (that day starts the history). Every purchase is $100 with a $1 cost.
With the default rules (repeat: 2 purchases or 90 days; loyal: 12 purchases or 730 days; advocate: a referral
and loyal; at risk: no purchase for more than 90 days or 2 complaints within 90 days; defected: churn, or no
purchase for more than 365 days):

| id | signed up  | purchases                              | end of Jan 2024 | end of Dec 2024 |
|----|------------|----------------------------------------|-----------------|-----------------|
| U  | 2024-01-01 | 1st of each month, Jan to Dec (12)     | first purchase  | loyal (up two)  |
| D  | 2020-01-01 | 10th, Jan to Aug (8)                   | loyal           | at risk (down)  |
| X  | 2023-06-01 | 15th, Jan to Jun; churned 2024-06-15   | repeat          | defected        |
| P  | 2024-03-01 | none (a lead)                          | not yet known   | prospect        |
| A  | 2018-05-01 | 5th, Jan to Dec; 2 referrals           | advocate        | advocate        |
| G  | 2024-01-02 | Jan 5, then the 20th, Jun to Dec       | first purchase  | repeat          |
| C  | 2019-01-01 | 20th, Jan to Dec; complaints Dec 1, 10 | loyal           | at risk         |
| N  | 2024-11-15 | Nov 20, Dec 20                         | not yet known   | repeat          |
| Q  | 2024-08-01 | none (a lead)                          | not yet known   | prospect        |
| M  | 2024-08-01 | Aug 5                                  | not yet known   | at risk         |
"""

from __future__ import annotations

from datetime import date

import pandas as pd


def _monthly(customer: str, day: int, months: range) -> list[tuple[str, pd.Timestamp]]:
    return [(customer, pd.Timestamp(2024, m, day)) for m in months]


def funnel_tables() -> dict[str, pd.DataFrame]:
    """The three tables of the hand-made Funnel dataset."""
    customers = pd.DataFrame(
        [
            # id, segment, region, signup, churned, churn date, referrals, acquisition cost
            ("U", "Home", "North", date(2024, 1, 1), False, None, 0, 100.0),
            ("D", "Home", "South", date(2020, 1, 1), False, None, 0, 80.0),
            ("X", "Business", "North", date(2023, 6, 1), True, date(2024, 6, 15), 0, 300.0),
            ("P", "Home", "North", date(2024, 3, 1), False, None, 0, 20.0),
            ("A", "Business", "South", date(2018, 5, 1), False, None, 2, 250.0),
            ("G", "Home", "South", date(2024, 1, 2), False, None, 0, 90.0),
            ("C", "Business", "North", date(2019, 1, 1), False, None, 0, 200.0),
            ("N", "Home", "North", date(2024, 11, 15), False, None, 0, 150.0),
            ("Q", "Home", "South", date(2024, 8, 1), False, None, 0, 30.0),
            ("M", "Business", "North", date(2024, 8, 1), False, None, 0, 60.0),
        ],
        columns=["customer_id", "segment", "region", "signup_date", "churned", "churn_date", "referrals", "acquisition_cost"],
    )
    purchases = (
        _monthly("U", 1, range(1, 13))
        + _monthly("D", 10, range(1, 9))
        + _monthly("X", 15, range(1, 7))
        + _monthly("A", 5, range(1, 13))
        + [("G", pd.Timestamp(2024, 1, 5))]
        + _monthly("G", 20, range(6, 13))
        + _monthly("C", 20, range(1, 13))
        + [("N", pd.Timestamp(2024, 11, 20)), ("N", pd.Timestamp(2024, 12, 20))]
        + [("M", pd.Timestamp(2024, 8, 5))]
    )
    transactions = pd.DataFrame(purchases, columns=["customer_id", "ts"])
    transactions["amount"] = 100.0
    transactions["cost"] = 1.0
    interactions = pd.DataFrame(
        {
            "customer_id": ["C", "C", "A", "U"],
            "ts": pd.to_datetime(["2024-12-01 10:00", "2024-12-10 10:00", "2024-11-12 09:00", "2024-12-31 20:00"]),
            "channel": ["phone", "phone", "phone", "web"],
            "stage": ["complaint", "complaint", "billing", "usage"],
            # A's call has no cost: the phone default ($13.50) prices it. U's web visit on Dec 31 ends the data.
            "cost": [10.0, 10.0, None, 0.20],
        }
    )
    return {"customers": customers, "transactions": transactions, "interactions": interactions}


JAN = date(2024, 1, 31)
DEC = date(2024, 12, 31)
