"""Modules a reader can hold: no module of the app over 500 lines and no function over 60 (counted as `ast` gives
them: from the `def` line to the last line, docstring included), so a newcomer can read any unit in one sitting."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MAX_MODULE_LINES = 500
MAX_FUNCTION_LINES = 60


def _app_files() -> list[Path]:
    return sorted([ROOT / "app.py", *ROOT.glob("pages/*.py"), *ROOT.glob("dashboard/**/*.py")])


def test_no_module_is_over_500_lines() -> None:
    long_modules = {}
    for path in _app_files():
        lines = path.read_text().count("\n")
        if lines > MAX_MODULE_LINES:
            long_modules[path.relative_to(ROOT).as_posix()] = lines
    assert long_modules == {}, "split these along a line a newcomer would guess (docs/development.md, Layout)"


def test_no_function_is_over_60_lines() -> None:
    long_functions = {}
    for path in _app_files():
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = node.end_lineno - node.lineno + 1
                if length > MAX_FUNCTION_LINES:
                    long_functions[f"{path.relative_to(ROOT).as_posix()}:{node.lineno} {node.name}"] = length
    assert long_functions == {}, "split these into steps named for what they do"
