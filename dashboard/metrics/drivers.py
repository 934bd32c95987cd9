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
  without, 95 % Wald interval; odds ratio = ad ÷ bc with a Woolf 95 % interval, 0.5 added to every cell when one is
  zero (Haldane); p from the Woolf z; Holm's step-down correction over the drivers tested.
- Adjusted odds ratio: a logistic regression of the outcome on every driver together (one level of each attribute
  left out as the reference), fitted by Newton-Raphson (IRLS) with a tiny ridge penalty so a driver that predicts
  perfectly stays finite; on a fixed random sample of MODEL_ROWS customers when there are more.
- Worth (defection only, fixable drivers only): customers exposed × difference in defection rate × lifetime value per
  customer; an association, not a proven cause.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd
from scipy import stats

from dashboard import contract
from dashboard.metrics.behaviours import adoption as behaviours
from dashboard.metrics.behaviours.catalogue import Catalogue
from dashboard.metrics.scope import NOT_SET, Filters
from dashboard.sql import Sql, group_by_all, lit, select_except, sql
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
"""The logistic regression is fitted on a fixed random sample of this many customers when there are more."""
MAX_LEVELS = 8
"""Attribute levels tested per column (the most common); an attribute with more is read as an identifier and skipped."""
RIDGE = 1e-4
MAX_LOG_ODDS = 20.0
"""An adjusted odds ratio whose interval reaches past e^±20 is not shown: the data separate the outcome on it."""
Z95 = float(stats.norm.ppf(0.975))
NO_CATALOGUE = Catalogue()
TENURE_BANDS = (
    (0, 365, "under 1 year"),
    (365, 730, "1 to 2 years"),
    (730, 1826, "2 to 5 years"),
    (1826, None, "5 years or more"),
)
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


# -- one row per customer ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Driver:
    """One candidate driver: its column in the customer frame, the name shown, its kind, and the attribute it is a level
    of (levels of one attribute share a group; one is left out of the model)."""

    column: str
    name: str
    kind: str
    group: str = ""
    level: str = ""
    """The attribute's value this driver stands for (attributes and tenure)."""
    against: str = ""
    """The other side in plain words: who the driver's customers are compared with."""


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


PAIN_TABLE = "dr_pain"
PAIN_COLUMNS = ("contacts", "complaints", "complaints_not_fcr", "resolve_days", "repeats", "channels", "cost")
"""The columns of dr_pain besides customer_id (see _pain_select)."""
PRODUCT_TABLE = "dr_product"
CUSTOMER_TABLE = "dr_customers"


def prepare(cur: duckdb.DuckDBPyConnection, version: Version) -> None:
    """Build at publish dr_pain, each customer's journey pain over all months (see _pain_sql), so a page without a month
    filter never aggregates the touchpoints again; and dr_product, each buyer's main product (the one bought most
    often), so no page aggregates the transactions for it."""
    pain = _pain_select(version, Filters())
    cur.execute(*sql(f"create or replace table {version.table(PAIN_TABLE)} as {{}}", pain))
    cur.execute(f"create or replace table {version.table(PRODUCT_TABLE)} as {_product_select(version)}")
    # the driver table's fixed part, one row per person in the behaviours' numbering (bh_customers.cid): attributes,
    # signup and satisfaction, when they left, journey pain over all months and main product; a change on the page
    # joins it to the customers of its period by that integer and reads no other table
    text = set(_attribute_columns(version))
    picked = "".join(f", {_as_enum(cur, version, c) if c in text else f'b.{_quoted(c)}'}" for c in _frame_columns(version))
    product = _as_enum(cur, version, "main_product", version.table(PRODUCT_TABLE), "pr")
    cur.execute(
        f"""
        create or replace table {version.table(CUSTOMER_TABLE)} as
        select b.cid{picked}, b.defected_since, p.* exclude (customer_id), {product}
        from {version.table("bh_customers")} b
        left join {version.table(PAIN_TABLE)} p on p.customer_id = b.customer_id
        left join {version.table(PRODUCT_TABLE)} pr on pr.customer_id = b.customer_id
        order by b.cid
        """
    )


def _quoted(name: str) -> str:
    """name as a quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def _as_enum(cur: duckdb.DuckDBPyConnection, version: Version, column: str, table: str | None = None, alias: str = "b") -> str:
    """SQL selecting alias.column as an ENUM of its values when it has at most 4 × MAX_LEVELS of them (it then reaches
    pandas as a categorical, without a Python string per customer), else as it is."""
    source = table or version.table("bh_customers")
    name = _quoted(column)
    values = cur.execute(
        f"select distinct cast({name} as varchar) from {source} where {name} is not null limit {4 * MAX_LEVELS + 1}"
    ).fetchall()
    if not values or len(values) > 4 * MAX_LEVELS:
        return f"{alias}.{name}"
    levels = ", ".join("'" + str(v[0]).replace("'", "''") + "'" for v in sorted(values, key=lambda v: str(v[0])))
    return f"cast(cast({alias}.{name} as varchar) as enum({levels})) as {name}"


def _frame_columns(version: Version) -> list[str]:
    """Customers' columns the driver table reads: the attributes, signup date and satisfaction."""
    columns = version.columns.get("customers", ())
    wanted = [*_attribute_columns(version), "signup_date", "satisfaction"]
    return [c for c in dict.fromkeys(wanted) if c in columns]


def _product_select(version: Version) -> str:
    """Select of (customer_id, main_product): the product of most purchase lines per buyer (none without products)."""
    if not version.has("transactions", "product"):
        return "select cast(null as varchar) as customer_id, cast(null as varchar) as main_product where false"
    return f"""
        select customer_id, arg_max(product, n) as main_product
        from (select customer_id, product, count(*) as n from {version.table("transactions")}
              where product is not null and amount > 0 {group_by_all()})
        group by customer_id
    """


def _pain_sql(version: Version, found: staged_profile.DataProfile, filters: Filters) -> tuple[Sql, list[Driver]]:
    """Per customer: contacts, complaints, complaints not resolved at first contact, slowest complaint resolution in
    days, repeat contacts, channels contacted on, cost of their touchpoints (from dr_pain without a month filter); and
    the pain drivers the data supports."""
    if filters.month_from or filters.month_to:
        pain = _pain_select(version, filters)
    else:
        pain = Sql(f"select * from {version.table(PAIN_TABLE)}")
    drivers = []
    if found.has_interactions:
        drivers += [
            Driver("pain_monthly", "at least one contact a month", PAIN, against="fewer contacts"),
            Driver("pain_switch", "contacted on two channels or more", PAIN, against="one channel or no contact"),
        ]
    if found.complaints:
        drivers.append(Driver("pain_complaint", "made a complaint", PAIN, against="no complaint"))
        if found.reasons and (found.resolved_flag or found.resolved_ts):
            drivers.append(
                Driver(
                    "pain_not_fcr",
                    "a complaint not resolved at first contact",
                    PAIN,
                    against="complaints resolved at first contact, or none",
                )
            )
        if found.resolved_ts:
            drivers.append(
                Driver(
                    "pain_slow",
                    f"a complaint took over {SLOW_DAYS} days to resolve",
                    PAIN,
                    against=f"complaints resolved within {SLOW_DAYS} days, or none",
                )
            )
    if found.reasons:
        drivers.append(Driver("pain_repeat", "a repeat contact", PAIN, against="no repeat contact"))
    return pain, drivers


def _pain_select(version: Version, filters: Filters) -> Sql:
    """Select of each customer's journey pain within the months of filters (see _pain_sql)."""
    period = filters.period_sql("ts")
    cost = (
        sql(
            f"""(select customer_id, sum(cost) as cost from {version.table("interactions")}
             where isfinite(cost) and {{}} group by customer_id)""",
            period,
        )
        if version.has("interactions", "cost")
        else Sql("(select cast(null as varchar) as customer_id, cast(null as double) as cost where false)")
    )
    query = f"""
        with p as (
            select customer_id,
                   count(*) filter (where is_contact and first_step) as contacts,
                   count(*) filter (where is_complaint and first_step) as complaints,
                   count(*) filter (where is_complaint and not resolved_at_first_contact) as complaints_not_fcr,
                   max(epoch(resolved_ts - ts) / 86400.0) filter (where is_complaint and resolved_ts >= ts) as resolve_days,
                   count(*) filter (where repeat) as repeats,
                   count(distinct lower(trim(channel))) filter (where is_contact and first_step) as channels
            from {version.table("stg_contacts")}
            where {{period}}
            group by customer_id
        )
        select coalesce(p.customer_id, k.customer_id) as customer_id, {{others}}, k.cost
        from p full join {{cost}} k on k.customer_id = p.customer_id
    """
    return sql(query, period=period, others=select_except(["customer_id"], "p"), cost=cost)


def _contact_months(cur: duckdb.DuckDBPyConnection, version: Version, filters: Filters) -> float:
    """Months the touchpoints span (first to last, at least one) within the period."""
    span = sql(f"select min(ts), max(ts) from {version.table('stg_contacts')} where {{}}", filters.period_sql("ts"))
    lo, hi = cur.execute(*span).fetchone()
    if lo is None or hi is None:
        return 1.0
    return max(1.0, (hi - lo).total_seconds() / 86400 / 30.4375)


def _attribute_columns(version: Version) -> list[str]:
    """Customers' text columns read as attributes: segment, region and any mapped column the contract does not know (the
    kept a_<key> attributes: contract type, payment method)."""
    columns = version.columns.get("customers", ())
    found = [c for c in ("segment", "region") if c in columns]
    found += [c for c in columns if c not in KNOWN_COLUMNS and not c.startswith("b_")]
    return found


_FRAMES: OrderedDict[tuple, tuple[pd.DataFrame, list[Driver], dict]] = OrderedDict()
_FRAMES_LOCK = threading.Lock()
KEPT_FRAMES = 2
"""Customer frames kept in the process: the driver table and the tipping points of one view read the same frame."""


def shared_frame(cur: duckdb.DuckDBPyConnection, version: Version, spec: DriverSpec) -> tuple[pd.DataFrame, list[Driver], dict]:
    """customer_frame, kept for the last KEPT_FRAMES (database file, version, spec) so the two figures of a view build
    it once; callers must not change it."""
    path = cur.execute("select path from duckdb_databases() where database_name = current_database()").fetchone()
    key = (path[0] if path else None, version.version_id, str(version.created_at), spec.validate())
    with _FRAMES_LOCK:
        if key in _FRAMES:
            _FRAMES.move_to_end(key)
            return _FRAMES[key]
    built = customer_frame(cur, version, spec)
    with _FRAMES_LOCK:
        _FRAMES[key] = built
        while len(_FRAMES) > KEPT_FRAMES:
            _FRAMES.popitem(last=False)
    return built


def clear_frames() -> None:
    """Forget the kept customer frames (with the metric caches: after a publish, re-staging or a catalogue change)."""
    with _FRAMES_LOCK:
        _FRAMES.clear()


def customer_frame(cur: duckdb.DuckDBPyConnection, version: Version, spec: DriverSpec) -> tuple[pd.DataFrame, list[Driver], dict]:
    """One row per customer of the outcome's population: outcome (True/False; customers whose outcome is unknown left
    out), one boolean column per driver, cost (of their touchpoints, NaN without costs); the drivers; facts (threshold,
    contact months)."""
    spec = spec.validate()
    found = staged_profile.load(cur, version)
    filters = spec.filters
    facts: dict = {}
    columns = version.columns.get("customers", ())
    keys: tuple[str, ...] = ()
    pain, drivers = _pain_sql(version, found, filters)
    if spec.outcome == CONVERSION:
        picked = "".join(f', c."{c}"' for c in _frame_columns(version))
        seg, reg = ("c.segment" if "segment" in columns else "null"), ("c.region" if "region" in columns else "null")
        query = sql(
            f"""
            with base as (
                select s.customer_id, s.counts_as_customer as outcome{{picked}}
                from {version.table("stg_customers")} s
                left join (select * from {version.table("customers")} where customer_id is not null) c using (customer_id)
                where s.is_prospect is not null and {{where}}
            )
            select base.*, {select_except(["customer_id"], "pain")}, pr.main_product, s.defected_since
            from base
            left join ({{pain}}) pain using (customer_id)
            left join {version.table(PRODUCT_TABLE)} pr using (customer_id)
            left join {version.table("stg_customers")} s using (customer_id)
            where base.outcome is not null
            order by base.customer_id
            """,
            picked=Sql(picked),
            where=filters.dimension_sql(seg, reg),
            pain=pain,
        )
    else:
        # the customers of the period with their behaviours, joined by integer to the table prepared at publish
        flags, keys = behaviours.customers_of_period_sql(version, spec.catalogue, filters)
        if spec.outcome == DEFECTION:
            outcome = Sql("f.defected")
        else:
            scale = satisfaction_scale(cur, version).iloc[0]
            threshold = spec.low_satisfaction if spec.low_satisfaction is not None else float(scale["threshold"])
            facts["threshold"] = threshold
            outcome = sql("case when d.satisfaction is null then null else d.satisfaction <= {} end", lit(float(threshold)))
        monthly = bool(filters.month_from or filters.month_to)
        fixed = select_except(["cid", *(PAIN_COLUMNS if monthly else ())], "d")
        query = sql(
            f"""
            select {{outcome}} as outcome, {fixed}{"".join(f", f.b_{k}" for k in keys)}
                   {{pain_columns}}
            from ({{flags}}) f
            join {version.table(CUSTOMER_TABLE)} d on d.cid = f.cid
            {{pain_join}}
            where outcome is not null
            order by f.cid
            """,
            outcome=outcome,
            pain_columns=sql(", {}", select_except(["customer_id"], "pain")) if monthly else Sql(""),
            flags=flags,
            pain_join=sql("left join ({}) pain on pain.customer_id = f.customer_id", pain) if monthly else Sql(""),
        )
    frame = cur.execute(*query).df()
    out = pd.DataFrame({"outcome": frame["outcome"].astype(bool)})
    shown_by = [
        Driver(f"beh_{key}", bad, BEHAVIOUR, against=good)
        for key in keys
        for bad, good in [behaviour_sides(spec.catalogue.get(key).name)]
    ]
    for key, d in zip(keys, shown_by, strict=True):
        out[d.column] = ~frame[f"b_{key}"].fillna(False).astype(bool)
    drivers = [*shown_by, *drivers]
    months = _contact_months(cur, version, filters) if found.has_interactions else 1.0
    facts["contact_months"] = months

    def count(name: str) -> pd.Series:
        return frame[name].fillna(0).astype(float) if name in frame else pd.Series(0.0, index=frame.index)

    pain_values = {
        "pain_monthly": count("contacts") >= months,
        "pain_switch": count("channels") >= 2,
        "pain_complaint": count("complaints") >= 1,
        "pain_not_fcr": count("complaints_not_fcr") >= 1,
        "pain_slow": count("resolve_days") > SLOW_DAYS,
        "pain_repeat": count("repeats") >= 1,
    }
    for d in [d for d in drivers if d.kind == PAIN]:
        out[d.column] = pain_values[d.column].to_numpy()
    attributes = [c for c in _attribute_columns(version) if c in frame]
    if spec.outcome != CONVERSION and "main_product" in frame and frame["main_product"].notna().any():  # leads buy none
        attributes.append("main_product")
    for attr in attributes:
        # levels as integer codes (a hash pass, not a string comparison per level); a missing value is a level too
        column = frame[attr]
        if isinstance(column.dtype, pd.CategoricalDtype):  # prepared as an enum: the codes are there already
            codes, uniques = column.cat.codes.to_numpy(), list(column.cat.categories)
        else:
            codes, uniques = pd.factorize(column.astype("string"), use_na_sentinel=True)
        names = [str(v) for v in uniques] + [NOT_SET if attr in ("segment", "region") else "(none)"]
        codes = np.where(codes < 0, len(uniques), codes)
        counts = np.bincount(codes, minlength=len(names))
        present = [j for j in range(len(names)) if counts[j]]
        if len(present) < 2 or len(present) > 4 * MAX_LEVELS:
            continue
        label = attr.removeprefix(contract.ATTRIBUTE_PREFIX).replace("_", " ")
        for i, j in enumerate(sorted(present, key=lambda j: (-counts[j], names[j]))[:MAX_LEVELS]):
            col = f"att_{attr}_{i}"
            out[col] = codes == j
            drivers.append(Driver(col, f"{label} is {names[j]}", ATTRIBUTE, attr, names[j], f"any other {label}"))
    if spec.outcome != CONVERSION and "signup_date" in frame and found.as_of is not None:
        start = pd.to_datetime(frame["signup_date"], errors="coerce")
        end = pd.to_datetime(frame["defected_since"], errors="coerce").fillna(pd.Timestamp(found.as_of))
        days = (end - start).dt.days
        if days.notna().any():
            for lo, hi, label in TENURE_BANDS:
                inside = (days >= lo) & (days < hi if hi is not None else True)
                col = f"ten_{lo}"
                out[col] = inside.fillna(False).to_numpy()
                drivers.append(Driver(col, f"customer for {label}", TENURE, "tenure", label, "any other tenure"))
    out["cost"] = frame["cost"].astype(float) if "cost" in frame else np.nan
    for column, _name, needs in MEASURES:
        if needs(found) and column in frame:
            out[f"n_{column}"] = frame[column].astype(float).to_numpy()
    return out, drivers, facts


# -- tipping points -----------------------------------------------------------------------------------------------

MEASURES = (
    ("contacts", "contacts", lambda p: p.has_interactions),
    ("complaints", "complaints", lambda p: p.complaints),
    ("resolve_days", "days to resolve the slowest complaint", lambda p: p.complaints and p.resolved_ts),
)
"""Count and duration measures per customer a tipping point is looked for in: frame column, name, data needed."""
MIN_SIDE = 30
"""A tipping point leaves at least this many customers on each side."""
MAX_CUTS = 60


def tipping_from(frame: pd.DataFrame) -> pd.DataFrame:
    """Per count or duration measure: the threshold t where the outcome rate changes most, i.e. the split "at least t"
    against "below t" with the largest difference in outcome rate either way (difference = rate beyond − rate below),
    among splits leaving MIN_SIDE customers on each side
    (customers without a duration are below any t). Columns: measure, threshold, beyond (customers at or past it),
    share_beyond, rate_beyond (= positive predictive value), rate_below, npv (= 1 − rate below), sensitivity (share of
    the outcomes that lie beyond it). Measures with no such split are left out."""
    rows = []
    y = frame["outcome"].to_numpy(dtype=bool)
    for column, name, _needs in MEASURES:
        key = f"n_{column}"
        if key not in frame:
            continue
        values = frame[key].fillna(-np.inf).to_numpy(dtype=float)
        known = values[np.isfinite(values)]
        cuts = np.unique(known[known > 0])
        if len(cuts) > MAX_CUTS:
            cuts = np.unique(np.quantile(known[known > 0], np.linspace(0, 1, MAX_CUTS)))
        # every cut at once: values sorted, outcomes counted cumulatively, the customers below a cut found by bisection
        order = np.argsort(values, kind="stable")
        ordered, hits_up_to = values[order], np.concatenate([[0], np.cumsum(y[order])])
        below = np.searchsorted(ordered, cuts, side="left")
        beyond = len(values) - below
        valid = (beyond >= MIN_SIDE) & (len(values) - beyond >= MIN_SIDE)
        if not valid.any():
            continue
        hits_below = hits_up_to[below]
        hits_beyond = hits_up_to[-1] - hits_below
        with np.errstate(divide="ignore", invalid="ignore"):
            rate_beyond, rate_below = hits_beyond / beyond, hits_below / below
        gaps = np.where(valid, rate_beyond - rate_below, 0.0)
        best = int(np.argmax(np.where(valid, np.abs(gaps), -1.0)))  # the first cut of the largest gap
        n1 = int(beyond[best])
        rows.append(
            {
                "measure": name,
                "threshold": float(cuts[best]),
                "beyond": n1,
                "share_beyond": n1 / len(values),
                "rate_beyond": float(rate_beyond[best]),
                "rate_below": float(rate_below[best]),
                "difference": float(gaps[best]),
                "npv": float(1 - rate_below[best]),
                "sensitivity": float(hits_beyond[best] / y.sum()) if y.sum() else None,
            }
        )
    columns = ["measure", "threshold", "beyond", "share_beyond", "rate_beyond", "rate_below", "difference", "npv", "sensitivity"]
    return pd.DataFrame(rows, columns=columns)


def tipping_points(cur: duckdb.DuckDBPyConnection, version: Version, spec: DriverSpec) -> pd.DataFrame:
    """The tipping points of the spec's outcome (see tipping_from)."""
    return tipping_from(shared_frame(cur, version, spec)[0])


# -- effects -----------------------------------------------------------------------------------------------------


def two_by_two(a: float, b: float, c: float, d: float) -> dict:
    """Rates, difference (Wald 95 %), odds ratio (Woolf 95 %, Haldane's 0.5 in every cell when one is zero) and the
    two-sided p of the odds ratio's z, from a = exposed with the outcome, b = exposed without, c = unexposed with,
    d = neither. Rates are None where their group is empty."""
    n1, n0 = a + b, c + d
    p1 = a / n1 if n1 else None
    p0 = c / n0 if n0 else None
    diff = lo = hi = None
    if p1 is not None and p0 is not None:
        diff = p1 - p0
        se = math.sqrt(p1 * (1 - p1) / n1 + p0 * (1 - p0) / n0)
        lo, hi = diff - Z95 * se, diff + Z95 * se
    cells = (a, b, c, d)
    if min(cells) == 0:
        cells = tuple(x + 0.5 for x in cells)
    ca, cb, cc, cd = cells
    log_or = math.log(ca * cd / (cb * cc))
    se_log = math.sqrt(sum(1 / x for x in cells))
    p = float(2 * stats.norm.sf(abs(log_or / se_log)))
    return {
        "rate_with": p1,
        "rate_without": p0,
        "difference": diff,
        "difference_low": lo,
        "difference_high": hi,
        "odds_ratio": math.exp(log_or),
        "or_low": math.exp(log_or - Z95 * se_log),
        "or_high": math.exp(log_or + Z95 * se_log),
        "p": p,
    }


def holm(p_values: list[float]) -> list[float]:
    """Holm's step-down adjusted p-values (each at most 1, never below the one of a smaller raw p), in input order."""
    m = len(p_values)
    order = sorted(range(m), key=lambda i: p_values[i])
    adjusted = [0.0] * m
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p_values[i]))
        adjusted[i] = running
    return adjusted


def logistic(x: np.ndarray, y: np.ndarray, ridge: float = RIDGE, max_iter: int = 50) -> tuple[np.ndarray, np.ndarray]:
    """Coefficients (intercept first) and their standard errors of a logistic regression of y on x, by Newton-Raphson
    (IRLS) with ridge × ‖β‖² (intercept not penalised) added to minus the log-likelihood. Customers with the same drivers
    are one row weighted by their number (the same likelihood, fewer rows: yes/no drivers repeat a lot)."""
    rows, counts, hits = _grouped(np.asarray(x, dtype=float), np.asarray(y, dtype=float))
    design = np.column_stack([np.ones(len(rows)), rows])
    k = design.shape[1]
    penalty = np.full(k, 2 * ridge)
    penalty[0] = 0.0
    beta = np.zeros(k)
    mean = hits.sum() / counts.sum()
    beta[0] = math.log(mean / (1 - mean)) if 0 < mean < 1 else 0.0
    hessian = np.eye(k)
    for _ in range(max_iter):
        eta = np.clip(design @ beta, -30, 30)
        prob = 1 / (1 + np.exp(-eta))
        weight = counts * prob * (1 - prob)
        gradient = design.T @ (hits - counts * prob) - penalty * beta
        hessian = (design * weight[:, None]).T @ design + np.diag(penalty)
        step = np.linalg.solve(hessian, gradient)
        beta = beta + step
        if np.max(np.abs(step)) < 1e-8:
            break
    covariance = np.linalg.pinv(hessian)
    return beta, np.sqrt(np.clip(np.diag(covariance), 0, None))


def _grouped(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The distinct rows of x, how many customers have each, and how many of them have the outcome."""
    if x.shape[1] <= 62 and np.isin(x, (0.0, 1.0)).all():  # yes/no drivers: one integer per row
        keys = x.astype(np.int64) @ (np.int64(1) << np.arange(x.shape[1], dtype=np.int64))
        _, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
        rows = x[first]
    else:
        rows, inverse = np.unique(x, axis=0, return_inverse=True)
    inverse = inverse.ravel()
    counts = np.bincount(inverse, minlength=len(rows)).astype(float)
    return rows, counts, np.bincount(inverse, weights=y, minlength=len(rows))


def _adjusted(frame: pd.DataFrame, drivers: list[Driver], rows: int) -> tuple[dict[str, tuple[float, float, float]], int]:
    """Adjusted odds ratio and 95 % interval per driver in the model, and the rows it was fitted on."""
    # a fixed random sample of the rows (seeded, in frame order), read column by column: no copy of the whole frame
    n = len(frame)
    pick = np.sort(np.random.default_rng(0).choice(n, rows, replace=False)) if n > rows else np.arange(n)
    y = frame["outcome"].to_numpy(dtype=float)[pick]
    if len(y) < 10 or y.min() == y.max():
        return {}, 0
    columns = {d.column: frame[d.column].to_numpy(dtype=bool)[pick] for d in drivers}
    sums = {column: int(values.sum()) for column, values in columns.items()}
    groups: dict[str, list[Driver]] = {}
    for d in drivers:
        if d.group:
            groups.setdefault(d.group, []).append(d)
    reference = {max(levels, key=lambda d: sums[d.column]).column for levels in groups.values()}
    used = [d for d in drivers if d.column not in reference and 0 < sums[d.column] < len(y)]
    if not used:
        return {}, 0
    x = np.column_stack([columns[d.column] for d in used]).astype(float)
    beta, se = logistic(x, y)
    found = {}
    for j, d in enumerate(used, start=1):
        low, high = beta[j] - Z95 * se[j], beta[j] + Z95 * se[j]
        if max(abs(low), abs(high)) <= MAX_LOG_ODDS:  # beyond: a driver that (almost) decides the outcome alone
            found[d.column] = (math.exp(beta[j]), math.exp(low), math.exp(high))
    return found, len(y)


def effects_from(frame: pd.DataFrame, drivers: list[Driver], model_rows: int = MODEL_ROWS) -> pd.DataFrame:
    """One row per driver that splits the customers (some exposed, some not), largest absolute difference first, after a
    first row "all" with the whole population: customers, exposed, prevalence, outcomes, rates with and without, the
    difference and odds ratio with 95 % intervals, p and Holm-adjusted p, adjusted odds ratio and interval, cost to
    serve with and without, model rows."""
    n = len(frame)
    y = frame["outcome"].to_numpy(dtype=bool)
    has_cost = bool(frame["cost"].notna().any()) if n else False
    cost = frame["cost"].fillna(0.0).to_numpy(dtype=float) if has_cost else None
    if cost is not None and not np.isfinite(cost).all():  # sums past the largest double
        cost = None
    tested = [d for d in drivers if 0 < int(frame[d.column].sum()) < n]
    adjusted, fitted = _adjusted(frame, tested, model_rows) if n else ({}, 0)
    rows = []
    for d in tested:
        x = frame[d.column].to_numpy(dtype=bool)
        a, b = int((x & y).sum()), int((x & ~y).sum())
        c, e = int((~x & y).sum()), int((~x & ~y).sum())
        row = {"column": d.column, "driver": d.name, "kind": d.kind, "attribute": d.group, "level": d.level}
        row["against"] = d.against or f"not {d.name}"
        row.update({"customers": n, "exposed": a + b})
        row.update({"prevalence": (a + b) / n, "outcomes": a + c, "outcome_with": a})
        row.update(two_by_two(a, b, c, e))
        adj = adjusted.get(d.column)
        row.update(dict(zip(("adjusted_or", "adjusted_low", "adjusted_high"), adj or (None, None, None), strict=True)))
        row["cost_with"] = float(cost[x].mean()) if cost is not None else None
        row["cost_without"] = float(cost[~x].mean()) if cost is not None else None
        rows.append(row)
    for row, p in zip(rows, holm([r["p"] for r in rows]), strict=True):
        row["p_holm"] = p
    rows.sort(key=lambda r: (-abs(r["difference"]), r["driver"]))
    total = {"column": "all", "driver": "all customers", "kind": "all", "attribute": "", "level": "", "against": ""}
    total.update({"customers": n, "exposed": n, "prevalence": 1.0})
    total.update({"outcomes": int(y.sum()), "rate_with": y.mean() if n else None, "model_rows": fitted})
    total["cost_with"] = float(cost.mean()) if cost is not None else None
    return pd.DataFrame([total, *rows], columns=COLUMNS)


COLUMNS = [
    "column",
    "driver",
    "against",
    "kind",
    "attribute",
    "level",
    "customers",
    "exposed",
    "prevalence",
    "outcomes",
    "outcome_with",
    "rate_with",
    "rate_without",
    "difference",
    "difference_low",
    "difference_high",
    "odds_ratio",
    "or_low",
    "or_high",
    "p",
    "p_holm",
    "adjusted_or",
    "adjusted_low",
    "adjusted_high",
    "cost_with",
    "cost_without",
    "model_rows",
]


def effects(cur: duckdb.DuckDBPyConnection, version: Version, spec: DriverSpec) -> pd.DataFrame:
    """The driver table of the spec's outcome (see effects_from), with the facts behind it as columns of the "all" row:
    threshold (low satisfaction) and contact_months."""
    frame, drivers, facts = shared_frame(cur, version, spec)
    table = effects_from(frame, drivers, spec.model_rows)
    for key, value in facts.items():
        table[key] = None
        table.loc[0, key] = value
    return table


def worth(table: pd.DataFrame, lifetime_value: float) -> pd.DataFrame:
    """Per fixable driver whose bad side goes with more defection: customers exposed × difference in defection rate ×
    lifetime value per customer (worth), and the difference in cost to serve per customer (None without costs);
    largest worth first."""
    rows = table[(table["kind"].isin(FIXABLE)) & (table["difference"] > 0)].copy()
    if "against" not in rows:
        rows["against"] = [f"not {d}" for d in rows["driver"]]
    rows["worth"] = rows["exposed"] * rows["difference"] * lifetime_value
    rows["extra_defectors"] = rows["exposed"] * rows["difference"]
    rows["cost_difference"] = rows["cost_with"] - rows["cost_without"] if rows["cost_with"].notna().any() else None
    return rows.sort_values(["worth", "driver"], ascending=[False, True]).reset_index(drop=True)[
        [
            "driver",
            "against",
            "kind",
            "exposed",
            "rate_with",
            "rate_without",
            "difference",
            "extra_defectors",
            "worth",
            "cost_difference",
        ]
    ]


def lever(exposed: float, difference: float, share: float, lifetime_value: float) -> dict[str, float]:
    """A driver fixed for a share of the customers on it, if the association held: customers kept = customers on it ×
    share fixed × difference in defection rate (none when the bad side goes with less defection); value = customers kept
    × lifetime value per customer."""
    kept = exposed * share * max(difference, 0.0)
    return {"kept": kept, "value": kept * lifetime_value}
