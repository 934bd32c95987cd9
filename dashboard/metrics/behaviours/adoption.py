"""Perfect-customer behaviours: adoption against best-in-class, savings potential, and how behaviours go with
satisfaction and churn, counted over the customers flags.flags_sql selects (its docstring defines the customers of the
period, the customers in scope and how derived behaviours read contacts).

adoption of a behaviour = customers in scope showing it ÷ customers in scope.
"""

from __future__ import annotations

import math

import duckdb
import pandas as pd
from scipy import stats

from dashboard import contract
from dashboard.metrics.behaviours.catalogue import ESTIMATE, Catalogue, load_catalogue
from dashboard.metrics.behaviours.flags import BehaviourSpec, flags_sql, measurable, measured_keys
from dashboard.metrics.scope import Filters
from dashboard.sql import Sql, sql
from dashboard.store import Store, Version

# BehaviourSpec and measured_keys are read through this module by the views that count behaviours (Defection, Drivers)
__all__ = ["BehaviourSpec", "catalogue_for", "customer_behaviours_sql", "load_catalogue", "measured_keys", "prepare", "summary"]

SMALL_GROUP = 30
"""Groups of fewer customers are greyed and labelled: their mean and churn rate are too noisy to read."""
CONFIDENCE = 0.95


def prepare(cur: duckdb.DuckDBPyConnection, version: Version) -> None:
    """Build bh_customers (customers numbered, with prospect and defected flags), bh_contacts and bh_span.

    Customers are numbered (cid) by segment, then region, then id, and the tables keyed by cid are stored in that
    order: the customers of a segment and region are one run of numbers, so a filter on them reads only their part of
    each table (DuckDB skips the row groups outside the run): 3× faster for one segment of one region, 2× for a
    region, at 1,000,000 customers."""
    customers, transactions, interactions = (version.table(t) for t in ("customers", "transactions", "interactions"))
    grouped = "".join(f"c.{column}, " for column in ("segment", "region") if version.has("customers", column))
    cur.execute(
        f"""
        create table {version.table("bh_customers")} as
        select row_number() over (order by {grouped}s.customer_id) as cid,
               s.customer_id,
               c.* exclude (customer_id),
               not s.counts_as_customer as is_prospect,
               coalesce(s.defected, false) as defected,
               s.defected_since
        from {version.table("stg_customers")} s
        left join (select * from {customers} where customer_id is not null) c on c.customer_id = s.customer_id
        order by cid
        """
    )
    # customer-started contacts (once each, at their first step) counted per customer, calendar month and channel
    cur.execute(
        f"""
        create table {version.table("bh_contacts")} as
        select c.cid,
               cast(year(i.ts) * 12 + month(i.ts) - 1 as integer) as month_index,
               lower(trim(i.channel)) as channel,
               cast(count(*) as integer) as n
        from {version.table("stg_contacts")} i
        join {version.table("bh_customers")} c on c.customer_id = i.customer_id
        where i.is_contact and i.first_step
        group by all
        order by cid, month_index
        """
    )
    cur.execute(
        f"""
        create table {version.table("bh_span")} as
        select cast(max(year(ts) * 12 + month(ts) - 1) as integer) as last_month_index
        from (select max(ts) as ts from {transactions} union all select max(ts) from {interactions})
        """
    )


def flag_columns(version: Version) -> tuple[str, ...]:
    """The b_ flag columns of the version's customers table."""
    return tuple(c for c in version.columns.get("customers", ()) if c.startswith(contract.BEHAVIOUR_PREFIX))


def catalogue_for(store: Store, version: Version) -> Catalogue:
    """The behaviour catalogue in force for version's dataset (as the Behaviours page shows it)."""
    return load_catalogue(store, version.dataset, flag_columns(version))


def customer_behaviours_sql(version: Version, catalogue: Catalogue, filters: Filters = Filters()) -> Sql:
    """Select (customer_id, n_behaviours, b_<key> per measured behaviour) over the customers of the period.

    For other views (Defection): every customer of the period in the selected segments, regions and months,
    including those who left during it; prospects excluded. b_<key> is true when the customer shows the behaviour
    (a missing value counts as not showing it); n_behaviours counts the measured behaviours shown. Behaviours the
    data cannot measure (and estimates) have no column.
    """
    flags, keys = flags_sql(version, BehaviourSpec.of(catalogue, filters))
    columns = ", ".join(["customer_id", "n_behaviours", *(f"b_{k}" for k in keys)])
    return sql(f"select {columns} from ({{}}) order by customer_id", flags)


def summary(cur: duckdb.DuckDBPyConnection, version: Version, spec: BehaviourSpec) -> pd.DataFrame:
    """Counts over the customers of the period, in total and by segment, region and number of behaviours shown.

    One row per (dimension, value): dimension is "all", "segment", "region" or "count" (value = number of
    behaviours). Columns: customers (of the period), defected (during it), in_scope (customers in scope for
    adoption), sat_n / sat_mean / sat_sd (satisfaction), and per measured behaviour: "adopters:<key>" (in scope
    and showing it), "with:<key>" (customers of the period showing it), "with_defected:<key>", "sat_with:<key>"
    and "sat_without:<key>" (mean satisfaction of those with and without it). Summed from the cube of every segment
    of spec's regions (summary_of), as the pages do.
    """
    return summary_of(cube(cur, version, spec.in_every_segment()), spec.filters)


def cube(cur: duckdb.DuckDBPyConnection, version: Version, spec: BehaviourSpec) -> pd.DataFrame:
    """Counts over the customers of the period in the finest groups: one row per segment, region and number of
    behaviours shown, with the columns summary sums (customers, defected, in_scope, sat_n, sat_sum, sat_sq and per
    measured behaviour "adopters:", "with:", "with_defected:", "sat_with_sum:" and "sat_with_n:<key>").

    One pass over the customers: asked for every segment (spec.in_every_segment), it answers every segment filter of
    the same regions, months, measures and scope (a few hundred rows). Regions stay in the query: a cube of every
    region costs the whole data (2.1 s of CPU at 1,000,000 customers, against 0.5 s for one region of five), so a page
    opened on one region would pay for all of them."""
    flags, keys = flags_sql(version, spec)
    per_key = []
    for key in keys:
        per_key += [
            f'sum(cast(in_scope and b_{key} as integer)) as "adopters:{key}"',
            f'sum(cast(b_{key} as integer)) as "with:{key}"',
            f'sum(cast(b_{key} and defected as integer)) as "with_defected:{key}"',
            f'sum(case when b_{key} then satisfaction end) as "sat_with_sum:{key}"',
            f'sum(cast(b_{key} and satisfaction is not null as integer)) as "sat_with_n:{key}"',
        ]
    query = sql(
        f"""
        with f as ({{}})
        select segment, region, n_behaviours,
               count(*) as customers,
               sum(cast(defected as integer)) as defected,
               sum(cast(in_scope as integer)) as in_scope,
               count(satisfaction) as sat_n,
               sum(satisfaction) as sat_sum,
               sum(satisfaction * satisfaction) as sat_sq
               {"".join(", " + col for col in per_key)}
        from f
        group by segment, region, n_behaviours
        """,
        flags,
    )
    return cur.execute(*query).df()


def summary_of(cube_frame: pd.DataFrame, filters: Filters) -> pd.DataFrame:
    """summary for filters' segments and regions, from a cube of every segment (of those regions or more): their
    groups, summed."""
    rows = cube_frame
    if filters.segments:
        rows = rows[rows["segment"].isin(filters.segments)]
    if filters.regions:
        rows = rows[rows["region"].isin(filters.regions)]
    return _roll_up(rows, summary_keys(rows))


def _roll_up(cube: pd.DataFrame, keys: tuple[str, ...]) -> pd.DataFrame:
    """The finest groups summed to the total and to each segment, region and number of behaviours, with means."""
    measures = [c for c in cube.columns if c not in ("segment", "region", "n_behaviours")]
    # whole-frame operations: column by column, a few hundred rows took most of a filter change's Python
    cube = pd.concat([cube[["segment", "region", "n_behaviours"]], cube[measures].astype("float64").fillna(0.0)], axis=1)
    total = cube[measures].sum().to_frame().T.assign(dimension="all", value="all", n_behaviours=pd.NA)
    parts = [total]
    for dimension in ("segment", "region", "n_behaviours"):
        grouped = cube.groupby(dimension, sort=True)[measures].sum().reset_index()
        label = "count" if dimension == "n_behaviours" else dimension
        grouped = grouped.assign(dimension=label, value=grouped[dimension].astype(str))
        if dimension != "n_behaviours":
            grouped = grouped.drop(columns=[dimension]).assign(n_behaviours=pd.NA)
        parts.append(grouped)
    out = pd.concat(parts, ignore_index=True)
    n = out["sat_n"]
    means = {"sat_mean": (out["sat_sum"] / n).where(n > 0)}
    variance = ((out["sat_sq"] - out["sat_sum"] ** 2 / n) / (n - 1)).where(n > 1)
    means["sat_sd"] = variance.clip(lower=0.0) ** 0.5
    for key in keys:
        with_n = out[f"sat_with_n:{key}"]
        without_n = n - with_n
        means[f"sat_with:{key}"] = (out[f"sat_with_sum:{key}"] / with_n).where(with_n > 0)
        means[f"sat_without:{key}"] = ((out["sat_sum"] - out[f"sat_with_sum:{key}"]) / without_n).where(without_n > 0)
    out = pd.concat([out, pd.DataFrame(means, index=out.index)], axis=1)
    out["n_behaviours"] = out["n_behaviours"].astype("Int64")
    first = ["dimension", "value", "n_behaviours"]
    return out[first + [c for c in out.columns if c not in first]].reset_index(drop=True)


def summary_keys(frame: pd.DataFrame) -> tuple[str, ...]:
    """Behaviour keys the summary frame holds counts for."""
    return tuple(c[len("with_defected:") :] for c in frame.columns if c.startswith("with_defected:"))


# -- figures derived from the summary (pure arithmetic on a small frame, no query) ---------------------------------


def _row(frame: pd.DataFrame, dimension: str = "all", value: str = "all") -> pd.Series | None:
    rows = frame[(frame["dimension"] == dimension) & (frame["value"] == value)]
    return None if rows.empty else rows.iloc[0]


def _share(part: float, whole: float) -> float | None:
    return float(part) / float(whole) if whole else None


def adoption_table(frame: pd.DataFrame, catalogue: Catalogue, version: Version) -> pd.DataFrame:
    """One row per catalogue behaviour: adoption today, best-in-class, the gap and the savings potential.

    current = adopters in scope ÷ customers in scope (or the estimate, for behaviours the data cannot measure);
    gap = best-in-class − current; potential = customers in scope × max(gap, 0) × saving per adopting customer
    per year. Sorted by potential, largest first; behaviours without a current adoption or best-in-class last.
    status is "measured", "estimate" or "no data"; note says why a behaviour is not measured.
    """
    keys = set(summary_keys(frame))
    total = _row(frame)
    base = float(total["in_scope"]) if total is not None else 0.0
    rows = []
    for order, b in enumerate(catalogue.behaviours):
        reason = measurable(b.measure, version)[1]
        if b.key in keys and total is not None:
            adopters = float(total[f"adopters:{b.key}"])
            current, status, note = _share(adopters, base), "measured", ""
        elif b.estimated_adoption is not None:
            adopters, current, status = b.estimated_adoption * base, b.estimated_adoption, "estimate"
            note = f"Estimated adoption: {reason}" if b.measure.kind != ESTIMATE else "Estimated adoption: no data behind it"
        else:
            adopters, current, status = None, None, "no data"
            note = f"Not measured: {reason}; enter an estimated adoption to price it"
        gap = None if current is None or b.best_in_class is None else b.best_in_class - current
        rows.append(
            {
                "key": b.key,
                "behaviour": b.name,
                "status": status,
                "how_measured": b.measure.describe(),
                "note": note,
                "customers_in_scope": base,
                "adopters": adopters,
                "current": current,
                "best_in_class": b.best_in_class,
                "gap": gap,
                "saving": b.saving,
                "potential": None if gap is None else base * max(gap, 0.0) * b.saving,
                "best_in_class_source": b.best_in_class_source,
                "saving_source": b.saving_source,
                "assumption": b.assumption,
                "order": order,
            }
        )
    out = pd.DataFrame(rows, columns=[*ADOPTION_COLUMNS, "order"])
    out["_sort"] = out["potential"].astype(float).fillna(-1.0)
    out = out.sort_values(["_sort", "order"], ascending=[False, True]).drop(columns=["_sort", "order"])
    return out.reset_index(drop=True)


ADOPTION_COLUMNS = (
    "key",
    "behaviour",
    "status",
    "how_measured",
    "note",
    "customers_in_scope",
    "adopters",
    "current",
    "best_in_class",
    "gap",
    "saving",
    "potential",
    "best_in_class_source",
    "saving_source",
    "assumption",
)


def adoption_by(frame: pd.DataFrame, catalogue: Catalogue, dimension: str = "segment") -> pd.DataFrame:
    """Adoption and savings potential per behaviour within each segment (or region), measured behaviours only.

    One row per (group, behaviour): customers in scope of the group, adopters, current adoption, best-in-class,
    potential = group's customers in scope × max(best-in-class − group's adoption, 0) × saving. Groups sorted by
    their total potential, largest first.
    """
    if dimension not in ("segment", "region"):
        raise ValueError("break down by segment or region")
    keys = set(summary_keys(frame))
    rows = []
    for _, group in frame[frame["dimension"] == dimension].iterrows():
        base = float(group["in_scope"])
        for b in catalogue.behaviours:
            if b.key not in keys:
                continue
            current = _share(group[f"adopters:{b.key}"], base)
            gap = None if current is None or b.best_in_class is None else b.best_in_class - current
            rows.append(
                {
                    "group": group["value"],
                    "key": b.key,
                    "behaviour": b.name,
                    "customers_in_scope": base,
                    "adopters": float(group[f"adopters:{b.key}"]),
                    "current": current,
                    "best_in_class": b.best_in_class,
                    "potential": None if gap is None else base * max(gap, 0.0) * b.saving,
                }
            )
    columns = ["group", "key", "behaviour", "customers_in_scope", "adopters", "current", "best_in_class", "potential"]
    out = pd.DataFrame(rows, columns=columns)
    if out.empty:
        return out
    totals = out.groupby("group")["potential"].sum(min_count=1).fillna(0.0)
    out["group_potential"] = out["group"].map(totals)
    return out.sort_values(["group_potential", "group", "potential"], ascending=[False, True, False]).reset_index(drop=True)


def behaviour_count_groups(frame: pd.DataFrame, churn_known: bool = True) -> pd.DataFrame:
    """Customers of the period grouped by how many measured behaviours they show.

    Per group: customers, mean satisfaction with its 95 % confidence interval (Student's t: mean ± t × sd ÷ √n),
    churn rate = defected during the period ÷ customers (missing when the data cannot tell defection: churn_known
    False), and small = fewer than 30 customers.
    """
    groups = frame[frame["dimension"] == "count"].sort_values("n_behaviours")
    rows = []
    for _, g in groups.iterrows():
        n_sat = int(g["sat_n"])
        mean = None if n_sat == 0 else float(g["sat_mean"])
        half = None
        if n_sat >= 2 and pd.notna(g["sat_sd"]):
            half = float(stats.t.ppf(0.5 + CONFIDENCE / 2, n_sat - 1) * g["sat_sd"] / math.sqrt(n_sat))
        customers = int(g["customers"])
        rows.append(
            {
                "behaviours": int(g["n_behaviours"]),
                "customers": customers,
                "satisfaction_n": n_sat,
                "mean_satisfaction": mean,
                "ci_low": None if half is None else mean - half,
                "ci_high": None if half is None else mean + half,
                "defected": int(g["defected"]),
                "churn_rate": _share(g["defected"], customers) if churn_known else None,
                "small": customers < SMALL_GROUP,
            }
        )
    groups_frame = pd.DataFrame(
        rows,
        columns=[
            "behaviours",
            "customers",
            "satisfaction_n",
            "mean_satisfaction",
            "ci_low",
            "ci_high",
            "defected",
            "churn_rate",
            "small",
        ],
    )
    groups_frame["churn_rate"] = groups_frame["churn_rate"].astype(float)
    return groups_frame


def churn_by_behaviour(frame: pd.DataFrame, catalogue: Catalogue) -> pd.DataFrame:
    """Per measured behaviour, over the customers of the period: churn rate and mean satisfaction with and without it.

    share_with = customers showing it ÷ customers of the period; churn_with = defected among them ÷ them;
    churn_without likewise for those not showing it; churn_gap = churn_without − churn_with (positive when adopters
    leave less).
    """
    total = _row(frame)
    keys = set(summary_keys(frame))
    rows = []
    for b in catalogue.behaviours:
        if b.key not in keys or total is None:
            continue
        customers, defected = float(total["customers"]), float(total["defected"])
        with_n, with_def = float(total[f"with:{b.key}"]), float(total[f"with_defected:{b.key}"])
        without_n, without_def = customers - with_n, defected - with_def
        churn_with, churn_without = _share(with_def, with_n), _share(without_def, without_n)
        rows.append(
            {
                "key": b.key,
                "behaviour": b.name,
                "customers": customers,
                "with": with_n,
                "share_with": _share(with_n, customers),
                "churn_with": churn_with,
                "without": without_n,
                "churn_without": churn_without,
                "churn_gap": None if churn_with is None or churn_without is None else churn_without - churn_with,
                "satisfaction_with": _float(total[f"sat_with:{b.key}"]),
                "satisfaction_without": _float(total[f"sat_without:{b.key}"]),
            }
        )
    return pd.DataFrame(
        rows,
        columns=[
            "key",
            "behaviour",
            "customers",
            "with",
            "share_with",
            "churn_with",
            "without",
            "churn_without",
            "churn_gap",
            "satisfaction_with",
            "satisfaction_without",
        ],
    )


def _float(value: object) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def customers_of_period_sql(version: Version, catalogue: Catalogue, filters: Filters = Filters()) -> tuple[Sql, tuple]:
    """Select of the customers of the period with defected (during it) and b_<key> per measured behaviour, as the
    Behaviours page counts them (see flags.flags_sql); (the select, measured keys). For Drivers."""
    return flags_sql(version, BehaviourSpec.of(catalogue, filters))


def headline(adoption: pd.DataFrame, base: float) -> pd.DataFrame:
    """The page's headline figures (key, kind, value): customers in scope, and the savings potential a year = Σ of the
    behaviours' potential (None when no behaviour is priced)."""
    priced = adoption["potential"].dropna() if len(adoption) else pd.Series(dtype=float)
    return pd.DataFrame(
        [
            {"key": "customers_in_scope", "kind": "count", "value": float(base)},
            {"key": "savings_potential", "kind": "money", "value": float(priced.sum()) if len(priced) else None},
        ]
    )


def in_scope(summary: pd.DataFrame) -> float:
    """Customers in scope, from summary's "all" row (0 when there is none)."""
    total = summary[summary["dimension"] == "all"]
    return float(total["in_scope"].iloc[0]) if len(total) else 0.0
