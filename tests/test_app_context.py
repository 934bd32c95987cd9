"""The context line (dataset, version, segments, regions, months, comparison) on every page and in every export, and
the Overview's change against the comparison period, through AppTest."""

from __future__ import annotations

import io
from pathlib import Path

import openpyxl
import pytest
import streamlit
from streamlit.delta_generator import DeltaGenerator
from streamlit.proto.Metric_pb2 import Metric
from streamlit.testing.v1 import AppTest

from dashboard.escape import html_text, markdown_text
from dashboard.store import Store
from tests.conftest import PAGE_PATHS, open_page, use_copy
from tests.tiny import tiny_tables

HOSTILE_SEGMENT = "*Home* <b>x</b> [y](http://e.com)"
MARCH = {"segment": HOSTILE_SEGMENT, "period": "2024-03..2024-03"}


@pytest.fixture(scope="module")
def hostile_db_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny dataset with its Home segment renamed to text that is Markdown and HTML."""
    tables = tiny_tables()
    tables["customers"]["segment"] = tables["customers"]["segment"].replace({"Home": HOSTILE_SEGMENT})
    path = tmp_path_factory.mktemp("ctx") / "ctx.duckdb"
    store = Store(path)
    store.publish("tiny", tables)
    store.close()
    return path


@pytest.fixture
def app_db(hostile_db_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return use_copy(hostile_db_file, tmp_path, monkeypatch)


def _run(page: str, query: dict[str, str]) -> AppTest:
    at = open_page(page, query)
    assert not at.exception, [e.value for e in at.exception]
    return at


def _context_lines(at: AppTest) -> list[str]:
    return [c.value for c in at.caption if c.value.startswith(":material/filter_list:")]


def _expected_line(app_db: Path) -> str:
    version = Store(app_db).active_version("tiny")
    return (
        f"tiny v1 (published {version.created_at:%Y-%m-%d %H:%M}) · segments: {HOSTILE_SEGMENT} · regions: all · "
        "Mar 2024 · compared with Feb 2024"
    )


@pytest.mark.parametrize("present", ["0", "1"])
@pytest.mark.parametrize("page", list(PAGE_PATHS))
def test_every_page_says_what_it_shows_also_in_presentation_mode(app_db, page: str, present: str):
    at = _run(page, {**MARCH, "present": present})
    # one line, uploaded text escaped: the segment reads as typed, never as emphasis, a tag or a link
    assert _context_lines(at) == [":material/filter_list: " + markdown_text(_expected_line(app_db))]


def test_overview_march_against_february_on_screen(app_db):
    at = _run("Overview", {"period": "2024-03..2024-03"})
    tiles = {m.label: m.proto for m in at.metric}
    # hand-worked in tests/test_compare.py: revenue 730 against 700, contacts per customer 2/3 against 4/3
    assert (tiles["Revenue"].delta, tiles["Revenue"].delta_description) == ("+$30.00", "vs Feb 2024")
    assert tiles["Contacts per customer"].delta == "-0.67"
    assert tiles["Customers"].delta == "0"
    # the arrow follows the change; the colour says better (green) or worse (red): fewer contacts per customer is
    # better, a higher cost to serve ($30 against $22.50) is worse, more revenue is better
    said = {label: (Metric.MetricDirection.Name(t.direction), Metric.MetricColor.Name(t.color)) for label, t in tiles.items()}
    assert said["Contacts per customer"] == ("DOWN", "GREEN")
    assert said["Cost to serve"] == ("UP", "RED")
    assert said["Revenue"] == ("UP", "GREEN")
    assert said["Customers"][1] == "GRAY"
    html = at.session_state["_page_report"].to_html()
    assert "Change vs Feb 2024: +$30.00." in html


def test_no_change_and_one_line_why_when_the_data_does_not_reach_back(app_db):
    at = _run("Overview", {})  # all three months: the three before are not in the data
    assert all(not m.proto.delta for m in at.metric)
    assert "No change shown: the data starts in Jan 2024, so it does not cover Oct 2023 to Dec 2023." in [
        c.value for c in at.caption
    ]
    at = _run("Overview", {"period": "2024-03..2024-03", "vs": "year"})
    assert all(not m.proto.delta for m in at.metric)
    assert "No change shown: the data starts in Jan 2024, so it does not cover Mar 2023." in [c.value for c in at.caption]


def test_the_comparison_is_in_the_url_and_carried_by_the_links(app_db):
    at = _run("Overview", {"period": "2024-03..2024-03", "vs": "none"})
    assert all(not m.proto.delta for m in at.metric)
    assert at.selectbox(key="w:vs").value == "none"
    at.selectbox(key="w:vs").set_value("previous").run()
    assert at.query_params.get("vs") in (None, [])  # the default stays out of the URL
    assert {m.label: m.proto.delta for m in at.metric}["Revenue"] == "+$30.00"
    at.selectbox(key="w:vs").set_value("year").run()
    assert at.query_params["vs"] in ("year", ["year"])
    # the navigation links carry it to the next page, as they carry the filters
    journey = [link.proto.query_string for link in at.get("page_link") if link.proto.label == "Journey"]
    assert journey and all("vs=year" in query for query in journey)


EXPORT_PAGES = [label for label in PAGE_PATHS if label != "Data"]
"""Pages whose downloads are views of the data (the Data page's are rejected rows and mapping templates)."""


@pytest.mark.parametrize("page", EXPORT_PAGES)
def test_every_export_names_its_context(app_db, page: str, monkeypatch: pytest.MonkeyPatch):
    made: list[tuple[str, object]] = []
    original = DeltaGenerator.download_button

    def record(self, label, data, file_name=None, *args, **kwargs):
        made.append((file_name, data))
        return original(self, label, data, file_name, *args, **kwargs)

    monkeypatch.setattr(DeltaGenerator, "download_button", record)
    monkeypatch.setattr(streamlit, "download_button", lambda *a, **k: record(streamlit._main, *a, **k))
    query = {**MARCH, "d_tab": "Who to call", "d_show": "all", "f_list": "true", "f_stage": "defected"}
    at = _run(page, query)
    line = _expected_line(app_db)
    digest = at.session_state["_view_context"].digest()
    assert made, f"{page} offers no download"
    for file_name, _ in made:
        assert f"_tiny-v1_{digest}" in file_name, file_name
    html = at.session_state["_page_report"].to_html()
    assert html_text(line) in html and HOSTILE_SEGMENT not in html
    for file_name, data in made:
        if file_name.endswith(".xlsx"):
            book = openpyxl.load_workbook(io.BytesIO(data() if callable(data) else data))
            about = {row[0]: row[1] for row in book["Context"].iter_rows(min_row=2, values_only=True)}
            assert about["Dataset"] == "tiny v1"
            assert about["Segments"] == HOSTILE_SEGMENT
            assert about["Months"] == "Mar 2024"
            assert about["Compared with"] == "compared with Feb 2024"


def _tiles(at: AppTest) -> dict[str, tuple[str, str, str]]:
    """label -> (change, its description, better or worse: GREEN, RED or GRAY), "" where the tile has no change."""
    return {
        m.label: (m.proto.delta, m.proto.delta_description, Metric.MetricColor.Name(m.proto.color) if m.proto.delta else "")
        for m in at.metric
    }


def test_journey_service_tiles_march_against_february(app_db):
    tiles = _tiles(_run("Journey", {"period": "2024-03..2024-03", "j_tab": "Service"}))
    # complaint-stage contacts: B on 1 and 3 February, D on 21 March; fewer complaints is better
    assert tiles["Complaints"] == ("-1", "vs Feb 2024", "GREEN")
    # the tiny data has no reason, resolution or initiator: those tiles show "—" and no change, never a fake 0
    assert tiles["First-contact resolution"] == tiles["Within SLA"] == ("", "", "")


def test_behaviours_headline_march_against_february(app_db):
    tiles = _tiles(_run("Behaviours", {"period": "2024-03..2024-03"}))
    # active customers at the end of the month: Feb A and C (B left on 10 Feb), Mar A and C (D left on 30 Mar)
    assert tiles["Customers in scope"] == ("0", "vs Feb 2024", "GRAY")
    # both e-billing in both months: the same gap, the same potential
    assert tiles["Savings potential a year"] == ("0", "vs Feb 2024", "GRAY")
    assert tiles["Behaviours measured in the data"] == ("", "", "")


def test_defection_period_tiles_march_against_february(app_db):
    tiles = _tiles(_run("Defection", {"period": "2024-03..2024-03"}))
    # Feb: A, B, C with B leaving; Mar: A, C, D with D leaving: one of three both times
    assert tiles["Defection rate"] == ("0", "vs Feb 2024", "GRAY")
    assert tiles["Defected"] == ("0", "vs Feb 2024", "GRAY")
    # more value lost is worse, whatever its size
    assert tiles["Lifetime value lost"][0].startswith("+") and tiles["Lifetime value lost"][2] == "RED"
    # at risk and lifetime value are as of the last day in the data: the months do not move them, so no change
    assert tiles["At risk now"] == tiles["Revenue at risk"] == tiles["Lifetime value per customer"] == ("", "", "")


def test_sales_funnel_tiles_march_against_february(app_db):
    tiles = _tiles(_run("Funnel", {"period": "2024-03..2024-03", "f_tab": "Sales funnel", "f_window": "7"}))
    # leads of February: C (signed up 1 Feb, first order 3 Feb: 2 days) and P (20 Feb, never ordered);
    # of March: D (15 Mar, first order 20 Mar: 5 days). Conversion within 7 days 1/2 then 1/1, median 2 then 5 days
    assert tiles["Leads with a closed window"] == ("-1", "vs Feb 2024", "GRAY")  # more or fewer leads: neither
    assert tiles["Converted within 7 days"] == ("+50.00 pts", "vs Feb 2024", "GREEN")
    assert tiles["Median days to first order"] == ("+3.0 days", "vs Feb 2024", "RED")


def test_months_the_user_picks_are_in_the_url(app_db):
    at = _run("Overview", {"period": "2024-03..2024-03", "vs": "pick", "vs_months": "2024-01..2024-02"})
    # revenue of January (A 100, B 80) and February (700) is 880; March 730
    assert _tiles(at)["Revenue"] == ("-$150", "vs Jan–Feb 2024", "RED")
    at.select_slider(key="w:vs_months").set_value(("2024-01", "2024-01")).run()
    assert at.query_params["vs_months"] in ("2024-01..2024-01", ["2024-01..2024-01"])
    assert _tiles(at)["Revenue"] == ("+$550", "vs Jan 2024", "GREEN")  # 730 against 180
    # the months offered first are the previous period's (February), which stay out of the URL
    at = _run("Overview", {"period": "2024-03..2024-03", "vs": "pick"})
    assert _tiles(at)["Revenue"] == ("+$30.00", "vs Feb 2024", "GREEN")
    assert "vs_months" not in at.query_params
