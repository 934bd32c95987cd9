"""The What-if's money drawn in the browser as a slider moves, before the rerun answers: the browser's arithmetic and
writing of money against dashboard/metrics/whatif.py on many inputs, and in the app with the server's answers held
back: the figures change at once, to the text the rerun then draws."""

from __future__ import annotations

import random
import re

import pytest
from playwright.sync_api import Browser, Page, WebSocketRoute, expect

from dashboard.formatting import NumberFormat
from dashboard.metrics import whatif
from dashboard.ui.views.whatif import preview as preview_script
from tests.browser.conftest import wait_for_app

pytestmark = pytest.mark.browser

FORMATS = [
    NumberFormat(),
    NumberFormat("€", ".", ","),
    NumberFormat("CHF", "'", "."),
    NumberFormat("kr", " ", ","),
    NumberFormat("£", "", "."),
]


@pytest.fixture
def preview(browser: Browser):
    """A blank page with the preview's functions on window.preview."""
    page = browser.new_page()
    page.set_content("<html><body></body></html>")
    page.add_script_tag(content=preview_script.SCRIPT + "\nwindow.preview = window.cxMoneyPreview;")  # as the app sends it
    yield page
    page.close()


def _fmt(fmt: NumberFormat) -> dict[str, str]:
    return {"currency": fmt.currency, "thousands": fmt.thousands, "decimal": fmt.decimal}


def test_money_is_written_as_the_metrics_write_it(preview: Page):
    rng = random.Random(19)
    # ties that round half to even (1.0625 to 3 decimals is 1.062), the cut between units, every size of figure
    values = [0, 1, 9_999, 10_000, 999_499, 999_500, 999_999, 1_000_000, 1_062_500, 1_063_500, 3_470_002, 999_999_499]
    values += [999_999_500, 1e9, 1_234_567_890_123, 999_999_999_999_999]
    values += [float(rng.randrange(0, 10 ** rng.randrange(1, 15))) for _ in range(400)]
    for fmt in FORMATS:
        drawn = preview.evaluate(
            "([values, fmt]) => values.map((v) => [window.preview.moneyHeadline(v, fmt), window.preview.moneyFull(v, fmt)])",
            [values, _fmt(fmt)],
        )
        expected = [[whatif.money_headline(v, fmt), whatif.money_full(v, fmt)] for v in values]
        assert drawn == expected, fmt


def test_decimals_round_half_to_even_on_the_exact_double_as_python_does(preview: Page):
    rng = random.Random(7)
    cases = [(0.125, 2), (0.375, 2), (2.5, 0), (3.5, 0), (1.0625, 3), (1.0635, 3), (0.1 + 0.2, 1), (1e15 - 0.5, 0)]
    cases += [(rng.uniform(0, 10 ** rng.randrange(0, 12)), rng.randrange(0, 4)) for _ in range(500)]
    cases += [(rng.randrange(0, 10**6) / 1000 + 0.0005, 3) for _ in range(200)]
    drawn = preview.evaluate("(cases) => cases.map(([x, d]) => window.preview.fixed(x, d))", cases)
    assert drawn == [f"{x:.{d}f}" for x, d in cases]


def test_a_saving_is_kept_to_the_whole_unit_as_the_metrics_keep_it(preview: Page):
    rng = random.Random(3)
    amounts = [0.0, 0.5, 1.5, 2.4999999999999996, 1_735_000.5, 1_735_000.4999999998, 3e-7, 123456789.5]
    amounts += [rng.uniform(0, 10 ** rng.randrange(0, 14)) for _ in range(500)]
    amounts += [rng.randrange(0, 10**9) + 0.5 for _ in range(100)]
    drawn = preview.evaluate("(amounts) => amounts.map((a) => window.preview.whole(a))", amounts)
    assert drawn == [whatif.whole(a) for a in amounts]


def test_the_figures_are_the_breakdown_and_projection_of_the_metrics(preview: Page):
    rng = random.Random(11)
    for _ in range(200):
        items = []
        for i in range(rng.randrange(1, 9)):
            current = rng.choice([0.0, rng.random(), 2278 / 14236, 0.999])
            items.append(whatif.Lever(f"b{i}", f"B{i}", current, None, round(rng.uniform(0, 500), rng.randrange(0, 3))))
        base = float(rng.choice([1, 14_236, 463_904, rng.randrange(0, 10**8)]))
        targets = {lever.key: rng.randrange(int(lever.current * 1000), 1001) / 10 / 100 for lever in items}
        years, ramp = rng.randrange(1, 11), rng.randrange(1, 11)
        frame = whatif.breakdown(items, base, targets)
        proj = whatif.projection(frame, years, ramp)
        levers = [{"key": lever.key, "current": lever.current, "saving": lever.saving} for lever in items]
        found = preview.evaluate(
            "([l, b, t, y, r]) => window.preview.figures(l, b, t, y, r)", [levers, base, targets, years, ramp]
        )
        assert [row["annual"] for row in found["rows"]] == frame["annual_saving"].tolist()
        assert found["total"] == whatif.total_saving(frame)
        assert found["cumulative"] == float(proj["cumulative"].max())
        assert found["moved"] == int((frame["change"] > 0).sum())


def _hold_answers(page: Page) -> dict:
    """Route the app's websocket through the test: while held["on"], what the server sends waits in held["queue"]."""
    held: dict = {"on": False, "queue": [], "sent": 0}

    def route(ws: WebSocketRoute) -> None:
        server = ws.connect_to_server()
        held["ws"] = ws

        def from_server(message) -> None:
            if held["on"]:
                held["queue"].append(message)
            else:
                ws.send(message)

        def from_page(message) -> None:
            held["sent"] += 1
            server.send(message)

        server.on_message(from_server)
        ws.on_message(from_page)

    page.route_web_socket(re.compile(r"/_stcore/stream"), route)
    return held


def _release(held: dict) -> None:
    """Let the held answers through in the order they came; any that come while they go wait their turn."""
    queue = held["queue"]
    while queue:
        held["ws"].send(queue.pop(0))
    held["on"] = False


FIGURES = ["w_headline", "w_moved", "w_words", "w_cumulative", "w_saves_e_billing", "w_saves_autopay"]


def _figures(page: Page) -> list[str]:
    return [page.locator(f".st-key-{key}").first.inner_text() for key in FIGURES]


def test_a_slider_move_is_drawn_before_the_rerun_answers_and_the_rerun_draws_the_same(sample_server, page: Page):
    page.set_viewport_size({"width": 1440, "height": 2000})
    held = _hold_answers(page)
    page.goto(f"{sample_server.url}/What-if?ds=sample")
    wait_for_app(page)
    before = _figures(page)
    slider = page.get_by_test_id("stMain").get_by_role("slider").first  # e-billing
    seen: list[list[str]] = []
    for key, steps in (("ArrowLeft", 1), ("ArrowLeft", 30), ("End", 1), ("ArrowLeft", 5)):
        slider.focus()  # the held answers, let go at once, can draw the slider anew and take the focus off it
        held["on"] = True
        sent = held["sent"]
        for _ in range(steps):
            page.keyboard.press(key)
        page.wait_for_function(f"() => document.querySelector('.st-key-w_headline p').innerText !== {before[0]!r}")
        page.wait_for_timeout(300)
        ahead = _figures(page)
        assert held["sent"] > sent and held["queue"], "the move went to the server and its answer is still held"
        assert ahead != before and ahead[0] != before[0]
        _release(held)
        wait_for_app(page)
        answered = _figures(page)
        assert answered == ahead, (key, steps)  # the rerun drew exactly what the browser had drawn ahead of it
        seen.append(answered)
        before = answered
    # dragged: the money follows the pointer while the button is still down, before anything is sent
    thumb = page.get_by_test_id("stMain").get_by_test_id("stSlider").first.get_by_test_id("stSliderThumbValue").locator("..")
    box = thumb.bounding_box()
    held["on"] = True
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.move(box["x"] - 60, box["y"] + box["height"] / 2, steps=6)
    page.wait_for_function(f"() => document.querySelector('.st-key-w_headline p').innerText !== {before[0]!r}")
    page.wait_for_timeout(300)
    dragging = _figures(page)
    page.mouse.up()
    page.wait_for_timeout(300)
    assert _figures(page) == dragging
    _release(held)
    wait_for_app(page)
    assert _figures(page) == dragging
    seen.append(dragging)
    # e-billing's row moved with the headline; another behaviour's row did not
    assert len({figures[4] for figures in seen}) == len(seen)
    assert len({figures[5] for figures in seen}) == 1


def test_a_preset_is_drawn_by_the_rerun_alone(sample_server, page: Page):
    """A button is not previewed: while its answer is held, the money stays as it was."""
    page.set_viewport_size({"width": 1440, "height": 2000})
    held = _hold_answers(page)
    page.goto(f"{sample_server.url}/What-if?ds=sample")
    wait_for_app(page)
    slider = page.get_by_test_id("stMain").get_by_role("slider").first
    slider.focus()
    page.keyboard.press("ArrowLeft")
    wait_for_app(page)
    before = _figures(page)
    held["on"] = True
    page.get_by_role("button", name="Current").click()
    page.wait_for_timeout(500)
    assert _figures(page) == before
    _release(held)
    wait_for_app(page)
    expect(page.locator(".st-key-w_headline p").first).to_have_text("$0")
