"""Every benchmark script imports against the current library: a renamed or removed name breaks the test, not the
next person who measures (benchmarks/spark_prepare.py once imported a class the library had dropped)."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
MODULES = sorted(".".join(p.relative_to(ROOT).with_suffix("").parts) for p in (ROOT / "benchmarks").rglob("*.py"))


@pytest.mark.parametrize("module", MODULES)
def test_benchmark_module_imports(module: str) -> None:
    importlib.import_module(module.removesuffix(".__init__"))
