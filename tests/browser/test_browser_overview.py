"""Overview in a real browser: KPIs drawn, every navigation link works, a URL with filters restores them."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from dashboard.ui.nav import PAGES
from tests.browser.conftest import choose_in_sidebar, screenshot, wait_for_app
from tests.conftest import SCREENSHOTS

pytestmark = pytest.mark.browser


def _kpi(page: Page, label: str) -> str:
    tile = page.locator('[data-testid="stMetric"]').filter(has_text=label).first
    return tile.locator('[data-testid="stMetricValue"]').inner_text()


def test_overview_shows_kpis_and_follows_every_link(sample_server, page: Page):
    page.goto(sample_server.url)
    wait_for_app(page)
    expect(page.locator('[data-testid="stMetric"]')).to_have_count(8)
    assert _kpi(page, "Customers") == "18,636"
    expect(page.locator(".js-plotly-plot")).to_have_count(1)
    screenshot(page, "overview")
    for entry in PAGES:
        page.get_by_test_id("stSidebar").get_by_role("link", name=entry.label).click()
        wait_for_app(page)
        expect(page.get_by_role("heading", name=entry.label, level=1)).to_be_visible()
        assert not page.locator('[data-testid="stException"]').count(), f"{entry.label} raised an exception"
        screenshot(page, f"nav-{entry.label.lower().replace(' ', '-')}")


def test_url_with_filters_is_restored_on_reload(sample_server, page: Page):
    page.goto(f"{sample_server.url}/?ds=sample&segment=Commercial&period=2024-01..2024-06")
    wait_for_app(page)
    sidebar = page.get_by_test_id("stSidebar")
    expect(sidebar.get_by_text("Commercial")).to_be_visible()
    expect(sidebar.get_by_text("Jan 2024")).to_be_visible()
    expect(sidebar.get_by_text("Jun 2024")).to_be_visible()
    commercial = _kpi(page, "Customers")
    assert int(commercial.replace(",", "")) < 2000
    page.reload()
    wait_for_app(page)
    assert _kpi(page, "Customers") == commercial
    assert re.search(r"segment=Commercial", page.url)
    screenshot(page, "overview-filtered")


def test_choosing_a_segment_in_the_browser_updates_kpis_and_url(sample_server, page: Page):
    page.goto(sample_server.url)
    wait_for_app(page)
    before = _kpi(page, "Customers")
    choose_in_sidebar(page, 0, "Small business")
    after = _kpi(page, "Customers")
    assert after != before
    assert "segment=Small+business" in page.url or "segment=Small%20business" in page.url


def test_html_report_downloads_and_opens_with_its_charts(sample_server, page: Page, browser, tmp_path):
    page.goto(f"{sample_server.url}/?ds=sample&segment=Commercial")
    wait_for_app(page)
    with page.expect_download() as download_info:
        page.get_by_test_id("stSidebar").get_by_role("button", name="Download report (HTML)").click()
    path = tmp_path / "report.html"
    download_info.value.save_as(path)
    assert download_info.value.suggested_filename.startswith("cxlens-overview_sample-v1_")
    offline = browser.new_context(offline=True)
    report_page = offline.new_page()
    report_page.goto(path.as_uri())
    expect(report_page.locator(".js-plotly-plot")).to_have_count(1)
    expect(report_page.get_by_text("segments: Commercial")).to_be_visible()
    expect(report_page.locator(".kpi")).to_have_count(8)
    report_page.screenshot(path=str(screenshot(page, "overview-page").parent / "overview-report.png"), full_page=True)
    offline.close()


def test_the_chart_toolbar_saves_a_png_named_like_the_other_exports(sample_server, page: Page):
    """Drawn by the browser (no kaleido, no server-side Chrome): hover the chart, press the toolbar's camera."""
    page.goto(sample_server.url)
    wait_for_app(page)
    chart = page.locator(".js-plotly-plot").first
    chart.hover()
    camera = chart.get_by_role("button", name="Download plot as a PNG")
    expect(camera).to_be_visible()
    screenshot(page, "overview-chart-toolbar")
    with page.expect_download(timeout=60_000) as download_info:
        camera.click()
    download = download_info.value
    assert re.fullmatch(r"overview-trend_sample-v1_[0-9a-f]{8}\.png", download.suggested_filename), download.suggested_filename
    path = SCREENSHOTS / "overview-chart-toolbar-download.png"
    download.save_as(path)
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width = int.from_bytes(data[16:20], "big")  # the PNG header's width: twice the chart's on-screen width
    assert width == 2 * round(chart.bounding_box()["width"])


def test_presentation_mode_hides_the_sidebar_at_projector_sizes(sample_server, browser):
    for width, height in ((1920, 1080), (1280, 720)):
        context = browser.new_context(viewport={"width": width, "height": height})
        pg = context.new_page()
        pg.goto(f"{sample_server.url}/?present=1")
        wait_for_app(pg)
        expect(pg.get_by_test_id("stSidebar")).to_be_hidden()
        expect(pg.get_by_role("button", name="Exit presentation")).to_be_visible()
        screenshot(pg, f"overview-present-{width}x{height}")
        pg.get_by_role("button", name="Exit presentation").click()
        wait_for_app(pg)
        expect(pg.get_by_test_id("stSidebar")).to_be_visible()
        assert "present" not in pg.url
        context.close()
