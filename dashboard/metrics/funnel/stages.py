"""The relationship-stage model: the seven ordered stages, the editable rules that assign them, where they are saved,
the data span and the rules in words. Every customer's stage on any date is SQL in stage_sql.py, read from the small
per-customer tables prepare.py builds at publish time.

    model = stages.load_model(store, dataset)              # the dataset's saved model, or the default
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields, replace
from datetime import date
from typing import Any

import duckdb
import pandas as pd

from dashboard import staged
from dashboard.contract import RELATIONSHIP_STAGES, normalise
from dashboard.metrics.scope import as_date
from dashboard.staged.definitions import MIN_WINDOW
from dashboard.staged.profile import LEADS_TO_DEALS, REPEAT_PURCHASE
from dashboard.store import Store, Version

ROLES = ("prospect", "first_purchase", "repeat", "loyal", "advocate", "at_risk", "defected")
"""What each stage stands for, whatever it is called; the rules refer to these."""
LADDER = ROLES[:5]
OFF_RAMPS = ROLES[5:]
CODE = {role: i for i, role in enumerate(ROLES)}
"""Integer code of each role in SQL results."""
DEFAULT_NAMES = dict(zip(ROLES, RELATIONSHIP_STAGES.labels, strict=True))
NEW = "not yet known"
"""Label for customers who were not yet known on the earlier date of a comparison."""

NTH_COLUMNS = 24
"""The first purchase days kept as columns p_1 .. p_24 besides the list: a purchase threshold up to 24 reads one
narrow column instead of every customer's list of purchase days."""
MIN_GAP_DAYS = MIN_WINDOW
"""Shortest gap between purchases kept at publish: the staged at-risk and lapse windows' minimum (one rule, one
range)."""
MAX_NAME = 40

SETTING_STAGES, SETTING_RULES, SETTING_SOURCE = "funnel.stages", "funnel.rules", "funnel.source"
SOURCES = {
    "auto": "the stage column when the data has one, otherwise the rules",
    "column": "the stage column (the rules where it is blank or unknown)",
    "rules": "the rules",
}


@dataclass(frozen=True)
class StageRules:
    """Thresholds that put a customer in a stage; a threshold of 0 switches that part of a rule off, except the at-risk
    and defected days: they are the staged definitions' windows (at least MIN_GAP_DAYS, never off)."""

    repeat_purchases: int = 2
    repeat_tenure_days: int = 90
    repeat_join: str = "or"
    loyal_purchases: int = 12
    loyal_tenure_days: int = 730
    loyal_join: str = "or"
    advocate_referrals: int = 1
    advocate_from: str = "loyal"
    at_risk_days: int = 90
    at_risk_complaints: int = 2
    at_risk_complaint_days: int = 90
    defected_days: int = 365
    defected_on_churn: bool = True

    def validate(self) -> StageRules:
        """Self when every threshold is in range; ValueError naming the first one that is not."""
        limits = {
            "repeat_purchases": (0, 1000),
            "loyal_purchases": (0, 1000),
            "repeat_tenure_days": (0, 36_500),
            "loyal_tenure_days": (0, 36_500),
            "advocate_referrals": (0, 10_000),
            "at_risk_complaints": (0, 1000),
            "at_risk_complaint_days": (1, 3650),
            "at_risk_days": (MIN_GAP_DAYS, 3650),
            "defected_days": (MIN_GAP_DAYS, 3650),
        }
        for name, (lo, hi) in limits.items():
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
                raise ValueError(f"{name.replace('_', ' ')} must be a whole number from {lo} to {hi}")
        if self.defected_days <= self.at_risk_days:
            raise ValueError("a customer must go without buying longer to count as defected than as at risk")
        if self.repeat_join not in ("or", "and") or self.loyal_join not in ("or", "and"):
            raise ValueError("rules join their conditions with 'or' or 'and'")
        if self.advocate_from not in ("first_purchase", "repeat", "loyal"):
            raise ValueError("advocates must first reach first purchase, repeat or loyal")
        if not isinstance(self.defected_on_churn, bool):
            raise ValueError("defected on churn must be true or false")
        return self

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]) -> StageRules:
        """Rules from a saved dict; unknown keys ignored, missing keys at their defaults (so are at-risk or defected days
        of 0, saved when 0 switched them off)."""
        known = {f.name for f in fields(cls)}
        kept = {k: v for k, v in values.items() if k in known}
        kept = {k: v for k, v in kept.items() if not (k in ("at_risk_days", "defected_days") and v == 0)}
        return cls(**kept).validate()


DEFAULT_ORDER: tuple[tuple[str, str], ...] = tuple((role, DEFAULT_NAMES[role]) for role in ROLES)


@dataclass(frozen=True)
class StageModel:
    """The stages in display order as (role, name) pairs, the rules, and where stages come from (auto, column, rules)."""

    stages: tuple[tuple[str, str], ...] = DEFAULT_ORDER
    rules: StageRules = StageRules()
    source: str = "auto"

    def validate(self) -> StageModel:
        """Self when the stages are the seven roles, prospect first and the off-ramps last, with distinct names."""
        roles = [role for role, _ in self.stages]
        if sorted(roles) != sorted(ROLES):
            raise ValueError("the stage list must hold each of the seven stages once")
        if roles[0] != "prospect" or tuple(roles[-2:]) != OFF_RAMPS:
            raise ValueError("prospect comes first and at risk, defected come last; the stages between can be reordered")
        names = [str(name).strip() for _, name in self.stages]
        if any(not name or len(name) > MAX_NAME for name in names):
            raise ValueError(f"every stage needs a name of 1 to {MAX_NAME} characters")
        if len({normalise(name) for name in names}) != len(names) or any(not normalise(n) for n in names):
            raise ValueError("stage names must differ from each other (ignoring case, spaces and punctuation)")
        if self.source not in SOURCES:
            raise ValueError(f"stage source must be one of {', '.join(SOURCES)}")
        self.rules.validate()
        return replace(self, stages=tuple((role, str(name).strip()) for role, name in self.stages))

    @property
    def names(self) -> tuple[str, ...]:
        """Stage names in display order."""
        return tuple(name for _, name in self.stages)

    @property
    def roles(self) -> tuple[str, ...]:
        """Roles in display order."""
        return tuple(role for role, _ in self.stages)

    def name(self, role: str) -> str:
        """The display name of role."""
        return dict(self.stages)[role]

    @property
    def ladder(self) -> tuple[str, ...]:
        """Ladder roles, lowest first (prospect to the top stage)."""
        return tuple(role for role in self.roles if role in LADDER)

    def rank(self, role: str) -> int:
        """Height of a stage for moved up / down: ladder position 0, 1, ...; at risk -1; defected -2."""
        if role in OFF_RAMPS:
            return -1 - OFF_RAMPS.index(role)
        return self.ladder.index(role)

    def names_by_code(self) -> list[str]:
        """Display names indexed by role code (the order of ROLES)."""
        return [self.name(role) for role in ROLES]


DEFAULT_MODEL = StageModel()


# -- settings ------------------------------------------------------------------------------------


def load_model(store: Store, dataset: str | None) -> StageModel:
    """The dataset's saved stage model (names, order, rules, source); the default for anything unsaved or invalid."""
    if not dataset:
        return DEFAULT_MODEL
    stages = store.get_setting(dataset, SETTING_STAGES, None)
    rules = store.get_setting(dataset, SETTING_RULES, None)
    source = store.get_setting(dataset, SETTING_SOURCE, DEFAULT_MODEL.source)
    model = DEFAULT_MODEL
    try:
        if stages:
            model = replace(model, stages=tuple((str(role), str(name)) for role, name in stages))
        if rules:
            model = replace(model, rules=StageRules.from_dict(rules))
        model = replace(model, source=str(source))
        return _with_staged(store, dataset, model.validate())
    except (ValueError, TypeError, json.JSONDecodeError):
        return _with_staged(store, dataset, DEFAULT_MODEL)


def _with_staged(store: Store, dataset: str, model: StageModel) -> StageModel:
    """model with its at-risk and defected windows taken from the dataset's staged definitions (their one home)."""
    found = staged.current(store, dataset)
    if found is None:
        return model
    return replace(model, rules=replace(model.rules, **staged_rules(found))).validate()


def staged_rules(definitions: staged.Definitions) -> dict[str, int]:
    """The stage-rule thresholds that are the staged definitions' windows."""
    return {
        "at_risk_days": definitions.at_risk_days,
        "defected_days": definitions.lapse_days,
        "at_risk_complaints": definitions.at_risk_complaints,
        "at_risk_complaint_days": definitions.complaint_days,
    }


def save_model(store: Store, dataset: str, model: StageModel) -> StageModel:
    """Validate model and save its names and order, rules and source for dataset; at-risk and defected windows that
    differ from the staged definitions are saved there and the dataset is re-staged (ValueError when they cannot be)."""
    model = model.validate()
    found = staged.current(store, dataset)
    wanted = None
    if found is not None:
        r = model.rules
        wanted = replace(
            found,
            at_risk_days=r.at_risk_days,
            lapse_days=r.defected_days,
            at_risk_complaints=r.at_risk_complaints,
            complaint_days=r.at_risk_complaint_days,
        ).validate()
    store.set_setting(dataset, SETTING_STAGES, [list(pair) for pair in model.stages])
    store.set_setting(dataset, SETTING_RULES, asdict(model.rules))
    store.set_setting(dataset, SETTING_SOURCE, model.source)
    if wanted is not None and wanted != found:
        staged.restage(store, dataset, wanted)
    return model


def reset_model(store: Store, dataset: str) -> None:
    """Forget the dataset's saved model, so the default applies."""
    for key in (SETTING_STAGES, SETTING_RULES, SETTING_SOURCE):
        store.delete_setting(dataset, key)


# -- dates ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Span:
    """First transaction day, first and last day of the data."""

    tx_start: date | None
    data_start: date | None
    data_end: date | None


def span(cur: duckdb.DuckDBPyConnection, version: Version) -> Span:
    """The data span recorded at publish (a day beyond Python's dates, which DuckDB hands over as text, is None)."""
    row = cur.execute(f"select tx_start, data_start, data_end from {version.table('fn_span')}").fetchall()[0]
    return Span(*(as_date(value) for value in row))


def span_frame(cur: duckdb.DuckDBPyConnection, version: Version, _spec: object = None) -> pd.DataFrame:
    """The data span as a one-row frame: first transaction day, first and last day of the data."""
    found = span(cur, version)
    return pd.DataFrame([{"tx_start": found.tx_start, "data_start": found.data_start, "data_end": found.data_end}])


def month_end(month: date) -> date:
    """Last day of month's month."""
    from dashboard.metrics.scope import next_month

    return date.fromordinal(next_month(month).toordinal() - 1)


# -- SQL -----------------------------------------------------------------------------------------


def tenure_counts(profile: staged.DataProfile) -> bool:
    """Whether time as a customer can lift a stage: in contract data and data without purchases, not where purchase
    histories show who comes back (repeat purchase, leads to deals)."""
    return profile.kind not in (REPEAT_PURCHASE, LEADS_TO_DEALS)


def stage_labels(model: StageModel, role: str) -> list[str]:
    """Normalised stage-column labels read as role: its current name, its default name and the vocabulary's synonyms."""
    labels = {normalise(model.name(role)), normalise(DEFAULT_NAMES[role])}
    labels.update(normalise(word) for word in RELATIONSHIP_STAGES.synonyms.get(DEFAULT_NAMES[role], ()))
    taken = {normalise(name) for r, name in model.stages if r != role}
    return sorted(label for label in labels if label and (label == normalise(model.name(role)) or label not in taken))


def uses_column(model: StageModel, version: Version) -> bool:
    """Whether current stages come from the data's stage column (on the last day of the data)."""
    return model.source in ("auto", "column") and version.has("customers", "stage")


# -- the rules in words ----------------------------------------------------------------------------


def _days(n: int) -> str:
    """n days, with the years when n is a whole number of them."""
    text = f"{n:,} day{'s' if n != 1 else ''}"
    if n >= 365 and n % 365 == 0:
        years = n // 365
        text += f" ({years} year{'s' if years != 1 else ''})"
    return text


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def _times(n: int, word: str) -> str:
    return f"{n:,} {word}{'s' if n != 1 else ''}"


def describe_rules(model: StageModel, version: Version | None = None) -> list[tuple[str, str, str]]:
    """The rules in force in plain words: (role, stage name, sentence), in display order, saying where the data lacks
    what a rule needs."""
    model = model.validate()
    rules = model.rules
    has = (lambda table, column=None: True) if version is None else version.has
    has_tx = has("transactions")
    has_refs = has("customers", "referrals")
    has_churn = has("customers", "churned") or has("customers", "churn_date")
    has_complaints = has("interactions", "stage")
    name = model.name

    def threshold(prefix: str) -> str:
        purchases, tenure = getattr(rules, f"{prefix}_purchases"), getattr(rules, f"{prefix}_tenure_days")
        join = getattr(rules, f"{prefix}_join")
        parts = []
        if purchases:
            parts.append(f"at least {_times(purchases, 'purchase')}" + ("" if has_tx else " (no transactions: never met)"))
        if tenure:
            parts.append(f"a customer for at least {_days(tenure)}")
        if not parts:
            return "every customer who has bought"
        return _sentence(f" {join} ".join(parts))

    sentences = {
        "prospect": "Known (a lead or signed up) but no purchase yet.",
        "first_purchase": f"Has bought, but meets none of the rules of the stages above {name('first_purchase')}.",
        "repeat": threshold("repeat") + ".",
        "loyal": threshold("loyal") + ".",
    }
    if not rules.advocate_referrals:
        sentences["advocate"] = "Switched off (referrals threshold 0): nobody is an advocate."
    elif not has_refs:
        sentences["advocate"] = "This dataset has no referrals column, so nobody is an advocate."
    else:
        sentences["advocate"] = (
            f"Has referred at least {_times(rules.advocate_referrals, 'customer')} "
            f"and meets the rule of {name(rules.advocate_from)}."
        )
    risk = []
    if rules.at_risk_days:
        risk.append(f"no purchase for more than {_days(rules.at_risk_days)}" + ("" if has_tx else " (no transactions)"))
    if rules.at_risk_complaints:
        text = f"at least {_times(rules.at_risk_complaints, 'complaint')} within {_days(rules.at_risk_complaint_days)}"
        risk.append(text + ("" if has_complaints else " (no journey stages on touchpoints: never met)"))
    sentences["at_risk"] = (_sentence(" or ".join(risk)) + ".") if risk else "Switched off: nobody is at risk."
    defected = []
    if rules.defected_on_churn:
        defected.append("a churn flag or churn date" + ("" if has_churn else " (none in this dataset)"))
    if rules.defected_days:
        defected.append(f"no purchase for more than {_days(rules.defected_days)}")
    sentences["defected"] = (_sentence(" or ".join(defected)) + ".") if defected else "Switched off: nobody is defected."
    return [(role, stage, sentences[role]) for role, stage in model.stages]


def describe_basics(model: StageModel, version: Version | None = None) -> list[str]:
    """How the rules are applied, in plain words."""
    notes = [
        f"Each customer is in the highest stage whose rule they meet; {model.name('defected')} comes first, then "
        f"{model.name('prospect')}, then {model.name('at_risk')}.",
        "A purchase is a day with transactions adding up to more than zero (refunds do not count).",
        "Time as a customer counts from the first purchase, or from the signup date for customers who signed up "
        "before the transactions begin (their older purchases are not in the data).",
        "Referrals carry no date, so a customer who has referred counts as such on every date.",
    ]
    if version is not None and uses_column(model, version):
        notes.insert(
            0,
            "Stages on the last day of the data come from the data's stage column (labels matched to the names below "
            "or their usual synonyms); the rules place customers where the column is blank and on every earlier date.",
        )
    return notes
