"""The one home for escaping uploaded or typed text: shown as text in Markdown, Plotly and HTML, never as markup, and
written to CSV and Excel as text, never as a formula."""

from __future__ import annotations

import html
import json
from dataclasses import replace

import pandas as pd

from dashboard.formatting import NumberFormat

# CommonMark lets a backslash escape any ASCII punctuation character, and every one of them can start markup in
# Streamlit's Markdown (emphasis, links, images, HTML, maths, :colour[directives], lists, headings, tables).
_ASCII_PUNCTUATION = frozenset("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")


# Streamlit's Markdown turns bare https://..., www.... and e-mail addresses into links after reading the escapes, so
# backslashes do not stop them: an invisible word joiner goes inside each (after "://"'s colon, after "www", after @).
WORD_JOINER = "\u2060"


def markdown_text(text: object) -> str:
    """text for st.markdown, captions, alerts and widget labels, shown as typed: every ASCII punctuation character
    backslash-escaped, a word joiner inside what would be a bare link, leading spaces kept as no-break spaces (no code
    block), each line break kept as a break."""
    lines = []
    for line in str(text).splitlines() or [""]:
        body = line.lstrip(" \t")
        indent = "\u00a0" * (len(line) - len(body))
        lines.append(indent + "".join(_markdown_char(body, i) for i in range(len(body))))
    return "  \n".join(lines)


def _markdown_char(body: str, i: int) -> str:
    ch, following = body[i], body[i + 1 : i + 2]
    out = "\\" + ch if ch in _ASCII_PUNCTUATION else ch
    links = (
        (ch == ":" and following == "/")
        or (ch == "@" and (following.isalnum() or following in ("-", "_")))
        or (following == "." and body[max(0, i - 2) : i + 1].lower() == "www")
    )
    return out + WORD_JOINER if links else out


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""What a spreadsheet reads as the start of a formula in a text cell (tab and carriage return too: some read past them)."""


def spreadsheet_text(value: object) -> object:
    """value for a CSV or Excel cell: text starting with =, +, -, @, tab or carriage return gets a leading apostrophe
    (so it stays text, never a formula); anything else, numbers included, unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def plotly_text(text: object) -> str:
    """text for a Plotly label, title, legend or hover: & < > as entities (Plotly draws <a>, <b>, <span style>...)."""
    return html.escape(str(text), quote=False)


def html_text(text: object) -> str:
    """text for an HTML document: & < > " ' as entities."""
    return html.escape(str(text), quote=True)


def script_json(value: object) -> str:
    """value as JSON to place inside an HTML <script> element: < > & and the two line separators JavaScript once read
    as line ends written as \\u escapes, so no text in it can close the script or open markup."""
    text = json.dumps(value, ensure_ascii=True, allow_nan=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def plotly_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of frame with every text value, text index entry and text attribute passed through plotly_text."""
    out = frame.copy()
    for position in range(out.shape[1]):
        column = out.iloc[:, position]
        if _may_hold_text(column.dtype):
            out.isetitem(position, column.map(_plotly_value))
    out.index = _plotly_index(out.index)
    out.attrs = {key: _plotly_value(value) for key, value in frame.attrs.items()}
    return out


def plotly_value(value: object) -> object:
    """value ready for a chart builder: text, text in lists, frames, series and the currency symbol escaped."""
    if isinstance(value, str):
        return plotly_text(value)
    if isinstance(value, pd.DataFrame):
        return plotly_frame(value)
    if isinstance(value, pd.Series):
        out = value.map(_plotly_value)
        out.index = _plotly_index(value.index)
        return out.rename(_plotly_value(value.name))
    if isinstance(value, list | tuple) and any(isinstance(v, str) for v in value):
        return type(value)(_plotly_value(v) for v in value)
    if isinstance(value, NumberFormat):
        return replace(value, currency=plotly_text(value.currency))
    return value


def _plotly_value(value: object) -> object:
    return plotly_text(value) if isinstance(value, str) else value


def _plotly_index(index: pd.Index) -> pd.Index:
    if isinstance(index, pd.MultiIndex) or not _may_hold_text(index.dtype):
        return index
    return index.map(_plotly_value)


def _may_hold_text(dtype: object) -> bool:
    """False for number, boolean and date columns, which cannot hold text (skipped: charts get large numeric frames)."""
    types = pd.api.types
    return not (types.is_numeric_dtype(dtype) or types.is_bool_dtype(dtype) or types.is_datetime64_any_dtype(dtype))
