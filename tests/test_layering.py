"""The library does not know Streamlit: only dashboard/ui/, pages/ and app.py import it; pages hold no SQL."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ALLOWED = ("dashboard/ui/", "pages/", "app.py")


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
    bare = [p.relative_to(ROOT).as_posix() for p in ROOT.glob("dashboard/ui/views/*.py") if "st.dataframe(" in p.read_text()]
    bare += [p.relative_to(ROOT).as_posix() for p in ROOT.glob("pages/*.py") if "st.dataframe(" in p.read_text()]
    assert bare == []
