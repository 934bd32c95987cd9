"""The relationship-stage funnel: customers per stage with conversion, breakdown by segment or region, signup
cohorts, the sales funnel from leads to first orders, and the customers behind any stage."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

import duckdb
import numpy as np
import pandas as pd

from dashboard.metrics.funnel import stage_sql, stages
from dashboard.metrics.funnel.stages import CODE, DEFAULT_MODEL, LADDER, OFF_RAMPS, ROLES, StageModel
from dashboard.metrics.scope import Filters
from dashboard.sql import Sql, group_by_all, list_contains, list_count, list_filter, list_max, lit, month_boundaries, sql
from dashboard.store import Version

TOP_VALUES = 25
OTHER = "Other"
BREAKDOWN_DIMENSIONS = ("segment", "region")
DRILL_LIMIT = 100
"""Rows of a drill-down sent to the screen (its table scrolls through them); the download holds them all. A
thousand rows were most of what a filter change sent at 1,000,000 customers."""


@dataclass(frozen=True)
class StageSpec:
    """The stage model and the shared filters; stages are taken at the end of the last selected month."""

    model: StageModel = DEFAULT_MODEL
    filters: Filters = Filters()

    def validate(self) -> StageSpec:
        """Self with the model and filters validated."""
        return replace(self, model=self.model.validate(), filters=self.filters.validate())

    @property
    def as_of(self) -> date | None:
        """Last day of the last selected month (None = the last day of the data)."""
        return stages.month_end(self.filters.month_to) if self.filters.month_to else None


def _names(model: StageModel) -> list[str]:
    return model.names_by_code()


def stage_counts(cur: duckdb.DuckDBPyConnection, version: Version, spec: StageSpec) -> pd.DataFrame:
    """Per stage in display order: customers in it at the as-of date, their share of all known customers, and for ladder
    stages those who had reached it (or a higher stage) by then, as a share of the first stage and of the previous one."""
    spec = spec.validate()
    model = spec.model
    staged = stage_sql.staged_sql(version, model, {"d": spec.as_of}, spec.filters, column_for=("d",), reached=True, known_on="d")
    from_column = stages.uses_column(model, version)
    if from_column:
        # A stage column carries no history: a customer has reached every ladder stage up to the current one,
        # and those now at risk or defected have reached first purchase.
        reach = []
        for role in model.ladder:
            higher = [CODE[r] for r in model.ladder[model.ladder.index(role) :]]
            if model.ladder.index(role) <= 1:
                higher += [CODE[r] for r in OFF_RAMPS]
            reach.append(f"count(*) filter (where code_d in ({', '.join(str(c) for c in higher)})) as reached_{role}")
    else:
        reach = [f"count(*) filter (where r_{role} <= day_d) as reached_{role}" for role in model.ladder]
    counts = [f"count(*) filter (where code_d = {CODE[role]}) as now_{role}" for role in ROLES]
    row = cur.execute(*sql(f"select count(*) as known, {', '.join(counts + reach)} from ({{}}) s", staged)).fetchall()[0]
    values = dict(zip(["known", *[f"now_{r}" for r in ROLES], *[f"reached_{r}" for r in model.ladder]], row, strict=True))
    known = values["known"]
    first = values[f"reached_{model.ladder[0]}"]
    rows, previous = [], None
    for role, name in model.stages:
        now = values[f"now_{role}"]
        item = {
            "stage": name,
            "role": role,
            "kind": "off-ramp" if role in OFF_RAMPS else "ladder",
            "customers": now,
            "share": now / known if known else None,
            "reached": None,
            "of_first": None,
            "of_previous": None,
        }
        if role in LADDER:
            reached = values[f"reached_{role}"]
            item["reached"] = reached
            item["of_first"] = reached / first if first else None
            item["of_previous"] = reached / previous if previous else (1.0 if previous is None and reached else None)
            previous = reached
        rows.append(item)
    frame = pd.DataFrame(rows)
    frame.attrs["known"] = known
    return frame


@dataclass(frozen=True)
class BreakdownSpec:
    """Stage counts split by segment or region (the largest values, the rest as Other)."""

    model: StageModel = DEFAULT_MODEL
    filters: Filters = Filters()
    by: str = "segment"
    top: int = TOP_VALUES

    def validate(self) -> BreakdownSpec:
        """Self with model and filters validated; ValueError for an unknown dimension."""
        if self.by not in BREAKDOWN_DIMENSIONS:
            raise ValueError(f"break down by one of {', '.join(BREAKDOWN_DIMENSIONS)}")
        if not 1 <= self.top <= 100:
            raise ValueError("top must be 1 to 100")
        return replace(self, model=self.model.validate(), filters=self.filters.validate())


def breakdown(cur: duckdb.DuckDBPyConnection, version: Version, spec: BreakdownSpec) -> pd.DataFrame:
    """Customers per (segment or region value, stage) at the as-of date; values beyond the largest `top` are summed into
    Other; share = the stage's customers / the value's customers."""
    spec = spec.validate()
    as_of = StageSpec(spec.model, spec.filters).as_of
    staged = stage_sql.staged_sql(version, spec.model, {"d": as_of}, spec.filters, column_for=("d",), known_on="d")
    by = spec.by  # checked against BREAKDOWN_DIMENSIONS above
    query = sql(
        f"""
        with counts as (select {by} as value, code_d as code, count(*) as customers from ({{staged}}) s {{group_by}}),
             totals as (
                 select value, sum(customers) as total,
                        row_number() over (order by sum(customers) desc, value) as place
                 from counts group by value
             )
        select case when t.place <= {{top}} then c.value else {{other}} end as value, c.code,
               sum(c.customers) as customers, min(t.place) as place
        from counts c join totals t using (value)
        {{group_by}}
        """,
        staged=staged,
        group_by=group_by_all(),
        top=lit(spec.top),
        other=lit(OTHER),
    )
    frame = cur.execute(*query).df()
    names = _names(spec.model)
    frame["stage"] = [names[int(c)] for c in frame["code"]]
    frame["role"] = [ROLES[int(c)] for c in frame["code"]]
    totals = frame.groupby("value")["customers"].transform("sum")
    frame["share"] = frame["customers"] / totals
    frame["value_total"] = totals
    order = {role: i for i, role in enumerate(spec.model.roles)}
    frame["stage_order"] = frame["role"].map(order)
    frame = frame.sort_values(["place", "stage_order"]).reset_index(drop=True)
    return frame[["value", "stage", "role", "customers", "share", "value_total"]]


@dataclass(frozen=True)
class CohortSpec:
    """Signup-month cohorts followed until they reach a target ladder stage."""

    model: StageModel = DEFAULT_MODEL
    filters: Filters = Filters()
    target: str = "first_purchase"

    def validate(self) -> CohortSpec:
        """Self with model and filters validated; ValueError unless target is a ladder stage above prospect."""
        if self.target not in LADDER[1:]:
            raise ValueError("the cohort target must be a ladder stage above prospect")
        return replace(self, model=self.model.validate(), filters=self.filters.validate())


MAX_COHORT_MONTHS = 120
"""Cohorts are followed for at most ten years (dates centuries apart would otherwise make millions of rows)."""


COHORTS_NEED_RULES = (
    "Stages come from the data's stage column, which says where each customer stands today but not when they got "
    "there, so cohorts cannot be followed month by month (the rules would contradict the funnel above). To follow "
    "cohorts, choose “the rules” as the stage source under Stage rules."
)
COHORTS_VERSUS_FUNNEL = (
    "Cohorts follow the customers and leads who signed up inside the data; the funnel above counts everyone known on the "
    "as-of day, including customers who joined before the data begins, so its shares can differ."
)


def cohorts(cur: duckdb.DuckDBPyConnection, version: Version, spec: CohortSpec) -> pd.DataFrame:
    """Per signup month (customers and leads who signed up inside the data and the selected months) and months since
    signup (0 = the signup month): the share of the cohort that had reached the target stage by the end of that month,
    by the same reach dates as stage_counts; only months that had ended by the as-of date, and at most
    MAX_COHORT_MONTHS, are shown. Empty where the stages come from a stage column (COHORTS_NEED_RULES): it has no dates,
    and the rules' dates would contradict the funnel's column-based reach."""
    spec = spec.validate()
    columns = ["cohort", "months", "cohort_size", "reached", "share"]
    if stages.uses_column(spec.model, version):
        return pd.DataFrame(columns=columns)
    as_of = StageSpec(spec.model, spec.filters).as_of
    inside = f"c.lead_date >= (select data_start from {version.table('fn_span')})"
    staged = stage_sql.staged_sql(
        version, spec.model, {"d": as_of}, spec.filters, reached=True, known_on="d", codes=False, only=inside
    )
    query = sql(
        f"""
        with s as (select * from ({{staged}}) s0),
             cohort as (
                 select cast(date_trunc('month', s.lead_date) as date) as cohort,
                        case when s.r_{spec.target} <= s.day_d
                             then {month_boundaries("s.lead_date", f"s.r_{spec.target}")} end as months,
                        s.day_d as as_of
                 from s
                 where s.lead_date is not null
                   and s.lead_date >= (select data_start from {version.table("fn_span")})
                   and {{period}}
             )
        select cohort, months, any_value(as_of) as as_of, count(*) as customers from cohort {{group_by}} order by all
        """,
        staged=staged,
        period=spec.filters.period_sql("s.lead_date"),
        group_by=group_by_all(),
    )
    frame = cur.execute(*query).df()
    if frame.empty:
        return pd.DataFrame(columns=columns)
    return _cohort_grid(frame, pd.Timestamp(frame["as_of"].max()))[columns]


def _cohort_grid(frame: pd.DataFrame, as_of_day: pd.Timestamp) -> pd.DataFrame:
    """From customers per (cohort, months to the target or none): one row per cohort and month since signup that had
    ended by as_of_day (at most MAX_COHORT_MONTHS), with the cohort's size and those who had reached the target."""
    sizes = frame.groupby("cohort", sort=True)["customers"].sum()
    starts = pd.Series([pd.Timestamp(c) for c in sizes.index])
    observed = ((as_of_day.year - starts.dt.year) * 12 + as_of_day.month - starts.dt.month).to_numpy()
    lengths = np.clip(np.minimum(observed, MAX_COHORT_MONTHS) + 1, 0, None)
    grid = pd.DataFrame(
        {
            "cohort": starts.repeat(lengths).reset_index(drop=True),
            "months": np.concatenate([np.arange(n, dtype="int64") for n in lengths]),
            "cohort_size": np.repeat(sizes.to_numpy().astype("int64"), lengths),
        }
    )
    reaching = frame.dropna(subset=["months"])
    place = dict(zip(sizes.index, range(len(sizes)), strict=True))
    per_month = reaching.groupby([reaching["cohort"].map(place), reaching["months"].astype("int64")])["customers"].sum()
    keys = pd.MultiIndex.from_arrays([np.repeat(np.arange(len(sizes)), lengths), grid["months"]])
    grid["reached"] = per_month.reindex(keys, fill_value=0).groupby(level=0).cumsum().to_numpy().astype("int64")
    grid["share"] = grid["reached"] / grid["cohort_size"]
    return grid


@dataclass(frozen=True)
class SalesSpec:
    """Leads (signed up in the selected months) and whether they placed a first order within the conversion window."""

    filters: Filters = Filters()
    window_days: int = 90

    def validate(self) -> SalesSpec:
        """Self with the filters validated; ValueError unless the window is 1 to 730 days."""
        if not 1 <= self.window_days <= 730:
            raise ValueError("the conversion window must be 1 to 730 days")
        return replace(self, filters=self.filters.validate())


def _leads_sql(version: Version, spec: SalesSpec) -> Sql:
    """Leads in scope: customers whose signup (lead) date falls inside the data and the selected months, with their
    first order and whether the conversion window had closed by the as-of date."""
    as_of = stages.month_end(spec.filters.month_to) if spec.filters.month_to else None
    query = f"""
        with span as (
            select data_start, least(coalesce(cast({{as_of}} as date), data_end), data_end) as as_of
            from {version.table("fn_span")}
        )
        select customer_id, segment, region, lead_date, first_p as first_order,
               case when first_p is not null and first_p <= span.as_of then greatest(first_p - lead_date, 0) end
                   as days_to_order,
               lead_date + cast({{window}} as integer) <= span.as_of as window_closed,
               span.as_of
        from {version.table("fn_customers")}, span
        where lead_date is not null and lead_date >= span.data_start and lead_date <= span.as_of
          and {{scope}} and {{period}}
    """
    return sql(
        query,
        as_of=lit(as_of),
        window=lit(spec.window_days),
        scope=spec.filters.dimension_sql(),
        period=spec.filters.period_sql("lead_date"),
    )


def has_prospects(cur: duckdb.DuckDBPyConnection, version: Version, _spec: object = None) -> pd.DataFrame:
    """One row: leads with a signup date and no purchase (prospects), and leads with a signup date inside the data."""
    return cur.execute(
        f"""
        select count(*) filter (where first_p is null and lead_date is not null) as prospects,
               count(*) filter (where lead_date >= (select data_start from {version.table("fn_span")})) as leads
        from {version.table("fn_customers")}
        """
    ).df()


def sales_funnel(cur: duckdb.DuckDBPyConnection, version: Version, spec: SalesSpec) -> pd.DataFrame:
    """The steps from leads to first orders, over leads whose conversion window had closed by the as-of date: leads,
    those who placed a first order (at any time), those who placed it within the window; conversion = within ÷ leads.
    attrs hold the leads still inside their window and the median days from lead to first order."""
    spec = spec.validate()
    query = sql(
        """
        select count(*) filter (where window_closed) as leads,
               count(*) filter (where window_closed and days_to_order is not null) as ordered,
               count(*) filter (where window_closed and days_to_order <= {window}) as within,
               count(*) filter (where not window_closed) as open_leads,
               count(*) filter (where not window_closed and days_to_order is not null) as open_ordered,
               median(days_to_order) filter (where window_closed) as median_days
        from ({leads}) l
        """,
        window=lit(spec.window_days),
        leads=_leads_sql(version, spec),
    )
    row = cur.execute(*query).fetchall()[0]
    leads, ordered, within, open_leads, open_ordered, median_days = row
    window = spec.window_days
    steps = [
        (
            "leads",
            "Leads",
            leads,
            f"Customers and prospects who signed up (became a lead) in the selected months, at least {window} days "
            "before the as-of date.",
        ),
        ("ordered", "Placed a first order", ordered, "Those leads who bought by the as-of date, however long it took."),
        (
            "within",
            f"First order within {window} days",
            within,
            f"Those leads whose first purchase came within {window} days of signing up.",
        ),
    ]
    frame = pd.DataFrame(
        [
            {"key": key, "step": label, "customers": value, "of_leads": value / leads if leads else None, "definition": text}
            for key, label, value, text in steps
        ]
    )
    frame.attrs.update(
        {
            "conversion": within / leads if leads else None,
            "median_days": None if median_days is None else float(median_days),
            "open_leads": open_leads,
            "open_ordered": open_ordered,
            "window_days": window,
        }
    )
    return frame


def sales_by_month(cur: duckdb.DuckDBPyConnection, version: Version, spec: SalesSpec) -> pd.DataFrame:
    """Per lead month: leads, leads whose window had closed, first orders within the window, and conversion
    (within ÷ closed; none while no window of the month has closed)."""
    spec = spec.validate()
    query = sql(
        """
        select cast(date_trunc('month', lead_date) as date) as month,
               count(*) as leads,
               count(*) filter (where window_closed) as closed,
               count(*) filter (where window_closed and days_to_order <= {window}) as within
        from ({leads}) l
        {group_by} order by month
        """,
        window=lit(spec.window_days),
        leads=_leads_sql(version, spec),
        group_by=group_by_all(),
    )
    frame = cur.execute(*query).df()
    frame["conversion"] = (frame["within"] / frame["closed"]).where(frame["closed"] > 0)
    return frame


@dataclass(frozen=True)
class DrillSpec:
    """The customers in one stage at the as-of date (limit = rows returned; None = all, for the download)."""

    model: StageModel = DEFAULT_MODEL
    filters: Filters = Filters()
    role: str = "loyal"
    limit: int | None = DRILL_LIMIT

    def validate(self) -> DrillSpec:
        """Self with model and filters validated; ValueError for an unknown stage or a bad limit."""
        if self.role not in ROLES:
            raise ValueError(f"unknown stage {self.role!r}")
        if self.limit is not None and not 1 <= self.limit <= 1_000_000_000:
            raise ValueError("limit must be positive")
        return replace(self, model=self.model.validate(), filters=self.filters.validate())


def customer_columns_sql(day: str) -> str:
    """The columns a drill-down shows for staged row s and its fn_customers row c, with purchases counted up to day."""
    last = list_max(list_filter("c.pdays", "x", f"x <= {day}"))
    return f"""
        s.customer_id, s.segment, s.region, s.lead_date as signup_date, s.since as customer_since,
        {list_count("c.pdays", "x", f"x <= {day}")} as purchases,
        {last} as last_purchase,
        {day} - {last} as days_since_purchase,
        s.referrals, s.acquisition_cost, s.churn_date
    """


def stage_customers(cur: duckdb.DuckDBPyConnection, version: Version, spec: DrillSpec) -> pd.DataFrame:
    """The customers in the chosen stage at the as-of date, by customer id, with what the rules read about them."""
    spec = spec.validate()
    as_of = StageSpec(spec.model, spec.filters).as_of
    staged = stage_sql.staged_sql(version, spec.model, {"d": as_of}, spec.filters, column_for=("d",), known_on="d")
    query = sql(
        f"""
        with chosen as (select * from ({{staged}}) s0 where s0.code_d = {{code}} order by s0.customer_id {{limit}})
        select {customer_columns_sql("s.day_d")}, s.stage_raw as stage_in_data
        from chosen s
        join {version.table("fn_customers")} c on c.ck = s.ck
        order by s.customer_id
        """,
        staged=staged,
        code=lit(CODE[spec.role]),
        limit=sql("limit {}", lit(spec.limit)) if spec.limit else "",
    )
    frame = cur.execute(*query).df()
    frame.insert(3, "stage", spec.model.name(spec.role))
    if not version.has("customers", "stage"):
        frame = frame.drop(columns=["stage_in_data"])
    return frame


def unmatched_labels(cur: duckdb.DuckDBPyConnection, version: Version, spec: StageSpec) -> pd.DataFrame:
    """Stage-column labels that match no stage name or synonym, with how many customers carry each (their stage comes
    from the rules)."""
    model = spec.validate().model
    if not version.has("customers", "stage"):
        return pd.DataFrame(columns=["label", "customers"])
    known = sorted({label for role in ROLES for label in stages.stage_labels(model, role)})
    query = sql(
        f"""
        select any_value(stage_raw) as label, count(*) as customers
        from {version.table("fn_customers")}
        where stage_label is not null and not {{}}
        group by stage_label
        order by customers desc, label
        """,
        list_contains(sql("cast({} as varchar[])", lit(known)), "stage_label"),
    )
    return cur.execute(*query).df()


def sales_headline(steps: pd.DataFrame) -> pd.DataFrame:
    """The sales funnel's headline figures (key, kind, value) from sales_funnel's frame: leads with a closed window,
    conversion within the window and median days to the first order (None where there is none)."""
    leads = float(steps.iloc[0]["customers"]) if len(steps) else 0.0
    return pd.DataFrame(
        [
            {"key": "leads", "kind": "count", "value": leads},
            {"key": "conversion", "kind": "pct", "value": steps.attrs.get("conversion")},
            {"key": "median_days", "kind": "days", "value": steps.attrs.get("median_days")},
        ]
    )
