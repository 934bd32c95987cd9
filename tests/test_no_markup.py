"""No markup from data, anywhere: a dataset with hostile text in every text column, every page opened with AppTest.

Checks every Markdown-rendered string (markdown, captions, alerts, widget labels and help, radio options, metric
labels and values, expander and tab labels), every Plotly figure and each page's HTML report.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from google.protobuf.message import Message
from streamlit.testing.v1 import AppTest

from dashboard.escape import WORD_JOINER
from dashboard.store import Store
from dashboard.ui.views.behaviours import TABS as BEHAVIOURS_TABS
from dashboard.ui.views.defection import TABS as DEFECTION_TABS
from dashboard.ui.views.journey.controls import TABS as JOURNEY_TABS
from dashboard.ui.views.whatif import preview
from tests.conftest import use_copy
from tests.hostile import DATASET, HOSTILE_CSV, LIVE_AUTOLINK, LIVE_MARKDOWN, LIVE_TAG, publish_hostile

ROOT = Path(__file__).resolve().parent.parent
PAGES = {
    "Overview": ("app.py", {}),
    **{f"Journey {tab}": ("pages/1_Journey.py", {"j_tab": tab}) for tab in JOURNEY_TABS},
    "Journey by channel": ("pages/1_Journey.py", {"j_tab": "Paths", "j_nodes": "channel", "j_dkind": "reason"}),
    "Funnel": ("pages/2_Funnel.py", {"f_list": "true", "f_breakdown": "true", "f_cohorts": "true"}),  # every section open
    **{f"Behaviours {tab}": ("pages/3_Behaviours.py", {"b_tab": tab, "b_edit": "true"}) for tab in BEHAVIOURS_TABS},
    "What-if": ("pages/4_What-if.py", {}),
    **{f"Defection {tab}": ("pages/5_Defection.py", {"d_tab": tab}) for tab in DEFECTION_TABS},
    "Drivers": ("pages/6_Drivers.py", {"dr_or": "true"}),  # the odds-ratio chart open: drivers' names on its axis
    **{f"Story step {n}": ("pages/8_Story.py", {"s_step": str(n)}) for n in range(1, 8)},
    "Story presenting": ("pages/8_Story.py", {"s_step": "1", "present": "1"}),
    "Data": ("pages/9_Data.py", {}),
}
MARKDOWN_FIELDS = {"body", "label", "help", "caption", "captions", "delta"}
"""Proto fields Streamlit renders as Markdown (radio and pills options too, see _markdown_strings)."""
PLAIN = {"Text", "Code"}
"""Elements that show their body as plain text (st.text, st.code): data may stand there as typed."""


@pytest.fixture(scope="module")
def hostile_db_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("hostiledb") / "hostile.duckdb"
    store = Store(path)
    publish_hostile(store)
    store.close()
    return path


@pytest.fixture
def app_hostile_db(hostile_db_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return use_copy(hostile_db_file, tmp_path, monkeypatch)


def _open(script: str, params: dict[str, str]) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    at.query_params["ds"] = DATASET
    for name, value in params.items():
        at.query_params[name] = value
    if script != "app.py":
        at.switch_page(script)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _nodes(node):
    yield node
    for child in getattr(node, "children", {}).values():
        yield from _nodes(child)


def _strings(message: Message, path: str = ""):
    """(field path, text) of every string field in a proto message, nested messages included."""
    for field, value in message.ListFields():
        values = [value] if isinstance(value, str | bytes | Message) or not hasattr(value, "__iter__") else value
        for item in values:
            if isinstance(item, Message):
                yield from _strings(item, f"{path}.{field.name}")
            elif isinstance(item, str):
                yield f"{path}.{field.name}", item


def _app_script(kind: str, text: str) -> bool:
    """Whether text is the What-if's own script with its data as escape.script_json writes them (no < > & in them):
    the one HTML the app writes with a script in it, whatever the data hold."""
    if kind != "Html" or not text.startswith(preview.SCRIPT_START) or not text.endswith(preview.SCRIPT_END):
        return False
    return re.search(r"[<>&]", text[len(preview.SCRIPT_START) : -len(preview.SCRIPT_END)]) is None


def _markdown_strings(at: AppTest, kinds: set[str] | None = None) -> list[tuple[str, str]]:
    """(where, text) of every string the page renders as Markdown (or, with kinds, of those element kinds' bodies)."""
    found = []
    for node in _nodes(at._tree):
        proto = getattr(node, "proto", None)
        if not isinstance(proto, Message):
            continue
        kind = type(proto).__name__
        if (kind in PLAIN) != (kinds is not None and kind in kinds):
            continue
        for path, text in _strings(proto):
            name = path.rsplit(".", 1)[-1]
            markdown = name in MARKDOWN_FIELDS or (name == "options" and kind in ("Radio", "ButtonGroup"))
            if markdown and not _app_script(kind, text):
                found.append((f"{kind}{path}", text))
    return found


def _plotly_strings(spec) -> list[str]:
    if isinstance(spec, str):
        return [spec]
    if isinstance(spec, dict):
        return [s for v in spec.values() for s in _plotly_strings(v)]
    if isinstance(spec, list):
        return [s for v in spec for s in _plotly_strings(v)]
    return []


def _unescaped(markdown: str) -> str:
    """markdown with every backslash-escaped character taken out: what is left can still be markup."""
    return re.sub(r"\\.", "", markdown)


@pytest.mark.parametrize("page", list(PAGES))
def test_no_page_renders_hostile_text_as_markup(app_hostile_db: Path, page: str):
    script, params = PAGES[page]
    at = _open(script, params)

    markdown = _markdown_strings(at)
    live = [(where, text) for where, text in markdown if LIVE_MARKDOWN.search(_unescaped(text))]
    assert live == []
    linked = [(where, text) for where, text in markdown if LIVE_AUTOLINK.search(_plain([text])[0])]
    assert linked == []

    charts = [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]
    texts = [text for spec in charts for text in _plotly_strings(spec)]
    assert [t for t in texts if LIVE_TAG.search(t)] == []

    page_report = at.session_state["_page_report"] if "_page_report" in at.session_state else None  # noqa: SIM401 (no .get)
    if page_report is not None:
        # figures travel as JSON with < and > as \u003c and \u003e: plotly.js reads them back as tags
        document = page_report.to_html().replace("\\u003c", "<").replace("\\u003e", ">")
        assert [m.group(0) for m in LIVE_TAG.finditer(document)] == []

    # the others show data text (escaped): the test is not vacuous (Behaviours' counts by number of behaviours name none;
    # Defection's list is a table, not Markdown, and its retention curves and model checks name no data text)
    no_data_text = ("Behaviours By number of behaviours", "Defection Who to call", "Defection Retention", "Defection Model check")
    if page not in ("Overview", "Data", "Story step 1", *no_data_text):
        plain = [text for _, text in _markdown_strings(at, PLAIN)]
        shown = " ".join([*(text for _, text in markdown), *texts, *plain])
        assert "evil\\.example" in shown or "&lt;a href=" in shown or "evil.example" in " ".join(plain)


def test_an_uploaded_file_with_hostile_headers_and_values_is_shown_as_text_on_the_data_page(app_hostile_db: Path):
    at = _open("pages/9_Data.py", {})
    at.file_uploader[0].set_value(("<b>Evil</b>.csv", HOSTILE_CSV.encode(), "text/csv")).run()
    assert not at.exception, [e.value for e in at.exception]
    markdown = _markdown_strings(at)
    assert [(where, text) for where, text in markdown if LIVE_MARKDOWN.search(_unescaped(text))] == []
    examples = [text for where, text in markdown if text.startswith("e.g. ")]
    # the mapping boxes show the file's first values (cut at 24 characters), escaped: read as in the file
    assert "e.g. \\!\\[\\]\\(https\\:\u2060\\/\\/evil\\.exampl…, C2" in examples
    assert _as_read(examples) == [
        "e.g. ![](https://evil.exampl…, C2",
        "e.g. [r](https://evil.exampl…, North",
        'e.g. <a href="https://evil.e…, =HYPERLINK("https://evi…',
    ]


def _plain(markdown: list[str]) -> list[str]:
    """markdown with each backslash escape replaced by the character it escapes (word joiners kept)."""
    return [re.sub(r"\\(.)", r"\1", text) for text in markdown]


def _as_read(markdown: list[str]) -> list[str]:
    """markdown as the reader sees it: escapes read, the invisible word joiners gone."""
    return [text.replace(WORD_JOINER, "") for text in _plain(markdown)]


def test_a_scenario_saved_under_a_hostile_name_is_confirmed_and_listed_as_text(app_hostile_db: Path):
    at = _open("pages/4_What-if.py", {})
    at.text_input(key="w_scn_name").set_value("![](//evil.example/s) <a href=//evil.example>x</a>")
    at.button(key="w_scn_save").click().run()
    assert not at.exception, [e.value for e in at.exception]
    markdown = _markdown_strings(at)
    assert [(where, text) for where, text in markdown if LIVE_MARKDOWN.search(_unescaped(text))] == []
    assert _as_read([e.value for e in at.success]) == ["Saved “![](//evil.example/s) <a href=//evil.example>x</a>”."]
