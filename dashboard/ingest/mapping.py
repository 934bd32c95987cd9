"""The mapping of a file's columns to the contract: columns, derived rules, labels, formats; JSON for templates and the CLI.

A mapping file (``--mapping M.json``) holds one section per table::

    {
      "satisfaction_scale": "CSAT 1-5",
      "customers": {
        "read": {"delimiter": ",", "encoding": "auto"},
        "columns": {"customer_id": "customerID", "a_contract": "Contract", "churned": "Churn",
                    "b_e_billing": "PaperlessBilling"},
        "rules": [{"target": "b_autopay", "kind": "ends_with", "source": "PaymentMethod", "value": "(automatic)"},
                  {"target": "signup_date", "kind": "months_before", "source": "tenure", "value": "2024-12-31"}],
        "labels": {"stage": {"Lead": "prospect"}},
        "dates": {"JoinDate": "day-first"},
        "decimal": ".", "thousands": ","
      },
      "interactions": {
        "columns": {"customer_id": "Caller", "ts": "Call date", "channel": "Received via"},
        "times": {"ts": "Call time"},
        "dates": {"Call date": "month-name"},
        "anonymous": ["0", "", "unknown"],
        "steps": [{"channel": "ivr", "time": "IVR start"}, {"channel": "phone", "time": "Agent start", "handle_s": "Talk Time"}]
      }
    }

"steps" makes one row several touchpoints (dashboard/ingest/steps.py).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date

from dashboard import contract
from dashboard.ingest import formats, steps, vocab
from dashboard.ingest.errors import IngestError
from dashboard.ingest.guess import guess_dates, guess_numbers, looks_boolean, looks_numeric
from dashboard.ingest.joinspec import JoinSpec
from dashboard.ingest.rules import Rule, target_type_of
from dashboard.ingest.sources import ReadOptions
from dashboard.ingest.steps import Step

SATISFACTION_SCALES = {"CSAT 1-5": (1.0, 5.0), "NPS 0-10": (0.0, 10.0)}
"""Satisfaction scales an analyst chooses between, with their lowest and highest score."""

BEHAVIOUR_SYNONYMS = {
    "e_billing": ("paperlessbilling", "ebilling", "ebill", "paperless", "electronicbilling", "emailbilling", "onlinebilling"),
    "autopay": ("autopay", "automaticpayment", "autopayment", "directdebit", "recurringpayment", "autodebit"),
    "budget_billing": ("budgetbilling", "levelbilling", "equalpayments", "budgetplan", "equalbilling"),
    "smart_meter": ("smartmeter", "hassmartmeter", "ami"),
    "load_control": ("loadcontrol", "demandresponse", "loadcontrolequipment"),
    "efficient_equipment": ("efficientequipment", "energyefficient", "efficientappliances", "highefficiency"),
}
"""Header names that, holding yes/no values, become a behaviour flag b_<key>."""

ATTRIBUTE_SYNONYMS = {
    "contract": ("contract", "contracttype", "contractterm", "contractlength", "plantype", "subscriptiontype", "term"),
    "payment_method": ("paymentmethod", "paymenttype", "paymode", "paymentmode"),
    "internet_service": ("internetservice", "internettype", "broadband", "connectiontype"),
}
"""Header names that, holding a handful of text values, are kept with the customer as attribute a_<key> (Drivers
tests each value)."""
MAX_ATTRIBUTE_VALUES = 32
"""A kept attribute has at most this many distinct values in the sample (more reads as free text or an identifier)."""
_PAYMENT_METHOD = ("paymentmethod", "paymenttype", "paymode", "paymentmode", "paymentchannel")
_QUANTITY = ("quantity", "qty", "units", "numberofunits", "count", "numberofcds", "numberofitems")
_UNIT_PRICE = ("unitprice", "price", "priceeach", "itemprice", "unitcost")
_TENURE = ("tenure", "tenuremonths", "monthsactive", "monthsascustomer", "customermonths", "lengthofservice")
ANONYMOUS_IDS = ("0", "", "anonymous", "anon", "unknown", "n/a", "na", "-", "none", "null", "guest", "walk-in")
"""Customer IDs that usually mean "no known customer"; proposed (and editable) when a sample of IDs holds one."""
_FIXED_KEYS = {"read", "columns", "rules", "labels", "dates", "times", "anonymous", "decimal", "thousands", "join", "steps"}


@dataclass
class TableMapping:
    """How one table's files map to the contract: columns, rules, label choices, formats and read options."""

    table: str
    columns: dict[str, str] = field(default_factory=dict)
    """Contract column (or behaviour flag b_<key>) -> file column."""
    rules: list[Rule] = field(default_factory=list)
    labels: dict[str, dict[str, str]] = field(default_factory=dict)
    """Contract column -> {file label: vocabulary label, or "" to keep the file's label}."""
    dates: dict[str, str] = field(default_factory=dict)
    """File column -> date order chosen (iso, day-first, month-first, year-first, compact, month-name, yy-mm-dd)."""
    decimal: str = "auto"
    thousands: str = "auto"
    read: ReadOptions = field(default_factory=ReadOptions)
    times: dict[str, str] = field(default_factory=dict)
    """Timestamp target -> file column holding its time of day (ts = the mapped date + this time)."""
    anonymous: list[str] = field(default_factory=list)
    """Customer IDs that name no customer (transactions and interactions): such rows are published with customer_id
    null: they count in channel and stage totals, not as customers. "" stands for a blank ID."""
    join: JoinSpec | None = None
    """How the table's several files come together (joined or looked up on a key); None: they are appended."""
    steps: list[Step] = field(default_factory=list)
    """Interactions: the touchpoints one row makes (a call passing IVR, queue, agent), each with its channel and own
    columns (see dashboard/ingest/steps.py); empty: one row is one touchpoint."""

    def targets(self) -> list[str]:
        """Every target this mapping fills (mapped columns and rules): contract order first, then behaviour flags, then
        kept attributes, each by name (the order they are stored in, whether published from the page or the CLI)."""
        filled = set(self.columns) | {r.target for r in self.rules}
        spec = contract.TABLES[self.table]
        ordered = [c for c in spec.names if c in filled]
        extra = (target for target in filled if target not in spec.names)
        return ordered + sorted(extra, key=lambda target: (target.startswith(contract.ATTRIBUTE_PREFIX), target))

    def source_of(self, target: str) -> str:
        """How a target is filled, in words: the file column, or the rule."""
        if target in self.columns:
            return self.columns[target]
        for rule in self.rules:
            if rule.target == target:
                return rule.describe()
        return ""

    def validate(self) -> TableMapping:
        """Self when every target and rule makes sense for the table; IngestError naming the problem otherwise."""
        for target in self.columns:
            target_type_of(self.table, target)
        seen: set[str] = set(self.columns)
        for rule in self.rules:
            rule.validate(self.table)
            if rule.target in seen:
                raise IngestError(f"{self.table}: {rule.target} is filled twice (by a column and a rule, or two rules): keep one")
            seen.add(rule.target)
        for header, order in self.dates.items():
            if order not in formats.DATE_ORDERS:
                raise IngestError(
                    f"{self.table}: date order {order!r} for '{header}' is not one of {', '.join(formats.DATE_ORDERS)}"
                )
        for target, header in self.times.items():
            if target not in self.columns or target_type_of(self.table, target) != contract.TIMESTAMP:
                raise IngestError(
                    f"{self.table}: a time column ('{header}') goes with a mapped date and time column; {target} is not one"
                )
        if self.anonymous and self.table == "customers":
            raise IngestError("customers: anonymous IDs are for transactions and interactions (a customers row is a customer)")
        if self.decimal not in ("auto", *formats.DECIMALS):
            raise IngestError(f"{self.table}: decimal separator {self.decimal!r} must be auto, '.' or ','")
        if self.thousands not in ("auto", *formats.THOUSANDS):
            raise IngestError(f"{self.table}: thousands separator {self.thousands!r} must be auto, '', ',', '.', ' ' or \"'\"")
        self.read.validate()
        if self.join is not None:
            self.join.validate(self.table)
        return self

    def to_json(self) -> dict:
        """The mapping as a JSON-ready dict."""
        return {
            "read": self.read.to_json(),
            "columns": dict(self.columns),
            "rules": [r.to_json() for r in self.rules],
            "labels": {k: dict(v) for k, v in self.labels.items() if v},
            "dates": dict(self.dates),
            **({"times": dict(self.times)} if self.times else {}),
            **({"anonymous": list(self.anonymous)} if self.anonymous else {}),
            **({"join": self.join.to_json()} if self.join is not None else {}),
            **({"steps": [step.to_json() for step in self.steps]} if self.steps else {}),
            "decimal": self.decimal,
            "thousands": self.thousands,
        }

    @classmethod
    def from_json(cls, table: str, data: dict) -> TableMapping:
        """A table mapping from a dict written by to_json; IngestError naming the key that is wrong."""
        if not isinstance(data, dict):
            raise IngestError(f"mapping for {table} must be an object with columns, rules, labels, dates")
        unknown = set(data) - _FIXED_KEYS
        if unknown:
            raise IngestError(f"mapping for {table}: unknown keys {sorted(unknown)}; use {', '.join(sorted(_FIXED_KEYS))}")
        columns = data.get("columns", {})
        if not isinstance(columns, dict) or not all(isinstance(v, str) for v in columns.values()):
            raise IngestError(f"mapping for {table}: columns must map contract column names to file column names")
        rules = data.get("rules", [])
        if not isinstance(rules, list):
            raise IngestError(f"mapping for {table}: rules must be a list")
        labels = data.get("labels", {})
        if not isinstance(labels, dict) or not all(isinstance(v, dict) for v in labels.values()):
            raise IngestError(f"mapping for {table}: labels must map a column to {{file label: vocabulary label}}")
        return cls(
            table=table,
            columns={str(k): str(v) for k, v in columns.items()},
            rules=[Rule.from_json(r) for r in rules],
            labels={str(k): {str(a): str(b) for a, b in v.items()} for k, v in labels.items()},
            dates={str(k): str(v) for k, v in (data.get("dates") or {}).items()},
            times={str(k): str(v) for k, v in (data.get("times") or {}).items()},
            anonymous=[str(v) for v in (data.get("anonymous") or [])],
            steps=steps.parse(data.get("steps"), table),
            decimal=str(data.get("decimal", "auto")),
            thousands=str(data.get("thousands", "auto")),
            read=ReadOptions.from_json(data.get("read")),
            join=JoinSpec.from_json(data["join"], table) if data.get("join") is not None else None,
        ).validate()

    def reading_steps(self) -> TableMapping:
        """The mapping that reads the files rewritten one row per step (steps.explode); self without steps."""
        if not self.steps:
            return self
        columns, times, dates = steps.with_step_columns(self.columns, self.times, self.dates, self.steps)
        return self.copy(columns=columns, times=times, dates=dates)

    def copy(self, **changes) -> TableMapping:
        """A copy with changes (dicts and lists copied, so the original stays as it was)."""
        fresh = replace(
            self,
            columns=dict(self.columns),
            rules=list(self.rules),
            labels={k: dict(v) for k, v in self.labels.items()},
            dates=dict(self.dates),
            times=dict(self.times),
            anonymous=list(self.anonymous),
            steps=list(self.steps),
        )
        return replace(fresh, **changes) if changes else fresh


@dataclass
class Mapping:
    """The whole upload's mapping: one TableMapping per table, and the satisfaction scale."""

    tables: dict[str, TableMapping] = field(default_factory=dict)
    satisfaction_scale: str = ""

    def to_json(self) -> dict:
        """The mapping as a JSON-ready dict (the format of --mapping files)."""
        data: dict = {name: tm.to_json() for name, tm in self.tables.items()}
        if self.satisfaction_scale:
            data["satisfaction_scale"] = self.satisfaction_scale
        return data

    def dumps(self) -> str:
        """The mapping as stable JSON text (also its cache key)."""
        return json.dumps(self.to_json(), sort_keys=True, ensure_ascii=False)

    @classmethod
    def from_json(cls, data: object) -> Mapping:
        """A mapping from a parsed --mapping file; IngestError naming what is wrong."""
        if not isinstance(data, dict):
            raise IngestError("a mapping file must hold a JSON object with customers, transactions and/or interactions")
        unknown = set(data) - set(contract.TABLES) - {"satisfaction_scale"}
        if unknown:
            raise IngestError(
                f"mapping file: unknown keys {sorted(unknown)}; use customers, transactions, interactions, satisfaction_scale"
            )
        scale = str(data.get("satisfaction_scale", "") or "")
        if scale and scale not in SATISFACTION_SCALES:
            raise IngestError(f"mapping file: satisfaction_scale must be one of {', '.join(SATISFACTION_SCALES)}")
        tables = {name: TableMapping.from_json(name, data[name]) for name in contract.TABLES if name in data}
        return cls(tables, scale)


def fingerprint(headers: Sequence[str]) -> str:
    """A short hash of a header row (names trimmed and lower-cased, in order): the key of a mapping template."""
    text = "\x1f".join(str(h).strip().lower() for h in headers)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


# -- suggestions ----------------------------------------------------------------------------


def _by_norm(headers: Sequence[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    for header in headers:
        found.setdefault(contract.normalise(header), header)
    return found


def _fits(target_type: str, values: list[str], number: formats.NumberStyle, cur) -> bool:
    """Whether sample values can fill a column of target_type (so an automatic mapping is not obviously wrong)."""
    clean = [v for v in values if v is not None and str(v).strip()]
    if not clean:
        return True
    if target_type in (contract.NUMBER, contract.INTEGER):
        return looks_numeric(clean, number, least=1)  # a few values too: "good" is no satisfaction score
    if target_type == contract.BOOLEAN:
        return looks_boolean(clean)
    if target_type in (contract.DATE, contract.TIMESTAMP):
        guess = guess_dates(cur, clean[:2000])
        return bool(guess.ambiguous) or guess.parsed_share >= 0.9
    return True


_TIME_OF_DAY = re.compile(r"^\d{1,2}[:.]\d{2}([:.]\d{2}(\.\d+)?)?\s*([AaPp]\.?[Mm]\.?)?$")


def _time_columns(table: str, columns: dict[str, str], headers: Sequence[str], samples: dict[str, list[str]]) -> dict[str, str]:
    """ts -> a column named like a time whose values are all times of day, when ts's own column holds dates alone."""
    header = columns.get("ts")
    if table == "customers" or header is None or any(":" in v for v in samples.get(header, [])[:200]):
        return {}
    used = set(columns.values())
    for candidate in headers:
        values = [v.strip() for v in samples.get(candidate, [])[:200] if v.strip()]
        named = candidate not in used and "time" in contract.normalise(candidate)
        if named and values and all(_TIME_OF_DAY.match(v) for v in values):
            return {"ts": candidate}
    return {}


def _labels_fit(table: str, target: str, values: list[str]) -> bool:
    """Whether a column's labels belong to target's vocabulary: at least half its distinct labels are recognised
    (a ticket status, Open/Closed/Solved, is no relationship stage); true for targets without a vocabulary."""
    vocabulary = vocab.vocabulary_for(table, target)
    labels = {str(v).strip() for v in values if v is not None and str(v).strip()}
    if vocabulary is None or not labels or len(labels) > vocab.MAX_LABELS:
        return vocabulary is None or not labels
    return len(vocab.auto_labels(vocabulary, sorted(labels))) >= len(labels) / 2


def suggest(
    table: str,
    headers: Sequence[str],
    samples: dict[str, list[str]],
    cur,
    *,
    today: date | None = None,
) -> TableMapping:
    """An automatic mapping: headers by the contract's synonyms (when their values fit), behaviour flags and common rules.

    samples maps each header to some of its values as text (typed values already written as text).
    """
    number = guess_numbers([v for vs in samples.values() for v in vs[:200]]).style
    columns = {}
    for target, header in contract.auto_map(table, list(headers)).items():
        column = contract.TABLES[table].column(target)
        # a required column named as such stays mapped (the report shows its bad values); an optional one must fit
        values = samples.get(header, [])
        if column.required or (_fits(column.type, values, number, cur) and _labels_fit(table, target, values)):
            columns[target] = header
    rules: list[Rule] = []
    norm = _by_norm(headers)
    used = set(columns.values())
    if table == "customers":
        for key, synonyms in BEHAVIOUR_SYNONYMS.items():
            for synonym in synonyms:
                header = norm.get(synonym)
                if header and header not in used and looks_boolean(samples.get(header, [])):
                    columns[contract.behaviour_column(key)] = header
                    used.add(header)
                    break
        for key, synonyms in ATTRIBUTE_SYNONYMS.items():
            header = next((norm[s] for s in synonyms if s in norm and norm[s] not in used), None)
            values = {str(v).strip() for v in samples.get(header, []) if v is not None and str(v).strip()} if header else set()
            if header and 2 <= len(values) <= MAX_ATTRIBUTE_VALUES and not looks_boolean(list(values)):
                columns[contract.attribute_column(key)] = header
                used.add(header)
        autopay = contract.behaviour_column("autopay")
        if autopay not in columns:
            rule = _autopay_rule(norm, samples, autopay)
            if rule:
                rules.append(rule)
        if "signup_date" not in columns:
            tenure = next((norm[s] for s in _TENURE if s in norm), None)
            if tenure and looks_numeric(samples.get(tenure, []), number):
                reference = (today or date.today()).isoformat()
                rules.append(Rule("signup_date", "months_before", tenure, reference))
    times = _time_columns(table, columns, headers, samples)
    anonymous: list[str] = []
    if table != "customers" and "customer_id" in columns:
        ids = {str(v).strip().lower() for v in samples.get(columns["customer_id"], [])}
        if ids & (set(ANONYMOUS_IDS) - {""}):
            anonymous = list(ANONYMOUS_IDS)
    if table == "transactions" and "amount" not in columns:
        quantity = next((norm[s] for s in _QUANTITY if s in norm), None)
        price = next((norm[s] for s in _UNIT_PRICE if s in norm), None)
        if quantity and price:
            rules.append(Rule("amount", "product", quantity, other=price))
    return TableMapping(table, columns, rules, times=times, anonymous=anonymous)


def _autopay_rule(norm: dict[str, str], samples: dict[str, list[str]], target: str) -> Rule | None:
    """autopay from a payment-method column whose values say which methods are automatic."""
    for synonym in _PAYMENT_METHOD:
        header = norm.get(synonym)
        if not header:
            continue
        values = {str(v).strip() for v in samples.get(header, []) if v}
        if any(v.lower().endswith("(automatic)") for v in values):
            return Rule(target, "ends_with", header, "(automatic)")
        if any(re.search(r"\bautomatic\b|direct debit|autopay", v.lower()) for v in values):
            return Rule(target, "contains", header, "automatic")
    return None


def merge_template(template: TableMapping, headers: Sequence[str]) -> tuple[TableMapping, list[str]]:
    """A template's mapping kept to what these headers can fill; and notes on what was dropped."""
    present = set(headers)
    notes = []
    columns = {}
    for target, header in template.columns.items():
        if header in present:
            columns[target] = header
        else:
            notes.append(f"the template maps {target} to '{header}', which this file does not have")
    rules = []
    for rule in template.rules:
        missing = [h for h in rule.sources() if h not in present]
        if missing:
            notes.append(f"the template's rule {rule.describe()} reads {', '.join(missing)}, which this file does not have")
        else:
            rules.append(rule)
    dates = {h: o for h, o in template.dates.items() if h in present}
    times = {t: h for t, h in template.times.items() if h in present and t in columns}
    return template.copy(columns=columns, rules=rules, dates=dates, times=times), notes
