"""Compared with when: the earlier period and the change of each headline figure, worked by hand on the tiny dataset."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from dashboard.formatting import NumberFormat
from dashboard.metrics import compare, overview
from dashboard.metrics.scope import Filters
from dashboard.store import Store
from tests import shapes
from tests.tiny import tiny_tables

JAN, FEB, MAR = date(2024, 1, 1), date(2024, 2, 1), date(2024, 3, 1)
NF = NumberFormat()


def test_previous_period_is_as_many_months_just_before():
    chosen = Filters(segments=("Home",), month_from=date(2024, 4, 1), month_to=date(2024, 6, 1))
    found = compare.earlier_period(chosen, date(2023, 1, 1), date(2024, 6, 1))
    assert found.filters == Filters(("Home",), (), JAN, MAR)
    assert found.label == "vs Jan–Mar 2024"
    assert found.describe() == "compared with Jan 2024 to Mar 2024"


def test_previous_period_crosses_the_year():
    found = compare.earlier_period(Filters(month_from=JAN, month_to=FEB), date(2023, 1, 1), MAR)
    assert (found.filters.month_from, found.filters.month_to) == (date(2023, 11, 1), date(2023, 12, 1))
    assert found.label == "vs Nov–Dec 2023"
    across = compare.earlier_period(Filters(month_from=FEB, month_to=MAR), date(2023, 1, 1), MAR)
    assert across.label == "vs Dec 2023–Jan 2024"
    assert across.describe() == "compared with Dec 2023 to Jan 2024"


def test_same_months_a_year_earlier():
    found = compare.earlier_period(Filters(month_from=MAR, month_to=MAR), date(2023, 1, 1), MAR, "year")
    assert (found.filters.month_from, found.filters.month_to) == (date(2023, 3, 1), date(2023, 3, 1))
    assert found.label == "vs Mar 2023"


def test_no_comparison_when_the_data_does_not_reach_back():
    # Jan to Mar 2024 is all the tiny data holds: the three months before are not in it
    found = compare.earlier_period(Filters(month_from=JAN, month_to=MAR), JAN, MAR)
    assert found.filters is None and found.label == ""
    assert found.why_not == "No change shown: the data starts in Jan 2024, so it does not cover Oct 2023 to Dec 2023."
    assert found.describe() == "no comparison (the data does not reach back that far)"
    # half covered is not covered: Dec 2023 to Jan 2024 against data from Jan 2024 would show a fake fall
    assert compare.earlier_period(Filters(month_from=FEB, month_to=MAR), JAN, MAR).filters is None


def test_no_comparison_before_the_first_year():
    # dates that look wrong (the sidebar offers no month choice, so the months are the data's whole span)
    found = compare.earlier_period(Filters(), date(1, 1, 1), date(9999, 12, 1))
    assert found.filters is None
    assert found.why_not == "No change shown: the data starts in Jan 0001, with nothing before it."


def test_no_comparison_without_dates_or_when_switched_off():
    no_dates = compare.earlier_period(Filters(), None, None)
    assert no_dates.filters is None
    assert no_dates.why_not == "No change shown: the data has no dates, so there is no earlier period."
    assert no_dates.describe() == "no comparison (no dates)"
    off = compare.earlier_period(Filters(month_from=MAR, month_to=MAR), JAN, MAR, "none")
    assert off.filters is None and off.why_not == "" and off.describe() == "no comparison"
    with pytest.raises(ValueError):
        compare.earlier_period(Filters(), JAN, MAR, "last week")


def test_change_text_by_kind():
    assert compare.change_text(0.25, 0.2, "pct", NF) == "+5.00 pts"
    assert compare.change_text(730.0, 700.0, "money", NF) == "+$30.00"
    assert compare.change_text(1_000.0, 13_000.0, "money", NF) == "-$12.00K"
    assert compare.change_text(3, 5, "count", NF) == "-2"
    assert compare.change_text(4.5, 11 / 3, "score", NF) == "+0.83"
    assert compare.change_text(3, 3, "count", NF) == "0"  # Streamlit greys a "0" and draws no arrow


@pytest.mark.parametrize("before", [None, float("nan"), float("inf")])
def test_no_change_against_a_missing_value(before):
    assert compare.change_text(1.0, before, "number", NF) is None
    assert compare.change_text(before, 1.0, "number", NF) is None


@pytest.fixture
def tiny(store: Store):
    return store, store.publish("tiny", tiny_tables())


def test_overview_march_against_february_by_hand(tiny):
    store, version = tiny
    march = Filters(month_from=MAR, month_to=MAR)
    comparison = compare.earlier_period(march, JAN, MAR)
    assert comparison.filters == Filters(month_from=FEB, month_to=FEB)
    with store.cursor() as cur:
        now = overview.kpis(cur, version, march)
        before = overview.kpis(cur, version, comparison.filters)
    changes = compare.changes(now, before, comparison, NF, compare.OVERVIEW_LOWER_IS_BETTER)
    texts = {key: change.text for key, change in changes.items()}
    # February: A, B (leaves in Feb) and C are customers (D signs up in March); March: A, C, D (B left before it)
    assert texts["customers"] == "0"
    # one defects in each month (B in Feb, D in Mar): 2 active of 3, churn 1/3 both times
    assert texts["active_customers"] == "0"
    assert texts["churn_rate"] == "0"
    # revenue: Feb 120 (A) + 80 (B) + 500 (C) = 700; Mar -20 (A) + 450 (C) + 300 (D) = 730
    assert texts["revenue"] == "+$30.00"
    # per customer: 730 / 3 - 700 / 3 = 10
    assert texts["revenue_per_customer"] == "+$10.00"
    # contacts: Feb A, B, B, C = 4 (P's visit is a prospect's); Mar D, D = 2; per customer 2/3 - 4/3
    assert texts["contacts_per_customer"] == "-0.67"
    # cost: Feb 3 bills + 0.2 + 14 + 5 + 0.3 = 22.5; Mar 3 bills + 15 + 12 = 30
    assert texts["cost_to_serve"] == "+$7.50"
    # satisfaction: Feb (4 + 2 + 5) / 3; Mar (4 + 5) / 2
    assert texts["mean_satisfaction"] == "+0.83"
    lower = {key for key, change in changes.items() if change.colour == "inverse"}
    assert lower == {"churn_rate", "contacts_per_customer", "cost_to_serve"}
    assert {change.description for change in changes.values()} == {"vs Feb 2024"}


def test_a_figure_missing_in_either_period_has_no_change():
    now = pd.DataFrame({"key": ["a", "b"], "kind": ["count", "count"], "value": [3.0, None]})
    before = pd.DataFrame({"key": ["a", "b"], "kind": ["count", "count"], "value": [None, 2.0]})
    comparison = compare.Comparison("previous", Filters(month_from=FEB, month_to=FEB))
    assert compare.changes(now, before, comparison, NF) == {}


@pytest.mark.parametrize(
    ("shape", "why_not"),
    [
        ("single_month", "No change shown: the data starts in Mar 2024, so it does not cover Feb 2024."),
        ("customers_only_without_dates", "No change shown: the data has no dates, so there is no earlier period."),
    ],
)
def test_shapes_without_an_earlier_period_say_why(tmp_path, shape: str, why_not: str):
    path = shapes.publish_all(tmp_path / "shapes.duckdb", tmp_path, [shape])
    store = Store(path)
    version = store.active_version(shape)
    with store.cursor() as cur:
        span = overview.month_span(cur, version).iloc[0]
    # the page's default months are all the data holds: March 2024 alone, or none without dates
    months = Filters(month_from=MAR, month_to=MAR) if shape == "single_month" else Filters()
    for mode in ("previous", "year"):
        found = compare.earlier_period(months, span["first_month"], span["last_month"], mode)
        assert found.filters is None and found.label == ""
        if mode == "previous" or shape != "single_month":
            assert found.why_not == why_not
    store.close()


def test_months_picked_by_the_user_any_length_inside_the_data():
    march = Filters(("Home",), (), MAR, MAR)
    found = compare.earlier_period(march, JAN, MAR, "pick", (JAN, FEB))
    assert found.filters == Filters(("Home",), (), JAN, FEB) and found.label == "vs Jan–Feb 2024"
    outside = compare.earlier_period(march, JAN, MAR, "pick", (date(2023, 12, 1), FEB))
    assert outside.filters is None
    assert outside.why_not == "No change shown: pick months inside the data under Compare with."
    assert compare.earlier_period(march, JAN, MAR, "pick", None).filters is None
