"""Sign-in and the one place that decides who may do what: `gate()` on every page, `can()` to draw, `require()` to write.

The role lives in this session's server-side state (never in the URL), so a shared link carries filters and views
but no rights: whoever opens it signs in with their own role. Every control that writes asks `require()` again when
it acts, so a rerun crafted to press a hidden button is refused too.
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import streamlit as st
from streamlit import config as streamlit_config
from streamlit.errors import StreamlitAuthError, StreamlitSecretNotFoundError

from dashboard import access
from dashboard.access import Action, Mode, Role

_ROLE_KEY = "_auth_role"
"""Session-state key of the role a password sign-in gave (not a widget key: a browser cannot set it)."""
FAILED_SIGN_IN_PAUSE_S = 1.0
"""Pause after a wrong password, so guessing is slow."""


def _secrets() -> Mapping[str, Any]:
    """Streamlit's secrets (secrets.toml), or nothing when there is no secrets file; ValueError when one cannot be read."""
    try:
        return st.secrets.to_dict()
    except StreamlitSecretNotFoundError:
        unreadable = [p for p in streamlit_config.get_option("secrets.files") if Path(p).is_file()]
        if unreadable:  # a broken file must not turn sign-in off
            raise ValueError(f"{unreadable[0]} cannot be read (see the server log)") from None
        return {}


def settings() -> access.AccessConfig:
    """The sign-in settings of this deployment (environment variables and secrets.toml)."""
    return access.from_environment(_secrets())


def role() -> Role | None:
    """The role of the user of this session; admin when sign-in is off; None when not (yet) signed in."""
    config = settings()
    if config.mode is Mode.OFF:
        return Role.ADMIN
    if config.mode is Mode.PASSWORD:
        signed_in = st.session_state.get(_ROLE_KEY)
        return signed_in if signed_in in config.passwords else None  # a role whose password was removed is closed
    if not st.user.is_logged_in:
        return None
    return config.role_for(st.user.to_dict())


def can(action: Action) -> bool:
    """Whether the user of this session may take action (for drawing: hide what they may not use)."""
    return access.permits(role(), action)


def require(action: Action) -> bool:
    """The check before every write: True when the user may take action, else a one-line refusal and False."""
    current = role()
    if access.permits(current, action):
        return True
    st.error(access.refusal(current, action), icon=":material/block:")
    return False


def gate() -> Role:
    """The user's role, after signing them in when sign-in is on; until then the page shows only the sign-in form."""
    try:
        config = settings()
    except ValueError as exc:  # a broken configuration must not open the app to everyone
        st.error(f"Sign-in is misconfigured, so CX Lens stays closed: {exc}", icon=":material/lock:")
        st.stop()
    if config.mode is Mode.OFF:
        return Role.ADMIN
    current = role()
    if current is None:
        if config.mode is Mode.PASSWORD:
            _password_form(config)
        else:
            _identity_provider_sign_in()
        st.stop()
    return current


def _password_form(config: access.AccessConfig) -> None:
    st.title("Sign in to CX Lens")
    roles = [r for r in Role if r in config.passwords]
    with st.form("auth_sign_in", clear_on_submit=True):
        chosen = st.selectbox("Role", [r.label for r in roles], key="auth_role_choice")
        password = st.text_input("Password", type="password", key="auth_password")
        submitted = st.form_submit_button("Sign in", type="primary", icon=":material/login:")
    st.caption(
        "Ask whoever runs CX Lens for the password of your role: viewers see, filter, present and export; "
        "analysts also upload, publish and edit settings; admins also delete datasets and versions."
    )
    if not submitted:
        return
    wanted = Role.parse(chosen)
    if password and access.verify_password(password, config.passwords[wanted]):
        st.session_state[_ROLE_KEY] = wanted
        st.rerun()
    time.sleep(FAILED_SIGN_IN_PAUSE_S)
    st.error(f"Wrong password for the {wanted.label} role.", icon=":material/error:")


def _identity_provider_sign_in() -> None:
    st.title("Sign in to CX Lens")
    if st.user.get("is_logged_in"):
        st.error("Your account has no role in CX Lens: ask whoever runs it to add you.", icon=":material/block:")
        st.button("Sign out", on_click=st.logout, icon=":material/logout:")
        return
    if st.button("Sign in", type="primary", icon=":material/login:"):
        try:
            st.login()
        except StreamlitAuthError as exc:
            st.error(f"Sign-in with the identity provider is not set up correctly: {exc}", icon=":material/error:")


def signed_in_bar() -> None:
    """Who is signed in, with what role, and a Sign out button, at the foot of the sidebar (nothing when sign-in is off)."""
    config = settings()
    current = role()
    if config.mode is Mode.OFF or current is None:
        return
    who = str(st.user.get("email") or "") if config.mode is Mode.IDENTITY_PROVIDER else ""
    shown = re.sub(r"([^\w@ ])", r"\\\1", who)  # the address as text, never as markdown
    text = f"Signed in as **{current.label}**" + (f" ({shown})" if shown else "")
    st.sidebar.divider()
    st.sidebar.caption(text)
    st.sidebar.button("Sign out", key="auth_sign_out", on_click=_sign_out, args=(config,), icon=":material/logout:")


def _sign_out(config: access.AccessConfig) -> None:
    st.session_state.pop(_ROLE_KEY, None)
    if config.mode is Mode.IDENTITY_PROVIDER:
        st.logout()


def notice() -> None:
    """One line on the Data page saying who may do what here (and that everyone is an admin when sign-in is off)."""
    config = settings()
    if config.mode is Mode.OFF:
        st.caption(
            ":material/lock_open: Sign-in is off: everyone who can open this app is an admin. It listens on this "
            "computer only (localhost) unless a deployment changes that; see SECURITY in the README.",
        )
        return
    current = role()
    allowed = [a.value for a in Action if access.permits(current, a)]
    st.caption(f":material/lock: You are signed in as {current.label if current else 'nobody'}: you may {'; '.join(allowed)}.")
