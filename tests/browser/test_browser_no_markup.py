"""Hostile text in every column, every page in a real browser: nothing from the data becomes a link, an image,
styled text or a request that leaves this machine; ordinary text with a markup character reads right."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import quote, urlparse

import pytest
from playwright.sync_api import Page, expect

from dashboard.store import Store
from tests.browser.conftest import AppServer, screenshot, start_server, wait_for_app, wait_for_charts
from tests.hostile import DATASET, HOSTILE_CSV, ORDINARY, publish_hostile

pytestmark = pytest.mark.browser

PAGES = [
    "",
    "Journey",
    "Journey?j_tab=Service",
    "Journey?j_tab=Stage+by+channel",
    "Journey?j_tab=Paths&j_nodes=channel&j_dkind=reason",
    "Funnel?f_list=true&f_breakdown=true&f_cohorts=true",
    "Behaviours?b_edit=true",  # the catalogue editor open: the behaviours' names in its picker
    "Behaviours?b_tab=By+segment+or+region",
    "Behaviours?b_tab=By+number+of+behaviours",
    "Behaviours?b_tab=Churn",
    "What-if",
    "Defection",
    *(f"Defection?d_tab={tab}" for tab in ("Why+they+leave", "What+it+costs", "Who+to+call", "Retention", "Model+check")),
    "Drivers?dr_or=true",  # with the odds-ratio chart open: the drivers' names on its axis
    *(f"Story?s_step={n}" for n in range(1, 8)),
    "Data",
]
LOCAL_HOSTS = {"localhost", "127.0.0.1"}
STREAMLIT_FAVICON = "https://fonts.gstatic.com/s/i/short-term/release/materialsymbolsrounded/"
"""Streamlit itself fetches a page icon given as ":material/...:" from Google Fonts (set_page_config); not data."""

# Every element with an attribute that would load or link something from the data, or style it, and every style sheet
# that names the data's host: found in the whole page whether or not it is on screen (an image below the window that
# the browser has not fetched yet still has its address in the page).
_LIVE_FROM_DATA = """() => {
  const names = ["href", "xlink:href", "src", "srcset", "action", "formaction", "poster", "data", "background"];
  const found = [...document.querySelectorAll("style")].filter(s => s.textContent.includes("evil.example"))
    .map(s => "STYLE " + s.textContent.slice(0, 80));
  for (const el of document.querySelectorAll("*")) {
    for (const attr of el.attributes) {
      const linked = (names.includes(attr.name) || attr.name === "style") && attr.value.includes("evil.example");
      const styled = attr.name === "style" && attr.value.replace(/\\s/g, "").includes("font-size:80px");
      if (linked || styled) {
        const box = el.parentElement && el.parentElement.closest("[data-testid]");
        found.push((box ? box.dataset.testid + " " : "") + el.tagName + " " + attr.name + "=" + attr.value);
      }
    }
  }
  return found;
}"""


@pytest.fixture(scope="module")
def hostile_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppServer]:
    folder = tmp_path_factory.mktemp("hostile")
    source = folder / "source.duckdb"
    store = Store(source)
    publish_hostile(store)
    store.close()
    server = start_server(source, folder / "server")
    yield server
    server.stop()


def _open(page: Page, server: AppServer, path: str) -> list[str]:
    """Open path on the hostile dataset; the URLs of every request the page made."""
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    joiner = "&" if "?" in path else "?"
    page.goto(f"{server.url}/{path}{joiner}ds={quote(DATASET)}")
    wait_for_charts(page, settle=800)  # and anything a drawn chart would fetch
    wait_for_app(page)
    return requests


@pytest.mark.parametrize("path", PAGES)
def test_no_page_turns_hostile_text_into_links_images_styles_or_requests(hostile_server: AppServer, page: Page, path):
    page.set_viewport_size({"width": 1440, "height": 1200})
    requests = _open(page, hostile_server, path)
    assert not page.locator('[data-testid="stException"]').count()
    left = [url for url in requests if urlparse(url).scheme in ("http", "https", "ws", "wss")]
    assert left, "no request was recorded"
    assert [url for url in left if urlparse(url).hostname not in LOCAL_HOSTS and not url.startswith(STREAMLIT_FAVICON)] == []
    assert page.evaluate(_LIVE_FROM_DATA) == []
    text = page.evaluate("() => document.body.textContent")
    assert "&amp;" not in text and "&lt;" not in text  # entities are decoded on screen, never shown
    if path.startswith("Journey"):
        screenshot(
            page,
            "no-markup-" + path.split("?")[0].lower() + ("-" + path.split("=")[1].split("&")[0].lower() if "?" in path else ""),
        )


def test_ordinary_text_with_an_ampersand_reads_as_typed_on_a_chart(hostile_server: AppServer, page: Page):
    _open(page, hostile_server, "Journey")
    labels = page.evaluate("() => [...document.querySelectorAll('.js-plotly-plot svg text')].map(t => t.textContent)")
    ordinary = ORDINARY["chat"]
    assert any(ordinary in label for label in labels), sorted(set(labels))[:40]
    assert not [label for label in labels if "&amp;" in label or "&lt;" in label]


def test_a_hostile_segment_is_drawn_as_its_characters_on_an_axis(hostile_server: AppServer, page: Page):
    _open(page, hostile_server, "Defection")
    labels = page.evaluate("() => [...document.querySelectorAll('.js-plotly-plot svg text')].map(t => t.textContent)")
    assert any('<a href="https://evil.example/login">' in label for label in labels), sorted(set(labels))[:60]


def test_an_uploaded_file_with_hostile_text_is_shown_as_text_under_the_mapping_boxes(hostile_server, page: Page, tmp_path):
    page.set_viewport_size({"width": 1440, "height": 3000})
    requests = _open(page, hostile_server, "Data")
    upload = tmp_path / "hostile.csv"
    upload.write_text(HOSTILE_CSV)
    uploader = page.get_by_test_id("stFileUploader").filter(has_text="Customers")
    uploader.locator('input[type="file"]').set_input_files(str(upload))
    wait_for_app(page)
    examples = page.get_by_test_id("stCaptionContainer").filter(has_text="e.g.")
    expect(examples.first).to_be_visible(timeout=30_000)
    page.wait_for_timeout(1000)
    shown = [text.replace("\u2060", "") for text in examples.all_inner_texts()]
    assert "e.g. ![](https://evil.exampl…, C2" in shown
    assert 'e.g. <a href="https://evil.e…, =HYPERLINK("https://evi…' in shown
    assert page.evaluate(_LIVE_FROM_DATA) == []
    left = [url for url in requests if urlparse(url).scheme in ("http", "https")]
    assert [url for url in left if urlparse(url).hostname not in LOCAL_HOSTS and not url.startswith(STREAMLIT_FAVICON)] == []
    screenshot(page, "no-markup-data-upload")
