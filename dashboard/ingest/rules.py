"""Derived columns: simple rules that compute a contract column or a behaviour flag from a file's columns.

Examples: autopay = PaymentMethod ends with "(automatic)"; churned = Churn equals "Yes";
amount = Quantity × UnitPrice; signup_date = tenure months before a reference date.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from dashboard import contract
from dashboard.ingest import formats
from dashboard.ingest.errors import IngestError
from dashboard.sql import Sql, list_contains, lit, sql

FLAG_KINDS = {
    "equals": "equals",
    "one_of": "is one of (comma-separated)",
    "contains": "contains",
    "starts_with": "starts with",
    "ends_with": "ends with",
    "at_least": "is at least (number)",
}
"""Rules that give a yes/no flag (case-insensitive text comparisons, or a number threshold)."""

KINDS = {
    **FLAG_KINDS,
    "product": "× another column (number)",
    "months_before": "months before a reference date (date)",
    "constant": "the same value on every row",
    "combine": "joined with another column (an ID made of two columns)",
    "row_number": "the row's number in its file (an ID for files without one)",
}
"""Every rule kind with the words shown to users."""

_OUTPUT = {kind: contract.BOOLEAN for kind in FLAG_KINDS} | {
    "product": contract.NUMBER,
    "months_before": contract.DATE,
    "constant": "",
    "combine": contract.TEXT,
    "row_number": contract.TEXT,
}
ID_KINDS = ("combine", "row_number")
"""Rules that can make an identifier (customer_id, transaction_id)."""


@dataclass(frozen=True)
class Rule:
    """target = kind(source, value, other): e.g. b_autopay = ends_with(PaymentMethod, "(automatic)")."""

    target: str
    kind: str
    source: str = ""
    value: str = ""
    other: str = ""

    def describe(self) -> str:
        """The rule in words, as shown in the mapping and the report."""
        if self.kind == "product":
            return f"{self.target} = {self.source} × {self.other}"
        if self.kind == "months_before":
            return f"{self.target} = {self.value} minus {self.source} months"
        if self.kind == "constant":
            return f"{self.target} = '{self.value}' on every row"
        if self.kind == "combine":
            return f"{self.target} = {self.source} | {self.other}"
        if self.kind == "row_number":
            return f"{self.target} = the row number in its file"
        return f"{self.target} = {self.source} {KINDS[self.kind]} '{self.value}'"

    def sources(self) -> tuple[str, ...]:
        """File columns the rule reads."""
        return tuple(h for h in (self.source, self.other) if h)

    def to_json(self) -> dict:
        """The rule as a JSON-ready dict (empty fields left out)."""
        data = {"target": self.target, "kind": self.kind, "source": self.source, "value": self.value, "other": self.other}
        return {k: v for k, v in data.items() if v}

    @classmethod
    def from_json(cls, data: dict) -> Rule:
        """A rule from a dict written by to_json."""
        unknown = set(data) - {"target", "kind", "source", "value", "other"}
        if unknown:
            raise IngestError(f"rule {data!r}: unknown keys {sorted(unknown)} (use target, kind, source, value, other)")
        return cls(
            str(data.get("target", "")),
            str(data.get("kind", "")),
            str(data.get("source", "")),
            str(data.get("value", "")),
            str(data.get("other", "")),
        )

    def validate(self, table: str) -> Rule:
        """Self when the rule makes sense for table; IngestError saying what is wrong otherwise."""
        where = f"{table} rule '{self.target or '?'}'"
        if self.kind not in KINDS:
            raise IngestError(f"{where}: unknown kind {self.kind!r}; choose one of {', '.join(KINDS)}")
        target_type = target_type_of(table, self.target)
        if self.target == "customer_id" and self.kind not in ID_KINDS:
            raise IngestError(f"{where}: the customer ID comes from a column, two columns joined, or the row number")
        if self.kind in ID_KINDS and target_type != contract.TEXT:
            raise IngestError(f"{where}: '{KINDS[self.kind]}' gives an identifier (text), but {self.target} is {target_type}")
        output = _OUTPUT[self.kind]
        if output == contract.BOOLEAN and target_type != contract.BOOLEAN:
            raise IngestError(f"{where}: '{KINDS[self.kind]}' gives yes/no, but {self.target} is {target_type}")
        if output == contract.NUMBER and target_type not in (contract.NUMBER, contract.INTEGER):
            raise IngestError(f"{where}: a product gives a number, but {self.target} is {target_type}")
        if output == contract.DATE and target_type not in (contract.DATE, contract.TIMESTAMP):
            raise IngestError(f"{where}: months before a date gives a date, but {self.target} is {target_type}")
        if self.kind not in ("constant", "row_number") and not self.source:
            raise IngestError(f"{where}: choose the column the rule reads")
        if self.kind == "product" and not self.other:
            raise IngestError(f"{where}: choose the second column to multiply by")
        if self.kind == "combine" and not self.other:
            raise IngestError(f"{where}: choose the second column to join")
        if self.kind in ("equals", "one_of", "contains", "starts_with", "ends_with") and not self.value.strip():
            raise IngestError(f"{where}: enter the text to compare with")
        if self.kind == "at_least":
            _number(self.value, where)
        if self.kind == "months_before":
            _reference_date(self.value, where)
        if self.kind == "constant":
            _constant(self.value, target_type, where)
        return self


def target_type_of(table: str, target: str) -> str:
    """The contract type of a mapping target: a column of table, or a behaviour flag (customers only)."""
    spec = contract.TABLES[table]
    named = {
        contract.BEHAVIOUR_PREFIX: ("behaviour", contract.behaviour_column, contract.BOOLEAN),
        contract.ATTRIBUTE_PREFIX: ("attribute", contract.attribute_column, contract.TEXT),
    }
    for prefix, (what, column_for, column_type) in named.items():
        if target.startswith(prefix) and table == "customers":
            try:
                column_for(target[len(prefix) :])
            except ValueError as exc:
                raise IngestError(f"customers: {what} {target!r}: {exc}") from None
            return column_type
    try:
        return spec.column(target).type
    except KeyError:
        raise IngestError(
            f"{table} has no column {target!r}; its columns are {', '.join(spec.names)}"
            + (" and behaviour flags b_<name> and attributes a_<name>" if table == "customers" else "")
        ) from None


def _number(value: str, where: str) -> float:
    try:
        return float(value)
    except ValueError:
        raise IngestError(f"{where}: {value!r} is not a number") from None


def _reference_date(value: str, where: str) -> date:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise IngestError(f"{where}: the reference date {value!r} must be written as YYYY-MM-DD") from None


def _constant(value: str, target_type: str, where: str) -> object:
    if target_type in (contract.NUMBER, contract.INTEGER):
        return _number(value, where)
    if target_type in (contract.DATE, contract.TIMESTAMP):
        return _reference_date(value, where)
    if target_type == contract.BOOLEAN:
        try:
            flag = contract.parse_bool(value)
        except ValueError:
            flag = None
        if flag is None:
            raise IngestError(f"{where}: {value!r} is not a yes/no value")
        return flag
    if not value.strip():
        raise IngestError(f"{where}: enter the value")
    return value.strip()


def rule_sql(
    rule: Rule,
    table: str,
    columns: dict[str, tuple[str, str]],
    number: formats.NumberStyle,
    row_prefix: str = "",
) -> formats.Converted:
    """The rule's value and "its inputs are blank" as SQL; columns maps each header the rule reads to (column, kind).

    A row number is the row's place in the read (1 for the first data row), after row_prefix (the file, when several)."""
    target_type = target_type_of(table, rule.target)
    if rule.kind == "row_number":
        return formats.Converted(sql("{} || cast(row_number() over () as varchar)", lit(row_prefix)), Sql("false"))
    if rule.kind == "constant":
        constant = _constant(rule.value, target_type, rule.target)
        return formats.Converted(sql(f"cast({{}} as {contract.SQL_TYPES[target_type]})", lit(constant)), Sql("false"))
    col, kind = columns[rule.source]
    if rule.kind == "combine":
        first, second = formats.identifier_value(col, kind), formats.identifier_value(*columns[rule.other])
        value = sql(
            "case when not ({} and {}) then concat_ws(' | ', {}, {}) end", first.blank, second.blank, first.value, second.value
        )
        return formats.Converted(value, sql("({} and {})", first.blank, second.blank))
    if rule.kind in ("equals", "one_of", "contains", "starts_with", "ends_with"):
        text = formats.text_value(col, kind)
        lowered = sql("lower({})", text.value)
        if rule.kind == "equals":
            value = sql("{} = {}", lowered, lit(rule.value.strip().lower()))
        elif rule.kind == "one_of":
            words = [w.strip().lower() for w in rule.value.split(",") if w.strip()]
            value = list_contains(lit(words), lowered)
        else:
            function = {"contains": "contains", "starts_with": "starts_with", "ends_with": "ends_with"}[rule.kind]
            value = sql(f"{function}({{}}, {{}})", lowered, lit(rule.value.strip().lower()))
        return formats.Converted(value, text.blank)
    number_value = formats.number_value(col, kind, number)
    if rule.kind == "at_least":
        return formats.Converted(sql("{} >= {}", number_value.value, lit(float(rule.value))), number_value.blank)
    if rule.kind == "product":
        other_col, other_kind = columns[rule.other]
        other = formats.number_value(other_col, other_kind, number)
        return formats.Converted(
            sql("{} * {}", number_value.value, other.value), sql("({} or {})", number_value.blank, other.blank)
        )
    if rule.kind == "months_before":
        reference = _reference_date(rule.value, rule.target)
        value = sql(
            f"cast(cast({{}} as date) - to_months(cast(round({{}}) as integer)) as {contract.SQL_TYPES[target_type]})",
            lit(reference),
            number_value.value,
        )
        return formats.Converted(value, number_value.blank)
    raise IngestError(f"unknown rule kind {rule.kind!r}")
