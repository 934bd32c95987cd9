"""The behaviour catalogue: which "perfect customer" behaviours a dataset tracks, how each is measured, what it saves.

A catalogue is stored per dataset as the setting `behaviours.catalogue` (JSON). Until a dataset has one,
the default catalogue for a utility (`data/catalogues/behaviours_utility.json`) applies, with any `b_` flag
column of the data that it does not mention added at the end.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from dashboard import config, contract

SETTING = "behaviours.catalogue"
DEFAULT_FILE = config.DATA_DIR / "catalogues" / "behaviours_utility.json"

FLAG, RULE, NO_CONTACT, SELF_SERVICE, ESTIMATE = "flag", "rule", "no_contact", "self_service", "estimate"
MEASURE_KINDS: dict[str, str] = {
    FLAG: "a yes/no flag column of the customers table",
    RULE: "a rule on a column of the customers table",
    NO_CONTACT: "derived from touchpoints: at most N customer-started contacts on some channels in the last M months",
    SELF_SERVICE: "derived from touchpoints: at least X % of the customer's own contacts on self-service channels",
    ESTIMATE: "no data behind it: an estimated current adoption",
}
DERIVED = (NO_CONTACT, SELF_SERVICE)

RULE_OPERATORS: dict[str, str] = {
    "is true": "the column is true (yes)",
    "is false": "the column is false (no)",
    "equals": "text equal to the value (ignoring case) or number equal to it",
    "not equals": "text different from the value (ignoring case) or number different from it",
    "one of": "text equal to one of the comma-separated values (ignoring case)",
    "starts with": "text starting with the value (ignoring case)",
    "ends with": "text ending with the value (ignoring case)",
    "contains": "text containing the value (ignoring case)",
    ">=": "number or date at least the value",
    ">": "number or date above the value",
    "<=": "number or date at most the value",
    "<": "number or date below the value",
    "is set": "the column has a value",
}

SCOPES: dict[str, str] = {
    "auto": "automatic: active customers at the end of the period when the data say when customers left (a churn date); "
    "otherwise every customer of the period",
    "active": "active customers at the end of the period (prospects and customers who left excluded)",
    "period": "every customer of the period, those who left during it included (prospects excluded)",
}

_KEY = re.compile(r"[a-z][a-z0-9_]{0,39}")
_COLUMN = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")
MAX_BEHAVIOURS = 60


class CatalogueError(ValueError):
    """A catalogue entry that cannot be used; the message says which field and what to do."""


@dataclass(frozen=True)
class Measure:
    """How a behaviour is measured: its kind and the parameters that kind uses (the others keep their defaults)."""

    kind: str = ESTIMATE
    column: str = ""
    """flag: the b_ column; rule: the customers column."""
    operator: str = ""
    value: str = ""
    channels: tuple[str, ...] = ()
    months: int = 12
    """Window for derived behaviours: the last N calendar months the customer was a customer; 0 = all history."""
    max_contacts: int = 0
    min_share: float = 0.5

    def validate(self) -> Measure:
        """Self with channels lower-cased and sorted; CatalogueError naming the field otherwise."""
        if self.kind not in MEASURE_KINDS:
            raise CatalogueError(f"measure kind {self.kind!r} is not one of {', '.join(MEASURE_KINDS)}")
        if self.kind == FLAG:
            if not self.column.startswith(contract.BEHAVIOUR_PREFIX):
                raise CatalogueError(f"a flag column must be a b_ column of customers, not {self.column!r}")
            contract.behaviour_column(self.column[len(contract.BEHAVIOUR_PREFIX) :])
        if self.kind == RULE:
            if not _COLUMN.fullmatch(self.column or ""):
                raise CatalogueError(f"rule column {self.column!r} is not a column name")
            if self.operator not in RULE_OPERATORS:
                raise CatalogueError(f"rule operator {self.operator!r} is not one of {', '.join(RULE_OPERATORS)}")
            if self.operator not in ("is true", "is false", "is set") and not str(self.value).strip():
                raise CatalogueError(f"the rule '{self.column} {self.operator}' needs a value")
            if len(str(self.value)) > 200:
                raise CatalogueError("a rule value is at most 200 characters")
        channels: tuple[str, ...] = ()
        if self.kind in DERIVED:
            channels = tuple(sorted({str(c).strip().lower() for c in self.channels if str(c).strip()}))
            if not channels:
                raise CatalogueError("choose at least one channel")
            if len(channels) > 20 or any(len(c) > 40 for c in channels):
                raise CatalogueError("at most 20 channels of up to 40 characters")
            if not 0 <= int(self.months) <= 120:
                raise CatalogueError("months must be between 0 (all history) and 120")
            if not 0 <= int(self.max_contacts) <= 10_000:
                raise CatalogueError("the most contacts allowed must be between 0 and 10,000")
            if not (_finite(self.min_share) and 0 < float(self.min_share) <= 1):
                raise CatalogueError("the self-service share must be above 0 % and at most 100 %")
        return replace(
            self,
            column=str(self.column or ""),
            operator=str(self.operator or ""),
            value=str(self.value or ""),
            channels=channels,
            months=int(self.months),
            max_contacts=int(self.max_contacts),
            min_share=float(self.min_share),
        )

    def describe(self) -> str:
        """How the behaviour is measured, in words."""
        window = "all history" if self.months == 0 else f"the last {self.months} months"
        channels = ", ".join(self.channels)
        if self.kind == FLAG:
            return f"flag {self.column} is yes"
        if self.kind == RULE:
            value = "" if self.operator in ("is true", "is false", "is set") else f' "{self.value}"'
            return f"rule: {self.column} {self.operator}{value}"
        if self.kind == NO_CONTACT:
            most = "no" if self.max_contacts == 0 else f"at most {self.max_contacts}"
            return f"{most} customer-started contact on {channels} in {window} as a customer"
        if self.kind == SELF_SERVICE:
            return f"at least {self.min_share * 100:g} % of own contacts on {channels} ({window})"
        return "no data: estimated adoption"


@dataclass(frozen=True)
class Behaviour:
    """One perfect-customer behaviour: name, measure, saving per adopting customer per year and best-in-class adoption."""

    key: str
    name: str
    measure: Measure = Measure()
    saving: float = 0.0
    """Money saved per adopting customer per year, in the dataset's currency."""
    best_in_class: float | None = None
    """Best-in-class adoption as a share (0.84 = 84 %), or None when unknown."""
    best_in_class_source: str = ""
    saving_source: str = ""
    assumption: bool = True
    """True when the saving and best-in-class figures are placeholders to replace with the company's own."""
    estimated_adoption: float | None = None
    """Current adoption (share) used when the data cannot measure the behaviour."""
    description: str = ""

    def validate(self) -> Behaviour:
        """Self, checked and normalised; CatalogueError naming the behaviour and field otherwise."""
        if not _KEY.fullmatch(self.key or ""):
            raise CatalogueError(f"behaviour key {self.key!r}: use lowercase letters, digits and underscores (up to 40)")
        name = " ".join(str(self.name or "").split())
        if not name or len(name) > 80:
            raise CatalogueError(f"behaviour {self.key}: the name must be 1 to 80 characters")
        if not (_finite(self.saving) and 0 <= float(self.saving) <= 1e7):
            raise CatalogueError(f"{name}: the saving per customer must be a number from 0 to 10,000,000")
        for label, share in (("best-in-class adoption", self.best_in_class), ("estimated adoption", self.estimated_adoption)):
            if share is not None and not (_finite(share) and 0 <= float(share) <= 1):
                raise CatalogueError(f"{name}: the {label} must be between 0 % and 100 %")
        if self.measure.kind == ESTIMATE and self.estimated_adoption is None:
            raise CatalogueError(f"{name}: a behaviour with no data behind it needs an estimated current adoption")
        for label, text in (("source", self.best_in_class_source), ("saving source", self.saving_source)):
            if len(str(text or "")) > 300:
                raise CatalogueError(f"{name}: the {label} is at most 300 characters")
        try:
            measure = self.measure.validate()
        except CatalogueError as exc:
            raise CatalogueError(f"{name}: {exc}") from None
        return replace(
            self,
            name=name,
            measure=measure,
            saving=float(self.saving),
            best_in_class=None if self.best_in_class is None else float(self.best_in_class),
            estimated_adoption=None if self.estimated_adoption is None else float(self.estimated_adoption),
            best_in_class_source=str(self.best_in_class_source or "").strip(),
            saving_source=str(self.saving_source or "").strip(),
            description=str(self.description or "").strip()[:500],
            assumption=bool(self.assumption),
        )


@dataclass(frozen=True)
class Catalogue:
    """The behaviours a dataset tracks, in order, and which customers adoption is measured over."""

    behaviours: tuple[Behaviour, ...] = ()
    scope: str = "auto"
    name: str = ""
    notes: tuple[str, ...] = field(default=(), compare=False)
    """Where the catalogue's figures come from, in words (kept with it)."""
    problems: tuple[str, ...] = field(default=(), compare=False)
    """Why a stored catalogue could not be used, shown as a warning (not stored)."""

    def validate(self) -> Catalogue:
        """Self with every behaviour checked; CatalogueError on duplicates or a bad entry."""
        if self.scope not in SCOPES:
            raise CatalogueError(f"scope {self.scope!r} is not one of {', '.join(SCOPES)}")
        if len(self.behaviours) > MAX_BEHAVIOURS:
            raise CatalogueError(f"a catalogue holds at most {MAX_BEHAVIOURS} behaviours")
        checked = tuple(b.validate() for b in self.behaviours)
        keys = [b.key for b in checked]
        if len(set(keys)) != len(keys):
            raise CatalogueError("two behaviours share a key")
        names = [b.name.lower() for b in checked]
        if len(set(names)) != len(names):
            raise CatalogueError("two behaviours share a name")
        return replace(self, behaviours=checked)

    def get(self, key: str) -> Behaviour:
        """The behaviour with this key (KeyError when none)."""
        for behaviour in self.behaviours:
            if behaviour.key == key:
                return behaviour
        raise KeyError(key)

    @property
    def keys(self) -> tuple[str, ...]:
        """Behaviour keys in catalogue order."""
        return tuple(b.key for b in self.behaviours)

    def upsert(self, behaviour: Behaviour) -> Catalogue:
        """A catalogue with behaviour replacing the one with its key, or added at the end."""
        others = tuple(b for b in self.behaviours if b.key != behaviour.key)
        if len(others) == len(self.behaviours):
            return replace(self, behaviours=(*self.behaviours, behaviour)).validate()
        return replace(self, behaviours=tuple(behaviour if b.key == behaviour.key else b for b in self.behaviours)).validate()

    def without(self, key: str) -> Catalogue:
        """A catalogue without the behaviour with this key."""
        return replace(self, behaviours=tuple(b for b in self.behaviours if b.key != key))

    def measures(self) -> tuple[tuple[str, Measure], ...]:
        """(key, measure) of every behaviour: all that decides the SQL, so edits to savings never re-run a query."""
        return tuple((b.key, b.measure) for b in self.behaviours)

    def to_json(self) -> dict[str, Any]:
        """The catalogue as a JSON-ready dict (the stored form)."""
        return {
            "name": self.name,
            "scope": self.scope,
            "notes": list(self.notes),
            "behaviours": [_behaviour_json(b) for b in self.behaviours],
        }


def _finite(value: Any) -> bool:
    try:
        return math.isfinite(float(value))
    except (TypeError, ValueError):
        return False


def _behaviour_json(behaviour: Behaviour) -> dict[str, Any]:
    data = asdict(behaviour)
    measure = data.pop("measure")
    measure["channels"] = list(measure["channels"])
    kind = measure["kind"]
    keep = {"kind"}
    keep |= {"column"} if kind in (FLAG, RULE) else set()
    keep |= {"operator", "value"} if kind == RULE else set()
    keep |= {"channels", "months"} if kind in DERIVED else set()
    keep |= {"max_contacts"} if kind == NO_CONTACT else set()
    keep |= {"min_share"} if kind == SELF_SERVICE else set()
    data["measure"] = {k: v for k, v in measure.items() if k in keep}
    return {"key": data.pop("key"), "name": data.pop("name"), "measure": data.pop("measure"), **data}


def behaviour_from_json(data: dict[str, Any]) -> Behaviour:
    """A Behaviour from its stored dict (unknown fields ignored); CatalogueError when it is malformed."""
    if not isinstance(data, dict):
        raise CatalogueError("each behaviour must be an object")
    raw_measure = data.get("measure") or {}
    if not isinstance(raw_measure, dict):
        raise CatalogueError(f"{data.get('name', '?')}: the measure must be an object")
    fields_ = {k: raw_measure[k] for k in Measure.__dataclass_fields__ if k in raw_measure}
    if "channels" in fields_:
        fields_["channels"] = tuple(fields_["channels"] or ())
    try:
        measure = Measure(**fields_)
        known = {k: data[k] for k in Behaviour.__dataclass_fields__ if k in data and k != "measure"}
        return Behaviour(measure=measure, **known).validate()
    except TypeError as exc:
        raise CatalogueError(f"{data.get('name', '?')}: {exc}") from None


def catalogue_from_json(data: dict[str, Any]) -> Catalogue:
    """A Catalogue from its stored dict; CatalogueError when it is malformed."""
    if not isinstance(data, dict) or not isinstance(data.get("behaviours"), list):
        raise CatalogueError("a catalogue is an object with a list of behaviours")
    behaviours = tuple(behaviour_from_json(b) for b in data["behaviours"])
    notes = tuple(str(n) for n in data.get("notes", ()) if isinstance(n, str))
    return Catalogue(behaviours, str(data.get("scope", "auto")), str(data.get("name", "")), notes).validate()


def default_catalogue(path: Path = DEFAULT_FILE) -> Catalogue:
    """The default catalogue for a utility: the eight behaviours of the article, read from data/catalogues/."""
    return catalogue_from_json(json.loads(Path(path).read_text(encoding="utf-8")))


def key_for(name: str, taken: tuple[str, ...] | list[str] = ()) -> str:
    """A behaviour key made from a name (lowercase, underscores), unique among taken."""
    base = re.sub(r"[^a-z0-9]+", "_", str(name).lower()).strip("_")[:36] or "behaviour"
    if not base[0].isalpha():
        base = f"b_{base}"[:36]
    key, n = base, 2
    while key in taken:
        key, n = f"{base}_{n}", n + 1
    return key


def with_data_flags(catalogue: Catalogue, flag_columns: tuple[str, ...] | list[str]) -> Catalogue:
    """catalogue plus one flag behaviour for every b_ column of the data it does not measure (saving 0, to fill in)."""
    used = {b.measure.column for b in catalogue.behaviours if b.measure.kind == FLAG}
    extra = []
    taken = list(catalogue.keys)
    for column in flag_columns:
        if column in used or not column.startswith(contract.BEHAVIOUR_PREFIX):
            continue
        key = key_for(column[len(contract.BEHAVIOUR_PREFIX) :], taken)
        taken.append(key)
        name = column[len(contract.BEHAVIOUR_PREFIX) :].replace("_", " ").strip().capitalize()
        if name.lower() in {b.name.lower() for b in (*catalogue.behaviours, *extra)}:
            name = f"{name} ({column})"
        extra.append(
            Behaviour(
                key,
                name,
                Measure(FLAG, column=column),
                saving=0.0,
                best_in_class=None,
                saving_source="Found in the data: enter the saving per adopting customer",
                best_in_class_source="",
                assumption=True,
            )
        )
    if not extra:
        return catalogue
    return replace(catalogue, behaviours=(*catalogue.behaviours, *extra)).validate()


def load_catalogue(store: Any, dataset: str, flag_columns: tuple[str, ...] | list[str] = ()) -> Catalogue:
    """The dataset's stored catalogue; until it has one, the default catalogue plus any b_ flag column it does not measure."""
    stored = store.get_setting(dataset, SETTING, None)
    if stored is None:
        return with_data_flags(default_catalogue(), flag_columns)
    try:
        return catalogue_from_json(stored)
    except CatalogueError as exc:
        problem = f"The saved catalogue could not be read ({exc}); the default one is shown."
        return replace(with_data_flags(default_catalogue(), flag_columns), problems=(problem,))


def unused_flags(catalogue: Catalogue, flag_columns: tuple[str, ...] | list[str]) -> list[str]:
    """b_ flag columns of the data that no behaviour of the catalogue measures."""
    used = {b.measure.column for b in catalogue.behaviours if b.measure.kind == FLAG}
    return [c for c in flag_columns if c.startswith(contract.BEHAVIOUR_PREFIX) and c not in used]


def save_catalogue(store: Any, dataset: str, catalogue: Catalogue) -> Catalogue:
    """Check catalogue and store it as the dataset's setting; return the checked catalogue."""
    checked = catalogue.validate()
    store.set_setting(dataset, SETTING, checked.to_json())
    return checked


def reset_catalogue(store: Any, dataset: str) -> None:
    """Forget the dataset's own catalogue, so the default one applies again."""
    store.delete_setting(dataset, SETTING)
