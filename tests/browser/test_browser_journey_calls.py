"""The Journey page on a call log in a real browser: contacts of several steps, waits and promise rules are drawn."""

from __future__ import annotations

from collections.abc import Iterator

import pandas as pd
import pytest
from playwright.sync_api import Page, expect

from dashboard.store import Store
from tests.browser.conftest import AppServer, screenshot, start_server, wait_for_app
from tests.journey_contacts_tiny import call_log

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def calls_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppServer]:
    """A server on a database holding the tiny call log (C2's call a complaint resolved by its due date)."""
    folder = tmp_path_factory.mktemp("calls")
    calls = call_log(anonymous=True)
    calls.loc[calls["contact_id"] == "C", "stage"] = "complaint"
    calls["due_ts"] = pd.to_datetime(["2024-01-03"] * len(calls))
    calls["resolved_ts"] = pd.to_datetime(["2024-01-02 12:00" if c == "C" else None for c in calls["contact_id"]])
    store = Store(folder / "calls.duckdb")
    store.publish("calls", {"interactions": calls})
    store.close()
    server = start_server(folder / "calls.duckdb", folder / "server")
    yield server
    server.stop()


def test_journey_shows_waits_contacts_and_promise_rules(calls_server, page: Page):
    page.set_viewport_size({"width": 1440, "height": 3200})
    page.goto(f"{calls_server.url}/Journey?ds=calls&j_tab=Service")
    wait_for_app(page)
    assert not page.locator('[data-testid="stException"]').count()
    expect(page.get_by_text("Waiting and handling", exact=True)).to_be_visible(timeout=30_000)
    expect(page.get_by_text("8 touchpoints of known customers make 3 contacts", exact=False)).to_be_visible()
    expect(page.get_by_text("judged 1 by their own due date", exact=False)).to_be_visible()
    waits = page.locator('[data-testid="stMetric"]').filter(has_text="P90 wait")
    expect(waits).to_contain_text("2.8 min")
    waits.scroll_into_view_if_needed()
    page.wait_for_timeout(1000)
    screenshot(page, "journey-calls")
