"""What kind of file an upload is, and how a text file is laid out: its delimiter and its header row."""

from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import dataclass

from dashboard.ingest.encoding import WHAT_TO_UPLOAD
from dashboard.ingest.errors import IngestError

CSV, EXCEL, PARQUET, JSONL = "csv", "excel", "parquet", "jsonl"
JOINED = "joined"
"""Not a file format: several files joined on a key (dashboard.ingest.join), read as one."""
FORMAT_LABELS = {CSV: "delimited text", EXCEL: "Excel workbook", PARQUET: "Parquet", JSONL: "JSON lines", JOINED: "joined files"}
EXTENSIONS = {
    ".csv": CSV,
    ".tsv": CSV,
    ".tab": CSV,
    ".txt": CSV,
    ".psv": CSV,
    ".dat": CSV,
    ".xlsx": EXCEL,
    ".xlsm": EXCEL,
    ".xls": EXCEL,
    ".xlsb": EXCEL,
    ".ods": EXCEL,
    ".parquet": PARQUET,
    ".pq": PARQUET,
    ".jsonl": JSONL,
    ".ndjson": JSONL,
    ".json": JSONL,
}
"""File name endings the Data page accepts, and the format each suggests."""

WHITESPACE = "whitespace"
DELIMITERS = {",": "comma (,)", ";": "semicolon (;)", "\t": "tab", "|": "pipe (|)", WHITESPACE: "spaces (aligned columns)"}
"""Delimiters CX Lens detects and offers, with the names shown to users."""

_PREFERENCE = (",", "\t", ";", "|")
_MAGIC = (
    (b"%PDF", "a PDF document"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"\x1f\x8b", "a gzip-compressed file (decompress it first)"),
    (b"7z\xbc\xaf", "a 7-Zip archive (extract it first)"),
    (b"Rar!", "a RAR archive (extract it first)"),
    (b"SQLite format 3", "an SQLite database"),
)


def extension(name: str) -> str:
    """The file name's ending in lowercase ('.csv'), or '' when it has none."""
    dot = name.rfind(".")
    return name[dot:].lower() if dot > 0 else ""


def detect_format(head: bytes, name: str) -> str:
    """The file's format from its first bytes (the content wins over the name): csv, excel, parquet or jsonl."""
    if not head:
        raise IngestError(f"{name} is empty (0 bytes): export the data again and upload the new file")
    if head.startswith(b"PAR1"):
        return PARQUET
    if head.startswith(b"PK\x03\x04") or head.startswith(b"\xd0\xcf\x11\xe0"):
        return EXCEL
    for magic, what in _MAGIC:
        if head.startswith(magic):
            raise IngestError(f"{name} is {what}, not a data file: {WHAT_TO_UPLOAD}")
    if extension(name) in (".jsonl", ".ndjson", ".json"):
        return JSONL
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if stripped.startswith(b"{"):
        return JSONL
    return CSV


@dataclass(frozen=True)
class TextLayout:
    """How a delimited text file is laid out: its delimiter and the names in its first row."""

    delimiter: str
    first_row: tuple[str, ...]
    likely_delimiter: str = ""
    """When the delimiter was chosen by the user and the file looks separated by another, that other one."""


def _records(text: str, delimiter: str, limit: int = 300) -> list[list[str]]:
    if delimiter == WHITESPACE:
        return [line.split() for line in text.splitlines()[:limit] if line.strip()]
    reader = csv.reader(io.StringIO(text), delimiter=delimiter, quotechar='"', doublequote=True, strict=False)
    rows = []
    try:
        for row in reader:
            if row and any(cell.strip() for cell in row):
                rows.append(row)
            if len(rows) >= limit:
                break
    except csv.Error:
        pass
    return rows


def _consistency(rows: list[list[str]]) -> tuple[float, int, bool]:
    """Share of rows with the commonest field count, that count, and whether the first row has it."""
    if not rows:
        return 0.0, 0, False
    counts = Counter(len(r) for r in rows[1:] or rows)
    width, rows_of_width = counts.most_common(1)[0]
    return rows_of_width / max(1, len(rows[1:] or rows)), width, len(rows[0]) == width


def sniff_delimiter(text: str) -> str:
    """The delimiter that splits text into the same number (two or more) of fields on every row, header included."""
    if "\n" in text:
        text = text[: text.rfind("\n") + 1]  # drop a last line cut short by the sample
    best: tuple[float, int, str] | None = None
    for delimiter in _PREFERENCE:
        share, width, header_ok = _consistency(_records(text, delimiter))
        if width >= 2 and header_ok and share >= 0.9 and (best is None or (share, width) > best[:2]):
            best = (share, width, delimiter)
    if best:
        return best[2]
    lines = [line for line in text.splitlines()[:300] if line.strip()]
    share, width, header_ok = _consistency([line.split() for line in lines])
    aligned = any("  " in line or line[:1] in (" ", "\t") for line in lines)
    if width >= 2 and header_ok and share >= 0.9 and aligned:
        return WHITESPACE
    fallback = None
    for delimiter in _PREFERENCE:
        share, width, _ = _consistency(_records(text, delimiter))
        if width >= 2 and (fallback is None or share > fallback[0]):
            fallback = (share, delimiter)
    return fallback[1] if fallback else ","


def layout(text: str, delimiter: str = "auto") -> TextLayout:
    """The layout of a text file from its first characters: the delimiter (detected unless given) and its first row."""
    detected = sniff_delimiter(text)
    chosen = detected if delimiter == "auto" else delimiter
    if chosen not in DELIMITERS:
        raise IngestError(f"unknown delimiter {chosen!r}: choose one of {', '.join(repr(d) for d in DELIMITERS)}")
    rows = _records(text, chosen, limit=1)
    first = tuple(rows[0]) if rows else ()
    likely = detected if delimiter != "auto" and detected != chosen and len(first) <= 1 else ""
    return TextLayout(chosen, first, likely)


def unique_headers(raw: list[str]) -> tuple[list[str], list[str]]:
    """Display names for a header row: blanks named "column N", repeats numbered "Name (2)"; and notes on what changed."""
    names: list[str] = []
    notes: list[str] = []
    used: set[str] = set()
    for number, header in enumerate(raw, start=1):
        base = str(header if header is not None else "").replace("\ufeff", "").strip()
        if not base:
            base = f"column {number}"
            notes.append(f"column {number} has no name in the header row; it is shown as '{base}'")
        name, repeat = base, 2
        while name.lower() in used:
            name, repeat = f"{base} ({repeat})", repeat + 1
        if name != base:
            notes.append(f"the column name '{base}' appears more than once; column {number} is shown as '{name}'")
        used.add(name.lower())
        names.append(name)
    return names, notes
