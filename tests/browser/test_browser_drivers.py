"""Drivers in a real browser: the sample's defection drivers drawn, the outcome picked by a click lands in the URL and
reruns only the outcome's fragment; screenshots."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import frames_received, screenshot, wait_for_app

pytestmark = pytest.mark.browser


def test_the_drivers_page_draws_the_chart_and_the_outcome_goes_into_the_url(sample_server, page: Page):
    page.set_viewport_size({"width": 1440, "height": 3000})
    received = frames_received(page)
    page.goto(f"{sample_server.url}/Drivers?ds=sample")
    wait_for_app(page, timeout=120_000)
    main = page.get_by_test_id("stMain")
    # wait for what is read: on a loaded machine the charts are drawn after the script has finished
    expect(main.get_by_text("What fixing it is worth", exact=True)).to_be_visible(timeout=30_000)
    expect(main.get_by_text("Association, not proven cause.")).to_be_visible(timeout=30_000)
    # the odds-ratio chart of every driver waits in its expander: opened, it is drawn and the link keeps it open
    expect(main.locator(".js-plotly-plot")).to_have_count(1, timeout=30_000)
    main.get_by_test_id("stExpander").filter(has_text="The odds ratios as a chart").locator("summary").click()
    expect(main.locator(".js-plotly-plot")).to_have_count(2, timeout=60_000)
    expect(page).to_have_url(re.compile(r"dr_or=true"), timeout=10_000)
    wait_for_app(page, timeout=120_000)
    screenshot(page, "drivers-defection")
    assert b"how strongly once the others are taken into" in b"".join(received)  # the page's intro: a full run
    received.clear()
    main.get_by_text("Low satisfaction", exact=True).click()
    wait_for_app(page, timeout=120_000)
    assert "dr_outcome=low+satisfaction" in page.url or "dr_outcome=low%20satisfaction" in page.url
    expect(main.get_by_text("Low satisfaction means a score of at most 2.0.", exact=False)).to_be_visible(timeout=30_000)
    # the outcome's sections came over the wire; the intro and the sidebar did not (not rerun) and are still drawn
    sent = b"".join(received)
    assert b"Low satisfaction means a score of at most" in sent
    assert b"how strongly once the others are taken into" not in sent and b"Presentation mode" not in sent
    expect(main.get_by_text("how strongly once the others are taken into", exact=False)).to_be_visible()
    screenshot(page, "drivers-low-satisfaction")
