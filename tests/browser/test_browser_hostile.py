"""A hostile workbook through a real server: the Data page says why it is refused, and the server keeps serving; copies
left in the upload folder by an earlier process are gone once the server has opened its database."""

from __future__ import annotations

import os
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import screenshot, start_server, wait_for_app
from tests.test_hostile_files import FAR_ROW, HEADER_ROW, make_xlsx

pytestmark = pytest.mark.browser


def test_far_reaching_sheet_is_refused_and_the_server_survives(page: Page, tmp_path: Path):
    uploads = tmp_path / "server" / "uploads"
    uploads.mkdir(parents=True)
    leftover = uploads / "0123456789ab-killed-publish.csv"  # named as copies were before, from before this server
    leftover.write_bytes(b"x" * 1000)
    os.utime(leftover, (1_000_000_000, 1_000_000_000))
    server = start_server(None, tmp_path / "server")
    try:
        page.goto(server.url)
        wait_for_app(page)
        assert not leftover.exists()
        page.get_by_test_id("stSidebar").get_by_role("link", name="Data").click()
        wait_for_app(page)
        hostile = make_xlsx(tmp_path / "far.xlsx", HEADER_ROW + FAR_ROW)
        uploader = page.get_by_test_id("stFileUploader").filter(has_text="Transactions")
        uploader.locator('input[type="file"]').set_input_files(str(hostile))
        wait_for_app(page)
        refusal = page.get_by_text("sheet 'Sheet1' spans A1:XFD1048576").first
        expect(refusal).to_be_visible(timeout=60_000)
        refusal.scroll_into_view_if_needed()
        screenshot(page, "hostile-refused")
        assert server.process.poll() is None
        with urllib.request.urlopen(f"{server.url}/_stcore/health", timeout=10) as response:
            assert response.status == 200
        page.reload()
        wait_for_app(page)
        expect(page.get_by_role("heading", name="Data", level=1)).to_be_visible(timeout=30_000)
    finally:
        server.stop()
