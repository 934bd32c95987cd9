"""One margin per dataset, set once and shown with its source by Funnel, Defection and What-if; What-if's lifetime
value comes from the saved definition and valuation, never from the Defection page's unsaved controls.

On the tiny defection dataset (tests/tiny_defection.py): the current customers A, D, E, G spend 2,459.43 a year on
average and the data measure 1.7 expected years, so at 10 % the lifetime value is 2,459.43 × margin × 1.49582:
$1,104 at the default 30 %, $1,655 at 45 %.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from dashboard.metrics import money
from dashboard.store import Store
from dashboard.ui import cache
from tests.conftest import as_read, use_copy
from tests.tiny_defection import DEFINITIONS, defection_tables, publish_tiny
from tests.worked import tiny_lifetime_value

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def tiny_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("mtiny") / "tiny.duckdb"
    store = Store(path)
    publish_tiny(store)  # saved definitions: a 90-day lapse, as the hand-worked figures assume
    store.close()
    return path


@pytest.fixture
def tiny_db(tiny_file, tmp_path, monkeypatch) -> Path:
    return use_copy(tiny_file, tmp_path, monkeypatch)


def _go(at: AppTest, page: str, **state) -> AppTest:
    at.switch_page(page)
    for key, value in state.items():
        at.session_state[key] = value
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _text(at: AppTest) -> str:
    return as_read([*(c.value for c in at.caption), *(m.value for m in at.markdown)])


def _whatif_ltv(at: AppTest) -> tuple[float, str]:
    source = next(c.value for c in at.caption if c.value.startswith("Lifetime value"))
    return at.number_input(key="w:w_ltv").value, source.replace("\\", "")  # without Markdown escapes


def test_the_margin_set_once_is_the_one_funnel_defection_and_what_if_show(tiny_db):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.query_params["ds"] = "tiny"
    at = _go(at, "pages/5_Defection.py")
    worked = tiny_lifetime_value(defection_tables(), DEFINITIONS.lapse_days)  # with pandas from the tiny files
    assert at.metric[-1].label == "Lifetime value per customer" and at.metric[-1].value == f"${worked:,.0f}" == "$1,104"
    assert "30 % margin (default 30 %, not yet set for this dataset" in _text(at)
    at = _go(at, "pages/4_What-if.py")
    value, source = _whatif_ltv(at)
    assert value == pytest.approx(worked, abs=0.01) and "30 % margin (default 30 %" in source

    # set once, in the sidebar of any page
    at.sidebar.number_input(key="money_margin_pct_tiny").set_value(45.0)
    at.button(key="money_margin_save").click().run()
    assert not at.exception
    value, source = _whatif_ltv(at)
    at_45 = tiny_lifetime_value(defection_tables(), DEFINITIONS.lapse_days, margin=0.45)
    assert value == pytest.approx(at_45, abs=0.01) and round(at_45, 2) == 1655.49  # 2,459.43 × 45 % × 1.49582
    assert "45 % margin (saved for this dataset)" in source and "1.7 years (measured" in source
    at = _go(at, "pages/5_Defection.py")
    assert at.metric[-1].value == f"${at_45:,.0f}" == "$1,655"
    assert "45 % margin (saved for this dataset" in _text(at)
    at = _go(at, "pages/2_Funnel.py", **{"f_tab": "Economics"})
    assert "gross margin (45 %: saved for this dataset" in _text(at)
    assert at.sidebar.expander[-1].label == "Margin: 45 %"
    assert cache.get_store().get_setting("tiny", money.SETTING_MARGIN) == 0.45


def test_what_if_never_reads_the_defection_pages_unsaved_controls(tiny_db):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.query_params["ds"] = "tiny"
    at = _go(at, "pages/4_What-if.py")
    before = _whatif_ltv(at)
    at.query_params["d_tab"] = "What it costs"  # the tab with the lifetime-value controls
    at = _go(at, "pages/5_Defection.py")
    at.number_input(key="w:d_years").set_value(10.0).run()  # unsaved: this page only
    at.number_input(key="w:d_discount").set_value(0.0).run()
    ten_years = tiny_lifetime_value(defection_tables(), DEFINITIONS.lapse_days, discount=0.0, years=10.0)
    assert at.metric[-1].value == f"${ten_years:,.0f}" == "$7,378"  # 2,459.43 × 30 % × 10
    at = _go(at, "pages/4_What-if.py")
    assert _whatif_ltv(at) == before
    # saved, the valuation becomes the dataset's: What-if follows and says where the years come from
    at = _go(at, "pages/5_Defection.py")
    at.button(key="d_save").click().run()
    at = _go(at, "pages/4_What-if.py")
    value, source = _whatif_ltv(at)
    assert value == pytest.approx(ten_years, abs=0.01) and "10 years (saved for this dataset)" in source


def test_a_segment_and_period_give_what_if_the_lifetime_value_the_defection_page_shows(tiny_db):
    """What-if sums the segment's lifetime value from the every-segment summary; Defection counts the filtered customers
    in SQL: the same figure, and the hand-worked mean of the segment's current customers (D and G of Business)."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.query_params["ds"] = "tiny"
    at.query_params["segment"] = "Business"
    at.query_params["period"] = "2024-07..2024-12"
    at = _go(at, "pages/5_Defection.py")
    shown = at.metric[-1]
    assert shown.label == "Lifetime value per customer"
    at = _go(at, "pages/4_What-if.py")
    value, source = _whatif_ltv(at)
    assert shown.value == f"${value:,.0f}", (shown.value, value)
    assert "mean over 2 current customers in scope" in source
    worked = tiny_lifetime_value(defection_tables(), DEFINITIONS.lapse_days, segment="Business")  # with pandas
    assert value == pytest.approx(worked, abs=0.01)
    assert worked != pytest.approx(tiny_lifetime_value(defection_tables(), DEFINITIONS.lapse_days), abs=1)
