"""The What-if's money figure is redrawn in the browser the moment a slider moves (dashboard/ui/views/whatif/live.py):
before the server's run has finished, and the same figure the server then writes; while a slider is dragged, before the
server is even asked; never over a figure the server wrote for a preset. The browser's arithmetic and formatting are
checked against the metric functions they mirror, ties and other number formats included."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

from dashboard.formatting import NumberFormat
from dashboard.metrics import whatif
from tests.browser.conftest import wait_for_app

pytestmark = pytest.mark.browser

FIGURE = "() => document.querySelector('.st-key-w_headline p').textContent"
WORDS = "() => [...document.querySelectorAll('.st-key-w_sticky strong')].map((e) => e.textContent).join('')"


def _runs_finished(page: Page) -> list[int]:
    """A one-item list counting the server's "script finished" messages to page from now on."""
    finished = [0]

    def received(payload) -> None:
        if isinstance(payload, bytes) and ForwardMsg.FromString(payload).WhichOneof("type") == "script_finished":
            finished[0] += 1

    page.on("websocket", lambda ws: ws.on("framereceived", received))
    return finished


def _open(page: Page, url: str) -> list[int]:
    finished = _runs_finished(page)
    page.set_viewport_size({"width": 1440, "height": 900})
    page.goto(f"{url}/What-if?ds=sample")
    wait_for_app(page)
    page.wait_for_function("() => window.cxLiveMoney && window.cxLiveMoney.data", timeout=30_000)
    return finished


def _idle(page: Page) -> None:
    page.wait_for_timeout(300)
    wait_for_app(page)
    page.wait_for_timeout(500)


# In the page, before Streamlit connects: when each websocket message arrived (before Streamlit reads it), and when the
# money figure first read each text: so a test can tell whether a figure was drawn before any message carried it.
WATCH = """
window.__messages = [];
const Native = window.WebSocket;
window.WebSocket = class extends Native {
  constructor(...args) {
    super(...args);
    this.addEventListener("message", (event) => window.__messages.push([performance.now(), event.data]));
  }
};
window.__figures = {};
new MutationObserver(() => {
  const figure = document.querySelector(".st-key-w_headline p");
  if (figure && !(figure.textContent in window.__figures)) window.__figures[figure.textContent] = performance.now();
}).observe(document, { subtree: true, childList: true, characterData: true });
"""
FIRST_CARRIED = """(text) => {
  const decoder = new TextDecoder("latin1");
  const carrying = window.__messages.filter(([, data]) => typeof data !== "string" && decoder.decode(data).includes(text));
  return [window.__figures[text], carrying.length ? carrying[0][0] : null];
}"""


def test_a_keyboard_step_shows_the_new_figure_before_the_server_sends_it_and_the_server_agrees(sample_server, page: Page):
    page.add_init_script(WATCH)
    finished = _open(page, sample_server.url)
    sliders = page.get_by_test_id("stMain").get_by_test_id("stSlider")
    # (not Home: Streamlit 1.67's slider moves its thumb to the left end on Home without sending the value)
    for i, key in enumerate(["ArrowLeft", "ArrowLeft", "ArrowRight", "End", "PageDown", "PageUp", "ArrowLeft"]):
        before, runs = page.evaluate(FIGURE), finished[0]
        sliders.nth(i % 3).get_by_role("slider").focus()
        page.keyboard.press(key)
        drawn, words = page.wait_for_function(
            f"(before) => {{ const [figure, words] = [({FIGURE})(), ({WORDS})()]; "
            "return figure !== before && words && [figure, words]; }",
            arg=before,
            timeout=10_000,
        ).json_value()
        _idle(page)
        assert finished[0] > runs, f"{key}: the move reran the fragment"
        assert (drawn, words) == (page.evaluate(FIGURE), page.evaluate(WORDS)), f"{key}: the server wrote another figure"
        shown_at, carried_at = page.evaluate(FIRST_CARRIED, drawn)
        assert carried_at is not None, f"{key}: the server never sent {drawn}"
        assert shown_at < carried_at, f"{key}: {drawn} was drawn only once a message from the server carried it"


def test_dragging_a_slider_moves_the_figure_before_the_server_is_asked(sample_server, page: Page):
    finished = _open(page, sample_server.url)
    thumb = page.locator(".st-key-w-w_t_e_billing [data-testid=stSliderThumbValue]").locator("xpath=..")
    thumb.scroll_into_view_if_needed()
    page.wait_for_timeout(300)
    box = thumb.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    runs, seen = finished[0], [page.evaluate(FIGURE)]
    page.mouse.move(x, y)
    page.mouse.down()
    for dx in (40, 80, 120):
        page.mouse.move(x - dx, y)
        page.wait_for_timeout(60)
        seen.append(page.evaluate(FIGURE))
    assert finished[0] == runs, "no run while the thumb is held"
    assert len(set(seen)) == len(seen), f"the figure followed the thumb: {seen}"
    page.mouse.up()
    _idle(page)
    assert finished[0] > runs and page.evaluate(FIGURE) == seen[-1], "the server's figure for the released thumb"


def test_a_preset_shows_the_servers_figure_alone(sample_server, page: Page):
    _open(page, sample_server.url)
    page.get_by_test_id("stMain").get_by_test_id("stSlider").first.get_by_role("slider").focus()
    page.keyboard.press("ArrowLeft")  # a move first, so the browser has drawn a figure of its own
    _idle(page)
    for preset in ("Halfway", "Current", "Best-in-class"):
        page.evaluate(
            """() => { window.__seen = []; new MutationObserver(() => window.__seen.push(
                 document.querySelector('.st-key-w_headline p').textContent)).observe(
                 document.querySelector('.st-key-w_sticky'), {subtree: true, childList: true, characterData: true}); }"""
        )
        page.get_by_test_id("stMain").get_by_role("button", name=preset).click()
        _idle(page)
        final = page.evaluate(FIGURE)
        assert set(page.evaluate("() => window.__seen")) <= {final}, f"{preset}: a figure other than the server's was drawn"
    assert page.evaluate(FIGURE) == "$443.82K"  # best-in-class on the sample, as the README says


AMOUNTS = [0, 7, 999, 9_999, 10_000, 443_125, 443_135, 443_818, 443_825, 443_835, 999_499, 999_500, 999_995, 1_000_000]
AMOUNTS += [1_062_500, 3_469_916, 3_470_002, 999_500_000, 999_999_500, 1_234_567_890, 1_062_500_000, 12_345_678_901_234]
FORMATS = [NumberFormat(), NumberFormat(currency="€", thousands=".", decimal=","), NumberFormat(currency="kr ", thousands=" ")]


def test_the_browsers_arithmetic_and_formatting_are_the_metric_functions(sample_server, page: Page):
    _open(page, sample_server.url)
    for fmt in FORMATS:
        shape = {"currency": fmt.currency, "thousands": fmt.thousands, "decimal": fmt.decimal}
        drawn = page.evaluate(
            "([values, fmt]) => values.map((v) => [window.cxLiveMoney.headline(v, fmt), window.cxLiveMoney.full(v, fmt)])",
            [AMOUNTS, shape],
        )
        assert drawn == [[whatif.money_headline(v, fmt), whatif.money_full(v, fmt)] for v in AMOUNTS], fmt
    # the annual saving to the whole unit: halves up on the shortest decimal, as whatif.whole
    amounts = [0.5, 1.5, 2.5, 1234.5, 0.49999999999999994, 2.4999999999999996, 443_817.5, 1e-7, 2.0**53 + 2, 98_765.4321]
    products = [1000 * (0.845 - 0.8) * 2.3, 18_636 * (0.843 - 0.16) * 6.5, 463_904 * (0.84 - 0.16) * 11]
    values = amounts + products
    rounded = page.evaluate("(values) => values.map((v) => window.cxLiveMoney.whole(v))", values)
    assert rounded == [whatif.whole(v) for v in values]
