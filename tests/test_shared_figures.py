"""A figure shown on several pages is one number: customers, defected, churn rate and at risk agree across Overview,
Behaviours, Defection and the Funnel (all read stg_customers), on the bundled sample and on transactions-only data."""

from __future__ import annotations

import pytest

from dashboard import staged
from dashboard.store import Store
from tests.figures_by_page import shared_figures
from tests.tiny_defection import shop_tables


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
