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
from streamlit.cursor import LockedCursor
from streamlit.delta_generator import DeltaGenerator
from streamlit.runtime.scriptrunner_utils.exceptions import ScriptControlException

LOG = logging.getLogger("cxlens")
if not LOG.handlers and not logging.getLogger().handlers:  # `streamlit run` configures only its own loggers
    _handler = logging.StreamHandler()  # the server's standard error, next to Streamlit's own messages
    _handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    LOG.addHandler(_handler)

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


def failure_line(name: str, eid: str, *, stop: bool = False) -> str:
    """The one line a user sees in place of a failed section (with stop, the rest of the page is not drawn)."""
    rest = "Other pages work" if stop else "The rest of the page works"
    return f"**{name}** could not be shown (error {eid}). {rest}; the log has the details under {eid}."


def log_failure(name: str, exc: BaseException) -> str:
    """Log exc's traceback for the operator under a new error id; the id."""
    eid = error_id()
    LOG.error("section %r failed [%s]: %s: %s", name, eid, type(exc).__name__, exc, exc_info=exc)
    return eid


NOTICES = {
    "link": "Values in the link that this page cannot show were reset or moved into range: {items}.",
    "setting": "Saved settings that could not be read are replaced by their defaults until saved again: {items}.",
}
"""The one small notice per kind of replaced value, listing what was replaced."""


def notice_area() -> None:
    """Keep the top of the page for this run's notices (the frame calls it first, so notices gather in one line)."""
    st.session_state["_notice_area"] = st.empty()
    st.session_state["_notices"] = {}


def notice(kind: str, item: str) -> None:
    """Say once, in the page's notice line, that item (a URL parameter or a setting) was not usable and was replaced;
    kind is a key of NOTICES."""
    gathered: dict[str, list[str]] = st.session_state.setdefault("_notices", {})
    items = gathered.setdefault(kind, [])
    if item in items:
        return
    items.append(item)
    text = "  \n".join(NOTICES[k].format(items=", ".join(v)) for k, v in gathered.items())
    area = st.session_state.get("_notice_area")
    try:
        if area is None:
            raise RuntimeError("no notice area")
        area.caption(f":material/info: {text}")
    except Exception:  # a fragment cannot write outside itself: a toast instead
        st.toast(NOTICES[kind].format(items=item), icon=":material/info:")


@contextmanager
def section(name: str, *, stop: bool = False) -> Iterator[None]:
    """Draw a part of a page; if it raises, replace what it drew by one line naming it and an error id.

    With stop, the rest of the page is not drawn either (for steps whose result later parts need).
    Streamlit's own control flow (st.stop, st.rerun) passes through untouched.
    """
    box = st.container()
    try:
        with box:
            yield
    except ScriptControlException:
        raise
    except Exception as exc:  # isolating any failure is the point
        eid = log_failure(name, exc)
        in_place_of(box).error(failure_line(name, eid, stop=stop), icon=":material/error:")
        if stop:
            st.stop()


def in_place_of(block: DeltaGenerator) -> DeltaGenerator:
    """A writer whose one element takes the place of block and everything in it (the cursor st.empty() gives, locked
    at the block's own position).

    A section is a plain container, not st.empty().container(): that writes an empty element where the section's
    block stood and then the block again, and a browser that draws in between unmounts all the section holds (its
    charts are drawn anew, a focused slider loses the focus and the keys pressed on it)."""
    cursor, root = block._cursor, block._root_container
    if cursor is None or root is None or not cursor.parent_path:  # no script run: nothing on a screen to replace
        return block
    *parent, index = cursor.parent_path
    return DeltaGenerator(root_container=root, cursor=LockedCursor(root, tuple(parent), index), parent=block._parent)


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

        wrapper.section_name = name  # type: ignore[attr-defined]  # (st.fragment's wrapper copies it)
        return wrapper  # type: ignore[return-value]

    return decorate


def action(name: str) -> Callable[[F], F]:
    """Decorate a button's or widget's callback as the action name: if it raises, the traceback is logged under an
    error id and the page, when it runs next, shows one line naming the action and the id at its top."""

    def decorate(fn: F) -> F:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            try:
                return fn(*args, **kwargs)
            except ScriptControlException:
                raise
            except Exception as exc:  # a callback's failure would otherwise reach Streamlit's own error box
                eid = log_failure(name, exc)
                line = f"**{name}** did not complete (error {eid}). The log has the details under {eid}."
                st.session_state.setdefault("_failed_actions", []).append(line)
                return None

        return wrapper  # type: ignore[return-value]

    return decorate


def show_failed_actions() -> None:
    """The lines of actions that failed since the page last ran (the frame calls it at the top of the page)."""
    for line in st.session_state.pop("_failed_actions", []):
        st.error(line, icon=":material/error:")
