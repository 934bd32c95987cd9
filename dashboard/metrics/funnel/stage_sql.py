"""Every customer's relationship stage on any date, as SQL over the tables prepared at publish (fn_customers, fn_gaps,
fn_span): the one-row `rule` relation of the model's thresholds, the day each stage's rule is first met, and the stage
code on each named date.

Other views use it through one function:

    stage = stage_sql.customer_stage_sql(version, model, as_of=None)   # an Sql block: text and parameters
    cur.execute(*sql("with st as ({}) select stage, count(*) from st group by stage", stage))

`customer_stage_sql` selects `(customer_id, stage)` for every customer known on `as_of` (signed up, or first seen,
by then; None = the last day of the data); `stage` is the stage's display name and `model.names` gives their order.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from dashboard.metrics.funnel.stages import (
    CODE,
    LADDER,
    NTH_COLUMNS,
    OFF_RAMPS,
    ROLES,
    StageModel,
    stage_labels,
    uses_column,
)
from dashboard.metrics.scope import Filters
from dashboard.sql import Sql, join, list_contains, list_count, list_item, lit, sql
from dashboard.store import Version


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
    and (unless codes is False) the stage code `code_<name>` (null when the customer was not yet known then); with
    reached, `r_<role>` (the day each ladder stage was reached). Stage-column labels are used for the dates named in
    column_for when the model allows it. known_on names a date: only customers known by then are kept; only is a
    further condition (fixed SQL over fn_customers c, never user text) applied before any stage is worked out.

    The lists (purchase days, complaint days) are read once, in the first step; the join with the purchase gaps
    carries narrow columns only, so a million customers stay well under a second."""
    model = model.validate()
    names = list(dates)
    base_columns, pre_columns, final_columns = _stage_columns(version, model, names, column_for, codes=codes)
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
    return sql(query, rule_select=join(_rule_select(version, model, dates)), where=join(where, " and "))


def _rule_select(version: Version, model: StageModel, dates: Mapping[str, date | None]) -> list[Sql | str]:
    """The columns of the one-row `rule` relation: the model's thresholds, the staged as-of day and each named date's
    day (None = the last day of the data, never beyond it)."""
    rule_select: list[Sql | str] = [
        sql(f"cast({{}} as {sql_type}) as {col}", lit(value)) for col, sql_type, value in _rule_values(model, version)
    ]
    rule_select.append(f"(select data_end from {version.table('fn_span')}) as staged_day")
    for name in dates:
        _check_name(name)
        rule_select.append(
            sql(
                f"least(coalesce(cast({{}} as date), (select data_end from {version.table('fn_span')})), "
                f"(select data_end from {version.table('fn_span')})) as day_{name}",
                lit(dates[name]),
            )
        )
    return rule_select


def _stage_columns(
    version: Version, model: StageModel, names: list[str], column_for: tuple[str, ...], *, codes: bool
) -> tuple[list[str], list[str], list[str]]:
    """The staged select's columns: of its base step (entries, complaints in the window), of its pre step (the days
    and the stage codes before gaps) and of its final step (the days and the codes once gaps are known)."""
    use_column = uses_column(model, version)
    base_columns = [f"{entry} as e_{role}" for role, entry in _entry_sql(model, version).items()]
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
        final_columns.append(f"pre.day_{name}, {_final_code(f'pre.p_{name}', f'_{name}')} as code_{name}")
    return base_columns, pre_columns, final_columns


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
        stage=list_item("names", "code_d + 1"),
        staged=staged_sql(version, model, {"d": as_of}, column_for=("d",), known_on="d"),
        names=lit(model.names_by_code()),
    )
