"""What a published version's data can support, measured once at publish and stored with the version (stg_profile).

Kinds of business, decided in this order:

- contract: the data carries churn labels (a churned flag or churn dates): defection is read from them;
- leads to deals: purchases, most people listed never bought, and few buyers bought on two days or more;
- repeat purchase: purchases (days whose amounts add up to more than zero) with histories;
- contacts only: neither churn labels nor purchases (touchpoints and/or a customer list).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields, replace
from datetime import date

import duckdb

from dashboard.contract import RELATIONSHIP_STAGES, normalise
from dashboard.sql import lit, sql
from dashboard.staged.sql import known_day
from dashboard.store import Version

CONTRACT, REPEAT_PURCHASE, LEADS_TO_DEALS, CONTACTS_ONLY = "contract", "repeat purchase", "leads to deals", "contacts only"
KINDS = (CONTRACT, REPEAT_PURCHASE, LEADS_TO_DEALS, CONTACTS_ONLY)
LEADS_PROSPECT_SHARE = 0.5
"""Leads to deals: more than this share of the people listed never bought ..."""
LEADS_REPEAT_SHARE = 0.1
"""... and fewer than this share of buyers bought on two days or more."""


@dataclass(frozen=True)
class DataProfile:
    """What one version holds: tables, purchases, dates, churn labels, touchpoint detail, kind of business, as-of day."""

    has_customers: bool = False
    has_transactions: bool = False
    has_interactions: bool = False
    has_purchases: bool = False
    has_dates: bool = False
    churn_flag: bool = False
    churn_date: bool = False
    stage_column: bool = False
    stage_off_ramps: bool = False
    """Whether the stage column labels some customers at risk or defected (it then says who left)."""
    signup_dates: bool = False
    reasons: bool = False
    resolved_flag: bool = False
    resolved_ts: bool = False
    complaints: bool = False
    due_dates: bool = False
    """Whether touchpoints carry a promise: a due date (due_ts) or an on-time flag (on_time)."""
    contact_steps: bool = False
    """Whether touchpoints carry a contact_id, so several of them can be one contact."""
    people: int = 0
    buyers: int = 0
    repeat_buyers: int = 0
    kind: str = CONTACTS_ONLY
    as_of: date | None = None
    first_day: date | None = None
    """The first day with a transaction: purchase histories start here."""
    defection_known: bool = False
    """Whether defection can be told: churn labels, or purchases over a longer span than the lapse window (set at
    staging, with the dataset's definitions)."""

    @property
    def churn_labels(self) -> bool:
        """Whether the data says who left (a churned flag or churn dates)."""
        return self.churn_flag or self.churn_date

    @property
    def labels_who_left(self) -> bool:
        """Whether the data labels who left: churn labels, or a stage column with at-risk or defected labels."""
        return self.churn_labels or self.stage_off_ramps

    @property
    def tells_defection(self) -> bool:
        """Whether the data can tell who defected: churn labels, or purchases over a span longer than the lapse window."""
        return self.defection_known

    @property
    def purchase_span_days(self) -> int:
        """Days from the first transaction to the as-of day (0 without transactions)."""
        return (self.as_of - self.first_day).days if self.as_of and self.first_day else 0

    @property
    def purchase_histories(self) -> bool:
        """Whether some buyers bought on two days or more, so recency and frequency can be read."""
        return self.repeat_buyers > 0

    def to_json(self) -> str:
        """The profile as JSON (the as-of day as ISO text)."""
        return json.dumps(asdict(self), default=str)

    @classmethod
    def from_json(cls, text: str) -> DataProfile:
        """A profile from to_json's text (unknown keys ignored)."""
        values = json.loads(text)
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in values.items() if k in known}
        for key in ("as_of", "first_day"):
            if values.get(key):
                values[key] = date.fromisoformat(values[key])
        return cls(**values)


def stage_labels(name: str) -> list[str]:
    """Stage-column labels read as the relationship stage of that default name: the name and its synonyms, normalised."""
    return sorted({normalise(name), *(normalise(w) for w in RELATIONSHIP_STAGES.synonyms.get(name, ()))})


def kind_of(profile: DataProfile) -> str:
    """The kind of business the data shows (see the module docstring for the order of the tests)."""
    if profile.churn_labels:
        return CONTRACT
    if not profile.has_purchases:
        return CONTACTS_ONLY
    never_bought = 1 - profile.buyers / profile.people if profile.people else 0.0
    if never_bought > LEADS_PROSPECT_SHARE and profile.repeat_buyers < LEADS_REPEAT_SHARE * profile.buyers:
        return LEADS_TO_DEALS
    return REPEAT_PURCHASE


def measure(cur: duckdb.DuckDBPyConnection, version: Version) -> DataProfile:
    """What a version being published holds, from cheap scans of its three tables; the counts of people and buyers
    (and so the kind of business) come from stg_customers once it is built (see counted)."""
    customers, transactions, interactions = (version.table(t) for t in ("customers", "transactions", "interactions"))
    positive, dated, first_day = cur.execute(
        f"""
        select (select count(*) from (select 1 from {transactions} where amount > 0 and ts is not null limit 1)),
               (select count(ts) from {transactions}) + (select count(ts) from {interactions})
               + (select count(signup_date) + count(churn_date) from {customers}),
               (select min({known_day("ts")}) from {transactions} where amount is not null)
        """
    ).fetchall()[0]
    off_ramps = 0
    if version.has("customers", "stage"):
        labelled = "regexp_replace(lower(stage), '[^0-9a-z]+', '', 'g')"
        off_ramps = cur.execute(
            *sql(
                f"select count(*) from {customers} where list_contains(cast({{}} as varchar[]), {labelled})",
                lit([*stage_labels("at risk"), *stage_labels("defected")]),
            )
        ).fetchall()[0][0]
    complaints = 0
    if version.has("interactions", "stage"):
        complaints = cur.execute(f"select count(*) from {interactions} where lower(stage) = 'complaint'").fetchall()[0][0]
    found = DataProfile(
        has_customers=version.has("customers"),
        has_transactions=version.has("transactions"),
        has_interactions=version.has("interactions"),
        has_purchases=positive > 0,
        has_dates=dated > 0,
        churn_flag=version.has("customers", "churned"),
        churn_date=version.has("customers", "churn_date"),
        stage_column=version.has("customers", "stage"),
        stage_off_ramps=off_ramps > 0,
        signup_dates=version.has("customers", "signup_date"),
        reasons=version.has("interactions", "reason"),
        resolved_flag=version.has("interactions", "resolved"),
        resolved_ts=version.has("interactions", "resolved_ts"),
        complaints=complaints > 0,
        due_dates=version.has("interactions", "due_ts") or version.has("interactions", "on_time"),
        contact_steps=version.has("interactions", "contact_id"),
        as_of=_as_of(cur, version),
        first_day=first_day,
    )
    return replace(found, kind=kind_of(found))


def counted(cur: duckdb.DuckDBPyConnection, version: Version, found: DataProfile) -> DataProfile:
    """found with the people, buyers (a day whose amounts add up to more than zero) and repeat buyers of stg_customers,
    whether there are purchases at all, and the kind of business that follows."""
    people, buyers, repeat_buyers = cur.execute(
        f"""
        select count(*), count(*) filter (where purchases > 0), count(*) filter (where purchases >= 2)
        from {version.table("stg_customers")}
        """
    ).fetchall()[0]
    found = replace(found, people=int(people), buyers=int(buyers), repeat_buyers=int(repeat_buyers), has_purchases=buyers > 0)
    return replace(found, kind=kind_of(found))


def _as_of(cur: duckdb.DuckDBPyConnection, version: Version) -> date | None:
    """The day statuses are assessed on, the Funnel's "now": the last day with a transaction or touchpoint (the last
    signup or churn date when there are none), or a later churn date (days outside sql.KNOWN_DAYS do not count)."""
    customers, transactions, interactions = (version.table(t) for t in ("customers", "transactions", "interactions"))
    signup, churned = known_day("signup_date"), known_day("churn_date")
    return cur.execute(
        f"""
        select greatest(coalesce(greatest((select max({known_day("ts")}) from {transactions}),
                                          (select max({known_day("ts")}) from {interactions})),
                                 (select greatest(max({signup}), max({churned})) from {customers})),
                        (select max({churned}) from {customers}))
        """
    ).fetchall()[0][0]


def store(cur: duckdb.DuckDBPyConnection, version: Version, profile: DataProfile) -> None:
    """Keep the profile with the version as the one-row table stg_profile."""
    target = version.table("stg_profile")
    cur.execute(*sql(f"create or replace table {target} as select cast({{}} as varchar) as profile", lit(profile.to_json())))


def load(cur: duckdb.DuckDBPyConnection, version: Version) -> DataProfile:
    """The profile stored with version at publish."""
    return DataProfile.from_json(cur.execute(f"select profile from {version.table('stg_profile')}").fetchall()[0][0])
