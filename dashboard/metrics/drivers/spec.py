"""Drivers: what goes with defection, low satisfaction and conversion, how strongly, and what fixing it is worth.

- Outcome: defection = the staged `defected` during the period (customers of the period, as on Behaviours); low
  satisfaction = a customer's satisfaction at most the threshold (2 on a 1-5 scale, 6 on a 0-10 scale unless chosen);
  conversion = a lead who became a customer (the staged prospect rule: bought at least once), over everyone known.
- Driver: a yes/no per customer, its "bad side", compared with the other side (both in plain words): a catalogue
  behaviour not shown ("no automatic payment" against "automatic payment"; a behaviour named "No call-centre contact"
  has "call-centre contact" as its bad side); journey pain from stg_contacts (a
  complaint, a complaint not resolved at first contact, a complaint taking more than SLOW_DAYS days to resolve, a
  repeat contact, contacts on two channels or more, at least one contact a month over the months the touchpoints span;
  contacts, complaints and their channels are counted per contact, on its first step: the IVR, queue and agent steps
  of one call are one contact on one channel);
  an attribute level (segment, region, main product, any other text column of customers); a tenure band.
- Effect, from the 2×2 table a = exposed with the outcome, b = exposed without, c = not exposed with, d = neither:
  prevalence = (a + b) ÷ n; rate with = a ÷ (a + b); rate without = c ÷ (c + d); difference = rate with − rate
  without, Newcombe's 95 % hybrid score interval (from each rate's Wilson interval); odds ratio = ad ÷ bc with a
  Woolf 95 % interval, 0.5 added to every cell when one is zero (Haldane); p from the Woolf z; Holm's step-down
  correction over the drivers tested.
- Adjusted odds ratio: a logistic regression of the outcome on every driver together (one level of each attribute
  left out as the reference), fitted by Newton-Raphson (IRLS) with a tiny ridge penalty so a driver that predicts
  perfectly stays finite; on a fixed random sample of about MODEL_ROWS customers when there are more.
- Worth (defection only, fixable drivers only): customers exposed × difference in defection rate × lifetime value per
  customer; an association, not a proven cause.

This module holds the outcomes, the spec and the driver; customers.py the per-customer rows, effects.py the 2×2
tables, model.py the adjusted odds ratios, tipping.py the tipping points, money.py the worth, prepare.py what publish
builds.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import duckdb
import pandas as pd

from dashboard import contract
from dashboard.metrics.behaviours.catalogue import Catalogue
from dashboard.metrics.scope import Filters
from dashboard.staged import profile as staged_profile
from dashboard.store import Version

DEFECTION, LOW_SATISFACTION, CONVERSION = "defection", "low satisfaction", "conversion"
OUTCOMES = (DEFECTION, LOW_SATISFACTION, CONVERSION)
BEHAVIOUR, PAIN, ATTRIBUTE, TENURE = "behaviour", "journey pain", "attribute", "tenure"
FIXABLE = (BEHAVIOUR, PAIN)
"""Driver kinds a company can act on; attributes and tenure describe who customers are."""
SLOW_DAYS = 7
"""A complaint taking longer than this many days to resolve counts as slow."""
MODEL_ROWS = 50_000
"""The logistic regression is fitted on a fixed random sample of about this many customers when there are more."""
MAX_LEVELS = 8
"""Attribute levels tested per column (the most common); an attribute with more is read as an identifier and skipped."""
NO_CATALOGUE = Catalogue()
KNOWN_COLUMNS = frozenset(contract.CUSTOMERS.names)
"""Contract columns of customers: none is read as an attribute level (segment and region are added by name; a churn
reason or category is known only for those who left, so it would separate the outcome by itself)."""
OUTCOME_WORDS = {
    DEFECTION: "defected during the period",
    LOW_SATISFACTION: "low satisfaction",
    CONVERSION: "became a customer",
}


@dataclass(frozen=True)
class DriverSpec:
    """What the drivers depend on: the shared filters, the outcome, the low-satisfaction threshold (None = by scale)
    and the behaviour catalogue (its measures decide the behaviour drivers)."""

    filters: Filters = Filters()
    outcome: str = DEFECTION
    low_satisfaction: float | None = None
    catalogue: Catalogue = NO_CATALOGUE
    model_rows: int = MODEL_ROWS

    def validate(self) -> DriverSpec:
        """Self with the filters checked; ValueError on an unknown outcome or threshold out of range."""
        if self.outcome not in OUTCOMES:
            raise ValueError(f"outcome {self.outcome!r} is not one of {', '.join(OUTCOMES)}")
        if self.low_satisfaction is not None and not (math.isfinite(self.low_satisfaction) and 0 <= self.low_satisfaction <= 10):
            raise ValueError("the low-satisfaction threshold must be from 0 to 10")
        if self.model_rows < 100:
            raise ValueError("the model needs at least 100 rows")
        return DriverSpec(self.filters.validate(), self.outcome, self.low_satisfaction, self.catalogue, self.model_rows)

    def in_every_segment(self) -> DriverSpec:
        """Self over every segment (the same regions, months, outcome, threshold and catalogue)."""
        return replace(self, filters=replace(self.filters, segments=()))


@dataclass(frozen=True)
class Driver:
    """One candidate driver: its column in the customer rows, the name shown, its kind, and the attribute it is a level
    of (levels of one attribute share a group; one is left out of the model)."""

    column: str
    name: str
    kind: str
    group: str = ""
    level: str = ""
    """The attribute's value this driver stands for (attributes and tenure)."""
    against: str = ""
    """The other side in plain words: who the driver's customers are compared with."""


def default_threshold(max_score: float | None) -> float:
    """Low satisfaction means at most this score: 6 on a 0-10 scale (detractors), else 2 (1-5 scale)."""
    return 6.0 if max_score is not None and max_score > 5 else 2.0


def satisfaction_scale(cur: duckdb.DuckDBPyConnection, version: Version, _spec: object = None) -> pd.DataFrame:
    """One row: the highest satisfaction score in customers (None without scores) and the default low threshold."""
    high = None
    if version.has("customers", "satisfaction"):
        high = cur.execute(f"select max(satisfaction) from {version.table('customers')}").fetchone()[0]
    return pd.DataFrame([{"max_score": high, "threshold": default_threshold(high)}])


def availability(cur: duckdb.DuckDBPyConnection, version: Version, _spec: object = None) -> pd.DataFrame:
    """Per outcome: whether the data can tell it and, when not, what is missing (one sentence)."""
    found = staged_profile.load(cur, version)
    sat = version.has("customers", "satisfaction")
    rows = [
        (
            DEFECTION,
            found.tells_defection,
            "Defection cannot be told from this data: map a churned or churn_date column in customers, or transactions "
            "with amounts over a longer span than the lapse window.",
        ),
        (LOW_SATISFACTION, sat, "Satisfaction is not in this data: map a satisfaction column in customers."),
        (
            CONVERSION,
            found.has_purchases and 0 < found.buyers < found.people,
            "Conversion needs purchases and people who never bought (leads) side by side; this data has "
            + ("no purchases." if not found.has_purchases else "no leads who did not buy."),
        ),
    ]
    return pd.DataFrame(rows, columns=["outcome", "available", "missing"])


NEGATIONS = ("no ", "not ", "never ", "without ")


def _lower_first(text: str) -> str:
    """text with its first letter lowercased unless it starts an acronym (SMS, BG/NBD)."""
    return text[:1].lower() + text[1:] if text[:2] != text[:2].upper() else text


def behaviour_sides(name: str) -> tuple[str, str]:
    """A behaviour's bad side and good side in plain words: "No call-centre contact" → ("call-centre contact",
    "no call-centre contact"); "Automatic payment" → ("no automatic payment", "automatic payment"). A name that already
    says "no", "not", "never" or "without" loses it on the bad side instead of gaining a double negation."""
    clean = " ".join(name.split())
    good = _lower_first(clean)
    for word in NEGATIONS:
        if clean.lower().startswith(word) and len(clean) > len(word):
            return _lower_first(clean[len(word) :]), good
    return f"no {good}", good


def attribute_columns(version: Version) -> list[str]:
    """Customers' text columns read as attributes: segment, region and any mapped column the contract does not know (the
    kept a_<key> attributes: contract type, payment method)."""
    columns = version.columns.get("customers", ())
    found = [c for c in ("segment", "region") if c in columns]
    found += [c for c in columns if c not in KNOWN_COLUMNS and not c.startswith("b_")]
    return found


def frame_columns(version: Version) -> list[str]:
    """Customers' columns the driver rows read: the attributes, signup date and satisfaction."""
    columns = version.columns.get("customers", ())
    wanted = [*attribute_columns(version), "signup_date", "satisfaction"]
    return [c for c in dict.fromkeys(wanted) if c in columns]
