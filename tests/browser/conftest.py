"""Browser fixtures: a streamlit server on a free port and Debian's chromium driven by Playwright."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Locator, Page, expect, sync_playwright
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from tests.browser.server import CHROMIUM, CHROMIUM_ARGS, ROOT, AppServer, start_server

# a page drawn on a busy two-core machine (two test workers, a server and chromium each) can take longer than
# Playwright's default 5 s to show its charts: every expect waits up to 30 s unless a test says otherwise
expect.set_options(timeout=30_000)

__all__ = ["AppServer", "start_server"]  # the browser tests import them from here

SCREENSHOTS = ROOT / "tests" / "screenshots"

pytestmark = pytest.mark.browser


@pytest.fixture(scope="session")
def sample_server(sample_db_file: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppServer]:
    """One server on the sample for the whole session (tests must not change its data)."""
    server = start_server(sample_db_file, tmp_path_factory.mktemp("server"))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian's chromium is missing: `make test` installs it (apt-get install chromium)")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


FRESH_STORAGE = """(() => {
  try {
    if (!sessionStorage.getItem("cx-test-page")) { localStorage.clear(); sessionStorage.setItem("cx-test-page", "1"); }
  } catch (e) {}
})();"""
"""Run before a page's own scripts: the first load of an origin in a new page starts with nothing stored (Streamlit's
frontend keeps the sidebar's state and width and the theme in localStorage), later loads in that page keep what it
stored, as in a browser of its own."""


@pytest.fixture(scope="session")
def browser_context(browser: Browser) -> Iterator[BrowserContext]:
    """One browser context per test worker. Its HTTP cache keeps Streamlit's scripts and fonts (9.5 MB a page, 4.7 MB
    of it plotly) between tests: in a context of its own every test's first page fetched them from the server again
    (0.45 s of the server's CPU) and compiled them again. Nothing stored passes between tests (FRESH_STORAGE,
    cookies cleared after each)."""
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    context.add_init_script(FRESH_STORAGE)
    yield context
    context.close()


@pytest.fixture
def page(browser_context: BrowserContext) -> Iterator[Page]:
    """A new page (tab) of the worker's browser context, as a new visitor's: no session, nothing stored, no cookie."""
    pg = browser_context.new_page()
    yield pg
    pg.close()
    browser_context.clear_cookies()


def frames_received(page: Page) -> list[bytes]:
    """A list that collects every websocket frame the server sends page from now on (cleared by the caller)."""
    received: list[bytes] = []
    page.on(
        "websocket",
        lambda ws: ws.on(
            "framereceived", lambda payload: received.append(bytes(payload, "utf-8") if isinstance(payload, str) else payload)
        ),
    )
    return received


def wait_for_app(page: Page, timeout: float = 60_000) -> None:
    """Wait until the script has finished running and the page is drawn."""
    page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]', timeout=timeout)
    page.wait_for_timeout(300)
    page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]', timeout=timeout)


CHARTS_DRAWN = """() => [...document.querySelectorAll('[data-testid=stPlotlyChart]')]
  .every(chart => chart.querySelector('.main-svg'))"""


def wait_for_charts(page: Page, settle: float = 300, timeout: float = 30_000) -> None:
    """Wait until the script has finished and every plotly chart on the page has drawn (plotly draws after the
    script ends), then settle ms for the last layout pass."""
    wait_for_app(page)
    page.wait_for_function(CHARTS_DRAWN, timeout=timeout)
    page.wait_for_timeout(settle)


def _sidebar_multiselect(page: Page, index: int) -> Locator:
    return page.get_by_test_id("stSidebar").locator('[data-testid="stMultiSelect"]').nth(index)


def sidebar_choices(page: Page, index: int) -> list[str]:
    """The values chosen in the sidebar's index-th multiselect (0 segment, 1 region)."""
    tags = _sidebar_multiselect(page, index).locator("[data-tag]")  # one per value (Streamlit 1.67, react-aria)
    return sorted(tags.nth(i).get_attribute("aria-label") or "" for i in range(tags.count()))


def shows_choice(page: Page, index: int, option: str, timeout: float = 10_000) -> bool:
    """Whether the sidebar's index-th multiselect shows option's tag within timeout ms (its tags are drawn after the
    script has finished, later still on a loaded machine)."""
    try:
        _sidebar_multiselect(page, index).locator(f'[data-tag][aria-label="{option}"]').wait_for(timeout=timeout)
    except PlaywrightTimeout:
        return False
    return True


def choose_in_sidebar(page: Page, index: int, option: str) -> None:
    """Add option to the sidebar's index-th multiselect by keyboard, as a person typing it would, and wait until the app
    has taken it (its tag shown, the run it caused finished).

    The app must be idle first: Streamlit 1.67's multiselect drops a selection made while its list is not open (its
    select handler returns early), and a run redrawing the page can close the list between the option appearing and a
    mouse click on it, so a clicked choice was lost without a trace under load. Typing the name and pressing Enter picks
    the first match while the list is open, with no pointer movement or scrolling that could close it."""
    wait_for_app(page)
    box = _sidebar_multiselect(page, index).locator("input")
    box.click()
    page.keyboard.type(option)  # typing opens the list, filtered to the options matching what was typed
    first = page.get_by_role("listbox").get_by_role("option").first
    expect(first).to_have_text(option, timeout=10_000)  # the exact option heads the list, so Enter picks it
    page.keyboard.press("Enter")
    page.keyboard.press("Escape")  # closes the list, which would otherwise cover the page below the sidebar
    wait_for_app(page)
    taken = shows_choice(page, index, option)
    assert taken, f"{option!r} was not taken by sidebar multiselect {index}: {sidebar_choices(page, index)}"


def screenshot(page: Page, name: str) -> Path:
    """Save a full-page screenshot to tests/screenshots/<name>.png (git-ignored) and return its path."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def report_charts(page: Page, browser, path) -> int:
    """Download the page's HTML report to path, open it offline and count its drawn plotly charts."""
    with page.expect_download() as download:
        page.get_by_test_id("stSidebar").get_by_role("button", name="Download report (HTML)").click()
    download.value.save_as(path)
    offline = browser.new_context(offline=True)
    try:
        report_page = offline.new_page()
        report_page.goto(path.as_uri())
        report_page.wait_for_selector(".js-plotly-plot .main-svg", timeout=30_000)
        return report_page.locator(".js-plotly-plot").count()
    finally:
        offline.close()
