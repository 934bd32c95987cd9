"""Figures the AppTests expect, worked with plain pandas from the input tables by the definitions in the docs, never
by the app's metric code: the sample's best-in-class savings, and the tiny defection dataset's lifetime value."""

from __future__ import annotations

import pandas as pd

from benchmarks.reference import behaviours as behaviours_reference
from dashboard.metrics.behaviours.catalogue import Catalogue, default_catalogue


def best_in_class_savings(tables: dict[str, pd.DataFrame], catalogue: Catalogue | None = None) -> float:
    """Savings a year if every behaviour reached best-in-class (docs/behaviours.md): Σ over behaviours of customers in
    scope × max(best-in-class − adoption today, 0) × saving per adopter."""
    catalogue = catalogue or default_catalogue()
    flags = behaviours_reference.customer_flags(tables, catalogue)
    adoption = behaviours_reference.adoption(flags)
    scope = int(flags["in_scope"].sum())
    return sum(scope * max(b.best_in_class - adoption[b.key], 0.0) * b.saving for b in catalogue.behaviours if b.key in adoption)


def tiny_lifetime_value(
    tables: dict[str, pd.DataFrame],
    lapse_days: int,
    margin: float = 0.30,
    discount: float = 0.10,
    years: float | None = None,
    segment: str | None = None,
) -> float:
    """Mean simple lifetime value of the current customers (docs/defection.md "Simple"): annual spend × margin ×
    (1 − (1 + d)^−years) ÷ d, the years measured as 1 ÷ (dated defections per customer-year) rounded to 0.1 unless
    given. Annual spend: spend in the 365 days up to the last purchase, scaled to a year from at least 91 days when
    joined less than a year before it. Current: bought, no churn label, a purchase within lapse_days of the as-of day.
    With segment, the mean over that segment's current customers (the years still measured over everyone).
    """
    customers = tables["customers"].set_index("customer_id")
    tx = tables["transactions"].assign(day=lambda t: pd.to_datetime(t["ts"]).dt.normalize())
    as_of, first_day = tx["day"].max(), tx["day"].min()  # 31 Dec 2024 (A's last purchase) and 1 Jan 2024
    days = tx.groupby(["customer_id", "day"])["amount"].sum()
    bought = days[days > 0].reset_index()
    first, last = bought.groupby("customer_id")["day"].min(), bought.groupby("customer_id")["day"].max()
    labelled = customers["churned"].fillna(False).astype(bool) | customers["churn_date"].notna()
    churn_day = pd.to_datetime(customers["churn_date"])
    lapse_day = last + pd.Timedelta(days=lapse_days)
    defect_day = churn_day.where(labelled, lapse_day.reindex(customers.index).where(lapse_day < as_of))
    signup = pd.to_datetime(customers["signup_date"])
    current = [c for c in last.index if pd.isna(defect_day[c]) and segment in (None, customers.loc[c, "segment"])]
    spend = []
    for c in current:
        joined = min(signup[c], first[c])
        year = bought[(bought["customer_id"] == c) & (bought["day"] > last[c] - pd.Timedelta(days=365))]
        total = float(year["amount"].sum())
        short = joined > last[c] - pd.Timedelta(days=365)
        spend.append(total * 365 / max((last[c] - joined).days, 91) if short else total)
    if years is None:
        buyers = customers.index.intersection(last.index)  # the prospect never bought
        start = signup[buyers].clip(lower=first_day)
        end = defect_day[buyers].fillna(as_of)
        rate = defect_day[buyers].notna().sum() / ((end - start).dt.days.sum() / 365.25)
        years = round(1 / rate, 1)
    factor = years if discount == 0 else (1 - (1 + discount) ** -years) / discount
    return sum(spend) / len(spend) * margin * factor
