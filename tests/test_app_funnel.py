"""The Funnel page through AppTest: every control, the URL state, the editors and presentation mode.

Figures on the hand-made dataset (tests/funnel_tiny.py) are worked out in tests/test_funnel_metrics.py."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from dashboard.metrics import money
from dashboard.metrics.funnel import stages
from dashboard.store import Store
from dashboard.ui import cache
from tests.conftest import use_copy
from tests.funnel_tiny import funnel_tables

ROOT = Path(__file__).resolve().parent.parent
PAGE = "pages/2_Funnel.py"


@pytest.fixture(scope="module")
def funnel_db_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("fndb") / "fn.duckdb"
    store = Store(path)
    store.publish("fn", funnel_tables())
    with_stage = funnel_tables()
    with_stage["customers"]["stage"] = ["Member", "Lapsing", None, "Lead", "Champion", "VIP", "loyal", None, "lead", "new"]
    store.publish("staged", with_stage)
    store.publish("customers only", {"customers": funnel_tables()["customers"]})
    no_leads = funnel_tables()
    no_leads["customers"] = no_leads["customers"][~no_leads["customers"]["customer_id"].isin(["P", "Q"])]
    store.publish("no leads", no_leads)
    store.close()
    return path


@pytest.fixture
def app_funnel_db(funnel_db_file, tmp_path, monkeypatch) -> Path:
    return use_copy(funnel_db_file, tmp_path, monkeypatch)


def _page(ds: str | None = "fn", **params: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.switch_page(PAGE)
    if ds:
        at.query_params["ds"] = ds
    for name, value in params.items():
        at.query_params[name] = value
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _store() -> Store:
    """The app's own store (a second connection to the file would need the same configuration)."""
    return cache.get_store()


def _param(at: AppTest, name: str) -> list[str]:
    value = at.query_params.get(name, [])
    return [value] if isinstance(value, str) else list(value)


def _decode(value):
    """Plotly JSON with typed arrays ({"dtype", "bdata"}) turned back into lists."""
    if isinstance(value, dict) and "bdata" in value and "dtype" in value:
        return np.frombuffer(base64.b64decode(value["bdata"]), dtype=np.dtype(value["dtype"])).tolist()
    if isinstance(value, dict):
        return {k: _decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decode(v) for v in value]
    return value


def _charts(at: AppTest) -> list[dict]:
    return [_decode(json.loads(chart.proto.spec)) for chart in at.get("plotly_chart")]


def _titles(at: AppTest) -> list[str]:
    return [c["layout"].get("title", {}).get("text", "") for c in _charts(at)]


def _tiles(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def _open(at: AppTest, tab: str) -> AppTest:
    at.session_state["f_tab"] = tab
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_funnel_tab_on_the_sample(app_sample_db):
    at = _page("sample")
    # the funnel and the stages now; the breakdown, the cohorts and the list wait closed until opened
    assert _titles(at) == ["Reached each stage (or a higher one)", "In each stage now"]
    assert [e.label for e in at.expander if e.label.startswith("**")] == [
        "**By segment or region**: the stages of each segment or region",
        "**Cohorts by signup month**: how soon each month's signups reached a stage",
        "**Customers in a stage**: who they are, and every one as CSV or Excel",
    ]
    opened = _page("sample", f_breakdown="true", f_cohorts="true")
    titles = _titles(opened)
    assert titles[2:] == ["Stages by segment", "Share of each signup month that reached first purchase"]
    funnel_chart = _charts(at)[0]["data"][0]
    assert funnel_chart["y"] == ["prospect", "first purchase", "repeat", "loyal", "advocate"]
    assert funnel_chart["x"][0] == 20_000
    assert [t.label for t in at.tabs] == ["Funnel", "Sales funnel", "Movement", "Economics", "Stage rules"]
    assert any("How customers are put in stages" in e.label for e in at.expander)
    # the customers in a stage, once their expander is open: only the rows on screen are sent, the download holds them all
    assert not at.dataframe
    at = _page("sample", f_list="true")
    assert len(at.dataframe[0].value) == 100
    assert any("showing the first 100 by customer id" in c.value for c in at.caption)


def test_breakdown_by_region(app_funnel_db):
    closed = _page()
    assert not closed.radio and "Stages by segment" not in _titles(closed)  # runs only while its expander is open
    at = _page(f_breakdown="true")
    at.radio(key="w:f_by").set_value("region").run()
    assert "Stages by region" in _titles(at)
    bars = next(c for c in _charts(at) if c["layout"]["title"]["text"] == "Stages by region")
    assert bars["data"][0]["y"] == ["North", "South"]
    assert _param(at, "f_by") == ["region"]


def test_cohort_target(app_funnel_db):
    assert not any(s.key == "w:f_cohort" for s in _page().selectbox)  # closed: no picker, no query
    at = _page(f_cohorts="true")
    at.selectbox(key="w:f_cohort").set_value("repeat").run()
    assert "Share of each signup month that reached repeat" in _titles(at)
    assert _param(at, "f_cohort") == ["repeat"]


def test_a_link_made_before_the_expanders_opens_the_section_its_controls_belong_to(app_funnel_db):
    """A link from before the breakdown, cohorts and list were expanders carries their controls but not the expander's
    own name: it opens each section whose control it carries, with that control's value."""
    at = _page(f_by="region", f_cohort="repeat")
    assert _titles(at)[2:] == ["Stages by region", "Share of each signup month that reached repeat"]
    assert not at.dataframe  # the list's own control (f_stage) is not in this link: it stays closed
    listed = _page(f_stage="prospect")
    assert listed.dataframe[0].value["customer_id"].tolist() == ["P", "Q"]


def test_stage_drill_down(app_funnel_db):
    closed = _page()
    assert not closed.dataframe and "f_list" not in closed.query_params  # the list runs only while its expander is open
    at = _page(f_list="true")
    at.selectbox(key="w:f_stage").set_value("at_risk").run()
    table = at.dataframe[0].value
    assert table["customer_id"].tolist() == ["C", "D", "M"]
    assert any("3 customers in at risk" in c.value for c in at.caption)
    at.selectbox(key="w:f_stage").set_value("prospect").run()
    assert at.dataframe[0].value["customer_id"].tolist() == ["P", "Q"]
    assert _param(at, "f_stage") == ["prospect"]
    labels = [b.label for b in at.get("download_button")]
    assert "Download all CSV" in labels and "Download all Excel" in labels


def test_segment_filter_and_months_change_the_funnel(app_funnel_db):
    at = _page(segment="Business", period="2024-01..2024-01")
    now = next(c for c in _charts(at) if c["layout"]["title"]["text"] == "In each stage now")["data"][0]
    counts = dict(zip(now["y"], now["x"], strict=True))
    # Business customers at the end of January 2024: X repeat, C loyal, A advocate
    assert (counts["repeat"], counts["loyal"], counts["advocate"], counts["prospect"]) == (1, 1, 1, 0)


def test_sales_funnel_window(app_funnel_db):
    at = _open(_page(), "Sales funnel")
    assert _tiles(at)["Converted within 90 days"] == "60.0 %"  # U, G, M of U, G, P, Q, M (N is inside its window)
    at.select_slider(key="w:f_window").set_value(30).run()
    tiles = _tiles(at)
    assert tiles["Leads with a closed window"] == "6"
    assert tiles["Converted within 30 days"] == "66.7 %"
    assert tiles["Median days to first order"] == "4"  # 3.5 shown without decimals
    assert _param(at, "f_window") == ["30"]


def test_sales_funnel_without_prospects(app_funnel_db):
    at = _open(_page("no leads"), "Sales funnel")
    assert "no prospects" in at.info[0].value
    assert not at.get("plotly_chart")


def test_movement_dates_and_cell(app_funnel_db):
    at = _open(_page(), "Movement")
    # January to December (the default): U and G moved up; A stayed; X, D and C moved down; P, Q, N and M are new
    assert _tiles(at) == {"Moved up": "2", "Stayed": "1", "Moved down": "3", "New since the first date": "4"}
    at.select_slider(key="w:f_move").set_value(("2024-06", "2024-12")).run()
    assert not at.exception
    # June to December: U repeat -> loyal, G repeat -> repeat, D and C loyal -> at risk, A stays, X stays defected,
    # P prospect -> prospect; Q, N and M are new
    assert _tiles(at) == {"Moved up": "1", "Stayed": "4", "Moved down": "2", "New since the first date": "3"}
    assert _param(at, "f_move") == ["2024-06..2024-12"]
    at.selectbox(key="w:f_from").set_value("loyal").run()
    at.selectbox(key="w:f_to").set_value("at_risk").run()
    assert at.dataframe[0].value["customer_id"].tolist() == ["C", "D"]
    at.selectbox(key="w:f_from").set_value("new").run()
    at.selectbox(key="w:f_to").set_value("prospect").run()
    assert at.dataframe[0].value["customer_id"].tolist() == ["Q"]  # P signed up in March, before June
    assert (_param(at, "f_from"), _param(at, "f_to")) == (["new"], ["prospect"])
    assert "Median time in each stage" in _titles(at)


def test_economics_window_and_checks(app_funnel_db):
    at = _open(_page(), "Economics")
    at.radio(key="w:f_econ").set_value(3).run()
    tiles = _tiles(at)
    deltas = {m.label: m.delta for m in at.metric}
    # see test_five_checks_against_the_previous_three_months: spend 280 -> 200, marketing 90 -> 150
    assert (tiles["Spend up?"], deltas["Spend up?"]) == ("$200", "-$80.00 · no")
    assert (tiles["Marketing down?"], deltas["Marketing down?"]) == ("$150", "+$60.00 · no")
    assert (tiles["Retention up?"], deltas["Retention up?"]) == ("100.00 %", "+0.0 pts · unchanged")
    assert _param(at, "f_econ") == ["3"]
    table = at.dataframe[0].value.set_index("Stage")
    assert table.loc["repeat", "Spend per customer"] == "$300"
    assert table.loc["advocate", "Direct cost to serve"] == "$16.50"


def test_cost_settings_are_saved_and_restored(app_funnel_db):
    at = _open(_page(f_econ="3"), "Economics")
    at.number_input(key="f_set_cost_phone").set_value(3.5)
    next(b for b in at.button if b.label == "Save costs").click().run()
    assert not at.exception
    assert any("Costs saved" in s.value for s in at.success)
    table = at.dataframe[0].value.set_index("Stage")
    assert table.loc["advocate", "Direct cost to serve"] == "$6.50"  # 3 purchases at $1 + the call at $3.50
    assert table.loc["advocate", "Margin"] == "$83.50"  # $300 x the default 30 % - $6.50
    # the margin is the dataset's one margin, set in the sidebar (shared with Defection and What-if)
    at.sidebar.number_input(key="money_margin_pct_fn").set_value(50.0)
    at.button(key="money_margin_save").click().run()
    assert not at.exception
    table = at.dataframe[0].value.set_index("Stage")
    assert table.loc["advocate", "Margin"] == "$144"  # $300 x 50 % - $6.50
    assert _store().get_setting("fn", money.SETTING_MARGIN) == 0.5
    at.button(key="f_reset_costs").click().run()
    assert at.dataframe[0].value.set_index("Stage").loc["advocate", "Direct cost to serve"] == "$16.50"


def test_rename_and_reorder_stages(app_funnel_db):
    at = _open(_page(), "Stage rules")
    at.text_input(key="f_set_name_loyal").set_value("Regular")
    at.selectbox(key="f_set_order_2").set_value("advocate")
    at.selectbox(key="f_set_order_3").set_value("loyal")
    next(b for b in at.button if b.label == "Save names and order").click().run()
    assert not at.exception
    assert any("saved" in s.value for s in at.success)
    model = stages.load_model(_store(), "fn")
    assert model.names == ("prospect", "first purchase", "repeat", "advocate", "Regular", "at risk", "defected")
    at = _open(at, "Funnel")
    funnel_chart = _charts(at)[0]["data"][0]
    assert funnel_chart["y"] == ["prospect", "first purchase", "repeat", "advocate", "Regular"]


def test_duplicate_names_are_refused(app_funnel_db):
    at = _open(_page(), "Stage rules")
    at.text_input(key="f_set_name_loyal").set_value("Repeat")
    next(b for b in at.button if b.label == "Save names and order").click().run()
    assert any("must differ" in e.value for e in at.error)
    assert stages.load_model(_store(), "fn") == stages.DEFAULT_MODEL


def test_edit_rules_and_restore_the_defaults(app_funnel_db):
    at = _open(_page(f_list="true"), "Stage rules")
    at.number_input(key="f_set_loyal_purchases").set_value(6)
    at.number_input(key="f_set_loyal_tenure_days").set_value(0)
    at.radio(key="f_set_repeat_join").set_value("and")
    at.selectbox(key="f_set_advocate_from").set_value("repeat")
    at.checkbox(key="f_set_defected_on_churn").uncheck()
    next(b for b in at.button if b.label == "Save rules").click().run()
    assert not at.exception
    rules = stages.load_model(_store(), "fn").rules
    assert (rules.loyal_purchases, rules.loyal_tenure_days, rules.repeat_join, rules.advocate_from) == (6, 0, "and", "repeat")
    assert rules.defected_on_churn is False
    words = at.expander[0].markdown[0].value
    assert "**loyal**: At least 6 purchases\\." in words and "**defected**: No purchase for more than 365 days" in words
    at = _open(at, "Funnel")
    at.selectbox(key="w:f_stage").set_value("loyal").run()
    # loyal now needs 6 purchases: U and G; D and C (at risk) and A (advocate) stay where they were
    assert at.dataframe[0].value["customer_id"].tolist() == ["G", "U"]
    at = _open(at, "Stage rules")
    at.button(key="f_reset_model").click().run()
    assert stages.load_model(_store(), "fn") == stages.DEFAULT_MODEL


def test_invalid_rules_are_not_saved(app_funnel_db):
    at = _open(_page(), "Stage rules")
    # the at-risk days cannot go below the staged window's 14 (the control's minimum); defected before at risk is refused
    assert at.number_input(key="f_set_at_risk_days").min == stages.MIN_GAP_DAYS == 14
    at.number_input(key="f_set_at_risk_days").set_value(120)
    at.number_input(key="f_set_at_risk_complaints").set_value(0)
    at.number_input(key="f_set_at_risk_complaint_days").set_value(30)
    at.number_input(key="f_set_defected_days").set_value(100)
    at.number_input(key="f_set_repeat_purchases").set_value(3)
    at.number_input(key="f_set_repeat_tenure_days").set_value(60)
    at.number_input(key="f_set_advocate_referrals").set_value(2)
    next(b for b in at.button if b.label == "Save rules").click().run()
    assert any("longer to count as defected" in e.value for e in at.error)
    assert stages.load_model(_store(), "fn") == stages.DEFAULT_MODEL


def test_stage_column_source_and_unmatched_labels(app_funnel_db):
    at = _open(_page("staged"), "Stage rules")
    assert any("match no stage name" in w.value for w in at.warning)
    at.radio(key="f_set_source").set_value("rules")
    next(b for b in at.button if b.label == "Save names and order").click().run()
    assert stages.load_model(_store(), "staged").source == "rules"
    assert not at.warning


def test_url_state_is_restored_and_bad_values_fall_back(app_funnel_db):
    at = _page(f_tab="Movement", f_move="2024-03..2024-09", f_from="repeat", f_to="defected")
    assert at.select_slider(key="w:f_move").value == ("2024-03", "2024-09")
    assert at.dataframe[0].value["customer_id"].tolist() == ["X"]
    bad = _page(
        f_list="true",
        f_breakdown="true",
        f_cohorts="true",
        f_tab="Nope",
        f_by="<script>",
        f_stage="owner",
        f_cohort="x",
        f_window="13",
        f_move="2031-01..1999-01",
    )
    assert bad.radio(key="w:f_by").value == "segment"
    assert bad.selectbox(key="w:f_stage").value == "at_risk"
    assert bad.selectbox(key="w:f_cohort").value == "first_purchase"
    movement = _open(bad, "Movement")
    assert movement.select_slider(key="w:f_move").value == ("2024-01", "2024-12")
    sales = _open(movement, "Sales funnel")
    assert sales.select_slider(key="w:f_window").value == 90


def test_presentation_mode_leaves_the_editors_out(app_funnel_db):
    at = _page(present="1")
    assert "Stage rules" not in [t.label for t in at.tabs]
    at = _open(at, "Economics")
    assert not [n for n in at.number_input if n.key and n.key.startswith("f_set_")]


def test_the_page_report_holds_the_checks_and_the_table(app_funnel_db):
    at = _open(_page(f_econ="3"), "Economics")
    page = at.session_state["_page_report"].to_html()
    assert "CX Lens · Funnel" in page
    assert "The five checks: Oct 2024 to Dec 2024 against Jul 2024 to Sep 2024" in page
    assert "Spend up?" in page and "-$80.00 · no" in page
    assert "What each stage is worth" in page
    assert page.count('class="plotly-graph-div"') == 1


def test_every_tab_works_on_customers_alone(app_funnel_db):
    at = _page("customers only")
    assert _charts(at)[0]["data"][0]["x"][0] == 10
    for tab in ("Sales funnel", "Movement", "Economics", "Stage rules"):
        at = _open(at, tab)
    sales = _open(at, "Sales funnel")
    assert "needs transactions" in sales.info[0].value
    words = _open(at, "Stage rules").expander[0].markdown[0].value
    assert "no transactions" in words
