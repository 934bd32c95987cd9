"""The Behaviours figures computed with plain pandas from the raw tables, by the definitions in
dashboard.metrics.behaviours.adoption (customers of the period, customers in scope, derived behaviours in calendar months)."""

from __future__ import annotations

import math
from datetime import date

import pandas as pd

from benchmarks.reference import staged
from dashboard.metrics.behaviours.catalogue import FLAG, NO_CONTACT, RULE, SELF_SERVICE, Catalogue, Measure
from dashboard.metrics.scope import NOT_SET, Filters


def _month_index(ts: pd.Series) -> pd.Series:
    ts = pd.to_datetime(ts)
    return ts.dt.year * 12 + ts.dt.month - 1


def _rule(customers: pd.DataFrame, m: Measure) -> pd.Series:
    col = customers[m.column]
    value = m.value.strip()
    if m.operator == "is true":
        return col.eq(True)
    if m.operator == "is false":
        return col.eq(False)
    if m.operator == "is set":
        return col.notna()
    numeric = pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col)
    if m.operator in (">=", ">", "<=", "<", "equals", "not equals") and numeric:
        number = float(value.replace(",", ""))
        ops = {">=": col >= number, ">": col > number, "<=": col <= number, "<": col < number}
        ops |= {"equals": col == number, "not equals": col != number}
        return ops[m.operator].fillna(False) & col.notna()
    if m.operator in (">=", ">", "<=", "<") and m.column.endswith("date"):
        when = pd.Timestamp(date.fromisoformat(value))
        dates = pd.to_datetime(col)
        return {">=": dates >= when, ">": dates > when, "<=": dates <= when, "<": dates < when}[m.operator].fillna(False)
    text = col.astype("string").str.lower()
    lowered = value.lower()
    if m.operator == "equals":
        out = text == lowered
    elif m.operator == "not equals":
        out = text != lowered
    elif m.operator == "one of":
        out = text.isin([v.strip().lower() for v in value.split(",") if v.strip()])
    elif m.operator == "starts with":
        out = text.str.startswith(lowered)
    elif m.operator == "ends with":
        out = text.str.endswith(lowered)
    elif m.operator == "contains":
        out = text.str.contains(lowered, regex=False)
    else:
        out = {">=": text >= lowered, ">": text > lowered, "<=": text <= lowered, "<": text < lowered}[m.operator]
    return out.fillna(False).astype(bool)


def customer_flags(tables: dict[str, pd.DataFrame], catalogue: Catalogue, filters: Filters = Filters()) -> pd.DataFrame:
    """One row per customer of the period: segment, region, satisfaction, defected, active, in_scope, b_<key>, n_behaviours."""
    filters = filters.validate()
    # every ID seen anywhere, with the staged prospect, defected and defected-since (label date or lapse date)
    customers, _ = staged.customers(tables)
    transactions, interactions = tables["transactions"], tables["interactions"]
    prospects = set(customers.loc[customers["is_prospect"], "customer_id"])
    no_dates = pd.Series(pd.NaT, index=customers.index)
    churn_date = pd.to_datetime(customers["defected_since"])
    signup = pd.to_datetime(customers["signup_date"]) if "signup_date" in customers else no_dates
    defected = customers["defected"].astype("boolean").fillna(False).astype(bool)
    customers["segment"] = customers["segment"].fillna(NOT_SET) if "segment" in customers else NOT_SET
    customers["region"] = customers["region"].fillna(NOT_SET) if "region" in customers else NOT_SET
    keep = ~customers["customer_id"].isin(prospects)
    if filters.segments:
        keep &= customers["segment"].isin(filters.segments)
    if filters.regions:
        keep &= customers["region"].isin(filters.regions)
    if filters.month_to:
        keep &= signup.isna() | (signup < pd.Timestamp(filters.period_end))
    if filters.month_from:
        keep &= ~(defected & churn_date.notna() & (churn_date < pd.Timestamp(filters.month_from)))
    in_period_defected = defected.copy()
    if filters.month_to:
        in_period_defected &= churn_date.isna() | (churn_date < pd.Timestamp(filters.period_end))
    if filters.month_to:
        period_end_month = filters.month_to.year * 12 + filters.month_to.month - 1
    else:
        last = max(
            pd.to_datetime(transactions["ts"]).max() if len(transactions) else pd.NaT,
            pd.to_datetime(interactions["ts"]).max() if len(interactions) else pd.NaT,
        )
        period_end_month = int(last.year * 12 + last.month - 1) if pd.notna(last) else 0
    end_month = pd.Series(period_end_month, index=customers.index)
    dated = in_period_defected & churn_date.notna()
    end_month[dated] = _month_index(churn_date[dated])

    out = pd.DataFrame(
        {
            "customer_id": customers["customer_id"],
            "segment": customers["segment"],
            "region": customers["region"],
            "satisfaction": customers["satisfaction"] if "satisfaction" in customers else float("nan"),
            "defected": in_period_defected,
            "active": ~in_period_defected,
            "end_month": end_month,
        }
    )[keep].reset_index(drop=True)
    scoped_customers = customers[keep].reset_index(drop=True)

    contacts = pd.DataFrame()
    if len(interactions):
        started = interactions["initiated_by"].astype("string").str.strip().str.lower().fillna("customer") != "company"
        contacts = interactions[started & interactions["ts"].notna()].copy()
        contacts["channel"] = contacts["channel"].astype("string").str.strip().str.lower()
        contacts["month_index"] = _month_index(contacts["ts"])
        contacts = contacts.merge(out[["customer_id", "end_month"]], on="customer_id")
        contacts = contacts[contacts["month_index"] <= contacts["end_month"]]

    measured = []
    for behaviour in catalogue.behaviours:
        m = behaviour.measure
        column = f"b_{behaviour.key}"
        if m.kind in (FLAG, RULE) and m.column not in scoped_customers.columns:
            continue
        if m.kind in (NO_CONTACT, SELF_SERVICE) and not len(interactions):
            continue
        if m.kind == FLAG:
            out[column] = scoped_customers[m.column].fillna(False).astype(bool)
        elif m.kind == RULE:
            out[column] = _rule(scoped_customers, m).to_numpy()
        elif m.kind in (NO_CONTACT, SELF_SERVICE):
            window = contacts if m.months == 0 else contacts[contacts["month_index"] > contacts["end_month"] - m.months]
            on = window[window["channel"].isin(m.channels)].groupby("customer_id").size()
            on_n = out["customer_id"].map(on).fillna(0)
            if m.kind == NO_CONTACT:
                out[column] = on_n <= m.max_contacts
            else:
                every = out["customer_id"].map(window.groupby("customer_id").size())
                out[column] = (on_n >= m.min_share * every).fillna(False) & every.notna()
        else:
            continue
        measured.append(column)
    out["n_behaviours"] = out[measured].sum(axis=1).astype(int) if measured else 0
    scope = catalogue.scope
    if scope == "auto":
        scope = "active" if "churn_date" in tables["customers"].columns else "period"
    out["in_scope"] = out["active"] if scope == "active" else True
    return out.drop(columns=["end_month"])


def adoption(flags: pd.DataFrame) -> dict[str, float | None]:
    """Behaviour key -> adopters in scope ÷ customers in scope."""
    scoped = flags[flags["in_scope"]]
    columns = [c for c in flags.columns if c.startswith("b_")]
    return {c[2:]: (float(scoped[c].mean()) if len(scoped) else None) for c in columns}


def churn_with_without(flags: pd.DataFrame) -> dict[str, tuple[float | None, float | None]]:
    """Behaviour key -> (churn rate with it, churn rate without it) over the customers of the period."""
    out = {}
    for column in [c for c in flags.columns if c.startswith("b_")]:
        with_it, without = flags[flags[column]], flags[~flags[column]]
        out[column[2:]] = (
            float(with_it["defected"].mean()) if len(with_it) else None,
            float(without["defected"].mean()) if len(without) else None,
        )
    return out


def count_groups(flags: pd.DataFrame) -> pd.DataFrame:
    """Customers, mean satisfaction and churn rate by number of behaviours shown."""
    groups = flags.groupby("n_behaviours").agg(
        customers=("customer_id", "size"), mean_satisfaction=("satisfaction", "mean"), churn_rate=("defected", "mean")
    )
    return groups.reset_index().rename(columns={"n_behaviours": "behaviours"})


def _missing(value: float | None) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def close(a: float | None, b: float | None, tol: float = 1e-9) -> bool:
    """Whether two figures agree (both missing counts as agreeing)."""
    if _missing(a) or _missing(b):
        return _missing(a) and _missing(b)
    return math.isclose(float(a), float(b), rel_tol=tol, abs_tol=tol)
