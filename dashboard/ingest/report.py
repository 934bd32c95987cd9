"""The validation report: per table, rows read, published and rejected, and every problem with examples and what to do."""

from __future__ import annotations

from dataclasses import dataclass, field

BLOCKING, WARNING, NOTE = "blocking", "warning", "note"


def n(count: int, noun: str, plural: str | None = None) -> str:
    """count and noun, the noun in the plural unless count is 1: "1 row", "1,234 rows"."""
    return f"{count:,} {noun if count == 1 else (plural or noun + 's')}"


def file_size(size: int) -> str:
    """A file size as people write it: 172 bytes, 12.3 KB, 971.2 KB, 1.2 GB."""
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("KB", 1e3)):
        if size >= scale:
            return f"{size / scale:,.1f} {unit}"
    return f"{size} bytes"


def verb(count: int, one: str, many: str) -> str:
    """The verb agreeing with count: verb(1, "has", "have") is "has"."""
    return one if count == 1 else many


"""Severities: blocking stops the publish; a warning is published as described; a note is for information."""


@dataclass(frozen=True)
class Example:
    """One row showing a problem: the file, its row number (header = row 1) and the value concerned."""

    file: str
    row: int
    value: str

    def describe(self) -> str:
        """The example as shown: "orders.csv row 12: '31/02/2024'"."""
        where = f"{self.file} row {self.row:,}" if self.row else self.file
        return f"{where}: {self.value}" if self.value else where


@dataclass(frozen=True)
class Problem:
    """Something validation found: how serious, how many rows, where, a few examples, and what to do."""

    table: str
    severity: str
    code: str
    message: str
    action: str = ""
    count: int = 0
    column: str = ""
    examples: tuple[Example, ...] = ()
    rejects: bool = False
    """Whether the rows concerned are left out of the publish (and offered for download)."""

    @property
    def blocking(self) -> bool:
        """Whether this problem stops the publish."""
        return self.severity == BLOCKING


@dataclass
class FileSummary:
    """What was read from one file: its name, size, format details and row count."""

    name: str
    size: int
    format: str
    details: str
    rows: int


@dataclass
class TableReport:
    """One table's figures: rows read, rejected and published (published + rejected = read), and its problems."""

    table: str
    files: list[FileSummary] = field(default_factory=list)
    read: int = 0
    rejected: int = 0
    added: int = 0
    """Customers added that no customers file holds (IDs seen in transactions or interactions)."""
    problems: list[Problem] = field(default_factory=list)

    @property
    def published(self) -> int:
        """Rows from the files that will be published."""
        return self.read - self.rejected

    @property
    def balanced(self) -> bool:
        """Whether published + rejected = read holds (it always should; shown so analysts can see it does)."""
        return self.published + self.rejected == self.read and self.published >= 0


@dataclass
class Report:
    """The validation report of an upload: one TableReport per table with files, plus upload-wide problems."""

    tables: dict[str, TableReport] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    def all_problems(self) -> list[Problem]:
        """Every problem, upload-wide first, then table by table."""
        return self.problems + [p for t in self.tables.values() for p in t.problems]

    @property
    def blocking(self) -> list[Problem]:
        """Problems that stop the publish."""
        return [p for p in self.all_problems() if p.blocking]

    @property
    def ok(self) -> bool:
        """Whether the upload can be published."""
        return not self.blocking

    def counts(self) -> dict[str, int]:
        """Number of problems by severity."""
        out = {BLOCKING: 0, WARNING: 0, NOTE: 0}
        for problem in self.all_problems():
            out[problem.severity] += 1
        return out
