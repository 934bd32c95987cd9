"""When each defection reason bites: cumulative incidence per churn reason with competing risks (Aalen-Johansen).

- Time: days from the customer's start (signup date, else first purchase) to defection (defected_since of the staged
  customers table); a customer still here is censored on the as-of day. Customers without a start, defectors without
  a date, and times below zero are left out (counted in `coverage`).
- Reason: churn_category when the data maps it, else churn_reason; the MAX_REASONS most common are kept and the rest
  pooled as OTHER; a dated defection without a reason is NO_REASON.
- Aalen-Johansen: at each event time t, with n customers still at risk (time >= t: censoring at t comes after the
  defections at t) and d_k defections for reason k, CIF_k(t) = CIF_k(t-) + S(t-) × d_k / n, where S is the overall
  Kaplan-Meier survival, S(t) = S(t-) × (1 − d / n). So the CIFs add up to 1 − S at every time.
"""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd

from dashboard.metrics.scope import Filters
from dashboard.sql import Sql, days_between, group_by_all, lit, sql
from dashboard.staged import profile as staged_profile
from dashboard.staged.sql import known_day
from dashboard.store import Version

MAX_REASONS = 6
"""Reasons drawn as their own line (the most common); the others are pooled."""
OTHER, NO_REASON = "all other reasons (pooled)", "no reason given"
COLUMNS = ["time", "reason", "cif", "survival"]


def aalen_johansen(counts: pd.DataFrame) -> pd.DataFrame:
    """Cumulative incidence per reason from counts (time, reason: None for censored, n): one row per event time and
    reason (time, reason, cif, survival = overall Kaplan-Meier just after time), starting at time 0 with cif 0."""
    counts = counts[counts["n"] > 0]
    events = counts[counts["reason"].notna()]
    if events.empty:
        return pd.DataFrame(columns=COLUMNS)
    reasons = sorted(events["reason"].unique(), key=lambda r: (-events.loc[events["reason"] == r, "n"].sum(), str(r)))
    times = np.sort(counts["time"].unique())
    leaving = counts.groupby("time")["n"].sum().reindex(times, fill_value=0).to_numpy()
    at_risk = leaving[::-1].cumsum()[::-1]  # customers whose time is t or later
    by_reason = events.pivot_table(index="time", columns="reason", values="n", aggfunc="sum").reindex(times, fill_value=0)
    by_reason = by_reason.fillna(0)[reasons].to_numpy(dtype=float)
    d = by_reason.sum(axis=1)
    keep = d > 0
    n, d, dk, t = at_risk[keep].astype(float), d[keep], by_reason[keep], times[keep]
    survival = np.cumprod(1 - d / n)
    before = np.concatenate([[1.0], survival[:-1]])
    cif = np.cumsum(before[:, None] * dk / n[:, None], axis=0)
    rows = [pd.DataFrame({"time": 0.0, "reason": reasons, "cif": 0.0, "survival": 1.0})]
    for j, reason in enumerate(reasons):
        rows.append(pd.DataFrame({"time": t.astype(float), "reason": reason, "cif": cif[:, j], "survival": survival}))
    return pd.concat(rows, ignore_index=True)[COLUMNS]


def counts_sql(version: Version, found: staged_profile.DataProfile, filters: Filters) -> Sql:
    """Select (time, reason, n, dated): customers per tenure day and reason (reason null: still here, censored);
    dated false for customers left out (no start, undated defection, negative time), counted with time null."""
    columns = version.columns.get("customers", ())
    reason = next((f"c.{c}" for c in ("churn_category", "churn_reason") if c in columns), "null")
    start = known_day("c.signup_date") if "signup_date" in columns else "cast(null as date)"
    seg = "c.segment" if "segment" in columns else "null"
    reg = "c.region" if "region" in columns else "null"
    wanted = ["customer_id", *(c for c in ("signup_date", "segment", "region", "churn_category", "churn_reason") if c in columns)]
    query = f"""
        with base as (
            select coalesce({start}, s.first_purchase) as start, s.defected,
                   case when s.defected then s.defected_since else cast({{as_of}} as date) end as stop,
                   case when s.defected then coalesce(nullif(trim(cast({reason} as varchar)), ''), {{no_reason}}) end as reason
            from {version.table("stg_customers")} s
            left join (select {", ".join(wanted)} from {version.table("customers")} where customer_id is not null) c
                using (customer_id)
            where s.counts_as_customer and s.defected is not null and {{scope}}
        ),
        timed as (
            select {days_between("start", "stop")} as time, reason from base
        )
        select case when time >= 0 then time end as time, reason, count(*) as n, coalesce(time >= 0, false) as dated
        from timed {group_by_all()}
    """
    return sql(query, as_of=lit(found.as_of), no_reason=lit(NO_REASON), scope=filters.dimension_sql(seg, reg))


def _pooled(counts: pd.DataFrame) -> pd.DataFrame:
    """Reasons beyond the MAX_REASONS most common pooled as OTHER (a reason NO_REASON stays its own)."""
    totals = counts[counts["reason"].notna()].groupby("reason")["n"].sum().sort_values(ascending=False, kind="stable")
    kept = set(totals.index[:MAX_REASONS])
    out = counts.copy()
    pool = out["reason"].notna() & ~out["reason"].isin(kept)
    out.loc[pool, "reason"] = OTHER
    return out.groupby(["time", "reason"], dropna=False, as_index=False)["n"].sum()


def reason_counts(cur: duckdb.DuckDBPyConnection, version: Version, filters: Filters = Filters()) -> pd.DataFrame:
    """Customers per tenure day and reason (counts_sql): the small frame the curves and the coverage are read from."""
    found = staged_profile.load(cur, version)
    if found.as_of is None or not version.has("customers"):
        return pd.DataFrame({"time": [], "reason": [], "n": [], "dated": []})
    return cur.execute(*counts_sql(version, found, filters)).df()


def curves_from(counts: pd.DataFrame) -> pd.DataFrame:
    """The cumulative incidence per reason (time, reason, cif, survival) from reason_counts; empty without dated
    defections."""
    dated = counts[counts["dated"].astype(bool)].drop(columns="dated")
    dated = dated.assign(reason=dated["reason"].astype(object).where(dated["reason"].notna(), None))
    return aalen_johansen(_pooled(dated))


def coverage_from(counts: pd.DataFrame) -> pd.DataFrame:
    """One row: customers, defected (dated, with a start), left_out (no start, an undated defection or a stop before
    the start), with_reason (dated defections with a reason)."""
    dated = counts["dated"].astype(bool)
    left = dated & counts["reason"].notna()
    row = {
        "customers": int(counts["n"].sum()),
        "defected": int(counts.loc[left, "n"].sum()),
        "left_out": int(counts.loc[~dated, "n"].sum()),
        "with_reason": int(counts.loc[left & (counts["reason"] != NO_REASON), "n"].sum()),
    }
    return pd.DataFrame([row])


def reasons_over_time(cur: duckdb.DuckDBPyConnection, version: Version, filters: Filters = Filters()) -> pd.DataFrame:
    """Cumulative incidence of defection per reason by days since the customer started (Aalen-Johansen; see the module
    docstring): time, reason, cif, survival. Empty when the data has no dated defections."""
    return curves_from(reason_counts(cur, version, filters))


def coverage(cur: duckdb.DuckDBPyConnection, version: Version, filters: Filters = Filters()) -> pd.DataFrame:
    """coverage_from the reason counts of version and filters."""
    return coverage_from(reason_counts(cur, version, filters))
