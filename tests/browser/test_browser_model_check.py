"""The Defection page's model checks in a real browser: both predicted-against-actual charts and their errors drawn."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import SCREENSHOTS, wait_for_app

pytestmark = pytest.mark.browser


def test_model_checks_are_drawn_with_their_errors(sample_server, page: Page):
    page.set_viewport_size({"width": 1440, "height": 900})
    page.goto(f"{sample_server.url}/Defection?d_tab=Model+check")
    wait_for_app(page)
    heading = page.get_by_role("heading", name="Does the lifetime value predict?")
    expect(heading).to_be_visible(timeout=60_000)
    heading.scroll_into_view_if_needed()
    expect(page.get_by_text("Error over months 18 to 35 (MAPE)")).to_be_visible(timeout=30_000)
    expect(page.get_by_text("Error over the next 78 weeks (MAPE)")).to_be_visible()
    expect(page.get_by_text("Contract model: predicted against actual retention")).to_be_visible()
    expect(page.get_by_text("Purchase model: predicted against actual purchases")).to_be_visible()
    assert not page.locator('[data-testid="stException"]').count()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "defection-model-check.png"))
