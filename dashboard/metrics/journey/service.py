"""Service measures of the Journey page: first-contact resolution, repeats, channel switching, complaints and SLA, churn.

Contacts are customer-started touchpoints with a reason (every touchpoint with a reason when the data has no
`initiated_by`). A contact is repeated when the same customer makes another contact with the same reason
within N days (N = the repeat window); ties on timestamps are ordered by row number in the published file,
so of two contacts at the same moment the first is repeated by the second. A complaint is a contact in the
"complaint" journey stage that opens a case: no contact of the same customer and reason in the N days
before (its follow-ups are repeats, not new complaints). Filters pick customers by segment and region and
contacts by the month they were made; a follow-up after the period still counts.
"""

from __future__ import annotations

import duckdb
import pandas as pd

from dashboard.metrics.journey.lanes import SLA_KNOWN, JourneySpec, cases_scope, paths_scope, scope_sql, within_sla
from dashboard.metrics.journey.prepare import DAY_S
from dashboard.sql import group_by_all, lit, sql
from dashboard.store import Version

MEASURES: tuple[tuple[str, str, str, str], ...] = (
    # key, label, kind, definition
    (
        "fcr",
        "First-contact resolution",
        "pct",
        "Customer-started contacts resolved (the resolved flag, else a resolution time) and not followed by another "
        "contact of the same customer with the same reason within N days ÷ such contacts whose resolution is known. "
        "Needs a resolved or resolved_ts column.",
    ),
    ("repeat_rate", "Repeat-contact rate", "pct", "Contacts followed by another with the same reason within N days ÷ contacts."),
    (
        "channel_switching",
        "Channel switching",
        "pct",
        "Contacts followed within N days by a contact with the same reason on another channel (e.g. an e-mail "
        "complaint, then a call) ÷ contacts.",
    ),
    (
        "customer_started",
        "Started by customers",
        "pct",
        "Touchpoints initiated by the customer ÷ touchpoints whose initiator is known.",
    ),
    (
        "complaints",
        "Complaints",
        "count",
        "Complaint-stage contacts that open a case (no contact with the same reason in the N days before).",
    ),
    (
        "resolution_median",
        "Median resolution",
        "days",
        "Median of resolved_ts − ts over complaints with a resolution time, in days.",
    ),
    (
        "resolution_p90",
        "P90 resolution",
        "days",
        "Nine in ten complaints with a resolution time were resolved within this many days.",
    ),
    (
        "within_sla",
        "Within SLA",
        "pct",
        "Complaints that kept their own promise (an on-time flag, or resolved by their due date), else resolved within "
        "the SLA (days) ÷ complaints with a known outcome (a promise, resolved with a time, or unresolved); unresolved "
        "complaints count as outside the SLA.",
    ),
    ("unresolved", "Unresolved", "count", "Complaints not marked resolved and without a resolution time."),
)

GROUPS: tuple[tuple[str, str], ...] = (
    ("fcr", "Complaint resolved at first contact"),
    ("not_fcr", "Complaint not resolved at first contact"),
    ("none", "No complaint"),
)


def case_subject(cur: duckdb.DuckDBPyConnection, version: Version) -> tuple[list[int], str]:
    """Stage codes whose cases the complaint measures cover, and what to call them: the complaint stage, else timed stages."""
    labels = cur.execute(f"select code, label, sla_tracked from {version.table('jr_labels')} where kind = 'stage'").fetchall()
    complaint = [int(code) for code, label, _ in labels if label == "complaint"]
    if complaint:
        return complaint, "complaints"
    return [int(code) for code, _, tracked in labels if tracked], "cases with a resolution time"


def measures(cur: duckdb.DuckDBPyConnection, version: Version, spec: JourneySpec) -> pd.DataFrame:
    """One row per service measure (key, label, kind, value, numerator, denominator, definition, available)."""
    spec = spec.validate()
    codes, subject = case_subject(cur, version)
    counts = _measure_counts(cur, version, spec, codes)
    has = version.has
    has_reason = has("interactions", "reason")
    has_times = has("interactions", "resolved_ts") and counts["timed"] > 0
    has_outcome = has("interactions", "resolved") or has("interactions", "resolved_ts")
    values = {
        "fcr": (counts["first_time"], counts["judged"], has_reason and has_outcome),
        "repeat_rate": (counts["repeats"], counts["contacts"], has_reason),
        "channel_switching": (counts["switches"], counts["contacts"], has_reason),
        "customer_started": (counts["customer_started"], counts["initiator_known"], has("interactions", "initiated_by")),
        "complaints": (counts["complaints"], None, bool(codes)),
        "resolution_median": (counts["median_days"], None, has_times),
        "resolution_p90": (counts["p90_days"], None, has_times),
        "within_sla": (counts["within_sla"], counts["known_outcome"], has_times or counts["promised"] > 0),
        "unresolved": (counts["unresolved"], counts["complaints"], bool(codes) and has_outcome),
    }
    return pd.DataFrame([_measure_row(measure, values[measure[0]], spec, subject) for measure in MEASURES])


def _measure_counts(cur: duckdb.DuckDBPyConnection, version: Version, spec: JourneySpec, codes: list[int]) -> dict:
    """The counts behind the service measures, by name: contacts, repeats, first_time, judged, switches,
    customer_started, initiator_known, complaints, timed, median_days, p90_days, within_sla, known_outcome,
    unresolved, promised."""
    t = version.table
    window_s, sla_s = spec.repeat_days * DAY_S, spec.sla_days * DAY_S
    query = sql(
        f"""
        with rep as (
            select coalesce(sum(contacts), 0) as contacts,
                   coalesce(sum(contacts) filter (where gap_day <= {{days}}), 0) as repeats,
                   coalesce(sum(contacts) filter (where resolved and (gap_day is null or gap_day > {{days}})), 0) as first_time,
                   coalesce(sum(contacts) filter (where resolved is not null), 0) as judged,
                   coalesce(sum(contacts) filter (where gap_day <= {{days}} and next_channel_code <> channel_code), 0)
                       as switches
            from {t("jr_repeat")} where {{where}}
        ),
        cube as (
            select coalesce(sum(touchpoints) filter (where initiator = 'customer'), 0) as customer_started,
                   coalesce(sum(touchpoints) filter (where initiator is not null), 0) as initiator_known
            from {t("jr_cube")} where {{where}}
        ),
        cases as (
            select count(*) as complaints, count(resolution_s) as timed,
                   quantile_cont(resolution_s, 0.5) / {{day_s}} as median_days,
                   quantile_cont(resolution_s, 0.9) / {{day_s}} as p90_days,
                   count(*) filter (where {SLA_KNOWN} and {{within_sla}}) as within_sla,
                   count(*) filter (where {SLA_KNOWN}) as known_outcome,
                   count(*) filter (where not resolved) as unresolved,
                   count(*) filter (where sla_rule is not null) as promised
            from {t("jr_cases")}
            where {{cases}}
        )
        select * from rep, cube, cases
        """,
        days=lit(spec.repeat_days),
        where=scope_sql(spec.filters),
        day_s=lit(DAY_S),
        within_sla=within_sla(sla_s),
        cases=cases_scope(spec.filters, codes, window_s),
    )
    result = cur.execute(*query)
    names = [column[0] for column in result.description]
    return dict(zip(names, result.fetchall()[0], strict=True))


def _measure_row(measure: tuple[str, str, str, str], value: tuple, spec: JourneySpec, subject: str) -> dict:
    """One service measure's row: its value (numerator ÷ denominator, or the numerator alone), its label and definition
    worded for the case subject and the spec's windows, and whether the dataset provides it."""
    key, label, kind, definition = measure
    numerator, denominator, available = value
    if denominator is not None:
        share = numerator / denominator if denominator else None
    else:
        share = None if numerator is None else float(numerator)
    if key in ("complaints", "resolution_median", "resolution_p90", "within_sla", "unresolved") and subject != "complaints":
        label = label.replace("complaints", subject).replace("Complaints", subject.capitalize())
        definition = definition.replace("Complaint-stage contacts", "Contacts with a resolution time")
    return {
        "key": key,
        "label": label,
        "kind": kind,
        "value": share if available else None,
        "numerator": None if numerator is None else float(numerator),
        "denominator": None if denominator is None else float(denominator),
        "definition": definition.replace("N days", f"{spec.repeat_days} days").replace(
            "the SLA (days)", f"the SLA ({spec.sla_days} days)"
        ),
        "available": bool(available),
    }


def switches(cur: duckdb.DuckDBPyConnection, version: Version, spec: JourneySpec) -> pd.DataFrame:
    """Channel switches by stage and channel pair: contacts followed within N days by a same-reason contact on another channel.

    rate = switches ÷ contacts of that stage on the first channel. Biggest first.
    """
    spec = spec.validate()
    t = version.table
    query = sql(
        f"""
        with base as (
            select stage_code, channel_code, next_channel_code, gap_day, sum(contacts) as contacts
            from {t("jr_repeat")} where {{where}} {{group_by}}
        ),
        pairs as (
            select stage_code, channel_code, next_channel_code, sum(contacts) as switches
            from base where gap_day <= {{days}} and next_channel_code <> channel_code {{group_by}}
        ),
        totals as (select stage_code, channel_code, sum(contacts) as contacts from base {{group_by}})
        select s.label as stage, f.label as from_channel, n.label as to_channel, pairs.switches,
               pairs.switches / totals.contacts as rate
        from pairs
        join totals using (stage_code, channel_code)
        join {t("jr_labels")} s on s.kind = 'stage' and s.code = pairs.stage_code
        join {t("jr_labels")} f on f.kind = 'channel' and f.code = pairs.channel_code
        join {t("jr_labels")} n on n.kind = 'channel' and n.code = pairs.next_channel_code
        order by pairs.switches desc, s.code, f.code, n.code
        """,
        where=scope_sql(spec.filters),
        days=lit(spec.repeat_days),
        group_by=group_by_all(),
    )
    return cur.execute(*query).df()


def resolution_days(cur: duckdb.DuckDBPyConnection, version: Version, spec: JourneySpec) -> pd.DataFrame:
    """Complaints by whole days to resolution (day d = resolved in [d, d+1) days; capped at 30 = 30 or more) and unresolved.

    One row per day with complaints: day (-1 = unresolved), complaints, within_sla (resolution ≤ SLA days for every
    complaint in the day: d < SLA).
    """
    spec = spec.validate()
    codes, _ = case_subject(cur, version)
    query = sql(
        f"""
        select case when resolution_s is null then -1 else least(cast(floor(resolution_s / {{day_s}}) as integer), 30) end
                   as day,
               count(*) as complaints
        from {version.table("jr_cases")}
        where {{cases}}
          and (resolution_s is not null or not resolved)
        {{group_by}} order by day
        """,
        day_s=lit(DAY_S),
        cases=cases_scope(spec.filters, codes, spec.repeat_days * DAY_S),
        group_by=group_by_all(),
    )
    frame = cur.execute(*query).df()
    frame["within_sla"] = (frame["day"] >= 0) & (frame["day"] < spec.sla_days)
    return frame


def complaint_churn(cur: duckdb.DuckDBPyConnection, version: Version, spec: JourneySpec) -> pd.DataFrame:
    """Churn of customers whose complaints were all resolved at first contact, of the others, and of those without a complaint.

    A complaint is resolved at first contact when it is resolved and no contact with the same reason follows
    within N days. Customers: in scope with a touchpoint in the period. churn_rate = defected (stg_customers) ÷
    customers in the group.
    """
    spec = spec.validate()
    t = version.table
    codes, _ = case_subject(cur, version)
    window_s = spec.repeat_days * DAY_S
    query = sql(
        f"""
        with c as (
            select cust_key, bool_and(resolved and (next_gap_s is null or next_gap_s > {{window_s}})) as fcr
            from {t("jr_cases")}
            where {{cases}}
            group by cust_key
        ),
        everyone as (select cust_key, churned from {t("jr_paths")} where {{paths_where}})
        select case when c.cust_key is null then 'none' when c.fcr then 'fcr' else 'not_fcr' end as grp,
               count(*) as customers, count(*) filter (where e.churned) as churned
        from everyone e left join c on c.cust_key = e.cust_key
        {{group_by}}
        """,
        window_s=lit(window_s),
        cases=cases_scope(spec.filters, codes, window_s),
        paths_where=paths_scope(spec.filters),
        group_by=group_by_all(),
    )
    frame = cur.execute(*query).df()
    counts = {row.grp: (int(row.customers), int(row.churned)) for row in frame.itertuples(index=False)}
    rows = []
    for key, label in GROUPS:
        customers, churned = counts.get(key, (0, 0))
        rows.append(
            {
                "group": key,
                "label": label,
                "customers": customers,
                "churned": churned,
                "churn_rate": churned / customers if customers else None,
            }
        )
    return pd.DataFrame(rows)
