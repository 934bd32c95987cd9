"""Shareable state, on every page: change a shared filter and a page option in the browser, open the resulting URL in a
fresh browser (no session, no cookies) and find the same view; then download the page's HTML report there and open it
offline with its charts drawn."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from dashboard.ui.nav import PAGES
from tests.browser.conftest import AppServer, choose_in_sidebar, shows_choice, sidebar_choices, wait_for_app

pytestmark = pytest.mark.browser


def url_path(label: str) -> str:
    """The path Streamlit serves a registered page under ("" for the entry point)."""
    entry = next(p for p in PAGES if p.label == label)
    return "" if entry.path == "app.py" else Path(entry.path).stem.split("_", 1)[1]


def metric(page: Page, label: str) -> str:
    tile = page.locator('[data-testid="stMetric"]').filter(has_text=label).first
    return tile.locator('[data-testid="stMetricValue"]').inner_text()


def checked_radio(page: Page, group: str) -> str:
    """The label of the checked option of the radio group whose label is group."""
    radios = page.get_by_test_id("stMain").locator('[data-testid="stRadio"]').filter(has_text=group).first
    return radios.locator("label").filter(has=page.locator("input:checked")).inner_text().strip()


def selected_tab(page: Page) -> str:
    return page.get_by_role("tab", selected=True).first.inner_text().strip()


SEGMENT = 'button[data-variant="segmented_control"]'


def active_segment(page: Page) -> str:
    return page.get_by_test_id("stMain").locator(f'{SEGMENT}[aria-checked="true"]').first.inner_text().strip()


def click_segment(page: Page, option: str) -> None:
    page.get_by_test_id("stMain").locator(SEGMENT).filter(has_text=option).first.click()


@dataclass(frozen=True)
class Case:
    """How to change one page in the browser, and what of its view must come back from the URL."""

    label: str
    change: Callable[[Page], None]
    view: Callable[[Page], dict[str, object]]
    url_has: tuple[str, ...]
    editing: str
    """Text of an editing control the page shows outside presentation mode."""


def _segment_and(page: Page, then: Callable[[Page], None]) -> None:
    choose_in_sidebar(page, 0, "Commercial")
    then(page)
    wait_for_app(page)


def _base(page: Page) -> dict[str, object]:
    return {"segment": sidebar_choices(page, 0), "region": sidebar_choices(page, 1)}


def _open_tab_and(page: Page, tab: str, then: Callable[[Page], None]) -> None:
    """Click the main area's tab called tab, wait for its run, then do the rest."""
    page.get_by_test_id("stMain").get_by_role("tab", name=tab, exact=True).click()
    wait_for_app(page)
    then(page)


def _radio(page: Page, group: str, option: str) -> None:
    page.locator('[data-testid="stRadio"]').filter(has_text=group).first.get_by_text(option, exact=True).click()


def _main_slider(page: Page):
    return page.get_by_test_id("stMain").get_by_role("slider").first


def _table_text(page: Page, header: str) -> str:
    """The text of the first table with a column called header, once drawn."""
    table = page.locator('[data-testid="stDataFrame"]').filter(has_text=header).first
    table.wait_for()
    return table.inner_text()


def _whatif_slider(page: Page) -> None:
    slider = _main_slider(page)
    slider.focus()
    for _ in range(10):
        page.keyboard.press("ArrowRight")
    wait_for_app(page)


CASES = (
    Case(
        "Overview",
        lambda p: _segment_and(p, lambda q: choose_in_sidebar(q, 1, "East")),
        lambda p: {**_base(p), "customers": metric(p, "Customers"), "revenue": metric(p, "Revenue")},
        ("segment=Commercial", "region=East"),
        "Number format",
    ),
    Case(
        "Journey",
        lambda p: _segment_and(p, lambda q: _open_tab_and(q, "Paths", lambda r: _radio(r, "Nodes by", "Channel"))),
        lambda p: {**_base(p), "tab": selected_tab(p), "nodes": checked_radio(p, "Nodes by")},
        ("segment=Commercial", "j_tab=Paths", "j_nodes=channel"),
        "Variants CSV",
    ),
    Case(
        "Funnel",
        lambda p: _segment_and(p, lambda q: q.get_by_role("tab", name="Movement").click()),
        lambda p: {**_base(p), "tab": selected_tab(p), "moved up": metric(p, "Moved up"), "stayed": metric(p, "Stayed")},
        ("segment=Commercial", "f_tab=Movement"),
        "Stage rules",
    ),
    Case(
        "Behaviours",
        lambda p: _segment_and(p, lambda q: _open_tab_and(q, "By segment or region", lambda r: click_segment(r, "Region"))),
        lambda p: {**_base(p), "tab": selected_tab(p), "by": active_segment(p), "scope": metric(p, "Customers in scope")},
        ("segment=Commercial", "b_tab=By+segment+or+region", "b_by=region"),
        "Edit the catalogue",
    ),
    Case(
        "What-if",
        lambda p: _segment_and(p, _whatif_slider),
        lambda p: {
            **_base(p),
            "target": _main_slider(p).get_attribute("aria-valuenow"),
            "kept": metric(p, "Customers kept"),
            "retained": metric(p, "Retained revenue"),
        },
        ("segment=Commercial", "w_t_e_billing="),
        "Save scenario",
    ),
    Case(
        "Defection",
        lambda p: _segment_and(p, lambda q: _open_tab_and(q, "Retention", lambda r: click_segment(r, "Quarter"))),
        lambda p: {
            **_base(p),
            "tab": selected_tab(p),
            "cohort": active_segment(p),
            "rate": metric(p, "Defection rate"),
            "at risk": metric(p, "At risk now"),
        },
        ("segment=Commercial", "d_tab=Retention", "d_cohort=quarter"),
        "Definition of a defected customer",
    ),
    Case(
        "Drivers",
        lambda p: _segment_and(p, lambda q: _radio(q, "Outcome", "Low satisfaction")),
        lambda p: {**_base(p), "outcome": checked_radio(p, "Outcome"), "table": _table_text(p, "Rate with")},
        ("segment=Commercial", "dr_outcome=low+satisfaction"),
        "Driver table CSV",
    ),
    Case(
        "Data",
        lambda p: _segment_and(p, lambda q: click_segment(q, "Datasets")),
        lambda p: {**_base(p), "section": active_segment(p), "versions": _table_text(p, "published")},
        ("segment=Commercial", "d_view=Datasets"),
        "Delete version 1",
    ),
)


def test_every_registered_page_has_a_case():
    assert sorted(c.label for c in CASES) == sorted(p.label for p in PAGES if p.label != "Story")


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.label)
def test_url_restores_the_view_in_a_fresh_browser_and_the_report_opens(
    case: Case, sample_server: AppServer, browser: Browser, tmp_path: Path
):
    first = browser.new_context(viewport={"width": 1440, "height": 900})
    page = first.new_page()
    page.goto(f"{sample_server.url}/{url_path(case.label)}")
    wait_for_app(page)
    case.change(page)
    shown = case.view(page)
    assert shown["segment"] == ["Commercial"], f"{case.label}: the sidebar does not show the chosen segment: {shown}"
    shared_url = page.url
    for part in case.url_has:
        assert part in shared_url, f"{case.label}: {part!r} missing from {shared_url}"
    first.close()

    fresh = browser.new_context(viewport={"width": 1440, "height": 900}, accept_downloads=True)
    restored = fresh.new_page()
    restored.goto(shared_url)
    wait_for_app(restored)
    for index, name in enumerate(("segment", "region")):
        for option in shown[name]:
            assert shows_choice(restored, index, option, timeout=30_000), f"{case.label}: restored sidebar lost {option}"
    assert not restored.locator('[data-testid="stException"]').count()
    assert case.view(restored) == shown
    expect(restored.get_by_text(case.editing).first).to_be_attached()

    with restored.expect_download(timeout=60_000) as download_info:
        restored.get_by_test_id("stSidebar").get_by_role("button", name="Download report (HTML)").click()
    report_file = tmp_path / "report.html"
    download_info.value.save_as(report_file)
    fresh.close()
    offline = browser.new_context(offline=True)
    report = offline.new_page()
    report.goto(report_file.as_uri())
    expect(report.get_by_role("heading", name=f"CX Lens · {case.label}", level=1)).to_be_visible()
    expect(report.get_by_text("segments: Commercial")).to_be_visible()
    if case.label != "Data":  # the Data page draws tables, no charts
        charts = report.locator(".js-plotly-plot")
        expect(charts.first).to_be_visible()
        for i in range(charts.count()):
            assert charts.nth(i).locator(".main-svg").count() >= 1, f"{case.label}: chart {i} of the report not drawn"
    offline.close()
