"""Excel workbooks (python-calamine): the sheets, the header row, merged cells and formulas, written out as text columns.

A sheet is read once and written as a Parquet file of text columns (c0, c1, ...) plus the sheet row number
of each data row (_row), so that it is read like any other file afterwards and row numbers match Excel's.
"""

from __future__ import annotations

import math
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path, PurePosixPath
from xml.etree import ElementTree

import pyarrow as pa
import pyarrow.parquet as pq
from python_calamine import CalamineWorkbook, SheetTypeEnum, SheetVisibleEnum

from dashboard.ingest.errors import IngestError

BATCH_ROWS = 50_000
HEADER_SCAN_ROWS = 30
_MAIN_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL_NS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PKG_REL_NS = "{http://schemas.openxmlformats.org/package/2006/relationships}"


@dataclass(frozen=True)
class SheetRead:
    """A sheet written out as text: its header names, the Excel row of the header, rows written, and notes for the user."""

    sheet: str
    header: tuple[str, ...]
    header_row: int
    rows: int
    notes: tuple[str, ...]


def open_workbook(path: Path, name: str) -> CalamineWorkbook:
    """The workbook at path; IngestError when it is not one python-calamine can read."""
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


def _column_letters(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def cell_ref(row: int, col: int) -> str:
    """Excel's name of the cell at 0-based row and column (B3)."""
    return f"{_column_letters(col)}{row + 1}"


def _header_index(rows: list[list[object]]) -> int | None:
    """The first row holding at least half as many filled cells as the fullest of the first rows (title rows above are "
    "skipped)."""
    counts = [sum(1 for v in row if cell_text(v) is not None) for row in rows]
    most = max(counts, default=0)
    if most == 0:
        return None
    for i, n in enumerate(counts):
        if n >= max(1, math.ceil(most / 2)):
            return i
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
        trailing = 0
        for filled in reversed(last_filled[header_at + 1 :]):
            if filled:
                break
            trailing += 1
        empty_rows = max(0, empty_rows - trailing)  # empty rows below the data are formatting, not worth a note
        if empty_rows:
            notes.append(f"sheet '{sheet}': {empty_rows:,} empty rows between the data rows are left out")
        touching = [rng for rng in merged if rng[1][0] >= start_row + header_at]
        if touching:
            refs = ", ".join(f"{cell_ref(*a)}:{cell_ref(*b)}" for a, b in touching[:5])
            more = f" and {len(touching) - 5} more" if len(touching) > 5 else ""
            notes.append(
                f"sheet '{sheet}': {len(touching)} merged cell ranges ({refs}{more}); every cell of a merged range is read "
                "with the value of its first cell"
            )
        notes.extend(formula_notes(path, sheet))
        return SheetRead(sheet, tuple(header), start_row + header_at + 1, written, tuple(notes))
    finally:
        workbook.close()


def _merged_fill(merged: list) -> dict[int, list[tuple[int, int, int, int]]]:
    """Row -> merged ranges covering it, as (first col, last col, top row, left col)."""
    by_row: dict[int, list[tuple[int, int, int, int]]] = {}
    for (r1, c1), (r2, c2) in merged:
        for r in range(r1, r2 + 1):
            by_row.setdefault(r, []).append((c1, c2, r1, c1))
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
        for c in range(c1, c2 + 1):
            j = c - start_col
            if 0 <= j < width and (abs_row, c) != (r1, left):
                cells[j] = value
    return cells


def _write_rows(data, header_at, start_row, start_col, width, fill, target, total, progress) -> tuple[int, int]:
    """Write the data rows below the header to target in batches; return rows written and empty rows skipped."""
    schema = pa.schema([*(pa.field(f"c{j}", pa.string()) for j in range(width)), pa.field("_row", pa.int64())])
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

        for i, row in enumerate(data.iter_rows()):
            abs_row = start_row + i
            if i <= header_at:
                if fill.get(abs_row):
                    _filled_row(row, abs_row, start_col, fill, top_left, width)
                continue
            cells = [cell_text(v) for v in _filled_row(row, abs_row, start_col, fill, top_left, width)]
            if all(v is None for v in cells):
                empty += 1
                continue
            for j, value in enumerate(cells):
                columns[j].append(value)
            row_numbers.append(abs_row + 1)
            written += 1
            if len(row_numbers) >= BATCH_ROWS:
                flush()
                if progress:
                    progress(min(1.0, i / total))
        flush()
    return written, empty


# -- formulas (xlsx only: calamine reads the values Excel saved with them) ---------------------

_FORMULA_TAG = re.compile(rb"<(?:\w+:)?f[ >/]")


def _sheet_xml_path(archive: zipfile.ZipFile, sheet: str) -> str | None:
    workbook = ElementTree.fromstring(archive.read("xl/workbook.xml"))
    rel_id = None
    for node in workbook.iter(f"{_MAIN_NS}sheet"):
        if node.get("name") == sheet:
            rel_id = node.get(f"{_REL_NS}id")
    if rel_id is None:
        return None
    rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    for rel in rels.iter(f"{_PKG_REL_NS}Relationship"):
        if rel.get("Id") == rel_id:
            target = rel.get("Target", "")
            if target.startswith("/"):
                return target.lstrip("/")
            return str(PurePosixPath("xl") / target)
    return None


def formula_notes(path: Path, sheet: str) -> list[str]:
    """Notes on the sheet's formula cells: how many, and which have no value saved with them (they read as blank)."""
    try:
        with zipfile.ZipFile(path) as archive:
            member = _sheet_xml_path(archive, sheet)
            if member is None:
                return []
            with archive.open(member) as handle:
                if not any(_FORMULA_TAG.search(chunk) for chunk in iter(lambda: handle.read(1 << 20), b"")):
                    return []
            formulas, missing = 0, []
            with archive.open(member) as handle:
                for _event, node in ElementTree.iterparse(handle):
                    if node.tag != f"{_MAIN_NS}c":
                        continue
                    if node.find(f"{_MAIN_NS}f") is not None:
                        formulas += 1
                        value = node.find(f"{_MAIN_NS}v")
                        if value is None or value.text is None:
                            missing.append(node.get("r", "?"))
                    node.clear()
    except (zipfile.BadZipFile, KeyError, ElementTree.ParseError):
        return []
    notes = [f"sheet '{sheet}': {formulas:,} cells hold formulas; CX Lens reads the values Excel saved with them"]
    if missing:
        refs = ", ".join(missing[:5]) + (f" and {len(missing) - 5:,} more" if len(missing) > 5 else "")
        notes.append(
            f"sheet '{sheet}': {len(missing):,} formula cells have no saved value ({refs}) and read as blank: "
            "open the file in Excel, let it calculate, save it and upload it again"
        )
    return notes
