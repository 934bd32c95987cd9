"""Movement between relationship stages: the transition matrix between two dates, who moved up, stayed or moved down,
the median time customers spend in each stage, and the customers behind a cell of the matrix."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

import duckdb
import pandas as pd

from dashboard.metrics.funnel import stage_sql
from dashboard.metrics.funnel.counts import DRILL_LIMIT, customer_columns_sql
from dashboard.metrics.funnel.stages import CODE, DEFAULT_MODEL, LADDER, NEW, ROLES, StageModel, StageRules
from dashboard.metrics.scope import Filters, as_date
from dashboard.sql import Sql, group_by_all, join, list_item, list_transform, lit, sql, struct_of, unnest
from dashboard.store import Version

UP, SAME, DOWN = "moved up", "stayed", "moved down"


@dataclass(frozen=True)
class MoveSpec:
    """Two dates to compare stages on (end of day; None = the last day of the data), for the customers in scope."""

    model: StageModel = DEFAULT_MODEL
    filters: Filters = Filters()
    date_from: date | None = None
    date_to: date | None = None

    def validate(self) -> MoveSpec:
        """Self with model and filters validated; ValueError unless date_from is before date_to."""
        if self.date_from is None:
            raise ValueError("choose the earlier date")
        if self.date_to is not None and self.date_from >= self.date_to:
            raise ValueError("the first date must be before the second")
        return replace(self, model=self.model.validate(), filters=self.filters.validate())


def direction(model: StageModel, from_role: str | None, to_role: str) -> str:
    """moved up, stayed or moved down between two roles, by height (ladder position; at risk and defected below it);
    'new' for a customer not yet known on the first date."""
    if from_role is None:
        return "new"
    step = model.rank(to_role) - model.rank(from_role)
    return UP if step > 0 else DOWN if step < 0 else SAME


def transition_matrix(cur: duckdb.DuckDBPyConnection, version: Version, spec: MoveSpec) -> pd.DataFrame:
    """Customers per (stage on the first date, stage on the second date), by the rules on both dates; customers not
    yet known on the first date are counted in a row of their own. Long form, in display order."""
    spec = spec.validate()
    model = spec.model
    staged = stage_sql.staged_sql(version, model, {"a": spec.date_from, "b": spec.date_to}, spec.filters, known_on="b")
    query = sql(
        "select code_a, code_b, count(*) as customers, any_value(day_a) as day_a, any_value(day_b) as day_b from ({}) s {}",
        staged,
        group_by_all(),
    )
    frame = cur.execute(*query).df()
    names = model.names_by_code()
    order = {role: i for i, role in enumerate(model.roles)}
    rows = []
    for item in frame.itertuples(index=False):
        from_role = None if pd.isna(item.code_a) else ROLES[int(item.code_a)]
        to_role = ROLES[int(item.code_b)]
        rows.append(
            {
                "from_stage": NEW if from_role is None else names[CODE[from_role]],
                "from_role": from_role or "new",
                "to_stage": names[CODE[to_role]],
                "to_role": to_role,
                "customers": int(item.customers),
                "direction": direction(model, from_role, to_role),
                "from_order": len(order) if from_role is None else order[from_role],
                "to_order": order[to_role],
            }
        )
    out = pd.DataFrame(
        rows, columns=["from_stage", "from_role", "to_stage", "to_role", "customers", "direction", "from_order", "to_order"]
    )
    out = out.sort_values(["from_order", "to_order"]).reset_index(drop=True)
    if not frame.empty:
        out.attrs["day_from"] = as_date(frame["day_a"].dropna().iloc[0]) if frame["day_a"].notna().any() else None
        out.attrs["day_to"] = as_date(frame["day_b"].iloc[0])
    return out


def movement_summary(matrix: pd.DataFrame) -> pd.DataFrame:
    """Per stage on the first date: customers, and how many (and what share) moved up, stayed or moved down by the second."""
    columns = ["stage", "role", "customers", UP, SAME, DOWN, "up_share", "same_share", "down_share"]
    known = matrix[matrix["from_role"] != "new"]
    if known.empty:
        return pd.DataFrame(columns=columns)
    table = known.pivot_table(
        index=["from_order", "from_stage", "from_role"], columns="direction", values="customers", aggfunc="sum", fill_value=0
    )
    for col in (UP, SAME, DOWN):
        if col not in table:
            table[col] = 0
    table = table.reset_index().sort_values("from_order")
    table["customers"] = table[UP] + table[SAME] + table[DOWN]
    for col, share in ((UP, "up_share"), (SAME, "same_share"), (DOWN, "down_share")):
        table[share] = table[col] / table["customers"]
    table = table.rename(columns={"from_stage": "stage", "from_role": "role"})
    return table[columns].reset_index(drop=True)


@dataclass(frozen=True)
class CellSpec:
    """The customers in one cell of the transition matrix (from_role 'new' = not yet known on the first date)."""

    move: MoveSpec = MoveSpec()
    from_role: str = "loyal"
    to_role: str = "loyal"
    limit: int | None = DRILL_LIMIT

    def validate(self) -> CellSpec:
        """Self with the movement spec validated; ValueError for unknown stages."""
        if self.from_role not in (*ROLES, "new") or self.to_role not in ROLES:
            raise ValueError("unknown stage")
        if self.limit is not None and self.limit < 1:
            raise ValueError("limit must be positive")
        return replace(self, move=self.move.validate())


def cell_customers(cur: duckdb.DuckDBPyConnection, version: Version, spec: CellSpec) -> pd.DataFrame:
    """The customers who were in one stage on the first date and in another on the second, by customer id."""
    spec = spec.validate()
    move = spec.move
    staged = stage_sql.staged_sql(version, move.model, {"a": move.date_from, "b": move.date_to}, move.filters, known_on="b")
    from_condition = Sql("s0.code_a is null") if spec.from_role == "new" else sql("s0.code_a = {}", lit(CODE[spec.from_role]))
    query = sql(
        f"""
        with chosen as (
            select * from ({{staged}}) s0
            where {{from_condition}} and s0.code_b = {{to_code}}
            order by s0.customer_id {{limit}}
        )
        select {customer_columns_sql("s.day_b")}, s.code_a, s.code_b
        from chosen s
        join {version.table("fn_customers")} c on c.ck = s.ck
        order by s.customer_id
        """,
        staged=staged,
        from_condition=from_condition,
        to_code=lit(CODE[spec.to_role]),
        limit=sql("limit {}", lit(spec.limit)) if spec.limit else "",
    )
    frame = cur.execute(*query).df()
    names = move.model.names_by_code()
    frame.insert(3, "stage_before", [NEW if pd.isna(c) else names[int(c)] for c in frame["code_a"]])
    frame.insert(4, "stage_after", [names[int(c)] for c in frame["code_b"]])
    return frame.drop(columns=["code_a", "code_b"])


@dataclass(frozen=True)
class TimeSpec:
    """Spells in each stage that ended by the as-of date (None = the last day of the data), for customers in scope."""

    model: StageModel = DEFAULT_MODEL
    filters: Filters = Filters()
    as_of: date | None = None

    def validate(self) -> TimeSpec:
        """Self with model and filters validated."""
        return replace(self, model=self.model.validate(), filters=self.filters.validate())


MEASURES = {
    "ladder": "days from reaching the stage to reaching a higher one",
    "top": "the top stage: customers stay until they fall off",
    "at_risk": "days from becoming at risk to buying again, or to defecting",
    "defected": "days from lapsing to buying again (a churn date is final)",
}


def time_in_stage(cur: duckdb.DuckDBPyConnection, version: Version, spec: TimeSpec) -> pd.DataFrame:
    """Per stage: the median length in days of spells that began inside the data and ended by the as-of date (ladder
    stages: until a higher stage was reached; at risk: until the next purchase or defection; defected: until won
    back), and how many spells that is."""
    spec = spec.validate()
    model = spec.model
    staged = stage_sql.staged_sql(version, model, {"d": spec.as_of}, spec.filters, reached=True, known_on="d", codes=False)
    ladder = model.ladder
    ladder_parts = []
    for i, role in enumerate(ladder[:-1]):
        nxt = ladder[i + 1]
        start = "s.lead_date" if role == "prospect" else f"s.r_{role}"
        ladder_parts.append(
            f"""
            select '{role}' as role, s.r_{nxt} - {start} as days
            from s, span
            where {start} >= span.data_start and s.r_{nxt} <= s.day_d and s.r_{nxt} > {start}
            """
        )
    keep = ", ".join(["ck", "lead_date", "last_p", "since", "churn_at", "day_d", *(f"r_{role}" for role in ladder)])
    query = sql(
        f"""
        with s as materialized (select {keep} from ({{staged}}) s0),
             span as (select data_start from {version.table("fn_span")}),
             spells as ({{spells}})
        select role, median(days) as median_days, count(*) as spells from spells group by role
        """,
        staged=staged,
        spells=join([*ladder_parts, _off_ramp_spells_sql(version, model)], " union all "),
    )
    frame = cur.execute(*query).df()
    found = frame.set_index("role")
    rows = []
    for role, name in model.stages:
        if role in LADDER:
            measure = MEASURES["top"] if role == ladder[-1] else MEASURES["ladder"]
        else:
            measure = MEASURES[role]
        has = role in found.index
        rows.append(
            {
                "stage": name,
                "role": role,
                "median_days": float(found.loc[role, "median_days"]) if has else None,
                "spells": int(found.loc[role, "spells"]) if has else 0,
                "measure": measure,
            }
        )
    return pd.DataFrame(rows)


def _off_ramp_spells_sql(version: Version, model: StageModel) -> Sql:
    """Completed at-risk and defected (lapsed) spells of the customers in s: (role, days).

    At risk: a purchase gap longer than the at-risk days makes the customer at risk from the day after it passes until
    the next purchase, or until the gap passes the defected days, or the churn date; K complaints within C days make
    them at risk from the K-th complaint until C days after the first of the K. Overlapping periods are merged.
    Defected by lapse: from the day the gap passes the defected days until the next purchase."""
    rules = model.rules
    parts: list[Sql] = []
    if rules.at_risk_days:
        parts.append(_gap_risk_sql(version, rules))
    if rules.at_risk_complaints:
        parts.append(_complaint_risk_sql(version, rules))
    selects = []
    if parts:
        selects.append(_risk_islands_sql(parts))
    if rules.defected_days:
        selects.append(_lapse_spells_sql(version, rules))
    if not selects:
        return Sql("select cast(null as varchar) as role, cast(null as integer) as days where false")
    return join(selects, " union all ")


def _gap_risk_sql(version: Version, rules: StageRules) -> Sql:
    """At-risk periods from purchase gaps (inner gaps, and the one since the last purchase): (ck, day_d, start, end)."""
    lapse = lit(rules.defected_days or None)  # null: least() then ignores the lapse bound
    return sql(
        f"""
            select s.ck, s.day_d, g.from_day + {{at_risk}} + 1 as start_day,
                   least(g.to_day, g.from_day + cast({{lapse}} as integer) + 1, s.churn_at) as end_day
            from {version.table("fn_gaps")} g join s using (ck)
            where g.gap > {{at_risk}}
            union all
            select s.ck, s.day_d, s.last_p + {{at_risk}} + 1 as start_day,
                   coalesce(least(s.last_p + cast({{lapse}} as integer) + 1, s.churn_at), s.day_d + 1) as end_day
            from s
            where s.last_p + {{at_risk}} + 1 <= s.day_d
            """,
        at_risk=lit(rules.at_risk_days),
        lapse=lapse,
    )


def _complaint_risk_sql(version: Version, rules: StageRules) -> Sql:
    """At-risk periods from K complaints within C days: (ck, day_d, start, end)."""
    # the j-th complaint (j >= K) opens a window that lasts until C days after complaint j - K + 1; built with list
    # functions per customer (no window function over every complaint), keeping only windows that are not empty
    count = lit(rules.at_risk_complaints)
    window = struct_of(
        start_day=list_item("c.cdays", "j"),
        end_day=sql("{} + {}", list_item("c.cdays", sql("j - {} + 1", count)), lit(rules.at_risk_complaint_days)),
    )
    return sql(
        f"""
            select ck, day_d, k.w.start_day, least(k.w.end_day, churn_at) as end_day
            from (
                select s.ck, s.day_d, s.since, s.churn_at,
                       {{windows}} as w
                from {version.table("fn_customers")} c join s using (ck)
                where len(c.cdays) >= {{count}}
            ) k
            where k.w.end_day > k.w.start_day and since is not null and k.w.start_day >= since
            """,
        windows=unnest(list_transform(sql("range({}, len(c.cdays) + 1)", count), "j", window)),
        count=count,
    )


def _risk_islands_sql(parts: list[Sql]) -> Sql:
    """Completed at-risk spells: overlapping at-risk periods merged into islands that began inside the data and ended
    by the as-of day."""
    return sql(
        """
            select 'at_risk' as role, island_end - island_start as days
            from (
                select ck, min(start_day) as island_start, max(end_day) as island_end, any_value(day_d) as day_d
                from (
                    select *,
                           sum(case when start_day > prev_end then 1 else 0 end)
                               over (partition by ck order by start_day, end_day rows unbounded preceding) as island
                    from (
                        select *, max(end_day) over (partition by ck order by start_day, end_day
                                  rows between unbounded preceding and 1 preceding) as prev_end
                        from ({}) iv
                        where end_day > start_day
                    )
                )
                group by ck, island
            ), span
            where island_start >= span.data_start and island_end <= day_d
            """,
        join(parts, " union all "),
    )


def _lapse_spells_sql(version: Version, rules: StageRules) -> Sql:
    """Completed defected (lapsed) spells: from the day a gap passes the defected days until the next purchase."""
    return sql(
        f"""
            select 'defected' as role, g.to_day - (g.from_day + {{days}} + 1) as days
            from {version.table("fn_gaps")} g join s using (ck), span
            where g.gap > {{days}} + 1 and g.to_day <= s.day_d and (s.churn_at is null or s.churn_at > g.to_day)
              and g.from_day + {{days}} + 1 >= span.data_start
            """,
        days=lit(rules.defected_days),
    )
