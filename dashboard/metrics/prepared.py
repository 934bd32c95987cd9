"""Tables built once at publish time, inside the publish transaction, so pages never re-scan raw events."""

from __future__ import annotations

import hashlib
import inspect
from collections.abc import Callable

import duckdb

from dashboard.metrics import journey_prepare, overview, stages
from dashboard.store import Version

Preparer = Callable[[duckdb.DuckDBPyConnection, Version], None]

PREPARERS: tuple[Preparer, ...] = (overview.prepare, journey_prepare.prepare, stages.prepare)
"""Each view's prepare step, run in order; a view that reads prepared tables adds its step here."""


def build_all(cur: duckdb.DuckDBPyConnection, version: Version) -> None:
    """Run every view's prepare step for a version being published."""
    for prepare in PREPARERS:
        prepare(cur, version)


def fingerprint() -> str:
    """Hash of the source of every module with a prepare step: a version built by other code is rebuilt on start."""
    digest = hashlib.sha256()
    for prepare in PREPARERS:
        digest.update(inspect.getsource(inspect.getmodule(prepare)).encode())
    return digest.hexdigest()[:16]
