"""The Overview's KPIs and monthly trend computed with plain pandas from the raw tables."""

from __future__ import annotations

import pandas as pd

from dashboard.metrics.scope import NOT_SET, Filters


def _prospects(tables: dict[str, pd.DataFrame]) -> set:
    customers, transactions = tables["customers"], tables["transactions"]
    stage = customers["stage"] if "stage" in customers else pd.Series(None, index=customers.index, dtype=object)
    by_stage = stage.astype("string").str.lower().eq("prospect").fillna(False)
    if len(transactions):
        by_activity = ~customers["customer_id"].isin(set(transactions["customer_id"]))
    else:
        by_activity = pd.Series(False, index=customers.index)
    return set(customers.loc[by_stage | by_activity, "customer_id"])


def _in_dims(frame: pd.DataFrame, filters: Filters) -> pd.Series:
    keep = pd.Series(True, index=frame.index)
    if filters.segments:
        keep &= frame["segment"].fillna(NOT_SET).isin(filters.segments)
    if filters.regions:
        keep &= frame["region"].fillna(NOT_SET).isin(filters.regions)
    return keep


def _events(tables: dict[str, pd.DataFrame], name: str, filters: Filters, prospects: set) -> pd.DataFrame:
    events = tables[name]
    dims = tables["customers"][["customer_id", "segment", "region"]]
    merged = events.merge(dims, on="customer_id", how="left")
    keep = _in_dims(merged, filters) & ~merged["customer_id"].isin(prospects)
    ts = pd.to_datetime(merged["ts"])
    if filters.month_from:
        keep &= ts >= pd.Timestamp(filters.month_from)
    if filters.month_to:
        keep &= ts < pd.Timestamp(filters.period_end)
    return merged[keep]


def kpis(tables: dict[str, pd.DataFrame], filters: Filters) -> dict[str, float | None]:
    """KPI key -> value, by the definitions in dashboard.metrics.overview."""
    filters = filters.validate()
    customers = tables["customers"]
    prospects = _prospects(tables)
    churned = customers["churned"].fillna(False).astype(bool) | customers["churn_date"].notna()
    signup = pd.to_datetime(customers["signup_date"])
    churn_date = pd.to_datetime(customers["churn_date"])
    scope = _in_dims(customers, filters) & ~customers["customer_id"].isin(prospects)
    if filters.month_to:
        scope &= signup.isna() | (signup < pd.Timestamp(filters.period_end))
    if filters.month_from:
        scope &= ~(churned & churn_date.notna() & (churn_date < pd.Timestamp(filters.month_from)))
    defected = scope & churned
    if filters.month_to:
        defected &= churn_date.isna() | (churn_date < pd.Timestamp(filters.period_end))
    n = int(scope.sum())
    tx = _events(tables, "transactions", filters, prospects)
    ix = _events(tables, "interactions", filters, prospects)
    revenue = float(tx["amount"].sum())
    cost = float(tx["cost"].sum() if "cost" in tx else 0) + float(ix["cost"].sum() if "cost" in ix else 0)
    return {
        "customers": n,
        "active_customers": n - int(defected.sum()),
        "churn_rate": defected.sum() / n if n else None,
        "revenue": revenue,
        "revenue_per_customer": revenue / n if n else None,
        "contacts_per_customer": len(ix) / n if n else None,
        "cost_to_serve": cost,
        "mean_satisfaction": float(customers.loc[scope, "satisfaction"].mean()),
    }


def monthly_trend(tables: dict[str, pd.DataFrame], filters: Filters) -> pd.DataFrame:
    """Revenue and contacts per month in scope, as in dashboard.metrics.overview.monthly_trend."""
    filters = filters.validate()
    prospects = _prospects(tables)
    tx = _events(tables, "transactions", filters, prospects)
    ix = _events(tables, "interactions", filters, prospects)
    revenue = tx.groupby(pd.to_datetime(tx["ts"]).dt.to_period("M"))["amount"].sum().rename("revenue")
    contacts = ix.groupby(pd.to_datetime(ix["ts"]).dt.to_period("M")).size().rename("contacts")
    out = pd.concat([revenue, contacts], axis=1).fillna(0).sort_index()
    out.index = out.index.to_timestamp()
    return out.rename_axis("month").reset_index()
