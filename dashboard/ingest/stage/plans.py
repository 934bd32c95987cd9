"""What staging decides before it reads a row: per file the converted columns and the checks (each a bit of
_problems), per table the formats and the files; the staging database."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date

import duckdb

from dashboard import contract
from dashboard.ingest import formats, limits
from dashboard.ingest.mapping import TableMapping
from dashboard.ingest.report import Problem
from dashboard.ingest.sources import SourceFile
from dashboard.ingest.vocab import vocabulary_for
from dashboard.sql import Sql, sql

STAGING_DB = "cxlens_staging"
"""The in-memory database attached to the store's connection that holds staged tables."""


IDENTIFIERS = {"customer_id", "transaction_id"}


MAX_CHECKS = 62


SAMPLE_ROWS = 20_000


def ensure_staging(cur: duckdb.DuckDBPyConnection) -> None:
    """Attach the in-memory staging database (once per connection's database)."""
    cur.execute(f"attach if not exists ':memory:' as {STAGING_DB}")


@dataclass(frozen=True)
class Check:
    """One check run on every row of a file: its bit in _problems, what it means, the file columns that show it."""

    bit: int
    code: str
    target: str
    columns: tuple[int, ...]
    condition: str
    rejects: bool
    detail: str = ""

    @property
    def mask(self) -> int:
        """The check's bit as a number."""
        return 1 << self.bit


@dataclass
class FilePlan:
    """How one file is staged: the conversions and checks run on each of its rows."""

    index: int
    source: SourceFile
    columns: Sql
    """The converted targets, blank flags and raw columns, selected from the file."""
    outer: str
    """The select that adds _problems and _src, with {} where the select from the file goes."""
    checks: tuple[Check, ...]

    def select(self, rejects: tuple[str, str] | None = None) -> Sql:
        """The staging select, reading the file (keeping unreadable lines in the rejects tables, when named)."""
        relation = self.source.relation(rejects)
        inner = sql("select {} from {}", self.columns, relation)
        return sql(self.outer, inner)

    @property
    def reject_mask(self) -> int:
        """Bits of the checks that leave a row out of the publish."""
        return sum(c.mask for c in self.checks if c.rejects)


@dataclass
class TablePlan:
    """How a table's files are staged, with the formats chosen and the problems found while planning."""

    table: str
    mapping: TableMapping
    sources: list[SourceFile] = field(default_factory=list)
    targets: list[tuple[str, str]] = field(default_factory=list)
    files: list[FilePlan] = field(default_factory=list)
    number: formats.NumberStyle = field(default_factory=formats.NumberStyle)
    dates: dict[str, formats.DateStyle] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    window: tuple[date, date] = field(default_factory=limits.date_window)
    """The plausible dates (limits.date_window): others are rejected (required columns) or published blank."""

    @property
    def blocked(self) -> bool:
        """Whether a problem found while planning stops the table from being staged."""
        return any(p.blocking for p in self.problems)

    @property
    def key(self) -> str:
        """A hash of what staging would run: staged tables built from the same key are current."""
        text = "|".join(f"{f.source.read_path}:{f.select().text}:{f.select().params!r}" for f in self.files)
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    @property
    def flags(self) -> list[str]:
        """Behaviour flag targets (customers only), in the order they are stored."""
        return [t for t, _ in self.targets if t.startswith(contract.BEHAVIOUR_PREFIX)]

    @property
    def attributes(self) -> list[str]:
        """Kept attribute targets a_<key> (customers only), stored as text after the flags."""
        return [t for t, _ in self.targets if t.startswith(contract.ATTRIBUTE_PREFIX)]

    @property
    def has_row(self) -> bool:
        """Whether a file carries its own row numbers (Excel), so the staged table keeps a _row column."""
        return any(s.has_row_column for s in self.sources)

    @property
    def present(self) -> tuple[str, ...]:
        """Contract columns and flags the mapping fills, as recorded with a published version."""
        return tuple(t for t, _ in self.targets)

    @property
    def label_targets(self) -> list[str]:
        """Targets whose values are vocabulary labels (mapped at publish)."""
        return [t for t, _ in self.targets if vocabulary_for(self.table, t) is not None]
