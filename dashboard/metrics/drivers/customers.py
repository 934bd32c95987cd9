"""The customers of a driver spec as per-customer rows in SQL (never fetched whole): the outcome, one yes/no column
per driver, the attributes and tenure band whose levels are drivers, the counts a tipping point is looked for in and
the cost of their touchpoints. The 2×2 tables, the model and the tipping points group these rows in SQL."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import duckdb

from dashboard import contract
from dashboard.formatting import as_date
from dashboard.metrics.behaviours import adoption as behaviours
from dashboard.metrics.drivers.prepare import CUSTOMER_TABLE, contact_span_select, pain_select
from dashboard.metrics.drivers.spec import (
    ATTRIBUTE,
    BEHAVIOUR,
    CONVERSION,
    DEFECTION,
    PAIN,
    SLOW_DAYS,
    TENURE,
    Driver,
    DriverSpec,
    attribute_columns,
    behaviour_sides,
    frame_columns,
    satisfaction_scale,
)
from dashboard.metrics.overview import month_span
from dashboard.metrics.scope import NOT_SET
from dashboard.sql import Sql, as_sql, join, lit, sql
from dashboard.staged import profile as staged_profile
from dashboard.store import Version

TENURE_BANDS = (
    (0, 365, "under 1 year"),
    (365, 730, "1 to 2 years"),
    (730, 1826, "2 to 5 years"),
    (1826, None, "5 years or more"),
)
MEASURES = (
    ("contacts", "contacts", lambda p: p.has_interactions),
    ("complaints", "complaints", lambda p: p.complaints),
    ("resolve_days", "days to resolve the slowest complaint", lambda p: p.complaints and p.resolved_ts),
)
"""Count and duration measures per customer a tipping point is looked for in: pain column, name, data needed."""


@dataclass(frozen=True)
class Levels:
    """A column of the rows whose values are drivers, one per level: an attribute (its most common levels, a missing
    value being a level too, named `missing`) or the tenure band (its fixed bands, `bands` = (value, label) pairs)."""

    column: str
    group: str
    label: str
    kind: str = ATTRIBUTE
    missing: str = "(none)"
    bands: tuple[tuple[int, str], ...] = ()


@dataclass(frozen=True)
class Population:
    """Per-customer rows (rows: outcome, row_order, segment_key (the segment label the filter reads), cost, one boolean
    per flag driver, one column per Levels, n_<measure> per measure) and what is read from them; facts: the threshold
    (low satisfaction) and contact months."""

    rows: Sql
    flags: tuple[Driver, ...] = ()
    levels: tuple[Levels, ...] = ()
    measures: tuple[tuple[str, str], ...] = ()
    facts: dict = field(default_factory=dict, compare=False)
    rows_of: Callable[[Sql | str | None], Sql] | None = field(default=None, compare=False, repr=False)
    """The rows of the customers (cid) meeting a condition, which also reaches the journey pain summed over a period, so
    a sample reads only its share of dr_pain_months (None: filter rows instead)."""


def population(cur: duckdb.DuckDBPyConnection, version: Version, spec: DriverSpec) -> Population:
    """The customers of the spec's outcome as rows: outcome (customers whose outcome is unknown left out), behaviour and
    journey pain drivers as booleans, attributes, tenure band, measures and touchpoint cost (null without costs)."""
    spec = spec.validate()
    found = staged_profile.load(cur, version)
    facts: dict = {}
    months = _contact_months(cur, version, spec) if found.has_interactions else 1.0
    facts["contact_months"] = months
    monthly = bool(spec.filters.month_from or spec.filters.month_to)
    pain = "p" if monthly else "d"
    source, segment_key, keys = _source(version, spec)
    flags = _behaviour_drivers(spec, keys) + _pain_drivers(found)
    expressions = _flag_sql(keys, pain, months) | _level_sql(version, spec, found)
    levels = _levels(version, spec, found)
    measures = tuple((column, name) for column, name, needs in MEASURES if needs(found))
    picked = [sql(f"{{}} as {d.column}", expressions[d.column]) for d in flags]
    picked += [sql(f"{{}} as {lv.column}", expressions[lv.column]) for lv in levels]
    picked += [Sql(f"cast({pain}.{column} as double) as n_{column}") for column, _ in measures]
    outcome = _outcome_sql(cur, version, spec, facts)

    def rows_of(cids: Sql | str | None = None) -> Sql:
        return sql(
            f"""
            select * from (
                select {{outcome}} as outcome, f.cid as row_order, {{segment_key}} as segment_key, {pain}.cost, {{picked}}
                from ({{source}}) f
                join {version.table(CUSTOMER_TABLE)} d on d.cid = f.cid
                {{pain_join}}
            ) where outcome is not null
            """,
            outcome=outcome,
            segment_key=segment_key,
            picked=join(picked),
            source=source,
            pain_join=_pain_join(version, spec, cids) if monthly else Sql(""),
        )

    return Population(rows_of(), tuple(flags), levels, measures, facts, rows_of)


def _source(version: Version, spec: DriverSpec) -> tuple[Sql, Sql, tuple[str, ...]]:
    """The select of the spec's customers (cid, outcome or defected and behaviours), the segment label the filter reads
    and the behaviour keys measured."""
    if spec.outcome != CONVERSION:
        # the customers of the period with their behaviours, joined by integer to the rows prepared at publish
        source, keys = behaviours.customers_of_period_sql(version, spec.catalogue, spec.filters)
        return source, Sql("f.segment"), keys
    segment_key = sql("coalesce(d.segment, {})", lit(NOT_SET)) if "segment" in _kept(version) else lit(NOT_SET)
    source = sql(
        f"""
        select s.counts_as_customer as outcome, b.cid
        from {version.table("stg_customers")} s
        join {version.table("bh_customers")} b on b.customer_id = s.customer_id
        join {version.table(CUSTOMER_TABLE)} d on d.cid = b.cid
        where s.is_prospect is not null and {{}}
        """,
        spec.filters.dimension_sql("d.segment" if "segment" in _kept(version) else "null", _region(version)),
    )
    return source, segment_key, ()


def _pain_join(version: Version, spec: DriverSpec, cids: Sql | str | None) -> Sql:
    """The join of each customer's journey pain over the spec's months (p), summed for the customers meeting cids and,
    when segments or regions are chosen, theirs only."""
    if spec.filters.segments or spec.filters.regions:
        chosen = sql(
            f"cid in (select cid from {version.table('bh_customers')} c where {{}})",
            spec.filters.dimension_sql("c.segment", "c.region"),
        )
        cids = chosen if cids is None else join([chosen, as_sql(cids)], " and ")
    return sql("left join ({}) p on p.cid = f.cid", pain_select(version, spec.filters, cids))


def without_whole_period(cur: duckdb.DuckDBPyConnection, version: Version, spec: DriverSpec) -> DriverSpec:
    """spec without its months when they hold every date the drivers read, so the same customers come out with the same
    rows and the journey pain is read whole from dr_customers instead of summed over dr_pain_months (3× the time at
    1,000,000 customers): the period starts no later than the first transaction or touchpoint and ends no earlier than
    the last, no customer signed up after it or left after it, and none left before it. The pages' default period is
    the data's span, so this is the common case."""
    spec = spec.validate()
    lo, hi = spec.filters.month_from, spec.filters.month_to
    if lo is None and hi is None:
        return spec
    first, last, signed_up, first_left, last_left = _data_dates(cur, version)
    if first is None or last is None or (lo is not None and lo > first) or (hi is not None and hi < last):
        return spec
    end = spec.filters.period_end
    if end is not None and ((signed_up is not None and signed_up >= end) or (last_left is not None and last_left >= end)):
        return spec
    if lo is not None and first_left is not None and first_left < lo:
        return spec
    return replace(spec, filters=replace(spec.filters, month_from=None, month_to=None))


_DATES: dict[tuple, tuple] = {}
_DATES_LOCK = threading.Lock()
DATES_KEPT = 16
"""Versions whose dates are kept (five dates each): a version's data never changes, so a filter change reads none."""


def _data_dates(cur: duckdb.DuckDBPyConnection, version: Version) -> tuple:
    """The version's first and last month with a transaction or touchpoint, its latest signup, and its first and last
    departure (dates or None), kept per database file and version."""
    path = cur.execute("select path from duckdb_databases() where database_name = current_database()").fetchone()
    key = (path[0] if path else None, version.version_id, str(version.created_at))
    with _DATES_LOCK:
        if key in _DATES:
            return _DATES[key]
    span = month_span(cur, version).iloc[0]
    customers = cur.execute(
        f"""
        select max(signup_date), min(defected_since) filter (where defected), max(defected_since) filter (where defected)
        from {version.table("bh_customers")} where not is_prospect
        """
    ).fetchone()
    dates = (as_date(span["first_month"]), as_date(span["last_month"]), *(as_date(v) for v in customers))
    with _DATES_LOCK:
        if len(_DATES) >= DATES_KEPT:
            _DATES.clear()
        _DATES[key] = dates
    return dates


def clear_dates() -> None:
    """Forget the kept dates (with the kept counts)."""
    with _DATES_LOCK:
        _DATES.clear()


def _kept(version: Version) -> tuple[str, ...]:
    """The customers' columns kept in dr_customers."""
    return tuple(frame_columns(version))


def _region(version: Version) -> str:
    """dr_customers' region column, or null without one."""
    return "d.region" if "region" in _kept(version) else "null"


def _outcome_sql(cur: duckdb.DuckDBPyConnection, version: Version, spec: DriverSpec, facts: dict) -> Sql:
    """The outcome per row of the source f (null where unknown); the threshold used goes into facts."""
    if spec.outcome == CONVERSION:
        return Sql("f.outcome")
    if spec.outcome == DEFECTION:
        return Sql("f.defected")
    scale = satisfaction_scale(cur, version).iloc[0]
    threshold = spec.low_satisfaction if spec.low_satisfaction is not None else float(scale["threshold"])
    facts["threshold"] = threshold
    return sql("case when d.satisfaction is null then null else d.satisfaction <= {} end", lit(float(threshold)))


def _behaviour_drivers(spec: DriverSpec, keys: tuple[str, ...]) -> list[Driver]:
    """One driver per measured behaviour: its bad side (not shown) against its good side."""
    return [
        Driver(f"beh_{key}", bad, BEHAVIOUR, against=good)
        for key in keys
        for bad, good in [behaviour_sides(spec.catalogue.get(key).name)]
    ]


def _pain_drivers(found: staged_profile.DataProfile) -> list[Driver]:
    """The journey pain drivers the data supports."""
    drivers = []
    if found.has_interactions:
        drivers += [
            Driver("pain_monthly", "at least one contact a month", PAIN, against="fewer contacts"),
            Driver("pain_switch", "contacted on two channels or more", PAIN, against="one channel or no contact"),
        ]
    if found.complaints:
        drivers.append(Driver("pain_complaint", "made a complaint", PAIN, against="no complaint"))
        if found.reasons and (found.resolved_flag or found.resolved_ts):
            not_fcr = "a complaint not resolved at first contact"
            drivers.append(Driver("pain_not_fcr", not_fcr, PAIN, against="complaints resolved at first contact, or none"))
        if found.resolved_ts:
            slow, fast = f"a complaint took over {SLOW_DAYS} days to resolve", f"complaints resolved within {SLOW_DAYS} days"
            drivers.append(Driver("pain_slow", slow, PAIN, against=f"{fast}, or none"))
    if found.reasons:
        drivers.append(Driver("pain_repeat", "a repeat contact", PAIN, against="no repeat contact"))
    return drivers


def _flag_sql(keys: tuple[str, ...], pain: str, months: float) -> dict[str, Sql]:
    """Per behaviour and journey pain driver column: its SQL over f (the customers of the period) and pain."""
    found = {f"beh_{key}": Sql(f"not coalesce(f.b_{key}, false)") for key in keys}
    found["pain_monthly"] = sql(f"coalesce({pain}.contacts, 0) >= {{}}", lit(float(months)))
    found["pain_switch"] = Sql(f"coalesce({pain}.switched, false)")
    found["pain_complaint"] = Sql(f"coalesce({pain}.complaints, 0) >= 1")
    found["pain_not_fcr"] = Sql(f"coalesce({pain}.complaints_not_fcr, 0) >= 1")
    found["pain_slow"] = sql(f"coalesce({pain}.resolve_days, 0) > {{}}", lit(float(SLOW_DAYS)))
    found["pain_repeat"] = Sql(f"coalesce({pain}.repeats, 0) >= 1")
    return found


def _attributes(version: Version, spec: DriverSpec) -> list[str]:
    """dr_customers' columns whose levels are drivers: the attributes, and the main product except for conversion
    (leads buy none)."""
    found = attribute_columns(version)
    return found if spec.outcome == CONVERSION else [*found, "main_product"]


def _tenure(spec: DriverSpec, version: Version, found: staged_profile.DataProfile) -> bool:
    """Whether tenure bands are drivers: customers (not leads) with a signup date, in data with an as-of date."""
    return spec.outcome != CONVERSION and "signup_date" in _kept(version) and found.as_of is not None


def _levels(version: Version, spec: DriverSpec, found: staged_profile.DataProfile) -> tuple[Levels, ...]:
    """The attributes and the tenure band as Levels of the rows."""
    levels = [
        Levels(
            f"lv_{i}",
            attr,
            attr.removeprefix(contract.ATTRIBUTE_PREFIX).replace("_", " "),
            missing=NOT_SET if attr in ("segment", "region") else "(none)",
        )
        for i, attr in enumerate(_attributes(version, spec))
    ]
    if _tenure(spec, version, found):
        levels.append(Levels("tenure_band", "tenure", "tenure", TENURE, bands=tuple((lo, lb) for lo, _, lb in TENURE_BANDS)))
    return tuple(levels)


def _level_sql(version: Version, spec: DriverSpec, found: staged_profile.DataProfile) -> dict[str, Sql]:
    """Per Levels column: its SQL over d (dr_customers); the tenure band is the first day of the band a customer's days
    from signup to leaving (or to the data's as-of date) fall in, floored to whole days."""
    found_sql = {f"lv_{i}": Sql(f'd."{attr}"') for i, attr in enumerate(_attributes(version, spec))}
    if _tenure(spec, version, found):
        end = sql("coalesce(cast(d.defected_since as timestamp), cast({} as timestamp))", lit(found.as_of))
        days = sql("floor(epoch({} - cast(d.signup_date as timestamp)) / 86400)", end)
        bands = [
            sql(f"when {{days}} >= {lo}" + (f" and {{days}} < {hi}" if hi is not None else "") + f" then {lo}", days=days)
            for lo, hi, _ in TENURE_BANDS
        ]
        found_sql["tenure_band"] = sql("case {} end", join(bands, " "))
    return found_sql


def _contact_months(cur: duckdb.DuckDBPyConnection, version: Version, spec: DriverSpec) -> float:
    """Months the touchpoints span (first to last, at least one) within the period."""
    lo, hi = cur.execute(*contact_span_select(version, spec.filters)).fetchone()
    if lo is None or hi is None:
        return 1.0
    return max(1.0, (hi - lo).total_seconds() / 86400 / 30.4375)
