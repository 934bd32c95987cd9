"""What goes wrong with the database that a user can act on, and undoing a failed write."""

from __future__ import annotations

from contextlib import suppress
from pathlib import Path

import duckdb

WRITE_ERRORS = (duckdb.IOException, duckdb.TransactionException, duckdb.OutOfMemoryException, duckdb.PermissionException)
"""Errors of writing to the database file (permissions, disk space, memory) rather than of the data."""


def rollback(cur: duckdb.DuckDBPyConnection) -> None:
    """Roll back the open transaction; a failed commit has rolled back already (DuckDB then has no transaction to roll
    back, and saying so would hide the real error)."""
    with suppress(duckdb.TransactionException):
        cur.execute("rollback")


def write_failure(path: Path, exc: BaseException) -> str:
    """One line on a publish the database file could not take: the real cause and what to do."""
    cause = (str(exc).splitlines() or [type(exc).__name__])[0]
    cause = cause.replace("TransactionContext Error: Failed to commit: ", "")
    return (
        f"nothing published: the database {path} could not be written ({cause}); check that the file and its folder "
        "are writable and the disk has space — the previous version is still active"
    )


class StoreError(RuntimeError):
    """A problem with the database that the user can act on; its message is one line."""


class DatabaseBusy(StoreError):
    """Another process holds the database file."""
