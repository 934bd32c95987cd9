"""Proof for the room (issue 15): every page and every Story step in presentation mode, on the sample filtered to
one segment and the last quarter, at 1280×720 and 1920×1080. On each: no sidebar, no exception or error, no editing
control, the page title at 40 px or more, the context line on the first screen, no tile label or value, change, page
link or button cut, and no text under 16 px.
Screenshots in tests/screenshots/room-<page>-<width>.png (the first screen at each size) and
room-<page>-1920-whole.png (the whole page) for a person to look at."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page, expect

from dashboard.story import STEP_COUNT
from dashboard.ui.nav import PAGES as REGISTERED
from tests.browser.conftest import SCREENSHOTS, AppServer, wait_for_app, wait_for_charts
from tests.browser.test_browser_readable import CUT_TILES, SMALL_TEXT
from tests.browser.test_browser_url_restore import url_path

pytestmark = pytest.mark.browser

SIZES = ((1280, 720), (1920, 1080))
FILTERS = "present=1&period=2025-10..2025-12&segment=Residential"
CONTEXT = "segments: Residential · regions: all · Oct 2025 to Dec 2025 · compared with Jul 2025 to Sep 2025"
EDITING = {
    "Overview": ("Number format",),
    "Journey": ("Save as this dataset's defaults",),
    "Funnel": ("Stage rules", "Restore default costs"),
    "Behaviours": ("Edit the catalogue", "The behaviour catalogue"),
    "What-if": ("Save scenario", "Scenario name", "Delete scenario"),
    "Defection": ("Definition of a defected customer", "Save this definition for the dataset"),
    "Drivers": ("Driver table CSV",),
    "Data": ("Delete version 1", "Make version 1 active", "Rename"),
}
"""Per page, text of the editing controls it shows outside presentation mode (with the changes in QUERY below)."""
QUERY = {
    "Journey": "&j_repeat=10",  # a changed window offers its save button outside presentation mode
    "Defection": "&d_days=200",  # likewise the definition's save button
    "Data": "&d_view=Datasets",  # the section with the dataset actions
    "Drivers": "&dr_or=true",  # the odds-ratio chart open, so its text is checked too
}
SHOWN = (
    [(label, QUERY.get(label, "")) for label in EDITING]
    + [("Journey", f"&j_tab={tab}") for tab in ("Service", "Stage+by+channel", "Paths")]  # each tab draws only when open
    + [("Behaviours", f"&b_tab={tab}") for tab in ("By+segment+or+region", "By+number+of+behaviours", "Churn")]
    + [("Defection", f"&d_tab={tab}") for tab in ("Why+they+leave", "What+it+costs", "Who+to+call", "Retention", "Model+check")]
    + [("Story", f"&s_step={n}") for n in range(1, STEP_COUNT + 1)]
)
SMALL_VALUES = """() => [...document.querySelectorAll('[data-testid=stMetric]')].map(tile => {
  const size = (sel) => { const e = tile.querySelector(sel + ' p') || tile.querySelector(sel);
                          return e ? parseFloat(getComputedStyle(e).fontSize) : 0; };
  const value = size('[data-testid=stMetricValue]'), label = size('[data-testid=stMetricLabel]');
  return value < 1.5 * label ? `${tile.textContent.trim().slice(0, 40)}: value ${value}px, label ${label}px` : null;
}).filter(Boolean)"""
"""Tiles whose figure is drawn less than 1.5 times its label's size: the figure is what the room reads first."""
CUT_CHANGES = """() => [...document.querySelectorAll(
  '[data-testid=stMetricDelta] div, [data-testid=stMetricDeltaDescription]'
)].filter(e => e.scrollWidth > e.clientWidth + 1).map(e => e.textContent.trim())"""


def _presenting(page: Page, label: str) -> None:
    """Presentation mode as the room sees it: no sidebar, nothing raised, no error, no editing control (no download,
    no upload), and on a page the page's title at 40 px or more with the way out of the mode."""
    main = page.get_by_test_id("stMain")
    expect(page.get_by_test_id("stSidebar")).to_be_hidden()
    assert not page.locator('[data-testid="stException"]').count(), f"{label} raised an exception"
    assert not page.locator('[data-testid="stAlertContentError"]').count(), f"{label} shows an error"
    for text in EDITING.get(label, ()):
        expect(page.get_by_text(text, exact=False)).to_have_count(0)
    expect(main.locator('[data-testid="stDownloadButton"]')).to_have_count(0)  # CSV and Excel buttons
    expect(page.locator('[data-testid="stFileUploader"]')).to_have_count(0)
    if label in EDITING:
        title = page.get_by_role("heading", name=label, level=1)
        expect(title).to_be_visible()
        expect(page.get_by_role("button", name="Exit presentation")).to_be_visible()
        size = title.evaluate("e => parseFloat(getComputedStyle(e).fontSize)")
        assert size >= 40, f"{label}: the page title is {size}px in presentation mode"


def _check(page: Page, label: str, name: str, width: int, height: int) -> list[str]:
    """What is wrong on the page as drawn (empty when nothing); takes its screenshot."""
    wait_for_app(page)
    # presentation mode's style is in (html at 19 or 20 px: a loaded machine can measure before it is mounted)
    page.wait_for_function("['19px', '20px'].includes(getComputedStyle(document.documentElement).fontSize)")
    wait_for_charts(page)
    _presenting(page, label)
    main = page.get_by_test_id("stMain")
    line = main.get_by_text(CONTEXT)
    expect(line).to_be_visible()
    box = line.bounding_box()
    problems = []
    if box is None or box["y"] + box["height"] > height:
        problems.append(f"{name} {width}px: the context line is not on the first screen")
    problems += [f"{name} {width}px: cut: {text}" for text in page.evaluate(CUT_TILES) + page.evaluate(CUT_CHANGES)]
    problems += [f"{name} {width}px: under 16 px: {text}" for text in page.evaluate(SMALL_TEXT)]
    problems += [f"{name} {width}px: figure not above its label: {text}" for text in page.evaluate(SMALL_VALUES)]
    if label == "What-if":  # the money figure is the largest text on the page, in the room too
        money = page.locator(".st-key-w_headline p").first.evaluate("e => parseFloat(getComputedStyle(e).fontSize)")
        if money < 60:
            problems.append(f"{name} {width}px: the money figure is {money}px")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"room-{name}-{width}.png"))  # the first screen, as the room sees it
    return problems


def _whole(page: Page, name: str, width: int) -> None:
    """A screenshot of the whole page (Streamlit scrolls inside its own container, so it needs a tall window)."""
    tall = page.evaluate("document.querySelector('[data-testid=stMain]').scrollHeight")
    page.set_viewport_size({"width": width, "height": min(int(tall), 9000)})
    page.wait_for_timeout(400)
    page.screenshot(path=str(SCREENSHOTS / f"room-{name}-{width}-whole.png"))


def test_every_page_and_story_step_reads_from_the_back_of_the_room(sample_server: AppServer, browser: Browser):
    """Each page is opened once, at the smaller size, then the window is widened to the larger: the page lays itself
    out again as the room's browser would (a window moved to the projector), without a second load."""
    context = browser.new_context(viewport=dict(zip(("width", "height"), SIZES[0], strict=True)))
    page = context.new_page()
    problems = []
    for label, extra in SHOWN:
        page.goto("about:blank")  # the window changes size on an empty page, not on the last page's charts
        page.set_viewport_size({"width": SIZES[0][0], "height": SIZES[0][1]})
        page.goto(f"{sample_server.url}/{url_path(label)}?{FILTERS}{extra}")
        step = extra.rsplit("=", 1)[1] if label == "Story" else ""
        tab = extra.split("_tab=")[1].lower().replace("+", "-") if "_tab=" in extra else ""
        name = label.lower().replace("-", "") + (f"-step{step}" if step else "") + (f"-{tab}" if tab else "")
        for width, height in SIZES:
            page.set_viewport_size({"width": width, "height": height})
            problems += _check(page, label, name, width, height)
        _whole(page, name, SIZES[-1][0])
    context.close()
    assert problems == [], "\n".join(problems)


def test_every_page_has_its_editing_controls_listed():
    assert sorted(EDITING) == sorted(p.label for p in REGISTERED if p.label != "Story")
