"""Sign-in in a real browser: a server with a password per role; each role sees what it may, a viewer cannot publish."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from dashboard import access
from tests.browser.conftest import AppServer, screenshot, start_server, wait_for_app

pytestmark = pytest.mark.browser

PASSWORDS = {"viewer": "see-only", "analyst": "map-and-publish", "admin": "may-delete"}
LOOPBACK = {"0100007F", "00000000000000000000000001000000"}
"""127.0.0.1 and ::1 as /proc/net/tcp and tcp6 write them."""


@pytest.fixture(scope="module")
def auth_server(tiny_db_file: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppServer]:
    """A server on a copy of the tiny dataset with password sign-in configured through environment variables."""
    with pytest.MonkeyPatch.context() as mp:
        for role, password in PASSWORDS.items():
            mp.setenv(f"CXLENS_PASSWORD_{role.upper()}", access.hash_password(password))
        server = start_server(tiny_db_file, tmp_path_factory.mktemp("auth-server"))
    yield server
    server.stop()


@pytest.fixture
def fresh_page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    yield context.new_page()
    context.close()


def _sign_in(page: Page, role: str, password: str | None = None) -> None:
    expect(page.get_by_role("heading", name="Sign in to CX Lens")).to_be_visible(timeout=60_000)
    page.get_by_role("combobox", name="Role").click()
    page.get_by_role("option", name=role, exact=True).click()
    page.get_by_label("Password", exact=True).fill(PASSWORDS[role] if password is None else password)
    page.get_by_role("button", name="Sign in").click()
    wait_for_app(page)


def _open_data(page: Page, server: AppServer, section: str) -> None:
    page.goto(f"{server.url}/Data?d_view={section}")
    wait_for_app(page)


def _buttons(page: Page, *names: str) -> dict[str, int]:
    return {name: page.get_by_role("button", name=name).count() for name in names}


DATASET_BUTTONS = ("Make version 1 active", "Rename", "Delete version 1…", "Delete dataset tiny…")


def test_viewer_sees_the_data_but_cannot_upload_publish_or_delete(auth_server: AppServer, fresh_page: Page):
    page = fresh_page
    _open_data(page, auth_server, "Upload")
    expect(page.get_by_role("heading", name="Sign in to CX Lens")).to_be_visible(timeout=60_000)
    assert page.get_by_test_id("stDataFrame").count() == page.get_by_test_id("stFileUploader").count() == 0
    _sign_in(page, "viewer")
    expect(page.get_by_text("You are signed in as viewer: you may see, filter, present and export.")).to_be_visible()
    expect(page.get_by_text("Only an analyst or admin may upload files; you are signed in as viewer.")).to_be_visible()
    assert page.get_by_test_id("stFileUploader").count() == 0
    assert page.get_by_role("button", name="Publish").count() == 0
    screenshot(page, "auth-viewer-upload")
    page.get_by_test_id("stMain").locator('button[data-variant="segmented_control"]').filter(has_text="Datasets").click()
    wait_for_app(page)
    expect(page.get_by_test_id("stDataFrame").first).to_be_visible(timeout=30_000)  # the datasets are listed
    assert _buttons(page, *DATASET_BUTTONS) == dict.fromkeys(DATASET_BUTTONS, 0)
    screenshot(page, "auth-viewer-datasets")


def test_analyst_may_upload_and_publish_but_not_delete(auth_server: AppServer, fresh_page: Page):
    page = fresh_page
    _open_data(page, auth_server, "Upload")
    _sign_in(page, "analyst")
    expect(page.get_by_test_id("stFileUploader")).to_have_count(3, timeout=30_000)
    _open_data(page, auth_server, "Datasets")  # a reload keeps no sign-in: the role lives in the session
    _sign_in(page, "analyst")
    expect(page.get_by_role("button", name="Rename")).to_be_visible(timeout=30_000)
    # the version picker's buttons draw after the rename form on a loaded machine: wait for them before counting
    expect(page.get_by_role("button", name="Make version 1 active")).to_be_visible(timeout=30_000)
    assert _buttons(page, *DATASET_BUTTONS) == {
        "Make version 1 active": 1,
        "Rename": 1,
        "Delete version 1…": 0,
        "Delete dataset tiny…": 0,
    }
    expect(page.get_by_text("Only an admin may delete datasets and versions; you are signed in as analyst.")).to_be_visible()
    screenshot(page, "auth-analyst-datasets")


def test_admin_sees_delete(auth_server: AppServer, fresh_page: Page):
    page = fresh_page
    _open_data(page, auth_server, "Datasets")
    _sign_in(page, "admin", "map-and-publish")  # the analyst's password does not make an admin
    expect(page.get_by_text("Wrong password for the admin role.")).to_be_visible()
    _sign_in(page, "admin")
    expect(page.get_by_role("button", name="Delete dataset tiny…")).to_be_visible(timeout=30_000)
    expect(page.get_by_role("button", name="Make version 1 active")).to_be_visible(timeout=30_000)
    assert _buttons(page, *DATASET_BUTTONS) == dict.fromkeys(DATASET_BUTTONS, 1)
    screenshot(page, "auth-admin-datasets")


def test_an_admins_link_gives_a_viewer_only_viewing(auth_server: AppServer, browser: Browser):
    admin = browser.new_context(viewport={"width": 1440, "height": 900})
    page = admin.new_page()
    _open_data(page, auth_server, "Datasets")
    _sign_in(page, "admin")
    expect(page.get_by_role("button", name="Delete dataset tiny…")).to_be_visible(timeout=30_000)
    link = page.url
    admin.close()
    viewer = browser.new_context(viewport={"width": 1440, "height": 900})
    try:
        other = viewer.new_page()
        other.goto(link)
        wait_for_app(other)
        _sign_in(other, "viewer")
        expect(other.get_by_text("You are signed in as viewer").first).to_be_visible()
        expect(other.get_by_test_id("stDataFrame").first).to_be_visible(timeout=30_000)  # the link's section: Datasets
        assert "d_view=Datasets" in other.url
        assert _buttons(other, *DATASET_BUTTONS) == dict.fromkeys(DATASET_BUTTONS, 0)
    finally:
        viewer.close()


def _listening_addresses(port: int) -> set[str]:
    """The local addresses on which some process listens on port (from /proc/net/tcp and tcp6)."""
    found = set()
    for name in ("tcp", "tcp6"):
        table = Path("/proc/net") / name
        if not table.exists():
            continue
        for line in table.read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, hex_port = local.split(":")
            if state == "0A" and int(hex_port, 16) == port:  # 0A: LISTEN
                found.add(address)
    return found


def test_by_default_the_server_listens_on_loopback_only(auth_server: AppServer):
    addresses = _listening_addresses(auth_server.port)
    assert addresses, f"nothing listens on port {auth_server.port} ({os.uname().sysname})"
    assert addresses <= LOOPBACK
