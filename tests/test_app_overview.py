"""The Overview page through Streamlit's AppTest: renders, filters change KPIs, URL state restores them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from streamlit.testing.v1 import AppTest

from benchmarks.reference import overview as overview_reference
from dashboard.metrics.scope import Filters
from dashboard.store import Store

ROOT = Path(__file__).resolve().parent.parent
LABELS = [
    "Customers",
    "Active customers",
    "Churn rate",
    "Revenue",
    "Revenue per customer",
    "Contacts per customer",
    "Cost to serve",
    "Mean satisfaction",
]


def _app() -> AppTest:
    return AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)


def _param(at: AppTest, name: str) -> list[str]:
    value = at.query_params.get(name, [])
    return [value] if isinstance(value, str) else list(value)


def _metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_overview_renders_the_kpis_and_trend_on_the_sample(app_sample_db, sample_tables):
    at = _app().run()
    assert not at.exception
    assert [m.label for m in at.metric] == LABELS
    values = _metrics(at)
    # worked with pandas from the raw sample files (benchmarks/reference/overview.py), not read off the page:
    # every customer ID but prospects, those not defected, defected ÷ customers, named revenue and contacts ÷ customers
    ref = overview_reference.kpis(sample_tables, Filters())
    assert values["Customers"] == f"{ref['customers']:,}"
    assert values["Active customers"] == f"{ref['active_customers']:,}"
    assert values["Churn rate"] == f"{ref['churn_rate'] * 100:.2f} %"
    assert values["Revenue per customer"] == f"${ref['revenue_per_customer']:,.0f}"
    assert values["Contacts per customer"] == f"{ref['contacts_per_customer']:.2f}"
    assert values["Mean satisfaction"] == f"{ref['mean_satisfaction']:.2f}"
    assert all(m.help for m in at.metric), "every KPI states its definition"
    assert len(at.get("plotly_chart")) == 1
    assert at.selectbox(key="w:ds").value == "sample"


def test_choosing_a_segment_changes_the_kpis_to_the_hand_checked_values(app_tiny_db):
    at = _app().run()
    assert _metrics(at)["Customers"] == "4"
    at.multiselect(key="w:segment").set_value(["Business"]).run()
    assert not at.exception
    # C and D are the Business customers; D left in March (see tests/test_overview_metrics.py)
    assert _metrics(at) == {
        "Customers": "2",
        "Active customers": "1",
        "Churn rate": "50.00 %",
        "Revenue": "$1,250",
        "Revenue per customer": "$625",
        "Contacts per customer": "1.50",
        "Cost to serve": "$30.30",
        "Mean satisfaction": "5.00",
    }
    assert _param(at, "segment") == ["Business"]


def test_filters_in_the_url_are_restored(app_tiny_db):
    at = _app()
    at.query_params["segment"] = "Business"
    at.query_params["period"] = "2024-03..2024-03"
    at.run()
    assert not at.exception
    assert at.multiselect(key="w:segment").value == ["Business"]
    assert at.select_slider(key="w:period").value == ("2024-03", "2024-03")
    values = _metrics(at)
    assert values["Customers"] == "2"
    assert values["Revenue"] == "$750"


def test_moving_the_months_slider_narrows_the_period(app_tiny_db):
    at = _app().run()
    at.select_slider(key="w:period").set_value(("2024-03", "2024-03")).run()
    assert _metrics(at)["Customers"] == "3"
    assert _param(at, "period") == ["2024-03..2024-03"]
    at.button[0].click().run()  # Reset filters
    assert _metrics(at)["Customers"] == "4"
    assert "period" not in at.query_params


def test_bad_url_values_fall_back_to_defaults(app_tiny_db):
    at = _app()
    at.query_params["segment"] = "<script>alert(1)</script>"
    at.query_params["period"] = "2031-01..1999-12"
    at.query_params["ds"] = "no such dataset"
    at.run()
    assert not at.exception
    assert _metrics(at)["Customers"] == "4"
    assert at.selectbox(key="w:ds").value == "tiny"


def test_switching_dataset_resets_the_filters(app_tiny_db):
    store = Store(app_tiny_db)
    from tests.tiny import tiny_tables

    tables = tiny_tables()
    tables["customers"] = tables["customers"].iloc[:2]
    store.publish("zeta", tables)
    store.close()
    at = _app().run()
    at.multiselect(key="w:segment").set_value(["Business"]).run()
    at.selectbox(key="w:ds").set_value("zeta").run()
    assert not at.exception
    assert at.multiselect(key="w:segment").value == []
    # every id seen anywhere: A and B listed, C and D only in the bills; P, known by a touchpoint only, never bought
    assert _metrics(at)["Customers"] == "4"
    assert _param(at, "ds") == ["zeta"]


def test_empty_database_tells_a_new_user_what_to_do(tmp_path, monkeypatch):
    monkeypatch.setenv("CXLENS_DB", str(tmp_path / "empty.duckdb"))
    monkeypatch.setenv("CXLENS_UPLOAD_DIR", str(tmp_path / "uploads"))
    monkeypatch.setenv("CXLENS_NO_SAMPLE", "1")
    at = _app().run()
    assert not at.exception
    assert "No data yet" in at.info[0].value
    assert not at.metric
    load = next(b for b in at.button if b.label == "Load the bundled sample")
    load.click().run()
    assert not at.exception
    assert _metrics(at)["Customers"] == "18,636"


def test_database_held_by_another_process_gives_one_clear_line(tmp_path, monkeypatch):
    import subprocess
    import sys

    path = tmp_path / "held.duckdb"
    monkeypatch.setenv("CXLENS_DB", str(path))
    monkeypatch.setenv("CXLENS_NO_SAMPLE", "1")
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import duckdb, time; c = duckdb.connect({str(path)!r}); print('ready', flush=True); time.sleep(60)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "ready"
        at = _app().run()
        assert not at.exception
        assert "in use by another process" in at.error[0].value
        assert "\n" not in at.error[0].value
    finally:
        holder.kill()
        holder.wait()
        holder.stdout.close()


def test_the_page_report_holds_what_the_page_shows(app_tiny_db):
    at = _app().run()
    at.multiselect(key="w:segment").set_value(["Business"]).run()
    page = at.session_state["_page_report"].to_html()
    assert "CX Lens · Overview" in page
    assert "segments: Business" in page
    assert "$1,250" in page
    assert page.count('class="plotly-graph-div"') == 1


def test_number_format_chosen_per_dataset_applies_to_the_kpis(app_tiny_db):
    at = _app().run()
    at.text_input[0].set_value("€")
    boxes = {box.label: box for box in at.selectbox}
    boxes["Thousands separator"].set_value("dot (1.234)")
    boxes["Decimal separator"].set_value("comma (0,5)")
    at.button(key="FormSubmitter:number_format_form-Save for this dataset").click().run()
    assert not at.exception
    values = _metrics(at)
    assert values["Revenue"] == "€1.610"
    assert values["Contacts per customer"] == "2,00"
    assert values["Churn rate"] == "50,00 %"
    assert Store(app_tiny_db).get_setting("tiny", "number_format") == {"currency": "€", "thousands": ".", "decimal": ","}


def test_the_overview_starts_without_the_other_views_libraries():
    """A cold start imports what the Overview draws, not scipy and the other views' metrics (a second or more of every
    cold start before): they load when a page that needs them opens, or when a publish runs its prepare steps."""
    code = (
        "import sys\n"
        "import dashboard.ui.frame, dashboard.ui.views.overview\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'scipy' or m.startswith('dashboard.metrics.defection')))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_a_rerun_with_nothing_changed_asks_the_database_nothing(app_tiny_db, monkeypatch):
    """The frame's reads (datasets, active version, out-of-date check, settings) are remembered until the next write
    and every figure is cached: a rerun of the Overview or the Story opens no cursor."""
    opened = []
    original = Store.cursor

    def counting(self):
        opened.append(1)
        return original(self)

    for page in ("app.py", "pages/8_Story.py"):
        at = AppTest.from_file(str(ROOT / page), default_timeout=120).run()
        assert not at.exception
        monkeypatch.setattr(Store, "cursor", counting)
        at.run()
        monkeypatch.setattr(Store, "cursor", original)
        assert not at.exception
        assert (page, opened) == (page, [])
