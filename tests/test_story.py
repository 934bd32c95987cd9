"""The Story's steps, notes and summary figures, without Streamlit."""

from __future__ import annotations

import pandas as pd
import pytest

from dashboard import story
from dashboard.store import Store
from dashboard.ui import nav


def test_seven_steps_in_workshop_order_each_from_a_registered_page():
    assert [s.title for s in story.STEPS] == [
        "Where we stand",
        "Journey pain points",
        "Perfect behaviours",
        "What-if",
        "Defection",
        "What drives it",
        "Decisions",
    ]
    assert len({s.key for s in story.STEPS}) == story.STEP_COUNT == 7
    for step in story.STEPS:
        assert nav.page_for(step.page)
        assert step.lead.endswith(".") and len(step.lead) < 200, "one sentence to say"
    labels = [p.label for p in nav.PAGES]
    assert labels.index("Defection") < labels.index("Story") < labels.index("Data")
    assert nav.page_for("Story").group == "Workshop"


def test_step_numbers_outside_one_to_seven_are_refused():
    assert story.step_number("3") == 3
    for bad in ("0", "8", "-1", "x", None):
        with pytest.raises((ValueError, TypeError)):
            story.step_number(bad)
    assert story.indicator(2) == "Step 2 of 7 · Journey pain points"


def test_notes_are_saved_per_dataset_and_step(store: Store, sample_tables):
    store.publish("a", {"customers": sample_tables["customers"].head(5)})
    store.publish("b", {"customers": sample_tables["customers"].head(5)})
    assert story.load_note(store, "a", "journey") == ""
    assert story.save_note(store, "a", "journey", "Complaints wait too long  \n\n") == "Complaints wait too long"
    assert store.get_setting("a", "story.notes.journey") == "Complaints wait too long"
    assert story.load_note(store, "b", "journey") == ""
    assert story.load_notes(store, "a") == {
        s.key: ("Complaints wait too long" if s.key == "journey" else "") for s in story.STEPS
    }
    story.save_note(store, "a", "journey", "x" * (story.MAX_NOTE_CHARS + 10))
    assert len(story.load_note(store, "a", "journey")) == story.MAX_NOTE_CHARS
    store.set_setting("a", "story.notes.whatif", {"not": "text"})
    assert story.load_note(store, "a", "whatif") == ""
    with pytest.raises(KeyError):
        story.notes_key("nonsense")


def test_decision_lines_drop_blank_lines_and_list_markers():
    text = "- Move e-billing to 50 % by Q4 (Ana)\n\n* Call the 297 at risk\n• Fix complaint SLA\n3. Report back\n  plain line  "
    assert story.decision_lines(text) == [
        "Move e-billing to 50 % by Q4 (Ana)",
        "Call the 297 at risk",
        "Fix complaint SLA",
        "Report back",
        "plain line",
    ]
    assert story.decision_lines("2024. A good year") == ["2024. A good year"]


def _kpis(rows: list[tuple[str, str, float | None]]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {"key": k, "label": k.title(), "kind": kind, "value": v, "definition": f"def {k}", "available": v is not None}
            for k, kind, v in rows
        ]
    )


def test_summary_figures_pick_the_headlines_of_each_step():
    overview = _kpis(
        [
            ("customers", "count", 100.0),
            ("churn_rate", "pct", 0.2),
            ("revenue", "money", 5000.0),
            ("cost_to_serve", "money", None),
            ("mean_satisfaction", "score", 3.0),
        ]
    )
    hotspots = pd.DataFrame(
        [{"key": "satisfaction", "label": "Lowest satisfaction", "stage": "billing", "value": 2.5, "base": 30, "overall": 3.5}]
    )
    defection = _kpis([("at_risk", "count", 7.0), ("revenue_at_risk", "money", 700.0), ("defected", "count", 3.0)])
    frame = story.summary_figures(overview, hotspots, 1234.0, 56.0, defection)
    assert frame["key"].tolist() == [
        "customers",
        "churn_rate",
        "revenue",
        "cost_to_serve",
        "worst_satisfaction",
        "savings_potential",
        "whatif_saving",
        "at_risk",
        "revenue_at_risk",
    ]
    values = frame.set_index("key")["value"]
    assert pd.isna(values["cost_to_serve"])
    assert values.drop("cost_to_serve").to_dict() == {
        "customers": 100.0,
        "churn_rate": 0.2,
        "revenue": 5000.0,
        "worst_satisfaction": 2.5,
        "savings_potential": 1234.0,
        "whatif_saving": 56.0,
        "at_risk": 7.0,
        "revenue_at_risk": 700.0,
    }
    worst = frame[frame["key"] == "worst_satisfaction"].iloc[0]
    assert (worst["label"], worst["detail"]) == ("Lowest satisfaction", "billing")
    assert not frame.loc[frame["key"] == "cost_to_serve", "available"].iloc[0]


def test_summary_figures_without_touchpoints_or_prices():
    overview = _kpis([("customers", "count", 4.0)])
    frame = story.summary_figures(overview, None, None, None, None)
    assert frame["key"].tolist() == ["customers", "savings_potential", "whatif_saving"]
    assert frame["available"].tolist() == [True, False, False]
