"""Shared fixtures: a database with the bundled sample, a database with the tiny hand-made dataset."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import streamlit as st
from hypothesis import HealthCheck, settings

from dashboard import config, sample
from dashboard.metrics import prepared  # noqa: F401  (registers the prepare step every publish runs)
from dashboard.store import Store
from dashboard.ui import nav
from tests.tiny import tiny_tables

# property tests (tests/test_properties.py): the same 25 examples on every run, so a red suite always means a change
# broke something; `pytest tests/test_properties.py --hypothesis-profile=explore` draws 500 fresh ones to hunt for more
_QUIET = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
settings.register_profile("repeatable", max_examples=25, deadline=None, derandomize=True, suppress_health_check=_QUIET)
settings.register_profile("explore", max_examples=500, deadline=None, suppress_health_check=_QUIET)
settings.load_profile("repeatable")

ROOT = Path(__file__).resolve().parent.parent
SCREENSHOTS = ROOT / "tests" / "screenshots"
TELCO = ROOT / "tests" / "fixtures" / "telco_customer_churn.csv"
PAGE_PATHS = {page.label: page.path for page in nav.PAGES}
"""Every page the sidebar lists, by its label: a test over all pages takes a new page without being edited."""
LONGEST_FIRST = (
    "tests/browser/test_browser_no_markup.py",
    "tests/browser/test_browser_url_restore.py",
    "tests/browser/test_browser_room.py",
    "tests/test_spark_conformance.py",
    "tests/test_invariants.py",
    "tests/browser/test_browser_journey.py",
    "tests/browser/test_browser_behaviours.py",
    "tests/test_properties.py",
)
"""The test files that take longest (2 to 4 minutes each under `make test`'s load), longest first: run first, so that
under its two workers (`--dist loadfile`, a file per worker) the files handed out last are short and neither worker is
left running a long one alone at the end."""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Put the LONGEST_FIRST files' tests ahead of the rest, each file's own order kept."""
    rank = {name: i for i, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.nodeid.split("::")[0], len(rank)))


@pytest.fixture(scope="session")
def sample_db_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database file holding the bundled sample as dataset "sample" (built once, never written to)."""
    path = tmp_path_factory.mktemp("sampledb") / "sample.duckdb"
    store = Store(path)
    sample.publish(store)
    store.close()
    return path


@pytest.fixture(scope="session")
def tiny_db_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database file holding the tiny hand-made dataset as dataset "tiny"."""
    path = tmp_path_factory.mktemp("tinydb") / "tiny.duckdb"
    store = Store(path)
    store.publish("tiny", tiny_tables())
    store.close()
    return path


@pytest.fixture(scope="session")
def telco_db_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database file holding the whole IBM telco file as dataset "telco", published with the automatic mapping as an
    upload on the Data page does (built once per session, never written to: copy it or open it read-only)."""
    from tests.ingest_helpers import publish

    folder = tmp_path_factory.mktemp("telcodb")
    store = Store(folder / "telco.duckdb")
    try:
        publish(store, folder, {"customers": [TELCO]}, dataset="telco")
    finally:
        store.close()
    return folder / "telco.duckdb"


@pytest.fixture(scope="session")
def real_db_file(telco_db_file: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database file holding the real files of tests/shapes.py (telco, cdnow, online_retail), each published as its
    own dataset with the automatic mapping, as tests/shapes.py publishes a shape (built once per session from
    telco_db_file, never written to)."""
    from tests import shapes

    folder = tmp_path_factory.mktemp("realdb")
    path = folder / "real.duckdb"
    shutil.copy(telco_db_file, path)
    return shapes.publish_all(path, folder, [name for name in shapes.REAL if name != "telco"])


def use_copy(source: Path | None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private copy of the database file source (None: no file yet, an empty database), made the app's database
    (no sample, uploads under tmp_path)."""
    _clear_streamlit_caches()
    target = tmp_path / "cxlens.duckdb"
    if source is not None:
        shutil.copy(source, target)
    monkeypatch.setenv("CXLENS_DB", str(target))
    monkeypatch.setenv("CXLENS_UPLOAD_DIR", str(tmp_path / "uploads"))
    monkeypatch.setenv("CXLENS_NO_SAMPLE", "1")
    return target


@pytest.fixture
def app_sample_db(sample_db_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private copy of the sample database, made the app's database for this test."""
    return use_copy(sample_db_file, tmp_path, monkeypatch)


@pytest.fixture
def app_tiny_db(tiny_db_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private copy of the tiny database, made the app's database for this test."""
    return use_copy(tiny_db_file, tmp_path, monkeypatch)


@pytest.fixture
def empty_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty database (no file yet), made the app's database for this test."""
    return use_copy(None, tmp_path, monkeypatch)


@pytest.fixture
def store(tmp_path: Path) -> Store:
    """An empty store in a temporary file, closed after the test."""
    s = Store(tmp_path / "store.duckdb")
    yield s
    s.close()


def _clear_streamlit_caches() -> None:
    """Forget cached connections and results, so nothing leaks from one app test to the next."""
    st.cache_data.clear()
    st.cache_resource.clear()


@pytest.fixture(scope="session")
def sample_tables() -> dict:
    """The committed sample as pandas frames."""
    return {name: table.to_pandas() for name, table in sample.read(config.SAMPLE_DIR).items()}


def as_read(texts) -> str:
    """Markdown texts joined by newlines as a reader sees them: backslash escapes read, invisible word joiners gone."""
    import re

    return re.sub(r"\\(.)", r"\1", "\n".join(texts)).replace("\u2060", "")


def keyed(widgets, prefix: str):
    """The first of an AppTest's widgets whose key starts with prefix (keys carry a table or dataset suffix)."""
    found = [w for w in widgets if str(w.key).startswith(prefix)]
    assert found, f"no widget with a key starting {prefix!r}"
    return found[0]


def add_rule(at, target: str, kind: str, source: str | None = None, value: str | None = None):
    """Fill the Data page's rule form (the column to fill, the rule, its source column and value) and press Add rule."""
    keyed(at.selectbox, "d_rule_target").set_value(target)
    keyed(at.selectbox, "d_rule_kind").set_value(kind)
    if source is not None:
        keyed(at.selectbox, "d_rule_source").set_value(source)
    if value is not None:
        keyed(at.text_input, "d_rule_value").input(value)
    return next(b for b in at.button if b.label == "Add rule").click().run()


def shown_text(elements) -> str:
    """The AppTest elements' text joined by " | ", markdown escapes removed (file text is shown literally)."""
    import re

    return re.sub(r"\\(.)", r"\1", " | ".join(str(e.value) for e in elements))


def page_text(at) -> str:
    """Everything an AppTest run wrote as markdown, captions and alerts, as shown_text reads it."""
    return shown_text([e for kind in ("markdown", "caption", "info", "warning", "error", "success") for e in at.get(kind)])


def open_page(label: str, query: dict | None = None, *, timeout: int = 120, run: bool = True):
    """The page called label run through AppTest from the entry point, as a browser reaches it, with query as its URL
    parameters (not run when run is False, for a test that patches first)."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=timeout)
    if PAGE_PATHS[label] != "app.py":
        at.switch_page(PAGE_PATHS[label])
    for key, value in (query or {}).items():
        at.query_params[key] = value
    return at.run() if run else at


def data_page(query: dict | None = None):
    """The Data page run through AppTest from the entry point, with query as its URL parameters."""
    return open_page("Data", query)
