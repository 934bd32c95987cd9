"""Where the Defection breakdowns get each customer's relationship stage and number of perfect-customer behaviours.

The Funnel's stage rules and the Behaviours catalogue are the single definitions of both; the Defection page joins
their per-customer selects instead of keeping rules of its own.
"""

from __future__ import annotations

from dashboard.metrics import behaviours, stages
from dashboard.metrics.behaviour_catalogue import Catalogue
from dashboard.metrics.defection_spec import SubQuery
from dashboard.metrics.scope import Filters
from dashboard.metrics.stages import StageModel
from dashboard.store import Store, Version


def stage_source(version: Version, model: StageModel) -> SubQuery:
    """Stage per customer on the last day of the data, by the dataset's stage model (as the Funnel page shows it)."""
    sql, params = stages.customer_stage_sql(version, model)
    return SubQuery(sql, tuple(params))


def behaviour_source(version: Version, catalogue: Catalogue, filters: Filters = Filters()) -> SubQuery | None:
    """Number of the catalogue's measured behaviours each customer shows (as the Behaviours page counts them over
    filters; by default over all the data, every customer); None when the data measure none of them."""
    if not behaviours.measured_keys(behaviours.BehaviourSpec.of(catalogue, filters), version):
        return None
    sql, params = behaviours.customer_behaviours_sql(version, catalogue, filters)
    return SubQuery(f"select customer_id, n_behaviours as behaviours from ({sql})", tuple(params))


def keyed(version: Version, source: SubQuery, column: str) -> SubQuery:
    """source re-keyed on df_customers' integer customer_key, ordered by it: the select to keep as a table."""
    _check_column(column)
    return SubQuery(
        f"""
        select c.customer_key, s.{column}
        from {version.table("df_customers")} c join ({source.sql}) s on s.customer_id = c.customer_id
        order by c.customer_key
        """,
        source.params,
    )


def keep(store: Store, version: Version, source: SubQuery, column: str) -> SubQuery:
    """source kept as a table of the version (built on first use, keyed on customer_key), and the select reading it:
    the defection queries then join a small integer-keyed table instead of working the source out again."""
    select = keyed(version, source, column)
    return kept(store.materialise(version, f"df_{column}", select.sql, select.params), column)


def kept(table: str, column: str) -> SubQuery:
    """The source reading (customer_key, column) from a table that holds a keyed() select (Store.materialise)."""
    _check_column(column)
    return SubQuery(f"select customer_key, {column} from {table}", key="customer_key")


def _check_column(column: str) -> None:
    if column not in ("stage", "behaviours"):
        raise ValueError(f"unknown group column {column!r}")
