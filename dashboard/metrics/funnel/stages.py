"""The relationship-stage model: the seven ordered stages, the editable rules that assign them, and every customer's
stage on any date, read from small per-customer tables prepared at publish time.

Other views use it through three functions:

    model = stages.load_model(store, dataset)              # the dataset's saved model, or the default
    stage = stages.customer_stage_sql(version, model, as_of=None)   # an Sql block: text and parameters
    cur.execute(*sql("with st as ({}) select stage, count(*) from st group by stage", stage))

`customer_stage_sql` selects `(customer_id, stage)` for every customer known on `as_of` (signed up, or first seen,
by then; None = the last day of the data); `stage` is the stage's display name and `model.names` gives their order.
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
from dashboard.metrics.scope import NOT_SET, Filters, as_date
from dashboard.sql import Sql, join, list_contains, list_count, list_item, lit, sql
from dashboard.staged.customers import LABEL_HOWS
from dashboard.staged.definitions import MIN_WINDOW
from dashboard.staged.profile import LEADS_TO_DEALS, REPEAT_PURCHASE
from dashboard.staged.sql import day_total
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


# -- prepare at publish --------------------------------------------------------------------------


def prepare(cur: duckdb.DuckDBPyConnection, version: Version) -> None:
    """Build the rule-independent tables stages are computed from: data span, one row per customer, purchase gaps,
    monthly money per customer, and touchpoints without a cost counted by channel."""
    customers, transactions, interactions = (version.table(t) for t in ("customers", "transactions", "interactions"))
    has_tx = version.has("transactions")
    cur.execute(
        f"""
        create table {version.table("fn_span")} as
        with tx as (select min(cast(ts as date)) as lo, max(cast(ts as date)) as hi from {transactions}),
             ix as (select min(cast(ts as date)) as lo, max(cast(ts as date)) as hi from {interactions}),
             cu as (select min(signup_date) as lo, greatest(max(signup_date), max(churn_date)) as hi from {customers})
        select tx.lo as tx_start,
               coalesce(least(tx.lo, ix.lo), cu.lo) as data_start,
               cast(? as date) as data_end
        from tx, ix, cu
        """,
        [staged.load_profile(cur, version).as_of],
    )
    since = (
        "case when p.first_p is null then null "
        "when c.signup_date < (select tx_start from span) then c.signup_date else p.first_p end"
        if has_tx
        else "coalesce(c.signup_date, (select data_start from span))"
    )
    cur.execute(
        f"""
        create table {version.table("fn_customers")} as
        with span as (select * from {version.table("fn_span")}),
             ids as (
                 select customer_id, cast(row_number() over (order by customer_id) as integer) as ck
                 from {version.table("stg_customers")}
             ),
             days as (
                 select customer_id, cast(ts as date) as day, {day_total()} as amount
                 from {transactions} group by all
             ),
             p as (
                 select customer_id, list(day order by day) as pdays, min(day) as first_p, max(day) as last_p,
                        count(*) as n_purchases
                 from days where amount > 0 group by customer_id
             ),
             k as (
                 select customer_id, list(cast(ts as date) order by ts) as cdays
                 from {interactions} where lower(stage) = 'complaint' group by customer_id
             ),
             base as (
                 select ids.ck, st.customer_id,
                        coalesce(c.segment, ?) as segment, coalesce(c.region, ?) as region,
                        c.signup_date as lead_date,
                        {since} as since,
                        coalesce(least(c.signup_date, p.first_p), (select data_start from span)) as exists_from,
                        p.pdays, p.first_p, p.last_p, coalesce(p.n_purchases, 0) as n_purchases,
                        {", ".join(f"p.pdays[{k}] as p_{k}" for k in range(1, NTH_COLUMNS + 1))},
                        c.churn_date, coalesce(list_contains(?, st.defected_how), false) as churned_flag,
                        c.referrals, c.acquisition_cost,
                        c.stage as stage_raw,
                        case when c.stage is not null then regexp_replace(lower(c.stage), '[^0-9a-z]+', '', 'g') end
                            as stage_label,
                        k.cdays,
                        cast(? as boolean) as tenure_counts,
                        st.defected as st_defected, st.at_risk as st_at_risk
                 from {version.table("stg_customers")} st
                 join ids using (customer_id)
                 left join (select * from {customers} where customer_id is not null) c using (customer_id)
                 left join p using (customer_id)
                 left join k using (customer_id)
             )
        select * exclude (churn_date, churned_flag),
               churn_date,
               coalesce(churn_date, case when churned_flag then coalesce(last_p + 1, exists_from) end) as churn_at
        from base
        order by ck
        """,
        [NOT_SET, NOT_SET, list(LABEL_HOWS), tenure_counts(staged.load_profile(cur, version))],
    )
    cur.execute(
        f"""
        create table {version.table("fn_gaps")} as
        select ck, from_day, to_day, to_day - from_day as gap
        from (
            select ck, day as from_day, lead(day) over (partition by ck order by day) as to_day
            from (select ck, unnest(pdays) as day from {version.table("fn_customers")} where pdays is not null)
        )
        where to_day - from_day > ?
        order by gap
        """,
        [MIN_GAP_DAYS],
    )
    cur.execute(
        f"""
        create table {version.table("fn_monthly")} as
        with ids as (select customer_id, ck from {version.table("fn_customers")}),
             tx as (
                 select customer_id, cast(date_trunc('month', ts) as date) as month,
                        sum(amount) as spend, coalesce(sum(cost), 0) as tx_cost
                 from {transactions} group by all
             ),
             ix as (
                 select customer_id, cast(date_trunc('month', ts) as date) as month,
                        coalesce(sum(cost), 0) as ix_cost, count(*) as contacts
                 from {interactions} group by all
             )
        select ids.ck, month,
               coalesce(tx.spend, 0) as spend,
               coalesce(tx.tx_cost, 0) + coalesce(ix.ix_cost, 0) as known_cost,
               coalesce(ix.contacts, 0) as contacts
        from tx full outer join ix using (customer_id, month)
        join ids using (customer_id)
        order by month
        """
    )
    cur.execute(
        f"""
        create table {version.table("fn_nocost")} as
        select ids.ck, cast(date_trunc('month', i.ts) as date) as month, lower(i.channel) as channel,
               count(*) filter (where coalesce(k.first_step, true)) as contacts
        from {interactions} i
        join (select customer_id, ck from {version.table("fn_customers")}) ids using (customer_id)
        left join {version.table("stg_contacts")} k on k.contact_id = i.rowid
        where i.cost is null
        group by all
        having count(*) filter (where coalesce(k.first_step, true)) > 0
        order by month
        """
    )


def tenure_counts(profile: staged.DataProfile) -> bool:
    """Whether time as a customer can lift a stage: in contract data and data without purchases, not where purchase
    histories show who comes back (repeat purchase, leads to deals)."""
    return profile.kind not in (REPEAT_PURCHASE, LEADS_TO_DEALS)


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


def _rule_values(model: StageModel, version: Version) -> list[tuple[str, str, Any]]:
    """(column, sql type, value) of the one-row `rule` relation every stage query reads its thresholds from."""
    rules = model.rules
    recency = [d for d in (rules.at_risk_days, rules.defected_days) if d]
    values: list[tuple[str, str, Any]] = [
        ("repeat_purchases", "integer", rules.repeat_purchases),
        ("repeat_tenure_days", "integer", rules.repeat_tenure_days),
        ("loyal_purchases", "integer", rules.loyal_purchases),
        ("loyal_tenure_days", "integer", rules.loyal_tenure_days),
        ("advocate_referrals", "integer", rules.advocate_referrals),
        ("at_risk_days", "integer", rules.at_risk_days),
        ("at_risk_complaints", "integer", rules.at_risk_complaints),
        ("at_risk_complaint_days", "integer", rules.at_risk_complaint_days),
        ("defected_days", "integer", rules.defected_days),
        ("min_gap", "integer", min(recency) if recency else 1_000_000),
        ("names", "varchar[]", model.names_by_code()),
    ]
    for role in ROLES:
        values.append((f"labels_{role}", "varchar[]", stage_labels(model, role)))
    return values


def stage_labels(model: StageModel, role: str) -> list[str]:
    """Normalised stage-column labels read as role: its current name, its default name and the vocabulary's synonyms."""
    labels = {normalise(model.name(role)), normalise(DEFAULT_NAMES[role])}
    labels.update(normalise(word) for word in RELATIONSHIP_STAGES.synonyms.get(DEFAULT_NAMES[role], ()))
    taken = {normalise(name) for r, name in model.stages if r != role}
    return sorted(label for label in labels if label and (label == normalise(model.name(role)) or label not in taken))


def _entry_sql(model: StageModel, version: Version) -> dict[str, str]:
    """SQL for the day each ladder role's own rule is first met (null = not met), reading fn_customers columns (alias c).

    No entry can fall before the customer's since day: the k-th purchase comes on or after the first, and since + days
    is later than since. The advocate's entry reads other entries, so it comes from _advocate_sql over a base row."""
    rules = model.rules
    has_tx = version.has("transactions")

    def threshold(prefix: str, join: str) -> str:
        purchases, tenure = getattr(rules, f"{prefix}_purchases"), getattr(rules, f"{prefix}_tenure_days")
        if not purchases:
            count_part = None
        elif not has_tx:
            count_part = "cast(null as date)"
        elif purchases <= NTH_COLUMNS:
            count_part = f"c.p_{int(purchases)}"  # a prepared column: the k-th purchase day
        else:
            count_part = f"c.pdays[rule.{prefix}_purchases]"
        # tenure lifts a stage only where it stands for loyalty (contracts): with purchase histories a one-off buyer
        # is not repeat by tenure alone, so there tenure never meets an "or" and always meets an "and"
        otherwise = "else c.since end" if join == "and" and count_part is not None else "end"
        tenure_part = f"case when c.tenure_counts then c.since + rule.{prefix}_tenure_days {otherwise}" if tenure else None
        parts = [p for p in (count_part, tenure_part) if p is not None]
        if not parts:
            return "c.since"
        if len(parts) == 1:
            return parts[0]
        if join == "or":
            return f"least({parts[0]}, {parts[1]})"
        return f"case when {parts[0]} is null or {parts[1]} is null then null else greatest({parts[0]}, {parts[1]}) end"

    return {
        "prospect": "c.exists_from",
        "first_purchase": "c.since",
        "repeat": threshold("repeat", rules.repeat_join),
        "loyal": threshold("loyal", rules.loyal_join),
    }


def _advocate_sql(model: StageModel, version: Version) -> str:
    """SQL (over a base row b with entry columns e_<role>) for the day the advocate rule is first met."""
    rules = model.rules
    if rules.advocate_referrals and version.has("customers", "referrals"):
        return f"case when b.referrals >= rule.advocate_referrals then b.e_{rules.advocate_from} end"
    return "cast(null as date)"


def _entry_columns(model: StageModel, version: Version) -> dict[str, str]:
    """SQL for every ladder role's entry over a base row b."""
    return {**{role: f"b.e_{role}" for role in LADDER if role != "advocate"}, "advocate": _advocate_sql(model, version)}


def reached_sql(model: StageModel, version: Version) -> dict[str, str]:
    """SQL (over a staged base row b) for the day each ladder stage was reached: its own rule or the rule of any
    stage above it first met."""
    own = _entry_columns(model, version)
    ladder = model.ladder
    reached = {}
    for i, role in enumerate(ladder):
        above = [own[r] for r in ladder[i:]]
        reached[role] = above[0] if len(above) == 1 else f"least({', '.join(above)})"
    return reached


FIXED = 100
"""Offset marking a stage code that purchase gaps cannot change (stage column, churn date, prospect)."""


def _stage_case(model: StageModel, version: Version, name: str, *, use_column: bool) -> str:
    """SQL CASE giving the role code of staged base row b at the end of day_<name>, before purchase gaps inside the
    history are looked at: codes from the stage column, a churn date or being a prospect come with FIXED added;
    recency is judged on the last purchase of all (see _final_code for the gaps)."""
    rules = model.rules
    day = f"rule.day_{name}"
    # on the staged as-of day the off-ramps are stg_customers' answer (read by every page), the rules' only on earlier
    # days: staged defected or at risk places the customer there; otherwise (not, or cannot be told) neither
    now = f"{day} = rule.staged_day"
    lines = [
        f"when {now} and b.st_defected then {FIXED + CODE['defected']}",
        f"when {now} and b.st_at_risk then {FIXED + CODE['at_risk']}",
    ]
    later = f"{day} < rule.staged_day and "
    if use_column:
        for role in ROLES:
            off_ramp = later if role in OFF_RAMPS else ""
            holds = list_contains(f"rule.labels_{role}", "b.stage_label")
            lines.append(f"when {off_ramp}{holds} then {FIXED + CODE[role]}")
    if rules.defected_on_churn:
        lines.append(f"when {later}b.churn_at <= {day} then {FIXED + CODE['defected']}")
    lines.append(f"when b.since is null or b.since > {day} then {FIXED + CODE['prospect']}")
    if rules.defected_days:
        lines.append(f"when {later}b.last_p < {day} - rule.defected_days then {CODE['defected']}")
    if rules.at_risk_days:
        lines.append(f"when {later}b.last_p < {day} - rule.at_risk_days then {CODE['at_risk']}")
    if rules.at_risk_complaints:
        lines.append(f"when {later}b.k_{name} >= rule.at_risk_complaints then {CODE['at_risk']}")
    own = _entry_columns(model, version)
    climbing = [role for role in model.ladder if role != "prospect"]
    for role in reversed(climbing[1:]):
        lines.append(f"when {own[role]} <= {day} then {CODE[role]}")
    lines.append(f"else {CODE[climbing[0]]}")
    return "case " + " ".join(lines) + " end"


def _final_code(pre: str, suffix: str) -> str:
    """The stage code once a date inside a long purchase gap is known: lapsed beats at risk, which beats any ladder stage;
    fixed codes stay."""
    return (
        f"case when {pre} is null then null when {pre} >= {FIXED} then {pre} - {FIXED} "
        f"when coalesce(g.lapsed{suffix}, false) or {pre} = {CODE['defected']} then {CODE['defected']} "
        f"when coalesce(g.risk{suffix}, false) then {CODE['at_risk']} else {pre} end"
    )


def _gap_flags_sql(version: Version, days: Mapping[str, str]) -> str:
    """Per customer: whether each date falls in a purchase gap long enough to be at risk or lapsed (inner gaps only)."""
    flags = []
    for suffix, day in days.items():
        flags.append(f"bool_or(rule.at_risk_days > 0 and g.from_day + rule.at_risk_days < {day} and {day} < g.to_day)")
        flags[-1] += f" as risk{suffix}"
        flags.append(f"bool_or(rule.defected_days > 0 and g.from_day + rule.defected_days < {day} and {day} < g.to_day)")
        flags[-1] += f" as lapsed{suffix}"
    return f"""
        select g.ck, {", ".join(flags)}
        from {version.table("fn_gaps")} g, rule
        where g.gap > rule.min_gap
        group by g.ck
    """


CARRIED = (
    "ck",
    "customer_id",
    "segment",
    "region",
    "lead_date",
    "since",
    "exists_from",
    "first_p",
    "last_p",
    "n_purchases",
    "churn_at",
    "churn_date",
    "referrals",
    "acquisition_cost",
    "stage_raw",
)
"""fn_customers columns a staged select carries (the purchase and complaint lists stay behind: join on ck for them)."""


def staged_sql(
    version: Version,
    model: StageModel,
    dates: Mapping[str, date | None],
    filters: Filters = Filters(),
    *,
    column_for: tuple[str, ...] = (),
    reached: bool = False,
    known_on: str | None = None,
    codes: bool = True,
    only: str | None = None,
) -> Sql:
    """Select the CARRIED columns of fn_customers plus, for each named date (None = end of data), the day `day_<name>`
    and (unless codes is False) the stage code `s_<name>` (null when the customer was not yet known then); with
    reached, `r_<role>` (the day each ladder stage was reached). Stage-column labels are used for the dates named in
    column_for when the model allows it. known_on names a date: only customers known by then are kept; only is a
    further condition (fixed SQL over fn_customers c, never user text) applied before any stage is worked out.

    The lists (purchase days, complaint days) are read once, in the first step; the join with the purchase gaps
    carries narrow columns only, so a million customers stay well under a second."""
    model = model.validate()
    names = list(dates)
    rule_cols = _rule_values(model, version)
    rule_select = [sql(f"cast({{}} as {sql_type}) as {col}", lit(value)) for col, sql_type, value in rule_cols]
    rule_select.append(f"(select data_end from {version.table('fn_span')}) as staged_day")
    for name in names:
        _check_name(name)
        rule_select.append(
            sql(
                f"least(coalesce(cast({{}} as date), (select data_end from {version.table('fn_span')})), "
                f"(select data_end from {version.table('fn_span')})) as day_{name}",
                lit(dates[name]),
            )
        )
    use_column = uses_column(model, version)
    entries = _entry_sql(model, version)
    base_columns = [f"{entry} as e_{role}" for role, entry in entries.items()]
    if model.rules.at_risk_complaints and codes:
        for name in names:
            day = f"rule.day_{name}"
            base_columns.append(
                f"{list_count('c.cdays', 'x', f'x > {day} - rule.at_risk_complaint_days and x <= {day}')} as k_{name}"
            )
    pre_columns, final_columns = [], []
    for name in names:
        day = f"rule.day_{name}"
        if not codes:
            pre_columns.append(day)
            final_columns.append(f"pre.day_{name}")
            continue
        case = _stage_case(model, version, name, use_column=use_column and name in column_for)
        pre_columns.append(f"{day}, case when b.exists_from <= {day} then {case} end as p_{name}")
        final_columns.append(f"pre.day_{name}, {_final_code(f'pre.p_{name}', f'_{name}')} as s_{name}")
    if reached:
        for role, reached_on in reached_sql(model, version).items():
            pre_columns.append(f"{reached_on} as r_{role}")
            final_columns.append(f"pre.r_{role}")
    where = [filters.dimension_sql()]
    if known_on is not None:
        where.append(f"c.exists_from <= rule.day_{known_on}")
    if only:
        where.append(f"({only})")
    carried = ", ".join(f"c.{col}" for col in CARRIED)
    gaps = f"g as ({_gap_flags_sql(version, {f'_{n}': f'rule.day_{n}' for n in names})})," if codes else ""
    query = f"""
        with rule as (select {{rule_select}}),
             {gaps}
             base as (
                 select {carried}, c.stage_label, c.st_defected, c.st_at_risk, {", ".join(base_columns)}
                 from {version.table("fn_customers")} c
                 cross join rule
                 where {{where}}
             ),
             pre as (
                 select {", ".join(f"b.{col}" for col in CARRIED)}, {", ".join(pre_columns)}
                 from base b
                 cross join rule
             )
        select {", ".join(f"pre.{col}" for col in CARRIED)}, {", ".join(final_columns)}
        from pre
        {"left join g using (ck)" if codes else ""}
    """
    return sql(query, rule_select=join(rule_select), where=join(where, " and "))


def _check_name(name: str) -> None:
    if not name.isidentifier() or not name.islower():
        raise ValueError(f"bad date name {name!r}")


def customer_stage_sql(version: Version, model: StageModel, as_of: date | None = None) -> Sql:
    """Select (customer_id, stage) for every customer known on as_of (None = the last day of the data): the stage's
    display name at the end of that day, by the model's rules (or its stage column, for the last day of the data)."""
    model = model.validate()
    return sql(
        """
        select customer_id, {stage} as stage
        from ({staged}) s
        cross join (select cast({names} as varchar[]) as names)
        """,
        stage=list_item("names", "s_d + 1"),
        staged=staged_sql(version, model, {"d": as_of}, column_for=("d",), known_on="d"),
        names=lit(model.names_by_code()),
    )


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
