"""The dataset's saved definitions behind the staged tables (setting "staged.definitions"), defaults chosen from the
data's profile, and every choice in words for the pages."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields, replace
from typing import Any

import duckdb

from dashboard.sql import lit, sql
from dashboard.staged.profile import CONTACTS_ONLY, CONTRACT, LEADS_TO_DEALS, DataProfile

SETTING = "staged.definitions"
MIN_WINDOW = 14
"""Shortest at-risk or lapse window in days (the Funnel keeps purchase gaps from this length)."""


@dataclass(frozen=True)
class Definitions:
    """Windows in days: a contact repeats within fcr_days; no purchase for lapse_days = defected, for at_risk_days = at
    risk; at_risk_complaints complaints (0 = off) within complaint_days = at risk."""

    fcr_days: int = 7
    lapse_days: int = 365
    at_risk_days: int = 90
    at_risk_complaints: int = 2
    complaint_days: int = 90

    def validate(self) -> Definitions:
        """Self when every window is in range and at risk comes before defected; ValueError naming the first fault."""
        limits = {
            "fcr_days": (1, 365),
            "lapse_days": (MIN_WINDOW, 3650),
            "at_risk_days": (MIN_WINDOW, 3650),
            "at_risk_complaints": (0, 1000),
            "complaint_days": (1, 3650),
        }
        for name, (lo, hi) in limits.items():
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
                raise ValueError(f"{name.replace('_', ' ')} must be a whole number from {lo} to {hi}")
        if self.at_risk_days >= self.lapse_days:
            raise ValueError("a customer must go without buying longer to count as defected than as at risk")
        return self

    def to_setting(self) -> dict:
        """The definitions as a JSON-ready dict."""
        return asdict(self)

    @classmethod
    def from_setting(cls, value: Any, default: Definitions) -> Definitions:
        """Definitions from a saved dict over default (unknown keys ignored); default when invalid."""
        if not isinstance(value, dict):
            return default
        known = {f.name for f in fields(cls)}
        try:
            return replace(default, **{k: int(v) for k, v in value.items() if k in known}).validate()
        except (TypeError, ValueError):
            return default


def defaults_for(profile: DataProfile) -> Definitions:
    """The definitions a dataset starts with: a year without a purchase is defected, 90 days at risk; deals come
    rarely, so leads-to-deals data waits two years and one year."""
    if profile.kind == LEADS_TO_DEALS:
        return Definitions(lapse_days=730, at_risk_days=365)
    return Definitions()


def with_known_defection(profile: DataProfile, definitions: Definitions) -> DataProfile:
    """profile marked with whether defection can be told under definitions: churn labels or a stage column that labels who left,
    or purchases over a longer span than the lapse window (two months of orders cannot show a year without a purchase)."""
    known = profile.labels_who_left or (profile.has_purchases and profile.purchase_span_days > definitions.lapse_days)
    return replace(profile, defection_known=known)


def load(cur: duckdb.DuckDBPyConnection, dataset: str, profile: DataProfile) -> Definitions:
    """The dataset's saved definitions, or the defaults for its profile (read on the publishing cursor)."""
    rows = cur.execute(*sql("select value from settings where dataset = {} and key = {}", lit(dataset), lit(SETTING))).fetchall()
    saved = json.loads(rows[0][0]) if rows else None
    return Definitions.from_setting(saved, defaults_for(profile))


def _days(n: int) -> str:
    return f"{n:,} day{'s' if n != 1 else ''}"


def describe(profile: DataProfile, definitions: Definitions) -> dict[str, str]:
    """One sentence per concept (kind, prospect, defected, at_risk, repeat, resolved) saying how it is read from this data,
    or what is missing and which column to map."""
    return {
        "kind": _kind_sentence(profile),
        "prospect": _prospect_sentence(profile),
        "defected": _defected_sentence(profile, definitions),
        "at_risk": _at_risk_sentence(profile, definitions),
        "repeat": _repeat_sentence(profile, definitions),
        "resolved": _resolved_sentence(profile, definitions),
    }


def _kind_sentence(profile: DataProfile) -> str:
    """The kind of business the data shows, in words."""
    kind = {
        CONTRACT: "Contract or subscription data: the data says who left.",
        LEADS_TO_DEALS: "Leads to deals: most people listed never bought; buyers mostly bought once, and time alone "
        "makes nobody repeat or loyal.",
        CONTACTS_ONLY: "Contacts only: no purchases and no churn labels in this data.",
    }.get(
        profile.kind,
        "Repeat purchases: customers' purchase histories tell who is still buying; time as a customer alone makes "
        "nobody repeat or loyal.",
    )
    return kind


def _prospect_sentence(profile: DataProfile) -> str:
    """How a prospect is told from a customer here, or what is missing."""
    if profile.has_purchases:
        prospect = (
            "Prospect means: known but never bought (no day whose amounts add up to more than zero) and not marked as "
            "having left."
        )
    elif profile.stage_column:
        prospect = "Prospect means: the stage column says prospect (no purchases in this data)."
    else:
        prospect = "No purchases in this data: prospects cannot be told from customers; map an amount column in transactions."
    return prospect


def _defected_sentence(profile: DataProfile, definitions: Definitions) -> str:
    """How a defected customer is told here (every way the data supports), or what is missing."""
    sources = []
    if profile.churn_flag:
        sources.append("churn flag set (from column churned)")
    if profile.churn_date:
        sources.append("a churn date (from column churn_date)")
    if profile.stage_off_ramps:
        sources.append("the stage column says defected")
    if profile.has_purchases:
        sources.append(f"no purchase for more than {_days(definitions.lapse_days)} before {profile.as_of}")
    if profile.has_purchases and not profile.tells_defection:
        defected = (
            f"Defection cannot be told yet: the purchases span {profile.purchase_span_days:,} days, less than the "
            f"{_days(definitions.lapse_days)} without a purchase that make a customer defected; map a churned or churn_date "
            "column in customers, or shorten the window."
        )
    elif sources:
        defected = "Defected means: " + ", or ".join(sources) + "."
    else:
        defected = (
            "Defection cannot be told from this data: map a churned or churn_date column in customers, "
            "or transactions with amounts."
        )
    return defected


def _at_risk_sentence(profile: DataProfile, definitions: Definitions) -> str:
    """How an at-risk customer is told here, or what is missing."""
    risk = []
    if profile.has_purchases and profile.tells_defection:
        risk.append(f"no purchase for more than {_days(definitions.at_risk_days)}")
    if profile.stage_off_ramps:
        risk.append("the stage column says at risk")
    if profile.complaints and definitions.at_risk_complaints and profile.tells_defection:
        risk.append(f"at least {definitions.at_risk_complaints} complaints within {_days(definitions.complaint_days)}")
    if risk:
        at_risk = "At risk means: not defected and " + ", or ".join(risk) + "."
    else:
        at_risk = (
            "At risk cannot be told from this data: it needs purchases with dates, or complaints, beside a way to tell defection."
        )
    return at_risk


def _repeat_sentence(profile: DataProfile, definitions: Definitions) -> str:
    """When a contact repeats here, or what is missing."""
    if not profile.has_interactions:
        repeat = "No touchpoints in this data: repeat contacts are not shown; upload an interactions table."
    elif profile.reasons:
        window = _days(definitions.fcr_days)
        repeat = f"A contact repeats when the same customer makes another contact with the same reason within {window}."
    else:
        repeat = "Repeat contacts cannot be told: map a reason column in interactions."
    if profile.has_interactions and profile.contact_steps:
        repeat += " Touchpoints sharing a contact_id are one contact, counted once at its first step."
    return repeat


def _resolved_sentence(profile: DataProfile, definitions: Definitions) -> str:
    """How resolution at first contact is read here, or what is missing."""
    if profile.resolved_flag:
        window = _days(definitions.fcr_days)
        resolved = f"Resolved at first contact means: resolved (from column resolved) and not repeated within {window}."
    elif profile.resolved_ts:
        resolved = (
            f"Resolved at first contact means: a resolution time (from column resolved_ts) and not repeated within "
            f"{_days(definitions.fcr_days)}."
        )
    else:
        resolved = "Resolution is not in this data: map a resolved or resolved_ts column in interactions."
    return resolved
