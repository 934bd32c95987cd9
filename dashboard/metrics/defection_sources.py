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
from dashboard.store import Version


def stage_source(version: Version, model: StageModel) -> SubQuery:
    """Stage per customer on the last day of the data, by the dataset's stage model (as the Funnel page shows it)."""
    sql, params = stages.customer_stage_sql(version, model)
    return SubQuery(sql, tuple(params))


def behaviour_source(version: Version, catalogue: Catalogue, filters: Filters = Filters()) -> SubQuery | None:
    """Number of the catalogue's measured behaviours each customer shows (as the Behaviours page counts them); None
    when the data measure none of them."""
    if not behaviours.measured_keys(behaviours.BehaviourSpec.of(catalogue, filters), version):
        return None
    sql, params = behaviours.customer_behaviours_sql(version, catalogue, filters)
    return SubQuery(f"select customer_id, n_behaviours as behaviours from ({sql})", tuple(params))
