"""The Overview's KPIs and monthly trend computed with plain pandas from the raw tables."""

from __future__ import annotations

import pandas as pd

from benchmarks.reference import staged
from dashboard.metrics.scope import NOT_SET, Filters


def _prospects(tables: dict[str, pd.DataFrame]) -> set:
    """IDs that are prospects by the staged definition (see benchmarks.reference.staged)."""
    frame, _ = staged.customers(tables)
    return set(frame.loc[frame["is_prospect"], "customer_id"])


def _in_dims(frame: pd.DataFrame, filters: Filters) -> pd.Series:
    keep = pd.Series(True, index=frame.index)
    if filters.segments:
        keep &= frame["segment"].fillna(NOT_SET).isin(filters.segments)
    if filters.regions:
        keep &= frame["region"].fillna(NOT_SET).isin(filters.regions)
    return keep


def _events(tables: dict[str, pd.DataFrame], name: str, filters: Filters, prospects: set) -> pd.DataFrame:
    """The table's rows in scope: matching the dimensions and months, prospects' rows left out; anonymous rows (no
    customer ID) kept, under NOT_SET dimensions."""
    events = tables[name]
    dims = tables["customers"][["customer_id", "segment", "region"]].drop_duplicates("customer_id")
    merged = events.merge(dims, on="customer_id", how="left")
    merged["segment"] = merged["segment"].fillna(NOT_SET)
    merged["region"] = merged["region"].fillna(NOT_SET)
    keep = _in_dims(merged, filters) & ~merged["customer_id"].isin(prospects)
    ts = pd.to_datetime(merged["ts"])
    if filters.month_from:
        keep &= ts >= pd.Timestamp(filters.month_from)
    if filters.month_to:
        keep &= ts < pd.Timestamp(filters.period_end)
    return merged[keep]


def kpis(tables: dict[str, pd.DataFrame], filters: Filters) -> dict[str, float | None]:
    """KPI key -> value, by the staged definitions: customers are every ID seen anywhere but prospects; defected is the
    staged one (churn label or a purchase lapse), unknown where the data cannot tell who left; revenue and cost count
    every transaction (money is money), contacts leave out prospects' touchpoints; per customer leaves anonymous rows
    out of the numerator."""
    filters = filters.validate()
    frame, tells = staged.customers(tables)
    frame["segment"] = frame["segment"].fillna(NOT_SET)
    frame["region"] = frame["region"].fillna(NOT_SET)
    prospects = set(frame.loc[frame["is_prospect"], "customer_id"])
    signup = pd.to_datetime(frame["signup_date"]) if "signup_date" in frame else pd.Series(pd.NaT, index=frame.index)
    churned = frame["defected"].astype("boolean").fillna(False).astype(bool)
    since = pd.to_datetime(frame["defected_since"])
    scope = _in_dims(frame, filters) & ~frame["is_prospect"]
    if filters.month_to:
        scope &= signup.isna() | (signup < pd.Timestamp(filters.period_end))
    if filters.month_from:
        scope &= ~(churned & since.notna() & (since < pd.Timestamp(filters.month_from)))
    defected = scope & churned
    if filters.month_to:
        defected &= since.isna() | (since < pd.Timestamp(filters.period_end))
    n = int(scope.sum())
    tx = _events(tables, "transactions", filters, set())
    ix = _events(tables, "interactions", filters, prospects)
    revenue = float(tx["amount"].sum())
    cost = float(tx["cost"].sum() if "cost" in tx else 0) + float(ix["cost"].sum() if "cost" in ix else 0)
    named_revenue = float(tx.loc[tx["customer_id"].notna(), "amount"].sum())
    named_contacts = int(ix["customer_id"].notna().sum())
    satisfaction = frame.loc[scope, "satisfaction"] if "satisfaction" in frame else pd.Series(dtype=float)
    return {
        "customers": n,
        "active_customers": n - int(defected.sum()) if tells else n,
        "churn_rate": defected.sum() / n if n and tells else None,
        "revenue": revenue,
        "revenue_per_customer": named_revenue / n if n else None,
        "contacts_per_customer": named_contacts / n if n else None,
        "cost_to_serve": cost,
        "mean_satisfaction": float(satisfaction.mean()),
    }


def monthly_trend(tables: dict[str, pd.DataFrame], filters: Filters) -> pd.DataFrame:
    """Revenue and contacts per month in scope, as in dashboard.metrics.overview.monthly_trend."""
    filters = filters.validate()
    prospects = _prospects(tables)
    tx = _events(tables, "transactions", filters, set())  # every transaction counts in revenue
    ix = _events(tables, "interactions", filters, prospects)
    revenue = tx.groupby(pd.to_datetime(tx["ts"]).dt.to_period("M"))["amount"].sum().rename("revenue")
    contacts = ix.groupby(pd.to_datetime(ix["ts"]).dt.to_period("M")).size().rename("contacts")
    out = pd.concat([revenue, contacts], axis=1).fillna(0).sort_index()
    out.index = out.index.to_timestamp()
    for column, table in (("revenue", "transactions"), ("contacts", "interactions")):
        if tables.get(table) is None or tables[table].empty:  # no such table: unknown, not 0
            out[column] = float("nan")
    return out.rename_axis("month").reset_index()
