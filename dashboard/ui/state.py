"""Page state that survives page changes and reloads: kept in session state and mirrored in the URL."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import streamlit as st

from dashboard.ui import sections

_MISSING = object()


@dataclass(frozen=True)
class Codec:
    """How a value is written to and read from the URL's query parameters (a list of strings)."""

    encode: Callable[[Any], list[str]]
    decode: Callable[[list[str]], Any]


def _bool_decode(values: list[str]) -> bool:
    text = values[0].lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise ValueError(text)


TEXT = Codec(lambda v: [] if v in (None, "") else [str(v)], lambda xs: xs[0])
TEXTS = Codec(lambda v: [str(x) for x in (v or [])], lambda xs: list(xs))
INT = Codec(lambda v: [str(int(v))], lambda xs: int(xs[0]))
FLOAT = Codec(lambda v: [repr(float(v))], lambda xs: float(xs[0]))
BOOL = Codec(lambda v: ["1" if v else "0"], _bool_decode)
RANGE = Codec(lambda v: [f"{v[0]}..{v[1]}"], lambda xs: tuple(xs[0].split("..", 1)))


def _key(name: str) -> str:
    return f"p:{name}"


def widget_key(name: str) -> str:
    """The Streamlit key of the widget bound to name (a twin adds #twin)."""
    return f"w:{name}"


def _registry() -> dict[str, tuple[Any, Codec, bool]]:
    return st.session_state.setdefault("_state_registry", {})


def _kept() -> dict[str, list[str]]:
    """What this page's current run (and the fragment runs since) wrote to the URL, name by name ([] for left out)."""
    return st.session_state.setdefault("_url_kept", {})


def begin_page_run() -> None:
    """Start a whole run of a page: the URL values it keeps are recorded afresh (see fragment())."""
    st.session_state["_url_kept"] = {}


def _put_url(name: str, encoded: list[str]) -> None:
    _kept()[name] = encoded
    if st.query_params.get_all(name) == encoded:
        return
    if encoded:
        st.query_params[name] = encoded if len(encoded) > 1 else encoded[0]
    elif name in st.query_params:
        del st.query_params[name]


def _write_url(name: str, value: Any) -> None:
    default, codec, always = _registry()[name]
    _put_url(name, [] if value == default and not always else codec.encode(value))


def _restore_url() -> None:
    """Put back every URL value the page's last whole run (and the fragment runs since) wrote."""
    for name, encoded in list(_kept().items()):
        _put_url(name, encoded)


def fragment(func: Callable[..., Any]) -> Callable[..., Any]:
    """st.fragment for a page section, whose every run first puts back the URL values of the page's last whole run.

    Streamlit refills st.query_params on every rerun, fragment runs included, from the query string the browser sent;
    a fragment control used before the browser took the URL of the run before sends the older one, and the fragment
    writes back only its own values, so without this a sidebar filter could drop out of the URL (and a shared link).
    """

    @functools.wraps(func)
    def run(*args: Any, **kwargs: Any) -> Any:
        _restore_url()
        return func(*args, **kwargs)

    return st.fragment(run)


def value(
    name: str,
    default: Any,
    codec: Codec = TEXT,
    valid: Callable[[Any], Any] | None = None,
    *,
    always_in_url: bool = False,
) -> Any:
    """The persisted value of name: from session state, else from the URL on first use, else default.

    valid, if given, returns the value made valid (e.g. options that no longer exist removed) or raises
    ValueError to fall back to default. Defaults stay out of the URL unless always_in_url.
    """
    _registry()[name] = (default, codec, always_in_url)
    _settle_twins(name)
    key = _key(name)
    from_url = False
    if key not in st.session_state:
        raw = st.query_params.get_all(name)
        from_url = bool(raw)
        try:
            st.session_state[key] = codec.decode(raw) if raw else default
        except (ValueError, IndexError, TypeError, OverflowError):
            st.session_state[key] = default
            if from_url:
                sections.notice("link", name)
                from_url = False
    if valid is not None:
        given = st.session_state[key]
        try:
            st.session_state[key] = valid(given)
        except (ValueError, TypeError, OverflowError):
            st.session_state[key] = default
        if from_url and not _same(st.session_state[key], given):
            sections.notice("link", name)
    _write_url(name, st.session_state[key])
    return st.session_state[key]


def _settle_twins(name: str) -> None:
    """Apply a value typed into name's twin widget, unless its main widget moved in the same run: a slider moved by
    quick key presses reruns while the browser still sends the twin's old value, which must not undo the move."""
    moved = st.session_state.get("_twin_moved", set())
    typed = st.session_state.get("_twin_typed", {})
    if name in typed:
        value_typed = typed.pop(name)
        if name not in moved:
            set_value(name, value_typed)
    moved.discard(name)


def _same(a: Any, b: Any) -> bool:
    """a and b are the same value (lists compared as sets: a validator may put chosen options in their own order)."""
    if isinstance(a, list | tuple) and isinstance(b, list | tuple) and not isinstance(a, str):
        try:
            return len(a) == len(b) and set(a) == set(b)
        except TypeError:
            return list(a) == list(b)
    return a == b or (a != a and b != b)  # NaN equals NaN here


def clamp(current: Any, lo: Any, hi: Any) -> Any:
    """current (a number, or a range of two) moved inside lo..hi where it lies outside; anything else as it is."""
    if isinstance(current, tuple | list) and not isinstance(current, str):
        return type(current)(clamp(item, lo, hi) for item in current)
    if isinstance(current, bool) or not isinstance(current, int | float):
        return current
    if current != current:  # NaN: no nearest value, so the lowest
        return lo if lo is not None else current
    if lo is not None and current < lo:
        return type(current)(lo) if isinstance(current, int) and isinstance(lo, int) else lo
    if hi is not None and current > hi:
        return hi
    return current


def _push_to_browser(name: str) -> None:
    """Mark name's widget to be given its value through session state when next drawn.

    A keyed widget whose state is merely deleted is drawn again from its value parameter on the server, but the
    browser keeps showing (and later sends back) the old value; a value set through session state reaches it.
    """
    st.session_state.pop(widget_key(name), None)
    st.session_state.setdefault("_state_push", set()).add(name)


def set_value(name: str, new_value: Any) -> None:
    """Persist new_value under name and mirror it in the URL (its widgets show it when next drawn)."""
    st.session_state[_key(name)] = new_value
    if name in _registry():
        _write_url(name, new_value)
    bound = widget_key(name)
    if bound in st.session_state and st.session_state[bound] != new_value:
        _push_to_browser(name)


def clear(names: list[str]) -> None:
    """Forget the persisted values of names (session state, widget state and URL)."""
    for name in names:
        st.session_state.pop(_key(name), None)
        if widget_key(name) in st.session_state:
            _push_to_browser(name)
        _put_url(name, [])


def widget(
    render: Callable[..., Any],
    label: str,
    name: str,
    default: Any,
    codec: Codec = TEXT,
    *,
    valid: Callable[[Any], Any] | None = None,
    always_in_url: bool = False,
    value_arg: str = "value",
    to_arg: Callable[[Any], Any] | None = None,
    twin: str = "",
    **kwargs: Any,
) -> Any:
    """Draw render(label, ...) bound to the persisted value name; a change is kept and mirrored in the URL.

    The persisted value is handed to the widget through its own parameter (value_arg: "value", "default"
    or "index" with to_arg=options.index), so Streamlit knows the widget's kind (a range slider stays a range).
    twin, when given, names a second widget bound to the same value (a typed box beside a slider): it has its own
    widget key, the same URL name, and each shows what the other set.
    """
    current = value(name, default, codec, valid, always_in_url=always_in_url)
    lo, hi = kwargs.get("min_value"), kwargs.get("max_value")
    if lo is not None or hi is not None:  # a widget refuses a value outside its range with an exception
        inside = clamp(current, lo, hi)
        if not _same(inside, current):
            sections.notice("link", name)
            set_value(name, inside)
            current = inside
    bound = widget_key(name) + (f"#{twin}" if twin else "")
    shown = current if value_arg == "index" or to_arg is None else to_arg(current)
    pushes = st.session_state.setdefault("_state_push", set())
    pushed = (name in pushes and not twin) or (bound in st.session_state and st.session_state[bound] != shown)
    if pushed:  # a value changed by the page (preset, reset, loaded scenario) reaches the browser through session state
        st.session_state[bound] = shown
        if not twin:
            pushes.discard(name)

    def _changed() -> None:
        if twin:  # applied when the value is next read, unless the main widget moved in the same run
            st.session_state.setdefault("_twin_typed", {})[name] = st.session_state[bound]
            return
        st.session_state.setdefault("_twin_moved", set()).add(name)
        set_value(name, st.session_state[bound])

    if not pushed:  # a pushed value is the widget's value already; passing it too would draw Streamlit's warning
        kwargs[value_arg] = to_arg(current) if to_arg else current
    elif shown is None and value_arg == "value":  # an emptied box stays empty (None is no default: no warning)
        kwargs[value_arg] = None
    render(label, key=bound, on_change=_changed, **kwargs)
    return st.session_state[_key(name)]


@dataclass(frozen=True)
class Control:
    """The one control model: a persisted value (URL name, default, codec, validator), read before anything is drawn
    (read) and drawn later as a widget bound to it (draw)."""

    name: str
    default: Any
    codec: Codec = TEXT
    valid: Callable[[Any], Any] | None = None

    def read(self) -> Any:
        """The value the page state (and so the URL) holds, without drawing a widget."""
        return value(self.name, self.default, self.codec, self.valid)

    def draw(self, render: Callable[..., Any], label: str, **kwargs: Any) -> Any:
        """Draw render(label, ...) bound to the value (see widget()); return the value."""
        return widget(render, label, self.name, self.default, self.codec, valid=self.valid, **kwargs)


def tabs(labels: list[str], name: str) -> list[Any]:
    """st.tabs bound by Streamlit to the URL parameter name (the open tab's label; the first tab is left out of the
    URL); tab.open tells which one is shown. A label not among labels (an old or hand-made link) opens the first tab
    with the link notice (Streamlit drops it from the URL)."""
    asked = st.query_params.get(name)
    containers = st.tabs(labels, key=name, bind="query-params")
    if asked is not None and asked not in labels:
        sections.notice("link", name)
    return list(containers)


def is_open(tab: object) -> bool:
    """Whether a tab of tabs() is the one shown (tabs without state tracking count as open): a section inside draws
    only when this holds, so a control change reruns the open tab's queries and charts alone."""
    return getattr(tab, "open", True) is not False


def draw_tabs(tabs: dict[str, Any], sections: dict[str, Callable[[], Any]]) -> None:
    """Each section drawn inside its tab (tabs from tabs(), by label), the open tab's alone."""
    for label, draw in sections.items():
        with tabs[label]:
            if is_open(tabs[label]):
                draw()


def draw_expander(
    label: str, name: str, draw: Callable[[], Any], *, icon: str, opened_by: Sequence[str] = (), expanded: bool = False
) -> None:
    """draw() inside an expander bound by Streamlit to the URL parameter name (true while open), run only while it is
    open: a closed section costs a rerun nothing. It opens by itself when expanded holds or a link carries any of
    opened_by (the section's own controls, so made while it was open); a person's choice, kept in the URL, wins."""
    with st.expander(label, expanded=expanded or in_url(opened_by), key=name, bind="query-params", icon=icon) as box:
        if box.open:
            draw()


def in_url(names: Sequence[str]) -> bool:
    """Whether the URL carries any of names (a link made while the section they belong to was open)."""
    return any(name in st.query_params for name in names)


def one_of(options: Sequence[Any]) -> Callable[[Any], Any]:
    """A validator for value(): the value when it is one of options, else ValueError (so the default is used)."""

    def check(value: Any) -> Any:
        if value not in options:
            raise ValueError(value)
        return value

    return check


def choice(
    render: Callable[..., Any],
    label: str,
    name: str,
    options: Sequence[Any],
    default: Any,
    codec: Codec = TEXT,
    **kwargs: Any,
) -> Any:
    """A single-choice widget (selectbox, radio) over options bound to name, like widget(); a value from the URL or
    an earlier run that is no longer among the options falls back to default."""
    options = list(options)
    return widget(
        render,
        label,
        name,
        default,
        codec,
        valid=one_of(options),
        value_arg="index",
        to_arg=options.index,
        options=options,
        **kwargs,
    )


def shared_params(names: list[str]) -> dict[str, str | list[str]]:
    """Query parameters for the persisted values of names, for links that keep the current view."""
    params: dict[str, str | list[str]] = {}
    for name in names:
        if name not in _registry() or _key(name) not in st.session_state:
            continue
        default, codec, always = _registry()[name]
        current = st.session_state[_key(name)]
        if current != default or always:
            encoded = codec.encode(current)
            params[name] = encoded if len(encoded) > 1 else encoded[0]
    return params
