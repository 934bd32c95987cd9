"""Defection reasons over time: Aalen-Johansen cumulative incidence per reason, worked by hand and against pandas."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from streamlit.testing.v1 import AppTest

from benchmarks.reference import reasons_over_time as reference
from dashboard.charts.reasons_over_time import MAX_POINTS, cumulative_incidence
from dashboard.metrics.defection import reasons as rot
from dashboard.metrics.scope import Filters
from dashboard.store import Store
from tests.conftest import use_copy

ROOT = Path(__file__).resolve().parent.parent

# Five customers, two reasons, one still here. Days from start: A leaves at 1 (price), B is still here at 2 (the as-of
# day), C leaves at 3 (moved), D at 3 (price), E at 5 (moved). By hand:
#   t=1: 5 at risk, 1 price: CIF price = 1 × 1/5 = 3/15; S = 4/5
#   t=3: 3 at risk (C, D, E; B censored at 2), 1 price, 1 moved: price += 4/5 × 1/3 → 7/15; moved = 4/15; S = 4/15
#   t=5: 1 at risk, 1 moved: moved += 4/15 × 1 → 8/15; S = 0
HAND = {
    ("Price", 1): 3 / 15,
    ("Price", 3): 7 / 15,
    ("Price", 5): 7 / 15,
    ("Moved", 1): 0.0,
    ("Moved", 3): 4 / 15,
    ("Moved", 5): 8 / 15,
}


def _tiny() -> dict[str, pd.DataFrame]:
    day = pd.Timestamp
    customers = pd.DataFrame(
        {
            "customer_id": ["A", "B", "C", "D", "E", "G"],
            "signup_date": [
                day("2024-01-01"),
                day("2024-01-04"),
                day("2024-01-01"),
                day("2024-01-02"),
                day("2024-01-01"),
                day("2024-01-01"),
            ],
            "churned": [True, False, True, True, True, True],
            "churn_date": [day("2024-01-02"), None, day("2024-01-04"), day("2024-01-05"), day("2024-01-06"), None],
            "churn_reason": ["Price", None, "Moved", "Price", "Moved", "Service"],
        }
    )
    return {"customers": customers}  # G left without a date: left out; the as-of day is E's churn date, 6 January


def _cif(frame: pd.DataFrame, reason: str, time: float) -> float:
    rows = frame[(frame["reason"] == reason) & (frame["time"] <= time)]
    return float(rows.sort_values("time", kind="stable")["cif"].iloc[-1])


def test_the_estimator_reproduces_the_hand_worked_example():
    counts = pd.DataFrame({"time": [1, 2, 3, 3, 5], "reason": ["Price", None, "Moved", "Price", "Moved"], "n": 1})
    frame = rot.aalen_johansen(counts)
    for (reason, t), expected in HAND.items():
        assert _cif(frame, reason, t) == pytest.approx(expected)
    assert frame.loc[frame["time"] == 3, "survival"].iloc[0] == pytest.approx(4 / 15)


@pytest.fixture
def tiny(tmp_path):
    store = Store(tmp_path / "tiny.duckdb")
    version = store.publish("tiny", _tiny())
    yield store, version
    store.close()


def test_published_customers_give_the_hand_worked_curves(tiny):
    store, version = tiny
    with store.cursor() as cur:
        frame = rot.reasons_over_time(cur, version, Filters())
        seen = rot.coverage(cur, version, Filters()).iloc[0].to_dict()
    assert sorted(frame["reason"].unique()) == ["Moved", "Price"]
    for (reason, t), expected in HAND.items():
        assert _cif(frame, reason, t) == pytest.approx(expected)
    # 5 customers timed (4 dated defections with a reason), G's undated defection left out
    assert seen == {"customers": 6, "defected": 4, "left_out": 1, "with_reason": 4}
    figure = cumulative_incidence(frame)
    assert [t.name for t in figure.data] == ["Moved", "Price"]  # most common first (two each): ties by name


def test_the_metric_agrees_with_the_pandas_reference_on_the_tiny_data(tiny):
    store, version = tiny
    with store.cursor() as cur:
        frame = rot.reasons_over_time(cur, version, Filters())
    _same(frame, reference.cumulative_incidence(_tiny()))


def _same(got: pd.DataFrame, want: pd.DataFrame) -> None:
    keys = ["reason", "time"]
    got = got.sort_values(keys, kind="stable").drop_duplicates(keys, keep="last").reset_index(drop=True)
    want = want.sort_values(keys, kind="stable").drop_duplicates(keys, keep="last").reset_index(drop=True)
    assert got[keys].to_dict("records") == want[keys].to_dict("records")
    np.testing.assert_allclose(got["cif"].astype(float), want["cif"].astype(float), atol=1e-12)
    np.testing.assert_allclose(got["survival"].astype(float), want["survival"].astype(float), atol=1e-12)


def test_the_metric_agrees_with_the_pandas_reference_on_the_sample(sample_db_file, sample_tables):
    store = Store(sample_db_file, read_only=True)
    try:
        with store.cursor() as cur:
            frame = rot.reasons_over_time(cur, store.active_version("sample"), Filters())
    finally:
        store.close()
    assert frame["reason"].nunique() == rot.MAX_REASONS + 1  # six named reasons and the pooled rest
    _same(frame, reference.cumulative_incidence(sample_tables))


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 40), st.sampled_from([None, "a", "b", "c"]), st.integers(1, 5)), min_size=1, max_size=30)
)
def test_the_cifs_add_up_to_one_minus_kaplan_meier_at_every_time(rows):
    counts = pd.DataFrame(rows, columns=["time", "reason", "n"])
    frame = rot.aalen_johansen(counts)
    if counts["reason"].isna().all():
        assert frame.empty
        return
    # Kaplan-Meier worked independently: at each event time, survival × (1 − events / at risk)
    survival, km = 1.0, {0.0: 1.0}
    for t in sorted(counts.loc[counts["reason"].notna(), "time"].unique()):
        at_risk = counts.loc[counts["time"] >= t, "n"].sum()
        events = counts.loc[(counts["time"] == t) & counts["reason"].notna(), "n"].sum()
        survival *= 1 - events / at_risk
        km[float(t)] = survival
    total = frame.groupby("time")["cif"].sum()
    for t, s in km.items():
        assert total[t] == pytest.approx(1 - s, abs=1e-12)
        assert frame.loc[frame["time"] == t, "survival"].iloc[-1] == pytest.approx(s, abs=1e-12)


def _defection_page(dataset: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    at.switch_page("pages/5_Defection.py")
    at.query_params["ds"] = dataset
    at.query_params["d_tab"] = "Why they leave"  # the tab holding when each reason bites
    at.run()
    assert not at.exception, at.exception
    return at


def test_the_defection_page_draws_when_each_reason_bites(tmp_path, monkeypatch):
    store = Store(tmp_path / "source.duckdb")
    store.publish("tiny", _tiny())
    store.publish("undated", {"customers": _tiny()["customers"].assign(churn_date=None)})
    store.close()
    use_copy(tmp_path / "source.duckdb", tmp_path, monkeypatch)
    at = _defection_page("tiny")
    assert "When each reason bites" in [h.value for h in at.header]
    specs = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    curves = next(s for s in specs if s["layout"]["title"]["text"].startswith("When each reason bites"))
    assert [t["name"] for t in curves["data"]] == ["Moved", "Price"]
    assert any("of 6 customers (4 dated defections)" in c.value and "1 customer is left out" in c.value for c in at.caption)
    # churn flags without dates: no curve, one line saying what is missing
    undated = _defection_page("undated")
    assert any("No dated defections with a start" in i.value for i in undated.info)


def test_a_reason_line_sends_only_the_days_its_share_changes():
    # price steps at days 1 and 3; moved at days 3 and 5; every reason had a row on every event day (0, 1, 3, 5)
    frame = pd.DataFrame(
        {
            "time": [0.0, 1.0, 3.0, 5.0] * 2,
            "reason": ["Price"] * 4 + ["Moved"] * 4,
            "cif": [0, 3 / 15, 7 / 15, 7 / 15, 0, 0, 4 / 15, 8 / 15],
            "survival": [1, 4 / 5, 4 / 15, 0] * 2,
        }
    )
    lines = {t.name: t for t in cumulative_incidence(frame).data}
    days = 365.25 / 12
    # price: the start, its two steps and the last day (the line runs on flat to day 5); moved: day 1 adds nothing
    assert [round(x * days) for x in lines["Price"].x] == [0, 1, 3, 5]
    assert [round(x * days) for x in lines["Moved"].x] == [0, 3, 5]
    assert list(lines["Moved"].y) == [0, 4 / 15, 8 / 15]


def test_a_long_line_is_read_on_a_screen_grid_and_keeps_every_share_exact():
    # a large base: the share changes on each of 5,000 days; the line sends 600 points, each the share at its time
    days = np.arange(5_000, dtype=float)
    cif = np.cumsum(np.full(5_000, 1 / 10_000))
    frame = pd.DataFrame({"time": days, "reason": "Price", "cif": cif, "survival": 1 - cif})
    (line,) = cumulative_incidence(frame).data
    x_days = np.asarray(line.x) * (365.25 / 12)
    assert len(line.x) == MAX_POINTS
    assert x_days[0] == pytest.approx(0) and x_days[-1] == pytest.approx(4_999)
    # the share at a time t is the last change at or before t: day floor(t)'s
    assert np.asarray(line.y) == pytest.approx(cif[np.floor(x_days + 1e-9).astype(int)])
    assert line.y[-1] == pytest.approx(0.5)
