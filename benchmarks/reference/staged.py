"""The staged definitions (dashboard/staged) rebuilt with plain pandas from the raw tables: who is a customer, who is a
prospect, who defected and since when, who is at risk, and whether the data can tell who left at all.

Independent of the SQL: only the vocabulary of relationship stages (dashboard.contract) and the default windows are
shared. A purchase is a day on which a customer's transactions add up to more than zero.
"""

from __future__ import annotations

import pandas as pd

from dashboard.contract import RELATIONSHIP_STAGES, normalise

LAPSE_DAYS, LEADS_LAPSE_DAYS = 365, 730
"""No purchase for this many days = defected (leads-to-deals data waits two years)."""
PROSPECT_LABELS = {normalise(RELATIONSHIP_STAGES.labels[0])} | {
    normalise(w) for w in RELATIONSHIP_STAGES.synonyms.get(RELATIONSHIP_STAGES.labels[0], ())
}


def _column(frame: pd.DataFrame, name: str) -> pd.Series:
    return frame[name] if name in frame else pd.Series(None, index=frame.index, dtype=object)


def _max_day(*values: object) -> pd.Timestamp | None:
    days = [pd.Timestamp(v) for v in values if v is not None and pd.notna(v)]
    return max(days) if days else None


def purchase_days(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """customer_id, day, amount: each customer's net amount per day (rows without an id, a time or an amount left out)."""
    tx = tables.get("transactions")
    if tx is None or not len(tx):
        return pd.DataFrame({"customer_id": [], "day": pd.Series([], dtype="datetime64[ns]"), "amount": []})
    tx = tx[tx["customer_id"].notna() & tx["ts"].notna() & tx["amount"].notna()]
    days = tx.assign(day=pd.to_datetime(tx["ts"]).dt.normalize())
    return (
        days.groupby(["customer_id", "day"], as_index=False)["amount"].sum().round({"amount": 2})
    )  # cents, as staged.sql.day_total


def as_of(tables: dict[str, pd.DataFrame]) -> pd.Timestamp | None:
    """The last day with a transaction or touchpoint (else the last signup or churn date), or a later churn date."""
    customers = tables.get("customers", pd.DataFrame())
    last_event = _max_day(
        *(pd.to_datetime(tables[t]["ts"]).dt.normalize().max() for t in ("transactions", "interactions") if t in tables)
    )
    churn = pd.to_datetime(_column(customers, "churn_date")).max()
    fallback = _max_day(pd.to_datetime(_column(customers, "signup_date")).max(), churn)
    return _max_day(last_event if last_event is not None else fallback, churn)


def customers(tables: dict[str, pd.DataFrame]) -> tuple[pd.DataFrame, bool]:
    """One row per ID seen in any table (customer_id, segment, region, satisfaction, is_prospect, purchases,
    last_purchase, defected, defected_since) and whether the data can tell who left.

    Prospect: with purchases in the data, the stage says prospect or the ID never bought and has no churn label;
    without purchases, the stage says prospect (no stage column: nobody). Defected: a churn flag or date, or no purchase
    for longer than the lapse window; unknown (None) for everyone when the data cannot tell who left.
    """
    table = tables.get("customers", pd.DataFrame({"customer_id": []})).drop_duplicates("customer_id")
    table = table[table["customer_id"].notna()]
    ids = set(table["customer_id"])
    for name in ("transactions", "interactions"):
        if name in tables:
            ids |= set(tables[name]["customer_id"].dropna())
    frame = pd.DataFrame({"customer_id": sorted(ids)}).merge(table, on="customer_id", how="left")
    days = purchase_days(tables)
    bought = days[days["amount"] > 0]
    per = bought.groupby("customer_id").agg(purchases=("day", "size"), last_purchase=("day", "max")).reset_index()
    frame = frame.merge(per, on="customer_id", how="left")
    frame["purchases"] = frame["purchases"].fillna(0).astype(int)
    frame["last_purchase"] = pd.to_datetime(frame["last_purchase"])
    labels = "churned" in table or "churn_date" in table
    flag = _column(frame, "churned").astype("boolean").fillna(False).astype(bool)
    churn_date = pd.to_datetime(_column(frame, "churn_date"))
    labelled = flag | churn_date.notna()
    has_purchases = bool(len(bought))
    stage = _column(frame, "stage")
    by_stage = stage.map(lambda s: None if s is None or pd.isna(s) else normalise(s) in PROSPECT_LABELS)
    if has_purchases:
        frame["is_prospect"] = by_stage.fillna(False).astype(bool) | ((frame["purchases"] == 0) & ~labelled)
    else:
        frame["is_prospect"] = by_stage.fillna(False).astype(bool)  # a null stage counts as a customer
    # kind of business: leads to deals (most listed never bought, few bought twice) waits longer for a lapse
    people, buyers = len(frame), int((frame["purchases"] > 0).sum())
    repeat = int((frame["purchases"] >= 2).sum())
    leads = not labels and has_purchases and 1 - buyers / people > 0.5 and repeat < 0.1 * buyers
    lapse = LEADS_LAPSE_DAYS if leads else LAPSE_DAYS
    day = as_of(tables)
    tx = tables.get("transactions")
    first_day = pd.to_datetime(tx.loc[tx["amount"].notna(), "ts"]).dt.normalize().min() if tx is not None else None
    span = (day - first_day).days if day is not None and first_day is not None and pd.notna(first_day) else 0
    tells = labels or (has_purchases and span > lapse)
    lapsed = frame["last_purchase"].notna() & (day > frame["last_purchase"] + pd.Timedelta(days=lapse)) if day else False
    defected = ~frame["is_prospect"] & (labelled | lapsed)
    frame["defected"] = defected if tells else None
    frame["defected_since"] = churn_date.where(churn_date.notna(), frame["last_purchase"] + pd.Timedelta(days=lapse))
    frame["defected_since"] = frame["defected_since"].where(defected & (churn_date.notna() | (lapsed & ~flag)))
    return frame, tells


AT_RISK_LABELS = {normalise(RELATIONSHIP_STAGES.labels[5])} | {
    normalise(w) for w in RELATIONSHIP_STAGES.synonyms.get(RELATIONSHIP_STAGES.labels[5], ())
}


def at_risk(tables: dict[str, pd.DataFrame], at_risk_days: int = 90, complaints: int = 2, complaint_days: int = 90) -> pd.Series:
    """Per customer of customers(tables) (same order): not defected and (the stage says at risk, or no purchase for more
    than at_risk_days, or at least `complaints` complaints on days within complaint_days up to the as-of day)."""
    frame, tells = customers(tables)
    if not tells:
        return pd.Series(None, index=frame.index, dtype="boolean")
    day = as_of(tables)
    stage = _column(frame, "stage").map(lambda s: s is not None and pd.notna(s) and normalise(s) in AT_RISK_LABELS)
    quiet = frame["last_purchase"].notna() & (day > frame["last_purchase"] + pd.Timedelta(days=at_risk_days))
    touch = tables.get("interactions", pd.DataFrame({"customer_id": [], "ts": [], "stage": []}))
    touch = touch[touch["customer_id"].notna() & touch["stage"].astype("string").str.lower().eq("complaint")]
    when = pd.to_datetime(touch["ts"]).dt.normalize()
    recent = touch[(when <= day) & (day < when + pd.Timedelta(days=complaint_days))].groupby("customer_id").size()
    complaining = frame["customer_id"].map(recent).fillna(0).ge(complaints) if complaints > 0 else False
    return frame["defected"].eq(False) & (stage.astype(bool) | quiet | complaining)
