"""The one escaping helper: every character that can start markup, for Markdown, Plotly and HTML (hand-worked)."""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest

from dashboard.charts import theme
from dashboard.escape import (
    WORD_JOINER,
    html_text,
    markdown_text,
    plotly_frame,
    plotly_text,
    plotly_value,
    script_json,
    spreadsheet_text,
)
from dashboard.formatting import NumberFormat

EVERY_CONTEXT = [
    # typed text     Markdown (st.markdown, captions)   Plotly (labels)    HTML (report)       CSV / Excel cell
    ("*", r"\*", "*", "*", "*"),  # emphasis
    ("_", r"\_", "_", "_", "_"),  # emphasis
    ("`", r"\`", "`", "`", "`"),  # code
    ("#", r"\#", "#", "#", "#"),  # heading at a line start
    ("[x](y)", r"\[x\]\(y\)", "[x](y)", "[x](y)", "[x](y)"),  # link
    ("|", r"\|", "|", "|", "|"),  # table cell
    ("~", r"\~", "~", "~", "~"),  # strike-through
    (":red[x]", r"\:red\[x\]", ":red[x]", ":red[x]", ":red[x]"),  # Streamlit colour directive
    ("$x$", r"\$x\$", "$x$", "$x$", "$x$"),  # LaTeX maths in st.markdown
    ("\\", "\\\\", "\\", "\\", "\\"),  # a backslash that would escape what follows
    ("<b>", r"\<b\>", "&lt;b&gt;", "&lt;b&gt;", "<b>"),  # HTML tag (Plotly draws <b>, <a>, <span style>)
    ("&", r"\&", "&amp;", "&amp;", "&"),  # entity start
    ('"', '\\"', '"', "&quot;", '"'),  # attribute quote (HTML only)
    ("'", "\\'", "'", "&#x27;", "'"),  # attribute quote (HTML only)
    ("a\nb", "a  \nb", "a\nb", "a\nb", "a\nb"),  # a line break stays a break in Markdown, not a paragraph
    ("=1+1", r"\=1\+1", "=1+1", "=1+1", "'=1+1"),  # spreadsheet formula
    ("+1", r"\+1", "+1", "+1", "'+1"),  # formula (and a Markdown list item)
    ("-1", r"\-1", "-1", "-1", "'-1"),  # formula (and a Markdown list item)
    ("@a", "\\@\u2060a", "@a", "@a", "'@a"),  # formula; in Markdown an e-mail link, broken by a word joiner
    ("\tx", "\u00a0x", "\tx", "\tx", "'\tx"),  # leading tab: a code block in Markdown, a formula in some sheets
    ("https://x.y", "https\\:\u2060\\/\\/x\\.y", "https://x.y", "https://x.y", "https://x.y"),  # bare link
    ("plain 42 Ü", "plain 42 Ü", "plain 42 Ü", "plain 42 Ü", "plain 42 Ü"),  # nothing to escape
]
"""Every character that matters, in every place uploaded text goes, hand-worked: one row per character."""


@pytest.mark.parametrize(("text", "markdown", "plotly", "html", "spreadsheet"), EVERY_CONTEXT)
def test_every_character_that_matters_in_every_context(text, markdown, plotly, html, spreadsheet):
    assert (markdown_text(text), plotly_text(text), html_text(text), spreadsheet_text(text)) == (
        markdown,
        plotly,
        html,
        spreadsheet,
    )


def test_spreadsheet_text_leaves_numbers_and_text_that_cannot_be_a_formula():
    assert [spreadsheet_text(v) for v in (-5, 1.5, None, "a=b", " =1")] == [-5, 1.5, None, "a=b", " =1"]


MARKDOWN_CASES = [
    ("*bold*", r"\*bold\*"),
    ("_em_", r"\_em\_"),
    ("`code`", r"\`code\`"),
    ("[link](https://evil.example)", "\\[link\\]\\(https\\:\u2060\\/\\/evil\\.example\\)"),
    ("![](//evil.example/a)", r"\!\[\]\(\/\/evil\.example\/a\)"),
    # bare links, which Streamlit's Markdown links after reading the escapes: an invisible word joiner breaks each
    ("see https://evil.example", "see https\\:\u2060\\/\\/evil\\.example"),
    ("www.evil.example", "www\u2060\\.evil\\.example"),
    ("WWW.evil.example", "WWW\u2060\\.evil\\.example"),
    ("ceo@evil.example", "ceo\\@\u2060evil\\.example"),
    ("What to do: call", r"What to do\: call"),
    ("# heading", r"\# heading"),
    ("<img src=x>", r"\<img src\=x\>"),
    ("Phone & Chat", r"Phone \& Chat"),
    ("&lt;", r"\&lt\;"),
    ("a | b", r"a \| b"),
    ("~~gone~~", r"\~\~gone\~\~"),
    ("back\\slash", r"back\\slash"),
    ("$x^2$", r"\$x\^2\$"),
    (":red[alarm]", r"\:red\[alarm\]"),
    ("- item", r"\- item"),
    ("+ item", r"\+ item"),
    ("1. item", r"1\. item"),
    ("> quote", r"\> quote"),
    ("{curly}", r"\{curly\}"),
    ("\"quoted\" 'single'", r"\"quoted\" \'single\'"),
    ("100% @home?", "100\\% \\@\u2060home\\?"),
    ("=HYPERLINK(x)", r"\=HYPERLINK\(x\)"),
    ("plain words 42", "plain words 42"),
    ("Ünïcode ✓", "Ünïcode ✓"),
]


@pytest.mark.parametrize(("text", "escaped"), MARKDOWN_CASES)
def test_markdown_text_escapes_every_character_that_starts_markup(text: str, escaped: str):
    assert markdown_text(text) == escaped
    # read back, CommonMark drops the backslash before punctuation and the joiner is invisible: what was typed
    assert re.sub(r"\\(.)", r"\1", escaped).replace(WORD_JOINER, "") == text


def test_markdown_text_keeps_line_breaks_and_leading_spaces_without_making_a_code_block_or_list():
    assert markdown_text("first\n    - second") == "first  \n\u00a0\u00a0\u00a0\u00a0\\- second"
    assert markdown_text("") == ""
    assert markdown_text(17850) == "17850"
    assert markdown_text(None) == "None"


def test_no_ascii_punctuation_is_left_unescaped_by_markdown_text():
    punctuation = "".join(chr(c) for c in range(33, 127) if not chr(c).isalnum())
    escaped = markdown_text(punctuation)
    assert escaped == "".join("\\" + ch for ch in punctuation)


PLOTLY_CASES = [
    (
        '<a href="https://evil.example/login">Session expired</a>',
        '&lt;a href="https://evil.example/login"&gt;Session expired&lt;/a&gt;',
    ),
    ('<span style="font-size:80px">big</span>', '&lt;span style="font-size:80px"&gt;big&lt;/span&gt;'),
    ("<b>b</b><br><i>i</i>", "&lt;b&gt;b&lt;/b&gt;&lt;br&gt;&lt;i&gt;i&lt;/i&gt;"),
    ("<sub>2</sub><sup>3</sup>", "&lt;sub&gt;2&lt;/sub&gt;&lt;sup&gt;3&lt;/sup&gt;"),
    ("<img src=//evil.example/a>", "&lt;img src=//evil.example/a&gt;"),
    ("Phone & Chat", "Phone &amp; Chat"),
    ("&lt;b&gt; typed as entities", "&amp;lt;b&amp;gt; typed as entities"),
    ("*stars* [md](x) $5", "*stars* [md](x) $5"),
]


@pytest.mark.parametrize(("text", "escaped"), PLOTLY_CASES)
def test_plotly_text_turns_the_three_markup_characters_into_entities(text: str, escaped: str):
    assert plotly_text(text) == escaped


def test_html_text_also_escapes_quotes_for_attributes():
    assert html_text("<a href='x' title=\"y\">R&D</a>") == "&lt;a href=&#x27;x&#x27; title=&quot;y&quot;&gt;R&amp;D&lt;/a&gt;"


def test_plotly_frame_escapes_text_cells_index_and_attributes_and_leaves_numbers_and_the_original():
    frame = pd.DataFrame({"segment": ["<b>Home</b>", "R&D", None], "customers": [3, 4, 5]}, index=["<i>", "b", "c"])
    frame.attrs["window"] = "<sup>Q1</sup>"
    out = plotly_frame(frame)
    assert list(out["segment"].iloc[:2]) == ["&lt;b&gt;Home&lt;/b&gt;", "R&amp;D"] and pd.isna(out["segment"].iloc[2])
    assert list(out["customers"]) == [3, 4, 5]
    assert list(out.index) == ["&lt;i&gt;", "b", "c"]
    assert out.attrs == {"window": "&lt;sup&gt;Q1&lt;/sup&gt;"}
    assert frame.loc["<i>", "segment"] == "<b>Home</b>"  # the caller's frame is untouched


def test_plotly_value_escapes_lists_series_and_the_currency_symbol():
    assert plotly_value(["<b>", 1]) == ["&lt;b&gt;", 1]
    assert plotly_value(("a&b",)) == ("a&amp;b",)
    assert list(plotly_value(pd.Series(["<a>"], index=["<i>"])).items()) == [("&lt;i&gt;", "&lt;a&gt;")]
    assert plotly_value(NumberFormat(currency="<b>")).currency == "&lt;b&gt;"
    assert plotly_value(7) == 7


def test_every_public_chart_builder_draws_data_as_text():
    import inspect

    from dashboard.charts import behaviours, defection, funnel, journey, journey_service, overview, whatif

    builders = [
        (module.__name__, name, fn)
        for module in (behaviours, defection, funnel, journey, journey_service, overview, whatif)
        for name, fn in inspect.getmembers(module, inspect.isfunction)
        if fn.__module__ == module.__name__ and not name.startswith("_") and "go.Figure" in str(inspect.signature(fn))
    ]
    assert len(builders) >= 30
    assert [(m, n) for m, n, fn in builders if not getattr(fn, "draws_data_as_text", False)] == []
    assert theme.draws_data_as_text(lambda label: label)("<b>") == "&lt;b&gt;"


@pytest.mark.parametrize("symbol", ["<b>", "**", "[x]", "![", "~~", ":a:", "&lt;", "`"])
def test_a_currency_symbol_that_could_be_markup_is_refused(symbol: str):
    with pytest.raises(ValueError, match="currency symbol cannot hold"):
        NumberFormat(currency=symbol).validate()


@pytest.mark.parametrize("symbol", ["$", "€", "£", "R$", "kr.", "CHF", "zł", ""])
def test_ordinary_currency_symbols_are_kept(symbol: str):
    assert NumberFormat(currency=symbol).validate().currency == symbol


def test_script_json_cannot_close_its_script_or_open_markup_and_reads_back_the_same():
    hostile = {"key": "</script><script>alert(1)</script>", "amp": "&lt;", "lines": "a\u2028b\u2029c", "n": [1.5, 0, -2]}
    text = script_json(hostile)
    for forbidden in ("<", ">", "&", "\u2028", "\u2029"):
        assert forbidden not in text
    assert json.loads(text) == hostile


def test_script_json_refuses_what_javascript_cannot_read():
    with pytest.raises(ValueError):
        script_json({"total": float("nan")})
