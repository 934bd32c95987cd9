"""The customers, defected, at-risk and churn figures each page shows, by the metric functions the pages call."""

from __future__ import annotations

from dashboard.metrics import overview
from dashboard.metrics.behaviours import adoption as behaviours
from dashboard.metrics.defection import status as defection
from dashboard.metrics.funnel import counts as funnel
from dashboard.metrics.funnel import stages
from dashboard.metrics.scope import Filters
from dashboard.store import Store
from tests import defection_paths


def shared_figures(store: Store, dataset: str) -> dict[str, dict[str, float]]:
    """Per page, the customers, defected and at-risk counts and the churn rate it shows for the whole data."""
    version = store.active_version(dataset)
    with store.cursor() as cur:
        tiles = overview.kpis(cur, version, Filters()).set_index("key")["value"]
        catalogue = behaviours.load_catalogue(store, dataset, behaviours.flag_columns(version))
        summary = behaviours.summary(cur, version, behaviours.BehaviourSpec.of(catalogue, Filters()))
        everyone = summary[summary["dimension"] == "all"].iloc[0]
        spec = defection.DefectionSpec(definition=defection.default_definition(defection.availability(cur, version)))
        lost = defection_paths.kpis(cur, version, spec).set_index("key")["value"]
        model = stages.load_model(store, dataset)
        now = funnel.stage_counts(cur, version, funnel.StageSpec(model, Filters())).set_index("role")["customers"]
        staged_rows = cur.execute(
            f"""
            select count(*) filter (where counts_as_customer), count(*) filter (where defected),
                   count(*) filter (where at_risk)
            from {version.table("stg_customers")}
            """
        ).fetchall()[0]
    return {
        "staged": {"customers": staged_rows[0], "defected": staged_rows[1], "at_risk": staged_rows[2]},
        "overview": {
            "customers": tiles["customers"],
            "defected": tiles["customers"] - tiles["active_customers"],
            "churn": tiles["churn_rate"],
        },
        "behaviours": {
            "customers": everyone["customers"],
            "defected": everyone["defected"],
            "churn": everyone["defected"] / everyone["customers"],
        },
        "defection": {"defected": lost["defected"], "at_risk": lost["at_risk"], "churn": lost["defection_rate"]},
        "funnel": {
            "customers": now.drop("prospect").sum(),
            "defected": now["defected"],
            "at_risk": now["at_risk"],
        },
    }
