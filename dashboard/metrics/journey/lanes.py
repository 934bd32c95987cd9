"""Journey map and touchpoint heatmap: touchpoints by journey stage and channel, read from the jr_ tables.

Scope: the shared filters pick customers by segment and region and touchpoints by month (the month of the
touchpoint's timestamp). Prospects' touchpoints count: a journey starts before the first purchase.
The per-customer ordering (ties on timestamps broken by the row's position in the published file) is
described in dashboard/metrics/journey/prepare.py.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import pandas as pd

from dashboard.metrics.journey.prepare import DAY_S, MAX_WINDOW_DAYS, NO_STAGE
from dashboard.metrics.scope import Filters
from dashboard.sql import Sql, group_by_all, join, list_contains, lit, sql
from dashboard.store import Version

DEFAULT_REPEAT_DAYS = 7
DEFAULT_SLA_DAYS = 5
DEFAULT_MIN_BASE = 20
"""Fewest ratings, contacts or cases behind a rate before it may be named a pain point or coloured."""

PAIN_POINTS: tuple[tuple[str, str, str], ...] = (
    # key, label, definition
    ("low_satisfaction", "Low satisfaction", "share of rated touchpoints scored low (2 or less on 1-5; 6 or less on 0-10)"),
    (
        "repeat_contacts",
        "Repeat contacts",
        "share of customer-started contacts followed by another with the same reason within N days",
    ),
    ("sla_breaches", "SLA breaches", "share of cases not resolved within the SLA (unresolved cases included)"),
)

HEATMAP_METRICS: dict[str, tuple[str, str, bool]] = {
    # key: (label, kind, higher is worse)
    "touchpoints": ("Touchpoints", "count", False),
    "customers": ("Customers", "count", False),
    "satisfaction": ("Mean satisfaction", "score", False),
    "effort": ("Mean effort", "score", True),
    "cost": ("Cost", "money", True),
    "cost_per_contact": ("Cost per contact", "money", True),
    "repeat_rate": ("Repeat-contact rate", "pct", True),
}


def within_sla(sla_s: float) -> Sql:
    """SQL over jr_cases: a case is within the SLA when it kept its own promise (stg_contacts.within_promise: its on-time
    flag, or resolved by its due date), else when resolved within sla_s seconds."""
    return sql("coalesce(within_promise, resolution_s <= {}, false)", lit(sla_s))


SLA_KNOWN = "(within_promise is not null or resolution_s is not null or not resolved)"
"""SQL over jr_cases: the case's SLA outcome is known (a promise, a resolution time, or marked unresolved)."""


def _check_days(value: int, name: str) -> int:
    if not isinstance(value, int) or not 1 <= value <= MAX_WINDOW_DAYS:
        raise ValueError(f"{name} must be a whole number of days from 1 to {MAX_WINDOW_DAYS}")
    return value


@dataclass(frozen=True)
class JourneySpec:
    """Filters, the repeat window (days), the complaint SLA (days) and the fewest observations behind a rate."""

    filters: Filters = Filters()
    repeat_days: int = DEFAULT_REPEAT_DAYS
    sla_days: int = DEFAULT_SLA_DAYS
    min_base: int = DEFAULT_MIN_BASE

    def validate(self) -> JourneySpec:
        """Self with validated filters; ValueError when a number of days or the base is out of range."""
        _check_days(self.repeat_days, "the repeat window")
        _check_days(self.sla_days, "the SLA")
        if self.min_base < 1:
            raise ValueError("the smallest base must be at least 1")
        return JourneySpec(self.filters.validate(), self.repeat_days, self.sla_days, self.min_base)


def scope_sql(filters: Filters, month_col: str = "month") -> Sql:
    """SQL condition (with params) on a jr_ table: segment and region in scope, month within the range."""
    parts = [filters.dimension_sql()]
    if filters.month_from:
        parts.append(sql(f"{month_col} >= {{}}", lit(filters.month_from)))
    if filters.month_to:
        parts.append(sql(f"{month_col} <= {{}}", lit(filters.month_to)))
    return join(parts, " and ")


def cases_scope(filters: Filters, codes: list[int], window_s: float) -> Sql:
    """SQL condition on jr_cases: in scope, in one of the stages coded codes, and opening a case (no contact of the same
    customer and reason within window_s seconds before it)."""
    return sql(
        "{} and {} and (prev_gap_s is null or prev_gap_s > {})",
        scope_sql(filters),
        list_contains(lit(codes), "stage_code"),
        lit(window_s),
    )


def reach_sql(version: Version, level: str, filters: Filters) -> Sql:
    """Select of jr_reach rows that count each customer once over the month range (first month in range they appear)."""
    if level not in ("sc", "s", "c"):
        raise ValueError(level)
    first = (
        sql("(prev_month is null or prev_month < {})", lit(filters.month_from)) if filters.month_from else "prev_month is null"
    )
    return sql(
        f"select * from {version.table('jr_reach')} where level = {{}} and {{}} and {{}}", lit(level), scope_sql(filters), first
    )


def labels(cur: duckdb.DuckDBPyConnection, version: Version, _spec: object = None) -> pd.DataFrame:
    """Stage and channel labels with their codes (stages in journey order), touchpoints and whether resolution times exist."""
    return cur.execute(f"select * from {version.table('jr_labels')} order by kind, code").df()


def missing_columns(version: Version) -> list[tuple[str, str]]:
    """(what cannot be shown, missing interactions column) for each optional column the Journey page uses."""
    needs = (
        ("stage", "the journey map, stage nodes and complaint measures (no journey stage)"),
        ("satisfaction", "mean satisfaction and low-satisfaction pain points"),
        ("effort", "mean effort"),
        ("reason", "repeat contacts, first-contact resolution and channel switching (they match contacts by reason)"),
        ("resolved_ts", "resolution times and SLA breaches"),
        ("cost", "cost per contact"),
        ("initiated_by", "the share of touchpoints started by customers (every touchpoint counts as a contact)"),
    )
    return [(what, column) for column, what in needs if not version.has("interactions", column)]


def summary(cur: duckdb.DuckDBPyConnection, version: Version, spec: JourneySpec) -> pd.DataFrame:
    """Touchpoints, customers with one, contacts, share started by customers, mean satisfaction and effort, cost (one row)."""
    spec = spec.validate()
    query = sql(
        f"""
        select (select coalesce(sum(touchpoints), 0) from {version.table("jr_cube")} where {{where}}) as touchpoints,
               (select count(*) from {version.table("jr_paths")} where {{paths_where}}) as customers,
               (select coalesce(sum(touchpoints) filter (where is_contact), 0) from {version.table("jr_cube")} where {{where}})
                   as contacts,
               (select sum(touchpoints) filter (where initiator = 'customer')
                       / nullif(sum(touchpoints) filter (where initiator is not null), 0)
                from {version.table("jr_cube")} where {{where}}) as customer_started_share,
               (select sum(sat_sum) / nullif(sum(sat_n), 0) from {version.table("jr_cube")} where {{where}}) as satisfaction,
               (select sum(effort_sum) / nullif(sum(effort_n), 0) from {version.table("jr_cube")} where {{where}}) as effort,
               (select coalesce(sum(cost_sum), 0) from {version.table("jr_cube")} where {{where}}) as cost
        """,
        where=scope_sql(spec.filters),
        paths_where=paths_scope(spec.filters),
    )
    return cur.execute(*query).df()


def paths_scope(filters: Filters) -> Sql:
    """Condition on jr_paths picking each in-scope customer's first row on or after the period's first month."""
    parts = [filters.dimension_sql()]
    if filters.month_from:
        parts.append(sql("month >= {first} and (prev_month is null or prev_month < {first})", first=lit(filters.month_from)))
    else:
        parts.append("prev_month is null")
    if filters.month_to:
        parts.append(sql("month <= {}", lit(filters.month_to)))
    return join(parts, " and ")


def stage_lanes(cur: duckdb.DuckDBPyConnection, version: Version, spec: JourneySpec) -> pd.DataFrame:
    """One row per journey stage in journey order with the journey map's lanes and its top pain point.

    touchpoints; customers (distinct, with a touchpoint there); satisfaction and effort (means of rated
    touchpoints); low_sat_share (rated touchpoints scored low); cost_per_contact (cost ÷ touchpoints with a
    cost); days_to_next (median days from the first touchpoint of a stage visit, a run of consecutive
    touchpoints in one stage, to the customer's next touchpoint in another stage); repeat_rate (customer-started
    contacts followed by a contact with the same reason within N days ÷ such contacts); sla_breach_share (cases
    opened in the stage, i.e. not repeats, not resolved within the SLA ÷ cases with a known outcome, in stages
    with resolution times); pain / pain_value (the highest of the three shares with at least min_base behind it).
    """
    spec = spec.validate()
    frame = cur.execute(*_lanes_query(version, spec)).df()
    return _with_pain_points(frame, spec.min_base)


def _lanes_query(version: Version, spec: JourneySpec) -> Sql:
    """stage_lanes' query: the cube, reach, repeat, case and visit figures per stage, joined to the stage labels."""
    t = version.table
    window_s, sla_s = spec.repeat_days * DAY_S, spec.sla_days * DAY_S
    return sql(
        f"""
        with cube as (
            select stage_code, sum(touchpoints) as touchpoints,
                   sum(sat_sum) / nullif(sum(sat_n), 0) as satisfaction, sum(sat_n) as sat_n, sum(sat_low) as sat_low,
                   sum(effort_sum) / nullif(sum(effort_n), 0) as effort, sum(effort_n) as effort_n,
                   sum(cost_sum) as cost, sum(cost_sum) / nullif(sum(cost_n), 0) as cost_per_contact, sum(cost_n) as cost_n,
                   sum(touchpoints) filter (where is_contact) as contacts
            from {t("jr_cube")} where {{where}} group by stage_code
        ),
        reach as (select stage_code, sum(customers) as customers from ({{reach}}) group by stage_code),
        rep as (
            select stage_code, sum(contacts) as repeat_base,
                   coalesce(sum(contacts) filter (where gap_day <= {{repeat_days}}), 0) as repeats
            from {t("jr_repeat")} where {{where}} group by stage_code
        ),
        cases as (
            select c.stage_code,
                   count(*) filter (where {SLA_KNOWN}) as sla_base,
                   count(*) filter (where {SLA_KNOWN} and not {{within_sla}}) as sla_breaches
            from {t("jr_cases")} c
            join {t("jr_labels")} l on l.kind = 'stage' and l.code = c.stage_code and l.sla_tracked
            where {{where}} and (prev_gap_s is null or prev_gap_s > {{window_s}})
            group by c.stage_code
        ),
        vis as (
            select stage_code, median(days_to_next) as days_to_next, count(*) as visits
            from {t("jr_visits")} where {{where}} group by stage_code
        )
        select l.label as stage, l.code as stage_code, cube.touchpoints, coalesce(reach.customers, 0) as customers,
               cube.contacts, cube.satisfaction, cube.sat_n, cube.sat_low, cube.effort, cube.effort_n,
               cube.cost, cube.cost_per_contact, cube.cost_n, vis.days_to_next, coalesce(vis.visits, 0) as visits,
               coalesce(rep.repeat_base, 0) as repeat_base, coalesce(rep.repeats, 0) as repeats,
               coalesce(cases.sla_base, 0) as sla_base, coalesce(cases.sla_breaches, 0) as sla_breaches
        from cube
        join {t("jr_labels")} l on l.kind = 'stage' and l.code = cube.stage_code
        left join reach on reach.stage_code = cube.stage_code
        left join rep on rep.stage_code = cube.stage_code
        left join cases on cases.stage_code = cube.stage_code
        left join vis on vis.stage_code = cube.stage_code
        order by l.code
        """,
        where=scope_sql(spec.filters),
        reach=reach_sql(version, "s", spec.filters),
        repeat_days=lit(spec.repeat_days),
        within_sla=within_sla(sla_s),
        window_s=lit(window_s),
    )


def _share(numerator: pd.Series, base: pd.Series, min_base: int) -> pd.Series:
    """numerator ÷ base where base ≥ min_base, else missing."""
    return (numerator / base).where(base >= min_base)


def _with_pain_points(frame: pd.DataFrame, min_base: int) -> pd.DataFrame:
    """frame with the three pain-point shares, the worst one's key and value per stage."""
    frame = frame.copy()
    frame["low_sat_share"] = _share(frame["sat_low"].astype(float), frame["sat_n"].astype(float), min_base)
    frame["repeat_rate"] = _share(frame["repeats"].astype(float), frame["repeat_base"].astype(float), min_base)
    frame["sla_breach_share"] = _share(frame["sla_breaches"].astype(float), frame["sla_base"].astype(float), min_base)
    shares = frame[["low_sat_share", "repeat_rate", "sla_breach_share"]].astype(float)
    keys = [key for key, _, _ in PAIN_POINTS]
    has_any = (shares.fillna(0) > 0).any(axis=1)
    worst = shares.fillna(-1.0).to_numpy().argmax(axis=1) if len(frame) else []
    frame["pain"] = [keys[i] if ok else None for i, ok in zip(worst, has_any, strict=True)]
    frame["pain_value"] = shares.max(axis=1, skipna=True).where(has_any)
    return frame


def channel_mix(cur: duckdb.DuckDBPyConnection, version: Version, spec: JourneySpec) -> pd.DataFrame:
    """Touchpoints per stage and channel in scope, and each channel's share of its stage's touchpoints."""
    spec = spec.validate()
    t = version.table
    query = sql(
        f"""
        select s.label as stage, s.code as stage_code, ch.label as channel, ch.code as channel_code, x.touchpoints,
               x.touchpoints / sum(x.touchpoints) over (partition by x.stage_code) as share
        from (
            select stage_code, channel_code, sum(touchpoints) as touchpoints
            from {t("jr_cube")} where {{where}} {{group_by}}
        ) x
        join {t("jr_labels")} s on s.kind = 'stage' and s.code = x.stage_code
        join {t("jr_labels")} ch on ch.kind = 'channel' and ch.code = x.channel_code
        order by s.code, ch.code
        """,
        where=scope_sql(spec.filters),
        group_by=group_by_all(),
    )
    return cur.execute(*query).df()


def cells(cur: duckdb.DuckDBPyConnection, version: Version, spec: JourneySpec) -> pd.DataFrame:
    """One row per stage × channel with touchpoints: every heatmap metric (see HEATMAP_METRICS) and the base behind it.

    touchpoints; customers (distinct); satisfaction and effort (means of rated touchpoints; sat_n, effort_n
    ratings); cost (sum) and cost_per_contact (cost ÷ touchpoints with a cost); repeat_rate (customer-started
    contacts with a reason followed by another with the same reason within N days ÷ such contacts).
    """
    spec = spec.validate()
    t = version.table
    query = sql(
        f"""
        with cube as (
            select stage_code, channel_code, sum(touchpoints) as touchpoints,
                   sum(sat_sum) / nullif(sum(sat_n), 0) as satisfaction, sum(sat_n) as sat_n,
                   sum(effort_sum) / nullif(sum(effort_n), 0) as effort, sum(effort_n) as effort_n,
                   sum(cost_sum) as cost, sum(cost_sum) / nullif(sum(cost_n), 0) as cost_per_contact, sum(cost_n) as cost_n
            from {t("jr_cube")} where {{where}} {{group_by}}
        ),
        reach as (select stage_code, channel_code, sum(customers) as customers from ({{reach}}) {{group_by}}),
        rep as (
            select stage_code, channel_code, sum(contacts) as repeat_base,
                   coalesce(sum(contacts) filter (where gap_day <= {{repeat_days}}), 0) as repeats
            from {t("jr_repeat")} where {{where}} {{group_by}}
        )
        select s.label as stage, s.code as stage_code, ch.label as channel, ch.code as channel_code,
               cube.touchpoints, coalesce(reach.customers, 0) as customers,
               cube.satisfaction, cube.sat_n, cube.effort, cube.effort_n, cube.cost, cube.cost_per_contact, cube.cost_n,
               coalesce(rep.repeat_base, 0) as repeat_base, coalesce(rep.repeats, 0) as repeats,
               rep.repeats / nullif(rep.repeat_base, 0) as repeat_rate
        from cube
        join {t("jr_labels")} s on s.kind = 'stage' and s.code = cube.stage_code
        join {t("jr_labels")} ch on ch.kind = 'channel' and ch.code = cube.channel_code
        left join reach on reach.stage_code = cube.stage_code and reach.channel_code = cube.channel_code
        left join rep on rep.stage_code = cube.stage_code and rep.channel_code = cube.channel_code
        order by s.code, ch.code
        """,
        where=scope_sql(spec.filters),
        reach=reach_sql(version, "sc", spec.filters),
        repeat_days=lit(spec.repeat_days),
        group_by=group_by_all(),
    )
    return cur.execute(*query).df()


def has_stages(labels_frame: pd.DataFrame) -> bool:
    """Whether the touchpoints carry journey stages (any stage label other than the blank one)."""
    stages = labels_frame.loc[labels_frame["kind"] == "stage", "label"]
    return bool((stages != NO_STAGE).any())


HOTSPOTS: tuple[tuple[str, str, str, bool, str], ...] = (
    # key, label, lanes column, higher is worse, base column
    ("satisfaction", "Lowest satisfaction", "satisfaction", False, "sat_n"),
    ("effort", "Highest effort", "effort", True, "effort_n"),
    ("repeat_rate", "Most repeat contacts", "repeat_rate", True, "repeat_base"),
    ("sla_breach_share", "Most SLA breaches", "sla_breach_share", True, "sla_base"),
)


def hotspots(lanes: pd.DataFrame, min_base: int = DEFAULT_MIN_BASE) -> pd.DataFrame:
    """Where the experience breaks: for satisfaction, effort, repeats and SLA breaches, the worst stage with min_base
    behind, and the next worst (runner_up, runner_up_value: None when no other stage has min_base behind), so a stage
    that is worst on every measure still leaves each tile something to say."""
    rows = []
    for key, label, column, worse_high, base in HOTSPOTS:
        data = lanes[(lanes[base] >= min_base) & lanes[column].notna()] if len(lanes) else lanes
        if data.empty:
            rows.append(
                {
                    "key": key,
                    "label": label,
                    "stage": None,
                    "value": None,
                    "base": 0,
                    "overall": None,
                    "runner_up": None,
                    "runner_up_value": None,
                }
            )
            continue
        ranked = data.sort_values([column, "stage_code"], ascending=[not worse_high, True])
        worst = ranked.iloc[0]
        second = ranked.iloc[1] if len(ranked) > 1 else None
        weights = data[base].astype(float)
        overall = float((data[column].astype(float) * weights).sum() / weights.sum()) if weights.sum() else None
        rows.append(
            {
                "key": key,
                "label": label,
                "stage": worst["stage"],
                "value": float(worst[column]),
                "base": int(worst[base]),
                "overall": overall,
                "runner_up": None if second is None else second["stage"],
                "runner_up_value": None if second is None else float(second[column]),
            }
        )
    return pd.DataFrame(rows)
