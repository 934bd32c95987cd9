"""Tables built once at publish time, inside the publish transaction, so pages never re-scan raw events."""

from __future__ import annotations

from collections.abc import Callable

import duckdb

from dashboard.metrics import behaviours, overview
from dashboard.store import Version

Preparer = Callable[[duckdb.DuckDBPyConnection, Version], None]

PREPARERS: tuple[Preparer, ...] = (overview.prepare, behaviours.prepare)
"""Each view's prepare step, run in order; a view that reads prepared tables adds its step here."""


def build_all(cur: duckdb.DuckDBPyConnection, version: Version) -> None:
    """Run every view's prepare step for a version being published."""
    for prepare in PREPARERS:
        prepare(cur, version)
