"""The browser benchmark's own measures work on a real page: the What-if's "to the new money figure" is read off the
screen (not a timeout or nan), after the key press and no later than the page being idle again; and the page's own
clock sees the action and the last change drawn, inside the time measured from outside."""

from __future__ import annotations

import math

import pytest
from playwright.sync_api import Page, expect

from benchmarks.browser import MONEY_FIGURE, Probe, move_slider_to_money, open_page
from tests.browser.conftest import AppServer

pytestmark = pytest.mark.browser


def test_the_what_if_slider_is_timed_to_the_new_money_figure_and_to_idle(sample_server: AppServer, page: Page):
    probe = Probe(page, sample_server)  # type: ignore[arg-type]  (a Server is an AppServer on a copy)
    open_page(page, f"{sample_server.url}/What-if?ds=sample")
    money = page.get_by_test_id("stMain").get_by_text(MONEY_FIGURE).first
    expect(money).to_be_visible(timeout=60_000)
    before = money.inner_text()
    whole, to_money = move_slider_to_money(page, probe)
    assert money.inner_text() != before, "the move changed the money figure"
    assert math.isfinite(to_money.wait_ms) and 0 < to_money.wait_ms <= whole.wait_ms
    assert to_money.bytes_in == whole.bytes_in > 0
    assert whole.drawn_ms is not None and 0 < to_money.drawn_ms <= whole.drawn_ms <= whole.wait_ms
