"""Where the Defection breakdowns get each customer's relationship stage and number of perfect-customer behaviours.

The Funnel's stage rules and the Behaviours catalogue are the single definitions of both; the Defection page joins
their per-customer selects instead of keeping rules of its own.
"""

from __future__ import annotations

from datetime import date, timedelta

from dashboard.metrics.behaviours import adoption as behaviours
from dashboard.metrics.behaviours.catalogue import Catalogue
from dashboard.metrics.defection import status as defection
from dashboard.metrics.defection.spec import SubQuery
from dashboard.metrics.funnel import stage_sql, stages
from dashboard.metrics.funnel.stages import StageModel
from dashboard.metrics.scope import Filters
from dashboard.sql import Sql, lit, sql
from dashboard.store import Store, Version

STAGE_LOOKBACK_DAYS = 365
"""The page breaks defection down by the stage customers held this many days before the as-of day: their stage now
would say only that those who left are in the stage "defected"."""

NOT_YET = "not yet a customer"
"""The stage shown for customers who joined after the day stages are taken on."""


def stage_source(version: Version, model: StageModel, as_of: date | None = None) -> SubQuery:
    """Stage per customer on as_of (None = the last day of the data), by the dataset's stage model (as the Funnel
    page shows it)."""
    return SubQuery(stage_sql.customer_stage_sql(version, model, as_of))


def stage_day(as_of: date) -> date:
    """The day the Defection page takes stages on: STAGE_LOOKBACK_DAYS before the as-of day."""
    return as_of - timedelta(days=STAGE_LOOKBACK_DAYS)


def page_sources(store: Store, version: Version, dataset: str) -> tuple[SubQuery, SubQuery | None, date | None]:
    """What the Defection page breaks down by, kept as tables of the version: each customer's stage a year before the
    as-of day (Funnel stage model; their stage now when it comes from the data's stage column), the number of
    behaviours they show (Behaviours catalogue, all the data), and the day the stages are taken on (None: now)."""
    model = stages.load_model(store, dataset)
    day = None
    if not stages.uses_column(model, version):  # a stage column says only where customers stand now
        with store.cursor() as cur:
            as_of = defection.as_of_day(cur, version)
        day = stage_day(as_of) if as_of is not None else None
    stage = keep(store, version, stage_source(version, model, day), "stage")
    counted = behaviour_source(version, behaviours.catalogue_for(store, version))
    return stage, None if counted is None else keep(store, version, counted, "behaviours"), day


def behaviour_source(version: Version, catalogue: Catalogue, filters: Filters = Filters()) -> SubQuery | None:
    """Number of the catalogue's measured behaviours each customer shows (as the Behaviours page counts them over
    filters; by default over all the data, every customer); None when the data measure none of them."""
    if not behaviours.measured_keys(behaviours.BehaviourSpec.of(catalogue, filters), version):
        return None
    counted = behaviours.customer_behaviours_sql(version, catalogue, filters)
    return SubQuery(sql("select customer_id, n_behaviours as behaviours from ({})", counted))


def keyed(version: Version, source: SubQuery, column: str) -> SubQuery:
    """source re-keyed on df_customers' integer customer_key, ordered by it: the select to keep as a table."""
    _check_column(column)
    if column == "stage":  # every customer: those unknown on the stage day joined later
        return SubQuery(
            sql(
                f"""
            select c.customer_key, coalesce(s.stage, {{}}) as stage
            from {version.table("df_customers")} c left join ({{}}) s on s.customer_id = c.customer_id
            order by c.customer_key
            """,
                lit(NOT_YET),
                source.query,
            )
        )
    return SubQuery(
        sql(
            f"""
        select c.customer_key, s.{column}
        from {version.table("df_customers")} c join ({{}}) s on s.customer_id = c.customer_id
        order by c.customer_key
        """,
            source.query,
        )
    )


def keep(store: Store, version: Version, source: SubQuery, column: str) -> SubQuery:
    """source kept as a table of the version (built on first use, keyed on customer_key), and the select reading it:
    the defection queries then join a small integer-keyed table instead of working the source out again."""
    select = keyed(version, source, column)
    return kept(store.materialise(version, f"df_{column}", select.query), column)


def kept(table: str, column: str) -> SubQuery:
    """The source reading (customer_key, column) from a table that holds a keyed() select (Store.materialise)."""
    _check_column(column)
    return SubQuery(Sql(f"select customer_key, {column} from {table}"), key="customer_key")


def _check_column(column: str) -> None:
    if column not in ("stage", "behaviours"):
        raise ValueError(f"unknown group column {column!r}")
