"""Tables built once at publish time, inside the publish transaction, so pages never re-scan raw events."""

from __future__ import annotations

import hashlib
import inspect
from collections.abc import Callable
from types import ModuleType

import duckdb

from dashboard import staged
from dashboard.metrics import behaviours, defection_prepare, drivers, journey_prepare, overview, stages
from dashboard.staged import engine
from dashboard.store import Version

Preparer = Callable[[duckdb.DuckDBPyConnection, Version], None]

PREPARERS: tuple[Preparer, ...] = (
    staged.build,
    overview.prepare,
    journey_prepare.prepare,
    stages.prepare,
    behaviours.prepare,
    defection_prepare.prepare,
    drivers.prepare,
)
"""The staged definitions first, then each view's prepare step (which reads them); a view that reads prepared tables
adds its step here."""


def build_all(cur: duckdb.DuckDBPyConnection, version: Version) -> None:
    """Run every view's prepare step for a version being published, on the configured engine (staged.engine)."""
    engine.prepare_on(cur, version, PREPARERS)


def _modules_used(module: ModuleType, seen: dict[str, ModuleType]) -> None:
    """Add module and every dashboard module it uses (imported modules, functions, classes), recursively."""
    if module.__name__ in seen:
        return
    seen[module.__name__] = module
    for value in vars(module).values():
        owner = value if isinstance(value, ModuleType) else inspect.getmodule(value)
        if owner is not None and owner.__name__.startswith("dashboard."):
            _modules_used(owner, seen)


def fingerprint() -> str:
    """Hash of the source of every dashboard module the prepare steps use: a version built by other code is rebuilt."""
    seen: dict[str, ModuleType] = {}
    for prepare in PREPARERS:
        _modules_used(inspect.getmodule(prepare), seen)
    digest = hashlib.sha256()
    for name in sorted(seen):
        digest.update(name.encode())
        digest.update(inspect.getsource(seen[name]).encode())
    return digest.hexdigest()[:16]
