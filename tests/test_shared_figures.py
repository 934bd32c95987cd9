"""A figure shown on several pages is one number: customers, defected, churn rate and at risk agree across Overview,
Behaviours, Defection and the Funnel (all read stg_customers), on the bundled sample and on transactions-only data."""

from __future__ import annotations

import pytest

from dashboard import staged
from dashboard.metrics import behaviours, defection, defection_figures, funnel, overview, stages
from dashboard.metrics.scope import Filters
from dashboard.store import Store
from tests.tiny_defection import shop_tables


def shared_figures(store: Store, dataset: str) -> dict[str, dict[str, float]]:
    """Per page, the customers, defected and at-risk counts and the churn rate it shows for the whole data."""
    version = store.active_version(dataset)
    with store.cursor() as cur:
        tiles = overview.kpis(cur, version, Filters()).set_index("key")["value"]
        catalogue = behaviours.load_catalogue(store, dataset, behaviours.flag_columns(version))
        summary = behaviours.summary(cur, version, behaviours.BehaviourSpec.of(catalogue, Filters()))
        everyone = summary[summary["dimension"] == "all"].iloc[0]
        spec = defection.DefectionSpec(definition=defection.default_definition(defection.availability(cur, version)))
        lost = defection_figures.kpis(cur, version, spec).set_index("key")["value"]
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


def assert_one_number_each(figures: dict[str, dict[str, float]]) -> None:
    for name in ("customers", "defected", "at_risk", "churn"):
        shown = {page: values[name] for page, values in figures.items() if name in values}
        first = next(iter(shown.values()))
        assert all(value == pytest.approx(first) for value in shown.values()), f"{name}: {shown}"


@pytest.fixture(scope="module")
def sample_store(sample_db_file):
    store = Store(sample_db_file, read_only=True)
    yield store
    store.close()


def test_the_sample_shows_one_number_per_figure(sample_store):
    figures = shared_figures(sample_store, "sample")
    assert_one_number_each(figures)
    # 20,000 people, 1,364 never billed; 4,400 with a churn date; 290 with two complaints in the last 90 days
    assert figures["staged"] == {"customers": 18_636, "defected": 4_400, "at_risk": 290}
    assert figures["overview"]["churn"] == pytest.approx(4_400 / 18_636)


def test_transactions_only_data_shows_one_number_per_figure(tmp_path):
    store = Store(tmp_path / "shop.duckdb")
    try:
        version = store.publish("shop", {"transactions": shop_tables()["transactions"]})
        figures = shared_figures(store, "shop")
        assert_one_number_each(figures)
        with store.cursor() as cur:
            found = staged.load_profile(cur, version)
        # a shop's purchase histories: defected = no purchase for a year, and that is a real churn figure, not "—"
        assert not found.churn_labels and found.tells_defection
        assert 0 < figures["overview"]["churn"] < 1 and figures["staged"]["at_risk"] > 0
    finally:
        store.close()
