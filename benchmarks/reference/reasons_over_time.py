"""Defection reasons over time (dashboard/metrics/defection/reasons.py) rebuilt with plain pandas and a plain loop.

Independent of the SQL: the staged customers come from benchmarks/reference/staged.py, and the Aalen-Johansen
estimator is written out customer by customer. Only the pooling constants are shared.
"""

from __future__ import annotations

import pandas as pd

from benchmarks.reference import staged
from dashboard.metrics.defection.reasons import MAX_REASONS, NO_REASON, OTHER


def tenure_and_reason(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """One row per customer whose defection is known and dated (or who is still here): time in days, reason (None:
    still here, censored on the as-of day)."""
    frame, tells = staged.customers(tables)
    if not tells:
        return pd.DataFrame({"time": [], "reason": []})
    frame = frame[~frame["is_prospect"] & frame["defected"].notna()].copy()
    days = staged.purchase_days(tables)
    first = days[days["amount"] > 0].groupby("customer_id")["day"].min()
    signup = pd.to_datetime(frame["signup_date"]) if "signup_date" in frame else pd.Series(pd.NaT, index=frame.index)
    bought = pd.to_datetime(frame["customer_id"].map(first.to_dict()).astype(object))
    start = signup.where(signup.notna(), bought)
    as_of = staged.as_of(tables)
    defected = frame["defected"].astype(bool)
    stop = pd.to_datetime(frame["defected_since"]).where(defected, as_of)
    column = next((c for c in ("churn_category", "churn_reason") if c in frame), None)
    said = frame[column].astype(object) if column else pd.Series(None, index=frame.index, dtype=object)
    said = said.map(lambda v: None if v is None or pd.isna(v) or not str(v).strip() else str(v).strip())
    reason = said.where(said.notna(), NO_REASON).where(defected, None)
    reason = [None if pd.isna(r) else r for r in reason]
    out = pd.DataFrame({"time": (stop.dt.normalize() - start.dt.normalize()).dt.days, "reason": reason}, index=frame.index)
    return out[out["time"].notna() & (out["time"] >= 0)]


def cumulative_incidence(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """time, reason, cif, survival at each event time (and 0): the metric's frame, rebuilt."""
    rows = tenure_and_reason(tables)
    counts = rows["reason"].dropna().value_counts()
    ranked = sorted(counts.index, key=lambda r: (-counts[r], r))
    kept = set(ranked[:MAX_REASONS])
    rows["reason"] = [None if pd.isna(r) else r if r in kept else OTHER for r in rows["reason"]]
    told = [r for r in rows["reason"] if not pd.isna(r)]
    reasons = sorted(set(told), key=lambda r: (-told.count(r), r))
    cif = dict.fromkeys(reasons, 0.0)
    survival = 1.0
    out = [{"time": 0.0, "reason": r, "cif": 0.0, "survival": 1.0} for r in reasons]
    times = sorted(set(rows.loc[rows["reason"].notna(), "time"]))
    for t in times:
        at_risk = int((rows["time"] >= t).sum())
        here = rows[rows["time"] == t]
        for r in reasons:
            cif[r] += survival * int((here["reason"] == r).sum()) / at_risk
        survival *= 1 - int(here["reason"].notna().sum()) / at_risk
        out += [{"time": float(t), "reason": r, "cif": cif[r], "survival": survival} for r in reasons]
    return pd.DataFrame(out, columns=["time", "reason", "cif", "survival"])
