"""The Journey page in a real browser: every section draws, a control changes the Sankey, screenshots to look at."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import screenshot, wait_for_app

pytestmark = pytest.mark.browser


def test_journey_page_draws_every_section(sample_server, page: Page):
    page.goto(f"{sample_server.url}/Journey?ds=sample")
    wait_for_app(page)
    expect(page.get_by_role("heading", name="Journey", level=1)).to_be_visible()
    assert not page.locator('[data-testid="stException"]').count()
    for heading in ("Journey map", "Service", "Touchpoints by stage and channel", "Paths", "Who is behind it"):
        expect(page.get_by_role("heading", name=heading)).to_be_visible()
    expect(page.locator(".js-plotly-plot")).to_have_count(9)
    expect(page.locator('[data-testid="stMetric"]').filter(has_text="Lowest satisfaction")).to_contain_text("complaint")
    screenshot(page, "journey")
    page.get_by_test_id("stMainBlockContainer").get_by_text("Journey map", exact=True).scroll_into_view_if_needed()
    page.screenshot(path=str(screenshot(page, "journey").parent / "journey-map-viewport.png"))


def test_journey_sankey_by_channel_and_url(sample_server, page: Page):
    page.goto(f"{sample_server.url}/Journey?ds=sample&j_nodes=channel&j_steps=4")
    wait_for_app(page)
    sankey = page.locator(".js-plotly-plot").filter(has=page.locator(".sankey"))
    expect(sankey).to_have_count(1)
    expect(sankey.locator(".node-label").filter(has_text="#4").first).to_be_visible()
    assert not sankey.locator(".node-label").filter(has_text="#5").count()
    sankey.scroll_into_view_if_needed()
    page.screenshot(path=str(screenshot(page, "journey-paths").parent / "journey-paths-viewport.png"))
