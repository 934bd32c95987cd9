"""The Story in a real browser: Next and Previous move the step and the URL, a link reopens the step, a note typed
in the box is saved with the dataset and shown as plain text, and presentation mode at projector sizes."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import AppServer, screenshot, start_server, wait_for_app

pytestmark = pytest.mark.browser
NOTE = "<b>x</b> Billing **hurts**: ask Ana"


@pytest.fixture(scope="module")
def story_server(sample_db_file: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppServer]:
    """A server on its own copy of the sample: these tests save notes, which the shared server must not see."""
    server = start_server(sample_db_file, tmp_path_factory.mktemp("story-server"))
    yield server
    server.stop()


def _open(page: Page, url: str) -> None:
    page.goto(url)
    wait_for_app(page)
    assert not page.locator('[data-testid="stException"]').count()


def _indicator(page: Page) -> str:
    return page.get_by_text(re.compile(r"^Step \d of 7 · ")).first.inner_text()


def test_next_and_previous_move_the_step_and_a_link_reopens_it(story_server, page: Page):
    _open(page, f"{story_server.url}/Story")
    expect(page.get_by_role("heading", name="Story", level=1)).to_be_visible()
    assert _indicator(page) == "Step 1 of 7 · Where we stand"
    expect(page.locator('[data-testid="stMetric"]')).to_have_count(8)
    page.get_by_role("button", name="Next: Journey pain points").first.click()
    wait_for_app(page)
    assert _indicator(page) == "Step 2 of 7 · Journey pain points"
    assert "s_step=2" in page.url
    expect(page.get_by_role("heading", name="Journey map")).to_be_visible()
    page.reload()
    wait_for_app(page)
    assert _indicator(page) == "Step 2 of 7 · Journey pain points"
    page.get_by_role("button", name="Previous").first.click()
    wait_for_app(page)
    assert _indicator(page) == "Step 1 of 7 · Where we stand"
    assert "s_step" not in page.url
    page.get_by_role("radio", name="5 · Defection").click()  # the step picker
    wait_for_app(page)
    assert _indicator(page) == "Step 5 of 7 · Defection"
    assert "s_step=5" in page.url


def test_a_typed_note_is_saved_and_shown_as_plain_text_to_the_next_visitor(story_server, page: Page, browser: Browser):
    _open(page, f"{story_server.url}/Story?s_step=2")
    box = page.get_by_role("textbox", name="Notes")
    box.fill(NOTE)
    page.get_by_role("heading", name="Journey pain points").click()  # leaving the box saves it
    wait_for_app(page)
    page.get_by_role("button", name="Next: Perfect behaviours").first.click()  # another step, and back
    wait_for_app(page)
    page.get_by_role("button", name="Previous").first.click()
    wait_for_app(page)
    expect(page.get_by_role("textbox", name="Notes")).to_have_value(NOTE)

    fresh = browser.new_context(viewport={"width": 1440, "height": 900})
    other = fresh.new_page()
    _open(other, f"{story_server.url}/Story?s_step=2")
    expect(other.get_by_role("textbox", name="Notes")).to_have_value(NOTE)
    _open(other, f"{story_server.url}/Story?s_step=2&present=1")
    expect(other.get_by_role("textbox", name="Notes")).to_have_count(0)
    expect(other.get_by_text(NOTE, exact=True)).to_be_visible()
    main = other.get_by_test_id("stMain")
    assert main.locator("b", has_text="x").count() == 0 and main.locator("strong", has_text="hurts").count() == 0
    _open(other, f"{story_server.url}/Story?s_step=7&present=1")
    expect(other.get_by_text(NOTE, exact=True)).to_be_visible()
    fresh.close()


@pytest.mark.parametrize(("width", "height"), [(1920, 1080), (1280, 720)])
def test_presentation_mode_at_projector_sizes(story_server, browser: Browser, width: int, height: int):
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    _open(page, f"{story_server.url}/Story?present=1")
    expect(page.get_by_test_id("stSidebar")).to_be_hidden()
    expect(page.get_by_role("button", name="Exit presentation")).to_be_visible()
    expect(page.get_by_role("textbox", name="Notes")).to_have_count(0)
    expect(page.locator('[data-testid="stMetric"]')).to_have_count(8)
    screenshot(page, f"story-present-step1-{width}x{height}")

    page.get_by_role("button", name="Next: Journey pain points").first.click()
    wait_for_app(page)
    assert _indicator(page) == "Step 2 of 7 · Journey pain points"
    assert "present=1" in page.url and "s_step=2" in page.url
    expect(page.locator(".js-plotly-plot")).to_have_count(1)
    screenshot(page, f"story-present-step2-{width}x{height}")

    page.get_by_role("radio", name="4 · What-if").click()
    wait_for_app(page)
    page.get_by_role("button", name="Halfway").click()  # an executive moves every behaviour halfway
    wait_for_app(page)
    expect(page.get_by_text(re.compile(r"^Total annual savings: \$[\d,]+ a year$"))).to_be_visible()
    assert "w_t_e_billing=" in page.url
    screenshot(page, f"story-present-step4-{width}x{height}")
    context.close()
