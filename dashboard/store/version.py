"""What a published version is (Version), the tables a publish is handed (Prebuilt), and the prepare step that builds a
version's prepared tables, registered from above (the store never imports the metrics)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import duckdb

from dashboard import contract
from dashboard.store.errors import StoreError

_DATASET_NAME = re.compile(r"^[\w][\w .\-()]{0,59}$")


@dataclass(frozen=True)
class PrepareStep:
    """What builds a version's prepared tables (run) and the schema number they carry once built: a version whose
    recorded number differs is out of date until `python -m dashboard upgrade` (or the Data page) rebuilds it."""

    run: Callable[[duckdb.DuckDBPyConnection, Version], None]
    schema: int

    @property
    def label(self) -> str:
        """The text stored in versions.prepared for tables built by this step."""
        return str(int(self.schema))


@dataclass(frozen=True)
class Upgraded:
    """One version rebuilt by an upgrade: its label, how many prepared tables it now has and how long it took."""

    version_id: int
    label: str
    tables: int
    seconds: float


_PREPARE_STEP: list[PrepareStep] = []
"""The registered prepare step (dashboard.metrics.prepared registers it when imported): the store sits below the
metrics and never imports them, so the step is handed down rather than looked up."""


def register_prepare_step(step: PrepareStep) -> None:
    """Make step the one publish and upgrade run when no other is given."""
    _PREPARE_STEP[:] = [step]


def prepare_step() -> PrepareStep:
    """The registered prepare step; StoreError when none is (import dashboard.metrics.prepared first)."""
    if not _PREPARE_STEP:
        raise StoreError("no prepare step registered: import dashboard.metrics.prepared before publishing")
    return _PREPARE_STEP[0]


@dataclass(frozen=True)
class Prebuilt:
    """A table a publish's stage hook already made in the version's schema, with every contract column in order.

    present names the contract columns (and b_ flags) the files really provided; the others hold nulls.
    """

    present: tuple[str, ...]


@dataclass(frozen=True)
class Version:
    """One published version of a dataset: its id, number within the dataset, and what it holds."""

    version_id: int
    dataset: str
    number: int
    created_at: datetime
    row_counts: Mapping[str, int] = field(default_factory=dict, hash=False, compare=False)
    columns: Mapping[str, tuple[str, ...]] = field(default_factory=dict, hash=False, compare=False)
    source_files: tuple[Mapping[str, Any], ...] = field(default=(), hash=False, compare=False)
    note: str = field(default="", compare=False)

    @property
    def schema(self) -> str:
        """The schema that holds this version's tables."""
        return f"v{int(self.version_id)}"

    def table(self, name: str) -> str:
        """Quoted, schema-qualified name of one of this version's tables."""
        if not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
            raise ValueError(f"bad table name {name!r}")
        return f'"{self.schema}"."{name}"'

    def has(self, table: str, column: str | None = None) -> bool:
        """Whether the published files provided table (with rows) or, given column, that column."""
        if column is None:
            return self.row_counts.get(table, 0) > 0
        return self.row_counts.get(table, 0) > 0 and column in self.columns.get(table, ())

    @property
    def behaviours(self) -> tuple[str, ...]:
        """Behaviour keys carried as b_ flag columns of customers."""
        return tuple(contract.behaviour_keys(list(self.columns.get("customers", ()))))

    @property
    def label(self) -> str:
        """Short human label: dataset, version number and time."""
        return f"{self.dataset} v{self.number} ({self.created_at:%Y-%m-%d %H:%M})"


def check_dataset_name(name: str) -> str:
    """name, stripped, if it is a valid dataset name; StoreError saying what is allowed otherwise."""
    cleaned = (name or "").strip()
    if not _DATASET_NAME.fullmatch(cleaned):
        raise StoreError(
            f"dataset name {name!r} is not allowed: use 1 to 60 letters, digits, spaces, dots, dashes, underscores or brackets"
        )
    return cleaned


def version_from_row(row: tuple) -> Version:
    """The Version of a row of the versions table (version_id, dataset, number, created_at, row_counts, columns,
    source_files, note)."""
    version_id, dataset, number, created_at, row_counts, columns, source_files, note = row
    cols = {k: tuple(v) for k, v in json.loads(columns or "{}").items()}
    return Version(
        int(version_id),
        dataset,
        int(number),
        created_at,
        json.loads(row_counts or "{}"),
        cols,
        tuple(json.loads(source_files or "[]")),
        note or "",
    )
