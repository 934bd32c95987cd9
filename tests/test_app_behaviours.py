"""The Behaviours page through AppTest: figures on the sample, every control, the catalogue editor, real telco data."""

from __future__ import annotations

import functools
import json
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from benchmarks.reference import behaviours as behaviours_reference
from dashboard.charts import theme
from dashboard.formatting import NumberFormat
from dashboard.metrics.behaviours import adoption as bh
from dashboard.metrics.behaviours.catalogue import default_catalogue
from dashboard.metrics.scope import Filters
from dashboard.store import Store
from dashboard.ui.views.behaviours import ADOPTION_COLUMNS, TAB_KEY, TABS, adoption_display
from tests.conftest import open_page, use_copy
from tests.worked import best_in_class_savings

ROOT = Path(__file__).resolve().parent.parent


EDITOR_OPEN = {"b_edit": "true"}
"""The catalogue editor open: its fields run only while it is."""


def _app(query: dict[str, str] | None = None, tab: str | None = None) -> AppTest:
    """The Behaviours page opened with query, on tab (the first, adoption, when None)."""
    at = open_page("Behaviours", {**(query or {}), **({TAB_KEY: tab} if tab else {})}, run=False)
    return _run(at)


def _run(changed) -> AppTest:
    """Run the app after a widget change (changed: the widget, or the AppTest itself); fail on any exception."""
    at = changed.run()
    assert not at.exception, at.exception
    return at


def _table(at: AppTest, first_column: str, second_column: str | None = None) -> pd.DataFrame:
    for frame in at.dataframe:
        columns = list(frame.value.columns)
        if columns[0] == first_column and (second_column is None or columns[1] == second_column):
            return frame.value
    raise AssertionError(f"no table starting with {first_column!r}")


def _adoption(at: AppTest) -> pd.DataFrame:
    return _table(at, "Behaviour", "Adoption today").set_index("Behaviour")


def _churn(at: AppTest) -> pd.DataFrame:
    return _table(at, "Behaviour", "Customers with it").set_index("Behaviour")


def _metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def _chart_titles(at: AppTest) -> list[str]:
    return [json.loads(c.proto.spec)["layout"].get("title", {}).get("text", "") for c in at.get("plotly_chart")]


def test_the_page_shows_adoption_against_best_in_class_on_the_sample(app_sample_db, sample_tables):
    at = _app()
    # worked with pandas from the sample files (tests/worked.py): Σ 14,236 × (best-in-class − adoption) × saving over
    # the eight behaviours = $443,817.64 (e-billing $106,482.64, no call-centre contact $83,000, smart meter $81,093.60…)
    savings = best_in_class_savings(sample_tables)
    assert round(savings, 2) == 443_817.64
    flags = behaviours_reference.customer_flags(sample_tables, default_catalogue())  # in scope: not defected
    assert _metrics(at) == {
        "Customers in scope": f"{int(flags['in_scope'].sum()):,}",
        "Behaviours measured in the data": "8 of 8",
        "Savings potential a year": f"${savings / 1000:,.2f}K",
    }
    table = _adoption(at)
    # sorted by money: e-billing first, 14,236 x (84 % - 16.00 %) x $11 = $106,483
    assert table.index[0] == "E-billing"
    assert table.loc["E-billing", ["Adoption today", "Best-in-class", "Gap", "Savings potential a year"]].tolist() == [
        "16.00 %",
        "84.0 %",
        "68.0 pts",
        "$106,483",
    ]
    assert table.loc["E-billing", "Figures"].startswith("Source: Article")
    assert table.loc["Smart meter", "Figures"] == "Assumption: replace"
    assert "no customer-started contact on phone" in table.loc["No call-centre contact", "How it is measured"]
    assert [tab.label for tab in at.tabs] == list(TABS)
    # only the open tab draws: adoption by default, each other tab its own charts
    assert _chart_titles(at) == ["Where the money is: adoption gaps priced"]
    assert _chart_titles(_app(tab="By segment or region")) == [
        "Adoption today by segment",
        "Savings potential a year by segment, if each reached best-in-class",
    ]
    assert _chart_titles(_app(tab="By number of behaviours")) == ["Satisfaction and churn by number of behaviours shown"]
    assert _chart_titles(_app(tab="Churn")) == ["Share who left during the period, with and without each behaviour"]
    assert _metrics(_app(tab="Churn")) == _metrics(at), "the scope tiles stand above every tab"
    groups = _table(_app(tab="By number of behaviours"), "Behaviours shown")
    # customers of the period showing none of the behaviours, counted with pandas from the sample files
    assert groups["Customers"].tolist()[0] == f"{int(flags['n_behaviours'].eq(0).sum()):,}" == "2,588"
    assert [d.label for d in at.get("download_button")][:2] == ["Adoption table CSV", "Adoption table Excel"]


def test_a_segment_filter_is_answered_without_asking_the_database_again(app_sample_db, sample_tables, monkeypatch):
    asked = []
    cube = bh.cube

    @functools.wraps(cube)
    def counted(cur, version, spec):
        asked.append(spec)
        return cube(cur, version, spec)

    monkeypatch.setattr(bh, "cube", counted)
    _app({"region": "North"})
    at = _app({"segment": "Commercial", "region": "North"})
    # one query, over every segment of the region, answered both: the segment filter only sums its groups
    assert len(asked) == 1 and (asked[0].filters.segments, asked[0].filters.regions) == ((), ("North",))
    only = Filters(segments=("Commercial",), regions=("North",))
    flags = behaviours_reference.customer_flags(sample_tables, default_catalogue(), only)  # worked in pandas
    assert _metrics(at)["Customers in scope"] == f"{int(flags['in_scope'].sum()):,}"
    e_billing = flags.loc[flags["in_scope"], "b_e_billing"].mean()
    assert _adoption(at).loc["E-billing", "Adoption today"] == f"{e_billing * 100:.2f} %"


def test_break_down_by_region_lives_in_the_url(app_sample_db):
    at = _app(tab="By segment or region")
    _run(at.button_group(key="w:b_by").set_value("region"))
    assert "Adoption today by region" in _chart_titles(at)
    assert at.query_params["b_by"] in ("region", ["region"])
    assert at.query_params[TAB_KEY] in ("By segment or region", ["By segment or region"])
    again = _app({"b_by": "region"}, tab="By segment or region")
    assert "Savings potential a year by region, if each reached best-in-class" in _chart_titles(again)


def test_small_groups_are_greyed_and_labelled(app_sample_db):
    at = _app({"segment": "Commercial"}, tab="By number of behaviours")
    groups = _table(at, "Behaviours shown").set_index("Behaviours shown")
    assert groups.loc[7, "Note"] == "Fewer than 30 customers: too few to read"
    assert groups.loc[0, "Note"] == ""
    chart = next(json.loads(c.proto.spec) for c in at.get("plotly_chart") if "number of behaviours" in c.proto.spec)
    colours = chart["data"][0]["marker"]["color"]
    small = groups["Customers"].str.replace(",", "").astype(int) < 30
    assert [c == "#C8C8C8" for c in colours] == small.tolist()


def test_adding_a_behaviour_with_no_data_prices_it_at_once(app_sample_db):
    at = _app(EDITOR_OPEN)
    at.text_input(key="bh_edit_name").input("Reads its own meter")
    _run(at.selectbox(key="bh_edit_kind").set_value("estimate"))
    at.number_input(key="bh_edit_estimate_pct").set_value(20.0)
    at.number_input(key="bh_edit_saving").set_value(4.0)
    at.number_input(key="bh_edit_bic_pct").set_value(50.0)
    at.text_input(key="bh_edit_bic_source").input("Workshop, 12 May")
    _run(at.button(key="bh_edit_save").click())
    assert "Saved “Reads its own meter”." in [s.value.replace("\\.", ".") for s in at.success]  # as read: escapes taken
    row = _adoption(at).loc["Reads its own meter"]
    # 14,236 x (50 % - 20 %) x $4 = $17,083
    assert row[["Adoption today", "Savings potential a year"]].tolist() == ["20.00 % (estimate)", "$17,083"]
    assert row["Figures"] == "Assumption: replace"
    store = Store(app_sample_db)
    stored = store.get_setting("sample", "behaviours.catalogue")
    store.close()
    assert stored["behaviours"][-1]["measure"] == {"kind": "estimate"}
    assert stored["behaviours"][-1]["estimated_adoption"] == 0.2
    # the What-if page has a slider for it at once, opening at its best-in-class
    _run(at.switch_page("pages/4_What-if.py"))
    assert at.slider(key="w:w_t_reads_its_own_meter").value == pytest.approx(50.0)


def test_editing_deleting_and_restoring_the_catalogue(app_sample_db):
    at = _app(EDITOR_OPEN)
    _run(at.selectbox(key="bh_edit_pick").set_value("e_billing"))
    assert at.text_input(key="bh_edit_name").value == "E-billing"
    assert at.number_input(key="bh_edit_saving").value == 11.0
    at.number_input(key="bh_edit_saving").set_value(12.0)
    _run(at.button(key="bh_edit_save").click())
    assert _adoption(at).loc["E-billing", "Saving per customer a year"] == "$12.00"
    # measure smart meters by a rule instead: satisfaction of at least 4 (a made-up rule, to exercise the editor)
    _run(at.selectbox(key="bh_edit_pick").set_value("smart_meter"))
    _run(at.selectbox(key="bh_edit_kind").set_value("rule"))
    _run(at.selectbox(key="bh_edit_rule_column").set_value("satisfaction"))
    at.selectbox(key="bh_edit_rule_operator").set_value(">=")
    at.text_input(key="bh_edit_rule_value").input("4")
    _run(at.button(key="bh_edit_save").click())
    assert _adoption(at).loc["Smart meter", "How it is measured"] == 'rule: satisfaction >= "4"'
    # the smart-meter flag is now unused: the editor offers to add it back as a behaviour of its own
    assert any("b\\_smart\\_meter" in i.value for i in at.info)
    _run(at.button(key="bh_edit_add_flags").click())
    assert _adoption(at).loc["Smart meter (b_smart_meter)", "Saving per customer a year"] == "$0.00"
    _run(at.selectbox(key="bh_edit_pick").set_value("smart_meter_2"))
    _run(at.button(key="bh_edit_delete").click())
    # a rule without a value is refused with a message, nothing saved
    _run(at.selectbox(key="bh_edit_pick").set_value("smart_meter"))
    at.text_input(key="bh_edit_rule_value").input("")
    _run(at.button(key="bh_edit_save").click())
    assert any("needs a value" in e.value for e in at.error)
    _run(at.selectbox(key="bh_edit_pick").set_value("load_control"))
    _run(at.button(key="bh_edit_delete").click())
    assert "Load-control equipment" not in _adoption(at).index
    assert _metrics(at)["Behaviours measured in the data"] == "7 of 7"
    _run(at.button(key="bh_edit_reset").click())
    table = _adoption(at)
    assert "Load-control equipment" in table.index and table.loc["E-billing", "Saving per customer a year"] == "$11.00"


def test_derived_measures_are_editable(app_sample_db):
    at = _app(EDITOR_OPEN)
    _run(at.selectbox(key="bh_edit_pick").set_value("no_call_centre"))
    assert at.multiselect(key="bh_edit_channels").value == ["phone"]
    at.number_input(key="bh_edit_months").set_value(6)
    at.number_input(key="bh_edit_max_contacts").set_value(1)
    _run(at.button(key="bh_edit_save").click())
    assert (
        "at most 1 customer-started contact on phone in the last 6 months"
        in _adoption(at).loc["No call-centre contact", "How it is measured"]
    )
    _run(at.selectbox(key="bh_edit_pick").set_value("self_service"))
    at.number_input(key="bh_edit_min_share_pct").set_value(75.0)
    _run(at.button(key="bh_edit_save").click())
    assert "at least 75 % of own contacts" in _adoption(at).loc["Self-service", "How it is measured"]


def test_the_scope_radio_changes_which_customers_count(app_sample_db):
    at = _app(EDITOR_OPEN)
    _run(at.radio(key="bh_edit_scope").set_value("period"))
    # every customer of the period, those who left included: the Overview's 18,636
    assert _metrics(at)["Customers in scope"] == "18,636"
    assert _adoption(at).loc["E-billing", "Adoption today"] == "15.23 %"


def test_the_editor_runs_only_while_open_and_its_link_keeps_it(app_sample_db):
    closed = _app()
    assert not [w for w in closed.selectbox if w.key and w.key.startswith("bh_edit_")]  # no fields sent or drawn
    assert any(e.label.startswith("Edit the catalogue") for e in closed.expander)  # the way in is there
    opened = _app(EDITOR_OPEN)
    assert opened.selectbox(key="bh_edit_pick").value == "__new__"
    _run(opened.selectbox(key="bh_edit_pick").set_value("e_billing"))
    assert opened.text_input(key="bh_edit_name").value == "E-billing"


def test_presentation_mode_hides_the_editor(app_sample_db):
    at = _app({"present": "1"})
    assert not [b for b in at.button if b.key and b.key.startswith("bh_edit_")]
    assert _adoption(at).index[0] == "E-billing"


@pytest.fixture
def telco_db(telco_db_file, tmp_path, monkeypatch):
    """The whole telco file uploaded: e-billing from PaperlessBilling, autopay from PaymentMethod ending "(automatic)"."""
    path = use_copy(telco_db_file, tmp_path, monkeypatch)
    store = Store(path, read_only=True)
    try:  # the same path as an upload on the Data page: e-billing and autopay are mapped automatically
        assert {"b_e_billing", "b_autopay"} <= set(store.active_version("telco").columns["customers"])
    finally:
        store.close()
    return path


def test_real_telco_data_reproduces_the_published_figures(telco_db):
    at = _app()
    # no churn dates: adoption is over every customer of the file (7,043), those who left included
    telco = pd.read_csv(ROOT / "tests" / "fixtures" / "telco_customer_churn.csv")
    paperless = telco["PaperlessBilling"] == "Yes"  # e-billing: 4,171 of 7,043
    automatic = telco["PaymentMethod"].str.endswith("(automatic)")  # bank transfer or credit card: 3,066 of 7,043
    assert (len(telco), int(paperless.sum()), int(automatic.sum())) == (7043, 4171, 3066)
    assert _metrics(at)["Customers in scope"] == "7,043"
    assert _metrics(at)["Behaviours measured in the data"] == "2 of 8"
    table = _adoption(at)
    assert table.loc["E-billing", "Adoption today"] == f"{paperless.mean() * 100:.2f} %" == "59.22 %"
    assert table.loc["Automatic payment", "Adoption today"] == f"{automatic.mean() * 100:.2f} %" == "43.53 %"
    left = telco["Churn"] == "Yes"
    # churn with e-billing: 1,400 of 4,171 = 33.57 %; without: 469 of 2,872 = 16.33 % (from the file)
    assert f"{left[paperless].mean() * 100:.2f} %" == "33.57 %" and f"{left[~paperless].mean() * 100:.2f} %" == "16.33 %"
    assert f"{left[automatic].mean() * 100:.2f} %" == "15.98 %" and f"{left[~automatic].mean() * 100:.2f} %" == "34.67 %"
    assert table.loc["Smart meter", "Adoption today"] == "—"
    churn = _churn(_app(tab="Churn"))
    assert churn.loc["E-billing", ["Customers with it", "Churn with it", "Churn without it"]].tolist() == [
        "4,171",
        "33.57 %",
        "16.33 %",
    ]
    assert churn.loc["Automatic payment", ["Customers with it", "Churn with it", "Churn without it"]].tolist() == [
        "3,066",
        "15.98 %",
        "34.67 %",
    ]


def test_an_empty_catalogue_says_what_to_do_on_both_pages(app_sample_db):
    from dashboard.metrics.behaviours.catalogue import Catalogue, save_catalogue

    store = Store(app_sample_db)
    save_catalogue(store, "sample", Catalogue())
    store.close()
    at = _app()
    assert any("The catalogue is empty" in i.value for i in at.info)
    assert any("b\\_e\\_billing" in i.value for i in at.info)  # the data's flags are offered back
    _run(at.switch_page("pages/4_What-if.py"))
    assert any("No behaviour has a current adoption yet" in i.value for i in at.info)


def test_the_remaining_editor_controls(app_sample_db):
    at = _app(EDITOR_OPEN)
    # a flag measure on another column, with an estimate for when the data cannot measure it
    _run(at.selectbox(key="bh_edit_pick").set_value("budget_billing"))
    assert at.selectbox(key="bh_edit_flag_column").value == "b_budget_billing"
    _run(at.selectbox(key="bh_edit_flag_column").set_value("b_smart_meter"))
    _run(at.checkbox(key="bh_edit_bic_known").uncheck())  # best-in-class unknown: no potential
    _run(at.checkbox(key="bh_edit_assumption").uncheck())
    at.text_input(key="bh_edit_saving_source").input("Finance, billing cost study 2025")
    at.text_input(key="bh_edit_bic_source").input("")
    _run(at.button(key="bh_edit_save").click())
    row = _adoption(at).loc["Seasonal (budget) billing"]
    assert row[["Adoption today", "Best-in-class", "Savings potential a year"]].tolist() == ["32.53 %", "—", "—"]
    assert row["How it is measured"] == "flag b_smart_meter is yes"
    assert row["Figures"] == "Source: Finance, billing cost study 2025"
    # derived channels: self-service counted on the web only
    _run(at.selectbox(key="bh_edit_pick").set_value("self_service"))
    _run(at.multiselect(key="bh_edit_channels").set_value(["web"]))
    _run(at.button(key="bh_edit_save").click())
    assert "own contacts on web" in _adoption(at).loc["Self-service", "How it is measured"]
    # a flag the data lack, with an estimate to fall back on
    store = Store(app_sample_db)
    from dashboard.metrics.behaviours.catalogue import Behaviour, Measure, load_catalogue, save_catalogue

    catalogue = load_catalogue(store, "sample")
    save_catalogue(
        store, "sample", catalogue.upsert(Behaviour("paper_free", "Paper-free", Measure("flag", column="b_paper_free")))
    )
    store.close()
    _run(at)
    assert _adoption(at).loc["Paper-free", "Adoption today"] == "—"
    _run(at.selectbox(key="bh_edit_pick").set_value("paper_free"))
    _run(at.checkbox(key="bh_edit_use_estimate").check())
    at.number_input(key="bh_edit_estimate_pct").set_value(30.0)
    _run(at.button(key="bh_edit_save").click())
    row = _adoption(at).loc["Paper-free"]
    assert row["Adoption today"] == "30.00 % (estimate)"
    assert row["How it is measured"].startswith("Estimated adoption: the customers table has no column b_paper_free")


def test_the_adoption_tables_figures_are_all_in_view_at_1280_px():
    """A facilitator at 1,280 px sees the behaviour and its five figures without scrolling the table sideways; only
    the two columns of words may run past the edge. Every column has its width set, the figures' in pixels."""
    columns = list(adoption_display(_catalogue_free_adoption(), NumberFormat()).columns)
    assert columns == list(ADOPTION_COLUMNS)
    figures = columns[: columns.index("Figures")]
    assert len(figures) == 6  # the behaviour and its five figures
    assert sum(ADOPTION_COLUMNS[name]["width"] for name in figures) <= theme.MAIN_PX_AT_1280 - 40


def _catalogue_free_adoption() -> pd.DataFrame:
    """One behaviour's adoption row with every field the table reads."""
    return pd.DataFrame(
        [
            {
                "behaviour": "E-billing",
                "status": "measured",
                "current": 0.16,
                "best_in_class": 0.84,
                "gap": 0.68,
                "saving": 11.0,
                "potential": 7480.0,
                "assumption": False,
                "best_in_class_source": "article",
                "saving_source": "article",
                "how_measured": "flag",
                "note": "",
            }
        ]
    )
