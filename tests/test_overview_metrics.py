"""Overview KPIs: hand-worked answers on the tiny dataset, and agreement with plain pandas on the sample."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from benchmarks.reference import overview as reference
from dashboard import sample
from dashboard.metrics import overview
from dashboard.metrics.scope import Filters
from dashboard.store import Store
from tests.tiny import tiny_tables


@pytest.fixture
def tiny(store: Store):
    version = store.publish("tiny", tiny_tables())
    return store, version


def _kpis(store: Store, version, filters: Filters) -> dict:
    with store.cursor() as cur:
        frame = overview.kpis(cur, version, filters)
    return dict(zip(frame["key"], frame["value"], strict=True))


def test_tiny_all_months_by_hand(tiny):
    store, version = tiny
    k = _kpis(store, version, Filters())
    # A, B, C, D are customers; P has no transaction, so is a prospect and is left out.
    assert k["customers"] == 4
    # B left in February, D in March.
    assert k["active_customers"] == 2
    assert k["churn_rate"] == pytest.approx(0.5)
    # 100 + 120 - 20 (refund) + 80 + 80 + 500 + 450 + 300
    assert k["revenue"] == pytest.approx(1610.0)
    assert k["revenue_per_customer"] == pytest.approx(402.5)
    # 2 (A) + 3 (B) + 1 (C) + 2 (D); P's web visit is a prospect's
    assert k["contacts_per_customer"] == pytest.approx(2.0)
    # 8 bills at 1.00, touchpoints 13 + 0.2 + 12 + 14 + 5 + 0.3 + 15 + 12
    assert k["cost_to_serve"] == pytest.approx(79.5)
    assert k["mean_satisfaction"] == pytest.approx((4 + 2 + 5) / 3)


def test_tiny_business_segment_by_hand(tiny):
    store, version = tiny
    k = _kpis(store, version, Filters(segments=("Business",)))
    assert k["customers"] == 2
    assert k["churn_rate"] == pytest.approx(0.5)
    assert k["revenue"] == pytest.approx(1250.0)
    assert k["revenue_per_customer"] == pytest.approx(625.0)
    assert k["contacts_per_customer"] == pytest.approx(1.5)
    assert k["cost_to_serve"] == pytest.approx(3 + 0.3 + 15 + 12)
    assert k["mean_satisfaction"] == pytest.approx(5.0)


def test_tiny_march_only_by_hand(tiny):
    store, version = tiny
    k = _kpis(store, version, Filters(month_from=date(2024, 3, 1), month_to=date(2024, 3, 1)))
    # B left in February, before the period; D joined and left in March.
    assert k["customers"] == 3
    assert k["active_customers"] == 2
    assert k["churn_rate"] == pytest.approx(1 / 3)
    assert k["revenue"] == pytest.approx(-20 + 450 + 300)
    assert k["contacts_per_customer"] == pytest.approx(2 / 3)
    assert k["cost_to_serve"] == pytest.approx(3 + 15 + 12)
    assert k["mean_satisfaction"] == pytest.approx(4.5)


def test_tiny_trend_by_hand(tiny):
    store, version = tiny
    with store.cursor() as cur:
        trend = overview.monthly_trend(cur, version, Filters())
    assert trend["month"].dt.strftime("%Y-%m").tolist() == ["2024-01", "2024-02", "2024-03"]
    assert trend["revenue"].tolist() == pytest.approx([180.0, 700.0, 730.0])
    assert trend["contacts"].tolist() == [2, 4, 2]


def test_missing_tables_are_reported_not_zero(store: Store):
    customers = tiny_tables()["customers"].drop(columns=["satisfaction", "churn_date"])
    version = store.publish("customers only", {"customers": customers})
    k = _kpis(store, version, Filters())
    assert k["customers"] == 5  # without transactions nobody can be told apart as a prospect
    assert k["churn_rate"] == pytest.approx(2 / 5)
    assert k["revenue"] is None or pd.isna(k["revenue"])
    assert k["contacts_per_customer"] is None or pd.isna(k["contacts_per_customer"])
    assert k["mean_satisfaction"] is None or pd.isna(k["mean_satisfaction"])


@pytest.fixture(scope="module")
def sample_store(tmp_path_factory):
    store = Store(tmp_path_factory.mktemp("ov") / "s.duckdb")
    version = sample.publish(store)
    yield store, version
    store.close()


@pytest.mark.parametrize(
    "filters",
    [
        Filters(),
        Filters(segments=("Commercial",)),
        Filters(regions=("North", "East"), month_from=date(2024, 1, 1), month_to=date(2024, 12, 1)),
        Filters(segments=("Residential", "Small business"), month_from=date(2025, 7, 1), month_to=date(2025, 7, 1)),
    ],
    ids=["all", "commercial", "north-east-2024", "july-2025"],
)
def test_sample_agrees_with_pandas(sample_store, sample_tables, filters):
    store, version = sample_store
    sql = _kpis(store, version, filters)
    expected = reference.kpis(sample_tables, filters)
    for key, value in expected.items():
        assert sql[key] == pytest.approx(value, rel=1e-9), key
    with store.cursor() as cur:
        trend = overview.monthly_trend(cur, version, filters)
    ref = reference.monthly_trend(sample_tables, filters)
    pd.testing.assert_frame_equal(
        trend.astype({"contacts": "int64"}).reset_index(drop=True),
        ref.astype({"contacts": "int64"})[["month", "revenue", "contacts"]],
        check_dtype=False,
        check_exact=False,
        rtol=1e-9,
    )


def test_sample_dimensions_and_span(sample_store):
    store, version = sample_store
    with store.cursor() as cur:
        dims = overview.dimension_values(cur, version)
        span = overview.month_span(cur, version)
    assert set(dims.loc[dims.dimension == "segment", "value"]) == {"Residential", "Small business", "Commercial"}
    assert set(dims.loc[dims.dimension == "region", "value"]) == {"North", "South", "East", "West", "Central"}
    assert pd.Timestamp(span.iloc[0]["first_month"]) == pd.Timestamp("2023-01-01")
    assert pd.Timestamp(span.iloc[0]["last_month"]) == pd.Timestamp("2025-12-01")


def test_contacts_per_customer_counts_a_call_of_several_steps_once(store):
    """The tiny call log: C1 makes calls A (IVR, queue, agent) and B (IVR, queue), C2 call C (IVR, queue, agent), all
    in January 2024: 3 contacts of 2 customers = 1.5 per customer, 3 in January; counted per step (no contact id) the
    same 8 touchpoints are 8 contacts, 4 per customer."""
    from tests.journey_contacts_tiny import call_log

    customers = pd.DataFrame({"customer_id": ["C1", "C2"]})
    for name, log, per_customer in (("per contact", call_log(), 1.5), ("per step", call_log().drop(columns=["contact_id"]), 4.0)):
        version = store.publish(name, {"customers": customers, "interactions": log})
        assert _kpis(store, version, Filters())["contacts_per_customer"] == pytest.approx(per_customer), name
        with store.cursor() as cur:
            trend = overview.monthly_trend(cur, version, Filters())
        assert trend["contacts"].tolist() == [per_customer * 2], name


def test_a_measure_the_data_does_not_have_is_missing_in_the_trend_not_zero(store):
    """Purchases only (no touchpoints): January 30 + 20 = 50, February 5; contacts unknown, as the KPI tile's dash
    says, so the chart draws revenue alone and its title says there are no touchpoints, not a line at 0."""
    from dashboard.charts import overview as overview_charts

    customers = pd.DataFrame({"customer_id": ["C1", "C2"]})
    purchases = pd.DataFrame(
        {"customer_id": ["C1", "C2", "C1"], "ts": ["2024-01-05", "2024-01-20", "2024-02-03"], "amount": [30.0, 20.0, 5.0]}
    )
    version = store.publish("purchases only", {"customers": customers, "transactions": purchases})
    with store.cursor() as cur:
        trend = overview.monthly_trend(cur, version, Filters())
    assert trend["revenue"].tolist() == [50.0, 5.0] and trend["contacts"].isna().all()
    fig = overview_charts.monthly_trend(trend)
    assert [trace.name for trace in fig.data] == ["Revenue"]
    assert fig.layout.title.text == "Revenue per month (no touchpoints in this data)"
    assert "yaxis2" not in fig.layout.to_plotly_json()
