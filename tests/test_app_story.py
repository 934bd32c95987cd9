"""The Story page through AppTest: every step on the sample, Previous/Next/picker and the URL, notes saved with the
dataset and shown as plain text, presentation mode, the report, and a dataset without touchpoints or transactions."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from benchmarks.reference import overview as overview_reference
from benchmarks.reference import staged as staged_reference
from dashboard import story
from dashboard.metrics.scope import Filters
from dashboard.store import Store
from tests.test_app_whatif import headline
from tests.tiny import tiny_tables
from tests.tiny_defection import DEFINITIONS, defection_tables
from tests.worked import best_in_class_savings, tiny_lifetime_value

ROOT = Path(__file__).resolve().parent.parent
PAGE = "pages/8_Story.py"
TITLES = [step.title for step in story.STEPS]
"""The steps in order (tests/test_story.py holds the order itself)."""


def _page(params: dict[str, str] | None = None) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    for name, value in (params or {}).items():
        at.query_params[name] = value
    at.switch_page(PAGE)
    return _run(at)


def _run(changed) -> AppTest:
    at = changed.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _param(at: AppTest, name: str) -> list[str]:
    value = at.query_params.get(name, [])
    return [value] if isinstance(value, str) else list(value)


def _step(at: AppTest) -> str:
    """The step indicator (above the step, and beside Previous and Next under it)."""
    return next(c.value for c in at.caption if c.value.startswith("Step "))


def _headers(at: AppTest) -> list[str]:
    return [h.value for h in at.header]


def _metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def _texts(at: AppTest) -> list[str]:
    return [t.value for t in at.text]


def _headline_money(at: AppTest) -> float:
    return headline(at)[1]


def _note(db: Path, step_key: str) -> object:
    store = Store(db)
    try:
        return store.get_setting("sample", f"story.notes.{step_key}")
    finally:
        store.close()


def _set_notes(db: Path, notes: dict[str, str], dataset: str = "sample") -> None:
    store = Store(db)
    for key, text in notes.items():
        store.set_setting(dataset, f"story.notes.{key}", text)
    store.close()


def test_every_step_renders_its_live_sections_on_the_sample(app_sample_db, sample_tables):
    customers = f"{overview_reference.kpis(sample_tables, Filters())['customers']:,}"  # worked with pandas
    # at risk by the staged definition, with pandas from the sample files: not defected and two complaints within the
    # 90 days up to 31 Dec 2025 (nobody still here has gone 90 days without a purchase)
    at_risk = f"{int(staged_reference.at_risk(sample_tables).sum()):,}"
    assert at_risk == "290"
    expected_charts = {1: 1, 2: 1, 3: 2, 4: 2, 5: 2, 6: 1, 7: 0}  # the What-if's money is text, not a chart
    for number, title in enumerate(TITLES, start=1):
        at = _page({"s_step": str(number)})
        assert _step(at) == f"Step {number} of 7 · {title}"
        assert title in _headers(at)
        assert at.button_group(key="w:s_step").value == number
        assert len(at.get("plotly_chart")) == expected_charts[number], title
        assert len(at.text_area) == 1, "one notes box per step"
        metrics = _metrics(at)
        if number == 1:
            assert metrics["Customers"] == customers
        if number == 2:
            assert "Journey map" in [s.value for s in at.subheader]
            assert at.number_input(key="w:j_repeat").value == 7
        if number == 3:
            assert "Adoption today against best-in-class" in [s.value for s in at.subheader]
        if number == 4:
            # the What-if opens on every behaviour at best-in-class: $443,817.64 worked with pandas (tests/worked.py)
            assert _headline_money(at) == round(best_in_class_savings(sample_tables)) == 443_818
            assert at.slider(key="w:w_t_e_billing").value == pytest.approx(84.0, abs=0.01)
        if number == 5:
            assert metrics["At risk now"] == at_risk  # the staged at risk, as on the Funnel
        if number == 6:
            assert "What fixing it is worth" in [s.value for s in at.subheader]
        if number == 7:
            assert metrics["Customers"] == customers and metrics["At risk now"] == at_risk
            assert "Savings at the What-if sliders" in metrics
            assert metrics["Lowest satisfaction: complaint"] == "2.55"


def test_next_previous_and_the_picker_move_the_step_and_the_url(app_sample_db):
    at = _page()
    assert _step(at) == "Step 1 of 7 · Where we stand"
    assert at.button(key="s_prev_top").disabled and at.button(key="s_prev_bottom").disabled
    at = _run(at.button(key="s_next_top").click())
    assert _step(at) == "Step 2 of 7 · Journey pain points"
    assert _param(at, "s_step") == ["2"]
    at = _run(at.button(key="s_next_bottom").click())
    assert _step(at) == "Step 3 of 7 · Perfect behaviours"
    assert _param(at, "s_step") == ["3"]
    assert at.button_group(key="w:s_step").value == 3
    at = _run(at.button(key="s_prev_top").click())
    assert _step(at) == "Step 2 of 7 · Journey pain points"
    at = _run(at.button_group(key="w:s_step").set_value(7))
    assert _step(at) == "Step 7 of 7 · Decisions"
    assert _param(at, "s_step") == ["7"]
    assert at.button(key="s_next_top").disabled and at.button(key="s_next_bottom").disabled
    at = _run(at.button(key="s_prev_bottom").click())
    assert _step(at) == "Step 6 of 7 · What drives it"
    at = _run(at.button_group(key="w:s_step").set_value(1))
    assert "s_step" not in at.query_params  # the first step is the default


def test_the_step_in_the_url_is_restored_and_bad_values_fall_back(app_sample_db):
    at = _page({"s_step": "4", "w_t_e_billing": "50"})
    assert _step(at) == "Step 4 of 7 · What-if"
    # the What-if's own URL names work on the story: e-billing at 50 % instead of best-in-class 84 %:
    # 14,236 x (50 % - 16.00169 %) x $11 = $53,240 in place of 14,236 x (84 % - 16.00169 %) x $11 = $106,483
    assert _headline_money(at) == 443_818 - 106_483 + 53_240
    for bad in ("0", "8", "two", "<b>3</b>"):
        assert _step(_page({"s_step": bad})) == "Step 1 of 7 · Where we stand"


def test_a_control_moved_in_a_step_keeps_its_page_url_name_and_feeds_the_decisions(app_sample_db):
    at = _page({"s_step": "4"})
    at = _run(at.button(key="w_preset_halfway").click())
    halfway = _headline_money(at)
    assert halfway > 0
    assert float(_param(at, "w_t_e_billing")[0]) == pytest.approx(50.0, abs=0.01)
    for _ in range(3):
        at = _run(at.button(key="s_next_top").click())
    assert _step(at) == "Step 7 of 7 · Decisions"
    shown = _metrics(at)["Savings at the What-if sliders"]
    assert shown.startswith("$") and shown.endswith("K")
    assert float(shown[1:-1]) == pytest.approx(halfway / 1000, abs=0.01)


def test_a_note_is_saved_with_the_dataset_and_shown_in_a_fresh_session(app_sample_db):
    at = _page({"s_step": "2"})
    box = at.text_area(key="s_note:sample:journey")
    assert box.value == "" and box.label == "Notes"
    at = _run(box.input("Complaints wait too long.\nAsk Ana for the SLA data."))
    assert _note(app_sample_db, "journey") == "Complaints wait too long.\nAsk Ana for the SLA data."
    assert _note(app_sample_db, "where_we_stand") is None
    fresh = _page({"s_step": "2"})
    assert fresh.text_area(key="s_note:sample:journey").value == "Complaints wait too long.\nAsk Ana for the SLA data."
    other = _page({"s_step": "3"})
    assert other.text_area(key="s_note:sample:behaviours").value == ""


def test_notes_are_plain_text_never_markdown_or_html(app_sample_db):
    note = "<b>x</b> **not bold** [link](https://example.com) :red[no colour] $x^2$"
    _set_notes(app_sample_db, {"where_we_stand": note, "decisions": "- <i>Act</i>\n- Second"})
    at = _page({"s_step": "1", "present": "1"})
    assert note in _texts(at)
    assert not any("<b>" in m.value for m in at.markdown)
    at = _page({"s_step": "7", "present": "1"})
    assert note in _texts(at)
    assert "1. <i>Act</i>\n2. Second" in _texts(at)
    at = _page({"s_step": "1"})
    assert at.text_area(key="s_note:sample:where_we_stand").value == note


def test_presentation_mode_shows_notes_read_only_and_keeps_previous_and_next(app_sample_db):
    _set_notes(app_sample_db, {"journey": "Billing is where it hurts."})
    at = _page({"s_step": "2", "present": "1"})
    assert len(at.text_area) == 0, "no editing in presentation mode"
    assert "Billing is where it hurts." in _texts(at)
    assert not [b for b in at.button if b.key and b.key.startswith("j_save")]
    assert {"s_prev_top", "s_next_top", "s_prev_bottom", "s_next_bottom"} <= {b.key for b in at.button}
    at = _run(at.button(key="s_next_top").click())
    assert _step(at) == "Step 3 of 7 · Perfect behaviours"
    assert _param(at, "present") == ["1"] and _param(at, "s_step") == ["3"]
    at = _run(at.button(key="s_prev_bottom").click())
    assert _step(at) == "Step 2 of 7 · Journey pain points"
    at = _page({"s_step": "5", "present": "1"})
    assert not [e for e in at.expander if "Definition" in e.label]  # the definition editor stays out
    at = _page({"s_step": "7", "present": "1"})
    assert "No decisions written yet." in [c.value for c in at.caption]


def test_the_report_holds_the_step_its_charts_and_every_note(app_sample_db):
    _set_notes(app_sample_db, {"journey": "Complaints <script>x</script>", "decisions": "Fix the SLA"})
    at = _page({"s_step": "2"})
    html = at.session_state["_page_report"].to_html()
    assert "Step 2 of 7 · Journey pain points" in html
    assert "Complaints &lt;script&gt;x&lt;/script&gt;" in html and "<script>x</script>" not in html
    assert html.count("class='figure'") == 1  # the journey map
    at = _page({"s_step": "7"})
    html = at.session_state["_page_report"].to_html()
    assert "Notes: 2 · Journey pain points" in html and "Fix the SLA" in html
    assert html.count("class='kpi'") == 9


def test_a_dataset_without_touchpoints_or_transactions_walks_through_every_step(tmp_path, monkeypatch):
    from tests.conftest import _clear_streamlit_caches

    _clear_streamlit_caches()
    store = Store(tmp_path / "customers-only.duckdb")
    store.publish("customers only", {"customers": tiny_tables()["customers"]})
    store.close()
    monkeypatch.setenv("CXLENS_DB", str(tmp_path / "customers-only.duckdb"))
    monkeypatch.setenv("CXLENS_UPLOAD_DIR", str(tmp_path / "uploads"))
    monkeypatch.setenv("CXLENS_NO_SAMPLE", "1")
    infos = {}
    for number in range(1, 8):
        at = _page({"s_step": str(number)})
        assert _step(at).startswith(f"Step {number} of 7")
        infos[number] = " ".join(i.value for i in at.info)
    assert "no monthly trend" in infos[1]
    assert "no touchpoints" in infos[2]
    assert "Lifetime value needs transactions" in infos[5]
    at = _run(at.text_area(key="s_note:customers only:decisions").input("Get the billing extract"))
    store = Store(tmp_path / "customers-only.duckdb")
    assert store.get_setting("customers only", "story.notes.decisions") == "Get the billing extract"
    store.close()


@pytest.fixture(scope="module")
def tiny_defection_file(tmp_path_factory) -> Path:
    from tests.tiny_defection import publish_tiny

    path = tmp_path_factory.mktemp("stiny") / "tiny.duckdb"
    store = Store(path)
    publish_tiny(store)  # saved definitions: a 90-day lapse, as tests/test_app_money.py's hand-worked figures assume
    store.close()
    return path


def _story_money(at: AppTest) -> dict[str, str]:
    """Lifetime value and revenue at risk as steps 4, 5 and 7 show them (step 4 picked, then Next)."""
    at.switch_page(PAGE)
    at = _run(at)
    at = _run(at.button_group(key="w:s_step").set_value(4))
    assert _step(at) == "Step 4 of 7 · What-if"
    shown = {"4 lifetime value": f"{at.number_input(key='w:w_ltv').value:.2f}"}
    at = _run(at.button(key="s_next_top").click())
    assert _step(at) == "Step 5 of 7 · Defection"
    step5 = _metrics(at)
    shown |= {"5 lifetime value": step5["Lifetime value per customer"], "5 revenue at risk": step5["Revenue at risk"]}
    shown["5 says"] = " ".join(c.value for c in at.caption)
    for _ in range(2):
        at = _run(at.button(key="s_next_top").click())
    assert _step(at) == "Step 7 of 7 · Decisions"
    shown["7 revenue at risk"] = _metrics(at)["Revenue at risk"]
    return shown


def test_unsaved_defection_controls_never_reach_the_story_or_what_if(tiny_defection_file, tmp_path, monkeypatch):
    # tiny defection data (tests/test_app_money.py): current customers spend 2,459.43 a year, the data measure 1.7
    # years, so at the default 30 % margin and 10 % discount the lifetime value is 2,459.43 × 30 % × 1.49582 = $1,104
    from tests.conftest import use_copy

    use_copy(tiny_defection_file, tmp_path, monkeypatch)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.query_params["ds"] = "tiny"
    before = _story_money(at)
    value = tiny_lifetime_value(defection_tables(), DEFINITIONS.lapse_days)  # worked with pandas: 1,103.66
    assert before["4 lifetime value"] == f"{value:.2f}" and before["5 lifetime value"] == f"${value:,.0f}" == "$1,104"
    assert before["5 revenue at risk"] == before["7 revenue at risk"]
    assert "saved definition" in before["5 says"] and "unsaved changes" not in before["5 says"]

    at.switch_page("pages/5_Defection.py")
    at.query_params["d_tab"] = "What it costs"  # the tab with the lifetime-value controls
    at = _run(at)
    at = _run(at.number_input(key="w:d_years").set_value(10.0))  # unsaved: the Defection page only
    at = _run(at.number_input(key="w:d_discount").set_value(0.0))
    undiscounted = tiny_lifetime_value(defection_tables(), DEFINITIONS.lapse_days, discount=0.0, years=10.0)
    assert _metrics(at)["Lifetime value per customer"] == f"${undiscounted:,.0f}" == "$7,378"  # 2,459.43 × 30 % × 10
    at = _run(at.toggle(key="w:d_lapse").set_value(False))  # and the definition: other customers count as current
    assert _metrics(at)["Lifetime value per customer"] != f"${undiscounted:,.0f}"
    assert any(c.value.startswith(":material/edit_note: **Unsaved changes:**") for c in at.caption)

    after = _story_money(at)
    assert {k: v for k, v in after.items() if k != "5 says"} == {k: v for k, v in before.items() if k != "5 says"}
    assert "The Defection page has unsaved changes" in after["5 says"]
    at.switch_page("pages/4_What-if.py")
    at = _run(at)
    assert at.number_input(key="w:w_ltv").value == pytest.approx(1103.66, abs=0.01)


def _tiles(at: AppTest) -> dict[str, tuple[str, str, str]]:
    from streamlit.proto.Metric_pb2 import Metric

    return {m.label: (m.value, m.proto.delta, Metric.MetricColor.Name(m.proto.color) if m.proto.delta else "") for m in at.metric}


def test_the_decisions_tiles_show_the_change_against_the_earlier_period_as_the_pages_do(app_tiny_db):
    at = _page({"s_step": "7", "period": "2024-03..2024-03"})
    tiles = _tiles(at)
    # hand-worked in tests/test_compare.py: revenue 730 in March against 700 in February, same customers; a higher cost
    # to serve ($30 against $22.50) is worse, so red
    assert tiles["Revenue"][1:] == ("+$30.00", "GREEN")
    assert tiles["Customers"][1] == "0"
    assert tiles["Cost to serve"][1:] == ("+$7.50", "RED")
    assert {m.label: m.proto.delta_description for m in at.metric}["Revenue"] == "vs Feb 2024"
    html = at.session_state["_page_report"].to_html()
    assert "Change vs Feb 2024: +$30.00." in html
    # one way: the same changes as step 1 (the Overview tiles) and the Behaviours page's savings potential
    step1 = _tiles(_page({"s_step": "1", "period": "2024-03..2024-03"}))
    for label in ("Customers", "Churn rate", "Revenue", "Cost to serve"):
        assert tiles[label] == step1[label], label
    at.switch_page("pages/3_Behaviours.py")
    behaviours_page = _tiles(_run(at))
    assert tiles["Savings potential a year"] == behaviours_page["Savings potential a year"]
    # the figures as of the last day (at risk) have no change, as on the Defection page
    assert tiles["At risk now"][1] == "" and tiles["Savings at the What-if sliders"][1] == ""


def test_the_decisions_tiles_say_why_there_is_no_change(app_tiny_db):
    at = _page({"s_step": "7"})  # all three months: the three before are not in the data
    assert all(not m.proto.delta for m in at.metric)
    assert "No change shown: the data starts in Jan 2024, so it does not cover Oct 2023 to Dec 2023." in [
        c.value for c in at.caption
    ]
