"""Excel workbooks (python-calamine): the sheets, the header row, merged cells and formulas, written out as text columns.

A sheet is read once and written as a Parquet file of text columns (c0, c1, ...) plus the sheet row number
of each data row (_row), so that it is read like any other file afterwards and row numbers match Excel's.
"""

from __future__ import annotations

import dataclasses
import json
import math
import resource
import subprocess
import sys
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from python_calamine import CalamineWorkbook, SheetTypeEnum, SheetVisibleEnum

from dashboard.ingest import limits
from dashboard.ingest.errors import IngestError
from dashboard.ingest.excel_scan import cell_ref, check_sheet, check_workbook, formula_notes

BATCH_ROWS = 50_000
HEADER_SCAN_ROWS = 30


@dataclass(frozen=True)
class SheetRead:
    """A sheet written out as text: its header names, the Excel row of the header, rows written, and notes for the user."""

    sheet: str
    header: tuple[str, ...]
    header_row: int
    rows: int
    notes: tuple[str, ...]


def open_workbook(path: Path, name: str) -> CalamineWorkbook:
    """The workbook at path; IngestError when it is not one python-calamine can read or is over a limit."""
    check_workbook(path, name)
    try:
        return CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # calamine raises its own error types for every kind of damage
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise IngestError(
            f"{name} could not be opened as an Excel workbook ({reason}): save it again from Excel as .xlsx, or export it as CSV"
        ) from None


def sheet_names(workbook: CalamineWorkbook) -> list[str]:
    """Names of the workbook's visible worksheets, in workbook order (chart sheets and hidden sheets left out)."""
    names = []
    for meta in workbook.sheets_metadata:
        if meta.typ == SheetTypeEnum.WorkSheet and meta.visible == SheetVisibleEnum.Visible:
            names.append(meta.name)
    return names or list(workbook.sheet_names)


def cell_text(value: object) -> str | None:
    """A cell's value as text: whole numbers without ".0", dates in ISO form, yes/no as true/false; empty → None."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if math.isfinite(value) and value == math.trunc(value) and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, (date, time)):
        return value.isoformat()
    if isinstance(value, timedelta):
        return str(value.total_seconds())
    return str(value)


def _header_index(rows: list[list[object]]) -> int | None:
    """The first row holding at least half as many filled cells as the fullest of the first rows (title rows above are "
    "skipped)."""
    counts = [sum(1 for v in row if cell_text(v) is not None) for row in rows]
    most = max(counts, default=0)
    if most == 0:
        return None
    for index, filled in enumerate(counts):
        if filled >= max(1, math.ceil(most / 2)):
            return index
    return None


def read_sheet(
    path: Path,
    name: str,
    sheet: str,
    target: Path,
    progress: Callable[[float], None] | None = None,
) -> SheetRead:
    """Write sheet of the workbook at path to target (Parquet: c0.., _row); IngestError when the sheet holds no table."""
    workbook = open_workbook(path, name)
    try:
        available = list(workbook.sheet_names)
        if sheet not in available:
            raise IngestError(f"{name} has no sheet called '{sheet}'; its sheets are: {', '.join(available)}")
        check_sheet(path, name, sheet)
        data = workbook.get_sheet_by_name(sheet)
        merged = data.merged_cell_ranges or []
        fill = _merged_fill(merged)
        head: list[list] = []
        count, longest, last_filled = 0, 0, []
        for row in data.iter_rows():
            if count < HEADER_SCAN_ROWS:
                head.append(row)
            count += 1
            longest = max(longest, len(row))
            last_filled.append(max((j for j, v in enumerate(row) if cell_text(v) is not None), default=-1) + 1)
        header_at = _header_index(head)
        if header_at is None:
            raise IngestError(f"{name}, sheet '{sheet}', is empty: choose the sheet that holds the data ({', '.join(available)})")
        # iter_rows starts at the sheet's first row or at its first used row depending on the file: work out the offsets
        end_row, end_col = data.end or (count - 1, longest - 1)
        start_row, start_col = end_row + 1 - count, end_col + 1 - longest
        total = max(1, count)
        width = max(
            max(last_filled[header_at:], default=0),
            max((_merged_width(fill, start_row + i) - start_col for i in range(header_at, count)), default=0),
        )
        header_cells = _filled_row(head[header_at], start_row + header_at, start_col, fill, {}, width)
        header = [cell_text(v) or "" for v in header_cells]
        notes: list[str] = []
        if start_row + header_at > 0:
            notes.append(f"sheet '{sheet}': the header is row {start_row + header_at + 1}; the rows above it are left out")
        written, empty_rows = _write_rows(data, header_at, start_row, start_col, width, fill, target, total, progress)
        notes.extend(_layout_notes(sheet, start_row + header_at, last_filled[header_at + 1 :], empty_rows, merged))
        notes.extend(formula_notes(path, sheet))
        return SheetRead(sheet, tuple(header), start_row + header_at + 1, written, tuple(notes))
    finally:
        workbook.close()


def _layout_notes(sheet: str, header_row: int, last_filled: list[int], empty_rows: int, merged: list) -> list[str]:
    """Notes on a sheet's layout below its header (at 0-based header_row): empty rows between data rows (those below the
    data are formatting), merged cell ranges read as their first cell's value."""
    notes = []
    trailing = 0
    for filled in reversed(last_filled):
        if filled:
            break
        trailing += 1
    empty_rows = max(0, empty_rows - trailing)  # empty rows below the data are formatting, not worth a note
    if empty_rows:
        notes.append(f"sheet '{sheet}': {empty_rows:,} empty rows between the data rows are left out")
    touching = [cells for cells in merged if cells[1][0] >= header_row]
    if touching:
        refs = ", ".join(f"{cell_ref(*top_left)}:{cell_ref(*bottom_right)}" for top_left, bottom_right in touching[:5])
        more = f" and {len(touching) - 5} more" if len(touching) > 5 else ""
        notes.append(
            f"sheet '{sheet}': {len(touching)} merged cell ranges ({refs}{more}); every cell of a merged range is read "
            "with the value of its first cell"
        )
    return notes


def _merged_fill(merged: list) -> dict[int, list[tuple[int, int, int, int]]]:
    """Row -> merged ranges covering it, as (first col, last col, top row, left col)."""
    by_row: dict[int, list[tuple[int, int, int, int]]] = {}
    for (r1, c1), (r2, c2) in merged:
        for row in range(r1, r2 + 1):
            by_row.setdefault(row, []).append((c1, c2, r1, c1))
    return by_row


def _merged_width(fill: dict, row: int) -> int:
    return max((c2 + 1 for c1, c2, _r, _c in fill.get(row, ())), default=0)


def _filled_row(row: list, abs_row: int, start_col: int, fill: dict, top_left: dict, width: int) -> list:
    """The row's cells (width of them), merged cells carrying their range's first value."""
    cells = list(row[:width]) + [None] * max(0, width - len(row))
    for c1, c2, r1, left in fill.get(abs_row, ()):
        if abs_row == r1:
            top_left[(r1, left)] = cells[left - start_col] if 0 <= left - start_col < width else None
        value = top_left.get((r1, left))
        for column in range(c1, c2 + 1):
            position = column - start_col
            if 0 <= position < width and (abs_row, column) != (r1, left):
                cells[position] = value
    return cells


def _write_rows(data, header_at, start_row, start_col, width, fill, target, total, progress) -> tuple[int, int]:
    """Write the data rows below the header to target in batches; return rows written and empty rows skipped."""
    schema = pa.schema([*(pa.field(f"c{position}", pa.string()) for position in range(width)), pa.field("_row", pa.int64())])
    columns: list[list[str | None]] = [[] for _ in range(width)]
    row_numbers: list[int] = []
    written = empty = 0
    top_left: dict = {}
    with pq.ParquetWriter(str(target), schema) as writer:

        def flush() -> None:
            if row_numbers:
                arrays = [pa.array(col, pa.string()) for col in columns] + [pa.array(row_numbers, pa.int64())]
                writer.write_table(pa.Table.from_arrays(arrays, schema=schema))
                for col in columns:
                    col.clear()
                row_numbers.clear()

        for offset, row in enumerate(data.iter_rows()):
            abs_row = start_row + offset
            if offset <= header_at:
                if fill.get(abs_row):
                    _filled_row(row, abs_row, start_col, fill, top_left, width)
                continue
            cells = [cell_text(v) for v in _filled_row(row, abs_row, start_col, fill, top_left, width)]
            if all(v is None for v in cells):
                empty += 1
                continue
            for position, value in enumerate(cells):
                columns[position].append(value)
            row_numbers.append(abs_row + 1)
            written += 1
            if len(row_numbers) >= BATCH_ROWS:
                flush()
                if progress:
                    progress(min(1.0, offset / total))
        flush()
    return written, empty


def read_table(
    path: Path,
    name: str,
    chosen: str,
    target: Path,
    progress: Callable[[float], None] | None = None,
) -> tuple[list[str], SheetRead]:
    """The workbook's sheet names and the sheet read to target: the chosen one, else the first that holds a table (two or
    more named columns), else the first with anything; IngestError when none can be read."""
    workbook = open_workbook(path, name)
    try:
        sheets = sheet_names(workbook)
    finally:
        workbook.close()
    if chosen and chosen not in sheets:
        raise IngestError(f"{name} has no sheet called '{chosen}'; its sheets are: {', '.join(sheets)}")
    read, first_read, last_error = None, None, None
    for sheet in [chosen] if chosen else sheets[: limits.MAX_SHEETS_TRIED]:
        try:
            read = read_sheet(path, name, sheet, target, progress=progress)
        except IngestError as exc:
            if chosen:
                raise
            last_error = exc
            continue
        if chosen or sum(1 for h in read.header if h) >= 2:
            break
        first_read = first_read or read
        read = None
    if read is None and first_read is not None:
        read = read_sheet(path, name, first_read.sheet, target)
    if read is None and len(sheets) > limits.MAX_SHEETS_TRIED:
        raise IngestError(
            f"{name}: none of its first {limits.MAX_SHEETS_TRIED} sheets (of {len(sheets):,}) holds a table: choose the sheet "
            'in Read settings (command line: "read": {"sheet": ...} in the mapping file)'
        )
    if read is None:
        raise last_error or IngestError(f"{name} has no sheets with data")
    return sheets, read


def scannable(path: Path) -> bool:
    """Whether the workbook is .xlsx or .xlsm by name and by content (the Excel reader picks its format by the name), so
    check_sheet reads its sheets' extents from their XML before reading; anything else is read in a capped child."""
    if Path(path).suffix.lower() not in (".xlsx", ".xlsm"):
        return False
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError):
        return False
    return "xl/workbook.xml" in names and "xl/workbook.bin" not in names and "content.xml" not in names


def read_table_isolated(path: Path, name: str, chosen: str, target: Path) -> tuple[list[str], SheetRead]:
    """read_table in a child process whose memory is capped at MAX_READER_BYTES (and time at MAX_READ_SECONDS): for
    workbooks whose extents cannot be read before the Excel reader runs (.xls, .xlsb, .ods), so a hostile one can only
    make the child fail."""
    check_workbook(path, name)
    command = [
        sys.executable,
        "-m",
        "dashboard.ingest.excel",
        str(Path(path).resolve()),
        name,
        chosen,
        str(Path(target).resolve()),
        str(limits.MAX_READER_BYTES),
    ]
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=limits.MAX_READ_SECONDS, cwd=Path(__file__).resolve().parents[2]
        )
    except subprocess.TimeoutExpired:
        raise limits.refuse(
            name, "reading it took longer than allowed, which", f"{limits.MAX_READ_SECONDS // 60} minutes", _AS_CSV
        ) from None
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        raise limits.refuse(
            name,
            f"reading it needed more memory than allowed or failed (the Excel reader stopped with code {done.returncode}), which",
            f"{limits.size_text(limits.MAX_READER_BYTES)} of memory",
            _AS_CSV,
        )
    answer = json.loads(lines[-1])
    if "error" in answer:
        raise IngestError(answer["error"])
    read = answer["read"]
    return answer["sheets"], SheetRead(
        read["sheet"], tuple(read["header"]), read["header_row"], read["rows"], tuple(read["notes"])
    )


_AS_CSV = "save the sheet as CSV (or .xlsx) from Excel and upload that"


def _child(argv: list[str]) -> None:
    """The child process of read_table_isolated: memory capped, one line of JSON out."""
    path, name, chosen, target, memory = argv
    resource.setrlimit(resource.RLIMIT_DATA, (int(memory), int(memory)))
    try:
        sheets, read = read_table(Path(path), name, chosen, Path(target))
        print(json.dumps({"sheets": sheets, "read": dataclasses.asdict(read)}))
    except IngestError as exc:
        print(json.dumps({"error": str(exc)}))


if __name__ == "__main__":
    _child(sys.argv[1:])
