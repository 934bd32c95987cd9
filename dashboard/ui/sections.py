"""Section isolation: a failure in one part of a page shows one line with an error id there, the rest keeps working.

The traceback goes to the operator's log (logger "cxlens", with the same id), never to the user.
"""

from __future__ import annotations

import functools
import logging
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import streamlit as st
from streamlit.runtime.scriptrunner_utils.exceptions import ScriptControlException

LOG = logging.getLogger("cxlens")

F = TypeVar("F", bound=Callable[..., Any])


class _Failed:
    """What a failed section returns: falsy, and a guarded section handed it draws nothing (its input failed)."""

    def __bool__(self) -> bool:
        return False

    def __repr__(self) -> str:
        return "FAILED"


FAILED = _Failed()


def error_id() -> str:
    """A short id the user can quote and the operator can find in the log."""
    return f"E-{secrets.token_hex(4).upper()}"


def failure_line(name: str, eid: str) -> str:
    """The one line a user sees in place of a failed section."""
    return f"**{name}** could not be shown (error {eid}). The rest of the page works; the log has the details under {eid}."


def log_failure(name: str, exc: BaseException) -> str:
    """Log exc's traceback for the operator under a new error id; the id."""
    eid = error_id()
    LOG.error("section %r failed [%s]: %s: %s", name, eid, type(exc).__name__, exc, exc_info=exc)
    return eid


def notice(text: str) -> None:
    """One small notice where it is drawn: a value (from the URL or the database) was not usable and was replaced."""
    shown = st.session_state.setdefault("_notices_shown", set())
    if text in shown:
        return
    shown.add(text)
    st.toast(text, icon=":material/info:")


@contextmanager
def section(name: str, *, stop: bool = False) -> Iterator[None]:
    """Draw a part of a page; if it raises, replace what it drew by one line naming it and an error id.

    With stop, the rest of the page is not drawn either (for steps whose result later parts need).
    Streamlit's own control flow (st.stop, st.rerun) passes through untouched.
    """
    holder = st.empty()
    try:
        with holder.container():
            yield
    except ScriptControlException:
        raise
    except Exception as exc:  # isolating any failure is the point
        eid = log_failure(name, exc)
        holder.error(failure_line(name, eid), icon=":material/error:")
        if stop:
            st.stop()


def guarded(name: str, *, stop: bool = False) -> Callable[[F], F]:
    """Decorate a view function as the section name: a failure shows one line there and it returns FAILED;
    handed FAILED (its input failed and said so already), it draws nothing and returns FAILED."""

    def decorate(fn: F) -> F:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if any(arg is FAILED for arg in (*args, *kwargs.values())):
                return FAILED
            with section(name, stop=stop):
                return fn(*args, **kwargs)
            return FAILED

        return wrapper  # type: ignore[return-value]

    return decorate
