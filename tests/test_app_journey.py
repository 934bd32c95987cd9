"""The Journey page through Streamlit's AppTest: every control changes what it should and lives in the URL."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from dashboard.store import Store
from dashboard.ui.views.journey.controls import TAB_KEY, TABS
from tests.journey_tiny import journey_tables

ROOT = Path(__file__).resolve().parent.parent
PAGE = "pages/1_Journey.py"


def _page(params: dict[str, str] | None = None, tab: str | None = None) -> AppTest:
    """The Journey page opened with params, on tab (the first, the journey map, when None)."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    for name, value in (params or {}).items():
        at.query_params[name] = value
    if tab is not None:
        at.query_params[TAB_KEY] = tab
    at.switch_page(PAGE)
    return at.run()


def _param(at: AppTest, name: str) -> list[str]:
    value = at.query_params.get(name, [])
    return [value] if isinstance(value, str) else list(value)


def _metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def _charts(at: AppTest) -> list[dict]:
    return [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]


def _sankey(at: AppTest) -> dict:
    return next(c["data"][0] for c in _charts(at) if c["data"] and c["data"][0]["type"] == "sankey")


def _customers_listed(at: AppTest):
    return next(df.value for df in at.dataframe if "first_ts" in df.value.columns)


def _heatmap(at: AppTest) -> dict:
    return next(c for c in _charts(at) if c["data"] and c["data"][0]["type"] == "heatmap" and "colorbar" in c["data"][0])


@pytest.fixture
def journeys_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, app_tiny_db: Path) -> Path:
    """The app's database holding the five hand-worked journeys as dataset "journeys" (and the tiny dataset)."""
    store = Store(app_tiny_db)
    store.publish("journeys", journey_tables())
    store.close()
    return app_tiny_db


def test_page_renders_every_section_on_the_sample(app_sample_db):
    at = _page()
    assert not at.exception
    assert [tab.label for tab in at.tabs] == list(TABS)
    # only the open tab's sections run: the journey map by default
    assert [s.value for s in at.main.subheader] == ["Journey map"]
    assert len(at.get("plotly_chart")) == 1
    expected = {
        "Service": ["Service"],
        "Stage by channel": ["Touchpoints by stage and channel"],
        "Paths": ["Paths", "Who is behind it"],
    }
    charts = 1
    for tab, sections in expected.items():
        shown = _page(tab=tab)
        assert not shown.exception
        assert [s.value for s in shown.main.subheader] == sections, tab
        assert "Journey map" not in [s.value for s in shown.main.subheader]
        charts += len(shown.get("plotly_chart"))
    assert charts == 9, "every chart of the page is drawn in one tab or another"
    metrics = _metrics(_page(tab="Service"))
    assert metrics["First-contact resolution"].endswith("%")
    assert metrics["Complaints"] != "—"
    assert all(m.help for m in _page(tab="Service").metric), "every measure states its definition"
    assert not at.warning, "the sample has every optional column"
    hotspots = " ".join(md.value for md in at.markdown)
    assert ":red[complaint]" in hotspots
    # on the sample complaint is worst on all four measures: the tiles say so once and each names the next worst
    assert "**complaint** is the worst stage on every measure below" in hotspots
    # only complaints have cases, so the SLA tile has no next worst and says why (it once read "Next worst: nan —")
    assert hotspots.count("Next worst: **") == 3
    assert "Next worst: **complaint**" not in hotspots and "nan" not in hotspots
    assert any("No other stage has 20 or more behind it" in c.value for c in at.caption)


def test_repeat_window_changes_fcr_goes_to_url_and_saves_as_default(app_sample_db):
    at = _page(tab="Service")
    before = _metrics(at)["First-contact resolution"]
    at.number_input(key="w:j_repeat").set_value(30).run()
    assert not at.exception
    after = _metrics(at)["First-contact resolution"]
    assert float(after.split()[0]) < float(before.split()[0]), "a longer window finds more repeats"
    assert _param(at, "j_repeat") == ["30"]
    at.button(key="j_save_defaults").click().run()
    store = Store(app_sample_db, read_only=False)
    assert store.get_setting("sample", "staged.definitions")["fcr_days"] == 30  # the dataset's repeat definition
    assert store.get_setting("sample", "journey.sla_days") == 5
    store.close()
    fresh = _page()
    assert fresh.number_input(key="w:j_repeat").value == 30
    assert not [b for b in fresh.button if b.key == "j_save_defaults"], "nothing to save when the values are the defaults"


def test_sla_changes_the_share_within_sla(app_sample_db):
    at = _page(tab="Service")
    before = _metrics(at)["Within SLA"]
    at.number_input(key="w:j_sla").set_value(10).run()
    assert _metrics(at)["Within SLA"] != before
    assert _param(at, "j_sla") == ["10"]
    sla_chart = next(c for c in _charts(at) if c["layout"].get("title", {}).get("text", "").startswith("How long"))
    assert any("SLA 10 d" in a.get("text", "") for a in sla_chart["layout"]["annotations"])


def test_heatmap_metric_picker(app_sample_db):
    at = _page(tab="Stage by channel")
    assert _heatmap(at)["data"][0]["colorbar"]["title"]["text"] == "Touchpoints"
    at.selectbox(key="w:j_metric").set_value("satisfaction").run()
    heat = _heatmap(at)["data"][0]
    assert heat["colorbar"]["title"]["text"] == "Mean satisfaction"
    assert (heat["zmin"], heat["zmax"]) == (1, 5)
    assert _param(at, "j_metric") == ["satisfaction"]
    at.selectbox(key="w:j_metric").set_value("repeat_rate").run()
    assert _heatmap(at)["data"][0]["colorbar"]["title"]["text"] == "Repeat-contact rate"


def test_sankey_controls(app_sample_db):
    at = _page(tab="Paths")
    labels = _sankey(at)["node"]["label"]
    assert any(label.endswith("#5") for label in labels) and not any(label.endswith("#6") for label in labels)
    at.slider(key="w:j_steps").set_value(3).run()
    labels = _sankey(at)["node"]["label"]
    assert any(label.endswith("#3") for label in labels) and not any(label.endswith("#4") for label in labels)
    assert _param(at, "j_steps") == ["3"]
    at.radio(key="w:j_nodes").set_value("channel").run()
    labels = _sankey(at)["node"]["label"]
    assert "phone #1" in labels and "complaint #1" not in labels
    at.radio(key="w:j_nodes").set_value("both").run()
    assert any(" · " in label for label in _sankey(at)["node"]["label"])
    at.slider(key="w:j_top").set_value(2).run()
    sankey = _sankey(at)
    steps = [sankey["node"]["label"][s].rsplit("#", 1)[1] for s in sankey["link"]["source"]]
    for step in set(steps):
        real = [
            t
            for s, t, st_ in zip(sankey["link"]["source"], sankey["link"]["target"], steps, strict=True)
            if st_ == step and not sankey["node"]["label"][t].startswith("Other")
        ]
        assert len(real) <= 2, "at most two links per step keep their real target"
    assert any(label.startswith("Other") for label in sankey["node"]["label"])
    assert any("Counts customers" in c.value for c in at.caption)


def test_drill_down_controls_and_timeline(app_sample_db):
    at = _page(tab="Paths")
    assert at.radio(key="w:j_dkind").value == "stage"
    at.selectbox(key="w:j_dval").set_value("complaint").run()
    assert _param(at, "j_dval") == ["complaint"]
    listed = _customers_listed(at)
    assert "customer_id" in listed.columns and len(listed) == 200
    first = at.selectbox(key="w:j_cust").value
    other = at.selectbox(key="w:j_cust").options[3]
    at.selectbox(key="w:j_cust").set_value(other).run()
    assert at.selectbox(key="w:j_cust").value == other != first
    timeline = next(c for c in _charts(at) if c["layout"].get("legend", {}).get("title", {}).get("text") == "Channel")
    assert timeline["data"], "the chosen customer's touchpoints are drawn"
    at.radio(key="w:j_dkind").set_value("channel").run()
    assert "phone" in at.selectbox(key="w:j_dval").options
    at.selectbox(key="w:j_dval").set_value("chat").run()
    assert "customers** behind chat" in " ".join(md.value for md in at.markdown)
    at.radio(key="w:j_dkind").set_value("variant").run()
    assert " → " in at.selectbox(key="w:j_dval").options[0] or "-" in at.selectbox(key="w:j_dval").value
    assert not at.exception
    downloads = [d for d in at.get("download_button")]
    assert len(downloads) >= 6  # variants, customers and timelines, each as CSV and Excel


def test_hand_worked_journeys_on_the_page(journeys_db):
    at = _page({"ds": "journeys"}, tab="Service")
    assert not at.exception
    metrics = _metrics(at)
    # see tests/test_journey_metrics.py: 5 of 10 contacts resolved and not repeated within 7 days (a4 was never
    # resolved), 4 complaints, 2 of 4 within SLA
    assert metrics["First-contact resolution"] == "50.0 %"
    assert metrics["Complaints"] == "4"
    assert metrics["Within SLA"] == "50.0 %"
    assert metrics["Unresolved"] == "1"
    at = _page({"ds": "journeys"}, tab="Paths")
    at.selectbox(key="w:j_dval").set_value("complaint").run()
    assert _customers_listed(at)["customer_id"].tolist() == ["A", "D", "B"]


def test_url_restores_the_controls(app_sample_db):
    link = {"j_steps": "4", "j_nodes": "channel", "j_top": "5", "j_metric": "effort", "j_repeat": "14", "j_dkind": "channel"}
    at = _page(link, tab="Paths")
    assert not at.exception
    assert at.slider(key="w:j_steps").value == 4
    assert at.radio(key="w:j_nodes").value == "channel"
    assert at.slider(key="w:j_top").value == 5
    assert at.number_input(key="w:j_repeat").value == 14
    assert at.radio(key="w:j_dkind").value == "channel"
    assert _param(at, TAB_KEY) == ["Paths"]
    at = _page(link, tab="Stage by channel")
    assert at.selectbox(key="w:j_metric").value == "effort"


def test_a_link_opens_its_tab_and_the_first_tab_stays_out_of_the_url(app_sample_db):
    at = _page(tab="Stage by channel")
    assert [s.value for s in at.main.subheader] == ["Touchpoints by stage and channel"]
    assert _param(at, TAB_KEY) == ["Stage by channel"]
    first = _page()
    assert [s.value for s in first.main.subheader] == ["Journey map"]
    assert _param(first, TAB_KEY) == []
    # a link made before the tabs opens the first tab, and the control it carries is kept for its own tab (a tab
    # guessed from it would reopen on the next visit of a link copied after going back to the first tab)
    older = _page({"j_metric": "effort"})
    assert [s.value for s in older.main.subheader] == ["Journey map"]
    assert _param(older, "j_metric") == ["effort"]
    assert _page({"j_metric": "effort"}, tab="Stage by channel").selectbox(key="w:j_metric").value == "effort"
    stale = _page(tab="Heatmap")  # a tab name from an older link: the first tab, with the link notice
    assert not stale.exception
    assert [s.value for s in stale.main.subheader] == ["Journey map"]


def test_bad_url_values_fall_back_to_defaults(app_sample_db):
    at = _page({"j_steps": "42", "j_nodes": "reason", "j_repeat": "-3", "j_dval": "nowhere"}, tab="Paths")
    assert not at.exception
    assert at.slider(key="w:j_steps").value == 5
    assert at.radio(key="w:j_nodes").value == "stage"
    assert at.number_input(key="w:j_repeat").value == 7


def test_filters_from_the_frame_apply(app_sample_db):
    at = _page(tab="Service")
    everyone = _metrics(at)["Complaints"]
    at.multiselect(key="w:segment").set_value(["Commercial"]).run()
    assert not at.exception
    assert int(_metrics(at)["Complaints"].replace(",", "")) < int(everyone.replace(",", ""))


def test_dataset_without_touchpoints_says_what_to_upload(app_tiny_db):
    store = Store(app_tiny_db)
    tables = journey_tables()
    store.publish("no touchpoints", {"customers": tables["customers"], "transactions": tables["transactions"]})
    store.close()
    at = _page({"ds": "no touchpoints"})
    assert not at.exception
    assert "no touchpoints" in at.info[0].value and "interactions" in at.info[0].value
    assert not at.get("plotly_chart")


def test_dataset_without_optional_columns_names_the_missing_lanes(app_tiny_db):
    store = Store(app_tiny_db)
    tables = journey_tables()
    minimal = tables["interactions"][["customer_id", "ts", "channel", "stage", "reason", "cost"]]
    store.publish("minimal", {"customers": tables["customers"], "interactions": minimal})
    store.close()
    at = _page({"ds": "minimal"})
    assert not at.exception
    warning = at.warning[0].value
    for column in ("satisfaction", "effort", "resolved_ts", "initiated_by"):
        assert f"`{column}`" in warning
    assert "stage" not in [line.split("`")[1] for line in warning.splitlines() if "`" in line]
    assert _metrics(_page({"ds": "minimal"}, tab="Service"))["Median resolution"] == "—"
    journey_map = _charts(at)[0]
    assert not any(trace.get("name", "").startswith("Satisfaction") for trace in journey_map["data"])


def test_presentation_mode_leaves_out_the_save_button(app_sample_db):
    at = _page({"present": "1", "j_repeat": "10"})
    assert not at.exception
    assert not [b for b in at.button if b.key == "j_save_defaults"]
    edit = _page({"j_repeat": "10"})
    assert [b for b in edit.button if b.key == "j_save_defaults"]
