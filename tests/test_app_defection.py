"""The Defection page through Streamlit's AppTest: every control changes what it should, and lives in the URL.

Figures on the tiny dataset are those worked out in tests/test_defection_metrics.py: 7 customers; B, C, F
defected (3/7 = 42.86 %; C by its 90-day lapse, a saved staged definition); nobody at risk as staged, D at risk with
the own-baseline drop switched on, E with the badly handled complaint; lifetime value at the default 30 %
margin over the years the data measure, at 10 %.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from benchmarks.reference import staged as staged_reference
from dashboard.store import Store
from tests.conftest import as_read, use_copy
from tests.test_url_state import link_notices
from tests.tiny_defection import DEFINITIONS, defection_tables, publish_tiny, shop_tables
from tests.worked import tiny_lifetime_value

ROOT = Path(__file__).resolve().parent.parent
PAGE = "pages/5_Defection.py"
COSTS_TAB, CALL_TAB = "What it costs", "Who to call"
"""The tabs holding the lifetime-value controls and the at-risk list (only the open tab is drawn)."""


@pytest.fixture(scope="module")
def tiny_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("dtiny") / "tiny.duckdb"
    store = Store(path)
    publish_tiny(store)
    store.publish("shop", shop_tables())
    store.close()
    return path


@pytest.fixture
def tiny_db(tiny_file, tmp_path, monkeypatch) -> Path:
    return use_copy(tiny_file, tmp_path, monkeypatch)


def _page(**params: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.switch_page(PAGE)
    for name, value in {"ds": "tiny", **params}.items():
        at.query_params[name] = value
    return at.run()


def _tiles(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def _param(at: AppTest, name: str) -> list[str]:
    value = at.query_params.get(name, [])
    return [value] if isinstance(value, str) else list(value)


def _chart(at: AppTest, title: str) -> dict:
    for chart in at.get("plotly_chart"):
        spec = json.loads(chart.proto.spec)
        if spec["layout"].get("title", {}).get("text") == title:
            return spec
    raise AssertionError(f"no chart titled {title!r}")


def _setting(db: Path, dataset: str, key: str):
    store = Store(db)
    try:
        return store.get_setting(dataset, key)
    finally:
        store.close()


def test_page_draws_the_story_on_the_tiny_dataset(tiny_db):
    at = _page()
    assert not at.exception
    tiles = _tiles(at)
    assert tiles["Defection rate"] == "42.86 %" and tiles["Defected"] == "3" and tiles["At risk now"] == "0"
    assert all(m.help for m in at.metric)
    assert any("3 customers defected" in i.value for i in at.info)
    # BG/NBD is not fitted on 7 customers: the page says why instead of fitting silently
    assert any("No BG/NBD fit" in w.value and "only 6 customers bought more than once" in w.value for w in at.warning)
    assert at.toggle(key="w:d_alive").disabled
    pareto = _chart(_page(d_tab="Why they leave"), "Why customers left (Pareto)")
    assert pareto["data"][0]["x"] == ["(no reason given)", "-Price rise", "Poor complaint handling"]  # C gave none
    assert any("Defected means: churn flag set" in c.value and "90 days" in c.value for c in at.caption)
    assert any("No customer matches" in i.value for i in _page(d_tab=CALL_TAB).info)  # nobody staged at risk: no list
    listed = _page(d_tab=CALL_TAB, d_show="left")
    assert sorted(b.proto.id.split("-")[-1] for b in listed.get("download_button") if "d_download" in b.proto.id) == [
        "d_download_csv",
        "d_download_xlsx",
    ]
    # the page writes no figure for other pages to read: What-if works out its own from the saved settings
    assert _setting(tiny_db, "tiny", "defection.lifetime_value") is None


def test_rule_toggles_change_the_figures_and_the_url(tiny_db):
    at = _page()
    at.toggle(key="w:d_contract").set_value(False).run()
    # B and F left by their churn dates, which no longer count: only C, by its lapse, has defected
    assert _tiles(at)["Defected"] == "1" and _tiles(at)["At risk now"] == "0"
    assert _param(at, "d_contract") == ["0"]
    at.toggle(key="w:d_contract").set_value(True).run()
    at.toggle(key="w:d_lapse").set_value(False).run()
    assert _tiles(at)["Defection rate"] == "28.57 %"  # B and F of 7; C no longer defected
    # C is no longer defected, but its 90-day gap still keeps it out of the staged at risk, and no warning rule is on
    assert _tiles(at)["At risk now"] == "0"
    at.toggle(key="w:d_lapse").set_value(True).run()
    at.toggle(key="w:d_drop").set_value(True).run()
    assert _tiles(at)["At risk now"] == "1"  # D dropped (B and C dropped too, but have left)
    at.toggle(key="w:d_drop").set_value(False).run()
    at.toggle(key="w:d_complaint").set_value(True).run()
    assert _tiles(at)["At risk now"] == "1"  # E's unresolved complaint
    assert not at.exception


def test_rule_parameters_change_the_figures(tiny_db):
    at = _page(d_drop="1", d_complaint="1", d_tab="Why they leave")
    assert _tiles(at)["At risk now"] == "2"  # D dropped, E complained
    at.slider(key="w:d_drop_pct").set_value(30).run()
    assert _tiles(at)["At risk now"] == "1" and _param(at, "d_drop_pct") == ["30"]  # D's 0.33 > 0.3 × 0.94
    at.slider(key="w:d_drop_pct").set_value(50).run()
    at.number_input(key="w:d_base").set_value(1).run()
    # one month of baseline holds fewer than 2 purchases for everyone: nobody is judged on a drop; E complained
    assert _tiles(at)["At risk now"] == "1"
    at.number_input(key="w:d_base").set_value(12).run()
    at.number_input(key="w:d_recent").set_value(1).run()
    # last month: D bought nothing (C too, but has left); A, E, G bought once as usual
    assert _tiles(at)["At risk now"] == "2" and _param(at, "d_recent") == ["1"]
    at.number_input(key="w:d_cdays").set_value(2).run()
    assert _tiles(at)["At risk now"] == "1"  # E's complaint of 1 Dec is outside the last 2 days
    at.number_input(key="w:d_cdays").set_value(365).run()
    assert _tiles(at)["At risk now"] == "3"  # A's repeated April complaint now counts: A, D, E
    before = _chart(at, "Defection by how complaints were handled")["data"][0]["x"]
    at.number_input(key="w:d_sla").set_value(12.0).run()
    after = _chart(at, "Defection by how complaints were handled")["data"][0]["x"]
    assert "Resolved slowly" in before and "Resolved slowly" not in after  # F's 10-day complaint is now on time
    assert not at.exception


def test_saving_the_definition_stores_it_for_the_dataset(tiny_db):
    at = _page()
    assert not [b for b in at.button if b.key == "d_save"]  # nothing to save before a change
    at.toggle(key="w:d_drop").set_value(True).run()
    at.button(key="d_save").click().run()
    assert _setting(tiny_db, "tiny", "defection.definition")["drop"] is True
    assert "d_drop" not in at.query_params  # the saved value is now the default
    assert at.toggle(key="w:d_drop").value
    at.toggle(key="w:d_drop").set_value(False).run()
    at.button(key="d_revert").click().run()
    assert at.toggle(key="w:d_drop").value and _tiles(at)["At risk now"] == "1"  # D


def test_valuation_controls(tiny_db):
    at = _page(d_tab=COSTS_TAB)

    # mean annual spend of A, D, E, G 2,459.43 × the default 30 % margin × annuity(1.7 years measured, 10 %) 1.49582,
    # worked with pandas from the tiny files (tests/worked.py): 3 dated defections (B, F, C's lapse on 14 Dec) over
    # 1,895 customer-days = 57.8 % a year, so 1 ÷ 0.578 = 1.7 years
    def ltv(**valuation) -> str:
        return f"${tiny_lifetime_value(defection_tables(), DEFINITIONS.lapse_days, **valuation):,.0f}"

    assert _tiles(at)["Lifetime value per customer"] == ltv() == "$1,104"
    assert at.number_input(key="w:d_years").value == 1.7
    basis = as_read([next(c.value for c in at.caption if c.value.startswith("**Money basis:**"))])
    assert "30 % margin (default 30 %, not yet set for this dataset" in basis
    assert "1.7 expected years (measured: customers defect at 57.8 % a year" in basis
    at.number_input(key="w:d_discount").set_value(0.0).run()
    # undiscounted: 2,459.43 × 30 % × 1.7 years
    assert _tiles(at)["Lifetime value per customer"] == ltv(discount=0.0) == "$1,254"
    at.number_input(key="w:d_years").set_value(5.0).run()
    assert _tiles(at)["Lifetime value per customer"] == ltv(discount=0.0, years=5.0) == "$3,689"  # 2,459.43 × 30 % × 5
    assert _param(at, "d_years") == ["5.0"]
    assert "entered on this page, not saved" in as_read(c.value for c in at.caption)
    assert not [n for n in at.number_input if n.key == "w:d_margin"]  # the margin is set once, in the sidebar
    assert at.radio(key="w:d_method").options == ["Simple: annual margin × years"]  # no fit, no probabilistic method


def test_probabilistic_method_and_alive_rule_on_a_fitted_shop(tiny_db):
    at = _page(ds="shop", d_tab=COSTS_TAB)
    assert not at.exception
    assert not at.toggle(key="w:d_alive").disabled
    # opens on the staged at risk: no purchase for more than 90 days, but not the 365 that make a lapse
    store = Store(tiny_db)
    try:
        with store.cursor() as cur:
            table = store.active_version("shop").table("stg_customers")
            staged_risk = cur.execute(f"select count(*) from {table} where at_risk").fetchall()[0][0]
    finally:
        store.close()
    at_risk = _tiles(at)["At risk now"]
    assert at_risk == f"{staged_risk:,}" and staged_risk > 0
    at.toggle(key="w:d_alive").set_value(True).run()
    at.slider(key="w:d_alive_pct").set_value(95).run()
    # a probability alive below 95 % adds buyers who still bought recently
    assert int(_tiles(at)["At risk now"]) > staged_risk and _param(at, "d_alive_pct") == ["95"]
    at.radio(key="w:d_method").set_value("bgnbd").run()
    simple_free = _tiles(at)["Lifetime value per customer"]
    assert _param(at, "d_method") == ["bgnbd"]
    assert any(e.label.startswith("Model parameters") for e in at.expander)
    at.slider(key="w:d_horizon").set_value(2).run()
    assert _tiles(at)["Lifetime value per customer"] != simple_free and _param(at, "d_horizon") == ["2"]
    assert at_risk and not at.exception


def test_silent_multiplier_is_an_editable_assumption(tiny_db):
    at = _page(d_tab="Why they leave")
    # 4 complainers × 26 = 104, but only 7 - 4 = 3 customers did not complain: the figure stops at 3, said in a line
    assert any("about **3** more" in m.value for m in at.markdown)
    assert any("26 for each complainer would be 104" in c.value for c in at.caption)
    assert not [w for w in at.warning if "complain" in w.value], [w.value for w in at.warning]
    at.number_input(key="w:d_silent").set_value(1).run()
    # 4 × 1 = 4, still more than the 3 who did not complain
    assert any("about **3** more" in m.value for m in at.markdown) and _param(at, "d_silent") == ["1"]
    assert any("1 for each complainer would be 4" in c.value for c in at.caption)
    iceberg = _chart(at, "Customers with a problem: those who told us and those who did not")
    assert iceberg["data"][0]["x"] == [3, 4]
    at.button(key="d_save_silent").click().run()
    assert _setting(tiny_db, "tiny", "defection.silent_per_complaint") == 1


def test_list_controls_choose_and_sort_the_customers(tiny_db):
    at = _page(d_drop="1", d_complaint="1", d_tab=CALL_TAB)
    table = at.dataframe[-1].value
    assert table["customer_id"].tolist() == ["D", "E"]  # revenue at risk: D 1,544.67 a year, E 1,093.05
    at.selectbox(key="w:d_show").set_value("left").run()
    # those who left by the value they had: C 2,546.51, F 1,203.30, B 659.64 a year
    assert at.dataframe[-1].value["customer_id"].tolist() == ["C", "F", "B"] and _param(at, "d_show") == ["left"]
    at.selectbox(key="w:d_sort").set_value("last_purchase").run()
    assert at.dataframe[-1].value["customer_id"].tolist() == ["F", "B", "C"]  # 10 Feb, 15 Jun, 15 Sep
    at.selectbox(key="w:d_show").set_value("all").run()
    assert at.dataframe[-1].value["customer_id"].tolist() == ["F", "B", "C", "D", "E"]
    assert _param(at, "d_sort") == ["last_purchase"]


def test_cohort_control_on_the_sample(app_sample_db, sample_tables):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.switch_page(PAGE)
    at.query_params["d_tab"] = "Retention"
    at.run()
    assert not at.exception
    years = _chart(at, "Retention by signup cohort")
    assert [trace["name"].split(" ")[0] for trace in years["data"]] == ["2023", "2024", "2025"]
    at.segmented_control(key="w:d_cohort").set_value("quarter").run()
    quarters = _chart(at, "Retention by signup cohort")
    assert quarters["data"][0]["name"].startswith("2023 Q1") and len(quarters["data"]) == 12
    assert _param(at, "d_cohort") == ["quarter"]
    # the staged defected, rebuilt with pandas from the raw files (churn label, or no purchase for 365 days)
    frame, _ = staged_reference.customers(sample_tables)
    assert _tiles(at)["Defected"] == f"{int(frame['defected'].fillna(False).sum()):,}"


def test_url_values_are_restored_and_bad_ones_ignored(tiny_db):
    at = _page(d_lapse="0", d_show="left", d_sort="nonsense", d_drop_pct="7000", d_tab=CALL_TAB)
    assert not at.exception
    assert not at.toggle(key="w:d_lapse").value and _tiles(at)["Defection rate"] == "28.57 %"
    assert at.selectbox(key="w:d_show").value == "left"
    assert at.selectbox(key="w:d_sort").value == "revenue_at_risk" and at.slider(key="w:d_drop_pct").value == 50


def test_presentation_mode_leaves_out_the_editors(tiny_db):
    at = _page(present="1", d_lapse="0")
    assert not at.exception
    assert not [t for t in at.toggle if t.key.startswith("w:d_")] and not [b for b in at.button if b.key == "d_save"]
    assert _tiles(at)["Defection rate"] == "28.57 %"  # the URL's definition still applies


def test_switching_dataset_forgets_the_other_datasets_choices(tiny_db):
    at = _page()
    at.toggle(key="w:d_lapse").set_value(False).run()
    at.selectbox(key="w:ds").set_value("shop").run()
    assert not at.exception
    assert at.toggle(key="w:d_lapse").value and "d_lapse" not in at.query_params


def test_page_works_with_customers_only_or_transactions_only(tmp_path, monkeypatch):
    st.cache_data.clear()
    st.cache_resource.clear()
    db = tmp_path / "partial.duckdb"
    store = Store(db)
    store.publish("customers only", {"customers": defection_tables()["customers"]})
    store.publish("purchases only", {"transactions": shop_tables()["transactions"]})
    store.close()
    monkeypatch.setenv("CXLENS_DB", str(db))
    monkeypatch.setenv("CXLENS_UPLOAD_DIR", str(tmp_path / "uploads"))
    monkeypatch.setenv("CXLENS_NO_SAMPLE", "1")
    at = _page(ds="customers only", d_tab=COSTS_TAB)
    assert not at.exception
    # B and F churned of the 7 customers (P is a prospect); no purchases, so no lifetime value and no list to value
    assert _tiles(at)["Defection rate"] == "28.57 %" and _tiles(at)["Revenue at risk"] == "—"
    assert any("Lifetime value needs transactions" in i.value for i in at.info)
    assert at.toggle(key="w:d_lapse").disabled and at.toggle(key="w:d_complaint").disabled
    at = _page(ds="purchases only", d_tab="Why they leave")
    assert not at.exception
    assert at.toggle(key="w:d_contract").disabled and not at.toggle(key="w:d_alive").disabled
    assert any("No churn reasons" in i.value for i in at.info)
    assert int(_tiles(at)["At risk now"].replace(",", "")) > 0


def test_sidebar_filters_apply_to_the_page(tiny_db):
    at = _page()
    at.multiselect(key="w:segment").set_value(["Business"]).run()
    tiles = _tiles(at)
    assert tiles["Defection rate"] == "33.33 %" and tiles["At risk now"] == "0"  # C of C, D, G; nobody staged at risk
    at.select_slider(key="w:period").set_value(("2024-07", "2024-12")).run()
    assert _tiles(at)["Defection rate"] == "33.33 %"  # C lapsed in December; all three were customers then
    assert not at.exception


def test_missing_values_show_as_a_dash_not_the_word_none(tiny_db):
    """A customer without a segment or a stage shows "—" in the list (Streamlit would print None)."""
    at = _page(d_tab=CALL_TAB)
    at.selectbox(key="w:d_show").set_value("all").run()
    table = at.dataframe[-1]
    assert table.value.isna().any().any(), "the tiny list has no missing value to show"
    assert all(frame.proto.placeholder == "—" for frame in at.dataframe)


def test_the_companys_own_lifetime_value_is_shown_beside_the_estimate(tmp_path, monkeypatch):
    st.cache_data.clear()
    st.cache_resource.clear()
    db = tmp_path / "ltv.duckdb"
    tables = defection_tables()
    # A and C are current customers with the company's value (mean 2,000); B left, so its 500 is not counted
    tables["customers"]["lifetime_value"] = [1000.0, 500.0, 3000.0, None, None, None, None, None]
    store = Store(db)
    store.publish("tiny", tables)
    store.close()
    monkeypatch.setenv("CXLENS_DB", str(db))
    monkeypatch.setenv("CXLENS_UPLOAD_DIR", str(tmp_path / "uploads"))
    monkeypatch.setenv("CXLENS_NO_SAMPLE", "1")
    at = _page(d_tab=COSTS_TAB)
    assert not at.exception
    line = next(m.value for m in at.markdown if "company's own lifetime value" in m.value)
    assert "$2,000" in line.replace("\\", "") and "over 2 customers" in line


def test_the_contract_lifetime_value_on_the_sample_and_what_if_takes_it_once_saved(app_sample_db):
    """The sample is contract data with signup dates: the sBG method is offered; chosen, it values customers by the
    renewals still expected; saved, What-if's lifetime value comes from it."""
    at = _page(ds="sample", d_tab=COSTS_TAB)
    assert not at.exception, at.exception
    assert at.radio(key="w:d_method").options[-1] == "Contract: shifted-beta-geometric retention"
    simple = _tiles(at)["Lifetime value per customer"]
    at.radio(key="w:d_method").set_value("sbg").run()
    assert not at.exception, at.exception
    assert _param(at, "d_method") == ["sbg"]
    assert _tiles(at)["Lifetime value per customer"].startswith("$") and _tiles(at)["Lifetime value per customer"] != simple
    assert any("renewals still expected after their tenure" in m.value for m in at.markdown)
    assert "Shifted-beta-geometric retention fitted on every contract" in as_read([c.value for c in at.caption])
    store = Store(app_sample_db)
    try:
        store.set_setting("sample", "defection.valuation", {"method": "sbg", "horizon_years": 10, "discount_pct": 10.0})
    finally:
        store.close()
    whatif = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    whatif.switch_page("pages/4_What-if.py")
    whatif.query_params["ds"] = "sample"
    whatif.run()
    assert not whatif.exception, whatif.exception
    assert "contract retention (shifted-beta-geometric) over 10 years" in as_read(
        [c.value for c in whatif.caption] + [m.value for m in whatif.markdown]
    )


def test_a_link_opens_its_tab_only_the_open_tab_runs_and_an_older_link_keeps_its_controls(tiny_db):
    headers = lambda at: [h.value for h in at.main.header]  # noqa: E731
    first = _page()
    assert headers(first) == ["Who is leaving"] and _param(first, "d_tab") == []  # the first tab stays out of the URL
    costs = _page(d_tab=COSTS_TAB)
    assert headers(costs) == ["What it costs"] and _param(costs, "d_tab") == [COSTS_TAB]
    assert _tiles(costs) == _tiles(first)  # the headline above the tabs is the same whichever tab is open
    assert not [c for c in costs.get("plotly_chart") if "d_chart_monthly" in c.proto.id]  # a closed tab is not drawn
    # a link made before the tabs opens the first tab; the control it carries applies when its tab is opened
    older = _page(d_show="left")
    assert headers(older) == ["Who is leaving"] and _param(older, "d_show") == ["left"]
    assert _page(d_show="left", d_tab=CALL_TAB).selectbox(key="w:d_show").value == "left"
    stale = _page(d_tab="Money")  # a tab name that is not one: the first tab, with the link notice
    assert not stale.exception and headers(stale) == ["Who is leaving"]
    assert any("d_tab" in notice for notice in link_notices(stale))
