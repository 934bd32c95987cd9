"""The Defection view's headline figures computed with plain pandas from the raw tables.

Independent of the SQL: it rebuilds each customer's purchase days, windows, annual spend, complaints and the
rules from the three raw tables, then counts. The BG/NBD fit checked against publish (fit) is its own: the
log-likelihood written out and minimised here. The statuses share the app's fitted model and P(alive) formula
(dashboard.metrics.defection.clv), so their counts can be compared exactly.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.optimize import minimize
from scipy.special import betaln, gammaln

from benchmarks.reference import staged
from dashboard.metrics.defection import clv
from dashboard.metrics.defection.prepare import WINDOW_MONTHS
from dashboard.metrics.defection.spec import (
    DAYS_PER_MONTH,
    FOLLOW_UP_DAYS,
    FOLLOW_UP_MONTHS,
    MIN_BASELINE_PURCHASES,
    MIN_FOLLOW_UP_CUSTOMERS,
    DefectionSpec,
)
from dashboard.metrics.money import MAX_YEARS
from dashboard.metrics.scope import NOT_SET, Filters

SHORT_HISTORY_DAYS = 91
LAPSE_DAYS, AT_RISK_DAYS, FCR_DAYS = 365, 90, 7
"""The staged definitions' defaults for data with churn labels or purchases (dashboard/staged/definitions.py)."""
AT_RISK_COMPLAINTS, COMPLAINT_DAYS = 2, 90


def customers_with_purchases(tables: dict[str, pd.DataFrame]) -> tuple[pd.DataFrame, pd.Timestamp, pd.DataFrame]:
    """One row per customer (prospects excluded) with first and last purchase, purchase days and annual spend; the
    as-of day (the staged one: the last day of any data); and the purchase days (customer_id, day, amount). A purchase is
    a day with a positive net amount."""
    customers, tx = tables["customers"].copy(), tables["transactions"]
    day = pd.to_datetime(tx["ts"]).dt.normalize()
    as_of = staged.as_of(tables)  # the one as-of day of every page: the last day of any data, not of the purchases
    days = (
        tx.assign(day=day).groupby(["customer_id", "day"], as_index=False)["amount"].sum().round({"amount": 2})
    )  # cents, as staged.sql.day_total
    days = days[days["day"] <= as_of]
    bought = days[days["amount"] > 0]
    per = bought.groupby("customer_id").agg(
        first_purchase=("day", "min"), last_purchase=("day", "max"), purchase_days=("day", "size")
    )
    first_spend = bought.sort_values("day").groupby("customer_id")["amount"].first()
    per["repeat_spend"] = (bought.groupby("customer_id")["amount"].sum() - first_spend) / (per["purchase_days"] - 1).where(
        per["purchase_days"] > 1
    )
    # the customers are the staged ones: every ID seen anywhere but prospects (a churned ID that never bought included)
    everyone, _ = staged.customers(tables)
    customers = everyone.loc[~everyone["is_prospect"]].drop(
        columns=["is_prospect", "purchases", "last_purchase", "defected", "defected_since"]
    )
    frame = customers.merge(per, left_on="customer_id", right_index=True, how="left")
    signup = pd.to_datetime(frame["signup_date"]) if "signup_date" in frame else pd.Series(pd.NaT, index=frame.index)
    frame["start_date"] = pd.concat([signup, frame["first_purchase"]], axis=1).min(axis=1)
    last = days["customer_id"].map(per["last_purchase"]) if len(per) else pd.Series(pd.NaT, index=days.index)
    in_year = days[(days["day"] > last - pd.Timedelta(days=365)) & (days["day"] <= last)]
    spend_year = in_year.groupby("customer_id")["amount"].sum()
    frame["spend_last_year"] = frame["customer_id"].map(spend_year)
    history = (frame["last_purchase"] - frame["start_date"]).dt.days
    full_year = frame["start_date"] <= frame["last_purchase"] - pd.Timedelta(days=365)
    frame["annual_spend"] = np.where(
        full_year, frame["spend_last_year"], frame["spend_last_year"] * 365 / np.maximum(history, SHORT_HISTORY_DAYS)
    )
    frame["churned_any"] = frame["churned"].fillna(False).astype(bool) | frame["churn_date"].notna()
    frame["churn_date"] = pd.to_datetime(frame["churn_date"])
    _staged(frame, tables, as_of)
    frame["segment"] = frame["segment"].fillna(NOT_SET)
    frame["region"] = frame["region"].fillna(NOT_SET)
    return frame.reset_index(drop=True), as_of, bought


def _staged(frame: pd.DataFrame, tables: dict[str, pd.DataFrame], tx_as_of: pd.Timestamp) -> None:
    """Add the staged defected (by label, else no purchase for more than LAPSE_DAYS), its date and at risk (no purchase
    for more than AT_RISK_DAYS, or AT_RISK_COMPLAINTS complaints in COMPLAINT_DAYS), assessed on the last day of the data."""
    ix = tables.get("interactions")
    days = [tx_as_of, frame["churn_date"].max()]
    if ix is not None and len(ix):
        days.append(pd.to_datetime(ix["ts"]).dt.normalize().max())
    as_of = max(d for d in days if pd.notna(d))
    lapsed = as_of > frame["last_purchase"] + pd.Timedelta(days=LAPSE_DAYS)
    frame["by_label"] = frame["churned_any"]
    frame["by_lapse"] = lapsed & ~frame["by_label"]
    frame["staged_since"] = frame["churn_date"].where(frame["by_label"], frame["last_purchase"] + pd.Timedelta(days=LAPSE_DAYS))
    quiet = as_of > frame["last_purchase"] + pd.Timedelta(days=AT_RISK_DAYS)
    recent = pd.Series(0, index=frame.index)
    if ix is not None and len(ix):
        k = ix[ix["stage"].astype("string").str.lower() == "complaint"]
        day = pd.to_datetime(k["ts"]).dt.normalize()
        k = k[(day <= as_of) & (as_of < day + pd.Timedelta(days=COMPLAINT_DAYS))]
        recent = frame["customer_id"].map(k.groupby("customer_id").size()).fillna(0)
    frame["staged_at_risk"] = ~(frame["by_label"] | lapsed) & (quiet | (recent >= AT_RISK_COMPLAINTS))


def _window_count(frame: pd.DataFrame, bought: pd.DataFrame, after: pd.Timestamp, upto: pd.Timestamp) -> np.ndarray:
    inside = bought[(bought["day"] > after) & (bought["day"] <= upto)]
    return frame["customer_id"].map(inside.groupby("customer_id").size()).fillna(0).to_numpy()


def complaints(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Complaint touchpoints with resolution days, unresolved and repeated flags."""
    ix = tables["interactions"]
    every = ix.assign(ts=pd.to_datetime(ix["ts"]), reason=ix["reason"].fillna(NOT_SET)).reset_index(drop=True)
    every = every.sort_values(["ts"], kind="stable")  # of two contacts at one moment, the earlier in the file first
    following = every.groupby(["customer_id", "reason"])["ts"].shift(-1)
    every["repeated"] = (following <= every["ts"] + pd.Timedelta(days=FCR_DAYS)).fillna(False)
    rows = every[every["stage"].astype("string").str.lower() == "complaint"].copy()
    rows["resolution_days"] = (pd.to_datetime(rows["resolved_ts"]) - rows["ts"]).dt.total_seconds() / 86400
    rows["unresolved"] = rows["resolved"].eq(False)
    return rows


def histories(frame: pd.DataFrame, as_of: pd.Timestamp) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each row's repeat purchases x, time of the last t_x and time observed T, in weeks from the first purchase."""
    x = frame["purchase_days"].to_numpy(float) - 1
    t_x = (frame["last_purchase"] - frame["first_purchase"]).dt.days.to_numpy(float) / 7
    T = (as_of - frame["first_purchase"]).dt.days.to_numpy(float) / 7
    return x, t_x, T


def buyer_histories(tables: dict[str, pd.DataFrame]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every buyer's (x, t_x, T) in weeks, rebuilt with pandas."""
    frame, as_of, _ = customers_with_purchases(tables)
    return histories(frame[frame["purchase_days"] > 0], as_of)


@dataclass(frozen=True)
class Fit:
    """BG/NBD parameters and the log-likelihood at them, from the independent fit below."""

    r: float
    alpha: float
    a: float
    b: float
    log_likelihood: float
    customers: int


def bgnbd_log_likelihood(
    params: np.ndarray, x: np.ndarray, t_x: np.ndarray, T: np.ndarray, weights: np.ndarray | None = None
) -> float:
    """Sum over customers of the BG/NBD log-likelihood (Fader, Hardie and Lee 2005, eq. 6), written out here:
    L = B(a, b+x)/B(a, b) · Γ(r+x) α^r / (Γ(r) (α+T)^(r+x))
        + [x > 0] · B(a+1, b+x−1)/B(a, b) · Γ(r+x) α^r / (Γ(r) (α+t_x)^(r+x));
    weights[i] is how many customers share row i's history (one each when not given)."""
    r, alpha, a, b = params
    common = gammaln(r + x) - gammaln(r) + r * np.log(alpha) - betaln(a, b)
    stays = betaln(a, b + x) - (r + x) * np.log(alpha + T)
    drops = np.full_like(x, -np.inf)
    repeat = x > 0
    drops[repeat] = betaln(a + 1, b + x[repeat] - 1) - (r + x[repeat]) * np.log(alpha + t_x[repeat])
    each = common + np.logaddexp(stays, drops)
    return float(np.sum(each if weights is None else weights * each))


def fit(tables: dict[str, pd.DataFrame]) -> Fit:
    """BG/NBD fitted on every buyer's (x, t_x, T) in weeks, rebuilt with pandas (see fit_histories)."""
    return fit_histories(*buyer_histories(tables))


def fit_histories(x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> Fit:
    """BG/NBD fitted here: Nelder-Mead (no gradient) on the log-parameters of the log-likelihood above, customers
    with the same (x, t_x, T) counted once with their number (a pandas value_counts), restarted from its own answer
    until it stops improving; nothing shared with dashboard.metrics.defection.clv's fit (L-BFGS-B, analytic gradient,
    parameters bounded)."""
    x, t_x, T = (np.asarray(v, float) for v in (x, t_x, T))
    same = pd.DataFrame({"x": x, "t_x": t_x, "T": T}).value_counts().reset_index(name="customers")
    rows = [same[column].to_numpy(float) for column in ("x", "t_x", "T", "customers")]

    def cost(log_params: np.ndarray) -> float:
        return -bgnbd_log_likelihood(np.exp(log_params), *rows) / len(x)

    start, best = np.log([1.0, float(np.mean(T)), 1.0, 1.0]), np.inf
    for _ in range(30):
        found = minimize(cost, start, method="Nelder-Mead", options={"xatol": 1e-10, "fatol": 1e-13, "maxiter": 1_000})
        if found.fun >= best - 1e-13:
            break
        start, best = found.x, found.fun
    r, alpha, a, b = (float(v) for v in np.exp(start))
    return Fit(r, alpha, a, b, -best * len(x), len(x))


def statuses(tables: dict[str, pd.DataFrame], spec: DefectionSpec) -> pd.DataFrame:
    """Per customer: the rules that fired, status, defection date and the money, as the Defection view defines them.

    P(defect) of the purchase rules is 1 − the probability alive of a BG/NBD fitted here when the data supports a
    fit (clv.data_needs), else 1; the lifetime value is the simple one.
    """
    d, v, filters = spec.definition, spec.valuation, spec.filters.validate()
    everyone, as_of, bought = customers_with_purchases(tables)
    model = None
    x, t_x, big_t = histories(everyone[everyone["purchase_days"] > 0], as_of)
    if not clv.data_needs(x, float(big_t.max()) if len(big_t) else 0.0):
        model = clv.fit_bgnbd(x, t_x, big_t)  # only when the data supports a fit, as at publish (staged at risk may fire)
    frame = everyone
    if filters.segments:
        frame = frame[frame["segment"].isin(filters.segments)]
    if filters.regions:
        frame = frame[frame["region"].isin(filters.regions)]
    recent_start = as_of - pd.DateOffset(months=d.recent_months)
    baseline_start = as_of - pd.DateOffset(months=d.recent_months + d.baseline_months)
    recent = _window_count(frame, bought, recent_start, as_of)
    base = _window_count(frame, bought, baseline_start, recent_start)
    seen_from = frame["first_purchase"].where(frame["first_purchase"] > baseline_start, baseline_start)
    seen = ((recent_start - seen_from).dt.days / DAYS_PER_MONTH).where(frame["first_purchase"] < recent_start)
    recent_rate = recent / d.recent_months
    frame = frame.assign(recent_rate=recent_rate, baseline_rate=base / seen)
    frame["fired_contract"] = d.contract & frame["by_label"]
    frame["fired_lapse"] = d.lapse & frame["by_lapse"]
    frame["fired_risk"] = frame["staged_at_risk"]
    drop = (seen >= min(d.baseline_months, d.recent_months)) & (base >= MIN_BASELINE_PURCHASES)
    frame["fired_drop"] = d.drop & (drop & (recent_rate < d.drop_pct / 100 * base / seen)).fillna(False)
    p_alive = np.full(len(frame), np.nan)
    if model is not None:
        buyers = frame["purchase_days"].fillna(0).to_numpy() > 0
        p_alive[buyers] = clv.p_alive(model, *histories(frame[buyers], as_of))
    frame["p_alive"] = p_alive
    frame["fired_alive"] = d.alive & (frame["p_alive"] < d.alive_pct / 100).fillna(False)
    window = complaints(tables)
    bad = window[
        (window["ts"] > as_of - pd.Timedelta(days=d.complaint_days))
        & (window["ts"] < as_of + pd.Timedelta(days=1))
        & ((window["resolution_days"] > d.sla_days) | window["unresolved"] | window["repeated"])
    ]
    frame["fired_complaint"] = d.complaint & frame["customer_id"].isin(set(bad["customer_id"]))
    warning = frame[["fired_risk", "fired_drop", "fired_alive", "fired_complaint"]].any(axis=1)
    frame["defected"] = frame["fired_contract"] | frame["fired_lapse"]
    frame["status"] = np.where(frame["defected"], "left", np.where(warning, "at risk", "active"))
    frame["defect_date"] = frame["staged_since"].where(frame["defected"])
    chance = spec.complaint_chance
    if chance is None:
        chance = _complaint_chance(everyone, as_of, window, d)
    dropped = spec.drop_chance
    if dropped is None:
        dropped = _drop_chance(frame, bought, as_of, d)
    purchase_rule = frame[["fired_drop", "fired_alive"]].any(axis=1)
    frame["p_defect"] = np.where(
        frame["status"] == "left",
        1.0,
        np.where(
            frame["status"] == "at risk",
            np.maximum.reduce(
                [
                    np.where(frame["fired_risk"], (1 - frame["p_alive"]).fillna(1.0), 0.0),
                    np.where(purchase_rule, (1 - frame["p_alive"]).fillna(dropped), 0.0),
                    np.where(frame["fired_complaint"], chance, 0.0),
                ]
            ),
            np.nan,
        ),
    )
    frame["value_if_retained"] = frame["annual_spend"] * v.margin * clv.annuity_factor(v.years, v.discount)
    at_risk = frame["status"] == "at risk"
    margin_years = frame["annual_spend"] * v.margin * min(v.years, MAX_YEARS)
    # a customer whose refunds outweigh their purchases has nothing at risk; none counts above the bound
    frame["risk_bound"] = np.where(at_risk, frame["p_defect"] * margin_years.clip(lower=0), np.nan)
    at_stake = np.minimum(frame["value_if_retained"], margin_years).clip(lower=0)
    frame["revenue_at_risk"] = np.where(at_risk, frame["p_defect"] * at_stake, np.nan)
    frame["in_period"], frame["defected_in_period"] = _period(frame, filters)
    return frame


def drop_chance(tables: dict[str, pd.DataFrame], spec: DefectionSpec) -> float:
    """Share of the customers in the selected segments and regions whom the own-baseline drop flagged 12 months before
    the as-of day (and who had not defected by then) who defected by the as-of day; 1 with fewer than 30 of them."""
    frame, as_of, bought = customers_with_purchases(tables)
    filters = spec.filters.validate()
    if filters.segments:
        frame = frame[frame["segment"].isin(filters.segments)]
    if filters.regions:
        frame = frame[frame["region"].isin(filters.regions)]
    return _drop_chance(frame, bought, as_of, spec.definition)


def _drop_chance(frame: pd.DataFrame, bought: pd.DataFrame, as_of: pd.Timestamp, d) -> float:
    back = FOLLOW_UP_MONTHS + d.recent_months + d.baseline_months
    if not d.drop or not (d.contract or d.lapse) or back > WINDOW_MONTHS:
        return 1.0
    past = as_of - pd.DateOffset(months=FOLLOW_UP_MONTHS)
    recent_start = as_of - pd.DateOffset(months=FOLLOW_UP_MONTHS + d.recent_months)
    baseline_start = as_of - pd.DateOffset(months=back)
    frame = frame[frame["purchase_days"].fillna(0) > 0]
    recent = _window_count(frame, bought, recent_start, past)
    base = _window_count(frame, bought, baseline_start, recent_start)
    seen_from = frame["first_purchase"].where(frame["first_purchase"] > baseline_start, baseline_start)
    seen = ((recent_start - seen_from).dt.days / DAYS_PER_MONTH).where(frame["first_purchase"] < recent_start).to_numpy()
    counted = (d.contract & frame["by_label"]) | (d.lapse & frame["by_lapse"].fillna(False).astype(bool))
    defect = frame["staged_since"].where(counted)
    with np.errstate(invalid="ignore", divide="ignore"):
        dropped = (seen >= min(d.baseline_months, d.recent_months)) & (base >= MIN_BASELINE_PURCHASES)
        dropped &= recent / d.recent_months < d.drop_pct / 100 * base / seen
    flagged = dropped & (defect.isna() | (defect > past)).to_numpy()
    left = flagged & (defect <= as_of).to_numpy()
    if flagged.sum() < MIN_FOLLOW_UP_CUSTOMERS:
        return 1.0
    return float(left.sum() / flagged.sum())


def complaint_chance(tables: dict[str, pd.DataFrame], spec: DefectionSpec) -> float:
    """Share of customers with a badly handled complaint a year or more before the as-of day who left within a year of it."""
    frame, as_of, _ = customers_with_purchases(tables)
    return _complaint_chance(frame, as_of, complaints(tables), spec.definition)


def _complaint_chance(frame: pd.DataFrame, as_of: pd.Timestamp, rows: pd.DataFrame, d) -> float:
    if not (d.contract or d.lapse):
        return 1.0  # without a rule that dates a defection, nobody can be seen to leave: every complainer counts
    bad = rows[(rows["resolution_days"] > d.sla_days) | rows["unresolved"] | rows["repeated"]]
    first = bad.groupby("customer_id")["ts"].min().dt.normalize()
    first = first[first <= as_of - pd.Timedelta(days=FOLLOW_UP_DAYS)]
    people = frame.set_index("customer_id").reindex(first.index)
    label = people["by_label"].fillna(False).astype(bool)
    counted = (d.contract & label) | (d.lapse & people["by_lapse"].fillna(False).astype(bool))
    defect = people["staged_since"].where(counted)
    followed = defect.isna() | (defect >= first)
    left = (defect >= first) & (defect <= first + pd.Timedelta(days=FOLLOW_UP_DAYS))
    if followed.sum() < MIN_FOLLOW_UP_CUSTOMERS:
        return 1.0
    return float(left.sum() / followed.sum())


def _period(frame: pd.DataFrame, filters: Filters) -> tuple[pd.Series, pd.Series]:
    in_period = pd.Series(True, index=frame.index)
    if filters.month_to:
        in_period &= frame["start_date"].isna() | (frame["start_date"] < pd.Timestamp(filters.period_end))
    if filters.month_from:
        before = frame["defect_date"] < pd.Timestamp(filters.month_from)
        in_period &= ~(frame["defected"] & frame["defect_date"].notna() & before)
    defected = in_period & frame["defected"]
    if filters.month_from or filters.month_to:
        lo = pd.Timestamp(filters.month_from) if filters.month_from else pd.Timestamp.min
        hi = pd.Timestamp(filters.period_end) if filters.month_to else pd.Timestamp.max
        defected &= frame["defect_date"].isna() | ((frame["defect_date"] >= lo) & (frame["defect_date"] < hi))
    return in_period, defected


def kpis(tables: dict[str, pd.DataFrame], spec: DefectionSpec) -> dict[str, float]:
    """Defection rate, defected, at risk, revenue at risk, value lost and lifetime value per current customer (None
    where the definition has no rule that dates a defection)."""
    frame = statuses(tables, spec)
    customers = frame["in_period"].sum()
    current = frame["status"] != "left"
    left = (frame["status"] == "left") & frame["defected_in_period"]
    d = spec.definition
    tells = staged.customers(tables)[1]
    dated = (d.contract or d.lapse) and tells  # unknown: "—", not 0
    judged = bool(d.rules) and (tells or d.drop or d.alive or d.complaint)  # at risk needs a way to tell, or a warning rule
    return {
        "defection_rate": frame["defected_in_period"].sum() / customers if customers and dated else None,
        "defected": float(frame["defected_in_period"].sum()) if dated else None,
        "at_risk": float((frame["status"] == "at risk").sum()) if judged else None,
        "revenue_at_risk": float(frame["revenue_at_risk"].sum()) if judged else None,
        "value_lost": float(frame.loc[left, "value_if_retained"].sum()) if dated else None,
        "lifetime_value": float(frame.loc[current, "value_if_retained"].mean()),
    }


def defection_by_segment(tables: dict[str, pd.DataFrame], spec: DefectionSpec) -> pd.Series:
    """Defection rate in the period per segment."""
    frame = statuses(tables, spec)
    scope = frame[frame["in_period"]]
    return scope.groupby("segment")["defected_in_period"].mean()


def revenue_at_risk_bound(tables: dict[str, pd.DataFrame], spec: DefectionSpec) -> float:
    """Σ over at-risk customers of P(defect) × annual spend × margin × min(expected years, MAX_YEARS)."""
    return float(statuses(tables, spec)["risk_bound"].sum())
