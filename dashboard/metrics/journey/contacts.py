"""Contacts of several steps, waits and promises on the Journey page, read from jr_waits, jr_touch and jr_cases.

A contact is one case of the staged contacts (stg_contacts): the steps of one call (IVR, queue, agent) share a
contact_id. Waits, handling times and abandoned flags are per touchpoint (seconds), as the file gives them; anonymous
callers count in them. Filters pick segment, region and the month of the touchpoint.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import pandas as pd

from dashboard.metrics.journey.lanes import SLA_KNOWN, JourneySpec, cases_scope, scope_sql
from dashboard.metrics.journey.prepare import DAY_S
from dashboard.metrics.journey.service import case_subject
from dashboard.metrics.scope import Filters
from dashboard.sql import group_by_all, lit, sql
from dashboard.staged.contacts import RULE_DUE, RULE_FLAG
from dashboard.store import Version

DEFAULT_WAIT_OVER_S = 60
MAX_WAIT_OVER_S = 3600

WAIT_MEASURES: tuple[tuple[str, str, str, str, str], ...] = (
    # key, label, kind, definition, column it needs
    ("wait_median", "Median wait", "seconds", "Median of the waits (wait_s) of touchpoints with one, in seconds.", "wait_s"),
    ("wait_p90", "P90 wait", "seconds", "Nine in ten waits (wait_s) were at most this many seconds.", "wait_s"),
    (
        "waited_over",
        "Waited over N s",
        "pct",
        "Touchpoints that waited longer than N seconds ÷ touchpoints with a wait (wait_s).",
        "wait_s",
    ),
    ("abandoned", "Abandoned", "pct", "Touchpoints abandoned ÷ touchpoints with an abandoned flag.", "abandoned"),
    ("handle_median", "Median handling", "seconds", "Median handling time (handle_s) of touchpoints with one.", "handle_s"),
)


@dataclass(frozen=True)
class WaitSpec:
    """Filters and the wait (seconds) beyond which a customer counts as having waited long."""

    filters: Filters = Filters()
    over_s: int = DEFAULT_WAIT_OVER_S

    def validate(self) -> WaitSpec:
        """Self with validated filters; ValueError when the wait is not a whole number of seconds in range."""
        if isinstance(self.over_s, bool) or not isinstance(self.over_s, int) or not 1 <= self.over_s <= MAX_WAIT_OVER_S:
            raise ValueError(f"the long wait must be a whole number of seconds from 1 to {MAX_WAIT_OVER_S}")
        return WaitSpec(self.filters.validate(), self.over_s)


def waits(cur: duckdb.DuckDBPyConnection, version: Version, spec: WaitSpec) -> pd.DataFrame:
    """One row per wait measure (key, label, kind, value, numerator, denominator, definition, available, needs)."""
    spec = spec.validate()
    query = sql(
        f"""
        select quantile_cont(wait_s, 0.5), quantile_cont(wait_s, 0.9),
               count(*) filter (where wait_s > {{over_s}}), count(wait_s),
               count(*) filter (where abandoned), count(abandoned),
               quantile_cont(handle_s, 0.5), count(handle_s)
        from {version.table("jr_waits")} where {{where}}
        """,
        over_s=lit(spec.over_s),
        where=scope_sql(spec.filters),
    )
    row = cur.execute(*query).fetchall()[0]
    median, p90, over, waited, abandoned, flagged, handle, handled = row
    values = {
        "wait_median": (median, None, waited),
        "wait_p90": (p90, None, waited),
        "waited_over": (over, waited, waited),
        "abandoned": (abandoned, flagged, flagged),
        "handle_median": (handle, None, handled),
    }
    rows = []
    for key, label, kind, definition, needs in WAIT_MEASURES:
        numerator, denominator, base = values[key]
        available = version.has("interactions", needs)
        if denominator is not None:
            value = numerator / denominator if denominator else None
        else:
            value = None if numerator is None else float(numerator)
        rows.append(
            {
                "key": key,
                "label": label.replace("N s", f"{spec.over_s} s"),
                "kind": kind,
                "value": value if available else None,
                "numerator": None if numerator is None else float(numerator),
                "denominator": None if denominator is None else float(denominator),
                "base": int(base or 0),
                "definition": definition.replace("N seconds", f"{spec.over_s} seconds"),
                "available": available,
                "needs": needs,
            }
        )
    return pd.DataFrame(rows)


def steps(cur: duckdb.DuckDBPyConnection, version: Version, spec: JourneySpec) -> pd.DataFrame:
    """One row: touchpoints of known customers in scope and the contacts they make up (contacts' first steps)."""
    spec = spec.validate()
    query = sql(
        f"""
        select count(*) as touchpoints, count(*) filter (where first_step) as contacts
        from {version.table("jr_touch")} where {{}}
        """,
        scope_sql(spec.filters),
    )
    return cur.execute(*query).df()


def sla_rules(cur: duckdb.DuckDBPyConnection, version: Version, spec: JourneySpec) -> pd.DataFrame:
    """How each case of the Within SLA measure was judged: rule (on-time flag, due date, days) and cases, all three rows.

    The cases are those the Within SLA measure counts: cases opened in the period (no contact with the same reason in
    the repeat window before) with a known outcome.
    """
    spec = spec.validate()
    codes, _ = case_subject(cur, version)
    query = sql(
        f"""
        select coalesce(sla_rule, 'days') as rule, count(*) as cases
        from {version.table("jr_cases")}
        where {{cases}} and {SLA_KNOWN}
        {{group_by}}
        """,
        cases=cases_scope(spec.filters, codes, spec.repeat_days * DAY_S),
        group_by=group_by_all(),
    )
    counts = dict(cur.execute(*query).fetchall())
    return pd.DataFrame(
        {"rule": [RULE_FLAG, RULE_DUE, "days"], "cases": [int(counts.get(r, 0)) for r in (RULE_FLAG, RULE_DUE, "days")]}
    )
