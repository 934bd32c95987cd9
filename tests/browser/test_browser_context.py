"""The context line and the change against the previous period, in presentation mode at both projector sizes, as a
room sees them (screenshots in tests/screenshots/context-<page>-<size>.png for a person to look at)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, expect

from tests.browser.conftest import SCREENSHOTS, AppServer, wait_for_app
from tests.browser.test_browser_url_restore import url_path

pytestmark = pytest.mark.browser

SIZES = ((1920, 1080), (1280, 720))
LAST_QUARTER = "period=2025-10..2025-12&segment=Residential"
PAGES = {"Overview": 8, "Defection": 3}
"""Pages and how many tiles show a change for the sample's last quarter against the one before."""


@pytest.mark.parametrize("label", list(PAGES))
def test_presenting_a_quarter_says_which_and_against_what(label: str, sample_server: AppServer, browser: Browser):
    url = f"{sample_server.url}/{url_path(label)}?present=1&{LAST_QUARTER}"
    for width, height in SIZES:
        context = browser.new_context(viewport={"width": width, "height": height})
        page = context.new_page()
        page.goto(url)
        wait_for_app(page)
        main = page.get_by_test_id("stMain")
        line = main.get_by_text(
            "segments: Residential · regions: all · Oct 2025 to Dec 2025 · compared with Jul 2025 to Sep 2025"
        )
        expect(line).to_be_visible()
        box = line.bounding_box()
        assert box is not None and box["y"] < height / 2, "the context line is in the first half of the first screen"
        deltas = main.locator('[data-testid="stMetricDelta"]')
        expect(deltas).to_have_count(PAGES[label], timeout=60_000)
        said = main.locator('[data-testid="stMetricDeltaDescription"]')
        expect(said.first).to_have_text("vs Jul–Sep 2025")
        for shown in (*deltas.all(), *said.all()):
            assert shown.evaluate("e => e.scrollWidth <= e.clientWidth + 1"), f"{label}: {shown.inner_text()} cut at {width} px"
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"context-{label.lower()}-{width}x{height}.png"))
        context.close()
