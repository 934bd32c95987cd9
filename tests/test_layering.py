"""The library does not know Streamlit: only dashboard/ui/, pages/ and app.py import it; pages hold no SQL."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ALLOWED = ("dashboard/ui/", "pages/", "app.py", "benchmarks/browser.py")
"""Where streamlit may be imported: the ui layer and the pages, and the browser benchmark, which reads Streamlit's
websocket messages (a run's "script finished") with Streamlit's own protobuf classes."""


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module.split(".")[0])
    return names


def _python_files() -> list[Path]:
    files = [ROOT / "app.py", *ROOT.glob("pages/*.py"), *ROOT.glob("dashboard/**/*.py"), *ROOT.glob("benchmarks/**/*.py")]
    return sorted(files)


def test_streamlit_only_in_the_ui_layer():
    offenders = []
    for path in _python_files():
        rel = path.relative_to(ROOT).as_posix()
        if "streamlit" in _imports(path) and not rel.startswith(ALLOWED):
            offenders.append(rel)
    assert offenders == []


def test_layering_check_sees_real_imports():
    ui_files = [p for p in _python_files() if p.relative_to(ROOT).as_posix().startswith("dashboard/ui/")]
    assert any("streamlit" in _imports(p) for p in ui_files)


def test_pages_are_thin():
    for path in [ROOT / "app.py", *ROOT.glob("pages/*.py")]:
        text = path.read_text().lower()
        for word in ("select ", "group by", "read_csv", ".execute(", "import duckdb"):
            assert word not in text, f"{path.name} contains {word!r}: move it into dashboard/metrics/"


def test_pages_folder_holds_only_page_scripts():
    assert all(p.suffix == ".py" for p in (ROOT / "pages").iterdir() if p.name != "__pycache__")


def test_views_draw_tables_through_widgets_table():
    """widgets.table gives every table the same missing-value dash; a bare st.dataframe would print None."""
    bare = [p.relative_to(ROOT).as_posix() for p in ROOT.glob("dashboard/ui/views/**/*.py") if "st.dataframe(" in p.read_text()]
    bare += [p.relative_to(ROOT).as_posix() for p in ROOT.glob("pages/*.py") if "st.dataframe(" in p.read_text()]
    assert bare == []


LAYERS: tuple[tuple[str, ...], ...] = (
    ("pages", "__main__"),
    ("ui",),
    ("charts", "context", "report", "story"),
    ("metrics", "ingest", "sample"),
    ("staged",),
    ("store", "export"),
    ("escape",),
    ("formatting", "contract", "config", "access", "sql"),
)
"""The import rules, top to bottom (also in docs/development.md): a module imports only from layers below its own;
names sharing a layer are independent (neither imports the other). "pages" is app.py and pages/; the others are
dashboard/<name> (a package or a module). Every dashboard part must appear here, so a new one takes a place on purpose."""

RANK = {name: len(LAYERS) - i for i, layer in enumerate(LAYERS) for name in layer}


def _part(rel: str) -> str:
    """The layer name of a file (app.py, pages/x.py, dashboard/<part>/... or dashboard/<part>.py)."""
    if rel == "app.py" or rel.startswith("pages/"):
        return "pages"
    return rel.split("/")[1].removesuffix(".py")


def _dashboard_imports(path: Path) -> set[str]:
    """The dashboard parts path imports anywhere in it (inside functions too), e.g. {"store", "metrics"}."""
    parts = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [f"{node.module}.{alias.name}" for alias in node.names]
        else:
            continue
        parts.update(n.split(".")[1] for n in names if n.startswith("dashboard.") and n.count(".") >= 1)
    return parts


def _library_files() -> list[Path]:
    return sorted([ROOT / "app.py", *ROOT.glob("pages/*.py"), *ROOT.glob("dashboard/**/*.py")])


def test_every_part_of_the_library_has_a_layer():
    parts = {_part(p.relative_to(ROOT).as_posix()) for p in _library_files()} - {"__init__"}
    assert parts - set(RANK) == set(), "give each new part of dashboard/ a layer in LAYERS and docs/development.md"


def test_imports_only_go_down_the_layers():
    upward = []
    for path in _library_files():
        rel = path.relative_to(ROOT).as_posix()
        here = _part(rel)
        for there in _dashboard_imports(path) - {here}:
            if there in RANK and RANK[there] >= RANK.get(here, 0):
                upward.append(f"{rel} imports dashboard.{there}")
    assert upward == []


def test_the_import_rule_check_sees_imports_inside_functions(tmp_path: Path):
    lazy = tmp_path / "lazy.py"
    lazy.write_text("def f():\n    from dashboard.metrics.prepared import build_all\n    from dashboard import staged\n")
    assert _dashboard_imports(lazy) == {"metrics", "staged"}


def test_the_layer_table_in_the_docs_is_the_tested_one():
    text = (ROOT / "docs" / "development.md").read_text()
    rows = [line for line in text.splitlines() if re.match(r"\| \d+ \|", line)]
    documented = [tuple(name.strip(" `") for name in row.split("|")[2].split(",")) for row in rows]
    assert documented == list(LAYERS)
