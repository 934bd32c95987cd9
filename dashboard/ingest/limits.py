"""The limits every reader checks before it allocates, in one place; a file over one is refused with a message saying what to do.

The checks read only what a file declares (sizes in a zip's directory, a Parquet footer, cell references in
a sheet's XML streamed a few megabytes at a time), so a hostile file is refused before it can take the
server's memory. The Data page and `python -m dashboard ingest` go through the same checks.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from dashboard.ingest.errors import IngestError

KIB, MIB, GIB = 1 << 10, 1 << 20, 1 << 30

MAX_FILE_BYTES = 16 * GIB
"""Largest file read at all (the browser's own limit is 1 GB; larger files go through the command line)."""

MAX_HEADER_BYTES = 1 * MIB
"""Longest first line (header row) of a text file; longer headers are read whole up to this."""

MAX_COLUMNS = 16_384
"""Most columns a file may have (Excel's own maximum)."""

MAX_SHEET_CELLS = 20_000_000
"""Most cells in the used range of an Excel sheet (rows × columns from the first to the last filled cell): the Excel
reader holds the whole range in memory, about 32 bytes a cell."""

MAX_READER_BYTES = 4 * GIB
"""Memory the Excel reader may take for a workbook whose extents cannot be read first (.xls, .xlsb, .ods): it runs in a
child process capped at this."""

MAX_READ_SECONDS = 30 * 60
"""Longest such a child process may read."""

MAX_SHEETS_TRIED = 50
"""Sheets tried, in order, when looking for the first that holds a table (each is read to know); choose one beyond."""

MAX_UNPACKED_BYTES = 2 * GIB
"""Most bytes an Excel workbook (a zip) may unpack to, all its parts together, as its zip directory declares."""

MAX_PACKING_RATIO = 100
"""Most a part of a workbook may shrink when packed (unpacked ÷ packed size, for parts over MIN_RATIO_CHECK_BYTES);
spreadsheets pack 5 to 20 times, a zip bomb hundreds or thousands of times."""

MIN_RATIO_CHECK_BYTES = 8 * MIB
"""Parts smaller than this unpacked are not held to MAX_PACKING_RATIO (small XML parts pack very well)."""

MAX_PARQUET_FOOTER_BYTES = 64 * MIB
"""Largest Parquet footer (the metadata read before any row)."""

MAX_PARQUET_ROWS = 500_000_000
"""Most rows a Parquet file may declare."""

MAX_ROW_GROUP_BYTES = 2 * GIB
"""Most bytes one Parquet row group may declare unpacked (a row group is decoded whole)."""

MAX_SAMPLE_CELLS = 2_000_000
"""Most values held from a file's first rows for previews and format detection (20,000 rows, fewer for wide files)."""

MAX_REJECTED_ROWS = 1_000_000
"""Most rows in a rejected-rows download (the Data page's button, --rejected-dir): it is built in memory."""

MAX_MAPPING_BYTES = 10 * MIB
"""Largest mapping file (--mapping); one CX Lens writes is a few kilobytes."""

MAX_JSON_DEPTH = 64
"""Deepest nesting of objects and lists in a mapping file (JSON data files: DuckDB's own limit of 128 applies)."""

OVER = "is over CX Lens's limit"


def size_text(size: float) -> str:
    """A byte count as people write it: 1.6 KB, 761.0 MB, 2.0 GB."""
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("KB", 1e3)):
        if size >= scale:
            return f"{size / scale:,.1f} {unit}"
    return f"{int(size)} bytes"


def refuse(name: str, what: str, limit: str, action: str) -> IngestError:
    """The error for a file over a limit: file, what was found, the limit and what to do, in one line."""
    return IngestError(f"{name}: {what} {OVER} ({limit}): {action}")


def check_file_size(path: Path, name: str) -> int:
    """The file's size in bytes; IngestError when it is over MAX_FILE_BYTES."""
    size = Path(path).stat().st_size
    if size > MAX_FILE_BYTES:
        raise refuse(
            name,
            f"the file is {size_text(size)}, which",
            f"{size_text(MAX_FILE_BYTES)}",
            "split it into several files (one per year or month) and upload them together",
        )
    return size


def check_columns(name: str, count: int) -> None:
    """IngestError when a file has more than MAX_COLUMNS columns."""
    if count > MAX_COLUMNS:
        raise refuse(
            name,
            f"it has {count:,} columns, which",
            f"{MAX_COLUMNS:,} columns",
            "export only the columns CX Lens needs",
        )


def json_depth_over(text: str, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether brackets outside strings nest deeper than limit in text (counted without parsing, so any depth is safe)."""
    depth, in_string, escaped = 0, False, False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            if depth > limit:
                return True
        elif ch in "]}":
            depth -= 1
    return False


# -- values: what a published value may be (checked on every row before publishing) -------------

EARLIEST_DATE = date(1900, 1, 1)
"""Dates before this are not plausible in customer data (0224-03-15 for 2024-03-15, 0001-01-01 for "no date")."""

YEARS_AHEAD = 5
"""Dates more than this many years after today are not plausible (9999-12-31 for "no end")."""

MAX_ABS_NUMBER = 1e12
"""Numbers (amounts, costs, scores, counts) beyond ± this, and NaN or infinity, are not plausible."""


def date_window(today: date | None = None) -> tuple[date, date]:
    """The plausible dates: from EARLIEST_DATE to YEARS_AHEAD years after today (inclusive)."""
    today = today or date.today()
    try:
        latest = today.replace(year=today.year + YEARS_AHEAD)
    except ValueError:  # 29 February
        latest = today.replace(year=today.year + YEARS_AHEAD, day=28)
    return EARLIEST_DATE, latest
