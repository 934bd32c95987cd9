"""The Data page in a real browser: two customer files joined on their keys, and the work kept across sections."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from tests.browser.conftest import screenshot, start_server, wait_for_app

pytestmark = pytest.mark.browser

STATUS = "customerID,Contract,Churn\nC1,Month-to-month,Yes\nC2,One year,No\nC3,Two year,No\n"
SERVICES = "CustID,PaperlessBilling\nC1,Yes\nC3,No\nC9,Yes\n"


@pytest.fixture(scope="module")
def data_server(sample_db_file: Path, tmp_path_factory: pytest.TempPathFactory):
    """A server of this module's own, on a copy of the sample: its tests upload (each in its own browser session, which
    keeps its own upload) but never publish, so they share it."""
    server = start_server(sample_db_file, tmp_path_factory.mktemp("join-server"))
    yield server
    server.stop()


def test_join_two_customer_files_then_visit_datasets_and_come_back(data_server, page: Page, tmp_path: Path):
    page.goto(data_server.url)
    wait_for_app(page)
    page.get_by_test_id("stSidebar").get_by_role("link", name="Data").click()
    wait_for_app(page)
    page.mouse.move(900, 20)  # off the link, whose tooltip would otherwise cover the form's first boxes
    status, services = tmp_path / "status.csv", tmp_path / "services.csv"
    status.write_text(STATUS)
    services.write_text(SERVICES)
    uploader = page.get_by_test_id("stFileUploader").filter(has_text="Customers")
    uploader.locator('input[type="file"]').set_input_files([str(status), str(services)])
    wait_for_app(page)
    page.get_by_text("Files: appended").click()
    page.get_by_text("Join them on key columns").click()
    wait_for_app(page)
    screenshot(page, "data-join-form")
    key = page.get_by_role("combobox", name=re.compile("Key column of services"))
    option = page.get_by_role("option", name="CustID", exact=True)
    for _ in range(3):  # a click during the rerun the join choice started is lost: open the list until it shows
        key.click()
        try:
            option.wait_for(timeout=5_000)
            break
        except PlaywrightTimeout:
            wait_for_app(page)
    option.click()
    page.get_by_role("button", name="Apply").click()
    wait_for_app(page)
    expect(page.get_by_text("2 rows of 3 of status.csv matched (66.7%)").first).to_be_visible(timeout=30_000)
    expect(page.get_by_text("Download the 2 unmatched rows (CSV)")).to_be_visible()
    page.get_by_text("Download the 2 unmatched rows (CSV)").scroll_into_view_if_needed()
    screenshot(page, "data-join")
    page.get_by_text("Datasets", exact=True).click()
    wait_for_app(page)
    page.get_by_text("Upload", exact=True).first.click()
    wait_for_app(page)
    expect(page.get_by_text("Kept from before: status.csv, services.csv").first).to_be_visible(timeout=30_000)
    expect(page.get_by_text("2 rows of 3 of status.csv matched (66.7%)").first).to_be_visible()
    screenshot(page, "data-join-kept")


ORDERS = "customer_id,date,amount,channel\nC1,2024-01-05,100.00,Web\nC2,2024-01-20,80.00,Store\n"


def test_a_change_on_the_transactions_tab_keeps_that_tab(data_server, page: Page, tmp_path: Path):
    page.goto(data_server.url)
    wait_for_app(page)
    page.get_by_test_id("stSidebar").get_by_role("link", name="Data").click()
    wait_for_app(page)
    status, orders = tmp_path / "status.csv", tmp_path / "orders.csv"
    status.write_text(STATUS)
    orders.write_text(ORDERS)
    page.get_by_test_id("stFileUploader").filter(has_text="Customers").locator('input[type="file"]').set_input_files(str(status))
    wait_for_app(page)
    uploader = page.get_by_test_id("stFileUploader").filter(has_text="Transactions")
    uploader.locator('input[type="file"]').set_input_files(str(orders))
    wait_for_app(page)
    tab = page.get_by_role("tab", name="Transactions")
    tab.click()
    wait_for_app(page)
    product = page.get_by_role("combobox", name="product", exact=True)
    product.click()
    page.keyboard.press("ArrowDown")  # opens the list of the file's columns
    page.get_by_role("option", name="channel", exact=True).click()
    wait_for_app(page)
    expect(page.get_by_role("tab", name="Transactions")).to_have_attribute("aria-selected", "true", timeout=30_000)
    expect(page.get_by_role("combobox", name="product", exact=True)).to_be_visible()
    screenshot(page, "data-tab-kept")
