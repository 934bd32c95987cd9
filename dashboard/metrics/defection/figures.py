"""The Defection page's figures, derived from the two small frames the queries return (summary and timeline).

Each `*_from` function turns a summary or timeline frame into the small frame a chart or tile draws; each
figure also has a metric function `fn(cur, version, spec)` that runs the query and the derivation, for tests
and for pages that show one figure on its own.
"""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import date

import duckdb
import pandas as pd

from dashboard.contract import RELATIONSHIP_STAGES
from dashboard.formatting import NumberFormat
from dashboard.metrics import money
from dashboard.metrics.defection import status as defection
from dashboard.metrics.defection.spec import DefectionSpec, Definition, Valuation
from dashboard.metrics.scope import NOT_SET, Filters, as_date, month_start
from dashboard.sql import sql
from dashboard.store import Version

KPIS: tuple[tuple[str, str, str, str], ...] = (
    (
        "defection_rate",
        "Defection rate",
        "pct",
        "Customers who defected during the selected months ÷ customers during them. Defected = contract ended (churned "
        "flag or churn date) or no purchase for N days, as the definition says; a churned flag without a date counts "
        "in every period.",
    ),
    ("defected", "Defected", "count", "Customers who defected during the selected months (see Defection rate)."),
    (
        "at_risk",
        "At risk now",
        "count",
        "Customers who have not defected (contract not ended, not N days without a purchase) and who match another "
        "rule of the definition (own-baseline drop, low probability alive, badly handled complaint) on the as-of day: "
        "never the same customers as Defected. The months filter does not apply.",
    ),
    (
        "revenue_at_risk",
        "Revenue at risk",
        "money",
        "Σ over at-risk customers of P(defect) × remaining lifetime value, each at most P(defect) × annual margin × "
        "min(expected years, 10): what they could still bring in. P(defect) is 1 − BG/NBD probability alive for the "
        "purchase rules (without a fit, the observed share of customers whose purchases had dropped a year earlier who "
        "left within that year) and the observed share of badly handled complainers who left within a year for the "
        "complaint rule; the higher applies, 1 where fewer than 30 customers can be followed.",
    ),
    (
        "value_lost",
        "Lifetime value lost",
        "money",
        "Σ remaining lifetime value of the customers who defected during the selected months (contract ended or no "
        "purchase for N days): what they would have been worth had they stayed.",
    ),
    (
        "lifetime_value",
        "Lifetime value per customer",
        "money",
        "Mean lifetime value of current customers (contract not ended, not lapsed) by the chosen method, discounted.",
    ),
)
BREAKDOWNS = ("segment", "stage", "behaviours")
COHORT_UNITS = ("year", "quarter", "month")
MIN_OBSERVED = 10
"""A retention curve stops when fewer customers than this (or than 5 % of the cohort) are still observed."""


def _sum(frame: pd.DataFrame, column: str, mask: pd.Series | None = None) -> float:
    values = frame[column] if mask is None else frame.loc[mask, column]
    return float(values.sum())


# -- headline --------------------------------------------------------------------------------


def kpis_from(summary: pd.DataFrame, spec: DefectionSpec, *, tells_defection: bool = True) -> pd.DataFrame:
    """One row per headline figure (key, label, kind, value, definition, available), from a summary frame.
    tells_defection is the staged profile's: where the data cannot tell who left, the defection figures are not
    available (shown as "—", never 0), whatever rules the definition switches on."""
    d = spec.definition
    customers = _sum(summary, "n", summary["in_period"])
    defected = _sum(summary, "n", summary["defected_in_period"])
    current = summary["current"]
    expected_n = _sum(summary, "expected_n", current)
    has_defection = (d.contract or d.lapse) and tells_defection
    has_value = expected_n > 0
    left = (summary["status"] == "left") & summary["defected_in_period"]
    # at risk is known when the staged definition can tell it (it needs a way to tell defection) or an early-warning
    # rule the analyst switched on judges it; otherwise it is unknown ("—"), not 0
    has_risk = bool(d.rules) and (tells_defection or d.drop or d.alive or d.complaint)
    values = {
        "defection_rate": (defected / customers if customers and has_defection else None, has_defection),
        "defected": (defected if has_defection else None, has_defection),
        "at_risk": (_sum(summary, "n", summary["status"] == "at risk") if has_risk else None, has_risk),
        "revenue_at_risk": (_sum(summary, "revenue_at_risk") if has_value and has_risk else None, has_value and has_risk),
        "value_lost": (_sum(summary, "value_sum", left) if has_value and has_defection else None, has_value and has_defection),
        "lifetime_value": (_sum(summary, "expected_sum", current) / expected_n if has_value else None, has_value),
    }
    rows = []
    for key, label, kind, definition in KPIS:
        value, available = values[key]
        rows.append(
            {"key": key, "label": label, "kind": kind, "value": value, "definition": definition, "available": bool(available)}
        )
    return pd.DataFrame(rows)


def lifetime_value_from(summary: pd.DataFrame, valuation: Valuation) -> pd.DataFrame:
    """One row: current customers with a lifetime value, their mean annual spend and margin, mean lifetime value
    undiscounted and discounted, the total, and the mean probability alive (None without a BG/NBD fit)."""
    current = summary[summary["current"]]
    n = float(current["expected_n"].sum())
    alive_n = float(current["alive_n"].sum())
    spend = float(current["spend_sum"].sum()) / n if n else None
    return pd.DataFrame(
        [
            {
                "customers": int(n),
                "annual_spend": spend,
                "annual_margin": spend * valuation.margin if spend is not None else None,
                "discounted": float(current["expected_sum"].sum()) / n if n else None,
                "undiscounted": float(current["undiscounted_sum"].sum()) / n if n else None,
                "total": float(current["expected_sum"].sum()) if n else None,
                "p_alive": float(current["alive_sum"].sum()) / alive_n if alive_n else None,
                "method": valuation.method,
                "years": valuation.years if valuation.method == "simple" else float(valuation.horizon_years),
                "discount_pct": valuation.discount_pct,
                "margin_pct": valuation.margin_pct,
                "describe": valuation.describe(),
            }
        ]
    )


# -- who is leaving --------------------------------------------------------------------------


def breakdown_from(summary: pd.DataFrame, spec: DefectionSpec, *, tells_defection: bool = True) -> pd.DataFrame:
    """Per segment, stage and number of behaviours: customers and defected in the period, defection rate, at risk now,
    customers whose contract has not ended (customers_now), at-risk share, revenue at risk and lifetime value lost
    (dimension, value, ...), in order; no rows where the data cannot tell who left (tells_defection, the staged
    profile's), whose rates would read 0 % for "unknown"."""
    frames = []
    for dimension in BREAKDOWNS if tells_defection else ():
        if dimension == "stage" and spec.stage_source is None:
            continue
        if dimension == "behaviours" and spec.behaviour_source is None:
            continue
        keys = summary[dimension].astype("object").where(summary[dimension].notna(), NOT_SET)
        if dimension == "behaviours":
            keys = [NOT_SET if pd.isna(v) or v == NOT_SET else str(int(v)) for v in summary[dimension]]
        part = summary.assign(
            value=keys,
            in_n=summary["n"] * summary["in_period"],
            defected_n=summary["n"] * summary["defected_in_period"],
            at_risk_n=summary["n"] * (summary["status"] == "at risk"),
            staying_n=summary["n"] * (summary["status"] != "left"),
            lost=summary["value_sum"] * ((summary["status"] == "left") & summary["defected_in_period"]),
        )
        grouped = part.groupby("value", sort=False).agg(
            customers=("in_n", "sum"),
            defected=("defected_n", "sum"),
            at_risk=("at_risk_n", "sum"),
            customers_now=("staying_n", "sum"),
            revenue_at_risk=("revenue_at_risk", "sum"),
            value_lost=("lost", "sum"),
        )
        grouped = grouped.reset_index().assign(dimension=dimension)
        frames.append(_ordered(grouped, dimension))
    columns = ["dimension", "value", "customers", "defected", "rate", "at_risk", "customers_now", "at_risk_share"]
    columns += ["revenue_at_risk", "value_lost"]
    if not frames:
        return pd.DataFrame(columns=columns)
    frame = pd.concat(frames, ignore_index=True)
    frame["rate"] = frame["defected"] / frame["customers"].where(frame["customers"] > 0)
    frame["at_risk_share"] = frame["at_risk"] / frame["customers_now"].where(frame["customers_now"] > 0)
    return frame[columns]


def _ordered(frame: pd.DataFrame, dimension: str) -> pd.DataFrame:
    """Segments by size, stages in the relationship order, behaviour counts ascending; (not set) last."""
    if dimension == "behaviours":
        key = [int(v) if v != NOT_SET else 999 for v in frame["value"]]
    elif dimension == "stage":
        rank = {label: i for i, label in enumerate(RELATIONSHIP_STAGES.labels)}
        key = [rank.get(str(v).lower(), 900 if v != NOT_SET else 999) for v in frame["value"]]
    else:
        key = [-c if v != NOT_SET else 1 for v, c in zip(frame["value"], frame["customers"], strict=True)]
    return frame.assign(_key=key).sort_values(["_key", "value"]).drop(columns="_key")


def rates_by_month_from(timeline: pd.DataFrame, history_start: date | None, as_of: date | None, filters: Filters) -> pd.DataFrame:
    """Per calendar month from history_start to as_of (df_fit's), within the months of filters: customers at its start
    (joined by its end, not defected before it), defected in it, rate."""
    columns = ["month", "customers", "defected", "rate"]
    history_start, as_of = as_date(history_start), as_date(as_of)
    if timeline.empty or history_start is None or as_of is None:
        return pd.DataFrame(columns=columns)
    first, last = month_start(history_start), month_start(as_of)
    filters = filters.validate()
    first = max(first, filters.month_from) if filters.month_from else first
    last = min(last, filters.month_to) if filters.month_to else last
    months = pd.date_range(first, last, freq="MS")
    if len(months) == 0:
        return pd.DataFrame(columns=columns)
    start = pd.to_datetime(timeline["start_month"])
    defect = pd.to_datetime(timeline["defect_month"])
    n = timeline["n"].to_numpy()
    rows = []
    for month in months:
        present = (start.isna() | (start <= month)) & (defect.isna() | (defect >= month))
        rows.append((month.date(), int(n[present.to_numpy()].sum()), int(n[(defect == month).to_numpy()].sum())))
    frame = pd.DataFrame(rows, columns=["month", "customers", "defected"])
    frame["rate"] = frame["defected"] / frame["customers"].where(frame["customers"] > 0)
    return frame


# -- why -------------------------------------------------------------------------------------


def reasons_from(summary: pd.DataFrame) -> pd.DataFrame:
    """Pareto of churn reasons: leavers in the period by reason, most frequent first, with share, cumulative share and
    lifetime value lost; empty when no leaver gives a reason."""
    columns = ["reason", "customers", "value_lost", "share", "cumulative_share"]
    left = summary[(summary["status"] == "left") & summary["defected_in_period"]]
    if left.empty or left["main_reason"].isin([defection.NO_REASON, defection.RULE_LABELS["lapse"]]).all():
        return pd.DataFrame(columns=columns)  # no churn reason: lapsing is the definition, not a reason
    frame = (
        left.groupby("main_reason")
        .agg(customers=("n", "sum"), value_lost=("value_sum", "sum"))
        .reset_index()
        .rename(columns={"main_reason": "reason"})
        .sort_values(["customers", "reason"], ascending=[False, True], ignore_index=True)
    )
    frame["share"] = frame["customers"] / frame["customers"].sum()
    frame["cumulative_share"] = frame["share"].cumsum()
    return frame[columns]


def handling_from(summary: pd.DataFrame, *, tells_defection: bool = True) -> pd.DataFrame:
    """Defection rate in the period by how the customer's complaints in the period were handled (the worst counts); no
    rows where the data cannot tell who left."""
    scope = summary[summary["in_period"] & tells_defection]
    frame = (
        scope.assign(defected_n=scope["n"] * scope["defected_in_period"])
        .groupby("handling")
        .agg(customers=("n", "sum"), defected=("defected_n", "sum"))
        .reset_index()
    )
    order = {h: i for i, h in enumerate((*defection.HANDLING, defection.NO_COMPLAINT))}
    frame = frame.assign(_order=frame["handling"].map(order)).sort_values("_order").drop(columns="_order")
    frame["rate"] = frame["defected"] / frame["customers"].where(frame["customers"] > 0)
    return frame.reset_index(drop=True)


def complaints_from(counts: pd.DataFrame, summary: pd.DataFrame, silent_per_complaint: float) -> pd.DataFrame:
    """One row: complaints and complainers in the period; silent customers = complainers × the multiplier (an
    assumption), at most the customers in the period who did not complain (silent customers are customers: the
    sample's 9,340 complainers × 26 gave 242,840 against 18,636 customers); the uncapped product, and whether the cap
    applied (capped)."""
    row = counts.iloc[0]
    customers = int(_sum(summary, "n", summary["in_period"]))
    complainers = int(row["complainers"])
    wanted = float(complainers) * silent_per_complaint
    room = float(max(customers - complainers, 0))
    return pd.DataFrame(
        [
            {
                "complaints": int(row["complaints"]),
                "complainers": complainers,
                "silent_per_complaint": float(silent_per_complaint),
                "silent": min(wanted, room),
                "silent_uncapped": wanted,
                "customers": customers,
                "capped": bool(wanted > room),
            }
        ]
    )


# -- what it costs ---------------------------------------------------------------------------


def value_by_reason_from(summary: pd.DataFrame, *, tells_defection: bool = True) -> pd.DataFrame:
    """Money by reason: lifetime value lost with leavers in the period (by churn reason) and revenue at risk now (by
    the main rule that flagged the customer); columns kind ('lost' or 'at risk'), reason, customers, value; no 'lost'
    rows where the data cannot tell who left."""
    left = summary[(summary["status"] == "left") & summary["defected_in_period"] & tells_defection]
    risk = summary[summary["status"] == "at risk"]
    parts = [
        left.groupby("main_reason").agg(customers=("n", "sum"), value=("value_sum", "sum")).reset_index().assign(kind="lost"),
        risk.groupby("main_reason")
        .agg(customers=("n", "sum"), value=("revenue_at_risk", "sum"))
        .reset_index()
        .assign(kind="at risk"),
    ]
    frame = pd.concat(parts, ignore_index=True).rename(columns={"main_reason": "reason"})
    frame = frame.sort_values(["kind", "value", "reason"], ascending=[False, False, True], ignore_index=True)
    return frame[["kind", "reason", "customers", "value"]]


def risk_bound_from(summary: pd.DataFrame) -> pd.DataFrame:
    """One row: customers at risk now, their revenue at risk and its bound, Σ P(defect) × annual margin × min(expected
    years, money.MAX_YEARS) (what they could plausibly still bring in)."""
    risk = summary[summary["status"] == "at risk"]
    return pd.DataFrame(
        [{"at_risk": int(risk["n"].sum()), "revenue_at_risk": _sum(risk, "revenue_at_risk"), "bound": _sum(risk, "risk_bound")}]
    )


def implied_years_from(timeline: pd.DataFrame) -> pd.DataFrame:
    """Expected years as a customer implied by the data: 1 ÷ annual defection rate, the rate being dated defections
    per customer-year observed (one row: annual_rate, years; None without defections)."""
    if timeline.empty:
        return pd.DataFrame([{"annual_rate": None, "years": None}])
    exposure_years = float(timeline["exposure_days"].sum()) / 365.25
    defections = float(timeline.loc[timeline["event"], "n"].sum())
    rate = defections / exposure_years if exposure_years and defections else None
    return pd.DataFrame([{"annual_rate": rate, "years": 1 / rate if rate else None}])


# -- retention -------------------------------------------------------------------------------


def retention_from(
    timeline: pd.DataFrame, cohort: str = "year", min_observed: int = MIN_OBSERVED, *, tells_defection: bool = True
) -> pd.DataFrame:
    """Kaplan-Meier share of each signup cohort not yet defected k months after joining (cohort, cohort_start, months,
    retained, observed, customers); customers who joined before the data starts and undated leavers are left out.

    A customer still here on the as-of day is observed until then (censored): the share retained at month k is
    Π over earlier months j of (1 − defections in month j ÷ customers still observed at its start). No curves where the
    data cannot tell who left (they would read 100 % retained for "unknown").
    """
    if cohort not in COHORT_UNITS:
        raise ValueError(f"cohort must be one of {', '.join(COHORT_UNITS)}")
    columns = ["cohort", "cohort_start", "months", "retained", "observed", "customers"]
    inside = timeline[timeline["in_window"] & timeline["months"].notna() & tells_defection]
    if inside.empty:
        return pd.DataFrame(columns=columns)
    starts = pd.to_datetime(inside["start_month"])
    freq = {"year": "Y", "quarter": "Q", "month": "M"}[cohort]
    inside = inside.assign(cohort_start=starts.dt.to_period(freq).dt.start_time.dt.date)
    rows = []
    for cohort_start, group in inside.groupby("cohort_start", sort=True):
        size = int(group["n"].sum())
        events = group[group["event"]].groupby("months")["n"].sum()
        exits = group.groupby("months")["n"].sum()
        observed, retained = size, 1.0
        for k in range(int(group["months"].max()) + 1):
            if observed < max(min_observed, 0.05 * size):
                break
            rows.append((_cohort_label(cohort_start, cohort), cohort_start, k, retained, observed, size))
            retained *= 1 - events.get(k, 0) / observed
            observed -= int(exits.get(k, 0))
    return pd.DataFrame(rows, columns=columns)


def _cohort_label(start: date, unit: str) -> str:
    if unit == "year":
        return f"{start:%Y}"
    if unit == "quarter":
        return f"{start:%Y} Q{(start.month - 1) // 3 + 1}"
    return f"{start:%b %Y}"


# -- the story -------------------------------------------------------------------------------


def story(kpi_frame: pd.DataFrame, reason_frame: pd.DataFrame, number_format: NumberFormat) -> list[str]:
    """Two or three sentences a facilitator can read out: how many leave, the top reason, what is at risk."""
    values = {k: v for k, v in zip(kpi_frame["key"], kpi_frame["value"], strict=True) if v is not None and not math.isnan(v)}
    lines = []
    if "defection_rate" in values:
        lines.append(
            f"{number_format.number(values['defected'])} customers defected in the selected months: "
            f"{number_format.pct(values['defection_rate'])} of the customers we had."
        )
    if not reason_frame.empty:
        top = reason_frame.iloc[0]
        lines.append(f"The commonest reason is “{top['reason']}”: {number_format.pct(top['share'])} of the leavers.")
    if "revenue_at_risk" in values and values.get("at_risk"):
        lines.append(
            f"{number_format.number(values['at_risk'])} customers are at risk now, putting "
            f"{number_format.money(values['revenue_at_risk'])} of lifetime value at risk."
        )
    return lines


# -- metric functions (query + derivation) -----------------------------------------------------


def value_spec(spec: DefectionSpec) -> DefectionSpec:
    """The part of spec the lifetime value of its current customers depends on: the regions, the definition and the
    valuation. Not the months (who is current does not depend on them), not the chances of leaving (never read by a
    lifetime value) and not the segments (lifetime_value_in keeps the summary's rows of those): so a segment or period
    change on What-if and Drivers reads the summary from the cache."""
    return replace(spec, filters=Filters(regions=spec.filters.regions), complaint_chance=1.0, drop_chance=1.0)


def lifetime_value_in(summary: pd.DataFrame, valuation: Valuation, segments: tuple[str, ...] = ()) -> pd.DataFrame:
    """lifetime_value_from over the summary's rows of segments (all rows when none; a blank segment is NOT_SET, as the
    segment filter reads it)."""
    if segments:
        keys = summary["segment"].astype(object).where(summary["segment"].notna(), NOT_SET)
        summary = summary[keys.isin(list(segments))]
    return lifetime_value_from(summary, valuation)


def lifetime_value(cur: duckdb.DuckDBPyConnection, version: Version, spec: DefectionSpec) -> pd.DataFrame:
    """Mean lifetime value of the current customers in spec's scope (see lifetime_value_from and value_spec)."""
    spec = spec.validate()
    return lifetime_value_in(defection.summary(cur, version, value_spec(spec)), spec.valuation, spec.filters.segments)


def lifetime_from(timeline: pd.DataFrame) -> money.Lifetime:
    """Expected years as a customer from a timeline: 1 ÷ the measured annual defection rate, capped (money.expected_lifetime)."""
    rate = implied_years_from(timeline).iloc[0]["annual_rate"]
    return money.expected_lifetime(None if rate is None or pd.isna(rate) else float(rate))


def lifetime_spec(definition: Definition) -> DefectionSpec:
    """The spec whose timeline measures the dataset's expected lifetime: the definition over every customer."""
    return defection.timeline_spec(DefectionSpec(definition=definition))


def company_lifetime_value(cur: duckdb.DuckDBPyConnection, version: Version, filters: Filters) -> pd.DataFrame:
    """One row: current customers in scope (not staged as defected) with the company's own lifetime value
    (customers.lifetime_value), their mean and total; no rows when the dataset does not carry it."""
    if not version.has("customers", "lifetime_value"):
        return pd.DataFrame(columns=["customers", "mean", "total"])
    query = sql(
        f"""
        select count(lifetime_value) as customers, avg(lifetime_value) as mean, coalesce(sum(lifetime_value), 0) as total
        from {version.table("customers")} c
        join {version.table("stg_customers")} s using (customer_id)
        where not coalesce(s.defected, false) and {{}}
        """,
        filters.validate().dimension_sql("c.segment", "c.region"),
    )
    return cur.execute(*query).df()
