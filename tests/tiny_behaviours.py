"""Hand-made datasets for the Behaviours and What-if figures, small enough to work out by hand.

`behaviour_tables()`: five customers and a prospect, data from January to June 2024.

| id | segment  | region | satisfaction | left               | e_billing | autopay | referrals |
|----|----------|--------|--------------|--------------------|-----------|---------|-----------|
| A  | Home     | North  | 5            | no                 | yes       | yes     | 2         |
| B  | Home     | South  | 4            | 15 Mar 2024 (date) | no        | yes     | 0         |
| C  | Business | North  | 2            | no                 | no        | no      | 1         |
| D  | Business | South  | (none)       | yes, no date       | no        | no      | (none)    |
| E  | Home     | (none) | 3            | no                 | yes       | (none)  | 0         |
| P  | Home     | North  | (none)       | prospect           | no        | no      | 0         |

Customer-started touchpoints (C's phone call was started by the company and does not count):

| id | touchpoints                                                                         |
|----|-------------------------------------------------------------------------------------|
| A  | phone 10 Jan, phone 12 Feb, web 20 Feb, app 3 May, app 4 Jun 2024                   |
| B  | phone 5 Jan 2023 (over 12 months before it left in March 2024), web 2 Feb 2024,     |
|    | phone 20 Apr 2024 (after it left)                                                   |
| C  | (phone 1 Jun 2024 by the company), email 2 Jun 2024                                 |
| D  | none                                                                                |
| E  | " IVR " 3 Mar 2024 (label trimmed and lower-cased)                                  |
| P  | phone 1 Feb 2024 (a prospect: never counted)                                        |
"""

from __future__ import annotations

import pandas as pd


def behaviour_tables() -> dict[str, pd.DataFrame]:
    """The five customers and a prospect described in the module docstring."""
    customers = pd.DataFrame(
        {
            "customer_id": ["A", "B", "C", "D", "E", "P"],
            "segment": ["Home", "Home", "Business", "Business", "Home", "Home"],
            "region": ["North", "South", "North", "South", None, "North"],
            "signup_date": pd.to_datetime(
                ["2022-05-01", "2021-01-10", "2023-07-01", "2023-02-01", "2024-02-10", "2024-01-20"]
            ).date,
            "stage": [None, None, None, None, None, "prospect"],
            "satisfaction": [5.0, 4.0, 2.0, None, 3.0, None],
            "churned": [False, True, False, True, False, False],
            "churn_date": [None, pd.Timestamp("2024-03-15").date(), None, None, None, None],
            "referrals": [2, 0, 1, None, 0, 0],
            "b_e_billing": [True, False, False, False, True, False],
            "b_autopay": [True, True, False, False, None, False],
        }
    )
    customers["referrals"] = customers["referrals"].astype("Int64")
    transactions = pd.DataFrame(
        {
            "customer_id": ["A", "B", "C", "D", "E"],
            "ts": pd.to_datetime(["2024-01-05", "2024-01-05", "2024-01-05", "2024-01-05", "2024-02-15"]),
            "amount": [100.0, 80.0, 500.0, 300.0, 90.0],
        }
    )
    rows = [
        ("A", "2024-01-10 09:00", "phone", "customer"),
        ("A", "2024-02-12 09:00", "phone", "customer"),
        ("A", "2024-02-20 09:00", "web", "customer"),
        ("A", "2024-05-03 09:00", "app", "customer"),
        ("A", "2024-06-04 09:00", "app", "customer"),
        ("B", "2023-01-05 09:00", "phone", "customer"),
        ("B", "2024-02-02 09:00", "web", "customer"),
        ("B", "2024-04-20 09:00", "phone", "customer"),
        ("C", "2024-06-01 09:00", "phone", "company"),
        ("C", "2024-06-02 09:00", "email", "customer"),
        ("E", "2024-03-03 09:00", " IVR ", "customer"),
        ("P", "2024-02-01 09:00", "phone", "customer"),
    ]
    interactions = pd.DataFrame(rows, columns=["customer_id", "ts", "channel", "initiated_by"])
    interactions["ts"] = pd.to_datetime(interactions["ts"])
    return {"customers": customers, "transactions": transactions, "interactions": interactions}


def worked_example_tables() -> dict[str, pd.DataFrame]:
    """25 customers, 4 of them on e-billing: exactly the article's 16 %; no churn dates, no transactions or touchpoints."""
    n = 25
    return {
        "customers": pd.DataFrame(
            {
                "customer_id": [f"U{i:02d}" for i in range(n)],
                "segment": ["Residential"] * n,
                "churned": [i % 5 == 4 for i in range(n)],
                "b_e_billing": [i < 4 for i in range(n)],
            }
        )
    }
