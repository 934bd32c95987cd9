"""Browser fixtures: a streamlit server on a free port and Debian's chromium driven by Playwright."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Locator, Page, sync_playwright
from playwright.sync_api import TimeoutError as PlaywrightTimeout

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "tests" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]

pytestmark = pytest.mark.browser


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class AppServer:
    """A `streamlit run app.py` process on its own database file and port."""

    def __init__(self, db_path: Path, upload_dir: Path) -> None:
        self.port = _free_port()
        self.url = f"http://localhost:{self.port}"
        env = {
            **os.environ,
            "CXLENS_DB": str(db_path),
            "CXLENS_UPLOAD_DIR": str(upload_dir),
            "CXLENS_NO_SAMPLE": "1",
        }
        self.log = open(db_path.parent / "streamlit.log", "w")  # noqa: SIM115
        self.process = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(self.port), "--server.headless", "true"],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.3)
        self.stop()
        raise RuntimeError("streamlit did not start within 60 s")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()


def start_server(source_db: Path | None, folder: Path) -> AppServer:
    """A server on a private copy of source_db (or an empty database) in folder."""
    folder.mkdir(parents=True, exist_ok=True)
    db = folder / "cxlens.duckdb"
    if source_db is not None:
        shutil.copy(source_db, db)
    return AppServer(db, folder / "uploads")


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


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    pg = context.new_page()
    yield pg
    context.close()


def wait_for_app(page: Page, timeout: float = 60_000) -> None:
    """Wait until the script has finished running and the page is drawn."""
    page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]', timeout=timeout)
    page.wait_for_timeout(300)
    page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]', timeout=timeout)


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
    """Add option to the sidebar's index-th multiselect and wait until the app has taken it (its tag is shown)."""
    box = _sidebar_multiselect(page, index).locator("input")
    choice = page.get_by_role("option", name=option).first
    for attempt in range(3):  # on a loaded machine a rerun can swallow keystrokes or close the list under the click
        box.click()
        page.keyboard.type(option)  # typing opens the list (a click alone sometimes only focuses the box)
        try:
            choice.wait_for(timeout=10_000)
            choice.click()
        except PlaywrightTimeout:
            if attempt == 2:
                raise
        page.keyboard.press("Escape")
        wait_for_app(page)
        if shows_choice(page, index, option):
            return
        box.fill("")
        wait_for_app(page)
    raise AssertionError(f"{option!r} was not taken by sidebar multiselect {index}: {sidebar_choices(page, index)}")


def screenshot(page: Page, name: str) -> Path:
    """Save a full-page screenshot to tests/screenshots/<name>.png (git-ignored) and return its path."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
