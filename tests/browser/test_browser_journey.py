"""The Journey page in a real browser: every section draws, URL state restores the Sankey, a bar click drills down."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import SCREENSHOTS, frames_received, report_charts, screenshot, wait_for_app, wait_for_charts

pytestmark = pytest.mark.browser


def test_journey_page_draws_every_section(sample_server, page: Page):
    page.set_viewport_size({"width": 1440, "height": 6400})  # the whole page in one picture, as a room would scroll it
    page.goto(f"{sample_server.url}/Journey?ds=sample")
    wait_for_app(page)
    expect(page.get_by_role("heading", name="Journey", level=1)).to_be_visible()
    assert not page.locator('[data-testid="stException"]').count()
    expect(page.get_by_text("Lowest satisfaction")).to_be_visible(timeout=30_000)
    expect(page.get_by_role("heading", name="Journey map")).to_be_visible(timeout=30_000)
    expect(page.locator(".js-plotly-plot")).to_have_count(1, timeout=30_000)  # only the open tab draws
    page.wait_for_timeout(1500)  # let plotly finish drawing before the picture
    screenshot(page, "journey")
    charts = 1
    tabs = {
        "Service": ("Service",),
        "Stage by channel": ("Touchpoints by stage and channel",),
        "Paths": ("Paths", "Who is behind it"),
    }
    for tab, headings in tabs.items():
        page.get_by_test_id("stMain").get_by_role("tab", name=tab, exact=True).click()
        wait_for_app(page)
        for heading in headings:
            expect(page.get_by_role("heading", name=heading, exact=True)).to_be_visible(timeout=30_000)
        expect(page.get_by_role("heading", name="Journey map")).to_have_count(0)
        assert f"j_tab={tab.replace(' ', '+')}" in page.url, "the open tab is in the link"
        drawn = page.locator(".js-plotly-plot:visible")
        expect(drawn.first).to_be_visible(timeout=30_000)
        page.wait_for_timeout(500)
        charts += drawn.count()
        assert not page.locator('[data-testid="stException"]').count()
    assert charts == 9, "every chart of the page is drawn in one tab or another"
    page.get_by_test_id("stMain").get_by_role("tab", name="Journey map", exact=True).click()
    wait_for_app(page)
    expect(page.get_by_role("heading", name="Journey map")).to_be_visible(timeout=30_000)
    assert "j_tab" not in page.url, "the first tab stays out of the link"


def test_journey_sankey_by_channel_from_the_url(sample_server, page: Page):
    page.goto(f"{sample_server.url}/Journey?ds=sample&j_tab=Paths&j_nodes=channel&j_steps=4")
    wait_for_app(page)
    sankey = page.locator(".js-plotly-plot").filter(has=page.locator(".sankey"))
    expect(sankey).to_have_count(1, timeout=30_000)
    expect(sankey.locator(".node-label").filter(has_text="phone #4")).to_have_count(1, timeout=30_000)
    assert not sankey.locator(".node-label").filter(has_text="#5").count()
    sankey.scroll_into_view_if_needed()
    page.wait_for_timeout(800)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "journey-paths.png"))


def test_drill_down_from_a_shared_link(sample_server, page: Page):
    page.goto(f"{sample_server.url}/Journey?ds=sample&j_tab=Paths&j_dkind=stage&j_dval=complaint")
    wait_for_app(page)
    behind = page.locator('[data-testid="stMarkdown"]').filter(has_text="customers behind complaint")
    expect(behind).to_be_visible(timeout=30_000)
    behind.scroll_into_view_if_needed()
    expect(page.get_by_role("button", name="Their timelines CSV")).to_be_visible(timeout=30_000)
    page.wait_for_timeout(800)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "journey-drill.png"))


def test_a_sankey_control_reruns_only_the_paths_and_keeps_every_figure(sample_server, page: Page):
    page.set_viewport_size({"width": 1440, "height": 6400})
    received = frames_received(page)
    page.goto(f"{sample_server.url}/Journey?ds=sample&j_tab=Paths&j_nodes=channel&j_steps=3")
    wait_for_app(page)
    sankey = page.locator(".js-plotly-plot").filter(has=page.locator(".sankey"))
    expect(sankey.locator(".node-label").filter(has_text="phone #3")).to_have_count(1, timeout=30_000)
    wait_for_charts(page)  # the drill-down's charts below the Sankey draw after it
    charts = page.locator(".js-plotly-plot").count()
    assert charts == page.get_by_test_id("stPlotlyChart").count() >= 3
    assert any(b"Lowest satisfaction" in frame for frame in received)  # a full run sends the hotspots above the tabs
    received.clear()
    slider = page.get_by_test_id("stSlider").filter(has_text="Touchpoints per customer").get_by_role("slider")
    slider.focus()
    page.keyboard.press("ArrowRight")
    expect(sankey.locator(".node-label").filter(has_text="phone #4")).to_have_count(1, timeout=30_000)
    wait_for_app(page)
    assert "j_steps=4" in page.url
    sent = b"".join(received)
    assert b"phone #4" in sent  # the new Sankey came over the wire ...
    assert b"Lowest satisfaction" not in sent  # ... the page above did not
    expect(page.locator(".js-plotly-plot")).to_have_count(charts)  # and every chart is still drawn
    expect(page.get_by_text("Lowest satisfaction")).to_be_visible()
    assert not page.locator('[data-testid="stException"]').count()


def test_a_table_download_is_built_when_clicked(sample_server, page: Page, tmp_path):
    page.goto(f"{sample_server.url}/Journey?ds=sample&j_tab=Paths&j_nodes=channel&j_steps=3")
    wait_for_app(page)
    button = page.get_by_role("button", name="Variants CSV")
    button.scroll_into_view_if_needed()
    with page.expect_download(timeout=60_000) as download_info:
        button.click()
    path = tmp_path / "variants.csv"
    download_info.value.save_as(path)
    header, first = path.read_text(encoding="utf-8-sig").splitlines()[:2]
    assert header.split(",")[:3] == ["variant", "touchpoints", "customers"]
    assert " → " in first.split(",")[0] and int(first.split(",")[1]) == 3  # the most common path of three channels


def test_a_drill_down_pick_reruns_only_the_drill_down_and_the_report_keeps_one_copy(sample_server, page: Page, browser, tmp_path):
    page.set_viewport_size({"width": 1440, "height": 6400})
    received = frames_received(page)
    page.goto(f"{sample_server.url}/Journey?ds=sample&j_tab=Paths&j_nodes=channel&j_steps=3&j_dkind=channel&j_dval=phone")
    wait_for_app(page)
    expect(page.locator(".js-plotly-plot").filter(has=page.locator(".sankey"))).to_have_count(1, timeout=30_000)
    expect(page.locator('[data-testid="stMarkdown"]').filter(has_text="customers behind phone")).to_be_visible(timeout=30_000)
    wait_for_charts(page)  # the drill-down's timeline draws after the script ends
    charts = page.locator(".js-plotly-plot").count()  # the Paths tab's: the Sankey, the bars and the timeline
    assert charts >= 3
    received.clear()
    picker = page.get_by_test_id("stSelectbox").filter(has_text="Channel").first
    picker.click()
    page.get_by_role("option", name="web", exact=True).click()
    expect(page.locator('[data-testid="stMarkdown"]').filter(has_text="customers behind web")).to_be_visible(timeout=30_000)
    wait_for_app(page)
    assert "j_dval=web" in page.url
    sent = b"".join(received)
    assert b"behind web" in sent  # the drill-down came over the wire ...
    assert b"phone #3" not in sent and b"Top journey variants" not in sent  # ... the Sankey and variants above did not
    assert b"Lowest satisfaction" not in sent  # nor the hotspots above the tabs
    expect(page.locator(".js-plotly-plot")).to_have_count(charts)  # every chart is still drawn
    # the Sankey's control reruns the paths and the drill-down inside them: the report still holds each part once
    slider = page.get_by_test_id("stSlider").filter(has_text="Touchpoints per customer").get_by_role("slider")
    slider.focus()
    page.keyboard.press("ArrowRight")
    wait_for_app(page)
    expect(
        page.locator(".js-plotly-plot").filter(has=page.locator(".sankey")).locator(".node-label").filter(has_text="phone #4")
    ).to_have_count(1, timeout=30_000)
    after_picks = report_charts(page, browser, tmp_path / "picked.html")
    page.goto(page.url)
    wait_for_app(page)
    expect(page.locator(".js-plotly-plot")).to_have_count(charts, timeout=30_000)
    assert after_picks == report_charts(page, browser, tmp_path / "fresh.html") == charts


CELL_TEXT = """() => [...document.querySelectorAll('[data-testid="stPlotlyChart"] .heatmaplayer g.hm')].map((lane) => {
  const texts = [...lane.querySelectorAll('text')];
  const drawn = Number(lane.querySelector('image').getAttribute('width'));
  return {cell: drawn / texts.length - 3, texts: texts.map((t) => [t.textContent, t.getBBox().width])};
})"""
"""Each text lane of the journey map: its cells' width in px (the lane's picture over its cells, less the gap) and
each cell's text with its drawn width."""


@pytest.mark.parametrize("width", [1280, 1920])
def test_the_journey_maps_cell_text_stays_in_its_cells(sample_server, page: Page, width: int):
    """At 1,280 px with the sidebar open, ten stages leave cells about 53 px wide: "Low sat." in bold at 16 px ran
    into the next cell; every lane's text now fits its cell, at 1,920 px too."""
    page.set_viewport_size({"width": width, "height": 1000})
    page.goto(f"{sample_server.url}/Journey?ds=sample")
    wait_for_app(page)
    expect(page.locator(".heatmaplayer g.hm")).to_have_count(3, timeout=30_000)  # next stage, cost, pain point
    page.wait_for_timeout(500)
    lanes = page.evaluate(CELL_TEXT)
    assert [len(lane["texts"]) for lane in lanes] == [10, 10, 10]
    for lane in lanes:
        assert lane["cell"] > 40
        too_wide = [(text, round(drawn)) for text, drawn in lane["texts"] if drawn > lane["cell"]]
        assert not too_wide, f"text wider than its {lane['cell']:.0f} px cell: {too_wide}"
