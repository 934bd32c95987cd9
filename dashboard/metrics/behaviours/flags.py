"""Which customers show each behaviour: the customers of the period, the customers in scope, and one flag per measured
behaviour, as one select over the prepared bh_ tables (adoption.summary counts it; other views read it too).

Two populations, both for the selected segments, regions and months (prospects never count):

- **customers of the period**: signed up by the end of the period and not defected before its start
  (the Overview's "Customers"). Churn and satisfaction comparisons are made over them.
- **customers in scope** for adoption (the catalogue's scope): by default the customers still active at the
  end of the period when the data say when customers left (a churn date), otherwise every customer of the
  period (a snapshot such as the telco file, where a churned flag marks customers lost during it).

Derived behaviours read contacts (stg_contacts.is_contact: customer-started touchpoints; all touchpoints when the
data do not say who started them), each counted once, on its first step's channel (the IVR, queue and agent steps of
one call are one contact, on ivr: stg_contacts.first_step) in calendar months, up to each customer's last month as a
customer within the period: the month they left, or the period's last month (the data's last month when no period is
set).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

from dashboard import contract
from dashboard.metrics.behaviours.catalogue import DERIVED, FLAG, NO_CONTACT, RULE, SCOPES, SELF_SERVICE, Catalogue, Measure
from dashboard.metrics.scope import NOT_SET, Filters
from dashboard.sql import Sql, in_list, join, lit, sql, with_ctes
from dashboard.store import Version


def month_index(value: date) -> int:
    """Months since year 0 of value's month (January 2024 = 2024 × 12), the unit derived windows count in."""
    return value.year * 12 + value.month - 1


@dataclass(frozen=True)
class BehaviourSpec:
    """What the behaviour figures depend on: the shared filters, how each behaviour is measured, and the scope."""

    filters: Filters = Filters()
    measures: tuple[tuple[str, Measure], ...] = ()
    scope: str = "auto"

    def validate(self) -> BehaviourSpec:
        """Self with filters and measures checked; ValueError otherwise."""
        if self.scope not in SCOPES:
            raise ValueError(f"scope {self.scope!r} is not one of {', '.join(SCOPES)}")
        for key, _measure in self.measures:
            contract.behaviour_column(key)
        return BehaviourSpec(self.filters.validate(), tuple((k, m.validate()) for k, m in self.measures), self.scope)

    def in_every_segment(self) -> BehaviourSpec:
        """Self over every segment (the same regions, months, measures and scope)."""
        return replace(self, filters=replace(self.filters, segments=()))

    @classmethod
    def of(cls, catalogue: Catalogue, filters: Filters = Filters()) -> BehaviourSpec:
        """The spec for a catalogue (only its measures and scope) and the shared filters."""
        return cls(filters, catalogue.measures(), catalogue.scope)


def resolve_scope(scope: str, version: Version) -> str:
    """The scope in force: "active" or "period" ("auto" is "active" when the data carry churn dates)."""
    if scope == "auto":
        return "active" if version.has("customers", "churn_date") else "period"
    return scope


def scope_text(scope: str, version: Version) -> str:
    """Which customers adoption is measured over, in words."""
    resolved = resolve_scope(scope, version)
    if resolved == "active":
        why = " (the data say when customers left)" if scope == "auto" else ""
        return f"active customers at the end of the period{why}"
    why = " (the data do not say when customers left, so those marked churned count too)" if scope == "auto" else ""
    return f"every customer of the period, including those who left during it{why}"


def measurable(measure: Measure, version: Version) -> tuple[bool, str]:
    """Whether the version's data can measure this behaviour, and if not, why (in words)."""
    customer_columns = version.columns.get("customers", ())
    if measure.kind == FLAG:
        if measure.column in customer_columns:
            return True, ""
        return False, f"the customers table has no column {measure.column}"
    if measure.kind == RULE:
        if measure.column in customer_columns:
            if measure.operator in ("is true", "is false") and _column_type(measure.column) != contract.BOOLEAN:
                return False, f"{measure.column} is not a yes/no column"
            return True, ""
        return False, f"the customers table has no column {measure.column}"
    if measure.kind in DERIVED:
        if version.has("interactions"):
            return True, ""
        return False, "the dataset has no touchpoints (interactions)"
    return False, "no data behind it"


def measured_keys(spec: BehaviourSpec, version: Version) -> tuple[str, ...]:
    """Keys of the spec's behaviours that the version's data can measure, in catalogue order."""
    return tuple(key for key, measure in spec.measures if measurable(measure, version)[0])


def _column_type(column: str) -> str:
    if column.startswith(contract.BEHAVIOUR_PREFIX):
        return contract.BOOLEAN
    try:
        return contract.CUSTOMERS.column(column).type
    except KeyError:
        return contract.TEXT


def _rule_sql(measure: Measure) -> Sql:
    """SQL condition (with params) for a rule on a customers column; the column is checked and quoted by the caller."""
    col = Sql(f'c."{measure.column}"')
    kind, op, value = _column_type(measure.column), measure.operator, measure.value.strip()
    if op == "is true":
        return sql("{} = true", col)
    if op == "is false":
        return sql("{} = false", col)
    if op == "is set":
        return sql("{} is not null", col)
    if op in (">=", ">", "<=", "<"):
        if kind in (contract.NUMBER, contract.INTEGER):
            return sql(f"{{}} {op} {{}}", col, lit(_number(value, measure)))
        if kind == contract.DATE:
            return sql(f"{{}} {op} {{}}", col, lit(_date(value, measure)))
        return sql(f"lower(cast({{}} as varchar)) {op} lower({{}})", col, lit(value))
    if kind in (contract.NUMBER, contract.INTEGER) and op in ("equals", "not equals"):
        return sql(f"{{}} {'=' if op == 'equals' else '<>'} {{}}", col, lit(_number(value, measure)))
    text = sql("lower(cast({} as varchar))", col)
    if op == "equals":
        return sql("{} = lower({})", text, lit(value))
    if op == "not equals":
        return sql("{} <> lower({})", text, lit(value))
    if op == "one of":
        items = [v.strip() for v in value.split(",") if v.strip()]
        return sql("{} in ({})", text, join([sql("lower({})", lit(item)) for item in items]))
    if op == "starts with":
        return sql("starts_with({}, lower({}))", text, lit(value))
    if op == "ends with":
        return sql("ends_with({}, lower({}))", text, lit(value))
    return sql("contains({}, lower({}))", text, lit(value))


def _number(value: str, measure: Measure) -> float:
    try:
        return float(value.replace(",", ""))
    except ValueError:
        raise ValueError(f"the rule on {measure.column} needs a number, not {value!r}") from None


def _date(value: str, measure: Measure) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"the rule on {measure.column} needs a date like 2024-01-31, not {value!r}") from None


def flags_sql(version: Version, spec: BehaviourSpec) -> tuple[Sql, tuple[str, ...]]:
    """Select of the customers of the period, one row each, with their attributes and one boolean per measured behaviour.

    Columns: cid, customer_id, segment, region, satisfaction, defected (defected during the period), active (still a
    customer at its end), in_scope (counted for adoption), b_<key> per measured behaviour, n_behaviours.
    Returns (the select, measured keys).
    """
    spec = spec.validate()
    keys = measured_keys(spec, version)
    measures = {key: measure for key, measure in spec.measures if key in keys}
    ctes = {"cust": _customers_sql(version, spec.filters)}
    contact_cols = _contact_columns(measures)
    contacts_join = ""
    if contact_cols:
        ctes["contacts"] = sql(
            f"""
            select k.cid, {{}}
            from {version.table("bh_contacts")} k
            join cust c on c.cid = k.cid
            where k.month_index <= c.end_month
            group by k.cid
            """,
            join(contact_cols),
        )
        contacts_join = "left join contacts k on k.cid = c.cid"
    ctes["flags"] = sql(
        f"""
            select c.cid, c.customer_id, c.segment_label as segment, c.region_label as region, c.satisfaction,
                   c.defected_in_period as defected, not c.defected_in_period as active
                   {{}}
            from cust c
            {contacts_join}
        """,
        join([sql(f", coalesce({{}}, false) as b_{key}", _flag_expression(key, m)) for key, m in measures.items()], ""),
    )
    in_scope = "not defected" if resolve_scope(spec.scope, version) == "active" else "true"
    count_expr = " + ".join(f"cast(b_{k} as integer)" for k in keys) or "0"
    final = f"select *, ({in_scope}) as in_scope, {count_expr} as n_behaviours from flags"
    return with_ctes(ctes, final), keys


def _customers_sql(version: Version, filters: Filters) -> Sql:
    """The customers of the period (prospects never), with defected_in_period and end_month: the last calendar month
    their contacts count in (the month they left, or the period's last)."""
    cond = [Sql("not c.is_prospect"), filters.dimension_sql("c.segment", "c.region")]
    if filters.month_to:
        cond.append(sql("(c.signup_date is null or c.signup_date < {})", lit(filters.period_end)))
    if filters.month_from:
        cond.append(sql("not (c.defected and c.defected_since is not null and c.defected_since < {})", lit(filters.month_from)))
    defected = Sql("c.defected")
    if filters.month_to:
        defected = sql("c.defected and (c.defected_since is null or c.defected_since < {})", lit(filters.period_end))
    end_month = (
        lit(month_index(filters.month_to))
        if filters.month_to
        else Sql(f"(select last_month_index from {version.table('bh_span')})")
    )
    return sql(
        """
        select c.*,
               coalesce(c.segment, {not_set}) as segment_label,
               coalesce(c.region, {not_set}) as region_label,
               ({defected}) as defected_in_period,
               case when ({defected}) and c.defected_since is not null
                    then year(c.defected_since) * 12 + month(c.defected_since) - 1
                    else {end_month} end as end_month
        from {customers} c
        where {cond}
        """,
        not_set=lit(NOT_SET),
        defected=defected,
        end_month=end_month,
        customers=version.table("bh_customers"),
        cond=join(cond, " and "),
    )


def _contact_columns(measures: dict[str, Measure]) -> list[Sql]:
    """Per derived behaviour, its contacts counted per customer within its window (on its channels; and all of them,
    for a share of self-service)."""
    columns = []
    for key, m in measures.items():
        if m.kind not in DERIVED:
            continue
        window = sql("and k.month_index > c.end_month - {}", lit(m.months)) if m.months else Sql("")
        columns.append(sql(f"sum(k.n) filter (where {{}} {{}}) as on_{key}", in_list("k.channel", m.channels), window))
        if m.kind == SELF_SERVICE:
            columns.append(sql(f"sum(k.n) filter (where true {{}}) as all_{key}", window))
    return columns


def _flag_expression(key: str, m: Measure) -> Sql:
    """Whether a customer shows the behaviour (null counts as not)."""
    if m.kind == FLAG:
        return Sql(f'c."{m.column}"')
    if m.kind == RULE:
        return _rule_sql(m)
    if m.kind == NO_CONTACT:
        return sql(f"coalesce(k.on_{key}, 0) <= {{}}", lit(m.max_contacts))
    return sql(f"k.on_{key} >= {{}} * k.all_{key}", lit(m.min_share))
