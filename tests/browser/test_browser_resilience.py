"""Hostile links and stored values in a real browser: no traceback, no exception box, one small notice line."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import AppServer, screenshot, start_server, wait_for_app
from tests.test_resilience import hostile_db_file  # noqa: F401 (the fixture)

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def hostile_server(hostile_db_file: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppServer]:  # noqa: F811
    server = start_server(hostile_db_file, tmp_path_factory.mktemp("hostile-server"))
    yield server
    server.stop()


def _no_error_shown(page: Page) -> None:
    assert not page.locator('[data-testid="stException"]').count(), "an exception box is shown"
    body = page.locator("body").inner_text()
    for leak in ("Traceback", "Error:", "/work/", "site-packages", "StreamlitValueAboveMaxError"):
        assert leak not in body, f"{leak!r} reached the user"


def test_what_if_link_above_the_widgets_maxima_shows_the_page_with_one_notice(hostile_server, page: Page):
    page.goto(f"{hostile_server.url}/What-if?ds=settings&w_base=20000000000&w_ltv=1e300&w_s_e_billing=10000001")
    wait_for_app(page)
    _no_error_shown(page)
    expect(page.get_by_text("Values in the link that this page cannot show")).to_have_count(1)
    expect(page.get_by_role("spinbutton", name="Customer base")).to_have_value("10000000000")
    assert "w_base=10000000000.0" in page.url, "the address bar now says what the page shows"
    screenshot(page, "resilience-whatif-link")


def test_stored_values_that_cannot_be_read_or_shown_leave_the_pages_working(hostile_server, page: Page):
    page.goto(f"{hostile_server.url}/Journey?ds=settings")
    wait_for_app(page)
    _no_error_shown(page)
    expect(page.get_by_text("Saved settings that could not be read")).to_have_count(1)
    screenshot(page, "resilience-journey-settings")
    page.goto(f"{hostile_server.url}/?ds=far_dates")
    wait_for_app(page)
    _no_error_shown(page)
    expect(page.get_by_test_id("stSidebar").get_by_text("No month choice: the dates run from Jan 0001")).to_be_visible()
    expect(page.locator('[data-testid="stMetric"]')).to_have_count(8)
    screenshot(page, "resilience-overview-far-dates")
