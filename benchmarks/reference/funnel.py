"""The Funnel page's figures computed with plain pandas from the raw tables: stages on a date by the rules, stage
counts and conversion, breakdown, the transition matrix, a stage's customers, cohorts, the sales funnel, and
economics per stage. Written independently of the SQL, from the definitions in dashboard/metrics/."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from benchmarks.reference import staged
from dashboard.metrics.funnel.stages import StageModel
from dashboard.metrics.scope import NOT_SET, Filters

DAY = np.timedelta64(1, "D")
STAGED_LAPSE_DAYS, STAGED_AT_RISK_DAYS, STAGED_COMPLAINTS, STAGED_COMPLAINT_DAYS = 365, 90, 2, 90
"""The staged definitions' defaults (dashboard/staged/definitions.py): on the as-of day they place at risk and defected."""


@dataclass
class Prepared:
    """Per-customer facts the rules read, computed once from the raw tables."""

    customers: pd.DataFrame
    purchases: pd.DataFrame  # customer_id, day, k (1 = first purchase day)
    complaints: pd.DataFrame  # customer_id, day
    monthly: pd.DataFrame  # customer_id, month, spend, cost (known costs)
    tx_start: pd.Timestamp | None
    data_start: pd.Timestamp | None
    data_end: pd.Timestamp
    tells_defection: bool = True


def _day_of(ids: pd.Series, days: pd.Series) -> pd.Series:
    """Each id's day from days (indexed by id), NaT where it has none (pandas cannot map through an empty one)."""
    if days.empty:
        return pd.Series(pd.NaT, index=ids.index, dtype="datetime64[ns]")
    return ids.map(days)


def prepare(tables: dict[str, pd.DataFrame]) -> Prepared:
    """Purchase days (days whose amounts add up to more than zero), complaint days, customer since and churn dates."""
    customers = tables["customers"].copy()
    tx = tables["transactions"]
    ix = tables["interactions"]
    for col in ("segment", "region", "churned", "churn_date", "referrals", "acquisition_cost", "stage"):
        if col not in customers:
            customers[col] = None
    customers["segment"] = customers["segment"].fillna(NOT_SET)
    customers["region"] = customers["region"].fillna(NOT_SET)
    signup = pd.to_datetime(customers["signup_date"])
    tx_day = pd.to_datetime(tx["ts"]).dt.normalize()
    ix_day = pd.to_datetime(ix["ts"]).dt.normalize() if len(ix) else pd.Series(dtype="datetime64[ns]")
    daily = (
        tx.assign(day=tx_day).groupby(["customer_id", "day"], as_index=False)["amount"].sum().round({"amount": 2})
    )  # cents, as staged.sql.day_total
    purchases = daily[daily["amount"] > 0][["customer_id", "day"]].sort_values(["customer_id", "day"])
    purchases["k"] = purchases.groupby("customer_id").cumcount() + 1
    tx_start = tx_day.min() if len(tx) else None
    starts = [d for d in (tx_day.min() if len(tx) else None, ix_day.min() if len(ix) else None) if d is not None]
    ends = [d for d in (tx_day.max() if len(tx) else None, ix_day.max() if len(ix) else None) if d is not None]
    churn = pd.to_datetime(customers["churn_date"])
    data_start = min(starts) if starts else signup.min()
    data_end = max(ends) if ends else max(signup.max(), churn.max())
    if churn.notna().any():
        data_end = max(data_end, churn.max())
    first = purchases.groupby("customer_id")["day"].min()
    last = purchases.groupby("customer_id")["day"].max()
    customers["first_p"] = _day_of(customers["customer_id"], first)
    customers["last_p"] = _day_of(customers["customer_id"], last)
    if len(tx):
        pre_history = signup < tx_start
        customers["since"] = customers["first_p"].where(~pre_history | customers["first_p"].isna(), signup)
    else:
        customers["since"] = signup.fillna(data_start)
    customers["exists_from"] = pd.concat([signup, customers["first_p"]], axis=1).min(axis=1).fillna(data_start)
    churned = customers["churned"].fillna(False).astype(bool)
    fallback = (customers["last_p"] + DAY).fillna(customers["exists_from"])
    customers["churn_at"] = churn.where(churn.notna(), fallback.where(churned))
    customers["lead_date"] = signup
    if "stage" in ix:
        complaints = ix[ix["stage"].astype("string").str.lower() == "complaint"]
        complaints = pd.DataFrame({"customer_id": complaints["customer_id"], "day": ix_day[complaints.index]})
    else:
        complaints = pd.DataFrame({"customer_id": pd.Series(dtype=object), "day": pd.Series(dtype="datetime64[ns]")})
    tx_month = tx.assign(month=tx_day.dt.to_period("M").dt.to_timestamp())
    tx_m = tx_month.groupby(["customer_id", "month"], as_index=False).agg(
        spend=("amount", "sum"), cost=("cost", "sum") if "cost" in tx else ("amount", lambda s: 0.0)
    )
    if len(ix):
        ix_month = ix.assign(month=ix_day.dt.to_period("M").dt.to_timestamp())
        ix_m = ix_month.groupby(["customer_id", "month"], as_index=False).agg(cost=("cost", "sum"))
        monthly = pd.concat([tx_m, ix_m.assign(spend=0.0)], ignore_index=True)
        monthly = monthly.groupby(["customer_id", "month"], as_index=False)[["spend", "cost"]].sum()
    else:
        monthly = tx_m
    tells = staged.customers(tables)[1]
    return Prepared(customers, purchases, complaints, monthly, tx_start, data_start, data_end, tells)


def _entries(prep: Prepared, model: StageModel) -> pd.DataFrame:
    """Per customer the day each ladder role's own rule is first met (NaT = not met)."""
    c = prep.customers
    rules = model.rules
    since = c["since"]
    out = pd.DataFrame(index=c.index)
    out["prospect"] = c["exists_from"]
    out["first_purchase"] = since

    def kth(k: int) -> pd.Series:
        found = prep.purchases[prep.purchases["k"] == k].set_index("customer_id")["day"]
        return _day_of(c["customer_id"], found)

    def threshold(prefix: str) -> pd.Series:
        purchases, tenure = getattr(rules, f"{prefix}_purchases"), getattr(rules, f"{prefix}_tenure_days")
        join = getattr(rules, f"{prefix}_join")
        parts = []
        if purchases:
            parts.append(kth(purchases))
        if tenure:
            parts.append(since + tenure * DAY)
        if not parts:
            return since
        if len(parts) == 1:
            entry = parts[0]
        elif join == "or":
            entry = pd.concat(parts, axis=1).min(axis=1)
        else:
            both = pd.concat(parts, axis=1)
            entry = both.max(axis=1).where(both.notna().all(axis=1))
        return pd.concat([since, entry], axis=1).max(axis=1).where(since.notna() & entry.notna())

    out["repeat"] = threshold("repeat")
    out["loyal"] = threshold("loyal")
    refs = pd.to_numeric(c["referrals"], errors="coerce")
    if rules.advocate_referrals and refs.notna().any():
        out["advocate"] = out[rules.advocate_from].where(refs >= rules.advocate_referrals)
    else:
        out["advocate"] = pd.Series(pd.NaT, index=c.index, dtype="datetime64[ns]")
    return out


def stages_on(prep: Prepared, model: StageModel, day: date | None, filters: Filters = Filters()) -> pd.DataFrame:
    """customer_id, segment, region and role on the given day (end of day; None = the last day of the data) for the
    customers known then, by the model's rules."""
    rules = model.rules
    d = pd.Timestamp(prep.data_end if day is None else min(pd.Timestamp(day), prep.data_end))
    c = prep.customers
    keep = c["exists_from"] <= d
    if filters.segments:
        keep &= c["segment"].isin(filters.segments)
    if filters.regions:
        keep &= c["region"].isin(filters.regions)
    entries = _entries(prep, model)
    before = prep.purchases[prep.purchases["day"] <= d]
    last_before = _day_of(c["customer_id"], before.groupby("customer_id")["day"].max())
    days_since = (d - last_before).dt.days
    recent = prep.complaints[(prep.complaints["day"] > d - rules.at_risk_complaint_days * DAY) & (prep.complaints["day"] <= d)]
    complaints = c["customer_id"].map(recent.groupby("customer_id").size()).fillna(0)
    role = pd.Series("", index=c.index, dtype=object)
    decided = pd.Series(False, index=c.index)

    def assign(mask: pd.Series, value: str) -> None:
        nonlocal decided
        hit = mask.fillna(False) & ~decided
        role[hit] = value
        decided |= hit

    if d == prep.data_end:
        # the staged as-of day: at risk and defected are the staged answer every page reads (its default windows,
        # whatever the model's), and nobody is either where the data cannot tell who left
        if prep.tells_defection:
            # a churn flag or date says they have left by now (a flag's stand-in day, the day after the last purchase,
            # may fall after the last day of the data)
            flagged = c["churned"].astype("boolean").fillna(False).astype(bool)
            assign(flagged | pd.to_datetime(c["churn_date"]).notna(), "defected")
            assign(days_since > STAGED_LAPSE_DAYS, "defected")
            staged_recent = prep.complaints[
                (prep.complaints["day"] > d - STAGED_COMPLAINT_DAYS * DAY) & (prep.complaints["day"] <= d)
            ]
            staged_complaints = c["customer_id"].map(staged_recent.groupby("customer_id").size()).fillna(0)
            quiet = (days_since > STAGED_AT_RISK_DAYS) | (staged_complaints >= STAGED_COMPLAINTS)
            assign(quiet & c["since"].notna(), "at_risk")
        assign(c["since"].isna() | (c["since"] > d), "prospect")
    else:
        if rules.defected_on_churn:
            assign(c["churn_at"] <= d, "defected")
        assign(c["since"].isna() | (c["since"] > d), "prospect")
        if rules.defected_days:
            assign(days_since > rules.defected_days, "defected")
        if rules.at_risk_days:
            assign(days_since > rules.at_risk_days, "at_risk")
        if rules.at_risk_complaints:
            assign(complaints >= rules.at_risk_complaints, "at_risk")
    climbing = [r for r in model.ladder if r != "prospect"]
    for r in reversed(climbing[1:]):
        assign(entries[r] <= d, r)
    assign(pd.Series(True, index=c.index), climbing[0])
    out = c.loc[keep, ["customer_id", "segment", "region"]].copy()
    out["role"] = role[keep]
    return out


def reached(prep: Prepared, model: StageModel, day: date | None, filters: Filters = Filters()) -> dict[str, int]:
    """Per ladder role: customers known on day who had reached it or a higher stage by then."""
    d = pd.Timestamp(prep.data_end if day is None else min(pd.Timestamp(day), prep.data_end))
    known = stages_on(prep, model, day, filters).index
    entries = _entries(prep, model).loc[known]
    ladder = model.ladder
    return {role: int((entries[list(ladder[i:])].min(axis=1) <= d).sum()) for i, role in enumerate(ladder)}


def stage_counts(prep: Prepared, model: StageModel, day: date | None, filters: Filters = Filters()) -> dict[str, int]:
    """Customers per role on day."""
    found = stages_on(prep, model, day, filters)["role"].value_counts()
    return {role: int(found.get(role, 0)) for role in model.roles}


def breakdown(prep: Prepared, model: StageModel, day: date | None, by: str, top: int = 25) -> pd.DataFrame:
    """Customers per (value of by, role), values beyond the largest top summed as Other."""
    found = stages_on(prep, model, day)
    totals = found.groupby(by).size().reset_index(name="n").sort_values(["n", by], ascending=[False, True])
    kept = set(totals[by].head(top))
    found["value"] = found[by].where(found[by].isin(kept), "Other")
    return found.groupby(["value", "role"]).size().reset_index(name="customers")


def transition_matrix(prep: Prepared, model: StageModel, first: date, second: date, filters: Filters = Filters()) -> pd.DataFrame:
    """Customers per (role on first, role on second); 'new' for customers not yet known on first."""
    before = stages_on(prep, model, first, filters).set_index("customer_id")["role"]
    after = stages_on(prep, model, second, filters).set_index("customer_id")["role"]
    frame = pd.DataFrame({"from_role": before.reindex(after.index).fillna("new"), "to_role": after})
    return frame.groupby(["from_role", "to_role"]).size().reset_index(name="customers")


def stage_customers(prep: Prepared, model: StageModel, day: date | None, role: str, limit: int | None = 1000) -> list[str]:
    """The ids of the customers in role on day, sorted, the first limit of them."""
    found = stages_on(prep, model, day)
    ids = sorted(found.loc[found["role"] == role, "customer_id"])
    return ids[:limit] if limit else ids


def cohorts(prep: Prepared, model: StageModel, day: date | None, target: str) -> pd.DataFrame:
    """Per signup month inside the data and months since signup: share of the cohort that had reached target."""
    d = pd.Timestamp(prep.data_end if day is None else min(pd.Timestamp(day), prep.data_end))
    c = prep.customers
    entries = _entries(prep, model)
    ladder = model.ladder
    reach = entries[list(ladder[ladder.index(target) :])].min(axis=1)
    keep = c["lead_date"].notna() & (c["lead_date"] >= prep.data_start) & (c["exists_from"] <= d)
    cohort = c.loc[keep, "lead_date"].dt.to_period("M")
    got = reach[keep].where(reach[keep] <= d)
    months = (got.dt.to_period("M") - cohort).apply(lambda x: x.n if pd.notna(x) else np.nan)
    rows = []
    for month, ids in cohort.groupby(cohort).groups.items():
        observed = (d.to_period("M") - month).n
        size = len(ids)
        for m in range(observed + 1):
            rows.append({"cohort": month.to_timestamp(), "months": m, "share": float((months[ids] <= m).sum()) / size})
    return pd.DataFrame(rows)


def sales_funnel(prep: Prepared, window_days: int, day: date | None = None) -> tuple[int, int, int]:
    """Leads (signed up inside the data, window closed by day), those who ordered, those who did within the window."""
    d = pd.Timestamp(prep.data_end if day is None else min(pd.Timestamp(day), prep.data_end))
    c = prep.customers
    leads = c[c["lead_date"].notna() & (c["lead_date"] >= prep.data_start) & (c["lead_date"] <= d)]
    closed = leads[leads["lead_date"] + window_days * DAY <= d]
    ordered = closed["first_p"].notna() & (closed["first_p"] <= d)
    days = (closed["first_p"] - closed["lead_date"]).dt.days.clip(lower=0)
    return len(closed), int(ordered.sum()), int((ordered & (days <= window_days)).sum())


def economics(prep: Prepared, model: StageModel, start: date, end: date) -> pd.DataFrame:
    """Per role on the day before start: customers, spend and known direct cost in the months from start to end."""
    cohort = stages_on(prep, model, pd.Timestamp(start) - DAY)
    money = prep.monthly[(prep.monthly["month"] >= pd.Timestamp(start)) & (prep.monthly["month"] <= pd.Timestamp(end))]
    per = money.groupby("customer_id")[["spend", "cost"]].sum()
    cohort = cohort.join(per, on="customer_id").fillna({"spend": 0.0, "cost": 0.0})
    out = cohort.groupby("role").agg(customers=("customer_id", "size"), spend=("spend", "sum"), cost=("cost", "sum"))
    return out.reindex(list(model.roles)).fillna(0)
