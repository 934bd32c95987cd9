"""Behaviours and What-if in a real browser: moving a slider changes the money figure and the URL; presets move the
sliders the browser shows; reset filters resets the widgets; screenshots."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import choose_in_sidebar, frames_received, report_charts, screenshot, wait_for_app

pytestmark = pytest.mark.browser

TALL = {"width": 1440, "height": 2600}


def _headline(page: Page):
    """The big money figure: the What-if's headline text."""
    return page.locator(".st-key-w_headline p").first


def test_moving_a_slider_and_the_presets_show_the_new_total(sample_server, page: Page, browser, tmp_path):
    page.set_viewport_size(TALL)
    page.goto(f"{sample_server.url}/What-if?ds=sample&w_pre=e_billing")
    wait_for_app(page)
    # the article's example in one click: 463,904 customers, e-billing at best-in-class, the rest at today
    page.get_by_role("button", name="Article").click()
    wait_for_app(page)
    expect(_headline(page)).to_have_text("$3.47M")
    main = page.get_by_test_id("stMain")
    main.get_by_role("slider").first.focus()  # e-billing: the most money comes first
    page.keyboard.press("End")  # to 100 %
    wait_for_app(page)
    # 463,904 customers x (100 % - 16.00 %) x $11 = $4,286,387 (the sample's adoption is 2,278 / 14,236)
    expect(_headline(page)).to_have_text("$4.286M")
    assert page.get_by_text(re.compile(r"^Total annual savings: ")).inner_text() == "Total annual savings: $4,286,387 a year"
    assert "w_t_e_billing=100.0" in page.url
    screenshot(page, "whatif-slider-moved")
    slider = main.get_by_role("slider").first
    slider.focus()  # again after the full-page picture: the keys go to the slider, as a person presses them on it
    for _ in range(10):  # ten steps of 0.1 point down: 99.0 %
        page.keyboard.press("ArrowLeft")
    expect(main.get_by_test_id("stSliderThumbValue").first).to_have_text("99.0 %")  # the browser took every key ...
    wait_for_app(page)
    expect(_headline(page)).to_have_text("$4.235M")  # ... and the page the value the keys came to
    assert "w_t_e_billing=99.0" in page.url
    # the halfway preset moves the slider the browser shows, and it stays there when another control changes
    page.get_by_role("button", name="Halfway").click()
    wait_for_app(page)
    expect(_headline(page)).to_have_text("$1.735M")
    expect(main.get_by_test_id("stSliderThumbValue").first).to_have_text("50.0 %")
    screenshot(page, "whatif-halfway")
    main.get_by_test_id("stNumberInput").filter(has_text="Years to project").get_by_test_id("stNumberInputStepUp").click()
    wait_for_app(page)
    expect(_headline(page)).to_have_text("$1.735M")
    assert "w_years=6" in page.url and "w_t_e_billing=50.0" in page.url
    # the report holds the page once, however often the sliders' fragment reran: as many charts as a fresh load
    after_moves = report_charts(page, browser, tmp_path / "moved.html")
    page.goto(page.url)
    wait_for_app(page)
    expect(_headline(page)).to_have_text("$1.735M")
    fresh = report_charts(page, browser, tmp_path / "fresh.html")
    assert after_moves == fresh >= 2


def test_a_slider_move_resends_only_the_what_if_and_keeps_the_rest_of_the_page_drawn(sample_server, page: Page):
    page.set_viewport_size(TALL)
    received = frames_received(page)
    page.goto(f"{sample_server.url}/What-if?ds=sample&w_pre=e_billing")
    wait_for_app(page)
    page.get_by_role("button", name="Article").click()
    wait_for_app(page)
    expect(_headline(page)).to_have_text("$3.47M")
    lever = page.get_by_text("A driver as a lever: what fixing a driver of defection keeps")
    expect(lever).to_be_visible()
    charts = page.locator(".js-plotly-plot").count()
    sent = b"".join(received)
    assert b"A driver as a lever" in sent and b"Presets set every chosen behaviour" in sent  # a full run sends them
    received.clear()
    page.get_by_test_id("stMain").get_by_role("slider").first.focus()  # e-billing
    page.keyboard.press("End")
    expect(_headline(page)).to_have_text("$4.286M")  # 463,904 x (100 % - 16.00 %) x $11 = $4,286,387
    wait_for_app(page)
    sent = b"".join(received)
    assert b"$4.286M" in sent  # the new money figure came over the wire ...
    # ... the page's intro, the sidebar and the driver lever below the What-if did not: they were not rerun
    assert b"Presets set every chosen behaviour" not in sent and b"Presentation mode" not in sent
    assert b"A driver as a lever" not in sent
    expect(lever).to_be_visible()  # and they are still on screen
    expect(page.locator(".js-plotly-plot")).to_have_count(charts)
    assert not page.locator('[data-testid="stException"]').count()


def test_the_catalogue_editor_reruns_alone_and_leaves_the_figures_drawn(sample_server, page: Page):
    page.set_viewport_size({"width": 1440, "height": 4800})
    received = frames_received(page)
    page.goto(f"{sample_server.url}/Behaviours?ds=sample")
    wait_for_app(page)
    expect(page.locator(".js-plotly-plot")).to_have_count(1)  # the open tab's: adoption against best-in-class
    assert b"Adoption today against best-in-class" in b"".join(received)  # a full run sends the page's sections
    editor = page.get_by_test_id("stExpander").filter(has_text="Edit the catalogue")
    editor.locator("summary").click()
    pick = editor.get_by_test_id("stSelectbox").first  # which behaviour to edit
    expect(pick).to_be_visible()
    # the expander scrolls while it opens, and a list opened then is closed by it (react-aria closes on scroll): as a
    # person would, pick once it has stopped (no scroll inside it for 250 ms)
    editor.evaluate(
        """(box) => new Promise((done) => { let quiet = setTimeout(done, 250);
          box.addEventListener('scroll', () => { clearTimeout(quiet); quiet = setTimeout(done, 250); }, true); })"""
    )
    received.clear()
    pick.locator("input").click()
    expect(page.get_by_role("listbox")).to_be_visible()  # the list is open before the typing goes into it
    page.keyboard.type("E-billing")
    page.get_by_role("option", name="E-billing").first.click()
    wait_for_app(page)
    expect(editor.get_by_role("textbox", name="Name")).to_have_value("E-billing")  # its fields were loaded ...
    sent = b"".join(received)
    assert b"E-billing" in sent
    # ... by a rerun of the editor alone: neither the sections above it nor the sidebar came over the wire again
    assert b"Adoption today against best-in-class" not in sent and b"Presentation mode" not in sent
    expect(page.locator(".js-plotly-plot")).to_have_count(1)  # and the figure is still drawn
    assert not page.locator('[data-testid="stException"]').count()


def test_reset_filters_resets_the_widgets_in_the_browser(sample_server, page: Page):
    page.goto(f"{sample_server.url}/?ds=sample&segment=Commercial&period=2024-01..2024-06")
    wait_for_app(page)
    sidebar = page.get_by_test_id("stSidebar")
    sidebar.get_by_role("button", name="Reset filters").click()
    wait_for_app(page)
    expect(sidebar.get_by_test_id("stSliderThumbValue")).to_have_text(["Jan 2023", "Dec 2025"])
    choose_in_sidebar(page, 1, "North")
    assert "segment=" not in page.url and "period=" not in page.url and "region=North" in page.url


def test_behaviours_page_draws_its_tables_and_charts(sample_server, page: Page):
    page.set_viewport_size({"width": 1440, "height": 4800})
    page.goto(f"{sample_server.url}/Behaviours?ds=sample")
    wait_for_app(page)
    expect(page.get_by_role("heading", name="Behaviours", level=1)).to_be_visible()
    expect(page.locator(".js-plotly-plot")).to_have_count(1)  # only the open tab draws
    assert not page.locator('[data-testid="stException"]').count()
    screenshot(page, "behaviours")
    charts = 1
    for tab, heading in (
        ("By segment or region", "By segment or region"),
        ("By number of behaviours", "Customers by number of behaviours"),
        ("Churn", "Churn with and without each behaviour"),
    ):
        page.get_by_test_id("stMain").get_by_role("tab", name=tab, exact=True).click()
        wait_for_app(page)
        expect(page.get_by_role("heading", name=heading, exact=True)).to_be_visible(timeout=30_000)
        expect(page.get_by_role("heading", name="Adoption today against best-in-class")).to_have_count(0)
        drawn = page.locator(".js-plotly-plot:visible")
        expect(drawn.first).to_be_visible(timeout=30_000)
        page.wait_for_timeout(300)
        charts += drawn.count()
        assert not page.locator('[data-testid="stException"]').count()
        assert "b_tab=" in page.url
    assert charts == 5, "every chart of the page is drawn in one tab or another"
    page.set_viewport_size({"width": 1280, "height": 800})  # a projector
    page.goto(f"{sample_server.url}/What-if?ds=sample")
    wait_for_app(page)
    page.get_by_role("button", name="Article").click()  # the article's example: one click
    wait_for_app(page)
    expect(_headline(page)).to_have_text("$3.47M")
    screenshot(page, "whatif-projector")
