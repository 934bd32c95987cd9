"""Sign-in and roles through Streamlit's AppTest: what each role sees on the Data page, and what the server refuses."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
import streamlit as st
from streamlit.runtime.secrets import Secrets
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.util import patch_config_options

from dashboard import access, story
from dashboard.store import Store
from dashboard.ui import auth
from tests.conftest import data_page as _data_page

ROOT = Path(__file__).resolve().parent.parent
PASSWORDS = {"viewer": "see-only", "analyst": "map-and-publish", "admin": "may-delete"}
SALT = bytes(16)


@pytest.fixture
def password_sign_in(app_tiny_db: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The tiny database, with a password per role configured through environment variables."""
    for role, password in PASSWORDS.items():
        monkeypatch.setenv(f"CXLENS_PASSWORD_{role.upper()}", access.hash_password(password, SALT))
    return app_tiny_db


def _sign_in(at: AppTest, role: str, password: str | None = None) -> AppTest:
    at.selectbox(key="auth_role_choice").select(role)
    at.text_input(key="auth_password").input(PASSWORDS[role] if password is None else password)
    next(b for b in at.button if b.label == "Sign in").click()
    return at.run()


def _labels(at: AppTest) -> set[str]:
    return {b.label for b in at.button}


def _text(elements) -> str:
    return " | ".join(str(e.value) for e in elements)


def _signed_in(role: str, section: str = "Upload") -> AppTest:
    at = _sign_in(_data_page({"d_view": section}), role)
    assert not at.exception
    return at


def test_with_sign_in_off_everyone_is_admin_and_the_page_says_so(app_tiny_db: Path):
    at = _data_page({"d_view": "Datasets"})
    assert not at.exception
    assert "Sign-in is off: everyone who can open this app is an admin" in _text(at.caption)
    assert {"Delete version 1…", "Delete dataset tiny…", "Rename"} <= _labels(at)
    assert "Sign out" not in _labels(at)


def test_with_sign_in_on_nothing_shows_until_signed_in(password_sign_in: Path):
    at = _data_page({"d_view": "Datasets", "ds": "tiny"})  # a link an admin shared
    assert not at.exception
    assert at.title[0].value == "Sign in to CX Lens"
    assert not at.dataframe and not at.file_uploader and not at.sidebar.selectbox
    assert at.selectbox(key="auth_role_choice").options == ["viewer", "analyst", "admin"]


def test_a_plain_text_password_keeps_the_app_closed(app_tiny_db: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("CXLENS_PASSWORD_ADMIN", "letmein")
    at = _data_page({"d_view": "Datasets"})
    assert not at.exception
    assert "Sign-in is misconfigured, so CX Lens stays closed" in _text(at.error)
    assert "hash-password" in _text(at.error)
    assert not at.dataframe and not at.button


def test_an_unreadable_secrets_file_is_an_error_not_sign_in_off(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    broken, missing = tmp_path / "secrets.toml", tmp_path / "none.toml"
    broken.write_text("[auth\nclient_id = ")
    monkeypatch.setattr(st, "secrets", Secrets())  # a fresh, unparsed copy of Streamlit's secrets
    with patch_config_options({"secrets.files": [str(missing)]}):
        assert auth._secrets() == {}  # no file: sign-in off
    monkeypatch.setattr(st, "secrets", Secrets())
    with patch_config_options({"secrets.files": [str(missing), str(broken)]}), pytest.raises(ValueError) as refused:
        auth._secrets()
    assert str(refused.value) == f"{broken} cannot be read (see the server log)"


def test_a_wrong_password_is_refused(password_sign_in: Path):
    at = _sign_in(_data_page(), "admin", PASSWORDS["analyst"])
    assert not at.exception
    assert "Wrong password for the admin role." in _text(at.error)
    assert at.title[0].value == "Sign in to CX Lens" and not at.file_uploader


def test_viewer_sees_no_upload_publish_or_delete(password_sign_in: Path):
    at = _signed_in("viewer")
    assert "You are signed in as viewer: you may see, filter, present and export." in _text(at.caption)
    assert not at.file_uploader
    assert "Only an analyst or admin may upload files; you are signed in as viewer." in _text(at.info)
    at.segmented_control[0].set_value("Datasets").run()
    assert at.dataframe[0].value["dataset"].tolist() == ["tiny"]  # viewing is allowed
    assert not {"Make version 1 active", "Rename", "Delete version 1…", "Delete dataset tiny…"} & _labels(at)
    at.segmented_control[0].set_value("Templates").run()
    assert "Delete this template" not in _labels(at)
    assert not at.sidebar.get("expander")  # no number-format editor either
    assert "Signed in as **viewer**" in _text(at.sidebar.caption)


def test_analyst_sees_upload_and_publish_but_no_delete(password_sign_in: Path):
    at = _signed_in("analyst")
    assert len(at.file_uploader) == 3
    at.segmented_control[0].set_value("Datasets").run()
    assert {"Make version 1 active", "Rename"} <= _labels(at)
    assert not {"Delete version 1…", "Delete dataset tiny…"} & _labels(at)
    assert "Only an admin may delete datasets and versions; you are signed in as analyst." in _text(at.caption)


def test_admin_sees_delete_and_can_delete(password_sign_in: Path):
    at = _signed_in("admin", "Datasets")
    assert len({"Make version 1 active", "Rename", "Delete version 1…", "Delete dataset tiny…"} & _labels(at)) == 4
    next(b for b in at.button if b.label == "Delete dataset tiny…").click().run()
    next(b for b in at.button if b.label == "Yes, delete").click().run()
    assert not at.exception
    assert Store(password_sign_in).dataset_names() == []


def test_a_crafted_delete_by_an_analyst_is_refused_by_the_server(password_sign_in: Path):
    at = _signed_in("analyst", "Datasets")
    at.session_state["d_confirm"] = ("dataset", "tiny", None, 1)  # as if a hidden Delete had been pressed
    at.run()
    next(b for b in at.button if b.label == "Yes, delete").click().run()
    assert not at.exception
    assert "Only an admin may delete datasets and versions" in _text(at.error)
    assert Store(password_sign_in).dataset_names() == ["tiny"]


def test_signing_out_asks_for_the_password_again(password_sign_in: Path):
    at = _signed_in("admin")
    at.sidebar.button(key="auth_sign_out").click().run()
    assert at.title[0].value == "Sign in to CX Lens"


def test_a_viewer_sees_saved_story_notes_read_only(password_sign_in: Path):
    store = Store(password_sign_in)
    story.save_note(store, "tiny", story.STEPS[0].key, "Agreed: fix billing first")
    store.close()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.switch_page("pages/8_Story.py")
    at = _sign_in(at.run(), "viewer")
    assert not at.exception
    assert not at.text_area
    assert "Agreed: fix billing first" in _text(at.text)


def test_identity_provider_users_get_the_mapped_role(app_tiny_db: Path):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.secrets["auth"] = {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "x", "client_id": "x"}
    at.secrets["cxlens"] = {"roles": {"analyst": ["cx-analysts"]}, "default_role": "none"}
    at.user = {"is_logged_in": True, "email": "bo@example.com", "groups": ["cx-analysts"]}
    at.switch_page("pages/9_Data.py")
    at.run()
    assert not at.exception
    assert len(at.file_uploader) == 3
    assert "Signed in as **analyst** (bo@example\\.com)" in _text(at.sidebar.caption)
    at.user = {"is_logged_in": True, "email": "eve@example.com"}
    at.run()
    assert "Your account has no role in CX Lens" in _text(at.error)
    assert not at.file_uploader


# -- every write asks first --------------------------------------------------------------------------

WRITES = {
    "set_setting",
    "delete_setting",
    "publish",
    "activate",
    "delete_version",
    "delete_dataset",
    "rename_dataset",
    "save_catalogue",
    "reset_catalogue",
    "save_model",
    "reset_model",
    "save_scenario",
    "delete_scenario",
    "save_note",
    "delete",
    "add_files",
}
"""Calls that change the database or the upload folder."""
EXEMPT = {("dashboard/ui/cache.py", "_open_store")}
"""Writes no user starts: the sample published into an empty database when the server opens it."""


def _called(node: ast.AST) -> set[str]:
    names = set()
    for call in (n for n in ast.walk(node) if isinstance(n, ast.Call)):
        if isinstance(call.func, ast.Attribute):
            names.add(call.func.attr)
        elif isinstance(call.func, ast.Name):
            names.add(call.func.id)
    return names


def test_every_function_in_the_ui_that_writes_asks_auth_first():
    writers, unguarded = [], []
    for path in sorted((ROOT / "dashboard" / "ui").rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        for fn in (n for n in ast.walk(ast.parse(path.read_text())) if isinstance(n, ast.FunctionDef)):
            called = _called(fn)
            if not called & WRITES or (rel, fn.name) in EXEMPT or rel == "dashboard/ui/auth.py":
                continue
            writers.append(f"{rel}:{fn.name}")
            if not called & {"require", "can"}:  # require refuses in words; can, for writes no one asked for
                unguarded.append(f"{rel}:{fn.name} calls {sorted(called & WRITES)}")
    assert len(writers) >= 15  # the check sees the real writers (save, delete, publish, notes, settings...)
    assert unguarded == []


SETTINGS_LAYER = "dashboard/ui/settings.py"


def _decorator_names(fn: ast.FunctionDef) -> set[str]:
    return {d.func.id for d in fn.decorator_list if isinstance(d, ast.Call) and isinstance(d.func, ast.Name)}


def test_pages_write_settings_only_through_the_settings_layer_and_only_on_a_users_action():
    # issue 17: Defection wrote a setting while it rendered, and views called store.set_setting directly
    direct, while_drawing, layer_calls = [], [], []
    for path in sorted((ROOT / "dashboard" / "ui").rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        for fn in (n for n in ast.walk(ast.parse(path.read_text())) if isinstance(n, ast.FunctionDef)):
            called = _called(fn)
            if rel != SETTINGS_LAYER and called & {"get_setting", "set_setting", "delete_setting"}:
                direct.append(f"{rel}:{fn.name}")
            if rel.startswith("dashboard/ui/views/") and called & {"save_setting", "forget_setting"}:
                layer_calls.append(f"{rel}:{fn.name}")
                if "action" not in _decorator_names(fn):  # a button's callback runs before the page is drawn
                    while_drawing.append(f"{rel}:{fn.name}")
    assert direct == [], "only ui/settings.py calls the store's setting readers and writers"
    assert len(layer_calls) >= 4  # Journey's windows, Defection's definition and assumption, Funnel's costs
    assert while_drawing == [], "a view saves settings only in an @action callback, never while it draws"


EDITING = {
    "pages/2_Funnel.py": lambda at: "Stage rules" in [t.label for t in at.tabs],
    "pages/3_Behaviours.py": lambda at: any(e.label.startswith("Edit the catalogue") for e in at.expander),
    "pages/4_What-if.py": lambda at: "Save scenario" in _labels(at),
    "pages/8_Story.py": lambda at: len(at.text_area) == 1,
    "app.py": lambda at: any(e.label == "Number format" for e in at.sidebar.get("expander")),
}
"""Per page, whether its editing controls are drawn (stage rules, catalogue, scenarios, notes, number format)."""


@pytest.mark.parametrize(("role", "editing"), [("viewer", False), ("analyst", True)])
def test_editing_controls_on_every_page_follow_the_role(
    app_sample_db: Path, monkeypatch: pytest.MonkeyPatch, role: str, editing: bool
):
    for name, password in PASSWORDS.items():
        monkeypatch.setenv(f"CXLENS_PASSWORD_{name.upper()}", access.hash_password(password, SALT))
    at = _sign_in(AppTest.from_file(str(ROOT / "app.py"), default_timeout=180).run(), role)
    shown = {}
    for page, drawn in EDITING.items():
        at.switch_page(page).run()
        assert not at.exception, page
        shown[page] = drawn(at)
    assert shown == dict.fromkeys(EDITING, editing)
