"""Presentation mode (?present=1) on every page at projector sizes: no sidebar, no editing controls, no exception, and
screenshots of each screen of the page saved for a person to look at (tests/screenshots/present-<page>-<size>-<n>.png)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page, expect

from dashboard.ui.nav import PAGES
from tests.browser.conftest import SCREENSHOTS, AppServer, wait_for_app
from tests.browser.test_browser_url_restore import url_path

pytestmark = pytest.mark.browser

SIZES = ((1920, 1080), (1280, 720))
MAX_SCREENS = 4
"""Screens saved per page and size: the first ones are what the room sees; the rest repeat the same elements."""

EDITING = {
    "Overview": ("Number format",),
    "Journey": ("Save as this dataset's defaults",),
    "Funnel": ("Stage rules", "Restore default costs"),
    "Behaviours": ("Edit the catalogue", "The behaviour catalogue"),
    "What-if": ("Save scenario", "Scenario name", "Delete scenario"),
    "Defection": ("Definition of a defected customer", "Save this definition for the dataset"),
    "Drivers": ("Driver table CSV",),
    "Data": ("Delete version 1", "Make version 1 active", "Rename"),
}
"""Per page, text of the editing controls it shows outside presentation mode (with the changes in QUERY below)."""

QUERY = {
    "Journey": "&j_repeat=10",  # a changed window offers its save button outside presentation mode
    "Defection": "&d_days=200",  # likewise the definition's save button
    "Data": "&d_view=Datasets",  # the section with the dataset actions
}


def screens(page: Page, name: str, height: int) -> int:
    """Save the page screen by screen as the room sees it when scrolling; returns how many were saved."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    total = page.evaluate("() => document.querySelector('[data-testid=stMain]').scrollHeight")
    saved, top = 0, 0
    while saved < MAX_SCREENS:
        page.evaluate(f"() => {{ document.querySelector('[data-testid=stMain]').scrollTop = {top}; }}")
        page.wait_for_timeout(250)
        saved += 1
        page.screenshot(path=str(SCREENSHOTS / f"present-{name}-{saved}.png"))
        top += height - 60
        if top >= total - 60:
            break
    return saved


def assert_no_editing(page: Page, label: str) -> None:
    main = page.get_by_test_id("stMain")
    for text in EDITING[label]:
        expect(page.get_by_text(text, exact=False)).to_have_count(0)
    expect(main.locator('[data-testid="stDownloadButton"]')).to_have_count(0)  # PNG, CSV and Excel buttons
    expect(page.locator('[data-testid="stFileUploader"]')).to_have_count(0)


def test_every_page_has_its_editing_controls_listed():
    assert sorted(EDITING) == sorted(p.label for p in PAGES if p.label != "Story")


@pytest.mark.parametrize("label", list(EDITING))
def test_presentation_mode_at_projector_sizes(label: str, sample_server: AppServer, browser: Browser):
    url = f"{sample_server.url}/{url_path(label)}?present=1{QUERY.get(label, '')}"
    for width, height in SIZES:
        context = browser.new_context(viewport={"width": width, "height": height})
        page = context.new_page()
        page.goto(url)
        wait_for_app(page)
        expect(page.get_by_test_id("stSidebar")).to_be_hidden()
        expect(page.get_by_role("heading", name=label, level=1)).to_be_visible()
        expect(page.get_by_role("button", name="Exit presentation")).to_be_visible()
        assert not page.locator('[data-testid="stException"]').count(), f"{label} raised an exception"
        assert not page.locator('[data-testid="stAlertContentError"]').count(), f"{label} shows an error"
        assert_no_editing(page, label)
        title_size = page.get_by_role("heading", name=label, level=1).evaluate("e => parseFloat(getComputedStyle(e).fontSize)")
        assert title_size >= 40, f"{label}: the page title is {title_size}px in presentation mode"
        assert screens(page, f"{label.lower()}-{width}x{height}", height) >= 1
        context.close()
